"""Running a cell's source into a namespace, reversibly, and finding the functions it defines.

Works on the compiled code object rather than an AST: compiling is what running the
cell costs anyway, and it tells us every top-level definition, so registration adds
little on top of plain execution.
"""
from __future__ import annotations

import builtins
import linecache
import re
import traceback
import types
from typing import Any, Callable

from ..errors import GraphError

_ABSENT = object()
_CO_NEWLOCALS, _CO_COROUTINE, _CO_ASYNC_GENERATOR = 0x02, 0x80, 0x200


def compile_cell(source: str, label: str, filename: str) -> types.CodeType:
    try:
        # dont_inherit: this module's `from __future__ import annotations` must not leak into user code
        return compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        line = (exc.text or "").rstrip()
        raise GraphError(f"Syntax error in {label}, line {exc.lineno}: {exc.msg}\n    {line}\n"
                         "Fix: correct the line and run the cell again; the session is unchanged.") from None


def _definitions(code: types.CodeType) -> list[types.CodeType]:
    return [c for c in code.co_consts if isinstance(c, types.CodeType) and not c.co_name.startswith("<")]


def defined_function_names(code: types.CodeType, label: str) -> list[str]:
    """Names of the cell's top-level functions, in order (possibly none: an emptied cell empties its
    module); errors for what cannot become a node."""
    names = []
    for definition in _definitions(code):
        name = definition.co_name
        if not definition.co_flags & _CO_NEWLOCALS:
            raise GraphError(f"Class `{name}` in {label}: only functions become nodes.\n"
                             "Fix: define the class in a regular notebook cell and use it from your functions.")
        if definition.co_flags & (_CO_COROUTINE | _CO_ASYNC_GENERATOR):
            raise GraphError(f"`{name}` in {label} is `async def`; nodes must be plain functions.\n"
                             f"Fix: use `def {name}(...)`, or move it to a regular cell.")
        names.append(name)
    return names


def _check_shadowing(names: list[str], namespace: dict, label: str) -> None:
    """Refuse definitions that would silently replace a builtin, an import or a data variable."""
    for name in names:
        current = namespace.get(name, _ABSENT)
        if current is _ABSENT and hasattr(builtins, name):
            raise GraphError(f"`{name}` in {label} would replace Python's builtin `{name}` in the notebook.\n"
                             f"Fix: give the function another name, e.g. `{name}_feature`.")
        if isinstance(current, types.ModuleType) or not (current is _ABSENT or callable(current)):
            what = f"the imported module `{name}`" if isinstance(current, types.ModuleType) else \
                f"the notebook variable `{name}` ({type(current).__name__})"
            raise GraphError(f"`{name}` in {label} would replace {what}.\n"
                             f"Fix: rename the function, or the variable if you no longer need it.")


def without_names(source: str, names: list[str]) -> str:
    """``source`` with the names it defines blanked out: two cells that differ only by renamed
    functions give the same text."""
    if not names:
        return source.strip()
    pattern = r"\b(" + "|".join(re.escape(name) for name in names) + r")\b"
    return re.sub(pattern, "_", source).strip()


def snapshot(namespace: dict, code: types.CodeType) -> dict[str, Any]:
    """Current values of every top-level name the cell may bind (a safe superset)."""
    return {name: namespace.get(name, _ABSENT) for name in code.co_names}


def restore(namespace: dict, saved: dict[str, Any]) -> None:
    for name, value in saved.items():
        if value is _ABSENT:
            namespace.pop(name, None)
        else:
            namespace[name] = value


def run_cell(code: types.CodeType, source: str, namespace: dict, label: str, filename: str) -> list[Callable]:
    """Execute the compiled cell in ``namespace``; return the public functions it defines, in order.

    Cells that cannot become nodes (async functions, classes) fail before anything runs; a top-level ``name = lambda ...`` fails after (restore the snapshot).
    """
    names = defined_function_names(code, label)
    _check_shadowing(names, namespace, label)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        exec(code, namespace)
    except Exception as exc:
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None  # the user's frames only
        user_tb = "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()
        raise GraphError(f"{label} raised {type(exc).__name__} while running: {exc}\n"
                         "Fix: correct the cell's top-level code and run it again; nothing was registered."
                         f"\n\n{user_tb}") from None
    lambdas = [name for name in code.co_names
               if isinstance(namespace.get(name), types.FunctionType)
               and namespace[name].__name__ == "<lambda>" and namespace[name].__code__ in code.co_consts]
    if lambdas:
        raise GraphError(f"`{lambdas[0]}` in {label} is a lambda; a node needs a name, type hints and a docstring.\n"
                         f"Fix: write `def {lambdas[0]}(...) -> type:` instead.")
    functions = []
    for name in names:
        value = namespace.get(name)
        if name.startswith("_") or not isinstance(value, types.FunctionType):
            continue
        functions.append(value)
    return functions
