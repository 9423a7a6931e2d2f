"""What a result was computed from, and what has changed since: how a shown result knows it is stale.

A stamp records the version of every node and input a result depends on, as the execute
that made it saw them (its call inputs and overrides included). Comparing with the versions
the same execute would see now is cheap (versions are memoised; intermediates are never
hashed) and names the root causes: the edited function, the re-bound input, the global
a function reads, the dropped node.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping, Sequence

from ..graph.build import where
from .bound import binding_token


@dataclasses.dataclass(frozen=True)
class ResultStamp:
    outputs: tuple[str, ...]
    bindings: Mapping[str, str]  # call input / override name -> token of the value it had
    versions: Mapping[str, str | None]  # every node and input the result depends on
    nodes: Mapping[str, Any]  # the nodes among them, as they were (their code, module, inputs)
    globals_read: Mapping[str, str]  # node -> token of the globals it read

    @property
    def names(self) -> list[str]:
        return list(self.versions)


def stamp(session, outputs: Sequence[str], inputs: Mapping[str, Any] | None = None,
          overrides: Mapping[str, Any] | None = None) -> ResultStamp:
    """The stamp of a result of ``outputs`` just computed with these call inputs/overrides
    (the execute has just re-read the globals its nodes use)."""
    graph, engine = session.graph, session.engine
    inputs, overrides = dict(inputs or {}), dict(overrides or {})
    in_graph = [n for n in dict.fromkeys(outputs) if n in graph.nodes and n not in overrides]
    needed, steps = engine.plan(in_graph, overrides) if in_graph else ([], [])
    names = list(dict.fromkeys([*needed, *(s.name for s in steps), *overrides,
                                *(n for n in outputs if n in graph.dag)]))
    bindings = {name: binding_token(value) for name, value in inputs.items() if name in names}
    bindings.update({name: binding_token(value, "override") for name, value in overrides.items()})
    nodes, read = graph.nodes, engine.versions.globals_token
    versions = engine.versions_of(names, bindings)
    return ResultStamp(outputs=tuple(outputs), bindings=bindings, versions=versions,
                       nodes={n: nodes[n] for n in names if n in nodes},
                       globals_read={n: read(n) for n in names if n in nodes})


def reread_globals(session, stamps: Iterable[ResultStamp]) -> None:
    """Re-read the globals the nodes of ``stamps`` use (once for all of them, before :func:`changes`)."""
    nodes = session.graph.nodes
    names = {n for result in stamps for n in result.nodes if n in nodes}
    session.engine.versions.refresh_globals(names)


@dataclasses.dataclass(frozen=True)
class Staleness:
    """Which outputs of a result are out of date, and why (root causes, in graph order)."""

    outputs: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.reasons)


def changes(session, result: ResultStamp) -> Staleness:
    """What made ``result`` out of date; empty (false) when nothing did.

    Call :func:`reread_globals` first so that a changed global counts."""
    graph, engine = session.graph, session.engine
    outputs = [n for n in result.outputs if n in result.versions]
    if all(n in graph.dag for n in result.versions) and \
            engine.versions_of(outputs, result.bindings) == {n: result.versions[n] for n in outputs}:
        return Staleness()  # an output's version covers everything upstream of it
    if not graph.nodes and result.nodes:
        return Staleness(tuple(result.outputs), ("the session was reset",))
    present = [n for n in result.names if n in graph.dag]
    now = engine.versions_of(present, result.bindings)
    changed = {n for n in result.names if n not in now or now[n] != result.versions[n]}
    reasons = []
    for name in result.names:
        if name not in changed:
            continue
        old, node = result.nodes.get(name), graph.nodes.get(name)
        own_edit = old is not None and (node is None or node.fingerprint != old.fingerprint
                                        or engine.versions.globals_token(name) != result.globals_read[name])
        if own_edit or not any(d.node in changed for d in (old.dependencies.values() if old else ())):
            reasons.append(_describe(session, result, name))
    unused = [r for r in reasons if r.endswith(_UNUSED)]
    if len(unused) < len(reasons):  # an input falls out of use because of an edit named already
        reasons = [r for r in reasons if not r.endswith(_UNUSED)]
    return Staleness(tuple(n for n in result.outputs if n in changed), tuple(dict.fromkeys(reasons)))


_UNUSED = " is no longer used"


def _describe(session, result: ResultStamp, name: str) -> str:
    graph, engine = session.graph, session.engine
    old, node = result.nodes.get(name), graph.nodes.get(name)
    if old is not None and node is None:
        return f"`{name}` was removed from {where(old.module)}"
    if node is None:
        if name not in graph.dag:
            return f"input `{name}`{_UNUSED}"
        if name in result.bindings:  # a call input keeps its value
            return f"`{name}` changed"
        if name in engine.inputs:
            return f"input `{name}` changed"
        if name in engine.config:
            return f"config `{name}` changed"
        return f"input `{name}` is no longer bound"
    if old is None:
        return f"`{name}` is now defined in {where(node.module)}"
    if old.fingerprint != node.fingerprint or old.module != node.module:
        return f"`{name}` changed in {where(node.module)}"
    return f"a global or helper that `{name}` reads ({where(node.module)}) changed"
