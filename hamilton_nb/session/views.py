"""What a session shows of itself: node states, the status table, one node's details, diffs."""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

import pandas as pd

from ..execution.diff import ValueDiff
from ..graph.types import describe
from .details import NodeDetails

if TYPE_CHECKING:  # pragma: no cover
    from ..execution import Engine
    from ..graph import FunctionGraph


class Views:
    """Part of :class:`~hamilton_nb.session.session.Session`: looking at it."""

    engine: "Engine"
    graph: "FunctionGraph"

    def states(self) -> dict[str, str]:
        return self.engine.states()

    def status(self, state: str | None = None, module: str | None = None) -> pd.DataFrame:
        """One row per node: module, state, type, last compute time, tags, failed ``warn`` checks, and
        tracking (why a node is untracked, or an instance to re-create).

        ``state`` / ``module`` keep only the nodes in that state / module (for big sessions).
        ``evicted`` nodes had a fresh value that the memory budget pushed out of memory: the next
        execute that needs it loads it from the persistent cache (when on) or computes it again.
        """
        if module is not None and module not in self.graph.modules:
            raise self.graph.unknown(module, "module")
        engine = self.engine
        engine.versions.refresh_reach()
        states = engine.known_states()
        key = (engine.revision, engine.versions.tracking_revision, self.graph.generation, self.graph.structure)
        if self._status is None or self._status[0] != key:  # rebuilt only when something changed
            self._status = (key, self._status_frame(states))
        frame = self._status[1]
        if state is not None:
            frame = frame[frame["state"] == state]
        if module is not None:
            frame = frame[frame["module"] == module]
        return frame.reset_index(drop=True) if state is not None or module is not None else frame.copy(deep=False)

    def _status_frame(self, states: Mapping[str, str]) -> pd.DataFrame:
        graph, engine = self.graph, self.engine
        cache, warnings = engine.cache, engine.warnings
        order = graph.topological_order()
        described = self._described
        if described.get("structure") != graph.structure:  # inputs' types follow the graph's shape
            described.clear()
            described["structure"] = graph.structure
        columns: list[tuple] = []
        for name in order:
            node = graph.nodes.get(name)
            known = described.get(name)
            if known is None or known[0] is not node:  # what a node is changes only with the node
                shown = node if node is not None else graph.input_node(name)
                known = described[name] = (node, shown.module or "(input)", describe(shown.type),
                                           ", ".join(f"{k}={v}" for k, v in shown.tags.items()))
            columns.append(known[1:])
        modules, types, tags = zip(*columns) if columns else ((), (), ())
        entries = [cache.get(name) for name in order]
        versions = engine.versions
        tracked = bool(versions.untracked or versions.notes)
        return pd.DataFrame({
            "node": order,
            "module": list(modules),
            "state": [states[name] for name in order],
            "type": list(types),
            "last compute (ms)": [round(e.seconds * 1000, 3) if e else None for e in entries],
            "tags": list(tags),
            "checks": ["; ".join(warnings[name]) if name in warnings else "" for name in order],
            "tracking": [engine.tracking(name) for name in order] if tracked else [""] * len(order)})

    def show(self, name: str) -> NodeDetails:
        """Doc, signature, source, lineage, state and a value preview of one node."""
        return NodeDetails(self, self.graph.get(name).name)

    @property
    def changed(self) -> dict[str, str]:
        """Nodes whose value the last execute changed (name -> how), until the next edit."""
        return dict(self.engine.changes.changed)

    def diff(self, name: str) -> ValueDiff:
        """``name``'s value before and after its last recompute, side by side (rows that differ,
        summary statistics), or why there is nothing to compare."""
        name = self.graph.get(name).name
        return ValueDiff.of(self.engine, name, self.engine.states()[name])
