"""Value tokens cover the whole value: two values that differ never share a token, two equal values
built apart share one, in this process and in another.

Values are built from *recipes*: plain nested tuples saying what to build, each built afresh.
Two recipes are the same value exactly when their keys are equal, where a key reads every float by
its bits (so ``0.0``/``-0.0`` and NaNs with different payloads differ) and every scalar with its
type. The property test draws a recipe and a few near relatives of it (one field redrawn, or one
float anywhere swapped for its twin), so most pairs differ in a single detail: the order of
categories, the ``ordered`` flag, an index's ``freq`` or name, a NaN payload, a deque's ``maxlen``,
a dtype, a null.
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import json
import math
import os
import struct
import subprocess
import sys
import types

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hamilton_nb.graph.tokens import Tokenizer

try:
    import polars as pl
except ImportError:  # pragma: no cover - polars is a test dependency
    pl = None
try:
    import attrs
except ImportError:  # pragma: no cover
    attrs = None


def token(value) -> str:
    return Tokenizer().token(value)


def from_bits(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def to_float32(value: float) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.float32(value))


def float_bits(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


NAN = from_bits(0x7FF8000000000000)
FLOATS = [0.0, -0.0, 1.0, -1.5, math.inf, 5e-324, NAN, from_bits(0x7FF8000000000001),
          from_bits(0xFFF8000000000000), from_bits(0x7FF0000000000001)]  # the last a signalling NaN
floats = st.integers(0, 7).flatmap(lambda i: st.floats() if i == 7 else st.sampled_from(FLOATS))
labels = st.sampled_from(["a", "b", "c"])
names = st.sampled_from([None, "a", "b", 0, 1, 0.0, -0.0, True])


# ---- the values recipes build --------------------------------------------------------------------
@dataclasses.dataclass
class Point:
    x: object
    y: object = dataclasses.field(default=None, metadata={"unit": "m"})


@dataclasses.dataclass(frozen=True)
class FrozenPoint:
    x: object
    y: object = None


class TaggedDeque(collections.deque):
    """A subclass of a C type with attributes: both its items and its attributes count."""


if attrs is not None:
    @attrs.define
    class AttrsPoint:
        x: object
        y: object = attrs.field(default=None, metadata={"unit": "m"})


def key(recipe):
    """The recipe, every float as its bits and every scalar with its type: equal keys, equal values."""
    if isinstance(recipe, float):
        return ("float", float_bits(recipe))
    if isinstance(recipe, (tuple, list)):
        return ("seq", tuple(key(part) for part in recipe))
    if isinstance(recipe, dict):
        return ("dict", tuple((name, key(part)) for name, part in recipe.items()))
    return (type(recipe).__name__, recipe)


def build(recipe):
    kind, *args = recipe
    return BUILDERS[kind](*args)


def _series(dtype, values, name=None, index=None):
    index = None if index is None else build(index)
    if dtype == "datetime64[ns]":
        return pd.Series(np.array([v if v is not None else "NaT" for v in values], dtype="M8[ns]"),
                         index=index, name=name)
    if dtype.startswith("datetime64[ns, "):
        stamps = pd.DatetimeIndex(np.array([v if v is not None else "NaT" for v in values], dtype="M8[ns]"))
        return pd.Series(stamps.tz_localize(dtype[15:-1]), index=index, name=name)
    if dtype == "object":
        return pd.Series(list(values), dtype=object, index=index, name=name)
    return pd.Series(values, dtype=dtype, index=index, name=name)


def _categorical(values, categories, ordered, container, name):
    data = pd.Categorical(values, categories=categories, ordered=ordered)
    if container == "index":
        return pd.CategoricalIndex(data, name=name)
    if container == "frame":
        return pd.DataFrame({name if name is not None else "c": data})
    return pd.Series(data, name=name)


def _dates(start, periods, freq, tz, name):
    index = pd.date_range(start, periods=periods, freq=freq or "D", tz=tz, name=name)
    return pd.DatetimeIndex(index, freq=None) if freq is None else index


def _frame(columns, index):
    return pd.DataFrame({name: _series(dtype, values).array for name, dtype, values in columns},
                        index=None if index is None else build(index))


def _polars_series(dtype, values, name):
    types_ = {"Float64": pl.Float64, "Float32": pl.Float32, "Int64": pl.Int64, "String": pl.String,
              "Boolean": pl.Boolean, "List": pl.List(pl.Float64), "Struct": pl.Struct({"x": pl.Float64}),
              "Datetime": pl.Datetime("us", "UTC"), "DatetimeNaive": pl.Datetime("us")}
    if dtype.startswith("Enum:"):
        return pl.Series(name, values, dtype=pl.Enum(list(dtype[5:])))
    if dtype.startswith("Datetime"):
        return pl.Series(name, values, dtype=pl.Int64).cast(types_[dtype])
    return pl.Series(name, values, dtype=types_[dtype])


BUILDERS = {
    "float": lambda x: x, "int": lambda n: n, "bool": lambda b: b, "str": lambda s: s, "none": lambda: None,
    "list": lambda items: [build(i) for i in items],
    "tuple": lambda items: tuple(build(i) for i in items),
    "dict": lambda items: {k: build(v) for k, v in items},
    "ordereddict": lambda items: collections.OrderedDict((k, build(v)) for k, v in items),
    "defaultdict": lambda items: collections.defaultdict(list, ((k, build(v)) for k, v in items)),
    "mappingproxy": lambda items: types.MappingProxyType({k: build(v) for k, v in items}),
    "deque": lambda items, maxlen: collections.deque((build(i) for i in items), maxlen=maxlen),
    "frozenset": lambda items: frozenset(items),
    "dataclass": lambda frozen, x, y: (FrozenPoint if frozen else Point)(build(x), build(y)),
    "attrs": lambda x, y: AttrsPoint(build(x), build(y)),
    "npscalar": lambda dtype, values: np.dtype(dtype).type(values[0]),
    "ndarray": lambda dtype, values, column: np.array(values, dtype=dtype).reshape((-1, 1) if column else (-1,)),
    "masked": lambda values, mask: np.ma.array(values, mask=mask),
    "series": _series,
    "categorical": _categorical,
    "range": lambda n, name: pd.RangeIndex(n, name=name),
    "index": lambda dtype, values, name: pd.Index(values, dtype=dtype, name=name),
    "dates": _dates,
    "timedeltas": lambda periods, freq, name: pd.timedelta_range("1h", periods=periods, freq=freq, name=name),
    "periods": lambda periods, freq, name: pd.period_range("2024-01", periods=periods, freq=freq, name=name),
    "multiindex": lambda levels, codes, names: pd.MultiIndex(levels=levels, codes=codes, names=names),
    "frame": _frame,
    "pl_series": _polars_series,
    "pl_frame": lambda columns: pl.DataFrame([_polars_series(*column) for column in columns]),
    "pl_numbers": lambda dtype, values: pl.DataFrame({"a": values, "b": values[::-1]},
                                                     schema={"a": getattr(pl, dtype), "b": getattr(pl, dtype)}),
}


# ---- recipes, and near siblings of a recipe ------------------------------------------------------
ZEROS = [0.0, -0.0]
NANS = [value for value in FLOATS if value != value]


def float_twin(value: float):
    """A float easily confused with ``value``: the other zero, another NaN, or any other."""
    group = ZEROS if value == 0 else NANS if value != value else FLOATS
    return st.sampled_from([other for other in group if float_bits(other) != float_bits(value)])


def twin_or(element):
    """Near an element: a float's twin (or a fresh element), else a fresh element."""
    return lambda old: st.one_of(float_twin(old), float_twin(old), element) if isinstance(old, float) else element


class Sibling:
    """Fields of a recipe near ``like``: all kept but one (or none), which is drawn again."""

    def __init__(self, draw, like, positions):
        self.draw, self.like = draw, like
        self.changed = draw(st.sampled_from([*positions, None])) if like is not None else None

    def __call__(self, position, fresh, near=None):
        if self.like is None:
            return self.draw(fresh)
        old = self.like[position]
        if position != self.changed:
            return old
        return self.draw(different(near(old) if near is not None else fresh, old))


def different(strategy, old):
    """Draws from ``strategy`` that aren't ``old`` (by key), where it has any."""
    return strategy.filter(lambda new: key(new) != key(old))


@st.composite
def list_near(draw, old, element, near=None, fixed_size=False):
    """``old`` with one element changed (``near(element)`` when given), or one added or removed."""
    operations = (["change"] * 4 if old else []) + ([] if fixed_size else ["add"] + (["remove"] if old else []))
    if not operations:
        return list(old)
    operation = draw(st.sampled_from(operations))
    i = draw(st.integers(0, max(len(old) - 1, 0)))
    if operation == "change":
        return old[:i] + [draw(different(near(old[i]) if near is not None else element, old[i]))] + old[i + 1:]
    if operation == "add":
        return old[:i] + [draw(element)] + old[i:]
    return old[:i] + old[i + 1:]


def plain(like=None):
    """A scalar recipe; near a float, often its twin."""
    fresh = st.one_of(floats.map(lambda x: ("float", x)), st.integers(-2, 2).map(lambda n: ("int", n)),
                      st.booleans().map(lambda b: ("bool", b)), labels.map(lambda s: ("str", s)),
                      st.just(("none",)))
    if like is not None and like[0] == "float":
        twin = float_twin(like[1]).map(lambda x: ("float", x))
        return st.one_of(twin, twin, twin, fresh)
    return fresh


# pandas columns: what each dtype holds (as the dtype stores it), and whether it takes a value
nullable = st.one_of(floats.filter(lambda x: x == x), st.none())  # masked and Arrow columns make NaN a null
stamps = st.one_of(st.integers(0, 2), st.none())
texts = st.one_of(labels, st.none())
DOMAINS = {"float64": floats, "float32": floats.map(to_float32), ">f8": floats, "Float64": nullable,
           "float64[pyarrow]": nullable, "int64": st.integers(-2, 2), "Int64": st.one_of(st.integers(-2, 2), st.none()),
           "object": st.one_of(floats, st.integers(-2, 2), st.booleans(), labels, st.none()),
           "str": texts, "string[python]": texts, "string[pyarrow]": texts, "datetime64[ns]": stamps,
           "datetime64[ns, UTC]": stamps, "datetime64[ns, Europe/Paris]": stamps}


def _is(kinds, none=False):
    return lambda v: type(v) in kinds or (none and v is None)


ACCEPTS = {"float64": _is({float}), ">f8": _is({float}),
           "float32": lambda v: type(v) is float and float_bits(to_float32(v)) == float_bits(v),
           "Float64": lambda v: v is None or type(v) is float and v == v, "int64": _is({int}),
           "float64[pyarrow]": lambda v: v is None or type(v) is float and v == v,
           "Int64": _is({int}, none=True), "object": lambda v: True, "str": _is({str}, none=True),
           "string[python]": _is({str}, none=True), "string[pyarrow]": _is({str}, none=True),
           "datetime64[ns]": _is({int}, none=True), "datetime64[ns, UTC]": _is({int}, none=True),
           "datetime64[ns, Europe/Paris]": _is({int}, none=True)}


def typed_values(draw, sibling, dtype_at, values_at, domains, accepts, size=None):
    """The values of a column near ``sibling.like``: kept through a change of dtype when the new
    dtype takes them, one element changed (a float to its twin), or drawn anew."""
    dtype = sibling.like[dtype_at] if sibling.like is not None and sibling.changed != dtype_at else None
    dtype = dtype if dtype is not None else sibling(dtype_at, st.sampled_from(list(domains)))
    old = None if sibling.like is None else sibling.like[values_at]
    fresh = st.lists(domains[dtype], min_size=size if size is not None else 1, max_size=3 if size is None else size) \
        if size is not None or draw(st.integers(0, 5)) else st.just([])
    if old is None or not all(accepts[dtype](v) for v in old):
        return dtype, draw(fresh)
    if sibling.changed != values_at:
        return dtype, list(old)
    near = list_near(old, domains[dtype], near=twin_or(domains[dtype]), fixed_size=size is not None)
    return dtype, stored(dtype, draw(near))  # (a float's twin may not be one the dtype holds)


@st.composite
def index(draw, size, like=None):
    kinds = ["range", "index", "dates"] if size else ["range"]
    kind = like[0] if like is not None and like[0] in kinds and draw(st.integers(0, 4)) else \
        draw(st.sampled_from(kinds))
    like = like if like is not None and like[0] == kind else None
    if kind == "range":
        return ("range", size, Sibling(draw, like, [2])(2, names))
    if kind == "index":
        field = Sibling(draw, like, [1, 2, 3])
        dtype, values = typed_values(draw, field, 1, 2, INDEX_DOMAINS, ACCEPTS, size=size)
        return ("index", dtype, values, field(3, names))
    field = Sibling(draw, like, [1, 3, 4, 5])
    return ("dates", field(1, st.sampled_from(["2024-01-01", "2024-01-02"])), size,  # a Monday, a Tuesday
            field(3, st.sampled_from([None, "D", "B"])), field(4, st.sampled_from([None, "UTC", "Europe/Paris"])),
            field(5, names))


INDEX_DOMAINS = {"float64": floats, "int64": st.integers(-2, 2), "object": labels}
PANDAS_KINDS = ["series", "categorical", "dates", "timedeltas", "periods", "multiindex", "frame", "index"]


def _categories_near(old):
    toggled = [c for c in old if c != "c"] if "c" in old else old + ["c"]
    return st.one_of(st.permutations(old).map(list), st.just(toggled))


@st.composite
def frame_column(draw, size, like=None):
    field = Sibling(draw, like, [0, 1, 2])
    name = field(0, st.sampled_from(["x", "y", "z"]))
    dtype, values = typed_values(draw, field, 1, 2, DOMAINS, ACCEPTS, size=size)
    return (name, dtype, values)


@st.composite
def columns_near(draw, old, element, near):
    """One column changed, added or removed, or two swapped."""
    if len(old) > 1 and draw(st.integers(0, 3)) == 0:
        i = draw(st.integers(0, len(old) - 2))
        return old[:i] + [old[i + 1], old[i]] + old[i + 2:]
    return draw(list_near(old, element, near=near))


def _unique_names(columns, at):
    return list({column[at]: column for column in columns}.values())


@st.composite
def pandas_value(draw, like=None):
    family = None if like is None else "index" if like[0] in ("range", "index") else like[0]
    kind = family if family is not None and draw(st.integers(0, 5)) else draw(st.sampled_from(PANDAS_KINDS))
    like = like if family == kind else None
    if kind == "index":
        size = draw(st.integers(0, 3)) if like is None else like[1] if like[0] == "range" else \
            len(like[2]) if like[0] == "index" else like[2]
        return draw(index(size, like=like))
    if kind == "series":
        field = Sibling(draw, like, [1, 2, 3, 4])
        dtype, values = typed_values(draw, field, 1, 2, DOMAINS, ACCEPTS)
        old_index = None if like is None or len(like[2]) != len(values) else like[4]
        index_ = field(4, index(len(values)), near=lambda old: index(len(values), like=old)) \
            if old_index is not None else draw(index(len(values)))
        return ("series", dtype, values, field(3, names), index_)
    if kind == "categorical":
        field = Sibling(draw, like, [1, 2, 3, 4, 5])
        letters = st.sampled_from(["a", "b", None])
        return ("categorical", field(1, st.lists(letters, max_size=4), near=lambda old: list_near(old, letters)),
                field(2, st.permutations(["a", "b"]).map(list), near=_categories_near),
                field(3, st.booleans()), field(4, st.sampled_from(["series", "frame", "index"])), field(5, names))
    if kind == "dates":
        field = Sibling(draw, like, [1, 2, 3, 4, 5])
        return ("dates", field(1, st.sampled_from(["2024-01-01", "2024-01-02"])), field(2, st.integers(1, 3)),
                field(3, st.sampled_from([None, "D", "B"])),
                field(4, st.sampled_from([None, "UTC", "Europe/Paris"])), field(5, names))
    if kind in ("timedeltas", "periods"):
        field = Sibling(draw, like, [1, 2, 3])
        return (kind, field(1, st.integers(1, 3)),
                field(2, st.sampled_from(["h", "60min"] if kind == "timedeltas" else ["M", "D"])), field(3, names))
    if kind == "multiindex":
        field = Sibling(draw, like, [1, 2, 3])
        levels = field(1, st.tuples(st.permutations([1, 2, 3]), st.permutations(["x", "y"])).map(
            lambda pair: [list(pair[0]), list(pair[1])]), near=lambda old: st.integers(0, 1).flatmap(
            lambda i: st.permutations(old[i]).map(lambda level: [level if j == i else old[j] for j in (0, 1)])))
        codes = field(2, st.integers(1, 3).flatmap(lambda n: st.tuples(
            st.lists(st.integers(-1, 2), min_size=n, max_size=n),
            st.lists(st.integers(-1, 1), min_size=n, max_size=n)).map(list)),
            near=lambda old: st.tuples(list_near(old[0], st.integers(-1, 2), fixed_size=True),
                                       st.just(old[1])).map(list))
        return ("multiindex", levels, codes, field(3, st.lists(names, min_size=2, max_size=2),
                                                   near=lambda old: list_near(old, names, fixed_size=True)))
    field = Sibling(draw, like, [1, 2])
    size = draw(st.integers(0, 3)) if like is None else _frame_size(like)
    columns = field(1, st.lists(frame_column(size), max_size=3), near=lambda old: columns_near(
        old, frame_column(size), near=lambda column: frame_column(size, like=column)))
    return ("frame", _unique_names(columns, 0),
            field(2, index(size), near=lambda old: index(size, like=old)))


def _frame_size(recipe):
    index_ = recipe[2]
    return index_[1] if index_[0] == "range" else len(index_[2]) if index_[0] == "index" else index_[2]


@st.composite
def numpy_value(draw, like=None):
    kinds = ["ndarray", "npscalar", "masked"]
    kind = like[0] if like is not None and draw(st.integers(0, 5)) else draw(st.sampled_from(kinds))
    like = like if like is not None and like[0] == kind else None
    if kind == "npscalar":
        field = Sibling(draw, like, [1, 2])
        return ("npscalar", *typed_values(draw, field, 1, 2, SCALAR_DOMAINS, SCALAR_ACCEPTS, size=1))
    if kind == "masked":
        field = Sibling(draw, like, [1, 2])
        values = field(1, st.lists(floats, min_size=1, max_size=4),
                       near=lambda old: list_near(old, floats, near=twin_or(floats), fixed_size=True))
        mask = field(2, st.lists(st.booleans(), min_size=len(values), max_size=len(values)),
                     near=lambda old: list_near(old, st.booleans(), fixed_size=True))
        return ("masked", values, mask)
    field = Sibling(draw, like, [1, 2, 3])
    dtype, values = typed_values(draw, field, 1, 2, ARRAY_DOMAINS, ARRAY_ACCEPTS)
    return ("ndarray", dtype, values, field(3, st.booleans()))


SCALAR_DOMAINS = {"float64": floats, "float32": floats.map(to_float32), "int64": st.integers(-2, 2),
                  "int8": st.integers(-2, 2), "bool": st.booleans()}
SCALAR_ACCEPTS = {"float64": ACCEPTS["float64"], "float32": ACCEPTS["float32"], "int64": ACCEPTS["int64"],
                  "int8": ACCEPTS["int64"], "bool": _is({bool})}
ARRAY_DOMAINS = {"<f8": floats, ">f8": floats, "<f4": floats.map(to_float32), "<i8": st.integers(-2, 2)}
ARRAY_ACCEPTS = {"<f8": ACCEPTS["float64"], ">f8": ACCEPTS["float64"], "<f4": ACCEPTS["float32"],
                 "<i8": ACCEPTS["int64"]}


def _polars_domains():
    maybe = lambda element: st.one_of(element, st.none())  # noqa: E731
    return {"Float64": maybe(floats), "Float32": maybe(floats.map(to_float32)), "Int64": maybe(st.integers(-2, 2)),
            "String": maybe(labels), "Boolean": maybe(st.booleans()), "Enum:ab": maybe(st.sampled_from(["a", "b"])),
            "Enum:ba": maybe(st.sampled_from(["a", "b"])),
            "List": maybe(st.lists(maybe(floats), max_size=2)),
            "Struct": maybe(st.fixed_dictionaries({"x": maybe(floats)})),
            "Datetime": maybe(st.integers(0, 2)), "DatetimeNaive": maybe(st.integers(0, 2))}


POLARS_DOMAINS = _polars_domains()
POLARS_ACCEPTS = {"Float64": _is({float}, none=True), "Int64": _is({int}, none=True),
                  "Float32": lambda v: v is None or ACCEPTS["float32"](v), "String": _is({str}, none=True),
                  "Boolean": _is({bool}, none=True), "Enum:ab": _is({str}, none=True),
                  "Enum:ba": _is({str}, none=True), "List": _is({list}, none=True),
                  "Struct": _is({dict}, none=True), "Datetime": _is({int}, none=True),
                  "DatetimeNaive": _is({int}, none=True)}


def _polars_twin(old):
    """Near a polars element: a float's twin, inside a list or a struct too."""
    if isinstance(old, float):
        return float_twin(old)
    if isinstance(old, list) and any(isinstance(x, float) for x in old):
        i = next(i for i, x in enumerate(old) if isinstance(x, float))
        return float_twin(old[i]).map(lambda x: old[:i] + [x] + old[i + 1:])
    if isinstance(old, dict) and isinstance(old.get("x"), float):
        return float_twin(old["x"]).map(lambda x: {"x": x})
    return st.nothing()


@st.composite
def polars_series(draw, size=None, like=None):
    field = Sibling(draw, like, [0, 1, 2])
    dtype = like[0] if like is not None and field.changed != 0 else field(0, st.sampled_from(list(POLARS_DOMAINS)))
    old = None if like is None else like[1]
    element = POLARS_DOMAINS[dtype]
    if old is None or (size is not None and len(old) != size) or not all(POLARS_ACCEPTS[dtype](v) for v in old):
        values = draw(st.lists(element, min_size=size or 0, max_size=size if size is not None else 3))
    elif field.changed == 1:
        values = stored(dtype, draw(list_near(old, element, near=lambda v: st.one_of(_polars_twin(v), element),
                                              fixed_size=size is not None)))
    else:
        values = list(old)
    return (dtype, values, field(2, st.sampled_from(["s", "t"])))


@st.composite
def polars_value(draw, like=None):
    kinds = ["pl_series", "pl_frame", "pl_numbers"]
    kind = like[0] if like is not None and draw(st.integers(0, 5)) else draw(st.sampled_from(kinds))
    like = like if like is not None and like[0] == kind else None
    if kind == "pl_series":
        return ("pl_series", *draw(polars_series(like=None if like is None else like[1:])))
    if kind == "pl_numbers":  # wide frames of one numeric dtype, no nulls
        field = Sibling(draw, like, [1, 2])
        domains = {"Float64": floats, "Int64": st.integers(-2, 2)}
        accepts = {"Float64": ACCEPTS["float64"], "Int64": ACCEPTS["int64"]}
        dtype, values = typed_values(draw, field, 1, 2, domains, accepts)
        return ("pl_numbers", dtype, values + [{"Float64": 0.0, "Int64": 0}[dtype]] * max(0, 2 - len(values)))
    size = draw(st.integers(0, 3)) if like is None or not like[1] else len(like[1][0][1])
    columns = draw(st.lists(polars_series(size=size), max_size=3) if like is None else columns_near(
        like[1], polars_series(size=size), near=lambda column: polars_series(size=size, like=column)))
    return ("pl_frame", _unique_names(columns, 2))


CONTAINERS = {"list": "items", "tuple": "items", "deque": "items", "dict": "pairs", "ordereddict": "pairs",
              "defaultdict": "pairs", "mappingproxy": "pairs", "frozenset": "set", "dataclass": "fields",
              "attrs": "fields"}
if attrs is None:
    del CONTAINERS["attrs"]


@st.composite
def python_value(draw, like=None, depth=2):
    if like is not None and like[0] not in CONTAINERS:  # a scalar: the same, or near it
        return like if draw(st.integers(0, 3)) == 0 else draw(plain(like))
    if like is None and (depth == 0 or draw(st.integers(0, 2)) == 0):
        return draw(plain())
    kind = draw(st.sampled_from(list(CONTAINERS))) if like is None else like[0]
    if like is not None and draw(st.integers(0, 3)) == 0:  # the same contents in another container
        others = [k for k, shape in CONTAINERS.items() if shape == CONTAINERS[kind] and k != kind]
        if others:
            return _moved(like, draw(st.sampled_from(others)))
    inner = lambda old=None: python_value(old, depth - 1)  # noqa: E731
    shape = CONTAINERS[kind]
    if shape == "items":
        items = draw(st.lists(inner(), max_size=3)) if like is None else draw(list_near(like[1], inner(), near=inner))
        if kind != "deque":
            return (kind, items)
        maxlen = draw(st.sampled_from([None, 3, 4])) if like is None else \
            like[2] if draw(st.booleans()) else draw(st.sampled_from([None, 3, 4]))
        return ("deque", items, None if maxlen is None else max(maxlen, len(items)))
    if shape == "pairs":
        pair = st.tuples(labels, inner())
        pairs = draw(st.lists(pair, max_size=3)) if like is None else draw(list_near(
            like[1], pair, near=lambda old: st.one_of(inner(old[1]).map(lambda v: (old[0], v)), pair)))
        return (kind, list(dict(pairs).items()))
    if shape == "set":
        return ("frozenset", sorted(draw(st.sets(labels, max_size=3))))
    field = Sibling(draw, like, [-2, -1] + ([1] if kind == "dataclass" else []))
    x, y = field(-2, inner(), near=inner), field(-1, inner(), near=inner)
    return ("attrs", x, y) if kind == "attrs" else ("dataclass", field(1, st.booleans()), x, y)


def _moved(recipe, kind):
    """The contents of ``recipe`` in a container of another kind."""
    if kind == "deque":
        return ("deque", recipe[1], None)
    if kind == "attrs":
        return ("attrs", recipe[-2], recipe[-1])
    if kind == "dataclass":
        return ("dataclass", False, recipe[-2], recipe[-1])
    return (kind, recipe[1])


def any_value(like=None):
    """Any recipe; given ``like``, nine times in ten a sibling of it from the same family."""
    families = [pandas_value, pandas_value, numpy_value, python_value] + ([polars_value] if pl is not None else [])

    @st.composite
    def make(draw):
        if like is not None and draw(st.integers(0, 9)):
            return draw(family_of(like[0])(like))
        return draw(st.sampled_from(families).flatmap(lambda family: family()))
    return make()


def family_of(kind):
    if kind in PANDAS_KINDS or kind == "range":
        return pandas_value
    if kind in ("ndarray", "npscalar", "masked"):
        return numpy_value
    if kind in ("pl_series", "pl_frame", "pl_numbers"):
        return polars_value
    return python_value


def top_level(recipe):
    """Bare floats go in a list: top-level scalars are read by ``Tokenizer.token`` itself (see the
    NaN payload test below), containers and data by the value tokens under test here."""
    return ("list", [recipe]) if recipe[0] == "float" or recipe[0] == "npscalar" and recipe[1] == "float64" \
        else recipe


def float_paths(recipe, path=()):
    """Where the floats of a recipe are."""
    if isinstance(recipe, float):
        yield path
    elif isinstance(recipe, (tuple, list, dict)):
        for at, part in (recipe.items() if isinstance(recipe, dict) else enumerate(recipe)):
            yield from float_paths(part, (*path, at))


def replaced(recipe, path, value):
    if not path:
        return value
    at, rest = path[0], path[1:]
    if isinstance(recipe, dict):
        return {**recipe, at: replaced(recipe[at], rest, value)}
    return type(recipe)(replaced(part, rest, value) if i == at else part for i, part in enumerate(recipe))


def stored(dtype, values):
    """Values as a column of ``dtype`` stores them: float32 rounds, masked and Arrow floats make NaN a null."""
    if dtype in ("float32", "<f4", "Float32"):
        return [None if v is None else to_float32(v) for v in values]
    if dtype in ("Float64", "float64[pyarrow]"):
        return [None if v is None or v != v else v for v in values]
    return values


def as_stored(recipe):
    """The recipe of the value it builds, after a float in it changed (see ``stored``)."""
    kind = recipe[0]
    if kind in ("series", "ndarray", "npscalar", "pl_series"):
        return (kind, recipe[1], stored(recipe[1], recipe[2]), *recipe[3:])
    if kind == "frame":
        return ("frame", [(name, dtype, stored(dtype, values)) for name, dtype, values in recipe[1]], recipe[2])
    if kind == "pl_frame":
        return ("pl_frame", [(dtype, stored(dtype, values), name) for dtype, values, name in recipe[1]])
    return recipe


@st.composite
def recipe_families(draw):
    """A recipe and a few near relatives: each a sibling of one drawn before it, often the same
    with one float (anywhere in it) swapped for its twin: the other zero, another NaN."""
    recipes = [top_level(draw(any_value()))]
    for _ in range(draw(st.integers(1, 5))):
        like = draw(st.sampled_from(recipes))
        paths = list(float_paths(like))
        if paths and draw(st.integers(0, 2)) == 0:
            path = draw(st.sampled_from(paths))
            old = functools.reduce(lambda part, at: part[at], path, like)
            recipes.append(as_stored(replaced(like, path, draw(float_twin(old)))))
        else:
            recipes.append(top_level(draw(any_value(like=like))))
    return recipes


PROFILE = settings(max_examples=int(os.environ.get("HAMILTON_NB_TOKEN_EXAMPLES", "400")), deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.filter_too_much])


# ---- the properties -------------------------------------------------------------------------------
@PROFILE
@given(recipe_families())
def test_values_that_differ_never_share_a_token_and_equal_ones_always_do(recipes):
    values = [build(recipe) for recipe in recipes]
    tokens = [token(value) for value in values]
    for i, j in itertools.combinations(range(len(recipes)), 2):
        same = key(recipes[i]) == key(recipes[j])
        event(f"{recipes[i][0]} / {recipes[j][0]}: {'equal' if same else 'differ'}")
        if same:
            assert tokens[i] == tokens[j], f"equal values, different tokens:\n{values[i]!r}\n{values[j]!r}"
        else:
            assert tokens[i] != tokens[j], \
                f"different values, one token:\n{recipes[i]}\n{recipes[j]}\n{values[i]!r}\n{values[j]!r}"


@settings(PROFILE, max_examples=max(10, PROFILE.max_examples // 3))
@given(any_value().map(top_level))
def test_a_value_built_twice_has_one_token(recipe):
    assert token(build(recipe)) == token(build(recipe))


@pytest.mark.parametrize("value", [Point(1.0, [2]), FrozenPoint(1.0), *([AttrsPoint(1.0)] if attrs else [])],
                         ids=lambda value: type(value).__name__)
def test_dataclass_and_attrs_instances_get_content_tokens(value):
    changed = dataclasses.replace(value, x=2.0) if dataclasses.is_dataclass(value) else attrs.evolve(value, x=2.0)
    assert token(value) != token(changed)
    assert token(value) == token(dataclasses.replace(value) if dataclasses.is_dataclass(value)
                                 else attrs.evolve(value))


def test_examples_from_the_known_holes():
    s = pd.Series(pd.Categorical(list("abca")))
    assert token(s) != token(s.cat.reorder_categories(list("cba")))
    assert token(s) != token(s.cat.add_categories(["z"]))
    assert token(s) != token(s.cat.as_ordered())
    days, business = pd.date_range("2024-01-01", periods=3, freq="D"), pd.bdate_range("2024-01-01", periods=3)
    assert list(days) == list(business) and token(days) != token(business)
    assert token(collections.deque([1.0])) != token(collections.deque([9.0]))
    assert token(collections.deque([1.0])) != token(collections.deque([1.0], maxlen=3))
    if pl is not None:
        assert token(pl.Series([0.0])) != token(pl.Series([-0.0]))
        assert token(pl.DataFrame({"a": [0.0], "b": [1.0]})) != token(pl.DataFrame({"a": [-0.0], "b": [1.0]}))
    sparse = [0.0, 1.0, 0.0]
    assert token(pd.arrays.SparseArray(sparse)) != token(pd.arrays.SparseArray(sparse, fill_value=1.0))
    assert token(pd.Series(["a"], dtype="string[pyarrow]")) != token(pd.Series(["a"], dtype="string[python]"))
    assert token(pd.Series([1, None], dtype="Int64")) != token(pd.Series([1, np.nan]))
    assert token(np.ma.array([1, 2], mask=[0, 1])) != token(np.ma.array([1, 2], mask=[1, 0]))
    tagged = [TaggedDeque([1]), TaggedDeque([2])]
    for value in tagged:
        value.tag = "same"
    assert token(tagged[0]) != token(tagged[1])


def test_arrow_dictionary_columns_count_their_dictionary_order():
    pa = pytest.importorskip("pyarrow")

    def column(indices, dictionary):
        return pd.Series(pd.arrays.ArrowExtensionArray(pa.DictionaryArray.from_arrays(
            pa.array(indices, pa.int8()), pa.array(dictionary))))
    assert column([0, 1], ["a", "b"]).tolist() == column([1, 0], ["b", "a"]).tolist()
    assert token(column([0, 1], ["a", "b"])) != token(column([1, 0], ["b", "a"]))
    assert token(column([0, 1], ["a", "b"])) == token(column([0, 1], ["a", "b"]))


@pytest.mark.parametrize("kind", [float, np.float64])
def test_a_bare_float_keeps_its_nan_payload(kind):
    assert token(kind(from_bits(0x7FF8000000000001))) != token(kind(NAN))


# ---- across processes -----------------------------------------------------------------------------
FIXED = [("list", [("float", -0.0), ("float", from_bits(0x7FF8000000000001)), ("str", "a")]),
         ("deque", [("int", 1), ("tuple", [("none",)])], 4),
         ("mappingproxy", [("a", ("float", 1.5))]),
         ("dataclass", False, ("float", 1.0), ("list", [("int", 2)])),
         ("dataclass", True, ("str", "x"), ("none",)),
         ("series", "float64", [0.0, -0.0, NAN], "s", ("dates", "2024-01-01", 3, "B", "Europe/Paris", "t")),
         ("series", "object", [1, "1", 1.0, None, True, -0.0], None, None),
         ("series", "string[pyarrow]", ["a", None], 0, None),
         ("categorical", ["a", None, "b"], ["b", "a", "c"], True, "frame", "c"),
         ("categorical", ["a", "b"], ["a", "b"], False, "index", "i"),
         ("multiindex", [[2, 1, 3], ["x", "y"]], [[0, 1, -1], [1, 0, 0]], ["p", None]),
         ("periods", 2, "M", None), ("timedeltas", 2, "h", "d"),
         ("frame", [("x", "Int64", [1, None]), ("y", "datetime64[ns, UTC]", [0, None])], ("range", 2, None)),
         ("ndarray", ">f8", [1.0, -0.0], True), ("masked", [1.0, 2.0], [False, True])]
if pl is not None:
    FIXED += [("pl_series", "String", ["a", None], "s"), ("pl_series", "Enum:ba", ["a", "b"], "e"),
              ("pl_frame", [("List", [[0.0, None], None], "l"), ("Struct", [{"x": -0.0}, None], "t")]),
              ("pl_numbers", "Float64", [0.0, -0.0, 1.5])]
if attrs is not None:
    FIXED.append(("attrs", ("int", 1), ("float", 2.0)))


def fixed_tokens() -> list[str]:
    return [token(build(recipe)) for recipe in FIXED]


def test_tokens_are_the_same_in_another_process():
    script = ("import importlib, json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
              "print(json.dumps(importlib.import_module(sys.argv[2]).fixed_tokens()))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", script, json.dumps(sys.path), __name__],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == fixed_tokens()
    assert len(set(fixed_tokens())) == len(FIXED)

