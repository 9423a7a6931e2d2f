"""Graduating a session: export its functions to a Python module; import modules into it.

:func:`export_session` writes one importable, formatted module: a header docstring, the
imports the functions need, the module-level constants and helper functions they read, and
the node functions themselves (decorators included) in dependency order. What it needs is
found from the names each function actually reads (``symtable``), resolved in the namespace
the function was defined in (the notebook for cells, the module for imported modules).

:func:`load_module` (in :mod:`hamilton_nb.session.imports`, re-exported here) loads a module freshly
from its source file, every time, so that ``Session.import_module`` sees the file as it is now
(no stale bytecode, no ``reload`` surprises). Session layer: no IPython here.
"""
from __future__ import annotations

import ast
import dataclasses
import datetime
import inspect
import linecache
import os
import symtable
import sys
import textwrap
import types
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import InputError
from .imports import load_module  # noqa: F401  (Session.import_module reads it here)

_LITERALS = (type(None), bool, int, float, complex, str, bytes)


@dataclasses.dataclass
class ExportResult:
    """What :func:`export_session` wrote; its text is the feedback ``%hamilton_export`` prints."""

    path: Path
    modules: list[str]
    functions: list[str]
    helpers: list[str]
    imports: list[str]
    constants: list[str]
    unresolved: list[str]

    def __str__(self) -> str:
        lines = [f"Exported {len(self.functions)} functions from {', '.join(self.modules)} to {self.path}"]
        if self.helpers:
            lines.append(f"  helpers: {', '.join(self.helpers)}")
        if self.constants:
            lines.append(f"  constants: {', '.join(self.constants)}")
        for note in self.unresolved:
            lines.append(f"  check: {note}")
        return "\n".join(lines)


# ---- which globals a function reads --------------------------------------------------------------
def _source(obj: Any) -> str:
    return textwrap.dedent(inspect.getsource(obj)).rstrip() + "\n"


def read_globals(source: str, own_name: str) -> list[str]:
    """Names a definition (decorators, defaults, hints, body) reads from module scope, in order."""
    table = symtable.symtable(source, "<export>", "exec")
    found: dict[str, None] = {}
    for symbol in table.get_symbols():  # decorators, defaults and annotations run at module scope
        if symbol.is_referenced() and symbol.get_name() != own_name:
            found[symbol.get_name()] = None
    stack = list(table.get_children())
    while stack:
        child = stack.pop(0)
        for symbol in child.get_symbols():
            if symbol.is_global() and (symbol.is_referenced() or child.get_type() != "function"):
                found[symbol.get_name()] = None
        stack.extend(child.get_children())
    return list(found)


# ---- how to bring a global back ------------------------------------------------------------------
def _literal(value: Any) -> str | None:
    """``repr(value)`` if it reads back as an equal value of the same type, else None."""
    def simple(v: Any) -> bool:
        if isinstance(v, _LITERALS):
            return True
        if isinstance(v, (tuple, list, set, frozenset)):
            return all(simple(item) for item in v)
        if isinstance(v, dict):
            return all(simple(k) and simple(item) for k, item in v.items())
        return False

    if type(value) is frozenset or not simple(value):
        return None
    text = repr(value)
    try:
        back = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return text if type(back) is type(value) and back == value else None


def _import_line(name: str, value: Any) -> str | None:
    """``import x as name`` / ``from m import attr as name`` that binds ``value`` to ``name``."""
    if isinstance(value, types.ModuleType):
        module = value.__name__
        if module == name:
            return f"import {module}"
        parent, _, last = module.rpartition(".")
        if parent and last == name:
            return f"from {parent} import {name}"
        return f"import {module} as {name}"
    home = getattr(value, "__module__", None)
    if not isinstance(home, str) or home == "__main__" or home not in sys.modules:
        return None
    attrs = [a for a in (getattr(value, "__name__", None), name) if isinstance(a, str)]
    parts = home.split(".")
    for i in range(1, len(parts) + 1):  # the shortest public path that exports it
        module = sys.modules.get(".".join(parts[:i]))
        if module is None:
            continue
        for attr in attrs:
            if not attr.isidentifier() or attr.startswith("_") and attr != name:
                continue
            try:
                if getattr(module, attr, None) is value:
                    where = ".".join(parts[:i])
                    return f"from {where} import {attr}" + ("" if attr == name else f" as {name}")
            except Exception:
                continue
    return None


@dataclasses.dataclass
class _Plan:
    imports: dict[str, None] = dataclasses.field(default_factory=dict)
    constants: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> source line
    helpers: dict[str, str] = dataclasses.field(default_factory=dict)    # name -> source
    unresolved: dict[str, str] = dataclasses.field(default_factory=dict)
    owners: dict[str, Any] = dataclasses.field(default_factory=dict)     # name -> value bound in the export


def _claim(plan: _Plan, name: str, value: Any, what: str) -> bool:
    """Record that ``name`` is bound to ``value`` in the export; False if already handled."""
    if name in plan.owners:
        if plan.owners[name] is not value and not (_literal(value) is not None
                                                   and _literal(value) == _literal(plan.owners[name])):
            raise InputError(f"Cannot export: `{name}` means two different things in the exported functions "
                             f"({what}).\nFix: rename one of them, or export the modules separately "
                             "(`--module`).")
        return False
    plan.owners[name] = value
    return True


def _resolve(plan: _Plan, fn: Callable, source: str, exported: dict[str, Callable]) -> None:
    """Add what ``fn`` reads to ``plan`` (recursing into helper functions)."""
    namespace = getattr(fn, "__globals__", {})
    builtins = namespace.get("__builtins__", {})
    builtins = builtins if isinstance(builtins, dict) else vars(builtins)
    for name in read_globals(source, fn.__name__):
        if name in exported:
            continue
        if name not in namespace:
            if name not in builtins and name not in plan.owners:
                plan.unresolved[name] = f"`{name}` (read by `{fn.__name__}`) is not defined; define or import it"
            continue
        value = namespace[name]
        if not _claim(plan, name, value, f"read by `{fn.__name__}`"):
            continue
        inline = isinstance(value, (types.FunctionType, type)) and (
            getattr(value, "__globals__", None) is namespace or getattr(value, "__module__", None) == "__main__"
            or getattr(value, "__module__", None) == fn.__module__)
        line = None if inline else _import_line(name, value)
        if line is not None:
            plan.imports[line] = None
            continue
        if isinstance(value, (types.FunctionType, type)):
            try:
                helper = _source(value)
            except (OSError, TypeError):
                plan.unresolved[name] = f"cannot find the source of `{name}` (used by `{fn.__name__}`); " \
                                        "define or import it"
                continue
            if value.__name__ != name:
                helper += f"\n\n{name} = {value.__name__}\n"
            plan.helpers[name] = helper
            if isinstance(value, types.FunctionType):
                _resolve(plan, value, helper, exported)
            continue
        literal = _literal(value)
        if literal is not None:
            plan.constants[name] = f"{name} = {literal}"
        else:
            plan.unresolved[name] = (f"`{name}` (a {type(value).__name__}, read by `{fn.__name__}`) cannot be "
                                     "written as code; define or load it in the exported module")


# ---- exporting ---------------------------------------------------------------------------------------
def _ordered_functions(session: Any, modules: Sequence[str]) -> list[Callable]:
    """The modules' functions, each at the position of its earliest node in topological order."""
    rank = {name: i for i, name in enumerate(session.graph.topological_order())}
    first: dict[int, float] = {}
    for node in session.graph.nodes.values():
        if node.module in modules and node.function is not None and node.name in rank:
            key = id(node.function)
            first[key] = min(first.get(key, float("inf")), rank[node.name])
    keyed, last = [], -1.0
    for position, fn in enumerate(fn for module in modules for fn in session.functions.get(module, ())):
        last = first.get(id(fn), last + 1e-6)  # inactive @config.when alternatives follow their neighbour
        keyed.append((last, position, fn))
    return [fn for _, _, fn in sorted(keyed, key=lambda item: (item[0], item[1]))]


def export_source(session: Any, modules: Sequence[str] | None = None, title: str = "exported") -> tuple[str, _Plan, list[Callable]]:
    """The exported module's text (and what went into it)."""
    available = list(session.graph.modules)
    modules = list(modules) if modules else available
    unknown = [m for m in modules if m not in session.functions]
    if unknown:
        raise InputError(f"Cannot export {', '.join(f'`{m}`' for m in unknown)}: no such module in the session.\n"
                         f"Fix: choose from {', '.join(available) or '(no modules yet: run a %%hamilton cell)'}.")
    if not modules:
        raise InputError("Nothing to export: the session has no functions yet.\n"
                         "Fix: define functions in %%hamilton cells (or `%hamilton_import` a module) first.")
    functions = _ordered_functions(session, modules)
    exported: dict[str, Callable] = {}
    for fn in functions:
        if fn.__name__ in exported and exported[fn.__name__] is not fn:
            raise InputError(f"Cannot export: two modules define `{fn.__name__}`.\n"
                             "Fix: export them separately with `--module`.")
        exported[fn.__name__] = fn
    plan = _Plan()
    bodies = []
    for fn in functions:
        try:
            source = _source(fn)
        except (OSError, TypeError) as exc:
            raise InputError(f"Cannot export `{fn.__name__}`: its source is not available ({exc}).\n"
                             "Fix: define it in a %%hamilton cell or an importable .py file.") from None
        plan.owners.setdefault(fn.__name__, fn)
        _resolve(plan, fn, source, exported)
        bodies.append(source)
    inputs = sorted(n for n in session.graph.input_names
                    if any(session.graph.nodes[c].module in modules for c in session.graph.consumers_of(n)
                           if c in session.graph.nodes))
    header = [f"Functions exported from a hamilton_nb session (modules: {', '.join(modules)}).", "",
              f"Written by hamilton_nb on {datetime.date.today().isoformat()}; this file is yours to edit.",
              "Each function is a node: its name is the output, its parameters are its inputs.", "",
              "Use it::", "", "    from hamilton_nb import driver", f"    import {title}", "",
              f"    dr = driver.Driver(config_and_inputs, {title})", "    df = dr.execute([...])"]
    if inputs:
        header += ["", "External inputs: " + ", ".join(inputs) + "."]
    if plan.unresolved:
        header += ["", "To check before use:"] + [f"  * {note}." for note in plan.unresolved.values()]
    plain = sorted(line for line in plan.imports if line.startswith("import "))
    froms = sorted(line for line in plan.imports if line.startswith("from ") and not line.startswith("from hamilton_nb"))
    ours = sorted(line for line in plan.imports if line.startswith("from hamilton_nb"))
    blocks = ['"""' + "\n".join(header).replace('"""', "'''") + '\n"""']
    import_lines = plain + froms + ([""] if (plain or froms) and ours else []) + ours
    if import_lines:
        blocks.append("\n".join(import_lines))
    if plan.constants:
        blocks.append("\n".join(plan.constants.values()))
    text = "\n\n".join(blocks) + "\n"
    for source in [*plan.helpers.values(), *bodies]:
        text += "\n\n" + source
    compile(text, f"{title}.py", "exec", dont_inherit=True)  # never write a module that does not parse
    return text, plan, functions


def export_session(session: Any, path: str | os.PathLike, modules: Sequence[str] | None = None,
                   force: bool = False) -> ExportResult:
    """Write the session's functions (or ``modules``) to ``path`` as one importable module."""
    target = Path(path).expanduser()
    if target.suffix != ".py":
        target = target.with_suffix(".py") if not target.suffix else target
    if target.exists() and not force:
        raise InputError(f"{target} already exists; nothing was written.\n"
                         f"Fix: choose another path, or overwrite it with `%hamilton_export {path} --force` "
                         "(`session.export(path, force=True)`).")
    title = target.stem if target.stem.isidentifier() else "exported"
    text, plan, functions = export_source(session, modules, title)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, target)
    linecache.checkcache(str(target))
    for note in plan.unresolved.values():
        warnings.warn(f"hamilton_nb export to {target}: {note}", stacklevel=2)
    return ExportResult(target, list(modules) if modules else list(session.graph.modules),
                        [fn.__name__ for fn in functions], list(plan.helpers), list(plan.imports),
                        list(plan.constants), list(plan.unresolved.values()))
