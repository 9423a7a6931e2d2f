"""Sharing values between nodes safely, without copying them on the hot path.

One computed Series is handed to every node that needs it, and kept in the cache.
To stop a node from corrupting it, its data is made read-only (an in-place write
raises, and is reported as such), and its pandas manager is remembered so a
rebinding mutation (``x *= 2``, ``x.index = …``, ``x.name = …``, ``x.index.name = …``,
``x.attrs[…] = …``) is detected and undone after the node returns. DataFrames, whose columns can
be added in place, are handed out as copy-on-write shallow copies instead. Every other mutable
value — containers, instances of user classes and dataclasses, ``deque``, ``bytearray``,
estimators — is a :func:`.replicas.replica` for each receiver, with read-only views of the arrays
inside, so ``cols.append(...)``, ``model.alpha = 2`` or ``d["w"] *= 10`` can't reach the cache. A
value that can't be copied is handed out itself, and :mod:`.inplace` checks it after the node.
Inputs and config are snapshotted deeply, once, when bound: a later in-place edit of the
caller's object can't reach them.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from .replicas import Uncopyable, is_immutable, replica

Guard = tuple  # (manager, index, name, index name, attrs, MultiIndex names) of a sealed Series
_MULTI = pd.MultiIndex


def _freeze(array: Any) -> None:
    target = getattr(array, "_ndarray", array)  # numpy-backed extension arrays (datetimes, …)
    if isinstance(target, np.ndarray):
        target.flags.writeable = False


def seal(value: Any) -> Guard | None:
    """Make ``value``'s data read-only; return what :func:`tampered` compares against."""
    if type(value) is pd.Series:
        _freeze(value._values)
        index, attrs = value.index, value._attrs
        multi = tuple(index._names) if type(index) is _MULTI else None  # its names: a list changed in place
        return value._mgr, index, value._name, index._name, dict(attrs) if attrs else None, multi
    if type(value) is np.ndarray:
        value.flags.writeable = False
    return None


_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes, range, frozenset)
_SCALARS = _IMMUTABLE[:-1]  # a frozenset may hold mutable objects


def own(value: Any) -> tuple[Any, bool]:
    """A private deep copy of a caller's value (inputs, config, overrides), and whether one could
    be made. When not (an object that refuses to be copied), the caller must re-read the value's
    content before every use instead."""
    if isinstance(value, _IMMUTABLE):
        return value, True
    if isinstance(value, (pd.Series, pd.DataFrame, np.ndarray)):
        return value.copy(), True
    try:
        return copy.deepcopy(value), True
    except Exception:
        return value, False


def handout(value: Any) -> Any:
    """What a node (or a dict result) receives: the cached value itself when it can't be changed
    in place unnoticed (sealed Series and arrays, immutable values), otherwise a copy-on-write
    view (DataFrames) or a :func:`.replicas.replica`; the value itself when it can't be copied."""
    kind = type(value)
    if kind is pd.DataFrame:
        return value.copy(deep=False)
    if kind is pd.Series or kind is np.ndarray or kind in _SCALARS or is_immutable(value):
        return value
    try:
        return replica(value)
    except Uncopyable:
        return value


def tampered(value: Any, guard: Guard) -> bool:
    index = guard[1]
    return (value._mgr is not guard[0] or value.index is not index or value._name is not guard[2]
            or index._name is not guard[3] or (value._attrs or None) != guard[4]
            or guard[5] is not None and tuple(index._names) != guard[5])


def undo(value: Any, guard: Guard) -> None:
    """Put a tampered Series back exactly as it was.

    ``s.index = …`` relabels the manager in place, so the index is put back on it too.
    """
    value._mgr = guard[0]
    if value.index is not guard[1]:
        value.index = guard[1]
    value.index.names = list(guard[5]) if guard[5] is not None else [guard[3]]
    value._name = guard[2]
    object.__setattr__(value, "_attrs", dict(guard[4] or {}))


def is_read_only_write(exc: BaseException) -> bool:
    return isinstance(exc, ValueError) and "read-only" in str(exc)
