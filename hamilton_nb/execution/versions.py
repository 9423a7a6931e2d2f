"""Versions: a node's version = hash(code, globals it reads, versions of its inputs).

External inputs (and overridden nodes) are versioned by hashing their data — they are
few. Intermediates are versioned from the graph alone, never by hashing their values,
so checking 1000 nodes for staleness costs microseconds. Versions are memoised and
invalidated only downstream of what changed.
"""
from __future__ import annotations

from typing import Iterable


from ..graph import FunctionGraph
from ..graph.fingerprint import GlobalsProbe, digest

UNBOUND = None  # version of an input nobody supplied


class Versioner:
    def __init__(self, graph: FunctionGraph) -> None:
        self.graph = graph
        self._memo: dict[str, str | None] = {}
        self._bindings: dict[str, str] = {}  # input/override name -> token of its value
        self._probes: dict[str, tuple[GlobalsProbe, tuple, str]] = {}  # node -> (probe, snapshot, token)

    # ---- invalidation -----------------------------------------------------------------
    def invalidate(self, names: Iterable[str]) -> dict[str, str | None]:
        """Forget versions of ``names`` and everything downstream; returns the forgotten versions."""
        dag = self.graph.dag
        gone = set(names)
        frontier = [n for n in gone if n in dag]
        while frontier:  # one walk from all of them (not one per name)
            nxt = []
            for name in frontier:
                for child in dag.successors(name):
                    if child not in gone:
                        gone.add(child)
                        nxt.append(child)
            frontier = nxt
        return {name: self._memo.pop(name, None) for name in gone}

    def graph_changed(self, touched: Iterable[str]) -> dict[str, str | None]:
        touched = list(touched)
        for name in touched:
            self._probes.pop(name, None)
        return self.invalidate(touched)

    def bind(self, name: str, token: str | None) -> None:
        """Record the token of the value an input/override has now; invalidate if it differs."""
        if token is None:
            if self._bindings.pop(name, None) is not None:
                self.invalidate([name])
        elif self._bindings.get(name) != token:
            self._bindings[name] = token
            self.invalidate([name])

    def refresh_globals(self, names: Iterable[str]) -> dict[str, str | None]:
        """Re-check the globals ``names`` read (constants, helpers); invalidate those that changed.

        Returns the forgotten versions, as :meth:`invalidate` does."""
        nodes = self.graph.nodes
        changed = []
        for name in names:
            node = nodes.get(name)
            if node is None or node.function is None:
                continue
            known = self._probes.get(name)
            if known is None:
                probe = GlobalsProbe(node.function)
                snapshot = probe.snapshot()
                self._probes[name] = (probe, snapshot, probe.token(snapshot))
                continue
            probe, old_snapshot, old_token = known
            if probe.namespace is not getattr(node.function, "__globals__", probe.namespace):
                probe = GlobalsProbe(node.function)  # same code, new module (a re-import)
                old_snapshot = ()
            snapshot = probe.snapshot()
            if old_snapshot and probe.unchanged_since(old_snapshot, snapshot):
                continue
            token = probe.token(snapshot)
            self._probes[name] = (probe, snapshot, token)
            if token != old_token:
                changed.append(name)
        return self.invalidate(changed) if changed else {}

    # ---- reading ----------------------------------------------------------------------
    def globals_token(self, name: str) -> str:
        """The token of the globals ``name`` reads, as last re-read ("" before its first read)."""
        known = self._probes.get(name)
        return known[2] if known is not None else ""

    def version(self, name: str) -> str | None:
        found = self._memo.get(name, False)
        if found is not False:
            return found
        self.compute(self.graph.upstream_of(name) | {name})
        return self._memo[name]

    def compute(self, names: Iterable[str]) -> None:
        """Fill in versions for ``names`` (must be closed under ancestors), in topological order."""
        missing = [n for n in names if n not in self._memo]
        if not missing:
            return
        position = {n: i for i, n in enumerate(self.graph.topological_order())}
        missing.sort(key=lambda n: position.get(n, -1))  # names outside the graph are inputs
        nodes, memo = self.graph.nodes, self._memo
        for name in missing:
            node = nodes.get(name)
            binding = self._bindings.get(name)
            if binding is not None and (node is None or binding.startswith("override:")):
                memo[name] = binding
                continue
            if node is None:
                memo[name] = UNBOUND
                continue
            if name not in self._probes:
                self.refresh_globals([name])
            parts = [node.fingerprint, self._probes[name][2] if name in self._probes else ""]
            for param, dep in node.dependencies.items():
                dep_version = memo.get(dep.node)
                if dep_version is None and dep.required:
                    memo[name] = UNBOUND
                    break
                parts.append(f"{param}={dep_version}")
            else:
                memo[name] = digest(*parts)
