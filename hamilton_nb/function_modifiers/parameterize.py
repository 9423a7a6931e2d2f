"""``@parameterize`` and friends: one function → several nodes, each with some parameters bound.

A parameter is bound either to a literal, ``value(x)``, or to another node, ``source("name")``.
Parameters left unbound stay ordinary dependencies. Each output's doc is the function's
docstring formatted with ``{output_name}`` and the bound parameters (literal values, or the
names of the source nodes); placeholders that match nothing become their bare name.
Each output's fingerprint includes its own bindings, so changing ``value(3)`` to ``value(4)``
makes exactly that output (and what depends on it) stale.
"""
from __future__ import annotations

import collections.abc
import copy
import dataclasses
import functools
import inspect
from typing import Any, Mapping

from ..graph import fingerprint as fp
from ..graph.value_tokens import bound_token, value_token
from ..graph.build import function_node
from ..graph.watch import watching
from ..graph.node import Node
from .base import EXPAND, Context, InvalidDecoratorError, Modifier

OUTPUT_NAME = "output_name"  # reserved: the docstring placeholder for the output's name


class value:
    """A literal to pass for a parameter: ``value(3)``. Snapshotted when the decorator runs, so
    editing the original dict or list afterwards can't change a node behind its version."""

    __slots__ = ("value",)

    def __init__(self, literal: Any):
        try:
            self.value = copy.deepcopy(literal)
        except Exception:  # can't be copied: its content token still covers it when defined
            self.value = literal

    def token(self) -> str:
        return "value:" + value_token(self.value)

    def __repr__(self) -> str:
        return f"value({self.value!r})"


class source:
    """Another node's output to pass for a parameter: ``source("node_name")``."""

    __slots__ = ("source",)

    def __init__(self, dependency_on: str):
        if not isinstance(dependency_on, str) or not dependency_on.isidentifier():
            raise InvalidDecoratorError(
                f"source({dependency_on!r}): a source is the name of a node.\n"
                "Fix: write source(\"node_name\"), or value(...) to pass a literal.")
        self.source = dependency_on

    def token(self) -> str:
        return "source:" + self.source

    def __repr__(self) -> str:
        return f"source({self.source!r})"


class group:
    """Several values for one parameter: ``group(source("a"), value(2))`` passes a list,
    ``group(x=source("a"), y=value(2))`` a dict."""

    __slots__ = ("items", "named")

    def __init__(self, *items: value | source, **named: value | source):
        if bool(items) == bool(named) or not all(isinstance(b, (value, source))
                                                 for b in (*items, *named.values())):
            raise InvalidDecoratorError(
                "group(...): expects value(...)/source(...) items, either all positional (a list) or all "
                "named (a dict).\nFix: e.g. group(source(\"a\"), source(\"b\")) or group(a=source(\"a\")).")
        self.items, self.named = list(items), dict(named)

    def members(self) -> list[tuple[Any, value | source]]:
        return list(enumerate(self.items)) if self.items else list(self.named.items())

    def token(self) -> str:
        return "group:" + fp.digest(*(f"{k}={b.token()}" for k, b in self.members()))

    def __repr__(self) -> str:
        return f"group({', '.join(map(repr, self.items)) or ', '.join(f'{k}={b!r}' for k, b in self.named.items())})"


class _Grouped:
    """Calls the function with each grouped parameter assembled from its members' values."""

    def __init__(self, fn, groups: Mapping[str, group]):
        self.fn, self.groups = fn, dict(groups)

    def __call__(self, **kwargs: Any) -> Any:
        for param, grouped in self.groups.items():
            parts = {key: (kwargs.pop(_member_param(param, key)) if isinstance(b, source) else b.value)
                     for key, b in grouped.members()}
            kwargs[param] = list(parts.values()) if grouped.items else parts
        return self.fn(**kwargs)


def _member_param(param: str, key: Any) -> str:
    return f"{param}[{key}]"


class _DocFields(dict):
    def __missing__(self, key: str) -> str:
        return key  # an unbound placeholder shows its own name


class parameterize(Modifier):
    """``@parameterize(out_a={"p": value(1)}, out_b=({"p": source("x")}, "doc for out_b"))``."""

    stage = EXPAND
    decorator = "@parameterize"

    def __init__(self, **outputs: Mapping[str, Any] | tuple[Mapping[str, Any], str]):
        if not outputs:
            raise InvalidDecoratorError(f"{self.decorator}: no outputs given.\n"
                                        f"Fix: {self.decorator}(output_name={{\"param\": value(1)}}, ...).")
        self.bindings: dict[str, dict[str, value | source]] = {}
        self.docs: dict[str, str] = {}
        for out, spec in outputs.items():
            if isinstance(spec, tuple):
                if len(spec) != 2 or not isinstance(spec[1], str):
                    raise InvalidDecoratorError(
                        f"{self.decorator}: `{out}` must be a dict of bindings or (dict, \"doc\"), "
                        f"got {spec!r}.\nFix: write {out}=({{\"param\": value(1)}}, \"what {out} is\").")
                spec, self.docs[out] = spec
            if not isinstance(spec, Mapping):
                raise InvalidDecoratorError(
                    f"{self.decorator}: `{out}` must map parameter names to value(...) or source(...), "
                    f"got {spec!r}.\nFix: write {out}={{\"param\": value(1)}}.")
            bad = {p: b for p, b in spec.items() if not isinstance(b, (value, source, group))}
            if bad:
                shown = ", ".join(f"{p}={b!r}" for p, b in bad.items())
                raise InvalidDecoratorError(
                    f"{self.decorator}: output `{out}` binds {shown} directly.\n"
                    "Fix: wrap each binding: value(x) for a literal, source(\"node\") for another node's output.")
            self.bindings[out] = dict(spec)

    def __repr__(self) -> str:
        return f"{self.decorator}({', '.join(self.bindings)})"

    # ---- resolving ------------------------------------------------------------------------
    def expand(self, ctx: Context) -> list[Node]:
        base = function_node(ctx.fn, ctx.module, name=ctx.name)
        params = list(base.dependencies)
        if OUTPUT_NAME in params:
            raise ctx.error(self.decorator, f"`{OUTPUT_NAME}` is reserved (it names each output "
                            "in the docstring) and cannot be a parameter.",
                            f"rename the parameter `{OUTPUT_NAME}`.")
        for out, binding in self.bindings.items():
            unknown = [p for p in binding if p not in base.dependencies]
            if unknown:
                raise ctx.error(self.decorator,
                                f"output `{out}` binds {', '.join(f'`{p}`' for p in unknown)}, but "
                                f"`{ctx.fn.__name__}` has no such parameter (its parameters: "
                                f"{', '.join(params) or 'none'}).",
                                "bind only parameters the function takes, or add the parameter to the function.")
        return [self._output(base, out, binding, ctx) for out, binding in self.bindings.items()]

    def _output(self, base: Node, out: str, binding: Mapping[str, value | source], ctx: Context) -> Node:
        literals = {p: b.value for p, b in binding.items() if isinstance(b, value)}
        groups = {p: b for p, b in binding.items() if isinstance(b, group)}
        deps = {}
        for param, dep in base.dependencies.items():
            bound = binding.get(param)
            if isinstance(bound, value):
                continue
            if isinstance(bound, group):
                member_type = _member_type(dep.type, bound, param, ctx, self.decorator)
                deps.update({_member_param(param, key): dataclasses.replace(dep, node=b.source, type=member_type)
                             for key, b in bound.members() if isinstance(b, source)})
                continue
            deps[param] = dataclasses.replace(dep, node=bound.source) if isinstance(bound, source) else dep
        call = functools.partial(ctx.fn, **literals) if literals else ctx.fn
        if groups:
            call = _Grouped(call, groups)
        tokens = sorted(f"{p}={b.token()}" for p, b in binding.items())
        # A literal holding user code (an instance of a notebook class, a function) is read again
        # before every execute, like a global: its class can be edited after the decorator ran.
        carriers = [v for v in literals.values() if bound_token(v)[1]]
        return dataclasses.replace(
            base, name=out, callable=call, dependencies=deps, doc=self._doc(out, binding, ctx),
            function=watching(base.function, carriers),
            fingerprint=fp.digest(base.fingerprint, "parameterize", out, *tokens))

    def _doc(self, out: str, binding: Mapping[str, value | source], ctx: Context) -> str:
        if out in self.docs:
            return self.docs[out]
        doc = ctx.fn.__doc__
        if not doc:
            return ""
        fields = _DocFields({p: (b.value if isinstance(b, value) else b.source if isinstance(b, source) else b)
                             for p, b in binding.items()})
        fields[OUTPUT_NAME] = out
        try:
            return inspect.cleandoc(doc.format_map(fields))
        except (ValueError, IndexError, KeyError, AttributeError, TypeError) as exc:
            raise ctx.error(self.decorator,
                            f"its docstring is a format template for each output, and formatting it "
                            f"for `{out}` failed ({type(exc).__name__}: {exc}).",
                            "use {param} or {output_name} placeholders only, and double literal braces "
                            "as {{ and }}.") from None


def _member_type(annotated: Any, grouped: group, param: str, ctx: Context, decorator: str) -> Any:
    """The type each member of ``group`` must have: ``T`` of ``list[T]`` (or ``dict[str, T]``)."""
    import typing

    origin, args = typing.get_origin(annotated), typing.get_args(annotated)
    wanted = (list, tuple, collections.abc.Sequence) if grouped.items else (dict, collections.abc.Mapping)
    if origin not in wanted or not args:
        shape = "list[T]" if grouped.items else "dict[str, T]"
        raise ctx.error(decorator, f"parameter `{param}` receives a group, but is annotated "
                        f"{getattr(annotated, '__name__', annotated)}.", f"annotate `{param}` as {shape}.")
    return args[-1]


def _output_and_doc(key: Any, decorator: str) -> tuple[str, str | None]:
    if isinstance(key, str):
        return key, None
    if isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key):
        return key[0], key[1]
    raise InvalidDecoratorError(
        f"{decorator}: output key {key!r} must be a name or a (name, doc) tuple.\n"
        f"Fix: e.g. {{(\"spend_x2\", \"spend doubled\"): 2}}.")


class parameterize_values(parameterize):
    """``@parameterize_values(parameter="k", assigned_output={("out", "doc"): 3, "out2": 4})``.

    One output per entry, each passing its literal for ``parameter``. Keys are an output
    name or a ``(name, doc)`` tuple.
    """

    decorator = "@parameterize_values"

    def __init__(self, parameter: str, assigned_output: Mapping[Any, Any]):
        if not isinstance(parameter, str) or not isinstance(assigned_output, Mapping) or not assigned_output:
            raise InvalidDecoratorError(
                f"{self.decorator}: expects parameter=\"name\" and a non-empty assigned_output dict.\n"
                f"Fix: {self.decorator}(parameter=\"k\", assigned_output={{(\"out\", \"doc\"): 1}}).")
        outputs: dict[str, Any] = {}
        for key, literal in assigned_output.items():
            out, doc = _output_and_doc(key, self.decorator)
            outputs[out] = ({parameter: value(literal)}, doc) if doc is not None else {parameter: value(literal)}
        super().__init__(**outputs)


class parameterize_sources(parameterize):
    """``@parameterize_sources(out_a={"p": "node_x"}, out_b={"p": "node_y"})``: bind to other nodes."""

    decorator = "@parameterize_sources"

    def __init__(self, **outputs: Mapping[str, str]):
        if not outputs:
            raise InvalidDecoratorError(f"{self.decorator}: no outputs given.\n"
                                        f"Fix: {self.decorator}(out_a={{\"param\": \"node_x\"}}).")
        converted = {}
        for out, mapping in outputs.items():
            if not isinstance(mapping, Mapping) or not mapping:
                raise InvalidDecoratorError(
                    f"{self.decorator}: `{out}` must map parameters to node names, got {mapping!r}.\n"
                    f"Fix: {out}={{\"param\": \"node_name\"}}.")
            converted[out] = {p: source(n) for p, n in mapping.items()}
        super().__init__(**converted)


@dataclasses.dataclass
class ParameterizedExtract:
    """One parameterization of :class:`parameterize_extract_columns`: the columns it extracts
    (``outputs``) and its bindings (``input_mapping``: parameter → ``value(...)``/``source(...)``)."""

    outputs: tuple[str, ...]
    input_mapping: dict[str, Any]


class _RenameColumns:
    """The frame node's callable: the function's DataFrame, its columns renamed to the outputs."""

    def __init__(self, inner, columns: tuple[str, ...]):
        self.inner, self.columns = inner, tuple(columns)

    def __call__(self, **kwargs: Any) -> Any:
        frame = self.inner(**kwargs)
        if len(frame.columns) != len(self.columns):
            raise InvalidDecoratorError(
                f"@parameterize_extract_columns: the DataFrame has {len(frame.columns)} columns "
                f"({', '.join(map(str, frame.columns))}), but {len(self.columns)} outputs are named "
                f"({', '.join(self.columns)}).\nFix: name one output per column, in order.")
        return frame.set_axis(list(self.columns), axis=1)


class parameterize_extract_columns(Modifier):
    """``@parameterize_extract_columns(ParameterizedExtract(("a", "b"), {"k": value(1)}), ...)``.

    For each parameterization the function runs with its bindings into a DataFrame node
    ``<function>__<i>``, whose columns (renamed to ``outputs`` in order, unless
    ``reassign_columns=False``) become nodes, as with ``@extract_columns``.
    """

    stage = EXPAND
    decorator = "@parameterize_extract_columns"

    def __init__(self, *extract_config: ParameterizedExtract, reassign_columns: bool = True):
        if not extract_config or not all(isinstance(e, ParameterizedExtract) for e in extract_config):
            raise InvalidDecoratorError(
                f"{self.decorator}: expects ParameterizedExtract(outputs, input_mapping) arguments.\n"
                f"Fix: {self.decorator}(ParameterizedExtract((\"a\", \"b\"), {{\"k\": value(1)}})).")
        for config in extract_config:
            probe = parameterize(output=config.input_mapping)  # the same binding rules
            if probe._misuse is not None:
                raise probe._misuse
        self.extract_config = extract_config
        self.reassign_columns = reassign_columns

    def expand(self, ctx: Context) -> list[Node]:
        from .expanders import extract_columns

        nodes: list[Node] = []
        for i, config in enumerate(self.extract_config):
            frame_name = f"{ctx.name}__{i}"
            frame = parameterize(**{frame_name: config.input_mapping}).expand(ctx)[0]
            if self.reassign_columns:
                frame = dataclasses.replace(
                    frame, callable=_RenameColumns(frame.callable, config.outputs),
                    fingerprint=fp.digest(frame.fingerprint, "columns", *config.outputs))
            nodes.extend(extract_columns(*config.outputs).transform(frame, ctx))
        return nodes


class inject(parameterize):
    """``@inject(parts=group(source("a"), source("b")), k=value(2))``: bind parameters of the
    function's own node (no new names) — as ``@parameterize`` with one output, the function."""

    decorator = "@inject"

    def __init__(self, **bindings: value | source | group):
        super().__init__(the_function=bindings)
        self.own = self.bindings.pop("the_function", {})

    def expand(self, ctx: Context) -> list[Node]:
        self.bindings = {ctx.name: self.own}
        return super().expand(ctx)
