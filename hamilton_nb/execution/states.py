"""Node states (input, fresh, stale, untracked, not computed, evicted, running, error), kept up to date for
the nodes that changed only, so showing them costs what changed, not the size of the graph."""
from __future__ import annotations

from typing import Callable, Iterable

from ..graph import FunctionGraph
from .cache import ValueCache
from .check_book import CheckBook
from .feed import ChangeFeed
from .versions import UNBOUND, Versioner, is_untracked


class StateBook:
    """Every node's state as of the last change the change feed reported (:meth:`mark`)."""

    def __init__(self, graph: FunctionGraph, versions: Versioner, cache: ValueCache, checks: CheckBook,
                 feed: ChangeFeed, bind_all: Callable[[], None]) -> None:
        self.graph, self.versions, self.cache, self.checks = graph, versions, cache, checks
        self.running, self.bind_all = feed.running, bind_all
        self.states: dict[str, str] = {}
        self.structure = -1  # graph.structure the states were computed for (-1: recompute all)
        self.dirty: set[str] = set()
        self.changes: dict[str, str] = {}  # since the last take_changes()
        self.revision = 0  # changes whenever a node's state changes
        feed.subscribe(changed=self.mark, forgotten=self.mark)

    def mark(self, names: Iterable[str]) -> None:
        """The state of ``names`` may have changed (version, value, error, running)."""
        self.dirty.update(names)

    def state(self, name: str) -> str:
        if name in self.running:
            return "running"
        if name not in self.graph.nodes:
            return "input"
        version = self.versions.version(name)
        error = self.checks.errors.get(name)
        if error is not None and error[0] == version and version is not UNBOUND:
            return "error"
        entry = self.cache.get(name)
        if entry is None:
            evicted = self.cache.evicted.get(name)
            if evicted is None:
                return "not computed"
            return "evicted" if evicted == version else "stale"
        if is_untracked(version):
            return "untracked"  # recomputed at every execute, whatever it holds now
        return "fresh" if entry.version == version else "stale"

    def current(self) -> dict[str, str]:
        """All states, recomputing those marked since the last call (all after a shape change)."""
        graph = self.graph
        self.bind_all()
        old = self.states
        if self.structure != graph.structure:
            order = graph.topological_order()
            self.versions.compute(order)
            self.states = {name: self.state(name) for name in order}
            changes = {n: s for n, s in self.states.items() if old.get(n) != s}
            changes.update({n: "removed" for n in old if n not in self.states})
            self.structure = graph.structure
        else:
            dirty = self.dirty
            if not dirty:
                return old
            present = [n for n in dirty if n in graph.dag]
            self.versions.compute(present)
            changes = {n: "removed" for n in dirty if n not in graph.dag and old.pop(n, None) is not None}
            for name in present:
                state = self.state(name)
                if old.get(name) != state:
                    old[name] = changes[name] = state
        self.dirty = set()
        if changes:
            self.changes.update(changes)
            self.revision += 1
        return self.states

    def take_changes(self) -> dict[str, str]:
        """Nodes whose state changed since the last call (``removed`` for nodes that left)."""
        self.current()
        changes, self.changes = self.changes, {}
        return changes
