"""Private copies of arbitrary objects for a node, and what a node changed in its copy.

A node may change what it receives in place (``model.alpha = 2``, ``settings.items.append(1)``,
``queue.append(x)``, ``buf[0] = 1``). Handing it the cached object would let that change reach
the upstream value and every later reader. :func:`replica` makes a copy that costs little for
large data: arrays inside are shared as read-only views, DataFrames and Series as copy-on-write
shallow copies; everything else (containers, instances of user classes and dataclasses,
``deque``, ``OrderedDict``, ``bytearray``, ``array.array``, estimators) is rebuilt the way
pickling would rebuild it. :func:`difference` compares the copy with the original after the node
ran and says where they differ, so the change is reported rather than lost in silence.
"""
from __future__ import annotations

import collections
import copyreg
import datetime
import decimal
import enum
import fractions
import functools
import logging
import pathlib
import re
import threading
import types
import uuid
from typing import Any

import numpy as np
import pandas as pd

ATOMIC = (type(None), bool, int, float, complex, str, bytes, range, type, types.FunctionType,
          types.BuiltinFunctionType, types.ModuleType, type(Ellipsis), np.generic, datetime.date, datetime.time,
          datetime.timedelta, datetime.timezone, decimal.Decimal, fractions.Fraction, uuid.UUID, pathlib.PurePath,
          enum.Enum, re.Pattern, pd.Period, pd.Interval)  # immutable values (numpy scalars, Timestamps): shared
# Shared, never copied: they hold no data a node computes from (a lock can't be copied at all).
_SHARED = (type(threading.Lock()), type(threading.RLock()), threading.Event, threading.Condition,
           logging.Logger, logging.Handler)
_MAX_DEPTH = 200


class Uncopyable(Exception):
    """The object can't be rebuilt (an open file, a generator, a C object without pickle support)."""


def is_immutable(value: Any) -> bool:
    if type(value) is frozenset:
        return all(isinstance(item, ATOMIC) for item in value)
    return isinstance(value, ATOMIC)


def replica(value: Any) -> Any:
    """A copy of ``value`` a node may change freely without reaching ``value``; raises
    :class:`Uncopyable`. Large data is shared read-only or copy-on-write, not copied."""
    try:
        return _copy(value, {}, 0)
    except Uncopyable:
        raise
    except Exception as exc:  # a broken __reduce__, __setstate__ or copy(): not copied
        raise Uncopyable(f"{type(exc).__name__}: {exc}") from None


def _copy(value: Any, memo: dict[int, Any], depth: int) -> Any:
    if isinstance(value, ATOMIC) or isinstance(value, _SHARED):
        return value
    found = memo.get(id(value))
    if found is not None:
        return found[1]
    if depth > _MAX_DEPTH:
        raise Uncopyable(f"it nests objects more than {_MAX_DEPTH} deep")
    kind = type(value)
    if kind is np.ndarray:
        copied = value.view()
        copied.flags.writeable = False
    elif isinstance(value, (pd.DataFrame, pd.Series)):
        copied = value.copy(deep=False)  # copy-on-write: shares data until someone writes
    elif isinstance(value, pd.Index):
        copied = value.copy()  # shares its (immutable) data; ``.name`` becomes the copy's own
    elif isinstance(value, (np.ndarray, pd.api.extensions.ExtensionArray)):
        copied = value.copy()  # masked arrays, matrices, pandas extension arrays: rare, copied whole
    elif kind.__module__.startswith("polars") and hasattr(value, "clone"):
        copied = value.clone()  # shares its (immutable) buffers
    elif kind is dict:
        copied = {}
        memo[id(value)] = (value, copied)
        for key, item in value.items():  # keys stay: a copied key would be another key
            copied[key] = _copy(item, memo, depth + 1)
        return copied
    elif kind is list:
        copied = []
        memo[id(value)] = (value, copied)
        copied.extend(_copy(item, memo, depth + 1) for item in value)
        return copied
    elif kind in (tuple, set, frozenset):
        copied = kind(_copy(item, memo, depth + 1) for item in value)
    elif kind is types.MethodType:  # a bound method: its object is copied (``model.fit`` can change it)
        copied = types.MethodType(value.__func__, _copy(value.__self__, memo, depth + 1))
    else:
        return _rebuilt(value, memo, depth)
    memo[id(value)] = (value, copied)
    return copied


def _rebuilt(value: Any, memo: dict[int, Any], depth: int) -> Any:
    """An object rebuilt from what pickling it would save, its parts copied by :func:`_copy`."""
    if hasattr(type(value), "__deepcopy__"):  # the class knows how (its own state, C data)
        import copy

        try:
            copied = copy.deepcopy(value)
        except Exception as exc:
            raise Uncopyable(f"{type(exc).__name__}: {exc}") from None
        memo[id(value)] = (value, copied)
        return copied
    reducer = copyreg.dispatch_table.get(type(value))
    try:
        reduced = reducer(value) if reducer else value.__reduce_ex__(4)
    except Exception as exc:
        raise Uncopyable(f"{type(exc).__name__}: {exc}") from None
    if isinstance(reduced, str):  # a module-level singleton, pickled by name
        return value
    call, args, state, items, pairs = (tuple(reduced) + (None,) * 5)[:5]
    try:
        copied = call(*_copy(args, memo, depth + 1))
    except Uncopyable:
        raise
    except Exception as exc:
        raise Uncopyable(f"{type(exc).__name__}: {exc}") from None
    memo[id(value)] = (value, copied)
    if state is not None:
        state = _copy(state, memo, depth + 1)
        if hasattr(copied, "__setstate__") and not _default_setstate(copied):
            copied.__setstate__(state)
        else:
            attributes, slots = state if isinstance(state, tuple) and len(state) == 2 else (state, None)
            if attributes:
                vars(copied).update(attributes)
            for name, item in (slots or {}).items():
                object.__setattr__(copied, name, item)
    for item in items or ():
        copied.append(_copy(item, memo, depth + 1))
    for key, item in pairs or ():
        copied[key] = _copy(item, memo, depth + 1)
    return copied


def _default_setstate(obj: Any) -> bool:
    setstate = getattr(type(obj), "__setstate__", None)
    return setstate is None or setstate is getattr(object, "__setstate__", None)


def difference(original: Any, handed: Any, name: str) -> str | None:
    """Where ``handed`` (a :func:`replica` of ``original`` a node received as ``name``) no longer
    equals ``original`` — "`model.alpha` 1 → 2", "`settings.items` 0 → 1 items" — or None."""
    try:
        return _differ(original, handed, name, set(), 0)
    except Exception:  # a comparison that raises: the node had its own copy, only the note is lost
        return None


def _differ(a: Any, b: Any, path: str, seen: set, depth: int) -> str | None:
    if a is b or depth > _MAX_DEPTH or (id(a), id(b)) in seen:
        return None
    seen.add((id(a), id(b)))
    where = f"`{path}`"
    if type(a) is not type(b):
        return f"{where} replaced by a {type(b).__name__}"
    if isinstance(a, ATOMIC):
        return None if _equal(a, b) else f"{where} {_short(a)} → {_short(b)}"
    if isinstance(a, types.MethodType):
        return _differ(a.__self__, b.__self__, path, seen, depth + 1)
    if isinstance(a, np.ndarray):
        return None if _same_array(a, b) else f"{where} values changed"
    if isinstance(a, (pd.DataFrame, pd.Series, pd.Index)):
        return None if _same_pandas(a, b) else f"{where} {_pandas_change(a, b)}"
    if type(a).__module__.startswith("polars") and hasattr(a, "equals"):
        return None if a.equals(b) and getattr(a, "schema", None) == getattr(b, "schema", None) \
            and getattr(a, "name", None) == getattr(b, "name", None) else f"{where} changed"
    if isinstance(a, pd.api.extensions.ExtensionArray):
        return None if a.dtype == b.dtype and a.equals(b) else f"{where} values changed"
    if isinstance(a, dict):
        added, removed = [k for k in b if k not in a], [k for k in a if k not in b]
        if added or removed:
            return f"{where} keys {'added: ' + _keys(added) if added else 'removed: ' + _keys(removed)}"
        if list(a) != list(b):
            return f"{where} keys reordered"
        for key in a:
            found = _differ(a[key], b[key], f"{path}[{key!r}]", seen, depth + 1)
            if found:
                return found
        return _differ_state(a, b, path, seen, depth) if type(a) is not dict else None
    if isinstance(a, (list, tuple, collections.deque)):
        if len(a) != len(b):
            return f"{where} {len(a)} → {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            found = _differ(x, y, f"{path}[{i}]", seen, depth + 1)
            if found:
                return found
        return _differ_state(a, b, path, seen, depth) if type(a) not in (list, tuple) else None
    if isinstance(a, (set, frozenset)):
        if len(a) != len(b):
            return f"{where} {len(a)} → {len(b)} items"
        if all(is_immutable(item) for item in a):
            return None if a == b else f"{where} items replaced"
        from ..graph.value_tokens import value_token  # copies of objects in a set pair up by content

        return None if sorted(map(value_token, a)) == sorted(map(value_token, b)) else f"{where} items changed"
    if isinstance(a, bytearray) or type(a).__module__ == "array":
        return None if _equal(a, b) else f"{where} {_short(a)} → {_short(b)}"
    return _differ_state(a, b, path, seen, depth)


def _differ_state(a: Any, b: Any, path: str, seen: set, depth: int) -> str | None:
    """Compare two instances by their attributes, or what pickling them would save."""
    where = f"`{path}`"
    sa, sb = getattr(a, "__dict__", None), getattr(b, "__dict__", None)
    slots = [n for c in type(a).__mro__ for n in getattr(c, "__slots__", ()) if isinstance(n, str)
             and n not in ("__dict__", "__weakref__")]
    if sa is not None or slots:
        sa, sb = _state_of(a, sa), _state_of(b, sb)
        for name in slots:
            sa[name], sb[name] = getattr(a, name, None), getattr(b, name, None)
        added, removed = [k for k in sb if k not in sa], [k for k in sa if k not in sb]
        if added or removed:
            return f"`{path}.{(added or removed)[0]}` {'added' if added else 'removed'}"
        for name in sa:
            found = _differ(sa[name], sb[name], f"{path}.{name}", seen, depth + 1)
            if found:
                return found
        if not _native(type(a)):
            return None
    try:
        ra, rb = _reduced(a), _reduced(b)
    except Exception:
        ra = rb = None
    if ra is not None and rb is not None and ra[0] is rb[0]:
        return _differ(ra[1:], rb[1:], path, seen, depth + 1)
    return None if _equal(a, b) else f"{where} changed"


def _state_of(obj: Any, attributes: dict | None) -> dict:
    """An instance's attributes without the caches filled on first use (``cached_property``,
    pandas' ``_cache``): reading one is no change."""
    kind = type(obj)
    return {name: item for name, item in (attributes or {}).items()
            if name != "_cache" and not isinstance(getattr(kind, name, None), functools.cached_property)}


def _reduced(value: Any) -> tuple:
    reducer = copyreg.dispatch_table.get(type(value))
    reduced = reducer(value) if reducer else value.__reduce_ex__(4)
    if not isinstance(reduced, tuple):
        return None
    call, args, state, items, pairs = (reduced + (None,) * 5)[:5]
    return call, args, state, None if items is None else list(items), None if pairs is None else list(pairs)


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.strides == b.strides and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]:
        return True  # a read-only view of the same memory
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _pandas_change(a: Any, b: Any) -> str:
    if isinstance(a, pd.DataFrame):
        added, removed = [c for c in b.columns if c not in a.columns], [c for c in a.columns if c not in b.columns]
        if added or removed:
            return f"columns {'added: ' + _keys(added) if added else 'removed: ' + _keys(removed)}"
    if isinstance(a, pd.Index):
        return "names changed" if a.equals(b) else "values changed"
    if not a.index.equals(b.index):
        return "index changed"
    if a.index.names != b.index.names:
        return "index names changed"
    if getattr(a, "name", None) != getattr(b, "name", None):
        return "name changed"
    return "attrs changed" if a.attrs != b.attrs else "values changed"


def _views(x: Any, y: Any) -> bool:
    """Whether two pandas arrays are views of the same memory (a copy-on-write copy untouched)."""
    x, y = getattr(x, "_ndarray", x), getattr(y, "_ndarray", y)
    return (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.shape == y.shape and x.dtype == y.dtype
            and x.strides == y.strides and x.__array_interface__["data"][0] == y.__array_interface__["data"][0])


def _same_data(a: Any, b: Any) -> bool:
    """``a.equals(b)``, without reading the data when ``b`` still shares it with ``a``."""
    if isinstance(a, pd.DataFrame):
        blocks, others = a._mgr.blocks, b._mgr.blocks
        if len(blocks) == len(others) and all(
                x.mgr_locs.as_array.tolist() == y.mgr_locs.as_array.tolist() and _views(x.values, y.values)
                for x, y in zip(blocks, others)):
            return True
    elif _views(a._values, b._values):
        return True
    return a.equals(b)


def _same_index(a: pd.Index, b: pd.Index) -> bool:
    if a is not b and (type(a) is not type(b) or not (  # a RangeIndex compares in O(1); its values are made
            a.equals(b) if isinstance(a, pd.RangeIndex) else _views(a._values, b._values) or a.equals(b))):
        return False
    return a.names == b.names and a.dtype == b.dtype


def _same_pandas(a: Any, b: Any) -> bool:
    if isinstance(a, pd.Index):
        return _same_index(a, b)
    if not (_same_index(a.index, b.index) and _same_data(a, b) and a.attrs == b.attrs):
        return False
    if isinstance(a, pd.Series):
        return a.name == b.name and a.dtype == b.dtype
    return _same_index(a.columns, b.columns) and (a.dtypes == b.dtypes).all()


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) or (a != a and b != b)
    except Exception:
        return False


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _keys(keys: list) -> str:
    return ", ".join(f"`{k}`" for k in keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")


def _native(kind: type) -> bool:
    """Whether instances keep state outside ``__dict__`` and slots (a base written in C)."""
    return any(not base.__flags__ & (1 << 9) for base in kind.__mro__ if base is not object)
