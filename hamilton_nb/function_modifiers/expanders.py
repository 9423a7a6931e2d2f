"""``@extract_columns`` and ``@extract_fields``: one returned container → one node per part.

The function's own node (the DataFrame / dict) stays in the graph under its name; each
extracted column/field is a node that depends on it. An extracted node's value depends only
on that container and its key, so its fingerprint is just the key: editing the function makes
the container stale, and the parts follow through the graph.
"""
from __future__ import annotations

import dataclasses
import typing
from typing import Any, Mapping

from ..graph import fingerprint as fp
from ..graph.value_tokens import value_token
from ..graph.build import where
from ..graph.node import Dependency, Node
from ..graph.types import describe
from .base import TRANSFORM, Context, InvalidDecoratorError, MissingColumnError, MissingFieldError, Modifier


# ---- column types ---------------------------------------------------------------------------
def column_type(frame_type: Any) -> Any | None:
    """The type of one column of a ``frame_type`` (pandas or polars DataFrame), or None."""
    origin = typing.get_origin(frame_type) or frame_type
    if not isinstance(origin, type):
        return None
    for klass in origin.__mro__:
        module, name = klass.__module__, klass.__qualname__
        if name == "DataFrame" and module.split(".")[0] in ("pandas", "polars"):
            import importlib

            return importlib.import_module(module.split(".")[0]).Series
    return None


def _columns_of(frame: Any) -> list:
    columns = getattr(frame, "columns", None)
    return list(columns) if columns is not None else []


class _FillMissing:
    """The container node's callable when ``fill_with`` is set: add missing keys, then return."""

    def __init__(self, inner, keys: tuple, fill_with: Any, is_frame: bool):
        self.inner, self.keys, self.fill_with, self.is_frame = inner, keys, fill_with, is_frame

    def __call__(self, **kwargs: Any) -> Any:
        result = self.inner(**kwargs)
        if self.is_frame:
            missing = [k for k in self.keys if k not in _columns_of(result)]
            if missing and hasattr(result, "assign"):
                if hasattr(result, "with_columns"):  # polars
                    import polars as pl

                    result = result.with_columns(*(pl.lit(self.fill_with).alias(k) for k in missing))
                else:
                    result = result.copy(deep=False)
                    for k in missing:
                        result[k] = self.fill_with
        elif isinstance(result, dict):
            missing = [k for k in self.keys if k not in result]
            if missing:
                result = {**result, **{k: self.fill_with for k in missing}}
        return result


class _ColumnGetter:
    """Callable of an extracted-column node: ``frame[column]``, or a clear error."""

    def __init__(self, column: str, frame_node: str, function: str, module: str):
        self.column, self.frame_node, self.function, self.module = column, frame_node, function, module

    def __call__(self, **kwargs: Any) -> Any:
        frame = kwargs[self.frame_node]
        columns = _columns_of(frame)
        if self.column not in columns:
            shown = ", ".join(map(repr, columns[:20])) + (" …" if len(columns) > 20 else "")
            raise MissingColumnError(
                f"`{self.function}` ({where(self.module)}) returned a DataFrame without column "
                f"{self.column!r}, which @extract_columns promises; its columns are: {shown or '(none)'}.\n"
                f"Fix: produce column {self.column!r} in `{self.function}`, remove it from "
                f"@extract_columns, or pass fill_with=... to fill missing columns.")
        return frame[self.column]

    def __repr__(self) -> str:
        return f"<extract column {self.column!r} from {self.frame_node}>"


class _FieldGetter:
    """Callable of an extracted-field node: ``result[field]``, or a clear error."""

    def __init__(self, field: str, dict_node: str, function: str, module: str):
        self.field, self.dict_node, self.function, self.module = field, dict_node, function, module

    def __call__(self, **kwargs: Any) -> Any:
        found = kwargs[self.dict_node]
        if not isinstance(found, Mapping) or self.field not in found:
            keys = list(found.keys()) if isinstance(found, Mapping) else f"a {type(found).__name__}"
            raise MissingFieldError(
                f"`{self.function}` ({where(self.module)}) returned {keys!r} without field "
                f"{self.field!r}, which @extract_fields promises.\n"
                f"Fix: return a dict with key {self.field!r} from `{self.function}`, remove it from "
                f"@extract_fields, or pass fill_with=....")
        return found[self.field]

    def __repr__(self) -> str:
        return f"<extract field {self.field!r} from {self.dict_node}>"


def _part_node(container: Node, name: str, type_: Any, doc: str, getter: Any, kind: str) -> Node:
    return dataclasses.replace(
        container, name=name, callable=getter, type=type_, doc=doc, checks=(),
        dependencies={container.name: Dependency(node=container.name, type=container.type)},
        tags=dict(container.tags), fingerprint=fp.digest(kind, name))


def _filled(container: Node, keys: tuple, fill_with: Any, is_frame: bool, kind: str) -> Node:
    if fill_with is None:
        return container
    return dataclasses.replace(
        container, callable=_FillMissing(container.callable, keys, fill_with, is_frame),
        fingerprint=fp.digest(container.fingerprint, kind, "fill_with", value_token(fill_with),
                              *map(str, keys)))


# ---- @extract_columns -----------------------------------------------------------------------
class extract_columns(Modifier):
    """``@extract_columns("a", ("b", "doc of b"), fill_with=None)`` on a function returning a DataFrame."""

    stage = TRANSFORM
    decorator = "@extract_columns"

    def __init__(self, *columns: str | tuple[str, str], fill_with: Any = None):
        if not columns:
            raise InvalidDecoratorError("@extract_columns: no columns given.\n"
                                        "Fix: name them, e.g. @extract_columns(\"spend\", \"signups\").")
        if len(columns) == 1 and isinstance(columns[0], (list, tuple)) and not _is_named_doc(columns[0]):
            raise InvalidDecoratorError(
                f"@extract_columns: got one {type(columns[0]).__name__} {columns[0]!r}; columns are "
                "separate arguments.\nFix: unpack it: @extract_columns(*my_columns).")
        self.columns: list[tuple[str, str | None]] = []
        for column in columns:
            if isinstance(column, str):
                self.columns.append((column, None))
            elif _is_named_doc(column):
                self.columns.append((column[0], column[1]))
            else:
                raise InvalidDecoratorError(
                    f"@extract_columns: column {column!r} is neither a name nor a (name, doc) tuple.\n"
                    "Fix: pass column names as strings, e.g. @extract_columns(\"a\", (\"b\", \"doc of b\")).")
        bad = [c for c, _ in self.columns if not c.isidentifier()]
        if bad:
            raise InvalidDecoratorError(
                f"@extract_columns: {', '.join(map(repr, bad))} cannot be node names (each column "
                "becomes a node, whose name other functions use as a parameter).\n"
                "Fix: rename the columns to valid Python identifiers inside the function.")
        self.fill_with = fill_with

    def __repr__(self) -> str:
        return f"@extract_columns({', '.join(repr(c) for c, _ in self.columns)})"

    def transform(self, node: Node, ctx: Context) -> list[Node]:
        series = column_type(node.type)
        if series is None:
            raise ctx.error(self.decorator,
                            f"`{node.name}` returns {describe(node.type)}, and only DataFrames have columns "
                            "to extract.",
                            "annotate the return type as pd.DataFrame (or polars.DataFrame) and return one.")
        keys = tuple(c for c, _ in self.columns)
        frame = _filled(node, keys, self.fill_with, True, "extract_columns")
        parts = [_part_node(frame, column, series, node.doc if doc is None else doc,
                            _ColumnGetter(column, node.name, ctx.fn.__name__, ctx.module), "extract_columns")
                 for column, doc in self.columns]
        return [frame, *parts]


def _is_named_doc(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item)


# ---- @extract_fields ------------------------------------------------------------------------
def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__") \
        and hasattr(tp, "__annotations__")


def _is_type(tp: Any) -> bool:
    return isinstance(tp, type) or tp is Any or typing.get_origin(tp) is not None


class extract_fields(Modifier):
    """``@extract_fields({"a": int, "b": pd.Series})`` on a function returning a dict.

    ``fields`` may also be a list of names when the return type says the value type
    (``dict[str, float]``) or is a ``TypedDict``; with a ``TypedDict`` it may be omitted.
    """

    stage = TRANSFORM
    decorator = "@extract_fields"

    def __init__(self, fields: Mapping[str, Any] | list[str] | str | None = None, *others: str,
                 fill_with: Any = None):
        if isinstance(fields, str):
            fields = [fields, *others]
        elif isinstance(fields, list):
            fields = [*fields, *others]
        if isinstance(fields, Mapping):
            bad = [f"{k!r}: {v!r}" for k, v in fields.items() if not isinstance(k, str) or not _is_type(v)]
            if bad or not fields:
                raise InvalidDecoratorError(
                    f"@extract_fields: expects a non-empty dict of field name → type; bad entries: "
                    f"{', '.join(bad) or '(empty dict)'}.\nFix: e.g. @extract_fields({{\"mean\": float, "
                    "\"count\": int}}).")
        elif fields is not None and (not fields or not all(isinstance(f, str) for f in fields)):
            raise InvalidDecoratorError(
                f"@extract_fields: expects field names or a dict of name → type, got {fields!r}.\n"
                "Fix: e.g. @extract_fields({\"mean\": float, \"count\": int}).")
        self.fields = fields
        self.fill_with = fill_with

    def __repr__(self) -> str:
        return f"@extract_fields({self.fields!r})"

    def _resolved(self, return_type: Any, ctx: Context) -> dict[str, Any]:
        fields = self.fields
        if _is_typeddict(return_type):
            declared = typing.get_type_hints(return_type)
            if fields is None:
                return declared
            unknown = [f for f in fields if f not in declared]
            if unknown:
                raise ctx.error(self.decorator,
                                f"{', '.join(map(repr, unknown))} are not fields of {return_type.__name__} "
                                f"(its fields: {', '.join(declared)}).",
                                "extract only declared fields, or add them to the TypedDict.")
            return {f: (fields[f] if isinstance(fields, Mapping) else declared[f]) for f in fields}
        origin = typing.get_origin(return_type) or return_type
        if not (isinstance(origin, type) and issubclass(origin, Mapping)):
            raise ctx.error(self.decorator,
                            f"`{ctx.fn.__name__}` returns {describe(return_type)}; fields can only be "
                            "extracted from a dict.",
                            "annotate the return type as dict (or dict[str, T], or a TypedDict) and return one.")
        if isinstance(fields, Mapping):
            return dict(fields)
        args = typing.get_args(return_type)
        if fields is None or len(args) != 2:
            raise ctx.error(self.decorator,
                            f"the types of the fields are unknown (`{ctx.fn.__name__}` returns "
                            f"{describe(return_type)}).",
                            "give a dict of field name → type, e.g. @extract_fields({\"mean\": float}), "
                            "or annotate the return type as dict[str, T] or a TypedDict.")
        return {f: args[1] for f in fields}

    def transform(self, node: Node, ctx: Context) -> list[Node]:
        fields = self._resolved(node.type, ctx)
        bad = [f for f in fields if not f.isidentifier()]
        if bad:
            raise ctx.error(self.decorator, f"{', '.join(map(repr, bad))} cannot be node names.",
                            "use valid Python identifiers as field names.")
        container = _filled(node, tuple(fields), self.fill_with, False, "extract_fields")
        parts = [_part_node(container, field, tp, node.doc,
                            _FieldGetter(field, node.name, ctx.fn.__name__, ctx.module), "extract_fields")
                 for field, tp in fields.items()]
        return [container, *parts]


# ---- @unpack_fields -------------------------------------------------------------------------
class _ItemGetter:
    """Callable of an unpacked-field node: ``result[index]``, or a clear error."""

    def __init__(self, index: int, field: str, tuple_node: str, function: str, module: str):
        self.index, self.field, self.tuple_node = index, field, tuple_node
        self.function, self.module = function, module

    def __call__(self, **kwargs: Any) -> Any:
        found = kwargs[self.tuple_node]
        if not isinstance(found, tuple) or self.index >= len(found):
            size = f"a tuple of {len(found)}" if isinstance(found, tuple) else f"a {type(found).__name__}"
            raise MissingFieldError(
                f"`{self.function}` ({where(self.module)}) returned {size}, without element {self.index} "
                f"that @unpack_fields names {self.field!r}.\n"
                f"Fix: return a tuple with one element per unpacked field from `{self.function}`.")
        return found[self.index]

    def __repr__(self) -> str:
        return f"<unpack element {self.index} of {self.tuple_node}>"


class unpack_fields(Modifier):
    """``@unpack_fields("low", "high")`` on ``-> tuple[float, float]``: one node per element.

    The tuple's element types (``tuple[int, str]``, or ``tuple[int, ...]`` for any length) are
    the nodes' types; the function's own node (the tuple) stays.
    """

    stage = TRANSFORM
    decorator = "@unpack_fields"

    def __init__(self, *fields: str):
        if not fields or not all(isinstance(f, str) and f.isidentifier() for f in fields):
            raise InvalidDecoratorError(f"@unpack_fields{fields!r}: expects node names, one per tuple element.\n"
                                        "Fix: e.g. @unpack_fields(\"low\", \"high\") on `-> tuple[float, float]`.")
        self.fields = fields
        self.decorator = f"@unpack_fields{fields!r}"

    def __repr__(self) -> str:
        return self.decorator

    def _types(self, node: Node, ctx: Context) -> list[Any]:
        tp = node.type
        args = typing.get_args(tp)
        if (typing.get_origin(tp) or tp) is not tuple or not args:
            raise ctx.error(self.decorator, f"`{ctx.fn.__name__}` returns {describe(tp)}; only a tuple with "
                            "declared element types can be unpacked.",
                            "annotate the return type as tuple[T1, T2, ...] (or tuple[T, ...]).")
        if len(args) == 2 and args[1] is Ellipsis:
            return [args[0]] * len(self.fields)
        if len(args) < len(self.fields):
            raise ctx.error(self.decorator, f"unpacks {len(self.fields)} fields from {describe(tp)}, which has "
                            f"{len(args)} elements.", "name one field per element (or fewer).")
        return list(args[: len(self.fields)])

    def transform(self, node: Node, ctx: Context) -> list[Node]:
        parts = [_part_node(node, field, tp, node.doc,
                            _ItemGetter(i, field, node.name, ctx.fn.__name__, ctx.module), "unpack_fields")
                 for i, (field, tp) in enumerate(zip(self.fields, self._types(node, ctx)))]
        # the element's position is what the getter reads
        parts = [dataclasses.replace(p, fingerprint=fp.digest(p.fingerprint, str(i))) for i, p in enumerate(parts)]
        return [node, *parts]
