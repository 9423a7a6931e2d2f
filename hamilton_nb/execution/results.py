"""Result builders: computed values → what the caller asked for (DataFrame, dict or polars)."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ResultError
from .sharing import handout
from .cache import nbytes_of
from .optional import require

_MAX_BLOCKS = 64
# Frames up to this size are copied into one block: handing out a shallow copy is then O(1)
# whatever the column count, and the copy costs little. Larger frames share their columns'
# memory with the cache (one block per column), so the data is held once.
SMALL_FRAME_BYTES = 64 * 2 ** 20


def as_dict(values: Mapping[str, Any], outputs: Sequence[str]) -> dict[str, Any]:
    """Values by name; each one the caller can edit without reaching the cache (Series are
    copy-on-write views, containers rebuilt, arrays read-only)."""
    return {name: values[name].copy(deep=False) if isinstance(values[name], pd.Series) else handout(values[name])
            for name in outputs}


def _describe_index(index: pd.Index) -> str:
    if len(index) == 0:
        return f"{type(index).__name__} (empty)"
    return f"{type(index).__name__} of {len(index)} ({index[0]!r} … {index[-1]!r})"


def check_aligned(values: Mapping[str, Any], outputs: Sequence[str]) -> pd.Index | None:
    """The shared index of the pandas outputs; a clear error naming the odd one out."""
    first_name, first = None, None
    for name in outputs:
        value = values[name]
        if not isinstance(value, (pd.Series, pd.DataFrame)):
            continue
        index = value.index
        if first is None:
            first_name, first = name, index
        elif index is not first and not index.equals(first):
            raise ResultError(
                f"Cannot put `{name}` and `{first_name}` in one DataFrame: their indexes differ.\n"
                f"  {first_name}: {_describe_index(first)}\n  {name}: {_describe_index(index)}\n"
                f"Fix: make `{name}` return a value on the same index (e.g. `.reset_index(drop=True)` "
                "or `.reindex(...)`), or ask for a dict result instead.")
    return first


def _columns(values: Mapping[str, Any], outputs: Sequence[str]) -> dict[str, Any]:
    """One column per output; a DataFrame among several outputs gives its columns as
    ``output.column`` (as Apache Hamilton names them, so the two frames match)."""
    columns: dict[str, Any] = {}
    for name in outputs:
        value = values[name]
        if isinstance(value, pd.DataFrame):
            columns.update((f"{name}.{column}", value[column]) for column in value.columns)
        else:
            columns[name] = value
    return columns


def _refuse(key: str, why: str) -> ResultError:
    return ResultError(f"Cannot put `{key}` in a DataFrame: {why}.\nFix: return a list, 1-D array or "
                       "pd.Series of one length (or a scalar), or ask for a dict result instead.")


def _check_rows(key: str, value: Any, index: pd.Index) -> None:
    """A list, array or dict beside pandas outputs must fit their index exactly: pandas would
    otherwise add rows (Apache Hamilton's outer join) or fill gaps, never what was meant."""
    if isinstance(value, dict):
        extra = [k for k in value if k not in index]
        if extra:
            raise _refuse(key, f"its keys {extra[:3]!r} are not in the other outputs' index "
                               f"({_describe_index(index)})")
    elif isinstance(value, np.ndarray) and value.ndim != 1:
        raise _refuse(key, f"it is a {value.ndim}-D array")
    elif len(value) != len(index):
        raise _refuse(key, f"it has length {len(value)} but the other outputs have {len(index)} rows")


def build_dataframe(values: Mapping[str, Any], outputs: Sequence[str]) -> pd.DataFrame:
    """The frame Apache Hamilton's default result gives: a lone DataFrame as it is; scalars alone
    one row; lists, tuples and 1-D arrays as rows, dicts as rows labelled by their keys; Series side
    by side. Where pandas would outer-join or pad (indexes that differ, dict keys outside the
    index) hamilton_nb refuses instead, naming the output."""
    if len(outputs) == 1 and isinstance(values[outputs[0]], pd.DataFrame):
        return values[outputs[0]].copy(deep=False)
    index = check_aligned(values, outputs)
    columns = _columns(values, outputs)
    if not any(pd.api.types.is_list_like(value) for value in columns.values()):
        return pd.DataFrame({k: [v] for k, v in columns.items()})
    if index is None:
        for key, value in columns.items():
            if isinstance(value, np.ndarray) and value.ndim != 1:
                raise _refuse(key, f"it is a {value.ndim}-D array")
        return _framed(columns)
    for key, value in columns.items():
        if pd.api.types.is_list_like(value) and not isinstance(value, (pd.Series, pd.DataFrame)):
            _check_rows(key, value, index)
    small = sum(nbytes_of(value) for value in columns.values()) <= SMALL_FRAME_BYTES
    return _framed(columns, index=index, copy=small)


def _framed(columns: dict[str, Any], **options: Any) -> pd.DataFrame:
    """``pd.DataFrame(columns)``; what pandas cannot frame (lengths that differ, a set) refused
    with the list-like outputs named."""
    try:
        return pd.DataFrame(columns, **options)
    except (ValueError, TypeError) as error:
        shown = ", ".join(f"`{k}`: {type(v).__name__}" + (f" of {len(v)}" if hasattr(v, "__len__") else "")
                          for k, v in columns.items() if pd.api.types.is_list_like(v))
        raise ResultError(f"Cannot put these outputs in one DataFrame ({shown}): {error}.\n"
                          "Fix: return lists or arrays of one length (dicts only with scalars), "
                          "or ask for a dict result instead.") from None


def shares_memory(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is built on the cached values themselves (a large frame)."""
    return nbytes_of(frame) > SMALL_FRAME_BYTES


def pandas_outputs(values: Mapping[str, Any], names: Sequence[str]) -> set[str]:
    """The outputs among ``names`` whose value is a Series or DataFrame (they set a frame's rows)."""
    return {name for name in names if isinstance(values[name], (pd.Series, pd.DataFrame))}


def update_dataframe(previous: pd.DataFrame, values: Mapping[str, Any],
                     changed: Sequence[str], outputs: Sequence[str], indexed: bool) -> pd.DataFrame | None:
    """Reuse the last frame for the same outputs, replacing only changed columns; ``indexed``:
    whether a Series or DataFrame among the outputs (after the change) sets its rows.

    Returns None when that is not possible (shape or index changed): build anew.
    """
    if any(isinstance(values[name], pd.DataFrame) for name in changed):
        return None
    if not indexed:
        return None  # rows come from lists, arrays or dicts, or a single row of scalars: build anew
    if any(pd.api.types.is_list_like(values[name]) and not isinstance(values[name], pd.Series)
           for name in changed):
        return None
    for name in changed:
        value = values[name]
        if isinstance(value, pd.Series) and not (value.index is previous.index
                                                  or value.index.equals(previous.index)):
            return None
    frame = previous.copy(deep=False)
    for name in changed:
        frame[name] = values[name]  # shares the new value's memory (copy-on-write)
    if frame._mgr.nblocks > _MAX_BLOCKS and not shares_memory(frame):
        frame = frame.copy()  # many edits fragment a small frame; merge it back once
    return frame


def build_polars(values: Mapping[str, Any], outputs: Sequence[str]) -> Any:
    """A polars DataFrame of the outputs: polars or pandas Series (and numpy arrays) side by side,
    polars/pandas DataFrames expanded into their columns, scalars broadcast.

    pandas outputs must share one index (checked as for pandas results); unless it is a plain
    ``RangeIndex`` it becomes the first column (named after the index, else ``index``), since
    polars frames have no index. Needs ``pip install 'hamilton_nb[polars]'``.
    """
    pl = require("polars", "polars", "A polars result")
    index = check_aligned(values, outputs)
    columns: dict[str, Any] = {}
    lengths: dict[str, int] = {}  # node -> rows
    for name in outputs:
        value = values[name]
        if isinstance(value, pd.DataFrame):
            value = pl.from_pandas(value)
        if isinstance(value, pl.DataFrame):
            lengths[name] = value.height
            for column in value.columns:
                key = column if len(outputs) == 1 or (column not in columns and column not in outputs) \
                    else f"{name}.{column}"
                columns[key] = value.get_column(column).alias(key)
            continue
        if isinstance(value, pd.Series):
            value = pl.from_pandas(value.reset_index(drop=True))
        elif isinstance(value, np.ndarray) and value.ndim == 1:
            value = pl.Series(name, value)
        if isinstance(value, pl.Series):
            lengths[name] = len(value)
            columns[name] = value.alias(name)
        else:
            columns[name] = value  # a scalar: broadcast below
    if len(set(lengths.values())) > 1:
        by_length: dict[int, list[str]] = {}
        for name, length in lengths.items():
            by_length.setdefault(length, []).append(name)
        shown = "; ".join(f"{', '.join(f'`{n}`' for n in names)}: {length} rows"
                          for length, names in sorted(by_length.items(), key=lambda kv: -len(kv[1])))
        raise ResultError(f"Cannot put these outputs in one polars DataFrame: their lengths differ ({shown}).\n"
                          "Fix: make them return Series of the same length, or ask for a dict result.")
    rows = next(iter(lengths.values()), 1)
    for key, value in columns.items():
        if not isinstance(value, pl.Series):
            columns[key] = pl.Series(key, [value] * rows)
    if index is not None and not isinstance(index, pd.RangeIndex) and index.nlevels == 1:
        label = str(index.name) if index.name is not None else "index"
        if label not in columns:
            columns = {label: pl.from_pandas(index.to_series(index=range(len(index)))).alias(label),
                       **columns}
    return pl.DataFrame(list(columns.values()))
