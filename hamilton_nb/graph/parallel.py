"""Parallel blocks: ``Parallelizable[T]`` fans out, ``Collect[T]`` gathers (Apache Hamilton's names).

A block is the node ``P`` returning ``Parallelizable[T]`` (a generator of items), the *branch*
nodes downstream of ``P`` and upstream of the collecting node, and the node ``C`` with one
parameter annotated ``Collect[T]``. The graph stays as written (lineage, validation and the
widget see every node); the engine computes ``P`` as the list of its items, each branch node as
the list of its per-item values, and ``C`` with the branch's values in item order.
"""
from __future__ import annotations

import dataclasses
import typing
from typing import Any, Generic, Iterable, TypeVar

import networkx as nx

from ..errors import GraphError

_T = TypeVar("_T")
_NAMES = {"Parallelizable": "expand", "Collect": "collect"}
_MODULES = ("hamilton.htypes", __name__)


class Parallelizable(Iterable[_T], Generic[_T]):
    """The return hint of a generator whose items each run the branch nodes downstream of it."""


class Collect(Iterable[_T], Generic[_T]):
    """The hint of a parameter that receives every branch's value of that node, in item order."""


def _kind(tp: Any) -> str | None:
    origin = typing.get_origin(tp) or tp
    if getattr(origin, "__module__", None) in _MODULES:
        return _NAMES.get(getattr(origin, "__name__", ""))
    return None


def is_parallelizable(tp: Any) -> bool:
    return _kind(tp) == "expand"


def is_collect(tp: Any) -> bool:
    return _kind(tp) == "collect"


def element(tp: Any) -> Any:
    """``Parallelizable[T]`` / ``Collect[T]`` → ``T`` (Any when unparametrised); other hints unchanged."""
    if _kind(tp) is None:
        return tp
    args = typing.get_args(tp)
    return args[0] if args else Any


@dataclasses.dataclass(frozen=True)
class Role:
    kind: str  # "expand", "branch" or "collect"
    block: str  # the name of the block's Parallelizable node
    fans: tuple = ()  # branch/collect: parameters that receive per-item values


def roles(graph: Any) -> dict[str, Role]:
    """Each node's part in a parallel block (nodes in none are left out); memoised per graph shape."""
    memo = getattr(graph, "_parallel_roles", None)
    if memo is not None and memo[0] == graph.structure:
        return memo[1]
    found = _roles(graph)
    graph._parallel_roles = (graph.structure, found)
    return found


def _roles(graph: Any) -> dict[str, Role]:
    nodes, dag = graph.nodes, graph.dag
    expands = [name for name, node in nodes.items() if is_parallelizable(node.type)]
    if not expands:
        return {}
    found: dict[str, Role] = {}
    for p in expands:
        found[p] = Role("expand", p)
        below = nx.descendants(dag, p)
        collectors = [c for c in below if any(is_collect(d.type) for d in nodes[c].dependencies.values())]
        branch: set[str] = set()
        for c in collectors:
            branch |= below & nx.ancestors(dag, c)
        for name in sorted(branch | set(collectors)):
            if name in found and found[name].block != p:
                raise GraphError(f"`{name}` ({nodes[name].module or 'session'}) is in the parallel blocks of both "
                                 f"`{found[name].block}` and `{p}`; blocks cannot nest or overlap.\n"
                                 "Fix: collect one block before the next Parallelizable node.")
            in_block = {p} | branch
            fans = tuple(param for param, dep in nodes[name].dependencies.items() if dep.node in in_block)
            kind = "collect" if name in collectors else "branch"
            if kind == "collect":
                collected = [param for param, dep in nodes[name].dependencies.items() if is_collect(dep.type)]
                fans = tuple(collected)
                if len(collected) > 1 or any(param not in collected for param in
                                             (q for q, d in nodes[name].dependencies.items() if d.node in in_block)):
                    raise GraphError(f"`{name}` ({nodes[name].module or 'session'}) reads the parallel block of `{p}` "
                                     "other than through one Collect[...] parameter.\n"
                                     f"Fix: give `{name}` a single `Collect[...]` parameter for the block's result.")
            found[name] = Role(kind, p, fans)
        for name in below - branch - set(collectors):
            if name in nodes and any(dep.node == p or dep.node in branch for dep in nodes[name].dependencies.values()):
                raise GraphError(f"`{name}` ({nodes[name].module or 'session'}) reads a branch of the parallel "
                                 f"block of `{p}` without a Collect[...] parameter.\n"
                                 f"Fix: annotate its parameter `Collect[...]`, or make a Collect node feed it.")
    return found
