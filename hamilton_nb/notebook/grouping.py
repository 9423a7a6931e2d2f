"""Readable groups for any number of nodes: how a big module is split so the first view stays small.

One level of splitting is a pure function of a set of node names, so a group is named by the
chain of keys that leads to it (its *path*) and can be found again after any redraw:

1. by module (the first level, always: the modules a user wrote are the coarsest story);
2. by name prefix (``spend_*``, ``signups_*``: the way feature families are usually named),
   the shortest prefix that gives between 2 and ``MAX_GROUPS`` groups; names whose prefix
   is unique go to one "other names" group;
3. by depth in the whole graph (runs of consecutive layers, upstream first, about equal sizes);
4. by name order, when every node sits at the same depth.

A parallel block (a ``Parallelizable`` node, its branch nodes and its ``Collect`` node) is one
box wherever all its nodes would otherwise be drawn one by one; its path step is
``block:<the Parallelizable node>`` at any level, so it opens the same way as other groups.

Each rule only applies when it actually splits, so drilling in always ends at a group small
enough to draw node by node.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Sequence

from ..graph import FunctionGraph

INPUTS_GROUP = "(inputs)"
MAX_GROUPS = 24      # groups drawn in one view at most (each is a readable box)
DETAIL_LIMIT = 40    # a group this small is drawn node by node
PREFIX_DEPTHS = (1, 2, 3)
MIN_ITEMS = 8     # a view with fewer boxes opens its biggest groups in place …
MAX_ITEMS = MAX_GROUPS + 8  # … as long as it then draws at most this many
SMALL_GROUP = 3   # a group this small is drawn as its nodes


@dataclasses.dataclass(frozen=True)
class Group:
    """Some nodes shown as one box: ``path`` finds it again, ``title`` says what it holds."""

    path: tuple[str, ...]
    title: str
    rule: str  # module | prefix | depth | names | block: how its parent was split (shown as a hint)
    members: tuple[str, ...]

    @property
    def id(self) -> str:
        return "group:" + "/".join(self.path)


def module_of(graph: FunctionGraph, name: str) -> str:
    node = graph.nodes.get(name)
    return (node.module or INPUTS_GROUP) if node is not None else INPUTS_GROUP


def split(graph: FunctionGraph, names: Sequence[str], path: tuple[str, ...] = ()) -> list[Group]:
    """One level of groups for ``names`` (in topological order), or ``[]`` if they can't be split."""
    if not path:
        return _by_module(graph, names)
    if len(names) <= 1:
        return []
    for rule in (_by_prefix, _by_depth, _by_name):
        groups = rule(graph, names, path)
        if len(groups) >= 2:
            return groups
    return []


def resolve(graph: FunctionGraph, path: Sequence[str]) -> tuple[list[str], list[Group]]:
    """The members of the group at ``path`` and the groups leading to it (for breadcrumbs).

    Raises ``KeyError`` naming the first step that no longer exists (e.g. after an edit)."""
    names = graph.topological_order()
    trail: list[Group] = []
    for depth in range(len(path)):
        if path[depth].startswith("block:"):
            block = blocks(graph).get(path[depth])
            if block is None or not set(block.members) <= set(names):
                raise KeyError(path[depth])
            trail.append(dataclasses.replace(block, path=tuple(path[:depth + 1])))
            names = list(block.members)
            continue
        found = {g.path[-1]: g for g in split(graph, names, tuple(path[:depth]))}
        if path[depth] not in found:
            raise KeyError(path[depth])
        trail.append(found[path[depth]])
        names = list(found[path[depth]].members)
    return list(names), trail


def _by_module(graph: FunctionGraph, names: Sequence[str]) -> list[Group]:
    members: dict[str, list[str]] = defaultdict(list)
    for name in names:
        members[module_of(graph, name)].append(name)
    order = [m for m in graph.modules if m in members] + ([INPUTS_GROUP] if INPUTS_GROUP in members else [])
    return [Group((f"module:{m}",), m, "module", tuple(members[m])) for m in order]


def _prefix(name: str, depth: int) -> str | None:
    parts = name.split("_")
    return "_".join(parts[:depth]) if len(parts) > depth else None


def _by_prefix(graph: FunctionGraph, names: Sequence[str], path: tuple[str, ...]) -> list[Group]:
    for depth in PREFIX_DEPTHS:
        members: dict[str, list[str]] = defaultdict(list)
        for name in names:
            members[_prefix(name, depth) or ""].append(name)
        others = [n for key, group in members.items() for n in group if key == "" or len(group) == 1]
        keys = sorted(k for k, group in members.items() if k and len(group) > 1)
        count = len(keys) + (1 if others else 0)
        if count < 2 or count > MAX_GROUPS:
            continue
        groups = [Group(path + (f"prefix:{k}",), f"{k}_*", "prefix", tuple(members[k])) for k in keys]
        if others:
            order = {n: i for i, n in enumerate(names)}
            parent = path[-1][len("prefix:"):] + "_* " if path and path[-1].startswith("prefix:") else ""
            groups.append(Group(path + ("other",), f"other {parent}names", "prefix",
                                tuple(sorted(others, key=order.__getitem__))))
        return groups
    return []


def depths(graph: FunctionGraph) -> dict[str, int]:
    """Each node's depth: the longest path to it from an input or a node without inputs."""
    depth: dict[str, int] = {}
    for name in graph.topological_order():
        depth[name] = max((depth[p] + 1 for p in graph.dag.predecessors(name)), default=0)
    return depth


def _chunks(names: Sequence[str], cut_allowed) -> list[list[str]]:
    """Consecutive runs of about equal size (at most ``MAX_GROUPS``), cut only where allowed."""
    target = max(1, -(-len(names) // min(MAX_GROUPS, max(2, -(-len(names) // DETAIL_LIMIT)))))
    runs, current = [], []
    for i, name in enumerate(names):
        if current and len(current) >= target and cut_allowed(i):
            runs.append(current)
            current = []
        current.append(name)
    if current:
        runs.append(current)
    return runs


def _by_depth(graph: FunctionGraph, names: Sequence[str], path: tuple[str, ...]) -> list[Group]:
    depth = depths(graph)
    ordered = sorted(names, key=lambda n: depth[n])  # stable: topological order within a layer
    runs = _chunks(ordered, lambda i: depth[ordered[i]] != depth[ordered[i - 1]])
    if len(runs) < 2 or len(runs) > MAX_GROUPS:
        return []
    groups = []
    for run in runs:
        low, high = depth[run[0]], depth[run[-1]]
        span = f"depth {low}" if low == high else f"depth {low}–{high}"
        groups.append(Group(path + (f"depth:{low}-{high}",), f"{run[0]} … {run[-1]} ({span})"
                            if len(run) > 1 else run[0], "depth", tuple(run)))
    return groups


def _by_name(graph: FunctionGraph, names: Sequence[str], path: tuple[str, ...]) -> list[Group]:
    ordered = sorted(names)
    runs = _chunks(ordered, lambda i: True)
    return [Group(path + (f"names:{run[0]}..{run[-1]}",), f"{run[0]} … {run[-1]}", "names", tuple(run))
            for run in runs] if len(runs) >= 2 else []


def blocks(graph: FunctionGraph) -> dict[str, Group]:
    """Each parallel block as a group, by its path step ``block:<P>``: the Parallelizable node
    ``P``, its branch nodes and its Collect node in topological order (nodes a block cannot run
    are left out and drawn on their own). Memoised per graph shape."""
    memo = getattr(graph, "_block_groups", None)
    if memo is not None and memo[0] == graph.structure:
        return memo[1]
    from ..graph.parallel import roles

    found = roles(graph)
    members: dict[str, list[str]] = defaultdict(list)
    for name in graph.topological_order():
        role = found.get(name)
        if role is not None and role.kind != "invalid":
            members[role.block].append(name)
    groups: dict[str, Group] = {}
    for block, names in members.items():
        collects = [n for n in names if found[n].kind == "collect"]
        if not collects or names[0] != block:
            continue
        branch = len(names) - 1 - len(collects)
        title = (f"parallel block · {block} → {branch} branch node{'' if branch == 1 else 's'} → "
                 f"{', '.join(collects)}")
        groups[f"block:{block}"] = Group((f"block:{block}",), title, "block", tuple(names))
    graph._block_groups = (graph.structure, groups)
    return groups


def with_blocks(graph: FunctionGraph, items: Sequence, path: tuple[str, ...] = ()) -> list:
    """``items`` (node names and groups) with each parallel block whose nodes are all drawn one
    by one replaced by the block's group, where its first node was (the scope's own block is
    left open)."""
    found = blocks(graph)
    items = list(items)
    if not found:
        return items
    for step, block in found.items():
        if path and path[-1] == step:
            continue
        plain = {item for item in items if isinstance(item, str)}
        if not set(block.members) <= plain:
            continue
        at = items.index(block.members[0])
        items[at] = dataclasses.replace(block, path=tuple(path) + (step,))
        inside = set(block.members[1:])
        items = [item for item in items if not (isinstance(item, str) and item in inside)]
    return items


def scope_items(graph: FunctionGraph, names: list[str], path: tuple[str, ...]) -> list:
    """What to draw for a scope: groups (each a readable box) and single nodes, at most
    ``MAX_ITEMS``. Tiny groups show their nodes; a view with few boxes opens its biggest groups
    one level in place, all the equally big ones or none, so sibling boxes stay alike (a
    one-module session opens on that module's groups; one family split into sub-families next
    to whole families of the same size reads as if it were different in kind)."""
    order = {n: i for i, n in enumerate(graph.topological_order())}  # upstream first, for the layout
    items: list = list(split(graph, names, path)) or list(names)
    while True:
        groups = [g for g in items if isinstance(g, Group)]
        tiny = next((g for g in groups if len(g.members) <= SMALL_GROUP
                     and len(items) - 1 + len(g.members) <= MAX_ITEMS), None)
        if tiny is not None:
            at = items.index(tiny)
            items[at:at + 1] = list(tiny.members)
            continue
        biggest = max((len(g.members) for g in groups), default=0)
        tied = [g for g in groups if len(g.members) == biggest]
        if any(g.rule in ("depth", "names") for g in tied):  # arbitrary ranges: one is no different
            tied = tied[:1]
        opened = _open(graph, items, tied) if groups and len(items) < MIN_ITEMS else None
        if opened is None:
            break
        items = opened
    return sorted(items, key=lambda item: order[item.members[0] if isinstance(item, Group) else item])


def _open(graph: FunctionGraph, items: list, opening: list) -> list | None:
    """``items`` with each group of ``opening`` replaced by its next level (its nodes when
    small), or None when that would draw more than ``MAX_ITEMS`` or opens nothing. Several
    groups open only into named families (modules, name prefixes): ranges of depths or names,
    side by side for each sibling, are boxes without a story."""
    modules = sum(1 for g in items if isinstance(g, Group) and g.rule == "module") > 1
    out: list = []
    for item in items:
        if item not in opening:
            out.append(item)
            continue
        inner = list(item.members) if len(item.members) <= MIN_ITEMS else split(graph, list(item.members), item.path)
        if not inner:
            out.append(item)
            continue
        if len(opening) > 1 and any(isinstance(g, Group) and g.rule in ("names", "depth") for g in inner):
            return None
        if item.rule == "module" and modules:  # beside other modules, say whose groups these are
            inner = [dataclasses.replace(g, title=f"{item.title} › {g.title}") if isinstance(g, Group) else g
                     for g in inner]
        out.extend(inner)
    return out if len(items) < len(out) <= MAX_ITEMS else None
