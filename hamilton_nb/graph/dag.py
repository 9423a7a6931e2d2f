"""The graph of named modules: validated, incremental replacement, lineage queries.

A module's node set is replaced as a unit. Validation runs on the would-be graph
and, on any error, the previous state is restored exactly — callers never see a
half-applied change.
"""
from __future__ import annotations

import dataclasses
import difflib
from typing import Any, Iterable, Sequence

import networkx as nx

from ..errors import GraphError, InputError
from .build import where
from .node import Node, external_input
from .types import describe, is_compatible


@dataclasses.dataclass
class ChangeSet:
    """What a module replacement did, by node name."""

    added: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)
    changed: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)

    @property
    def touched(self) -> list[str]:
        return self.added + self.removed + self.changed


def _shape(nodes: Sequence[Node]) -> dict[str, tuple]:
    """Names and edges of a node set (what the order and execution plans depend on)."""
    return {n.name: tuple((p, d.node, d.required, d.type) for p, d in n.dependencies.items()) for n in nodes}


def _same_definition(a: Node, b: Node) -> bool:
    return a.fingerprint == b.fingerprint and a.dependencies == b.dependencies and a.type == b.type


class FunctionGraph:
    """Nodes by name, grouped in modules, plus the networkx DAG (edges: dependency → dependent)."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.modules: dict[str, list[str]] = {}
        self.dag = nx.DiGraph()
        self.generation = 0  # changes with every replacement
        self.structure = 0  # changes only when node names or edges change
        self._order: list[str] | None = None
        self._position: dict[str, int] | None = None
        self._position_of: list[str] | None = None
        self._input_types: dict[str, Any] = {}

    # ---- building -------------------------------------------------------------------------
    def replace_module(self, module: str, new_nodes: Sequence[Node]) -> ChangeSet:
        """Make ``module`` hold exactly ``new_nodes``; validate; all or nothing."""
        self._check_duplicates(module, new_nodes)
        old_nodes = [self.nodes[name] for name in self.modules.get(module, ())]
        reshaped = _shape(old_nodes) != _shape(new_nodes)
        previous_order = self._order
        self._apply(module, old_nodes, new_nodes)
        try:
            if reshaped:
                self._order = self._check_cycles([n.name for n in new_nodes])
            self._check_types(new_nodes, reshaped)
        except GraphError:
            self._apply(module, new_nodes, old_nodes)
            if not old_nodes:
                self.modules.pop(module, None)
            self._order = previous_order
            raise
        if not new_nodes:
            self.modules.pop(module, None)
        self.generation += 1
        if reshaped:
            self.structure += 1
            self._input_types.clear()
        else:  # same names and edges: the order and plans built on it still hold
            self._order = previous_order
        return self._diff(old_nodes, new_nodes)

    def drop_module(self, module: str) -> ChangeSet:
        if module not in self.modules:
            raise InputError(f"There is no module `{module}` to drop.\n"
                             f"Fix: use one of: {', '.join(self.modules) or '(no modules yet)'}.")
        return self.replace_module(module, [])

    def _apply(self, module: str, old_nodes: Sequence[Node], new_nodes: Sequence[Node]) -> None:
        dag = self.dag
        touched: set[str] = set()
        for node in old_nodes:
            del self.nodes[node.name]
            touched.add(node.name)
            for dep in node.dependencies.values():
                if dag.has_edge(dep.node, node.name):
                    dag.remove_edge(dep.node, node.name)
                touched.add(dep.node)
        for node in new_nodes:
            self.nodes[node.name] = node
            dag.add_node(node.name)
            for dep in node.dependencies.values():
                dag.add_edge(dep.node, node.name)
        for name in touched:
            if name not in self.nodes and dag.has_node(name) and dag.out_degree(name) == 0:
                dag.remove_node(name)
        self.modules[module] = [node.name for node in new_nodes]

    def _check_duplicates(self, module: str, new_nodes: Sequence[Node]) -> None:
        seen: dict[str, Node] = {}
        for node in new_nodes:
            if node.name in seen:
                raise GraphError(f"`{node.name}` is defined twice in {where(module)}.\n"
                                 "Fix: keep one definition (rename or delete the other).")
            seen[node.name] = node
            other = self.nodes.get(node.name)
            if other is not None and other.module != module:
                raise GraphError(
                    f"`{node.name}` in {where(module)} is already defined in {where(other.module)}.\n"
                    f"Fix: rename one of them; to move it here, delete it from {where(other.module)} and "
                    f"run that cell again first (or drop just that function: `%hamilton_drop {node.name}`).")

    def _check_cycles(self, names: Iterable[str]) -> list[str] | None:
        """Raise on a cycle through ``names``; returns the topological order when it had to sort."""
        names = [n for n in names if n in self.dag]
        if not names:
            return None
        if len(names) > 32:  # a whole-graph sort is cheaper than many searches, and is reused
            try:
                return list(nx.topological_sort(self.dag))
            except nx.NetworkXUnfeasible:
                pass
        try:
            cycle = nx.find_cycle(self.dag, source=names)
        except nx.NetworkXNoCycle:
            return None
        path = [edge[0] for edge in cycle] + [cycle[0][0]]
        first = self.nodes.get(cycle[0][1])
        module = first.module if first else ""
        if len(cycle) == 1:
            raise GraphError(f"`{path[0]}` in {where(module)} depends on itself.\n"
                             f"Fix: a function cannot take its own output as a parameter; "
                             f"rename the parameter `{path[0]}` or the function.")
        by_module: dict[str, list[str]] = {}
        for name in path[:-1]:
            by_module.setdefault(self.nodes[name].module, []).append(name)
        place = f"in {where(module)}" if len(by_module) == 1 else "; ".join(
            f"{', '.join(f'`{n}`' for n in members)} in {where(m)}" for m, members in by_module.items())
        raise GraphError(f"Cycle: {' → '.join(path)} ({place}).\n"
                         "Fix: a DAG cannot loop; remove one of these dependencies.")

    def _check_types(self, new_nodes: Sequence[Node], reshaped: bool = True) -> None:
        """Edges into and out of ``new_nodes``; and, when the shape changed (hints are part of it),
        that each external input they read is given compatible hints by all its consumers."""
        inputs: set[str] = set()
        for node in new_nodes:
            for dep in node.dependencies.values():
                if dep.node in self.nodes:
                    self._check_edge(dep.node, node, dep.type)
                else:
                    inputs.add(dep.node)
            for consumer in self.dag.successors(node.name):
                for dep in self.nodes[consumer].dependencies.values():
                    if dep.node == node.name:
                        self._check_edge(node.name, self.nodes[consumer], dep.type)
        for name in inputs if reshaped else ():
            self._check_input_hints(name)

    def _check_edge(self, upstream: str, consumer: Node, expected: Any) -> None:
        producer = self.nodes[upstream]
        if not is_compatible(producer.type, expected):
            raise GraphError(
                f"Type mismatch: `{consumer.name}` ({where(consumer.module)}) expects "
                f"{upstream}: {describe(expected)} but `{upstream}` ({where(producer.module)}) "
                f"returns {describe(producer.type)}.\n"
                f"Fix: change the hint of parameter `{upstream}` or the return type of `{upstream}`.")

    def _hints_for_input(self, name: str) -> dict[Any, str]:
        """Each distinct type hint an external input is given, with one consumer that gives it."""
        hints: dict[Any, str] = {}
        for consumer in self.dag.successors(name):
            for dep in self.nodes[consumer].dependencies.values():
                if dep.node == name:
                    try:
                        hints.setdefault(dep.type, consumer)
                    except TypeError:  # an unhashable hint
                        hints.setdefault(repr(dep.type), consumer)
        return hints

    def _check_input_hints(self, name: str) -> None:
        hints = list(self._hints_for_input(name).items())
        for i, (a, first) in enumerate(hints):
            for b, second in hints[i + 1:]:
                if not (is_compatible(a, b) or is_compatible(b, a)):
                    raise GraphError(
                        f"Input `{name}` has conflicting type hints: `{second}` "
                        f"({where(self.nodes[second].module)}) expects {describe(b)} but `{first}` "
                        f"({where(self.nodes[first].module)}) expects {describe(a)}.\n"
                        f"Fix: give parameter `{name}` the same type hint in both functions.")

    @staticmethod
    def _diff(old_nodes: Sequence[Node], new_nodes: Sequence[Node]) -> ChangeSet:
        old = {n.name: n for n in old_nodes}
        change = ChangeSet()
        for node in new_nodes:
            before = old.pop(node.name, None)
            if before is None:
                change.added.append(node.name)
            elif _same_definition(before, node):
                change.unchanged.append(node.name)
            else:
                change.changed.append(node.name)
        change.removed.extend(old)
        return change

    # ---- reading --------------------------------------------------------------------------
    @property
    def input_names(self) -> list[str]:
        return [name for name in self.dag if name not in self.nodes]

    def input_type(self, name: str) -> Any:
        """The type hint consumers give external input ``name`` (memoised until the shape changes)."""
        found = self._input_types.get(name)
        if found is None:
            hint = next(iter(self._hints_for_input(name)), Any)
            found = self._input_types[name] = Any if isinstance(hint, str) else hint
        return found

    def input_node(self, name: str) -> Node:
        return external_input(name, self.input_type(name), list(self.dag.successors(name)))

    def get(self, name: str) -> Node:
        """The node (or external input) called ``name``; a helpful error otherwise."""
        node = self.nodes.get(name)
        if node is not None:
            return node
        if name in self.dag:
            return self.input_node(name)
        raise self.unknown(name)

    def unknown(self, name: str, what: str = "node") -> InputError:
        close = difflib.get_close_matches(name, list(self.dag), n=3)
        hint = f"Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else \
            "Fix: define a function with that name in a %%hamilton cell or a module."
        return InputError(f"Unknown {what} `{name}`. {hint}")

    def consumers_of(self, name: str) -> list[str]:
        return list(self.dag.successors(name)) if name in self.dag else []

    def topological_order(self) -> list[str]:
        if self._order is None:
            self._order = list(nx.topological_sort(self.dag))
        return self._order

    def topological_position(self) -> dict[str, int]:
        """Each name's index in :meth:`topological_order` (memoised with it)."""
        order = self.topological_order()
        if self._position is None or self._position_of is not order:
            self._position = {name: i for i, name in enumerate(order)}
            self._position_of = order
        return self._position

    def _require(self, names: Iterable[str]) -> list[str]:
        names = list(names)
        for name in names:
            if name not in self.dag:
                raise self.unknown(name)
        return names

    def upstream_of(self, *names: str) -> set[str]:
        found: set[str] = set()
        for name in self._require(names):
            found |= nx.ancestors(self.dag, name)
        return found

    def downstream_of(self, *names: str) -> set[str]:
        found: set[str] = set()
        for name in self._require(names):
            found |= nx.descendants(self.dag, name)
        return found

    def path_between(self, upstream: str, downstream: str) -> set[str]:
        """Nodes on any path from ``upstream`` to ``downstream`` (both included); empty if none."""
        self._require([upstream, downstream])
        if upstream == downstream:
            return {upstream}
        between = nx.descendants(self.dag, upstream) & nx.ancestors(self.dag, downstream)
        if downstream not in nx.descendants(self.dag, upstream):
            return set()
        return between | {upstream, downstream}
