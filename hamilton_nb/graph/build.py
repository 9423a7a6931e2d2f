"""Functions → nodes: the paradigm's rules. Modifiers build on them (:mod:`hamilton_nb.function_modifiers.nodes`)."""
from __future__ import annotations

import inspect
import types
import typing
from typing import Any, Callable, Mapping

from ..errors import GraphError
from . import fingerprint as fp, parallel
from .node import Dependency, Node

# Decorators in ``hamilton_nb.function_modifiers`` append themselves to this attribute.
MODIFIERS_ATTR = "__hamilton_nb_modifiers__"

_CO_VARARGS, _CO_VARKEYWORDS, _CO_GENERATOR = 0x04, 0x08, 0x20
_CO_COROUTINE, _CO_ASYNC_GENERATOR = 0x80, 0x200


def where(module: str) -> str:
    return f"module `{module}`" if module else "the session"


def candidate_functions(namespace: Mapping[str, Any], module_name: str | None) -> list[Callable]:
    """Public functions defined in ``namespace`` (imported ones and ``_private`` ones are not nodes)."""
    found = []
    for name, value in namespace.items():
        if name.startswith("_") or not isinstance(value, types.FunctionType):
            continue
        if name not in (value.__name__, value.__code__.co_name) and not (
                value.__code__.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS) and wrapped_name(value) == name):
            continue  # an alias; but a `*args` wrapper made without functools.wraps stays, to be explained
        if module_name is not None and value.__module__ != module_name:
            continue
        found.append(value)
    return found


def functions_of_module(module: types.ModuleType) -> list[Callable]:
    return candidate_functions(vars(module), module.__name__)


def _wrapped(fn: Callable) -> tuple[str, Callable] | None:
    """(closure variable, function) a wrapper holds: the function a decorator wrapped."""
    code = getattr(fn, "__code__", None)
    found = []
    for variable, cell in zip(code.co_freevars if code else (), getattr(fn, "__closure__", None) or ()):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, types.FunctionType) and value.__name__ != fn.__name__:
            found.append((variable, value))
    return found[0] if len(found) == 1 else None


def wrapped_name(fn: Callable) -> str | None:
    """The name of the function a decorator wrapped in ``fn`` without ``functools.wraps`` (so
    ``fn`` has the wrapper's name and signature), or None when ``fn`` is not such a wrapper."""
    if not isinstance(fn, types.FunctionType) or getattr(fn, "__wrapped__", None) is not None:
        return None
    inner = _wrapped(fn)
    return inner[1].__name__ if inner is not None else None


def _unwrapped_decorator_error(fn: Callable, module: str) -> GraphError | None:
    """A decorator returned a ``*args/**kwargs`` wrapper without ``functools.wraps``: say so."""
    inner = _wrapped(fn) if getattr(fn, "__wrapped__", None) is None else None
    outer = fn.__qualname__.split(".<locals>.")
    registered = inner[1].__name__ if inner else next(
        (key for key, value in getattr(fn, "__globals__", {}).items() if value is fn and key != fn.__name__), None)
    if registered is None or len(outer) < 2 and inner is None:  # `g = f` of a plain `def f(*args)`
        return None
    decorator = f"`{outer[-2].rpartition('.')[2]}`" if len(outer) > 1 else "its decorator"
    variable = inner[0] if inner else "fn"
    return GraphError(
        f"Function `{registered}` in {where(module)} is wrapped by {decorator}, which does not keep its "
        f"signature: the graph sees the wrapper `{fn.__name__}{inspect.signature(fn)}`, not the named, annotated "
        f"parameters of `{registered}`.\n"
        f"Fix: in {decorator}, put `@functools.wraps({variable})` on the line above `def {fn.__name__}(...)` "
        "(and `import functools`).")


def _annotations(fn: Callable, module: str) -> dict[str, Any]:
    annotations = getattr(fn, "__annotations__", {}) or {}
    if any(isinstance(a, str) for a in annotations.values()):
        try:
            return typing.get_type_hints(fn)
        except Exception as exc:
            raise GraphError(
                f"Function `{fn.__name__}` in {where(module)}: cannot resolve its type hints ({exc}).\n"
                "Fix: import the names used in the hints before defining the function."
            ) from None
    return annotations


def signature_of(fn: Callable, module: str) -> tuple[dict[str, Dependency], Any]:
    """Parameters as dependencies ({param: Dependency}) and the return type; strict about hints."""
    name = fn.__name__
    unwrapped = inspect.unwrap(fn)  # a `functools.wraps` decorator keeps the user's signature
    if isinstance(unwrapped, types.FunctionType):
        fn = unwrapped
    code = fn.__code__
    if code.co_flags & (_CO_COROUTINE | _CO_ASYNC_GENERATOR):
        raise GraphError(f"Function `{name}` in {where(module)} is `async`; nodes must be plain functions.\n"
                         f"Fix: make `{name}` a regular `def`, or prefix it with `_` to keep it out of the graph.")
    if code.co_flags & _CO_GENERATOR and not parallel.is_parallelizable(_annotations(fn, module).get("return")):
        raise GraphError(f"Function `{name}` in {where(module)} is a generator (it uses `yield`); "
                         "a node must return its value (or, to fan out, be annotated `-> Parallelizable[...]`).\n"
                         f"Fix: `return` the value instead of yielding it, or rename it `_{name}`.")
    if code.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS):
        raise _unwrapped_decorator_error(fn, module) or GraphError(f"Function `{name}` in {where(module)} takes *args/**kwargs; every input of a "
                         "node must be a named parameter.\n"
                         f"Fix: list the inputs `{name}` needs as named, annotated parameters.")
    if code.co_posonlyargcount:
        raise GraphError(f"Function `{name}` in {where(module)} has positional-only parameters (`/`); "
                         "a node receives its inputs by name.\n"
                         f"Fix: remove the `/` from the signature of `{name}`.")
    n_pos, n_kw = code.co_argcount, code.co_kwonlyargcount
    params = code.co_varnames[: n_pos + n_kw]
    defaults = fn.__defaults__ or ()
    optional = set(params[n_pos - len(defaults): n_pos]) | set((fn.__kwdefaults__ or {}).keys())
    hints = _annotations(fn, module)
    deps = {}
    for param in params:
        if param not in hints:
            raise GraphError(
                f"Function `{name}` in {where(module)} has no type hint for parameter `{param}`.\n"
                f"Fix: annotate it, e.g. `def {name}(..., {param}: pd.Series, ...)` — the hints say "
                "how functions connect.")
        deps[param] = Dependency(node=param, type=hints[param], required=param not in optional)
    if "return" not in hints:
        raise GraphError(f"Function `{name}` in {where(module)} has no return type hint.\n"
                         f"Fix: annotate what it returns, e.g. `def {name}(...) -> pd.Series:`.")
    return deps, hints["return"]


def function_node(fn: Callable, module: str, name: str | None = None) -> Node:
    """The plain paradigm: the function's name is the output, its parameters the inputs."""
    deps, return_type = signature_of(fn, module)
    return Node(name=name or fn.__name__, callable=fn, type=return_type, dependencies=deps,
                doc=inspect.cleandoc(fn.__doc__) if fn.__doc__ else "", module=module, function=fn,
                fingerprint=fp.function_fingerprint(fn))
