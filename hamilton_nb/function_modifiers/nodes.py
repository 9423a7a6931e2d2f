"""Functions → the nodes they contribute: plain functions, these modifiers, or Apache Hamilton's
decorators (which Apache Hamilton resolves itself, :mod:`hamilton_nb.graph.apache`)."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from ..errors import GraphError
from ..graph import apache
from ..graph.build import MODIFIERS_ATTR, function_node, where
from ..graph.node import Node
from .base import duplicate_error, resolve


def nodes_from_function(fn: Callable, module: str, config: Mapping[str, Any]) -> list[Node]:
    """All nodes one function contributes under ``config`` (modifiers may add, rename or drop)."""
    modifiers = getattr(fn, MODIFIERS_ATTR, ())
    foreign = apache.decorators_of(fn)
    if foreign:
        if modifiers:
            raise GraphError(
                f"`{fn.__name__}` in {where(module)} mixes decorators from `hamilton_nb.function_modifiers` "
                f"({', '.join(m.decorator for m in modifiers)}) with Apache Hamilton's "
                f"({', '.join(dict.fromkeys(apache.decorator_label(d) for d in foreign))}); one library "
                "must resolve all of a function's decorators.\n"
                "Fix: import every decorator of this function from the same place.")
        return apache.nodes_from_apache(fn, module, config)
    if not modifiers:
        return [function_node(fn, module)]
    return resolve(fn, module, config, modifiers)


def nodes_from_functions(functions: Iterable[Callable], module: str,
                         config: Mapping[str, Any] | None = None) -> list[Node]:
    config = config or {}
    functions = list(functions)
    apache.check_mutations_stay_home(functions)
    nodes: list[Node] = []
    owner: dict[str, Callable] = {}
    for fn in functions:
        for node in nodes_from_function(fn, module, config):
            first = owner.setdefault(node.name, fn)
            if first is not fn:  # e.g. two @config.when implementations both active
                raise duplicate_error(node.name, first, fn, module, config)
            nodes.append(node)
    return nodes
