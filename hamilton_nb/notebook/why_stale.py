"""Why a node is stale: which edit, input or global changed since its value was computed.

A node's version covers everything upstream of it, so the engine knows *that* a value is out
of date, not what changed. The engine notes, for each value it computes, its code, the globals
it read and the versions of its inputs (``engine.changes.made``, the same notes that let
``%hamilton_diff`` say why a recompute happened); a stale node is explained by walking up
through what differs to the root causes, named as the hover line and the details panel show
them. Values loaded from the persistent cache are explained by their topmost stale ancestors.
"""
from __future__ import annotations

from ..graph.build import where


class StaleReasons:
    def __init__(self, session):
        self.session = session

    @property
    def _made(self) -> dict[str, tuple]:
        """What each cached value was made from, as the engine noted when computing it (only
        values still in the cache, at the version they were made at, count)."""
        return self.session.engine.changes.made

    def why(self, name: str) -> list[str]:
        """The root causes of ``name`` being stale, most upstream first ([] when it is not)."""
        graph, engine = self.session.graph, self.session.engine
        states = self.session.known_states
        if states.get(name) != "stale":
            return []
        now = engine.versions_of(graph.upstream_of(name) | {name})
        reasons: list[str] = []
        seen: set[str] = set()

        def visit(n: str) -> None:
            if n in seen:
                return
            seen.add(n)
            node, made, entry = graph.nodes.get(n), self._made.get(n), engine.cache.get(n)
            if made is not None and (entry is None or entry.version != made[0]):
                made = None
            if made is None:
                stale_up = [p for p in graph.dag.predecessors(n) if states.get(p) == "stale"]
                for p in stale_up:
                    visit(p)
                if not stale_up:
                    reasons.append(f"`{n}` or what it reads changed (its value was loaded or brought back)")
                return
            if node.fingerprint != made[1]:
                reasons.append(f"`{n}` was edited ({where(node.module)})")
            elif engine.versions.globals_token(n) != made[2]:
                reasons.append(f"a global or helper that `{n}` reads changed")
            for p, version in made[3].items():
                if now.get(p) == version:
                    continue
                if p not in graph.nodes:
                    kind = "config" if p in engine.config and p not in engine.inputs else "input"
                    reasons.append(f"{kind} `{p}` changed")
                elif states.get(p) == "stale":
                    visit(p)
                else:
                    reasons.append(f"`{p}` was recomputed since")
            if set(graph.dag.predecessors(n)) != set(made[3]):
                reasons.append(f"`{n}` now reads other inputs")

        visit(name)
        return list(dict.fromkeys(reasons))

    def summary(self, name: str, most: int = 3) -> str:
        """``why`` in one line: "because `x` was edited (module `f`); input `y` changed"."""
        found = self.why(name)
        if not found:
            return ""
        more = f"; and {len(found) - most} more" if len(found) > most else ""
        return "because " + "; ".join(found[:most]) + more
