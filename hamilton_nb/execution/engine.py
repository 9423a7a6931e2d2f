"""The engine: plan the upstream closure, reuse fresh values, compute the rest once each.

Work follows what changed: every way a node's version or cached value can change (an edit, a
rebound input, a changed global, an evicted value) is recorded as that node being *dirty*;
an execute looks at the dirty steps of its plan only, and node states are recomputed for
dirty nodes only.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Container, Iterable, Mapping, Sequence

from ..errors import InputError
from ..graph import FunctionGraph
from ..graph.build import where
from ..graph.fingerprint import bound_token, value_token
from ..graph.parallel import check as check_block, roles
from . import executors as _executors
from . import bindings, inplace, readers, sharing, sources
from .cache import ValueCache
from .diff import ChangeLog
from .frames import FrameMemory
from .parallel import Blocks, refuse_branch_outputs
from .plans import Plan, Step, closure, step_for
from .remote import Remote, fetch_into
from .report import ExecutionReport, Listener
from .results import as_dict, build_polars
from .run import Run
from .states import StateBook
from .versions import UNBOUND, Versioner, is_untracked

MAX_PLANS = 16  # requests remembered with their plan


def binding_token(value: Any, kind: str = "input") -> str:
    """The version of a bound value: its content token, or a one-off untracked version."""
    return f"{kind}:{value_token(value)}"


class _Versions(Versioner):
    """Versions that report every name whose version they forget (the engine's change feed)."""

    def __init__(self, graph: FunctionGraph, forgotten) -> None:
        super().__init__(graph)
        self._forgotten = forgotten

    def invalidate(self, names: Iterable[str]) -> dict[str, str | None]:
        gone = super().invalidate(names)
        if gone:
            self._forgotten(gone)
        return gone


class Engine:
    """Executes a :class:`FunctionGraph` with versioned caching; shared by Driver and session."""

    def __init__(self, graph: FunctionGraph, config: Mapping[str, Any] | None = None,
                 executor: "str | _executors.Executor | None" = None, memory_budget: int | None = None) -> None:
        self.graph = graph
        self.executor = _executors.resolve(executor)  # local, threads, dask or an Executor
        self.versions = _Versions(graph, self._forgotten)
        self.cache = ValueCache(memory_budget)
        self.changes = ChangeLog()  # what executes since the last edit changed; previous values for diffs
        self.versions.on_edit = self.changes.edited  # an edited global or helper is an edit too
        self.persistent = None  # an execution.persistent.PersistentCache, when enabled
        self.config: dict[str, Any] = {}
        self.inputs: dict[str, Any] = {}
        self._tokens: dict[str, str] = {}  # token of each bound input/config value
        self._reread: set[str] = set()  # inputs/config that couldn't be snapshotted: re-read each execute
        self.loaders: set[str] = set()  # data loader nodes: re-read before every execute
        # Node removed by an edit -> the module it was in (for messages naming it as such).
        self.removed: dict[str, str | None] = {}
        self.strict_types = False  # True: a value that contradicts its return type hint is an error
        self._checked: dict[str, str] = {}  # node -> checks_token its cached value was checked with
        self._recheck: set[str] = set()  # nodes whose checks changed since their value was checked
        self._what_if: frozenset[str] = frozenset()  # nodes this execute computes from overrides
        self.errors: dict[str, tuple[str | None, str]] = {}  # node -> (version, message)
        self.warnings: dict[str, list[str]] = {}  # node -> failed "warn" checks of its cached value
        self.changed_in_place: dict[str, dict[str, str]] = {}  # node -> {input it changed in place: note}
        self.read_changed: dict[str, str] = {}  # node -> note: it reads a value changed in place (readers.py)
        self.listeners: list[Listener] = []
        self.running: set[str] = set()
        self.last_report: ExecutionReport | None = None
        self._plans: OrderedDict[tuple, Plan] = OrderedDict()  # (outputs, overrides) -> plan
        self._frames = FrameMemory()
        self._steps: dict[str, tuple[Any, Step, Any]] = {}  # node name -> (node, its step, its block role)
        self._blocks = Blocks(self.versions)  # item values of parallel branch nodes
        self._overridden: set[str] = set()
        self._orphans: set[str] = set()  # nodes that left the graph, their values not yet released
        self._book = StateBook(self)  # node states, kept up to date for the names that changed
        self._input_names: tuple[int, list[str]] = (-1, [])
        self._position: tuple[int, dict[str, int]] = (-1, {})
        if config:
            self.set_config(config)

    # ---- the change feed ----------------------------------------------------------------------
    def _forgotten(self, names: Iterable[str]) -> None:
        """Versions of ``names`` were forgotten: plans and states look at them again."""
        names = list(names)
        for plan in self._plans.values():
            plan.dirty.update(names)
        self._book.mark(names)

    def changed(self, names: Iterable[str]) -> None:
        """The state (value, error, running) of ``names`` may have changed."""
        self._book.mark(names)

    def _values_dropped(self, names: Iterable[str]) -> None:
        """Cached values of ``names`` are gone: plans look at them again; frames holding them go."""
        names = list(names)
        if not names:
            return
        self._forgotten(names)
        self._frames.drop_holding(names)

    # ---- bindings -----------------------------------------------------------------------
    def set_inputs(self, values: Mapping[str, Any]) -> None:
        """Bind inputs (private copies); all are type-checked first, so a bad one binds nothing."""
        for name, value in values.items():
            bindings.check_input_type(self.graph, name, value)
        before = {name: self._tokens.get(name) for name in values}
        for name, value in values.items():
            self.inputs[name] = self._snapshot(name, value)
            self._tokens[name] = binding_token(self.inputs[name])
            self.versions.bind(name, self._tokens[name])
            self.changed([name])
        if any(self._tokens[name] != token for name, token in before.items()):
            self.changes.edited()  # new data: the last execute's marks are outdated

    def remove_input(self, name: str) -> None:
        self.changes.edited()
        self.inputs.pop(name, None)
        self._reread.discard(name)
        if name in self.config:
            self.config[name] = self._snapshot(name, self.config[name])
            self._tokens[name] = binding_token(self.config[name])
        else:
            self._tokens.pop(name, None)
        self.versions.bind(name, self._tokens.get(name))
        self.changed([name])

    def set_config(self, config: Mapping[str, Any]) -> None:
        self.changes.edited()
        for name, value in config.items():
            if name in self.inputs:
                self.config[name] = sharing.own(value)[0]
                continue
            self.config[name] = self._snapshot(name, value)
            self._tokens[name] = binding_token(self.config[name])
            self.versions.bind(name, self._tokens[name])
            self.changed([name])

    def _snapshot(self, name: str, value: Any) -> Any:
        """A private deep copy of a bound value; one that can't be copied (or has no sound
        token) is re-read before every execute instead."""
        value, owned = sharing.own(value)
        token, carries_code = bound_token(value)
        if owned and not carries_code and not is_untracked(token):
            self._reread.discard(name)
        else:
            self._reread.add(name)
        return value

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
        forgotten = self.versions.graph_changed(touched)
        for name, version in self.versions.refresh_globals(recheck).items():
            forgotten.setdefault(name, version)
        if forgotten:
            self.changes.edited(forgotten)
        self.changed(touched)
        # Values of nodes that left the graph are released after the next execute, unless the
        # node is back by then (a function moved to another cell keeps its value).
        self._orphans.update(n for n in touched if n not in graph.nodes)
        # unchanged nodes of a re-run cell are new function objects too: their steps are renewed
        edited = [self._step(n) for n in (*touched, *recheck) if n in graph.nodes]
        for plan in self._plans.values():
            if plan.structure == graph.structure and plan.generation != graph.generation:
                plan.replace(edited)
                plan.generation = graph.generation
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
                self._steps.pop(name, None)
                self.errors.pop(name, None)
                self.warnings.pop(name, None)
                self.changed(inplace.forget(self.warnings, self.changed_in_place, name))

    def forget(self, names: Iterable[str]) -> None:
        """Drop the values of ``names``, and any remembered result frame that holds them."""
        names = [n for n in names if n in self.cache or n in self.cache.evicted]
        self.changes.forget(names)
        for name in names:
            self.cache.discard(name)
        self.changed(names)
        self._values_dropped(names)

    def reset_cache(self) -> None:
        self.changed(list(self.cache) + list(self.cache.evicted) + list(self.errors))
        self._values_dropped(list(self.cache))
        self.cache.clear()
        self.errors.clear()
        self._frames.clear()
        self._checked.clear()
        self._recheck.clear()
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
        self._values_dropped(evicted)
        return evicted

    # ---- planning -----------------------------------------------------------------------
    def sort_by_order(self, names: list[str]) -> list[str]:
        """``names`` in graph (dependency) order; the position table is kept until the shape changes."""
        graph = self.graph
        if self._position[0] != graph.structure:
            self._position = (graph.structure, {n: i for i, n in enumerate(graph.topological_order())})
        position = self._position[1]
        return sorted(names, key=lambda name: position.get(name, -1))

    def plan_for(self, outputs: Sequence[str], overrides: Iterable[str] = ()) -> Plan:
        """The (memoised) plan of ``outputs``: inputs needed and steps in dependency order.

        Body edits (same names and edges) keep the plan: only the edited nodes' steps change.
        """
        graph = self.graph
        key = (tuple(outputs), frozenset(overrides))
        plan = self._plans.get(key)
        if plan is not None and plan.generation == graph.generation:
            self._plans.move_to_end(key)
            return plan
        if plan is not None and plan.structure == graph.structure:  # an edit we were not told of
            plan.replace([self._step(n) for n in plan.names])
            plan.generation = graph.generation
            plan.dirty.update(plan.names)
            self._plans.move_to_end(key)
            return plan
        for name in outputs:
            if name not in graph.dag:
                raise self.unknown(name, "output")
        parallel_roles = roles(graph)
        if parallel_roles:
            refuse_branch_outputs(graph, parallel_roles, outputs)
            self._blocks.forget(n for n, r in parallel_roles.items() if r.kind == "branch")
        inputs, names = closure(graph, outputs, key[1])
        for name in names if parallel_roles else ():
            check_block(parallel_roles.get(name))
        new = Plan(inputs, [self._step(name) for name in names], graph.generation, graph.structure)
        self._plans[key] = new
        self._plans.move_to_end(key)
        while len(self._plans) > MAX_PLANS:
            self._plans.popitem(last=False)
        return new

    def plan(self, outputs: Sequence[str], overrides: Iterable[str] = ()) -> tuple[list[str], list[Step]]:
        """(external inputs needed, steps in dependency order) for ``outputs``."""
        plan = self.plan_for(outputs, overrides)
        return plan.inputs, plan.steps

    def unknown(self, name: str, what: str) -> InputError:
        """The graph's "unknown name" error, saying so when the name was a function an edit removed."""
        if name in self.removed:
            return InputError(f"Unknown {what} `{name}`: `{name}` was a function in {where(self.removed[name])}, "
                              f"since removed.\nFix: define `{name}` again, or ask for another output.")
        return self.graph.unknown(name, what)

    def _step(self, name: str) -> Step:
        node = self.graph.nodes[name]
        cached = self._steps.get(name)
        role = roles(self.graph).get(name)
        if cached is not None and cached[0] is node and cached[2] == role:
            return cached[1]
        step = step_for(self.graph, name, self._blocks)
        self._steps[name] = (node, step, role)
        if self._checked.get(name, "") != step.checks_token and name in self.cache:
            self._recheck.add(name)  # edited checks: run them on the cached value at the next execute
            self._forgotten([name])
        return step

    # ---- executing ----------------------------------------------------------------------
    def execute(self, outputs: Sequence[str], inputs: Mapping[str, Any] | None = None,
                overrides: Mapping[str, Any] | None = None, result: str = "dataframe",
                executor: "str | _executors.Executor | None" = None) -> Any:
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
        self._what_if = self._downstream(overrides, plan.steps) if overrides else frozenset()
        versions = self.versions
        versions.new_execute()
        values = self._bind(outputs, plan.inputs + passthrough, plan.steps, inputs, overrides)
        reloaded = sources.reload(self, plan.steps, values)  # data loaders: re-read, versioned by what they load
        versions.refresh_reach()
        check = plan.take_dirty()
        try:
            versions.compute([*plan.inputs, *passthrough, *overrides, *(s.name for s in check)])
            memo = versions._memo
            report = ExecutionReport(outputs, steps=plan.names)
            frames = self._frames
            record = frames.get(outputs, key) if result == "dataframe" else None
            if result != "dataframe":
                frames.unsync(key)
            if record is not None:
                extra = passthrough + [n for n in overrides if n in record.versions]
                changed = frames.changed_columns(record, key, outputs, check, extra, memo)
                if not changed and not self._recheck:  # same request, same versions: the same answer
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
                executor = self.executor if executor is None else _executors.resolve(executor)
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

    def missing_error(self, missing: Mapping[str, list[str]], fix: str | None = None) -> InputError:
        """Missing inputs, and which of them were functions an edit removed."""
        error = bindings.missing_error(missing, fix)
        gone = [name for name in missing if name in self.removed]
        if not gone:
            return error
        lines = "\n".join(f"  `{name}` was a function in {where(self.removed[name])}, since removed: "
                          "define it again, or supply it as an input" for name in gone)
        text, _, fix_line = str(error).rpartition("\nFix:")
        return InputError(f"{text}\n{lines}\nFix:{fix_line}")

    def _bind(self, outputs, needed_inputs, steps, call_inputs, overrides) -> dict[str, Any]:
        versions = self.versions
        for name in self._overridden - set(overrides):  # first: an overridden input is rebound below
            versions.bind(name, None)
        values: dict[str, Any] = {}
        for name in needed_inputs:
            if name in call_inputs:
                value = sharing.own(call_inputs[name])[0]
                versions.bind(name, binding_token(value))
            elif name in self.inputs or name in self.config:
                value = self.inputs[name] if name in self.inputs else self.config[name]
                if name in self._reread:
                    self._tokens[name] = binding_token(value)
                versions.bind(name, self._tokens[name])
            else:
                versions.bind(name, None)
                continue
            bindings.check_input_type(self.graph, name, value)
            values[name] = value
        missing = self.missing_inputs(outputs, needed_inputs, steps, values)
        if missing:
            raise self.missing_error(missing)
        for name, value in overrides.items():
            values[name] = sharing.own(value)[0]
            versions.bind(name, binding_token(values[name], "override"))
        self._overridden = set(overrides)
        return values

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
            self._forgotten(lost)
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

    def bind_all(self) -> None:
        """Bring bindings up to date with session inputs/config (for state display).

        Overrides lasted one execute: states describe what the next plain execute would reuse.
        """
        for name in self._overridden:
            self.versions.bind(name, None)
        self._overridden = set()
        graph = self.graph
        if self._input_names[0] != graph.structure:
            self._input_names = (graph.structure, graph.input_names)
        for name in self._input_names[1]:
            if name in self._reread and (name in self.inputs or name in self.config):
                self._tokens[name] = binding_token(self.inputs[name] if name in self.inputs else self.config[name])
            token = self._tokens.get(name) if (name in self.inputs or name in self.config) else None
            self.versions.bind(name, token)

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
