"""Sharing values between nodes safely, without copying them on the hot path.

One computed Series is handed to every node that needs it, and kept in the cache.
To stop a node from corrupting it, its data is made read-only (an in-place write
raises, and is reported as such), and its pandas manager is remembered so a
rebinding mutation (``x *= 2``, ``x.index = …``, ``x.name = …``) is detected and undone after the
node returns. DataFrames, whose columns can be added in place, are handed out as
copy-on-write shallow copies instead. Inputs are copied once, when bound.
"""
from __future__ import annotations

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


def own(value: Any) -> Any:
    """A private, sealed copy of a caller's value (inputs, overrides): later edits can't reach it."""
    if isinstance(value, (pd.Series, pd.DataFrame, np.ndarray)):
        value = value.copy()
    return value


def handout(value: Any) -> Any:
    """What a node receives: the value itself, or a copy-on-write view of a DataFrame."""
    return value.copy(deep=False) if type(value) is pd.DataFrame else value


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
