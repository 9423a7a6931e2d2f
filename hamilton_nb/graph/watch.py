"""A node computed partly by helper functions (a ``@does`` replacement, ``pipe`` steps,
``@mutate`` functions) reads what those helpers read too.

A node's version covers what its function reaches (``versions.Reach``). Helpers handed to a
decorator are called by the node but named nowhere in the function's own code, so a constant
they read could change unseen. :func:`watching` returns the function carrying its helpers as
an attribute, which is part of what it reaches: editing such a constant (or the helper) makes
the node stale.
"""
from __future__ import annotations

import types
from typing import Any, Callable, Iterable


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
    """``fn`` (same code, globals and source), carrying ``helpers``: what a node reaches includes a
    function's attributes, so the helpers' code and whatever they read count in its version."""
    code = getattr(fn, "__code__", None)
    helpers = tuple(h for h in helpers if h is not fn)
    if code is None or not helpers:
        return fn
    watched = types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    watched.__qualname__, watched.__doc__, watched.__module__ = fn.__qualname__, fn.__doc__, fn.__module__
    watched.__kwdefaults__ = fn.__kwdefaults__
    watched.__wrapped__ = fn  # what introspection (source, signature) shows
    watched.called_helpers = helpers
    return watched
