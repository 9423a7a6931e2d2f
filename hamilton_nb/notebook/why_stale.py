"""Why a node is stale: which edit, input or global changed since its value was computed.

A node's version covers everything upstream of it, so the engine knows *that* a value is out
of date, not what changed. While a graph is shown, this remembers, for each value as it is
computed, its code, the globals it read and the versions of its inputs; a stale node is then
explained by walking up through what differs to the root causes, named as the hover line and
the details panel show them. Values computed before the graph was shown are explained by their
topmost stale ancestors.
"""
from __future__ import annotations

from ..graph.build import where


class StaleReasons:
    def __init__(self, session):
        self.session = session
        self._made: dict[str, tuple] = {}  # node -> (its version, fingerprint, globals token, {input: version})

    def record(self) -> None:
        """Remember what each value computed since the last call was made from (call it when
        states change: a new value is current then)."""
        engine, graph = self.session.engine, self.session.graph
        computed = {n: e.version for n in graph.nodes if (e := engine.cache.get(n)) is not None}
        new = [n for n, v in computed.items() if self._made.get(n, (None,))[0] != v]
        if not new:
            return
        dag = graph.dag
        now = engine.versions_of(set(new) | {p for n in new for p in dag.predecessors(n)})
        token = engine.versions.globals_token
        for name in new:
            if now[name] == computed[name]:  # current: made from what is there now
                self._made[name] = (computed[name], graph.nodes[name].fingerprint, token(name),
                                    {p: now[p] for p in dag.predecessors(name)})

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
            node, made = graph.nodes.get(n), self._made.get(n)
            if made is None:
                stale_up = [p for p in graph.dag.predecessors(n) if states.get(p) == "stale"]
                for p in stale_up:
                    visit(p)
                if not stale_up:
                    reasons.append(f"`{n}` or what it reads changed before the graph was shown")
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
