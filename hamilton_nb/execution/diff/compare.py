"""What a recompute changed: a node's new value compared with the one it replaces.

The engine compares every recomputed value with the cached value it is about to replace
(:func:`compare`: pandas/numpy/polars aware, NaN equals NaN). A :class:`~.log.ChangeLog` remembers which
nodes the executes since the last edit recomputed (and which of them changed), whichever execute
did it (a live output's included), and keeps, for each node whose last recompute changed it,
the value it had before, so the change can be shown side by side. Memory stays bounded: at
most one previous value per node, only for changed values, released when that node is edited,
dropped or recomputed again, and never more than ``max_bytes`` in all (oldest go first).
"""
from __future__ import annotations

import dataclasses
import math
import reprlib
import sys
from typing import Any

import numpy as np
import pandas as pd

from ..remote import Remote



@dataclasses.dataclass(frozen=True)
class Comparison:
    """``same``: the new value equals the old one. ``detail``: how a changed value differs."""

    same: bool
    detail: str = ""


SAME = Comparison(True)


def compare(old: Any, new: Any) -> Comparison:
    """Did the value change? Never raises: values that can't be compared count as changed."""
    if old is new:
        return SAME
    try:
        if isinstance(old, pd.Series) and isinstance(new, pd.Series):
            return _compare_series(old, new)
        if isinstance(old, pd.DataFrame) and isinstance(new, pd.DataFrame):
            return _compare_frames(old, new)
        if isinstance(old, np.ndarray) and isinstance(new, np.ndarray):
            return _compare_arrays(old, new)
        if polars_kind(old) is not None and polars_kind(old) == polars_kind(new):
            return _compare_polars(old, new)
        if type(old) is not type(new):
            return Comparison(False, f"type {type(old).__name__} → {type(new).__name__}")
        return _compare_other(old, new)
    except Exception as exc:  # an exotic value: say so rather than guess "same"
        return Comparison(False, f"could not be compared ({type(exc).__name__}), counted as changed")


def differing(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Element-wise "differs" of two equally shaped arrays; missing equals missing."""
    differs = np.asarray(before != after, dtype=bool)
    if differs.any():
        differs &= ~(pd.isna(before) & pd.isna(after))
    return differs


def max_abs_delta(before: np.ndarray, after: np.ndarray) -> float | None:
    """Largest |after - before| over numeric values (None when not numeric or all missing)."""
    if not (_numeric(before) and _numeric(after)) or before.size == 0:
        return None
    if before.dtype.kind in "iu" and after.dtype.kind in "iu":  # exact: no rounding through float
        low, high = min(before.min(), after.min()), max(before.max(), after.max())
        if -2**62 < int(low) and int(high) < 2**62:
            return float(np.abs(after.astype(np.int64) - before.astype(np.int64)).max())
        return float(max(abs(int(a) - int(b)) for b, a in zip(before.tolist(), after.tolist())))
    with np.errstate(invalid="ignore"):
        deltas = np.abs(after.astype(float) - before.astype(float))
    deltas = deltas[~np.isnan(deltas)]
    return float(deltas.max()) if deltas.size else None


def _numeric(array: np.ndarray) -> bool:
    return array.dtype.kind in "iuf"


def _delta_text(delta: float | None) -> str:
    return "" if delta is None else f", max |Δ| {delta:.3g}"


def _compare_series(old: pd.Series, new: pd.Series) -> Comparison:
    notes = []
    if old.dtype != new.dtype:
        notes.append(f"dtype {old.dtype} → {new.dtype}")
    if old.name != new.name:
        notes.append(f"name {old.name!r} → {new.name!r}")
    if not notes and old.equals(new):  # the fast answer for the usual "same" (same index, dtype, values)
        return SAME
    if old.index is not new.index and not old.index.equals(new.index):
        what = f"length {len(old)} → {len(new)}" if len(old) != len(new) else "index changed"
        return Comparison(False, "; ".join([what, *notes]))
    before, after = old.to_numpy(), new.to_numpy()
    differs = differing(before, after)
    rows = int(np.count_nonzero(differs))
    if rows == 0 and not notes:
        return SAME
    text = f"{rows} of {len(new)} rows differ"
    if rows:
        text += _delta_text(max_abs_delta(before[differs], after[differs]))
    return Comparison(False, "; ".join([text, *notes]))


def column_notes(old: list, new: list) -> list[str]:
    """"columns added: …" and "columns removed: …", the first five of each."""
    notes = []
    for label, names in (("added", [c for c in new if c not in old]), ("removed", [c for c in old if c not in new])):
        if names:
            notes.append(f"columns {label}: {', '.join(map(str, names[:5]))}" + (" …" if len(names) > 5 else ""))
    return notes


def _compare_frames(old: pd.DataFrame, new: pd.DataFrame) -> Comparison:
    if old.equals(new) and old.columns.equals(new.columns):
        return SAME
    notes = column_notes(list(old.columns), list(new.columns))
    if not old.index.equals(new.index):
        what = f"length {len(old)} → {len(new)}" if len(old) != len(new) else "index changed"
        return Comparison(False, "; ".join([what, *notes]))
    common = [c for c in new.columns if c in old.columns]
    rows = np.zeros(len(new), dtype=bool)
    columns, deltas = 0, []
    for column in common:
        before, after = old[column].to_numpy(), new[column].to_numpy()
        differs = differing(before, after)
        if old[column].dtype != new[column].dtype:
            notes.append(f"`{column}` dtype {old[column].dtype} → {new[column].dtype}")
        if differs.any():
            rows |= differs
            columns += 1
            deltas.append(max_abs_delta(before, after))
    if not rows.any() and not notes:
        return SAME  # e.g. the same columns in another order is not a new value
    deltas = [d for d in deltas if d is not None]
    text = (f"{int(rows.sum())} of {len(new)} rows differ in {columns} of {len(common)} columns"
            + _delta_text(max(deltas) if deltas else None))
    return Comparison(False, "; ".join([text, *notes]))


def _compare_arrays(old: np.ndarray, new: np.ndarray) -> Comparison:
    if old.shape != new.shape:
        return Comparison(False, f"shape {old.shape} → {new.shape}")
    notes = [f"dtype {old.dtype} → {new.dtype}"] if old.dtype != new.dtype else []
    count = int(differing(old.ravel(), new.ravel()).sum())
    if count == 0 and not notes:
        return SAME
    text = f"{count} of {new.size} elements differ" + \
        (_delta_text(max_abs_delta(old.ravel(), new.ravel())) if count else "")
    return Comparison(False, "; ".join([text, *notes]))


# ---- polars: the same summaries, computed by polars (exact: nulls, NaN and dtypes as polars has them) ----
def polars_kind(value: Any) -> str | None:
    """"Series" / "DataFrame" for polars values (without importing polars), else None."""
    kind = type(value).__name__
    return kind if kind in ("Series", "DataFrame") and type(value).__module__.startswith("polars") else None


def polars_differs(before: Any, after: Any) -> np.ndarray:
    """Element-wise "differs" of two equally long polars Series; null equals null, NaN equals NaN."""
    try:
        mask = before.ne_missing(after)
        return np.asarray(mask.fill_null(True).to_numpy(), dtype=bool)
    except Exception:  # dtypes polars won't compare (str vs int, …): compare the Python values
        def same(b: Any, a: Any) -> bool:
            return b == a or (isinstance(b, float) and isinstance(a, float) and math.isnan(b) and math.isnan(a))
        return np.array([not same(b, a) for b, a in zip(before.to_list(), after.to_list())], dtype=bool)


def polars_masks(before: Any, after: Any) -> dict[str, np.ndarray]:
    """For two polars values of the same kind and length: {column: differs} ("value" for a Series)."""
    kind = polars_kind(before)
    if kind is None or kind != polars_kind(after) or len(before) != len(after):
        return {}
    if kind == "Series":
        return {"value": polars_differs(before, after)}
    return {c: polars_differs(before[c], after[c]) for c in after.columns if c in before.columns}


def _polars_delta(before: Any, after: Any, differs: np.ndarray) -> float | None:
    if not (before.dtype.is_numeric() and after.dtype.is_numeric()):
        return None
    import polars as pl

    keep = pl.Series(differs & ~before.is_null().to_numpy() & ~after.is_null().to_numpy())
    return max_abs_delta(before.filter(keep).to_numpy(), after.filter(keep).to_numpy())


def polars_to_pandas(value: Any) -> Any:
    """A polars Series (named ``value``'s name) or DataFrame as pandas, for showing it."""
    try:
        return value.to_pandas()
    except ImportError:  # without pyarrow
        if polars_kind(value) == "Series":
            return pd.Series(value.to_list(), name=value.name)
        return pd.DataFrame({c: value[c].to_list() for c in value.columns})


def _compare_polars(old: Any, new: Any) -> Comparison:
    notes = []
    if polars_kind(new) == "Series":
        if old.dtype != new.dtype:
            notes.append(f"dtype {old.dtype} → {new.dtype}")
        if old.name != new.name:
            notes.append(f"name {old.name!r} → {new.name!r}")
        if len(old) != len(new):
            return Comparison(False, "; ".join([f"length {len(old)} → {len(new)}", *notes]))
        differs = polars_differs(old, new)
        rows = int(np.count_nonzero(differs))
        if rows == 0 and not notes:
            return SAME
        text = f"{rows} of {len(new)} rows differ" + (_delta_text(_polars_delta(old, new, differs)) if rows else "")
        return Comparison(False, "; ".join([text, *notes]))
    notes.extend(column_notes(old.columns, new.columns))
    if old.height != new.height:
        return Comparison(False, "; ".join([f"length {old.height} → {new.height}", *notes]))
    common = [c for c in new.columns if c in old.columns]
    rows = np.zeros(new.height, dtype=bool)
    columns, deltas = 0, []
    for column in common:
        if old[column].dtype != new[column].dtype:
            notes.append(f"`{column}` dtype {old[column].dtype} → {new[column].dtype}")
        differs = polars_differs(old[column], new[column])
        if differs.any():
            rows |= differs
            columns += 1
            deltas.append(_polars_delta(old[column], new[column], differs))
    if not rows.any() and not notes:
        return SAME  # the same columns in another order is not a new value (as for pandas)
    deltas = [d for d in deltas if d is not None]
    text = (f"{int(rows.sum())} of {new.height} rows differ in {columns} of {len(common)} columns"
            + _delta_text(max(deltas) if deltas else None))
    return Comparison(False, "; ".join([text, *notes]))


def _compare_other(old: Any, new: Any) -> Comparison:
    equals = getattr(new, "equals", None)  # polars, xarray, … know their own equality
    same = bool(equals(old)) if callable(equals) else bool(old == new)
    if not same and isinstance(old, float) and math.isnan(old) and math.isnan(new):
        same = True
    if same:
        return SAME
    short = reprlib.Repr()
    short.maxstring = short.maxother = 30
    text = f"{short.repr(old)} → {short.repr(new)}"
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        text += f" (Δ {new - old:+.3g})"
    return Comparison(False, text)


def size_of(value: Any) -> int:
    """Bytes a value holds (shallow for object columns: a fast estimate, not a deep walk)."""
    if isinstance(value, Remote):  # kept on a cluster: bounded all the same
        return value.nbytes
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=False).sum())
    if isinstance(value, (pd.Series, pd.Index)):
        return int(value.memory_usage(index=True, deep=False))
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    estimated = getattr(value, "estimated_size", None)  # polars
    if callable(estimated):
        return int(estimated())
    return sys.getsizeof(value)
