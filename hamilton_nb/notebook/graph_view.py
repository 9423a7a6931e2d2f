"""What the graph picture shows: a bounded set of elements for any session size.

Pure data (Cytoscape-style element dicts), no widget imports: the widget renders it,
tests read it. Large sessions start as an overview with one node per module; a module,
a node's neighbourhood or a search expands part of it, never more than ``budget``
elements, so the browser stays responsive at 1000+ nodes.
"""
from __future__ import annotations

import dataclasses
import weakref
from collections import Counter
from typing import Collection, Iterable, Mapping

from ..graph import FunctionGraph
from ..graph.types import describe

INPUTS_GROUP = "(inputs)"
STATES = ("input", "fresh", "stale", "not computed", "evicted", "running", "error")


@dataclasses.dataclass
class ViewSpec:
    """Which part of the graph to draw."""

    mode: str = "auto"  # auto | all | overview | module | focus | nodes | search
    module: str | None = None
    focus: str | None = None
    hops: int = 1
    direction: str = "both"  # both | upstream | downstream
    nodes: tuple[str, ...] = ()
    search: str = ""
    tag: tuple[str, str] | None = None
    budget: int = 300


@dataclasses.dataclass
class View:
    nodes: list[dict]
    edges: list[dict]
    note: str = ""

    @property
    def size(self) -> int:
        return len(self.nodes) + len(self.edges)

    def ids(self) -> list[str]:
        return [n["data"]["id"] for n in self.nodes]


def state_class(state: str) -> str:
    return state.replace(" ", "-")


def group_id(module: str) -> str:
    return f"module:{module}"


def node_classes(state: str, warned: bool = False) -> str:
    """``node <state>``, plus ``warning`` when a ``warn`` data-quality check failed on its value."""
    return f"node {state_class(state)}" + (" warning" if warned else "")


def node_element(graph: FunctionGraph, name: str, state: str, warned: bool = False) -> dict:
    node = graph.get(name)
    module = node.module or INPUTS_GROUP
    return {"data": {"id": name, "label": name, "kind": "node", "module": module, "state": state,
                     "type": describe(node.type), "tags": dict(node.tags)},
            "classes": node_classes(state, warned)}


def group_label(module: str, count: int, counts: Counter, warned: int = 0) -> str:
    parts = [f"{count} node" + ("" if count == 1 else "s")]
    for state in ("stale", "error", "not computed", "evicted"):
        if counts.get(state):
            parts.append(f"{counts[state]} {state}")
    if warned:
        parts.append(f"{warned} warning" + ("" if warned == 1 else "s"))
    return f"{module}\n" + " · ".join(parts)


def group_state(counts: Counter) -> str:
    """The most urgent state among a group's nodes."""
    for state in ("error", "running", "stale", "not computed", "evicted", "fresh", "input"):
        if counts.get(state):
            return state
    return "fresh"


def module_of(graph: FunctionGraph, name: str) -> str:
    node = graph.nodes.get(name)
    return node.module if node is not None else INPUTS_GROUP


def group_element(module: str, members: list[str], states: Mapping[str, str],
                  warnings: Collection[str] = ()) -> dict:
    counts = Counter(states.get(n, "not computed") for n in members)
    state = group_state(counts)
    warned = sum(1 for n in members if n in warnings)
    return {"data": {"id": group_id(module), "label": group_label(module, len(members), counts, warned),
                     "kind": "module", "module": module, "count": len(members),
                     "stale": counts.get("stale", 0), "warnings": warned, "state": state},
            "classes": f"module {state_class(state)}" + (" warning" if warned else "")}


def _members(graph: FunctionGraph) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {module: list(names) for module, names in graph.modules.items()}
    if graph.input_names:
        groups[INPUTS_GROUP] = list(graph.input_names)
    return groups


def _matches_tag(graph: FunctionGraph, name: str, tag: tuple[str, str] | None) -> bool:
    if tag is None:
        return True
    tags = graph.get(name).tags
    key, value = tag
    return key in tags and (value in ("", None) or str(tags[key]) == str(value))


def _edges_among(graph: FunctionGraph, names: Iterable[str]) -> list[dict]:
    keep = set(names)
    return [{"data": {"id": f"{a}->{b}", "source": a, "target": b}}
            for a, b in graph.dag.edges if a in keep and b in keep]


def _detailed(graph: FunctionGraph, states: Mapping[str, str], names: list[str], budget: int,
              what: str, warnings: Collection[str] = ()) -> View:
    """Nodes and the edges among them, cut to the budget (most upstream first)."""
    order = {n: i for i, n in enumerate(graph.topological_order())}
    names = sorted(set(names), key=lambda n: order.get(n, -1))
    total, note = len(names), ""
    edges = _edges_among(graph, names)
    while names and len(names) + len(edges) > budget:
        names = names[:max(1, min(len(names) - 1, budget // 3))]
        edges = _edges_among(graph, names)
        note = (f"Showing {len(names)} of {total} {what}; search or focus a node to see "
                "the others.")
    return View([node_element(graph, n, states.get(n, "not computed"), n in warnings) for n in names],
                 edges, note)


class _Shape:
    """What the overview needs from the graph's shape: module members and module-to-module edges.

    Kept per graph until its shape (names, edges) changes, so drawing the overview again costs
    one pass over the states, not one over every edge."""

    def __init__(self, graph: FunctionGraph) -> None:
        self.structure = graph.structure
        self.groups = _members(graph)
        self.module = {name: module for module, members in self.groups.items() for name in members}
        self.links: Counter = Counter()  # (module, module) -> edges between them
        module = self.module
        for a, b in graph.dag.edges:
            if module[a] != module[b]:
                self.links[(module[a], module[b])] += 1


_SHAPES: "weakref.WeakKeyDictionary[FunctionGraph, _Shape]" = weakref.WeakKeyDictionary()


def _shape(graph: FunctionGraph) -> _Shape:
    shape = _SHAPES.get(graph)
    if shape is None or shape.structure != graph.structure:
        shape = _SHAPES[graph] = _Shape(graph)
    return shape


def overview(graph: FunctionGraph, states: Mapping[str, str], expanded: Iterable[str] = (),
             warnings: Collection[str] = ()) -> View:
    """One node per module (and one for the inputs), edges between modules that depend on each other."""
    expanded = set(expanded)
    shape = _shape(graph)
    nodes = []
    for module, members in shape.groups.items():
        if module in expanded:
            nodes.extend(node_element(graph, name, states.get(name, "not computed"), name in warnings)
                         for name in members)
        else:
            nodes.append(group_element(module, members, states, warnings))
    links: Counter = Counter()
    for (ma, mb), n in shape.links.items():
        if ma not in expanded and mb not in expanded:
            links[(group_id(ma), group_id(mb))] += n
    module, dag = shape.module, graph.dag
    for name in (n for m in expanded if m in shape.groups for n in shape.groups[m]):
        for child in dag.successors(name):  # every edge out of an expanded node, once
            links[(name, child if module[child] in expanded else group_id(module[child]))] += 1
        for parent in dag.predecessors(name):  # edges into it from collapsed modules
            if module[parent] not in expanded:
                links[(group_id(module[parent]), name)] += 1
    edges = [{"data": {"id": f"{a}->{b}", "source": a, "target": b, "count": n,
                       "label": str(n) if n > 1 else ""}} for (a, b), n in links.items()]
    return View(nodes, edges)


def neighbourhood(graph: FunctionGraph, focus: str, hops: int, direction: str) -> list[str]:
    graph.get(focus)
    seen, frontier = {focus}, [focus]
    for _ in range(max(0, hops)):
        nxt = []
        for name in frontier:
            if direction in ("both", "upstream"):
                nxt.extend(graph.dag.predecessors(name))
            if direction in ("both", "downstream"):
                nxt.extend(graph.dag.successors(name))
        frontier = [n for n in nxt if n not in seen]
        seen.update(frontier)
    return list(seen)


def build_view(graph: FunctionGraph, states: Mapping[str, str], spec: ViewSpec,
               warnings: Collection[str] = ()) -> View:
    """Elements for ``spec``; ``auto`` shows everything when it fits, else the module overview.

    ``warnings`` names the nodes whose value failed a ``warn`` data-quality check."""
    mode = spec.mode
    warnings = set(warnings)
    all_names = graph.topological_order() if spec.tag is None else \
        [n for n in graph.topological_order() if _matches_tag(graph, n, spec.tag)]
    if mode == "auto":
        fits = len(all_names) + graph.dag.number_of_edges() <= spec.budget
        mode = "all" if fits and spec.tag is None else ("all" if spec.tag else "overview")
    if mode == "overview":
        return overview(graph, states, warnings=warnings)
    if mode == "all":
        return _detailed(graph, states, all_names, spec.budget, "nodes of the session", warnings)
    if mode == "module":
        if spec.module not in graph.modules and spec.module != INPUTS_GROUP:
            raise graph.unknown(spec.module or "", "module")
        members, shown = _members(graph)[spec.module], set(all_names)
        return _detailed(graph, states, [n for n in members if n in shown], spec.budget,
                         f"nodes of module `{spec.module}`", warnings)
    if mode == "focus":
        names = neighbourhood(graph, spec.focus, spec.hops, spec.direction)
        return _detailed(graph, states, names, spec.budget,
                         f"nodes in the {spec.hops}-hop neighbourhood of `{spec.focus}`", warnings)
    if mode == "nodes":
        chosen = set(spec.nodes) | graph.upstream_of(*spec.nodes)
        return _detailed(graph, states, list(chosen), spec.budget, "nodes (the chosen ones and what they need)", warnings)
    if mode == "search":
        needle = spec.search.lower()
        found = [n for n in all_names if needle in n.lower()]
        return _detailed(graph, states, found, spec.budget, f"nodes matching '{spec.search}'", warnings)
    raise ValueError(f"unknown view mode {mode!r}")
