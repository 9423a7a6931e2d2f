"""Verification: cached values computed again, aside, and compared with what is cached.

A version is built from what a node's code names and reaches; some state can't be seen (a file
a node opens itself, ``os.environ``, library options, a registry filled elsewhere). Verifying a
node calls it again exactly as an execute would (the local executor, the same arguments: its
*cached* inputs) and compares the new value strictly with the cached one. Nothing is stored:
the cache, plans, node states and the change log stay as they were, unless the values differ.
Then the node and everything downstream become stale (the next execute recomputes them, and
their persisted entries are removed so they can't come back from disk).

Checked: nodes whose cached value is fresh. Skipped: untracked nodes (recomputed at every
execute anyway), data loaders (re-read before every execute), stale nodes, values of nodes
computed from overrides (never cached in place of the node's own value), values kept on a
Dask cluster (not brought here), and nodes whose inputs are no longer in memory.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import time
import warnings
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from ..errors import Interrupted
from ..graph.value_tokens import value_token
from . import inplace, sharing
from .diff import compare
from .executors import LocalExecutor
from .plans import Step
from .remote import Remote
from .report import ExecutionReport, abbreviate, format_seconds
from .run import Run
from .versions import is_untracked

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

MARK = "unverified:"  # prefix of the cached version of a value found wrong: it never matches a version
LISTED = 10  # up to this many checked nodes get a line each
HIDDEN = ("`{}` changed although nothing it is known to read changed; it may read process state "
          "(os.environ, options, random state) or a file.")
RAISES = ("`{}` now raises although nothing it is known to read changed; it may read process state "
          "(os.environ, options, random state) or a file.")


@dataclasses.dataclass
class Mismatch:
    """A node whose value computed again is not its cached value; ``kind``: differs | now raises."""

    node: str
    kind: str
    detail: str

    def sentence(self) -> str:
        return (RAISES if self.kind == "now raises" else HIDDEN).format(self.node)


@dataclasses.dataclass
class VerifyReport:
    """What a verification found: nodes checked (seconds each), mismatches, nodes made stale by
    them, nodes skipped (and why)."""

    checked: dict[str, float] = dataclasses.field(default_factory=dict)
    mismatches: list[Mismatch] = dataclasses.field(default_factory=list)
    stale: list[str] = dataclasses.field(default_factory=list)
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0
    what: str = "verified"  # how the report starts: verified / idle mode verified / loaded from disk, verified

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def per_node(self) -> float:
        """Average seconds to verify one node (compute again and compare)."""
        return sum(self.checked.values()) / len(self.checked) if self.checked else 0.0

    def add(self, other: "VerifyReport") -> None:
        self.checked.update(other.checked)
        self.mismatches.extend(other.mismatches)
        self.stale.extend(n for n in other.stale if n not in self.stale)
        self.skipped.update(other.skipped)
        self.seconds += other.seconds

    def __str__(self) -> str:
        n, bad = len(self.checked), {m.node: m for m in self.mismatches}
        count = f"{n} cached node{'' if n == 1 else 's'}"
        cost = f" ({_short(self.per_node)} per node)" if n else ""
        if not bad:
            head = f"{self.what} {count} in {format_seconds(self.seconds)}: " + ("all match" if n else "nothing to check")
        else:
            head = f"{self.what} {count} in {format_seconds(self.seconds)}: {len(bad)} of {n} differ"
        lines = [head + cost]
        if n <= LISTED:
            for name, seconds in self.checked.items():
                found = bad.get(name)
                outcome = "matches" if found is None else f"{found.kind.upper()}: {found.detail}"
                lines.append(f"  {name}  {outcome}  ({_short(seconds)})")
        else:
            lines += [f"  {m.node}  {m.kind.upper()}: {m.detail}" for m in self.mismatches]
        lines += [f"  {m.sentence()}" for m in self.mismatches]
        if self.stale:
            lines.append(f"  now stale (the next execute recomputes them): {abbreviate(self.stale)}")
        if self.skipped:
            reasons: dict[str, list[str]] = {}
            for name, why in self.skipped.items():
                reasons.setdefault(why, []).append(name)
            lines += [f"  skipped {abbreviate(names)}: {why}" for why, names in reasons.items()]
        return "\n".join(lines)

    _repr_pretty_ = lambda self, p, cycle: p.text(str(self))  # noqa: E731  (printed in IPython)


def _short(seconds: float) -> str:
    """Milliseconds with three significant digits (a verified node often takes microseconds)."""
    return f"{seconds * 1000:.3g} ms" if seconds < 1 else format_seconds(seconds)


class _Aside(Run):
    """One step run by an executor, its outcome kept here and never stored."""

    def __init__(self, engine: "Engine", step: Step, values: dict, guards: dict) -> None:
        super().__init__(engine, [step], values, {}, ExecutionReport([]), guards)
        self.outcome: tuple[Any, float] | BaseException | str | None = None

    def reuse(self, step: Step) -> bool:
        return False

    def started(self, name: str) -> None:
        pass

    def abandon(self, names: Iterable[str]) -> None:
        pass

    def store(self, step: Step, value: Any, seconds: float, **_: Any) -> None:
        for param, dep, _ in step.args:
            guard = self.guards.get(dep)
            if guard is not None and dep in self.values and sharing.tampered(self.values[dep], guard):
                self.restore(step)
                self.outcome = f"modified its input `{param}` in place"
                return
        watched = self.watched.pop(step.name, None)
        deps = {param: dep for param, dep, _ in step.args}
        for param, changed in inplace.shared_changes(watched) if watched else ():
            if changed:  # a value that could not be copied: the cached one changed, so it goes
                self.engine.cache.discard(deps[param])
                self.engine.feed.changed([deps[param]])
                self.outcome = (f"changed its input `{param}` in place, which can't be copied "
                                f"(`{deps[param]}` is computed again at the next execute)")
                return
        self.outcome = (value, seconds)

    def fail(self, step: Step, exc: BaseException | None, **_: Any):
        self.outcome = exc
        raise _Raised from None

    def interrupted(self, names: list[str], user_tb: str = "") -> Interrupted:
        return Interrupted("Verification interrupted; nothing was changed.")


class _Raised(Exception):
    """The node raised while verified (its exception is the run's outcome)."""


class Skip(Exception):
    """This node can't be verified now; the message says why."""


def verifiable(engine: "Engine", name: str, state: str) -> tuple[Step, dict, dict]:
    """(step, values, guards) to call ``name`` with its cached inputs; raises :class:`Skip`."""
    if state != "fresh":
        raise Skip({"untracked": "untracked: recomputed at every execute anyway",
                    "stale": "stale: the next execute recomputes them",
                    "evicted": "evicted from memory", "running": "running"}.get(state, state))
    if name in engine.loaders:
        raise Skip("data loaders: re-read before every execute")
    entry = engine.cache.get(name)
    if isinstance(entry.value, Remote):
        raise Skip("kept on the Dask cluster: not brought here to verify")
    step = engine.planner.known_step(name)
    values, guards, nodes, version = {}, {}, engine.graph.nodes, engine.versions.known
    for _, dep, _ in step.args:
        if dep in nodes:
            found = engine.cache.get(dep)
            if found is None or found.version != version(dep):
                raise Skip("an input is no longer in memory")
            if isinstance(found.value, Remote):
                raise Skip("an input is kept on the Dask cluster: not brought here to verify")
            values[dep], guards[dep] = found.value, found.guard
        elif dep in engine.inputs or dep in engine.config:
            value = engine.bound.value(dep)
            if engine.bound.changed_since_bound(dep):
                raise Skip("an input changed since it was bound: the next execute recomputes them")
            values[dep], guards[dep] = value, sharing.seal(value)
    return step, values, guards


def check(engine: "Engine", name: str, state: str, quiet: bool = False) -> tuple[float, Mismatch | None]:
    """Compute ``name`` again from its cached inputs and compare: (seconds, mismatch or None).
    Raises :class:`Skip` when it can't be verified now. ``quiet``: what the node prints is dropped."""
    step, values, guards = verifiable(engine, name, state)
    run = _Aside(engine, step, values, guards)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if quiet:
            sink = io.StringIO()
            stack.enter_context(contextlib.redirect_stdout(sink))
            stack.enter_context(contextlib.redirect_stderr(sink))
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
        try:
            LocalExecutor().run(run)
        except _Raised:
            pass
    outcome = run.outcome
    if isinstance(outcome, BaseException):
        found = Mismatch(name, "now raises", f"{type(outcome).__name__}: {outcome}")
    elif isinstance(outcome, str):
        found = Mismatch(name, "now raises", outcome)
    else:
        detail = differs(engine.cache.get(name).value, outcome[0])
        if detail is None:
            raise Skip("values of this type can't be compared (no equality, no content hash)")
        found = Mismatch(name, "differs", detail) if detail else None
    return time.perf_counter() - started, found


def differs(old: Any, new: Any) -> str | None:
    """How ``new`` differs from ``old``: "" when it is the same value, None when that can't be
    told. The comparison ``execute -v`` uses (missing equals missing), plus index and column
    metadata; values that compare as different by identity (objects with no equality of their
    own) are the same when their content tokens are."""
    comparison = compare(old, new)
    if not comparison.same:
        if isinstance(new, (pd.Series, pd.DataFrame, pd.Index, np.ndarray)):
            return comparison.detail
        tokens = value_token(old), value_token(new)
        if is_untracked(tokens[0]) or is_untracked(tokens[1]):
            return None if type(old) is type(new) else comparison.detail
        return "" if tokens[0] == tokens[1] else comparison.detail
    notes = []
    if isinstance(new, (pd.Series, pd.DataFrame)):
        notes += _axis_notes("index", old.index, new.index)
    if isinstance(new, pd.DataFrame):
        notes += _axis_notes("columns", old.columns, new.columns)
        if list(old.dtypes) != list(new.dtypes):
            notes.append("column dtypes differ")
    return "; ".join(notes)


def _axis_notes(label: str, old: pd.Index, new: pd.Index) -> list[str]:
    notes = []
    if old.dtype != new.dtype:
        notes.append(f"{label} dtype {old.dtype} → {new.dtype}")
    if list(old.names) != list(new.names):
        notes.append(f"{label} names {list(old.names)} → {list(new.names)}")
    if getattr(old, "freq", None) != getattr(new, "freq", None):
        notes.append(f"{label} freq {old.freq} → {new.freq}")
    if label == "columns" and list(old) != list(new):
        notes.append("columns in another order")
    return notes


def mark_stale(engine: "Engine", names: Iterable[str]) -> list[str]:
    """Make ``names`` and everything downstream stale: their cached (or evicted) values no longer
    carry their version, their persisted entries are removed, result frames showing them are
    dropped. Returns the nodes made stale, in graph order."""
    names = [n for n in names if n in engine.graph.nodes]
    if not names:
        return []
    affected = set(names) | engine.graph.downstream_of(*names)
    cache, store, made = engine.cache, engine.persistent, []
    for name in affected:
        entry = cache.get(name)
        version = entry.version if entry is not None else cache.evicted.get(name)
        if version is None or version.startswith(MARK):
            continue
        if store is not None:
            store.discard(name, version)
        if entry is not None:
            entry.version = MARK + version
        else:
            cache.evicted[name] = MARK + version
        made.append(name)
    engine.values_dropped(affected)
    return engine.sort_by_order(made)


def verify(engine: "Engine", names: Iterable[str] | None = None, *, quiet: bool = False,
           node_budget: float | None = None, budget: float | None = None,
           what: str = "verified") -> VerifyReport:
    """Verify ``names`` (default: every node with a cached value) and make mismatches stale.

    ``node_budget``: skip nodes whose recorded compute time is longer; ``budget``: stop checking
    once this many seconds are spent (the rest are skipped)."""
    started = time.perf_counter()
    states = engine.states()  # globals re-read, bindings current: "fresh" means fresh
    report = VerifyReport(what=what)
    if names is None:
        names = [n for n in states if n in engine.cache and n in engine.graph.nodes]
    for name in names:
        if budget is not None and time.perf_counter() - started > budget:
            report.skipped[name] = "not verified: over this verification's time budget"
            continue
        if name in report.stale:
            continue  # downstream of a mismatch: computed from a wrong value
        entry = engine.cache.get(name)
        if node_budget is not None and entry is not None and entry.seconds > node_budget:
            report.skipped[name] = f"not verified: took over {format_seconds(node_budget)} to compute"
            continue
        try:
            seconds, found = check(engine, name, states.get(name, "input"), quiet)
        except Skip as why:
            report.skipped[name] = str(why)
            continue
        report.checked[name] = seconds
        if found is not None:
            report.mismatches.append(found)
            report.stale += [n for n in mark_stale(engine, [name]) if n not in report.stale]
    report.seconds = time.perf_counter() - started
    return report
