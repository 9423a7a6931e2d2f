"""Which other nodes of a request differ from Apache Hamilton because a value was changed in place.

Apache Hamilton passes the object itself, depth first from each requested output in turn, each
node's parameters in order: a node reading a value changed in place sees the change there only
if it is computed after the node that changed it. To say exactly which nodes differ, the part
of the request a change reaches is replayed as Apache Hamilton runs it (the changers again, on
shared copies of their inputs, then whatever reads what they changed, in its order), and a
replayed value is compared with ours; a node whose replay equals ours stays quiet, and so does
everything computed only from it. The replay runs only when a request holds a node that changed
a value in place, once per request and versions, and at most ``REPLAY_SECONDS`` of the nodes'
computing time. Where a value cannot be replayed here (kept on a cluster, evicted, past that
time, not copyable, or the replay raised), the reader is warned that it may differ.

The replayed functions run a second time, so the replay must leave no trace but its notes:
each replayed node gets private copies of the cached values it reads (:func:`_private`), its
failures are caught, and the global random states are put back afterwards. Side effects on
the world outside the values (a global list appended to, a file written) do happen again.
"""
from __future__ import annotations

import copy
import random
import re
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..graph.parallel import roles
from .remote import Remote

_WHAT = re.compile(r"was changed in place by `[^`]*` \((.*)\); hamilton_nb keeps")
UNKNOWN = object()  # a value not held here
REPLAY_SECONDS = 2.0  # nodes past this much computing time are not replayed: said to "may differ"


def apache_order(graph: Any, outputs: Iterable[str], overrides: Iterable[str] = ()) -> list[str]:
    """The names in the order Apache Hamilton's Driver computes them for ``outputs`` (overridden
    names are taken as given, so what only they read is not computed)."""
    skip = set(overrides)
    order: list[str] = []
    seen: set[str] = set()
    for output in outputs:
        stack = [(output, False)]
        while stack:
            name, expanded = stack.pop()
            if expanded:
                order.append(name)
                continue
            if name in seen:
                continue
            seen.add(name)
            if name in skip:
                continue
            stack.append((name, True))
            stack.extend((dep, False) for dep in reversed(_deps(graph, name)) if dep not in seen)
    return order


def _deps(graph: Any, name: str) -> list[str]:
    node = graph.nodes.get(name)
    return [dep.node for dep in node.dependencies.values()] if node is not None else []


def reader_notes(graph: Any, changed_in_place: Mapping[str, Mapping[str, str]], order: list[str],
                 value_of: Any, seconds_of: Any = lambda name: 0.0) -> dict[str, str]:
    """node → its note, for the nodes of ``order`` (other than the values changed in place, which
    carry their own notes) whose value Apache Hamilton computes differently
    because of a change in place; ``value_of(name)`` gives our value, or ``UNKNOWN``;
    ``seconds_of(name)`` what computing it took (the replay stops at ``REPLAY_SECONDS``)."""
    changers = {c: left for c, left in changed_in_place.items() if c in order}
    if not changers:
        return {}
    position = {name: i for i, name in enumerate(order)}
    in_blocks = roles(graph)
    budget = REPLAY_SECONDS
    shared: dict[str, Any] = {}  # name -> the object Apache Hamilton would hold, where it may differ
    objects: dict[str, Any] = {}  # name -> the object the replay hands out (Apache Hamilton shares it)
    doubt: dict[str, str] = {}  # name -> the input that keeps it from being replayed here
    for name in order[min(position[c] for c in changers):]:
        node, deps = graph.nodes.get(name), _deps(graph, name)
        reached = [d for d in deps if d in shared or d in doubt]
        if node is None or (name not in changers and not reached):
            continue  # Apache Hamilton computes it from what we hold: the same value
        ours = value_of(name)
        for dep in deps:  # first use in the replay: a copy ours never sees, then shared
            if dep not in objects and dep not in shared and value_of(dep) is not UNKNOWN:
                objects[dep] = _private(value_of(dep))
        blocked = next((d for d in deps if d in doubt or (d not in shared and objects.get(d, UNKNOWN) is UNKNOWN)),
                       None)
        if blocked is not None or ours is UNKNOWN or name in in_blocks or seconds_of(name) > budget:
            _unknown(name, blocked or (reached[0] if reached else name), changers, shared, doubt)
            continue
        budget -= seconds_of(name)
        args = {param: objects.setdefault(dep.node, shared.get(dep.node)) for param, dep in node.dependencies.items()}
        try:
            value = _call(node.callable, args)
        except (Exception, SystemExit):
            _unknown(name, reached[0] if reached else name, changers, shared, doubt)
            continue
        objects[name] = value
        for changed in changers.get(name, ()):
            if changed in objects:
                shared[changed] = objects[changed]
        if any(value is arg for arg in args.values()) or not _same(value, ours):
            shared[name] = value  # differs, or is an object a later change may reach
    noted = {v for left in changers.values() for v in left}  # a changer may read a changed value too
    found = {}
    for name in order:
        if name in noted or name not in graph.nodes:
            continue
        if name in doubt:
            found[name] = (f"`{name}` reads `{doubt[name]}`, which Apache Hamilton would hand it after a change "
                           f"in place (see the warnings upstream); there `{name}` may differ")
        elif name in shared and not _same(shared[name], value_of(name)):
            found[name] = _note(graph, name, changers, position, shared)
    return found


_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes, range, frozenset)


def _private(value: Any) -> Any:
    """A copy of a cached value that a replayed function may change in any way without reaching
    the cache (``UNKNOWN`` when none can be made): pandas objects copy-on-write, arrays as
    read-only views, everything else deeply."""
    if isinstance(value, (pd.Series, pd.DataFrame)):
        return value.copy(deep=False)
    if isinstance(value, np.ndarray):
        view = value.view()
        view.flags.writeable = False
        return view
    if type(value) in _IMMUTABLE:
        return value
    try:
        return copy.deepcopy(value)
    except Exception:
        return UNKNOWN


def _call(function: Any, args: dict[str, Any]) -> Any:
    """``function(**args)``, the global random states as they were before (a later node drawing
    from them gets what it would without the replay)."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        return function(**args)
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def _unknown(name: str, because: str, changers: Mapping, shared: dict, doubt: dict) -> None:
    """``name`` is not replayed; nor is what it changed in place, from here on."""
    doubt[name] = because
    for value in changers.get(name, ()):
        shared.pop(value, None)
        doubt[value] = name


def _note(graph: Any, name: str, changers: Mapping[str, Mapping[str, str]], position: Mapping[str, int],
          shared: Mapping[str, Any]) -> str:
    deps = _deps(graph, name)
    for changer, left in changers.items():
        for value, note in left.items():
            if value in deps and position[changer] < position[name]:
                match = _WHAT.search(note)
                what = f" ({match.group(1)})" if match else ""
                return (f"`{name}` differs from Apache Hamilton's: there it reads `{value}` after `{changer}` "
                        f"changed it in place{what}; hamilton_nb computes it from `{value}` unchanged")
    source = next((d for d in deps if d in shared), "an upstream value")
    return (f"`{name}` differs from Apache Hamilton's: it is computed from `{source}`, which differs there "
            "(see the warnings upstream)")


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        if hasattr(a, "equals") and type(a) is type(b):
            return bool(a.equals(b))
        if type(a).__module__ == "numpy":
            import numpy as np
            return bool(np.array_equal(a, b))
        return bool(a == b)
    except Exception:
        return False


def renote(engine: Any, outputs: Iterable[str], overrides: Iterable[str], values: Mapping[str, Any]) -> None:
    """Replace the reader notes of the previous request by this request's (in ``checks.warnings``)."""
    checks = engine.checks
    order = apache_order(engine.graph, outputs, overrides) if checks.changed_in_place else []
    memo = engine.versions._memo
    key = tuple((name, memo.get(name)) for name in order)
    previous: dict[str, str] = checks.read_changed
    if key and key == checks.read_changed_key:
        fresh = previous  # same request, same versions: the same replay
    else:
        fresh = reader_notes(engine.graph, checks.changed_in_place, order, _values(engine, values),
                             _seconds(engine)) if key else {}
        checks.read_changed_key = key
    changed = set()
    for name, note in previous.items():
        notes = checks.warnings.get(name)
        if notes and note in notes:
            notes.remove(note)
            if not notes:
                del checks.warnings[name]
            changed.add(name)
    for name, note in fresh.items():
        checks.warnings.setdefault(name, []).append(note)
        changed.add(name)
    checks.read_changed = dict(fresh)
    if changed:
        engine.feed.changed(changed)


def _values(engine: Any, values: Mapping[str, Any]) -> Any:
    def value_of(name: str) -> Any:
        if name in values:
            found = values[name]
        else:
            entry = engine.cache.get(name)
            found = entry.value if entry is not None else UNKNOWN
        return UNKNOWN if isinstance(found, Remote) else found
    return value_of


def _seconds(engine: Any) -> Any:
    def seconds_of(name: str) -> float:
        entry = engine.cache.get(name)
        return entry.seconds if entry is not None else 0.0
    return seconds_of
