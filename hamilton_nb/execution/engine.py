"""The engine: plan the upstream closure, reuse fresh values, compute the rest once each.

Work follows what changed: every way a node's version or cached value can change (an edit, a
rebound input, a changed global, an evicted value) is reported to the change feed
(:mod:`.feed`); an execute looks at the dirty steps of its plan only, and node states are
recomputed for dirty nodes only. Its state is in parts with one job each: bound values
(:mod:`.bound`), what checks said (:mod:`.check_book`), plans (:mod:`.planner`), the value
cache and the change feed.
"""
from __future__ import annotations

import time
from typing import Any, Container, Iterable, Mapping, Sequence

from ..errors import InputError
from ..graph import FunctionGraph
from ..graph.build import where
from . import bindings, choice, readers, sharing, sources
from .bound import BoundValues
from .cache import ValueCache
from .check_book import CheckBook
from .diff import ChangeLog
from .executors import Executor
from .feed import ChangeFeed
from .frames import FrameMemory
from .planner import Planner
from .plans import Plan, Step
from .remote import Remote, fetch_into
from .report import ExecutionReport, Listener
from .results import as_dict, build_polars
from .run import Run
from .states import StateBook
from .versions import UNBOUND, Versioner

__all__ = ["Engine", "ExecutionReport", "Listener"]


class _Versions(Versioner):
    """Versions that report every name whose version they forget to the change feed."""

    def __init__(self, graph: FunctionGraph, feed: ChangeFeed) -> None:
        super().__init__(graph)
        self._feed = feed

    def invalidate(self, names: Iterable[str]) -> dict[str, str | None]:
        gone = super().invalidate(names)
        if gone:
            self._feed.forgotten(gone)
        return gone


class Engine:
    """Executes a :class:`FunctionGraph` with versioned caching; shared by Driver and session."""

    def __init__(self, graph: FunctionGraph, config: Mapping[str, Any] | None = None,
                 executor: "str | Executor | None" = None, memory_budget: int | None = None) -> None:
        self.graph = graph
        self.executor = choice.resolve(executor)  # local, threads, dask or an Executor
        self.feed = ChangeFeed()
        self.listeners, self.running, self.changed = self.feed.listeners, self.feed.running, self.feed.changed
        self.versions = _Versions(graph, self.feed)
        self.cache = ValueCache(memory_budget)
        self.changes = ChangeLog()  # what executes since the last edit changed; previous values for diffs
        self.versions.on_edit = self.changes.edited  # an edited global or helper is an edit too
        self.persistent = None  # an execution.persistent.PersistentCache, when enabled
        self.checks = CheckBook()
        self.errors, self.warnings = self.checks.errors, self.checks.warnings
        self.changed_in_place = self.checks.changed_in_place
        self.bound = BoundValues(graph, self.versions, self.changes, self.changed)
        self.inputs, self.config = self.bound.inputs, self.bound.config
        bound = self.bound  # binding is its job
        self.set_inputs, self.remove_input, self.set_config = bound.set_inputs, bound.remove_input, bound.set_config
        self.bind_all = bound.bind_all
        self.planner = Planner(graph, self.versions, self.cache, self.checks, self.feed, self.unknown)
        self.loaders: set[str] = set()  # data loader nodes: re-read before every execute
        # Node removed by an edit -> the module it was in (for messages naming it as such).
        self.removed: dict[str, str | None] = {}
        self.missing_fix = bindings.supply_as_inputs  # how the caller's surface supplies an input
        self.last_report: ExecutionReport | None = None
        self.frames = FrameMemory()
        self._orphans: set[str] = set()  # nodes that left the graph, their values not yet released
        self._book = StateBook(graph, self.versions, self.cache, self.checks, self.feed, self.bound.bind_all)
        if config:
            self.set_config(config)

    def values_dropped(self, names: Iterable[str]) -> None:
        """Cached values of ``names`` are gone: plans look at them again; frames holding them go."""
        names = list(names)
        if not names:
            return
        self.feed.forgotten(names)
        self.frames.drop_holding(names)

    def graph_changed(self, touched: Iterable[str], recheck: Iterable[str] = ()) -> list[str]:
        """Forget versions downstream of ``touched``, and of the ``recheck`` nodes (redefined with
        the same code) whose globals (helpers, constants) changed; release the values of nodes that left the graph; returns
        nodes that became stale."""
        touched, recheck = list(touched), list(recheck)
        graph = self.graph
        for name in (*touched, *recheck):  # the loader nodes, kept up to date with the edits
            node = graph.nodes.get(name)
            if node is not None and sources.is_loader(node):
                self.loaders.add(name)
            else:
                self.loaders.discard(name)
        for name in self.loaders.intersection(touched):
            self.versions.bind(name, None)  # an edited loader's last load no longer says what it reads
        self.changes.noted(touched)
        forgotten = self.versions.graph_changed(touched)
        for name, version in self.versions.refresh_globals(recheck).items():
            forgotten.setdefault(name, version)
        if forgotten:
            self.changes.edited(forgotten)
        self.changed(touched)
        # Values of nodes that left the graph are released after the next execute, unless the
        # node is back by then (a function moved to another cell keeps its value).
        self._orphans.update(n for n in touched if n not in graph.nodes)
        self.planner.renew((*touched, *recheck))
        cache = self.cache
        was_fresh = [n for n, v in forgotten.items()
                     if v is not None and (e := cache.get(n)) is not None and e.version == v]
        if not was_fresh:
            return []
        self.versions.compute([n for n in forgotten if n in graph.dag])
        known = self.versions.known
        return [n for n in was_fresh if known(n) != cache.get(n).version]

    def release_orphans(self) -> None:
        """Drop what is kept for nodes that are no longer in the graph."""
        gone = [n for n in self._orphans if n not in self.graph.nodes]
        self._orphans.clear()
        if gone:
            self.forget(gone)
            for name in gone:
                self.planner.steps.pop(name, None)
                self.changed(self.checks.forget(name))

    def forget(self, names: Iterable[str]) -> None:
        """Drop the values of ``names``, and any remembered result frame that holds them."""
        names = [n for n in names if n in self.cache or n in self.cache.evicted]
        self.changes.forget(names)
        for name in names:
            self.cache.discard(name)
        self.changed(names)
        self.values_dropped(names)

    def reset_cache(self) -> None:
        self.changed(list(self.cache) + list(self.cache.evicted) + list(self.errors))
        self.values_dropped(list(self.cache))
        self.cache.clear()
        self.checks.clear_values()
        self.frames.clear()
        self.changes.clear()

    # ---- memory ---------------------------------------------------------------------------
    def set_memory_budget(self, nbytes: int) -> list[str]:
        """Bound the in-memory cache to ``nbytes``; returns the nodes evicted to fit."""
        if nbytes <= 0:
            raise InputError(f"The memory budget must be positive, not {nbytes} bytes.\n"
                             "Fix: give a size such as 4GB or 500MB.")
        self.cache.budget = int(nbytes)
        return self.fit_budget()

    def fit_budget(self, keep: Container[str] = ()) -> list[str]:
        """Evict least recently used values (never ``keep``) until the cache fits its budget."""
        if self.cache.nbytes <= self.cache.budget:
            return []
        evicted = self.cache.evict(keep)
        self.changed(evicted)
        self.values_dropped(evicted)
        return evicted

    # ---- planning (see :mod:`.planner`) ------------------------------------------------------
    def plan_for(self, outputs: Sequence[str], overrides: Iterable[str] = ()) -> Plan:
        return self.planner.plan_for(outputs, overrides)

    def plan(self, outputs: Sequence[str], overrides: Iterable[str] = ()) -> tuple[list[str], list[Step]]:
        """(external inputs needed, steps in dependency order) for ``outputs``."""
        plan = self.planner.plan_for(outputs, overrides)
        return plan.inputs, plan.steps

    def sort_by_order(self, names: list[str]) -> list[str]:
        return self.planner.sort_by_order(names)

    def unknown(self, name: str, what: str) -> InputError:
        """The graph's "unknown name" error, saying so when the name was a function an edit removed."""
        if name in self.removed:
            return InputError(f"Unknown {what} `{name}`: `{name}` was a function in {where(self.removed[name])}, "
                              f"since removed.\nFix: define `{name}` again, or ask for another output.")
        return self.graph.unknown(name, what)

    # ---- executing ----------------------------------------------------------------------
    def execute(self, outputs: Sequence[str], inputs: Mapping[str, Any] | None = None,
                overrides: Mapping[str, Any] | None = None, result: str = "dataframe",
                executor: "str | Executor | None" = None) -> Any:
        """Values of ``outputs`` as a DataFrame (or dict, or polars DataFrame); recompute only what
        is stale, with ``executor`` (default: ``self.executor``)."""
        started = time.perf_counter()
        outputs = list(dict.fromkeys(outputs))
        overrides = dict(overrides or {})
        dag = self.graph.dag
        for name in overrides:
            if name not in dag:
                raise self.unknown(name, "override")
        inputs = inputs or {}
        # Inputs no node consumes may still be asked for: they pass straight through.
        nodes = self.graph.nodes
        passthrough = [n for n in outputs if n not in nodes and n not in dag and n not in overrides
                       and (n in inputs or n in self.inputs or n in self.config)]
        key = (tuple(n for n in outputs if n not in passthrough) if passthrough else tuple(outputs),
               frozenset(overrides))
        plan = self.plan_for(key[0], key[1])
        self.checks.what_if = self._downstream(overrides, plan.steps) if overrides else frozenset()
        versions = self.versions
        versions.new_execute()
        values = self.bound.bind(plan.inputs + passthrough, inputs)
        missing = self.missing_inputs(outputs, plan.inputs + passthrough, plan.steps, values)
        if missing:
            raise self.missing_error(missing)
        self.bound.bind_overrides(overrides, values)
        reloaded = sources.reload(self, plan.steps, values)  # data loaders: re-read, versioned by what they load
        versions.refresh_reach()
        check = plan.take_dirty()
        try:
            versions.compute([*plan.inputs, *passthrough, *overrides, *(s.name for s in check)])
            memo = versions._memo
            report = ExecutionReport(outputs, steps=plan.names)
            frames = self.frames
            record = frames.get(outputs, key) if result == "dataframe" else None
            if result != "dataframe":
                frames.unsync(key)
            if record is not None:
                extra = passthrough + [n for n in overrides if n in record.versions]
                changed = frames.changed_columns(record, key, outputs, check, extra, memo)
                if not changed and not self.checks.recheck:  # same request, same versions: the same answer
                    plan.dirty.update(s.name for s in check)  # not looked at now
                    frames.used(outputs)
                    report.seconds = time.perf_counter() - started
                    self._note_earlier(report)
                    self.last_report = report
                    return record.frame.copy(deep=False)
            guards = {name: sharing.seal(value) for name, value in values.items()}
            if not self._read_cached(check, values, guards, memo):
                check = plan.steps  # a cached value is not what the plan expected: look at every step
                versions.compute(plan.names)
            if check:
                run = Run(self, check, values, memo, report, guards)
                executor = self.executor if executor is None else choice.resolve(executor)
                if self.listeners:
                    self._announced(executor, run)
                else:
                    executor.run(run)
            readers.renote(self, key[0], overrides, values)  # what reads a value changed in place
            out = None
            if record is not None:
                self._read_all(changed, values)
                out = frames.updated(record, key, outputs, changed, values, memo)
            if out is None and result == "dataframe":
                self._read_all(outputs, values)
                out = frames.new(key, outputs, values, memo)
            elif out is None:
                self._read_all(outputs, values)
                out = as_dict(values, outputs) if result == "dict" else build_polars(values, outputs)
            if reloaded:
                report.computed = {**reloaded, **report.computed}
        except BaseException:
            plan.dirty.update(s.name for s in check)
            raise
        finally:
            self.release_orphans()
            self.fit_budget()
        report.seconds = time.perf_counter() - started
        self._note_earlier(report)
        self.last_report = report
        return out

    def _note_earlier(self, report: ExecutionReport) -> None:
        """Put in ``report`` what other executes (a live output's) recomputed of its nodes since the last edit."""
        found = self.changes.earlier(report.steps, report)
        report.earlier = {n: (comparison, run.by if isinstance(run, ExecutionReport) else "an earlier execute")
                          for n, (comparison, run) in found.items() if n not in report.computed}

    @staticmethod
    def _downstream(overrides: Iterable[str], steps: list[Step]) -> frozenset[str]:
        """Steps whose value depends on an override: a what-if, never cached in place of the
        node's own value (which stays fresh for the next plain execute)."""
        found = set(overrides)
        for step in steps:
            if any(dep in found for _, dep, _ in step.args):
                found.add(step.name)
        return frozenset(found.difference(overrides))

    def _read_cached(self, check: list[Step], values: dict, guards: dict, memo: dict) -> bool:
        """Put the fresh cached values the ``check`` steps read into ``values``; False if one is
        missing or not at its current version."""
        names = {step.name for step in check}
        entries = self.cache._entries
        for step in check:
            for _, dep, _ in step.args:
                if dep in values or dep in names or dep not in self.graph.nodes:
                    continue
                entry = entries.get(dep)
                if entry is None or entry.version != memo.get(dep) or entry.version is UNBOUND \
                        or (isinstance(entry.value, Remote) and not entry.value.alive()):
                    return False
                values[dep] = entry.value
                guards[dep] = entry.guard
        return True

    def _read_all(self, names: Iterable[str], values: dict) -> None:
        """The cached values of ``names`` not read yet (all fresh: the plan has just run), here:
        values kept on a cluster are brought back (only these: what was asked for)."""
        entries = self.cache._entries
        names = list(names)
        for name in names:
            if name not in values:
                values[name] = entries[name].value
        fetch_into(values, names)

    def _announced(self, executor, run: Run) -> None:
        """Run with listeners told first which nodes will be computed (progress bars)."""
        entries, memo = self.cache._entries, run.memo
        to_compute = [s.name for s in run.steps
                      if (e := entries.get(s.name)) is None or e.version != memo[s.name]]
        listeners = list(self.listeners)
        for listener in listeners:
            listener.execution_started(to_compute)
        ok = False
        try:
            executor.run(run)
            ok = True
        finally:
            for listener in listeners:
                listener.execution_finished(ok)

    missing_inputs = staticmethod(bindings.missing_inputs)

    def missing_error(self, missing: Mapping[str, list[str]]) -> InputError:
        """Missing inputs, which of them were functions an edit removed, and how to supply them
        the caller's way (``missing_fix``, set by the session or the Driver)."""
        return bindings.missing_error(missing, self.missing_fix, self.removed)

    # ---- states ---------------------------------------------------------------------------
    def state(self, name: str) -> str:
        """input, fresh, stale, untracked, not computed, evicted, running or error."""
        return self._book.state(name)

    def tracking(self, name: str) -> str:
        """Why ``name`` is recomputed at every execute, and anything to re-run; empty when neither."""
        reason = self.versions.untracked_reason(name)
        parts = [f"untracked: {reason}; recomputed at every execute"] if reason else []
        return "; ".join(parts + self.versions.notes.get(name, []))

    def stale_nodes(self) -> set[str]:
        """Nodes holding a value that is no longer current (after re-reading what nodes reach)."""
        return {name for name, state in self.states().items() if state == "stale"}

    def states(self) -> dict[str, str]:
        """Every node's state, in dependency order, after re-checking the globals nodes read."""
        self.versions.refresh_reach()
        lost = self.cache.find_lost()  # kept on a Dask cluster that went away: evicted
        if lost:
            self.feed.forgotten(lost)
        states = self.known_states()
        return {name: states[name] for name in self.graph.topological_order()}

    def known_states(self) -> dict[str, str]:
        """Every node's state as of the last change the engine saw (globals are not re-checked)."""
        return self._book.current()

    def state_changes(self) -> dict[str, str]:
        """Nodes whose state changed since the last call (``removed`` for nodes that left)."""
        return self._book.take_changes()

    @property
    def revision(self) -> int:
        """Changes whenever a node's state changes."""
        return self._book.revision

    def versions_of(self, names: Iterable[str], bindings: Mapping[str, str] | None = None) -> dict[str, str | None]:
        """The versions ``names`` (in the graph) would have in an execute with ``bindings``
        (call input or override name -> its token): what a shown result is compared against.
        Globals are as last read (``versions.refresh_globals`` re-reads them). The session's own
        bindings are in place again afterwards."""
        versions = self.versions
        self.bind_all()
        try:
            for name, token in (bindings or {}).items():
                versions.bind(name, token)
            version = versions.version
            return {name: version(name) for name in names}
        finally:
            if bindings:
                for name in bindings:
                    versions.bind(name, None)
                self.bind_all()
