"""Values ↔ bytes for the persistent cache: Arrow IPC for tables, polars' IPC, else pickle.

pandas Series/DataFrames go to Arrow IPC (the *feather* v2 format: columnar, fast to load).
Numeric/datetime columns with a range or numeric/datetime index take a direct path (name,
index name and ``freq`` kept in the schema metadata); other pandas values go through
pyarrow's pandas conversion and are kept only if they round-trip exactly. Everything else is
pickled — loading a pickle can run code, so a cache directory must be trusted.
"""
from __future__ import annotations

import io
import json
import pickle
import zlib
from typing import Any

ARROW, POLARS_FRAME, POLARS_SERIES, PICKLE = b"A", b"F", b"S", b"K"
_META_KEY = b"hamilton_nb"
_NUMPY_KINDS = frozenset("biufmM")
_JSON_SCALARS = (str, int, float, bool, type(None))


# ---- encoding values ---------------------------------------------------------------------------
class Unstorable(Exception):
    """The value cannot be written (e.g. it does not pickle)."""


def _jsonable(label: Any) -> bool:
    return type(label) in _JSON_SCALARS


def _numpy_column(dtype: Any) -> bool:
    import numpy as np

    return isinstance(dtype, np.dtype) and dtype.kind in _NUMPY_KINDS


def _index_meta(index: Any) -> dict | None:
    """How to rebuild ``index`` from metadata (+ an ``__index__`` column), or None if we can't."""
    import pandas as pd

    if not _jsonable(index.name):
        return None
    if type(index) is pd.RangeIndex:
        return {"t": "range", "start": index.start, "stop": index.stop, "step": index.step, "name": index.name}
    if index.nlevels != 1 or not _numpy_column(index.dtype):
        return None
    freq = getattr(index, "freqstr", None)
    return {"t": "array", "name": index.name, "freq": freq}


def _encode_pandas_direct(value: Any) -> bytes | None:
    """Numeric/datetime Series and DataFrames: arrays straight into Arrow, our own metadata."""
    import pandas as pd
    import pyarrow as pa

    index_meta = _index_meta(value.index)
    if index_meta is None:
        return None
    if isinstance(value, pd.Series):
        if not _jsonable(value.name) or not _numpy_column(value.dtype):
            return None
        meta = {"t": "series", "name": value.name}
        arrays, names = [pa.array(value.to_numpy(copy=False))], ["0"]
    else:
        columns = value.columns
        labels = list(columns)
        if (columns.nlevels != 1 or not all(type(c) is str for c in labels) or len(set(labels)) != len(labels)
                or not _jsonable(columns.name) or columns.dtype != pd.Index(labels, dtype=None).dtype
                or not all(_numpy_column(d) for d in value.dtypes)):
            return None
        meta = {"t": "frame", "columns": labels, "columns_name": columns.name}
        arrays = [pa.array(value.iloc[:, i].to_numpy(copy=False)) for i in range(len(labels))]
        names = [str(i) for i in range(len(labels))]
    meta["index"] = index_meta
    if index_meta["t"] == "array":
        arrays.append(pa.array(value.index.to_numpy(copy=False)))
        names.append("__index__")
    meta["how"] = "direct"
    table = pa.Table.from_arrays(arrays, names=names, metadata={_META_KEY: json.dumps(meta).encode()})
    return _ipc_bytes(table)


def _ipc_bytes(table: Any) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="lz4") if table.nbytes > (1 << 20) else None
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue()  # a pyarrow Buffer (buffer protocol): written without a copy


def _encode_pandas_general(value: Any) -> bytes | None:
    """Other pandas values via pyarrow's pandas conversion, kept only if they round-trip exactly."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(value, pd.Series):
        if not _jsonable(value.name):
            return None
        frame, meta = value.to_frame(name="__value__"), {"t": "series", "name": value.name}
    else:
        frame, meta = value, {"t": "frame"}
        columns = value.columns
        if columns.nlevels != 1 or not all(type(c) is str for c in columns) or columns.has_duplicates:
            return None
    if any(d == object for d in frame.dtypes) or any(
            frame.index.get_level_values(i).dtype == object for i in range(frame.index.nlevels)):
        return None  # object columns may hold anything: Arrow would coerce them
    meta["freq"] = getattr(frame.index, "freqstr", None)
    meta["how"] = "pandas"
    table = pa.Table.from_pandas(frame, preserve_index=True)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()})
    payload = _ipc_bytes(table)
    try:
        restored = _decode_arrow(memoryview(payload), {})
        if isinstance(value, pd.Series):
            pd.testing.assert_series_equal(restored, value, check_exact=True, check_freq=True)
        else:
            pd.testing.assert_frame_equal(restored, value, check_exact=True, check_freq=True)
    except Exception:  # anything lost on the way: pickle instead
        return None
    return payload


def encode(value: Any) -> tuple[bytes, bytes]:
    """``(kind, payload)`` for a value; raises :class:`Unstorable` when nothing can hold it."""
    module = type(value).__module__
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(value, (pd.Series, pd.DataFrame)) and not value.attrs:
            try:
                payload = _encode_pandas_direct(value)
                if payload is None:
                    payload = _encode_pandas_general(value)
            except Exception:  # an Arrow type error etc.: fall back to pickle
                payload = None
            if payload is not None:
                return ARROW, payload
    elif module.startswith("polars"):
        try:
            import polars as pl

            if isinstance(value, (pl.DataFrame, pl.Series)):
                buffer = io.BytesIO()
                frame = value.to_frame() if isinstance(value, pl.Series) else value
                frame.write_ipc(buffer)
                return (POLARS_SERIES if isinstance(value, pl.Series) else POLARS_FRAME), buffer.getvalue()
        except Exception:
            pass
    try:
        return PICKLE, pickle.dumps(value, protocol=5)
    except Exception as exc:
        raise Unstorable(f"{type(exc).__name__}: {exc}") from None


def _rebuild_index(meta: dict, array: Any, interned: dict) -> Any:
    """The index, shared with earlier loads when equal (so aligning Series stays cheap)."""
    import numpy as np
    import pandas as pd

    if meta["t"] == "range":
        return pd.RangeIndex(meta["start"], meta["stop"], meta["step"], name=meta["name"])
    key = (meta["name"], meta["freq"], array.dtype.str, len(array), zlib.crc32(array.view(np.uint8)))
    found = interned.get(key)
    if found is not None and np.array_equal(found[0], array):
        return found[1]
    if meta["freq"] is not None:
        index = (pd.DatetimeIndex if array.dtype.kind == "M" else pd.TimedeltaIndex)(
            array, name=meta["name"], freq=meta["freq"])
    else:
        index = pd.Index(array, name=meta["name"], copy=False)
    if len(interned) > 256:
        interned.clear()
    interned[key] = (array, index)
    return index


def _decode_arrow(payload: memoryview, interned: dict) -> Any:
    import pandas as pd
    import pyarrow as pa

    table = pa.ipc.open_stream(pa.py_buffer(payload)).read_all()
    meta = json.loads(table.schema.metadata[_META_KEY])
    if meta["how"] == "direct":
        columns = [table.column(i).to_numpy() for i in range(table.num_columns)]
        index_array = columns.pop() if meta["index"]["t"] == "array" else None
        index = _rebuild_index(meta["index"], index_array, interned)
        if meta["t"] == "series":
            return pd.Series(columns[0], index=index, name=meta["name"], copy=False)
        frame = pd.DataFrame(dict(zip(range(len(columns)), columns)), index=index, copy=False)
        frame.columns = pd.Index(meta["columns"], name=meta["columns_name"])
        return frame
    frame = table.to_pandas()
    if meta.get("freq"):
        frame.index = type(frame.index)(frame.index, freq=meta["freq"])
    if meta["t"] == "series":
        return frame["__value__"].rename(meta["name"])
    return frame


def decode(kind: bytes, payload: memoryview, interned: dict | None = None) -> Any:
    if kind == ARROW:
        return _decode_arrow(payload, {} if interned is None else interned)
    if kind in (POLARS_FRAME, POLARS_SERIES):
        import polars as pl

        frame = pl.read_ipc(io.BytesIO(payload))
        return frame.to_series(0) if kind == POLARS_SERIES else frame
    if kind == PICKLE:
        return pickle.loads(payload)
    raise ValueError(f"unknown entry kind {kind!r}")
