"""What the graph picture shows: a bounded, readable set of boxes for any session size.

Pure data (Cytoscape-style element dicts with positions), no widget imports: the widget and
the static SVG draw it, tests read it. A small session shows every node; a large one starts
on at most ~30 groups (modules, then name prefixes, depth ranges: see ``grouping``), and a
click on a group opens it. A parallel block (Parallelizable → branch → Collect) is one box
where its nodes would be drawn one by one, with its item count when the last run's is known. A
node's neighbourhood, a search or a tag filter shows nodes,
never more than ``budget`` elements.
"""
from __future__ import annotations

import dataclasses
import weakref
from collections import Counter
from typing import Collection, Iterable, Mapping

from ..errors import HamiltonError
from ..graph import FunctionGraph
from ..graph.types import describe
from .grouping import (DETAIL_LIMIT, INPUTS_GROUP, MAX_ITEMS, MIN_ITEMS, Group, module_of,  # noqa: F401
                       resolve, scope_items, with_blocks)
from .layout import place
from .style import label_size

STATES = ("input", "fresh", "stale", "untracked", "not computed", "evicted", "running", "error")
CONTEXT_NODES = 4  # outside neighbours of an opened group drawn one by one (more: one box)
SEARCH_PAGE = 40   # matches drawn at a time: a page stays readable on the canvas

__all__ = ["INPUTS_GROUP", "STATES", "View", "ViewSpec", "build_view", "module_of", "parallel_items"]


class GraphViewError(HamiltonError):
    """A view names a group or node that is gone."""


@dataclasses.dataclass
class ViewSpec:
    """Which part of the graph to draw."""

    mode: str = "auto"  # auto | all | overview | group | module | focus | nodes | search
    module: str | None = None
    path: tuple[str, ...] = ()  # the group to open (mode ``group``): see ``grouping.resolve``
    focus: str | None = None
    hops: int = 1
    direction: str = "both"  # both | upstream | downstream
    nodes: tuple[str, ...] = ()
    search: str = ""
    tag: tuple[str, str] | None = None
    budget: int = 300
    page: int = 0  # of a search's matches, SEARCH_PAGE at a time


@dataclasses.dataclass
class View:
    nodes: list[dict]
    edges: list[dict]
    note: str = ""
    groups: dict[str, Group] = dataclasses.field(default_factory=dict)  # drawn group id → its group
    grouped_in: dict[str, str] = dataclasses.field(default_factory=dict)  # node → id of the group drawing it
    trail: list[tuple[str, tuple[str, ...]]] = dataclasses.field(default_factory=list)  # breadcrumbs
    width: int = 0   # of the laid-out picture, px at zoom 1
    height: int = 0
    matches: int = 0  # a search: how many nodes match (the view draws one page of them)

    @property
    def size(self) -> int:
        return len(self.nodes) + len(self.edges)

    def ids(self) -> list[str]:
        return [n["data"]["id"] for n in self.nodes]



def state_class(state: str) -> str:
    return state.replace(" ", "-")


def node_classes(state: str, warned: bool = False) -> str:
    """``node <state>``, plus ``warning`` when a ``warn`` data-quality check failed on its value."""
    return f"node {state_class(state)}" + (" warning" if warned else "")


def node_element(graph: FunctionGraph, name: str, state: str, warned: bool = False) -> dict:
    node = graph.get(name)
    module = node.module or INPUTS_GROUP
    w, h = label_size(name)
    doc = (node.doc or "").strip().split("\n\n")[0].replace("\n", " ")
    return {"data": {"id": name, "label": name, "kind": "node", "module": module, "state": state,
                     "type": describe(node.type), "tags": dict(node.tags), "w": w, "h": h,
                     "doc": doc},
            "classes": node_classes(state, warned)}


def group_label(title: str, count: int, counts: Counter, warned: int = 0) -> str:
    """``title`` over the node count and the mix of states (most urgent first)."""
    parts = [f"{count} node" + ("" if count == 1 else "s")]
    for state in ("error", "running", "stale", "untracked", "not computed", "evicted", "fresh"):
        if counts.get(state) and counts[state] != count:
            parts.append(f"{counts[state]} {state}")
    if warned:
        parts.append(f"{warned} warning" + ("" if warned == 1 else "s"))
    return f"{title}\n" + " · ".join(parts)


def group_state(counts: Counter) -> str:
    """The most urgent state among a group's nodes."""
    for state in ("error", "running", "stale", "untracked", "not computed", "evicted", "fresh", "input"):
        if counts.get(state):
            return state
    return "fresh"


def group_element(group: Group, states: Mapping[str, str], warnings: Collection[str] = (),
                  items: Mapping[str, int] | None = None) -> dict:
    """A group's box; ``items`` (Parallelizable node → its item count in the last run) adds the
    count to a parallel block's title."""
    counts = Counter(states.get(n, "not computed") for n in group.members)
    state = group_state(counts)
    warned = sum(1 for n in group.members if n in warnings)
    title = group.title
    if group.rule == "block" and items and group.members[0] in items:
        n = items[group.members[0]]
        title += f" · {n} item" + ("" if n == 1 else "s")
    label = group_label(title, len(group.members), counts, warned)
    w, h = label_size(label, bold=True)
    return {"data": {"id": group.id, "label": label, "kind": "group", "path": list(group.path),
                     "rule": group.rule, "count": len(group.members), "stale": counts.get("stale", 0),
                     "warnings": warned, "state": state, "w": w, "h": h,
                     "doc": "click to open"},
            "classes": f"group {state_class(state)}" + (" warning" if warned else "")}


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


def grouped(graph: FunctionGraph, states: Mapping[str, str], path: tuple[str, ...] = (),
            warnings: Collection[str] = (), items: Mapping[str, int] | None = None) -> View:
    """The scope at ``path`` (the whole session for ``()``) as groups and nodes, with one edge
    per pair of dependent boxes (labelled with how many node edges it stands for). Inside a
    group, what feeds it and what it feeds from outside are drawn faded around it."""
    return _from_shape(graph, states, _scope_shape(graph, path), path, warnings, items)


def _from_shape(graph: FunctionGraph, states: Mapping[str, str], shape: "_ScopeShape",
                path: tuple[str, ...], warnings: Collection[str], items: Mapping[str, int] | None) -> View:
    nodes, groups = [], {}
    for item in shape.items:
        if isinstance(item, Group):
            nodes.append(group_element(item, states, warnings, items))
            groups[item.id] = item
        else:
            nodes.append(node_element(graph, item, states.get(item, "not computed"), item in warnings))
    if path:
        owner = dict(shape.owner)
        nodes = _context(graph, states, shape.ups, "upstream", path, owner) + nodes + \
            _context(graph, states, shape.downs, "downstream", path, owner)
    view = View(nodes, [dict(edge, data=dict(edge["data"])) for edge in shape.edges], groups=groups,
                grouped_in=shape.grouped_in)
    view.trail = [("all", ())] + [(g.title, g.path) for g in shape.trail]
    return view


@dataclasses.dataclass
class _ScopeShape:
    """What a scope's picture takes from the graph's shape alone (not from states): its items,
    which box each node is drawn in, the outside neighbours and the box-to-box edges."""

    items: list
    owner: dict
    grouped_in: dict
    ups: list
    downs: list
    edges: list
    trail: list


_SHAPES: "weakref.WeakKeyDictionary[FunctionGraph, dict]" = weakref.WeakKeyDictionary()


def _scope_shape(graph: FunctionGraph, path: tuple[str, ...]) -> _ScopeShape:
    """The shape of the scope at ``path``, kept until the graph's names or edges change (so a
    view redrawn after a run or an edit costs one pass over the states)."""
    known = _SHAPES.get(graph)
    if known is None or known.get("structure") != graph.structure:
        known = _SHAPES[graph] = {"structure": graph.structure}
    found = known.get(path)
    if found is not None:
        return found
    try:
        names, trail = resolve(graph, path)
    except KeyError as exc:
        raise GraphViewError(f"The group `{exc.args[0]}` is no longer in the graph (an edit changed "
                             "it). Showing the overview.") from None
    items = list(names) if path and len(names) <= DETAIL_LIMIT else scope_items(graph, names, path)
    found = known[path] = _shape(graph, path, names, with_blocks(graph, items, path), trail)
    return found


def _shape(graph: FunctionGraph, path: tuple[str, ...], names: list[str], items: list, trail) -> _ScopeShape:
    owner: dict = {}
    for item in items:
        if isinstance(item, Group):
            owner.update((n, item.id) for n in item.members)
        else:
            owner[item] = item
    scope = set(names)
    ups = downs = []
    linked = dict(owner)
    if path:
        order = {n: i for i, n in enumerate(graph.topological_order())}
        ups = sorted({p for n in names for p in graph.dag.predecessors(n) if p not in scope}, key=order.get)
        downs = sorted({c for n in names for c in graph.dag.successors(n) if c not in scope}, key=order.get)
        for side, outside in (("upstream", ups), ("downstream", downs)):  # as _context files them
            linked.update((n, n if len(outside) <= CONTEXT_NODES else f"context:{side}") for n in outside)
    links: Counter = Counter()
    for a, b in graph.dag.edges:
        ga, gb = linked.get(a), linked.get(b)
        if ga and gb and ga != gb and (a in scope or b in scope):
            links[(ga, gb)] += 1
    edges = [{"data": {"id": f"{a}->{b}", "source": a, "target": b, "count": n,
                       "label": str(n) if n > 1 else ""}} for (a, b), n in links.items()]
    return _ScopeShape(items, owner, {n: gid for n, gid in linked.items() if gid != n},
                       ups, downs, edges, list(trail))


def _context(graph: FunctionGraph, states: Mapping[str, str], names: list[str], side: str,
             path: tuple[str, ...], owner: dict) -> list[dict]:
    """Faded boxes for the outside nodes next to a group: each one, or one box counting them."""
    if len(names) <= CONTEXT_NODES:
        elements = []
        for name in names:
            element = node_element(graph, name, states.get(name, "not computed"))
            element["classes"] += " context"
            elements.append(element)
            owner[name] = name
        return elements
    counts = Counter(states.get(n, "not computed") for n in names)
    label = f"{len(names)} nodes {side}\n(outside this group)"
    w, h = label_size(label)
    owner.update((n, f"context:{side}") for n in names)
    return [{"data": {"id": f"context:{side}", "label": label, "kind": "context", "path": list(path[:-1]),
                      "state": group_state(counts), "count": len(names), "w": w, "h": h,
                      "doc": f"{', '.join(names[:5])}{' …' if len(names) > 5 else ''}; click to go up a level"},
             "classes": f"context {state_class(group_state(counts))}"}]


def overview(graph: FunctionGraph, states: Mapping[str, str], warnings: Collection[str] = (),
             items: Mapping[str, int] | None = None) -> View:
    """The whole session as readable groups (modules first, big modules split further)."""
    return grouped(graph, states, (), warnings, items)


def parallel_items(engine) -> dict[str, int]:
    """How many items each Parallelizable node gave in the last run it is cached from (for the
    block boxes' titles); nodes without a value in memory are left out."""
    from ..graph.parallel import roles

    counts = {}
    for name, role in roles(engine.graph).items():
        entry = engine.cache.get(name) if role.kind == "expand" else None
        if entry is not None and isinstance(entry.value, (list, tuple)):
            counts[name] = len(entry.value)
    return counts


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
               warnings: Collection[str] = (), items: Mapping[str, int] | None = None) -> View:
    """Elements for ``spec``, laid out; ``auto`` shows every node when there are few enough
    to read, else the grouped overview.

    ``warnings`` names the nodes whose value failed a ``warn`` data-quality check; ``items``
    the item count of each Parallelizable node's last run (see ``parallel_items``)."""
    view = _elements(graph, states, spec, set(warnings), items)
    view.width, view.height = place(view.nodes, view.edges)
    return view


def _elements(graph: FunctionGraph, states: Mapping[str, str], spec: ViewSpec, warnings: set,
              items: Mapping[str, int] | None = None) -> View:
    mode = spec.mode
    all_names = [n for n in graph.topological_order() if _matches_tag(graph, n, spec.tag)]
    if mode == "auto":
        fits = len(all_names) <= DETAIL_LIMIT and len(all_names) + graph.dag.number_of_edges() <= spec.budget
        mode = "all" if fits or spec.tag else "overview"
    if mode == "overview":
        return grouped(graph, states, (), warnings, items)
    if mode == "module":
        if spec.module not in graph.modules and spec.module != INPUTS_GROUP:
            raise graph.unknown(spec.module or "", "module")
        return grouped(graph, states, (f"module:{spec.module}",), warnings, items)
    if mode == "group":
        return grouped(graph, states, tuple(spec.path), warnings, items)
    if mode == "all":
        boxes = with_blocks(graph, all_names)
        if len(boxes) < len(all_names):  # a parallel block is one box
            view = _from_shape(graph, states, _shape(graph, (), all_names, boxes, []), (), warnings, items)
            if view.size <= spec.budget:
                return view
        return _detailed(graph, states, all_names, spec.budget, "nodes of the session", warnings)
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
        first = min(spec.page, max(0, (len(found) - 1) // SEARCH_PAGE)) * SEARCH_PAGE
        view = _detailed(graph, states, found[first:first + SEARCH_PAGE], spec.budget, "of this page", warnings)
        count = len(view.nodes)
        view.note = (f"Showing {count} of {len(found)} nodes matching '{spec.search}' ({first + 1}–{first + count})."
                     if len(found) > count else f"{len(found)} node{'' if len(found) == 1 else 's'} match "
                     f"'{spec.search}'.")
        view.matches = len(found)
        return view
    raise ValueError(f"unknown view mode {mode!r}")
