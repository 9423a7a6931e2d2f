"""Sharing values between nodes safely, without copying them on the hot path.

One computed Series is handed to every node that needs it, and kept in the cache.
To stop a node from corrupting it, its data is made read-only (an in-place write
raises, and is reported as such), and its pandas manager is remembered so a
rebinding mutation (``x *= 2``, ``x.index = …``, ``x.name = …``) is detected and undone after the
node returns. DataFrames, whose columns can be added in place, are handed out as
copy-on-write shallow copies instead. Containers (lists, dicts, sets, tuples) are rebuilt
for each receiver, with read-only views of the arrays inside, so ``cols.append(...)`` or
``d["w"] *= 10`` can't reach the cache. Inputs and config are snapshotted deeply, once,
when bound: a later in-place edit of the caller's object can't reach them.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

Guard = tuple  # (manager, index, name) of a sealed Series


def _freeze(array: Any) -> None:
    target = getattr(array, "_ndarray", array)  # numpy-backed extension arrays (datetimes, …)
    if isinstance(target, np.ndarray):
        target.flags.writeable = False


def seal(value: Any) -> Guard | None:
    """Make ``value``'s data read-only; return what :func:`tampered` compares against."""
    if type(value) is pd.Series:
        _freeze(value._values)
        return (value._mgr, value.index, value._name)
    if type(value) is np.ndarray:
        value.flags.writeable = False
    return None


_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes, range, frozenset)
_CONTAINERS = (dict, list, tuple, set)


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
    in place unnoticed, otherwise a copy-on-write view (DataFrames) or a rebuilt container."""
    kind = type(value)
    if kind is pd.DataFrame:
        return value.copy(deep=False)
    if kind in _CONTAINERS:
        return _protect(value)
    return value


def _protect(value: Any) -> Any:
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is dict:
        return {key: _protect(item) for key, item in value.items()}
    if kind in (list, tuple, set):
        return kind(_protect(item) for item in value)
    if isinstance(value, (pd.Series, pd.DataFrame)):
        return value.copy(deep=False)  # copy-on-write: shares data until someone writes
    if isinstance(value, np.ndarray):
        view = value.view()
        view.flags.writeable = False
        return view
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def tampered(value: Any, guard: Guard) -> bool:
    return value._mgr is not guard[0] or value.index is not guard[1] or value._name is not guard[2]


def undo(value: Any, guard: Guard) -> None:
    """Put a tampered Series back exactly as it was.

    ``s.index = …`` relabels the manager in place, so the index is put back on it too.
    """
    value._mgr = guard[0]
    if value.index is not guard[1]:
        value.index = guard[1]
    value._name = guard[2]


def is_read_only_write(exc: BaseException) -> bool:
    return isinstance(exc, ValueError) and "read-only" in str(exc)
