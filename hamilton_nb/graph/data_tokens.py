"""Content tokens of data: pandas, numpy and polars values, by everything that makes them up.

A token covers the whole value: its dtype with the dtype's metadata (categories and their
order, the ``ordered`` flag, time zone and unit, period frequency, interval closure, sparse fill
value, string storage), the index with its type, names and ``freq``, every level and code of
a ``MultiIndex``, the null mask, and the bit pattern of every float (``-0.0`` and NaN payloads
included). Values that differ in any of these never share a token; equal values built apart
share one, in any process (no ``id``, no per-process hash seeds).

Numeric columns are hashed as raw buffers; categoricals as their codes plus one token of their
categories; object columns of plain scalars through pandas' vectorised hash plus the type of
each element. Only objects of other types are tokenized one by one.

Functions here take ``token``, the caller's tokenizer (it memoises and raises ``Untracked``).
"""
from __future__ import annotations

import hashlib
import struct
import sys
from typing import Any, Callable

from .fingerprint import digest

Token = Callable[[Any], str]
_PLAIN_SCALARS = (str, bytes, int, bool, float, type(None))  # hashed by pandas, their type kept aside


def bytes_hash(data: Any) -> str:
    """Hash of a buffer. SHA-1 runs in hardware on current CPUs (2–3× BLAKE2 on large arrays); a
    content fingerprint needs no more."""
    return hashlib.sha1(data).hexdigest()


def _qualname(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def number_token(value: float | complex) -> str:
    """A float or complex by its bits where ``repr`` would hide them (the sign and payload of a
    NaN); ``repr`` is exact for every other double, ``-0.0`` included."""
    kind = type(value)
    parts = (float(value.real), float(value.imag)) if isinstance(value, complex) else (float(value),)
    text = ",".join(repr(part) if part == part else "nan:" + struct.pack("<d", part).hex() for part in parts)
    return f"{_qualname(kind)}:{text}"


def item_token(item: Any, token: Token) -> str:
    """Token of an element of a container or an object column (numbers exactly, see above)."""
    kind = type(item)
    if kind is float or kind is complex or kind.__module__ == "numpy" and isinstance(item, (float, complex)):
        return number_token(item)
    return token(item)


# ---- dispatch ------------------------------------------------------------------------------------
def data_token(obj: Any, token: Token) -> str | None:
    """Token of a pandas, numpy or polars value, or None when ``obj`` is none of those."""
    pd = sys.modules.get("pandas")
    if pd is not None:
        if isinstance(obj, pd.DataFrame):
            return frame_token(obj, token)
        if isinstance(obj, pd.Series):
            return digest("Series", item_token(obj.name, token), index_token(obj.index, token),
                          array_token(obj, token), token(dict(obj.attrs)),
                          repr(obj.flags.allows_duplicate_labels))
        if isinstance(obj, pd.Index):
            return index_token(obj, token)
        if isinstance(obj, pd.api.extensions.ExtensionArray):
            return digest("extension array", array_token(obj, token))
        if isinstance(obj, pd.api.extensions.ExtensionDtype):
            return digest("dtype", dtype_token(obj, token))
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(obj, np.ndarray):
            return ndarray_token(obj, token)
        if isinstance(obj, np.generic):
            if obj.dtype.hasobject:
                return digest("npscalar", _qualname(type(obj)), repr(obj.dtype), item_token(obj.item(), token))
            return digest("npscalar", _qualname(type(obj)), repr(obj.dtype), bytes_hash(obj.tobytes()))
        if isinstance(obj, np.dtype):
            return digest("dtype", dtype_token(obj, token))
    pl = sys.modules.get("polars")
    if pl is not None:
        if isinstance(obj, pl.DataFrame):
            return polars_frame_token(obj, token)
        if isinstance(obj, pl.Series):
            return polars_series_token(obj, token)
    return None


def subclass_attributes(obj: Any) -> dict:
    """The attributes an instance of a user subclass of a data type adds (the library's own
    internals, such as a frame's block manager and caches, are covered by the data token)."""
    internal = set(getattr(obj, "_internal_names_set", ())) | {"_attrs", "_flags", "_df", "_s"}
    return {name: value for name, value in getattr(obj, "__dict__", {}).items() if name not in internal}


# ---- pandas --------------------------------------------------------------------------------------
def frame_token(frame: Any, token: Token) -> str:
    """Index, columns (labels and order), every column by content and dtype, ``attrs``, flags.
    Column by column, so two frames holding the same data in different blocks share a token."""
    column = getattr(frame, "_get_column_array", None)  # the column's array, without a Series
    if column is None:
        column = lambda i: frame.iloc[:, i]  # noqa: E731
    return digest("DataFrame", index_token(frame.index, token), index_token(frame.columns, token),
                  *(array_token(column(i), token) for i in range(frame.shape[1])),
                  token(dict(frame.attrs)), repr(frame.flags.allows_duplicate_labels))


def index_token(index: Any, token: Token) -> str:
    """An index by its type, names, values (with their dtype and ``freq``) or, for a
    ``MultiIndex``, its levels and codes."""
    pd = sys.modules["pandas"]
    names = token(list(index.names))
    if isinstance(index, pd.RangeIndex):
        return f"range:{index.start}:{index.stop}:{index.step}:{names}"
    if isinstance(index, pd.MultiIndex):
        return digest("MultiIndex", names, repr(index.sortorder),
                      *(index_token(level, token) for level in index.levels),
                      *(ndarray_token(codes, token) for codes in index.codes))
    freq = getattr(index, "freq", None)  # DatetimeIndex, TimedeltaIndex, PeriodIndex
    return digest("Index", _qualname(type(index)), names, "" if freq is None else token(freq),
                  array_token(index, token))


def dtype_token(dtype: Any, token: Token) -> str:
    """A dtype with its metadata: a numpy dtype by its full description (byte order, fields,
    units), an extension dtype by its class and every attribute it declares as metadata."""
    np = sys.modules["numpy"]
    if isinstance(dtype, np.dtype):
        if dtype.fields is None and dtype.subdtype is None and dtype.metadata is None and dtype.kind != "T":
            return f"numpy:{dtype.str}"  # byte order, kind, size and unit: all of a plain dtype
        return f"numpy:{dtype.str}:{dtype!r}"
    parts = [_qualname(type(dtype)), str(dtype)]
    for name in getattr(dtype, "_metadata", ()):
        parts.append(f"{name}={item_token(getattr(dtype, name, None), token)}")
    return digest(*parts)


def array_token(values: Any, token: Token) -> str:
    """A 1-d pandas column (Series, Index, ndarray or extension array) by dtype and content."""
    np, pd = sys.modules["numpy"], sys.modules["pandas"]
    if isinstance(values, (pd.Series, pd.Index)):
        values = values._values  # the ndarray or extension array
    if isinstance(values, np.ndarray):
        return ndarray_token(values, token)
    parts = [_qualname(type(values)), dtype_token(values.dtype, token), str(len(values))]
    backing = getattr(values, "_ndarray", None)  # datetimes, timedeltas, periods, categorical codes
    if isinstance(backing, np.ndarray):
        freq = getattr(values, "freq", None)  # (pandas 2 arrays of datetimes keep one too)
        return digest(*parts, ndarray_token(backing, token), "" if freq is None else token(freq))
    data, mask = getattr(values, "_data", None), getattr(values, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):  # nullable Int64, Float64, boolean
        if mask.any():
            data = data.copy()
            data[mask] = 0  # what lies under the mask is not part of the value
        return digest(*parts, ndarray_token(data, token), ndarray_token(mask, token))
    if hasattr(values, "sp_values") and hasattr(values, "sp_index"):  # sparse: stored values and where
        return digest(*parts, array_token(values.sp_values, token),
                      ndarray_token(np.asarray(values.sp_index.indices), token))
    if all(hasattr(values, name) for name in ("left", "right", "closed")):  # intervals
        return digest(*parts, array_token(values.left, token), array_token(values.right, token),
                      ndarray_token(np.asarray(values.isna(), dtype=bool), token))
    # Arrow-backed and other extension arrays: the null mask, then the values that aren't null
    # (converted without nulls, integers stay integers and floats keep their bits).
    mask = np.asarray(values.isna(), dtype=bool)
    present = values[~mask] if mask.any() else values
    arrow = getattr(values, "_pa_array", None)
    if arrow is not None and hasattr(arrow.type, "index_type"):  # Arrow dictionaries: their order too
        parts.append(token([chunk.dictionary.to_pylist() for chunk in arrow.chunks]))
    return digest(*parts, ndarray_token(mask, token), ndarray_token(np.asarray(present.to_numpy()), token))


# ---- numpy ---------------------------------------------------------------------------------------
def ndarray_token(array: Any, token: Token) -> str:
    """An array by its type, dtype, shape and raw bytes; objects element by element."""
    np = sys.modules["numpy"]
    head = ["ndarray", dtype_token(array.dtype, token), repr(array.shape)]
    if type(array) is not np.ndarray:
        head.append(_qualname(type(array)))
        ma = sys.modules.get("numpy.ma")
        if ma is not None and isinstance(array, ma.MaskedArray):
            return digest(*head, ndarray_token(np.asarray(array.data), token),
                          ndarray_token(ma.getmaskarray(array), token), item_token(array.fill_value, token))
        array = np.asarray(array)
    if array.dtype == object:
        return digest(*head, objects_token(array.reshape(-1), token))
    if array.dtype.hasobject or array.dtype.kind == "T":  # fields holding objects, variable-width strings
        return digest(*head, token(array.tolist()))
    raw = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    return digest(*head, bytes_hash(raw))


def objects_token(array: Any, token: Token) -> str:
    """A 1-d object array. Plain scalars (str, bytes, int, bool, float, None, pandas' NA and NaT)
    go through pandas' vectorised hash, which reads them as text; the type of each element and the
    bits of each float are hashed beside it, so ``1``, ``"1"``, ``True`` and ``1.0`` stay apart."""
    np = sys.modules["numpy"]
    pd = sys.modules.get("pandas")
    kinds = list(map(type, array))
    present = set(kinds)
    plain = _PLAIN_SCALARS + ((type(pd.NA), type(pd.NaT)) if pd is not None else ())
    if pd is not None and present.issubset(plain):
        ordered = sorted(present, key=_qualname)
        parts = ["objects", *map(_qualname, ordered)]
        try:
            parts.append(bytes_hash(pd.util.hash_array(array, categorize=False)))
        except (TypeError, ValueError, UnicodeError):  # text pandas can't encode: element by element
            return digest("objects", *(item_token(item, token) for item in array))
        codes = None
        if len(ordered) > 1:
            number = {kind: i for i, kind in enumerate(ordered)}
            codes = np.fromiter(map(number.__getitem__, kinds), dtype=np.uint8, count=len(kinds))
            parts.append(bytes_hash(codes))
        if float in present:
            floats = array if codes is None else array[codes == ordered.index(float)]
            parts.append(bytes_hash(np.asarray(floats, dtype=np.float64)))
        return digest(*parts)
    return digest("objects", *(item_token(item, token) for item in array))


# ---- polars --------------------------------------------------------------------------------------
def polars_frame_token(frame: Any, token: Token) -> str:
    """Its shape and every column (name, dtype, content); a wide frame of one integer or float
    dtype without nulls as one buffer (its bytes are the same whatever the chunks)."""
    kinds = set(frame.dtypes)
    if len(kinds) == 1 and frame.width > 1 and frame.height > 0:
        (dtype,) = kinds
        wide = _polars_wide_integers(sys.modules["polars"])
        numbers = dtype.is_float() or dtype.is_integer() and dtype not in wide
        if numbers and not any(frame.null_count().row(0)):
            columns = frame.to_numpy(order="fortran").T  # one row per column, contiguous
            return digest("polars.DataFrame[numbers]", repr(frame.shape), repr(dtype), token(frame.columns),
                          ndarray_token(columns, token))
    return digest("polars.DataFrame", repr(frame.shape),
                  *(polars_series_token(series, token) for series in frame.get_columns()))


def polars_series_token(series: Any, token: Token) -> str:
    """A polars Series by name, dtype, null mask and values: numbers and temporals as raw buffers
    (float bits kept, where polars' own hash equates ``0.0`` and ``-0.0``), text by polars' seeded
    hash, lists by their lengths and items, structs field by field."""
    pl = sys.modules["polars"]
    dtype = series.dtype
    parts = ["polars.Series", item_token(series.name, token), repr(dtype), str(len(series))]
    nulls = series.null_count()
    if nulls:
        parts.append(bytes_hash(series.is_null().to_numpy()))
    if isinstance(dtype, pl.Enum):
        parts.append(polars_series_token(dtype.categories, token))
        dtype = pl.UInt32  # its physical codes index those categories
        series = series.to_physical()
    elif isinstance(dtype, (pl.Categorical, pl.Decimal)) or dtype in _polars_wide_integers(pl):
        series, dtype = series.cast(pl.String), pl.String  # codes depend on the process; text doesn't
    if dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean:
        if dtype.is_temporal():
            series = series.to_physical()  # (costs a copy: numbers are read as they are)
        values = (series.drop_nulls() if nulls else series).to_numpy()
        return digest(*parts, ndarray_token(values, token))
    if dtype in (pl.String, pl.Binary):
        return digest(*parts, bytes_hash(series.hash(seed=0).to_numpy()))
    if isinstance(dtype, pl.Array):
        series, dtype = series.cast(pl.List(dtype.inner)), pl.List(dtype.inner)
    if isinstance(dtype, pl.List):
        return digest(*parts, polars_series_token(series.list.len(), token),
                      polars_series_token(series.explode(empty_as_null=False, keep_nulls=False), token))
    if isinstance(dtype, pl.Struct):
        return digest(*parts, polars_frame_token(series.struct.unnest(), token))
    if dtype == pl.Null:
        return digest(*parts)
    return digest(*parts, token(series.to_list()))


def _polars_wide_integers(pl: Any) -> tuple:
    return tuple(getattr(pl, name) for name in ("Int128", "UInt128") if hasattr(pl, name))
