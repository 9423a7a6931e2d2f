"""Functions decorated with Apache Hamilton's own decorators → hamilton_nb nodes.

Code written for Apache Hamilton (``from hamilton.function_modifiers import …``) runs
unchanged: Apache Hamilton resolves the decorated function into its nodes with its own
rules, and each of its nodes becomes one of ours, so staleness, the widget, the status
table and export work on them. Apache Hamilton is an optional dependency (the
``hamilton`` extra); the functions carrying its decorators only exist when it is installed.

A node's fingerprint covers the function's code, Apache Hamilton's version and every
decorator's arguments (walked deeply, helper functions by their code), so editing a
decorator argument makes the function's nodes stale, as with our own modifiers.
"""
from __future__ import annotations

import contextlib
import inspect
import logging
import sys
import types
from typing import Any, Callable, Mapping

from ..errors import GraphError
from . import fingerprint as fp
from .value_tokens import value_token
from .node import Dependency, Node
from .watch import helpers_in, watching

# Where Apache Hamilton's decorators record themselves on a function (its lifecycle steps).
LIFECYCLE_ATTRS = ("resolve", "generate", "inject", "expand", "transform", "decorate_nodes", "dynamic")
SUPPORTED = ((1, 90, 0), (2, 0, 0))  # the versions tested (pyproject's `hamilton` extra): >= 1.90, < 2
EXTRA = "pip install 'hamilton_nb[hamilton]'"


def _where(module: str) -> str:
    return f"module `{module}`" if module else "the session"


def decorators_of(fn: Callable) -> list[Any]:
    """Apache Hamilton decorator objects on ``fn`` (empty for plain or hamilton_nb-decorated functions)."""
    if not getattr(fn, "__dict__", None):  # the common case: a plain, undecorated function
        return []
    found = []
    for attr in LIFECYCLE_ATTRS:
        value = getattr(fn, attr, None)
        if isinstance(value, list):
            found.extend(d for d in value if callable(getattr(type(d), "get_lifecycle_name", None)))
    return found


def decorator_label(decorator: Any) -> str:
    return f"@{type(decorator).__name__}"


def _labels(decorators: list[Any]) -> str:
    return ", ".join(dict.fromkeys(decorator_label(d) for d in decorators))


def _refusal(fn: Callable, module: str, decorators: list[Any], problem: str, fix: str) -> GraphError:
    return GraphError(f"`{fn.__name__}` in {_where(module)} uses Apache Hamilton's {_labels(decorators)}: "
                      f"{problem}\nFix: {fix}")


def _hamilton(fn: Callable, module: str, decorators: list[Any]):
    """Apache Hamilton's package, if an installed version we support; else a clear refusal."""
    try:
        import hamilton
        from hamilton.function_modifiers import base
        from hamilton.version import VERSION
    except ImportError:
        raise _refusal(fn, module, decorators, "Apache Hamilton is not installed, so its decorators "
                       "cannot be resolved.",
                       f"{EXTRA}, or import the decorators from `hamilton_nb.function_modifiers`.") from None
    version = tuple(VERSION[:3])
    if not SUPPORTED[0] <= version < SUPPORTED[1]:
        shown = ".".join(map(str, version))
        raise _refusal(fn, module, decorators, f"Apache Hamilton {shown} is installed; hamilton_nb "
                       "works with versions 1.90 up to (not including) 2.0.",
                       f"{EXTRA} (installs a supported version), or import the decorators from "
                       "`hamilton_nb.function_modifiers`.")
    return hamilton, base, ".".join(map(str, version))


@contextlib.contextmanager
def _quiet_resolution_log():
    """Apache Hamilton logs a traceback before re-raising; we raise one clear error instead."""
    log = logging.getLogger("hamilton.function_modifiers.base")
    before = log.disabled
    log.disabled = True
    try:
        yield
    finally:
        log.disabled = before


def nodes_from_apache(fn: Callable, module: str, config: Mapping[str, Any]) -> list[Node]:
    """The nodes Apache Hamilton makes of ``fn`` under ``config``, as hamilton_nb nodes."""
    decorators = decorators_of(fn)
    _, base, version = _hamilton(fn, module, decorators)
    _check_mutations_are_local(fn, module, decorators)
    name = fn.__name__
    try:
        with _quiet_resolution_log():
            resolved = list(base.resolve_nodes(fn, dict(config)))
    except Exception as exc:
        raise _refusal(fn, module, decorators, f"Apache Hamilton could not resolve it: "
                       f"{type(exc).__name__}: {exc}",
                       "correct the decorator arguments (or the function's signature) as the message says.") \
            from None
    finally:
        fn.__name__ = name  # Apache Hamilton's @config renames the function it resolves; keep the user's
    if not resolved:
        return []
    shared = fp.digest("apache-hamilton", version, fp.function_fingerprint(fn), value_token(decorators))
    watched = watching(fn, helpers_in(decorators))
    return [_translate(n, fn, module, decorators, shared, watched) for n in resolved]


def _translate(hnode: Any, fn: Callable, module: str, decorators: list[Any], shared: str,
               watched: Callable) -> Node:
    call = hnode.callable
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        raise _refusal(fn, module, decorators, f"its node `{hnode.name}` is `async`, and nodes must be "
                       "plain functions.", f"make `{fn.__name__}` a regular `def`.")
    deps = {}
    for param, (type_, dependency_type) in hnode.input_types.items():
        deps[param] = Dependency(node=param, type=type_,
                                 required=getattr(dependency_type, "name", "REQUIRED") == "REQUIRED")
    return Node(name=hnode.name, callable=call, type=hnode.type, dependencies=deps,
                doc=inspect.cleandoc(hnode.documentation or ""), tags=dict(hnode.tags), module=module,
                function=watched, fingerprint=fp.digest(shared, hnode.name))


def _check_mutations_are_local(fn: Callable, module: str, decorators: list[Any]) -> None:
    """``@mutate`` edits its target function from elsewhere: only follow it within one cell/file.

    A ``@mutate`` in another cell would apply to the target only when the target's cell is
    re-run — and twice after the mutating cell is re-run: silently wrong either way.
    """
    home = getattr(getattr(fn, "__code__", None), "co_filename", None)
    for decorator in decorators:
        seen = set()
        for step in getattr(decorator, "transforms", ()) or ():
            step_fn = getattr(step, "fn", None)
            code = getattr(step_fn, "__code__", None)
            if code is None or getattr(step, "target_fn", None) is None:  # not a @mutate step
                continue
            if code.co_filename != home:
                raise _refusal(fn, module, decorators,
                               f"it is changed by `{step_fn.__name__}` (@mutate), which "
                               "is defined in another cell or file; hamilton_nb follows a transformation "
                               "only where the function it changes is defined.",
                               f"put `{step_fn.__name__}` in the same cell/module as `{fn.__name__}`.")
            # Two definitions of one name in a module, each with its @mutate, are two steps (Apache
            # Hamilton runs both); the same definition twice means its decorator ran again.
            where_defined = (code.co_filename, code.co_firstlineno)
            if where_defined in seen or id(step_fn) in seen:
                raise _refusal(fn, module, decorators,
                               f"@mutate applies `{step_fn.__name__}` to it twice (its decorator ran again "
                               "on the same target).",
                               f"re-run the cell that defines `{fn.__name__}` together with its @mutate "
                               "functions (keep them in one cell).")
            seen.update((where_defined, id(step_fn)))


def check_mutations_stay_home(functions: list[Callable]) -> None:
    """Refuse a ``@mutate`` among ``functions``' cell/file that targets a function defined elsewhere.

    Apache Hamilton's ``@mutate`` edits its target function object when it runs; a target in
    another cell would pick the edit up only whenever that cell is next resolved.
    """
    if "hamilton.function_modifiers" not in sys.modules or not functions:
        return
    files = {fn.__code__.co_filename for fn in functions if hasattr(fn, "__code__")}
    namespaces = {id(fn.__globals__): fn.__globals__ for fn in functions if hasattr(fn, "__globals__")}
    for namespace in namespaces.values():
        for target in list(namespace.values()):
            if not isinstance(target, types.FunctionType) or not isinstance(getattr(target, "transform", None), list):
                continue
            for decorator in target.transform:
                for step in getattr(decorator, "transforms", ()) or ():
                    step_fn = getattr(step, "fn", None)
                    code = getattr(step_fn, "__code__", None)
                    if code is None or getattr(step, "target_fn", None) is None or code.co_filename not in files:
                        continue
                    if target.__code__.co_filename != code.co_filename:
                        raise GraphError(
                            f"`{step_fn.__name__}` uses Apache Hamilton's @mutate on `{target.__name__}`, which is "
                            "defined in another cell or file; hamilton_nb follows @mutate only where its target "
                            "is defined (elsewhere the change would apply late, or twice).\n"
                            f"Fix: move `{step_fn.__name__}` into the cell/module that defines "
                            f"`{target.__name__}`, then re-run that cell (it also drops this change).")
