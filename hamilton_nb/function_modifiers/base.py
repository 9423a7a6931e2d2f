"""The modifier protocol and ``resolve``: one decorated function → the nodes it contributes.

A decorator appends a :class:`Modifier` to ``fn.__hamilton_nb_modifiers__`` and returns the
same function, so decorated functions stay plain, callable, unit-testable functions.
:func:`resolve` (called by :func:`~hamilton_nb.function_modifiers.nodes.nodes_from_function`) applies the modifiers in a
fixed order of stages, whatever order the decorators were written in:

1. ``CONFIG``    — ``@config.when…``: is the function active under this config? (all must agree)
2. ``EXPAND``    — ``@parameterize…``: one function → several nodes (at most one per function)
3. ``TRANSFORM`` — ``@extract_columns``, ``@extract_fields``, ``@check_output``: applied in the
   order they decorate (bottom-up), each to the *final* nodes so far unless ``target_`` says
   otherwise
4. ``DECORATE``  — ``@tag``: metadata on the final nodes (or ``target_``)
"""
from __future__ import annotations

import dataclasses
import functools
import types
from typing import Any, Callable, Collection, Mapping

from ..errors import GraphError, HamiltonError
from ..graph.build import MODIFIERS_ATTR, function_node, where
from ..graph.node import Node

CONFIG, EXPAND, TRANSFORM, DECORATE = range(4)


class InvalidDecoratorError(GraphError):
    """A modifier is used wrongly (bad arguments, or arguments that don't fit the function)."""


InvalidDecoratorException = InvalidDecoratorError  # Apache Hamilton's spelling


class ExtractionError(HamiltonError, KeyError):
    """An extracted column/field is missing from the value the function returned (at run time)."""

    def __str__(self) -> str:  # KeyError would repr-quote the message
        return str(self.args[0]) if self.args else ""


class MissingColumnError(ExtractionError):
    """``@extract_columns`` asked for a column the returned DataFrame does not have."""


class MissingFieldError(ExtractionError):
    """``@extract_fields`` asked for a field the returned dict does not have."""


@dataclasses.dataclass(frozen=True)
class Context:
    """What a modifier needs to know about the function it is resolving."""

    fn: Callable
    module: str
    config: Mapping[str, Any]
    name: str  # the base node name (``__suffix`` dropped when a @config decorator is present)

    def error(self, decorator: str, problem: str, fix: str) -> InvalidDecoratorError:
        return InvalidDecoratorError(
            f"{decorator} on `{self.fn.__name__}` in {where(self.module)}: {problem}\nFix: {fix}")


class Modifier:
    """Base class of every decorator object. Subclasses set ``stage`` and implement one hook.

    * ``CONFIG``:    ``active(config) -> bool`` and optionally ``target_name``
    * ``EXPAND``:    ``expand(ctx) -> list[Node]``
    * ``TRANSFORM``: ``transform(node, ctx) -> list[Node]`` (the node first, then new ones)
    * ``DECORATE``:  ``decorate(node, ctx) -> Node``

    ``target`` (TRANSFORM/DECORATE) chooses the nodes: None = final nodes, ``...`` = all,
    a name or a collection of names.
    """

    stage: int = DECORATE
    decorator: str = "@modifier"
    target: Any = None
    _misuse: InvalidDecoratorError | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Hold argument errors until the decorator meets its function, so they can name it."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def checked_init(self, *args: Any, **kw: Any) -> None:
            try:
                init(self, *args, **kw)
            except InvalidDecoratorError as exc:
                if self._misuse is None:
                    self._misuse = exc

        cls.__init__ = checked_init

    def __call__(self, fn: Callable) -> Callable:
        if self._misuse is not None:
            name = getattr(fn, "__name__", repr(fn))
            code = getattr(fn, "__code__", None)
            place = f" (line {code.co_firstlineno} of {code.co_filename})" if code else ""
            raise InvalidDecoratorError(f"On `{name}`{place}: {self._misuse}") from None
        return attach(fn, self)

    def active(self, config: Mapping[str, Any]) -> bool:  # CONFIG
        return True

    def expand(self, ctx: Context) -> list[Node]:  # EXPAND
        raise NotImplementedError

    def transform(self, node: Node, ctx: Context) -> list[Node]:  # TRANSFORM
        raise NotImplementedError

    def decorate(self, node: Node, ctx: Context) -> Node:  # DECORATE
        raise NotImplementedError


def attach(fn: Callable, modifier: Modifier) -> Callable:
    """Record ``modifier`` on ``fn`` and return ``fn`` itself (still an ordinary function)."""
    if not isinstance(fn, types.FunctionType):
        raise InvalidDecoratorError(
            f"{modifier.decorator} decorates functions (`def name(...) -> type:`), "
            f"not {type(fn).__name__} objects.\n"
            f"Fix: put {modifier.decorator} directly above a `def`.")
    # A new list each time: functools.wraps copies __dict__, so never mutate a shared list.
    setattr(fn, MODIFIERS_ATTR, [*getattr(fn, MODIFIERS_ATTR, ()), modifier])
    return fn


def modifiers_of(fn: Callable) -> list[Modifier]:
    return list(getattr(fn, MODIFIERS_ATTR, ()))


def sanitize_name(name: str) -> str:
    """``foo__us`` → ``foo``: the part after the last ``__`` names an alternative implementation."""
    cut = name.rfind("__")
    return name[:cut] if cut > 0 else name


def final_nodes(nodes: Collection[Node]) -> set[str]:
    """Names of the nodes no other node of this function depends on (the sinks)."""
    names = {n.name for n in nodes}
    used = {dep.node for n in nodes for dep in n.dependencies.values()} & names
    return names - used


def select_targets(modifier: Modifier, nodes: list[Node], ctx: Context) -> set[str]:
    target = modifier.target
    if target is None:
        return final_nodes(nodes)
    if target is Ellipsis:
        return {n.name for n in nodes}
    wanted = {target} if isinstance(target, str) else set(target)
    names = {n.name for n in nodes}
    unknown = sorted(wanted - names)
    if unknown:
        raise ctx.error(modifier.decorator,
                        f"target_ names {', '.join(f'`{u}`' for u in unknown)}, but this function "
                        f"produces only {', '.join(f'`{n}`' for n in sorted(names))}.",
                        "set target_ to one of the produced node names (or leave it out: the final nodes).")
    return wanted


def resolve(fn: Callable, module: str, config: Mapping[str, Any],
            modifiers: Collection[Modifier]) -> list[Node]:
    """The nodes ``fn`` contributes under ``config``, its modifiers applied stage by stage."""
    mods = list(modifiers)
    for m in mods:
        if not isinstance(m, Modifier):
            raise InvalidDecoratorError(
                f"`{fn.__name__}` in {where(module)} carries an unknown modifier {m!r}.\n"
                "Fix: use the decorators from `hamilton_nb.function_modifiers`.")
    name = fn.__name__
    configs = [m for m in mods if m.stage == CONFIG]
    config_keys: list[str] = []
    if configs:
        if not all(m.active(config) for m in configs):
            return []
        targets = {m.target_name for m in configs if getattr(m, "target_name", None)}
        name = targets.pop() if len(targets) == 1 else sanitize_name(name)
        for m in configs:
            config_keys.extend(k for k in getattr(m, "config_keys", ()) if k not in config_keys)
    ctx = Context(fn, module, config, name)

    expanders = [m for m in mods if m.stage == EXPAND]
    if len(expanders) > 1:
        raise ctx.error(" and ".join(m.decorator for m in expanders),
                        "a function can be expanded by only one parameterize decorator.",
                        "merge them into one @parameterize(...) listing every output.")
    nodes = expanders[0].expand(ctx) if expanders else [function_node(fn, module, name=name)]

    for stage in (TRANSFORM, DECORATE):
        for m in (m for m in mods if m.stage == stage):
            chosen = select_targets(m, nodes, ctx)
            out: list[Node] = []
            for node in nodes:
                if node.name not in chosen:
                    out.append(node)
                elif stage == TRANSFORM:
                    out.extend(m.transform(node, ctx))
                else:
                    out.append(m.decorate(node, ctx))
            nodes = out

    if config_keys:
        nodes = [dataclasses.replace(n, tags={**n.tags, "hamilton.config": ",".join(config_keys)})
                 for n in nodes]
    _check_unique(nodes, ctx)
    return nodes


def _check_unique(nodes: list[Node], ctx: Context) -> None:
    seen: set[str] = set()
    for node in nodes:
        if node.name in seen:
            raise ctx.error(" ".join(dict.fromkeys(m.decorator for m in modifiers_of(ctx.fn))),
                            f"the decorators make `{node.name}` twice.",
                            "give every extracted column/field and parameterized output a distinct name, "
                            "different from the function's own name.")
        seen.add(node.name)


def duplicate_error(name: str, first: Callable, second: Callable, module: str,
                    config: Mapping[str, Any]) -> GraphError:
    """The error for two functions of one module that both produce ``name`` under ``config``."""
    def configured(fn: Callable) -> bool:
        return any(m.stage == CONFIG for m in modifiers_of(fn))

    a, b = first.__name__, second.__name__
    if configured(first) or configured(second):
        used = sorted({k for fn in (first, second) for m in modifiers_of(fn) if m.stage == CONFIG
                       for k in getattr(m, "config_keys", ())})
        shown = ", ".join(f"{k}={config.get(k)!r}" for k in used) or repr(dict(config))
        return GraphError(
            f"`{a}` and `{b}` in {where(module)} are both active for config ({shown}), and both "
            f"define `{name}`.\n"
            f"Fix: make their @config.when… conditions mutually exclusive (e.g. @config.when(key=…) on "
            f"one and @config.when_not(key=…) on the other), or change the config.")
    return GraphError(
        f"`{name}` is produced by both `{a}` and `{b}` in {where(module)}.\n"
        f"Fix: rename one of them (or the extracted column / parameterized output).")
