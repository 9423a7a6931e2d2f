"""Why a node was recomputed: the edits, inputs, config and globals that changed since its value was made.

A version covers everything upstream, so it says *that* a value is out of date, not what
changed. So each computed value remembers what it was made from (:func:`made_of`: its code,
the globals it read, the versions of its inputs), and a recompute compares that with now
(:func:`causes`). An input node that was itself recomputed lends its own causes, so the
answer names root causes ("`a` was edited (module `f`)", "input `spend` was rebound"), never
the chain between. Only recomputes pay for this; an execute with nothing stale does no more.
"""
from __future__ import annotations

from typing import Any, Mapping

from ...graph.build import where
from ..versions import is_untracked

# What a value was made from: (its version, its code fingerprint, token of the globals it read,
# {input: version}).
Made = tuple


def made_of(engine: Any, step: Any, memo: Mapping[str, Any]) -> Made:
    """What the value of ``step`` computed now is made from."""
    name = step.name
    return (memo.get(name), engine.graph.nodes[name].fingerprint, engine.versions.globals_token(name),
            {dep: memo.get(dep) for _, dep, _ in step.args})


def causes(engine: Any, step: Any, memo: Mapping[str, Any]) -> tuple[str, ...]:
    """The root causes of recomputing ``step`` now (its cached value being replaced), most upstream first."""
    name, changes = step.name, engine.changes
    made, old = changes.made.get(name), engine.cache.get(name)
    if made is not None and old is not None and made[0] != old.version:
        made = None  # the cached value is an earlier one brought back, not the last computed
    node = engine.graph.nodes[name]
    if is_untracked(memo.get(name)):
        reason = engine.versions.untracked_reason(name) or "its value can't be versioned"
        return (f"`{name}` is untracked ({reason}): recomputed at every execute",)
    if made is None:
        return (f"`{name}` or what it reads changed (what its previous value was made from is not known: "
                "it was loaded or restored)",)
    found: list[str] = []
    for _, dep, _ in step.args:
        before, now = made[3].get(dep, _ABSENT), memo.get(dep)
        if before == now:
            continue
        if dep in engine.graph.nodes:
            found.extend(_inherited(engine, dep, before))
        elif before is _ABSENT:
            continue  # a new parameter: the edit of this node says it
        else:
            found.append(_input_change(engine, dep))
    own = []
    if node.fingerprint != made[1]:
        own.append(f"`{name}` was edited{_at(changes, name)} ({where(node.module)})")
    elif engine.versions.globals_token(name) != made[2]:
        own.append(f"a global or helper that `{name}` reads ({where(node.module)}) changed")
    elif {dep for _, dep, _ in step.args} != set(made[3]):
        own.append(f"`{name}` now reads other inputs")
    found = [*found, *own]
    if not found:
        found.append(f"`{name}` or what it reads changed")
    return tuple(dict.fromkeys(found))


_ABSENT = object()


def _inherited(engine: Any, dep: str, before: Any) -> list[str]:
    """The causes of node ``dep`` having another version than ``before``: those of its last recompute."""
    last = engine.changes.why.get(dep)
    if dep in engine.loaders:
        return [f"`{dep}` loaded new data"]
    if last is None:
        return [f"`{dep}` has a new value"]
    replaced, found = last
    if replaced != before and before is not _ABSENT:
        return [*found, f"earlier changes to `{dep}`"]
    return list(found)


def _at(changes: Any, name: str) -> str:
    where = changes.where.get(name)
    return f" {where}" if where else ""


def _input_change(engine: Any, name: str) -> str:
    if name in engine.config and name not in engine.inputs:
        return f"config `{name}` changed{_at(engine.changes, name)}"
    if name in engine.inputs:
        return f"input `{name}` was rebound{_at(engine.changes, name)}"
    return f"`{name}` given to this execute changed"
