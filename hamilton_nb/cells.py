"""Running a cell's source into a namespace, reversibly, and finding the functions it defines."""
from __future__ import annotations

import ast
import linecache
import types
from typing import Any, Callable

from .errors import GraphError

_ABSENT = object()


def _bound_names(tree: ast.Module) -> set[str]:
    """Top-level names the cell (re)binds, so they can be restored if registration fails."""
    names: set[str] = set()
    for stmt in tree.body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
    return names


def _check_statements(tree: ast.Module, label: str) -> list[str]:
    """Names of the top-level functions; errors for what cannot become a node."""
    functions: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.AsyncFunctionDef):
            raise GraphError(f"`{stmt.name}` in {label} is `async def`; nodes must be plain functions.\n"
                             f"Fix: use `def {stmt.name}(...)`, or move it to a regular cell.")
        if isinstance(stmt, ast.ClassDef):
            raise GraphError(f"Class `{stmt.name}` in {label}: only functions become nodes.\n"
                             "Fix: define the class in a regular notebook cell and use it from your functions.")
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Lambda):
            target = ", ".join(ast.unparse(t) for t in stmt.targets)
            raise GraphError(f"`{target}` in {label} is a lambda; a node needs a name, type hints and a docstring.\n"
                             f"Fix: write `def {target}(...) -> type:` instead.")
        if isinstance(stmt, ast.FunctionDef):
            functions.append(stmt.name)
    if not functions:
        raise GraphError(f"{label} defines no functions, so nothing was registered.\n"
                         "Fix: put `def` functions in %%hamilton cells; other code belongs in regular cells.")
    return functions


def run_cell_source(source: str, namespace: dict, label: str, filename: str) -> list[Callable]:
    """Execute ``source`` in ``namespace``; return the public functions it defines, in order.

    Statically invalid cells fail before anything runs. Call :func:`restore` with the
    returned snapshot's undo to roll the namespace back if registration fails later.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        line = (exc.text or "").rstrip()
        raise GraphError(f"Syntax error in {label}, line {exc.lineno}: {exc.msg}\n    {line}\n"
                         "Fix: correct the line and run the cell again; the session is unchanged.") from None
    names = _check_statements(tree, label)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(tree, filename, "exec"), namespace)
    functions = []
    for name in names:
        value = namespace.get(name)
        if name.startswith("_") or not isinstance(value, types.FunctionType):
            continue
        functions.append(value)
    return functions


def snapshot(namespace: dict, source: str) -> dict[str, Any]:
    """The current values of every name ``source`` binds (parse errors: nothing to save)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    return {name: namespace.get(name, _ABSENT) for name in _bound_names(tree)}


def restore(namespace: dict, saved: dict[str, Any]) -> None:
    for name, value in saved.items():
        if value is _ABSENT:
            namespace.pop(name, None)
        else:
            namespace[name] = value
