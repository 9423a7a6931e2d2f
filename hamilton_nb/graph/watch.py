"""A node computed partly by helper functions (a ``@does`` replacement, ``pipe`` steps,
``@mutate`` functions) reads what those helpers read too.

A node's version watches the globals its function reads (``versions.Versioner``). Helpers
handed to a decorator are called by the node but named nowhere in the function's own code,
so a constant they read could change unseen. :func:`watching` returns the function with the
helpers' global names added to the names it is watched for — same code, same source, same
globals — so editing such a constant (or rebinding the helper) makes the node stale.
"""
from __future__ import annotations

import types
from typing import Any, Callable, Iterable

from .fingerprint import global_names


def helpers_in(obj: Any, _seen: set | None = None) -> list[types.FunctionType]:
    """Plain functions held (at any depth) by decorator objects, lists, dicts and tuples."""
    seen = set() if _seen is None else _seen
    if id(obj) in seen or isinstance(obj, (str, bytes, int, float, bool, type(None), type, types.ModuleType)):
        return []
    seen.add(id(obj))
    if isinstance(obj, types.FunctionType):
        return [obj]
    if isinstance(obj, dict):
        items: Iterable = obj.values()
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = obj
    else:
        items = list(getattr(obj, "__dict__", {}).values())
        items += [getattr(obj, s) for k in type(obj).__mro__ for s in getattr(k, "__slots__", ()) or ()
                  if isinstance(s, str) and hasattr(obj, s)]
    found = []
    for item in items:
        found.extend(helpers_in(item, seen))
    return found


def watching(fn: Callable, helpers: Iterable[Callable]) -> Callable:
    """``fn``, watched also for the globals ``helpers`` read (helpers sharing its module)."""
    code = getattr(fn, "__code__", None)
    namespace = getattr(fn, "__globals__", None)
    if code is None or namespace is None:
        return fn
    extra: list[str] = []
    for helper in helpers:
        if helper is fn or getattr(helper, "__globals__", None) is not namespace:
            continue
        for name in (helper.__name__, *global_names(helper.__code__)):
            if name not in code.co_names and name not in extra and namespace.get(name) is not fn:
                extra.append(name)
    if not extra:
        return fn
    watched = types.FunctionType(code.replace(co_names=code.co_names + tuple(extra)), namespace, fn.__name__,
                                 fn.__defaults__, fn.__closure__)
    watched.__qualname__, watched.__doc__, watched.__module__ = fn.__qualname__, fn.__doc__, fn.__module__
    watched.__wrapped__ = fn  # what introspection (source, signature) shows
    return watched
