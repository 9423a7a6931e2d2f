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
    kind: str  # "expand", "branch", "collect", or "invalid" (``problem`` says why)
    block: str  # the name of the block's Parallelizable node
    fans: tuple = ()  # branch/collect: parameters that receive per-item values
    problem: str = ""  # raised (a GraphError) when an execute needs the node


def check(role: Role | None) -> None:
    """Raise the problem of a node a parallel block cannot run (only when an execute needs it, so
    a block still being written in another cell does not stop unrelated executes)."""
    if role is not None and role.kind == "invalid":
        raise GraphError(role.problem)


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
                found[name] = _invalid(name, p, f"`{name}` ({nodes[name].module or 'session'}) is in the parallel "
                                       f"blocks of both `{found[name].block}` and `{p}`; blocks cannot nest or "
                                       "overlap.\nFix: collect one block before the next Parallelizable node.")
                continue
            in_block = {p} | branch
            fans = tuple(param for param, dep in nodes[name].dependencies.items() if dep.node in in_block)
            kind = "collect" if name in collectors else "branch"
            if kind == "collect":
                collected = [param for param, dep in nodes[name].dependencies.items() if is_collect(dep.type)]
                fans = tuple(collected)
                if len(collected) > 1 or any(param not in collected for param in
                                             (q for q, d in nodes[name].dependencies.items() if d.node in in_block)):
                    found[name] = _invalid(name, p, f"`{name}` ({nodes[name].module or 'session'}) reads the "
                                           f"parallel block of `{p}` other than through one Collect[...] parameter."
                                           f"\nFix: give `{name}` a single `Collect[...]` parameter for the block's "
                                           "result.")
                    continue
            found[name] = Role(kind, p, fans)
        for name in below - branch - set(collectors):
            if name in nodes and any(dep.node == p or dep.node in branch for dep in nodes[name].dependencies.values()):
                found[name] = _invalid(name, p, f"`{name}` ({nodes[name].module or 'session'}) runs per item of "
                                       f"the parallel block of `{p}`, but no `Collect[...]` parameter downstream "
                                       "gathers its items.\nFix: annotate the parameter that should receive every "
                                       "item's value `Collect[...]` (e.g. `def total(x: Collect[int]) -> int`).")
    return found


def _invalid(name: str, block: str, problem: str) -> Role:
    return Role("invalid", block, (), problem)
