"""The engine: plan the upstream closure, reuse fresh values, compute the rest once each."""
from __future__ import annotations

import dataclasses
import logging
import time
import traceback
import uuid
from typing import Any, Callable, Container, Iterable, Mapping, Sequence

from ..errors import InputError, Interrupted, NodeExecutionError
from ..graph import FunctionGraph
from ..graph.build import where
from ..graph.fingerprint import digest
from ..graph.tokens import Tokenizer, Untracked
from ..graph.types import describe, runtime_check_type
from .cache import ValueCache
from .diff import ChangeLog, compare
from . import sharing, sources
from . import executors as _executors
from .report import ExecutionReport
from .results import as_dict, build_dataframe, build_polars, update_dataframe
from .versions import UNBOUND, UNTRACKED, Versioner, is_untracked

logger = logging.getLogger("hamilton_nb")


@dataclasses.dataclass(frozen=True)
class _Step:
    name: str
    callable: Callable
    args: tuple  # (param, dependency node, required)
    check: Any
    type: Any
    quality_checks: tuple = ()  # ``@check_output`` validators: check(value) -> (passed, message)
    checks_token: str = ""  # what the checks' verdict depends on: re-check a cached value when it changes


def binding_token(value: Any, kind: str = "input") -> str:
    """The version of a bound value: its content token, or a one-off untracked version."""
    try:
        return f"{kind}:{Tokenizer().token(value)}"
    except Untracked:
        return f"{kind}:{UNTRACKED}{uuid.uuid4().hex}"


class Listener:
    """Observer hooks (progress bars, the graph widget); all optional."""

    def node_started(self, name: str) -> None: ...

    def node_finished(self, name: str, ok: bool) -> None: ...

    def execution_started(self, to_compute: list[str]) -> None:
        """An execute is about to compute these (stale) nodes, in dependency order."""

    def execution_finished(self, ok: bool) -> None:
        """The execute that :meth:`execution_started` announced has ended."""


class Engine:
    """Executes a :class:`FunctionGraph` with versioned caching; shared by Driver and session."""

    def __init__(self, graph: FunctionGraph, config: Mapping[str, Any] | None = None,
                 executor: "str | _executors.Executor | None" = None) -> None:
        self.graph = graph
        self.executor = _executors.resolve(executor)  # local, threads, dask or an Executor
        self.versions = Versioner(graph)
        self.cache = ValueCache()
        self.changes = ChangeLog()  # what the last execute changed; previous values for diffs
        self.persistent = None  # an execution.persistent.PersistentCache, when enabled
        self.config: dict[str, Any] = {}
        self.inputs: dict[str, Any] = {}
        self._tokens: dict[str, str] = {}  # token of each bound input/config value
        # Node removed by an edit -> the module it was in. Its value is kept until the next execute,
        # so moving a function between cells (two cell runs) recomputes nothing.
        self.removed: dict[str, str | None] = {}
        self._checked: dict[str, str] = {}  # node -> checks_token its cached value was checked with
        self._recheck: set[str] = set()  # nodes whose checks changed since their value was checked
        self._reread: set[str] = set()  # inputs/config that couldn't be snapshotted: re-read each execute
        self.errors: dict[str, tuple[str | None, str]] = {}  # node -> (version, message)
        self.warnings: dict[str, list[str]] = {}  # node -> failed "warn" checks of its cached value
        self.strict_types = False  # True: a value that contradicts its return type hint is an error
        self.listeners: list[Listener] = []
        self.running: set[str] = set()
        self.last_report: ExecutionReport | None = None
        self._plans: dict[tuple, tuple] = {}  # (outputs, overrides) -> (generation, structure, inputs, steps)
        self._steps: dict[str, tuple[Any, _Step]] = {}  # node name -> (node, its step)
        self._frames: dict[tuple, tuple[dict[str, str], Any]] = {}
        self._overridden: set[str] = set()
        self._what_if: frozenset[str] = frozenset()  # nodes this execute computes from overrides
        if config:
            self.set_config(config)

    # ---- bindings -----------------------------------------------------------------------
    def set_inputs(self, values: Mapping[str, Any]) -> None:
        """Bind inputs (private copies); all are type-checked first, so a bad one binds nothing."""
        for name, value in values.items():
            self._check_input_type(name, value)
        before = {name: self._tokens.get(name) for name in values}
        for name, value in values.items():
            self.inputs[name] = self._snapshot(name, value)
            self._tokens[name] = binding_token(self.inputs[name])
            self.versions.bind(name, self._tokens[name])
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

    def set_config(self, config: Mapping[str, Any]) -> None:
        self.changes.edited()
        for name, value in config.items():
            if name in self.inputs:
                self.config[name] = sharing.own(value)[0]
                continue
            self.config[name] = self._snapshot(name, value)
            self._tokens[name] = binding_token(self.config[name])
            self.versions.bind(name, self._tokens[name])

    def _snapshot(self, name: str, value: Any) -> Any:
        """A private deep copy of a bound value; one that can't be copied (or has no sound
        token) is re-read before every execute instead."""
        value, owned = sharing.own(value)
        if owned and not is_untracked(binding_token(value)):
            self._reread.discard(name)
        else:
            self._reread.add(name)
        return value

    def graph_changed(self, touched: Iterable[str], recheck: Iterable[str] = ()) -> list[str]:
        """Forget versions downstream of ``touched``, and of the ``recheck`` nodes whose globals
        (helpers, constants) changed; returns nodes that became stale."""
        touched = list(touched)
        forgotten = self.versions.graph_changed(touched)
        for name in sources.loaders_of(self.graph).intersection(touched):
            self.versions.bind(name, None)  # an edited loader's last load no longer says what it reads
        for name, version in self.versions.refresh_globals(recheck).items():
            forgotten.setdefault(name, version)
        if forgotten:
            self.changes.edited(forgotten)
        was_fresh = [n for n, v in forgotten.items()
                     if v is not None and (e := self.cache.get(n)) is not None and e.version == v]
        if not was_fresh:
            return []
        self.versions.compute(self.graph.topological_order())
        known = self.versions.known
        return [n for n in was_fresh if known(n) != self.cache.get(n).version]

    def forget(self, names: Iterable[str]) -> None:
        """Drop the values of ``names``, and any remembered result frame that holds them."""
        names = set(names)
        self.changes.forget(names)
        for name in names:
            self.cache.discard(name)
        self._frames = {key: frame for key, frame in self._frames.items() if not names & set(frame[0])}

    def reset_cache(self) -> None:
        self.cache.clear()
        self._checked.clear()
        self._recheck.clear()
        self.changes.clear()
        self._frames.clear()
        self.errors.clear()

    # ---- planning -----------------------------------------------------------------------
    def plan(self, outputs: Sequence[str], overrides: Iterable[str] = ()) -> tuple[list[str], list[_Step]]:
        """(external inputs needed, steps in dependency order) for ``outputs``; memoised.

        The node order survives edits that keep the graph's shape (a body edit), so
        only the edited nodes' steps are rebuilt.
        """
        graph = self.graph
        key = (tuple(outputs), frozenset(overrides))
        found = self._plans.get(key)
        if found is not None and found[0] == graph.generation:
            return found[2], found[3]
        if found is not None and found[1] == graph.structure:
            inputs, names = found[2], [step.name for step in found[3]]
        else:
            inputs, names = self._closure(outputs, key[1])
        steps = [self._step(name) for name in names]
        self._plans[key] = (graph.generation, graph.structure, inputs, steps)
        return inputs, steps

    def _closure(self, outputs: Sequence[str], overridden: frozenset) -> tuple[list[str], list[str]]:
        """Inputs and nodes to compute for ``outputs``: their upstream, cut at overridden nodes."""
        graph, dag = self.graph, self.graph.dag
        for name in outputs:
            if name not in dag:
                raise self.unknown(name, "output")
        needed, stack = set(), list(outputs)
        while stack:
            name = stack.pop()
            if name in needed:
                continue
            needed.add(name)
            if name not in overridden:
                stack.extend(dag.predecessors(name))
        order = [n for n in graph.topological_order() if n in needed and n not in overridden]
        return [n for n in order if n not in graph.nodes], [n for n in order if n in graph.nodes]

    def unknown(self, name: str, what: str) -> InputError:
        """The graph's "unknown name" error, saying so when the name was a function an edit removed."""
        if name in self.removed:
            return InputError(f"Unknown {what} `{name}`: `{name}` was a function in {where(self.removed[name])}, "
                              f"since removed.\nFix: define `{name}` again, or ask for another output.")
        return self.graph.unknown(name, what)

    def _step(self, name: str) -> _Step:
        node = self.graph.nodes[name]
        cached = self._steps.get(name)
        if cached is not None and cached[0] is node:
            return cached[1]
        args = tuple((param, dep.node, dep.required) for param, dep in node.dependencies.items())
        checks_token = digest(*(check.token for check in node.checks)) if node.checks else ""
        if self._checked.get(name, "") != checks_token and name in self.cache:
            self._recheck.add(name)  # edited checks: run them on the cached value at the next execute
        step = _Step(name, node.callable, args, runtime_check_type(node.type), node.type, node.checks, checks_token)
        self._steps[name] = (node, step)
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
        for name in overrides:
            if name not in self.graph.dag:
                raise self.unknown(name, "override")
        inputs = inputs or {}
        # Inputs no node consumes may still be asked for: they pass straight through.
        passthrough = [n for n in outputs if n not in self.graph.dag and n not in overrides
                       and (n in inputs or n in self.inputs or n in self.config)]
        needed_inputs, steps = self.plan([n for n in outputs if n not in passthrough], overrides)
        orphans = [name for name in self.removed if name not in self.graph.nodes and name in self.cache]
        if orphans:  # functions an edit removed (and no later edit brought back) release their values
            self.forget(orphans)
        self._what_if = self._downstream(overrides, steps) if overrides else frozenset()
        versions = self.versions
        versions.new_execute()
        values = self._bind(outputs, needed_inputs + passthrough, steps, inputs, overrides)
        reloaded = sources.reload(self, steps, values)  # data loaders: re-read, versioned by what they load
        versions.refresh_globals([s.name for s in steps])
        versions.compute([*needed_inputs, *passthrough, *overrides, *(s.name for s in steps)])
        memo = versions._memo
        report = ExecutionReport(outputs)
        frame_key = (tuple(outputs), result)
        wanted = {name: memo[name] for name in outputs}
        reusable = self._frames.get(frame_key)
        if reusable is not None and reusable[0] == wanted and result == "dataframe" and not self._recheck:
            report.cached = [s.name for s in steps]
            report.seconds = time.perf_counter() - started
            self.last_report = report
            return reusable[1].copy(deep=False)
        executor = self.executor if executor is None else _executors.resolve(executor)
        if self.listeners:
            self._announced(executor, steps, values, memo, report)
        else:
            executor.run(self, steps, values, memo, report)
        if reloaded:
            report.computed = {**reloaded, **report.computed}
            report.cached = [n for n in report.cached if n not in reloaded]
        if result == "dict":
            out = as_dict(values, outputs)
        elif result == "polars":
            out = build_polars(values, outputs)
        else:
            out = self._frame(frame_key, values, wanted, reusable)
        report.seconds = time.perf_counter() - started
        self.last_report = report
        return out

    @staticmethod
    def _downstream(overrides: Iterable[str], steps: list[_Step]) -> frozenset[str]:
        """Steps whose value depends on an override: a what-if, never cached in place of the
        node's own value (which stays fresh for the next plain execute)."""
        found = set(overrides)
        for step in steps:
            if any(dep in found for _, dep, _ in step.args):
                found.add(step.name)
        return frozenset(found.difference(overrides))

    def _frame(self, key, values, wanted, reusable):
        frame = None
        if reusable is not None and list(reusable[0]) == list(wanted):
            changed = [n for n in wanted if reusable[0][n] != wanted[n]]
            frame = update_dataframe(reusable[1], values, changed, list(wanted))
        if frame is None:
            frame = build_dataframe(values, list(wanted))
        self._frames[key] = (wanted, frame)
        return frame.copy(deep=False)

    @staticmethod
    def missing_inputs(outputs: Sequence[str], needed_inputs: Iterable[str], steps: list[_Step],
                       supplied: Container[str]) -> dict[str, list[str]]:
        """Unsupplied inputs this plan cannot do without, each with the nodes that need it."""
        missing = {}
        for name in needed_inputs:
            if name in supplied:
                continue
            needers = sorted(step.name for step in steps
                             if any(dep == name and required for _, dep, required in step.args))
            if needers or name in outputs:
                missing[name] = needers  # empty: asked for directly
        return missing

    def missing_error(self, missing: Mapping[str, list[str]], fix: str | None = None) -> InputError:
        lines = [f"  {name}  (needed by {', '.join(needers)})" if needers else f"  {name}  (requested)"
                 for name, needers in missing.items()]
        gone = [name for name in missing if name in self.removed]
        if gone:
            lines.extend(f"  `{name}` was a function in {where(self.removed[name])}, since removed: "
                         "define it again, or supply it as an input" for name in gone)
        fix = fix or ("supply them, e.g. `%hamilton_inputs " + " ".join(f"{m}=..." for m in missing) +
                      "` or `execute(..., inputs={...})`.")
        return InputError("Missing inputs:\n" + "\n".join(lines) + f"\nFix: {fix}")

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
            self._check_input_type(name, value)
            values[name] = value
        missing = self.missing_inputs(outputs, needed_inputs, steps, values)
        if missing:
            raise self.missing_error(missing)
        for name, value in overrides.items():
            values[name] = sharing.own(value)[0]
            versions.bind(name, binding_token(values[name], "override"))
        self._overridden = set(overrides)
        return values

    def _check_input_type(self, name: str, value: Any) -> None:
        if name not in self.graph.dag:
            return
        expected = self.graph.input_type(name)
        check = runtime_check_type(expected)
        if check is not None and not isinstance(value, check):
            consumers = ", ".join(sorted(self.graph.consumers_of(name)))
            raise InputError(f"Input `{name}` is of type {type(value).__name__}, but {consumers} "
                             f"expect{'s' if ',' not in consumers else ''} {describe(expected)}.\n"
                             f"Fix: pass a {describe(expected)} for `{name}`.")

    def _run(self, steps: list[_Step], values: dict[str, Any], memo: dict, report: ExecutionReport) -> None:
        listeners = self.listeners
        clock = time.perf_counter
        handout, reuse = sharing.handout, self._reuse
        guards = {name: sharing.seal(value) for name, value in values.items()}
        for step in steps:
            name = step.name
            version = memo[name]
            if reuse(step, version, values, guards, report):
                continue
            kwargs = {param: handout(values[dep]) for param, dep, required in step.args if dep in values}
            for listener in listeners:
                listener.node_started(name)
            self.running.add(name)
            t0 = clock()
            try:
                value = step.callable(**kwargs)
            except Exception as exc:
                self.running.discard(name)
                self._restore(step, values, guards)
                self._failed(step, version, exc)
            except BaseException as exc:
                self.running.discard(name)
                self._restore(step, values, guards)
                for listener in listeners:
                    listener.node_finished(name, False)
                if isinstance(exc, KeyboardInterrupt):
                    tb = exc.__traceback__.tb_next if exc.__traceback__ else None  # the user's frames
                    raise self._interrupted([name], report, "".join(
                        traceback.format_exception(type(exc), exc, tb))) from None
                raise
            seconds = clock() - t0
            self.running.discard(name)
            self._store(step, version, value, seconds, values, guards, report)

    def _announced(self, executor, steps: list[_Step], values: dict[str, Any], memo: dict,
                   report: ExecutionReport) -> None:
        """Run with listeners told first which nodes will be computed (progress bars)."""
        entries = self.cache._entries
        to_compute = [s.name for s in steps
                      if (e := entries.get(s.name)) is None or e.version != memo[s.name]]
        listeners = list(self.listeners)
        for listener in listeners:
            listener.execution_started(to_compute)
        ok = False
        try:
            executor.run(self, steps, values, memo, report)
            ok = True
        finally:
            for listener in listeners:
                listener.execution_finished(ok)

    def _store(self, step: _Step, version: str, value: Any, seconds: float, values: dict[str, Any],
               guards: dict[str, Any], report: ExecutionReport) -> None:
        """Check a freshly computed value (mutated inputs, type, data quality), then cache and seal it."""
        name = step.name
        for param, dep, required in step.args:
            guard = guards.get(dep)
            if guard is not None and dep in values and sharing.tampered(values[dep], guard):
                self._restore(step, values, guards)
                self._failed(step, version, None, value, mutated=param)
        what_if, notes = name in self._what_if, self.warnings.get(name)
        self._run_quality_checks(step, version, value)
        guard = guards[name] = sharing.seal(value)
        old = self.cache._entries.get(name)
        if what_if:  # compared with the node's own value, which stays cached (with its check notes)
            if notes is None:
                self.warnings.pop(name, None)
            else:
                self.warnings[name] = notes
            if old is not None:
                report.recomputed(name, compare(old.value, value))
        else:
            if old is not None:  # a recompute: did the value change? (before the old one is released)
                report.recomputed(name, self.changes.record(name, old.value, value, report))
            self.cache.put(name, version, value, seconds, guard)
            self.errors.pop(name, None)
            if self.persistent is not None and not is_untracked(version):
                self.persistent.save(name, version, value, seconds)
        values[name] = value
        report.computed[name] = seconds
        for listener in self.listeners:
            listener.node_finished(name, True)

    def _reuse(self, step: _Step, version: str, values: dict[str, Any], guards: dict[str, Any],
               report: ExecutionReport) -> bool:
        """Use the cached (or persisted) value of ``step`` if it has this version."""
        entry = self.cache._entries.get(step.name)
        if entry is not None and entry.version == version:
            if step.name in self._recheck:  # the checks were edited
                self._run_quality_checks(step, version, entry.value)
            values[step.name] = entry.value
            guards[step.name] = entry.guard
            report.cached.append(step.name)
            return True
        return (self.persistent is not None and not is_untracked(version)
                and self._load_persisted(step, version, values, guards, report))

    def _load_persisted(self, step: _Step, version: str, values: dict[str, Any], guards: dict[str, Any],
                        report: ExecutionReport) -> bool:
        """Take ``step``'s value from the persistent cache if it holds exactly this version."""
        stored = self.persistent.load(step.name, version)
        if stored is None:
            return False
        value, seconds = stored
        self._run_quality_checks(step, version, value)  # brings back its warnings
        guard = guards[step.name] = sharing.seal(value)
        self.cache.put(step.name, version, value, seconds, guard)
        self.errors.pop(step.name, None)
        values[step.name] = value
        report.loaded.append(step.name)
        return True

    def _run_quality_checks(self, step: _Step, version: str, value: Any) -> None:
        """``warn`` checks log and are remembered with the value; a ``fail`` check raises.

        A value that does not match the return type hint is a warning too (Apache Hamilton does
        not check at run time, and working code relies on it), or an error with ``strict_types``."""
        self._checked[step.name] = step.checks_token
        self._recheck.discard(step.name)
        warnings = []
        if step.check is not None and not isinstance(value, step.check):
            if self.strict_types:
                self._failed(step, version, None, value)
            node = self.graph.nodes[step.name]
            note = (f"return type: returned a {type(value).__name__}, but the hint says {describe(step.type)} "
                    "(correct the hint or the value; strict_types=True makes this an error)")
            warnings.append(note)
            logger.warning("`%s` (%s) %s", step.name, where(node.module), note)
        for check in step.quality_checks:
            passed, message = check(value)
            if passed:
                continue
            node = self.graph.nodes[step.name]
            if check.importance == "fail":
                text = (f"`{step.name}` ({where(node.module)}) failed its check {check.description}: {message}\n"
                        f"Fix: correct `{step.name}` or its inputs, or relax the check "
                        "(`importance=\"warn\"` keeps going and only reports).")
                self.errors[step.name] = (version, text)
                for listener in self.listeners:
                    listener.node_finished(step.name, False)
                raise NodeExecutionError(text, step.name)
            warnings.append(f"{check.description}: {message}")
            logger.warning("`%s` (%s) check %s: %s", step.name, where(node.module), check.description, message)
        if warnings:
            self.warnings[step.name] = warnings
        else:
            self.warnings.pop(step.name, None)

    @staticmethod
    def _restore(step: _Step, values: dict[str, Any], guards: dict[str, Any]) -> None:
        """Undo rebinding mutations a node made to the values it was given."""
        for _, dep, _ in step.args:
            guard = guards.get(dep)
            if guard is not None and dep in values and sharing.tampered(values[dep], guard):
                sharing.undo(values[dep], guard)

    def _interrupted(self, names: list[str], report: ExecutionReport, user_tb: str = "") -> Interrupted:
        """Ctrl-C while ``names`` were computing: what finished is cached, they are not stored."""
        shown = ", ".join(f"`{n}` ({where(self.graph.nodes[n].module)})" for n in names[:5]) or "the graph"
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        done = (f"{len(report.computed)} node(s) finished before it are cached" if report.computed
                else "nothing was computed before it")
        self.last_report = report
        return Interrupted(f"Interrupted while computing {shown}{more}; {done}; unfinished nodes were "
                           "not stored.\nFix: execute again to continue from there.", user_tb)

    def _failed(self, step: _Step, version: str, exc: BaseException | None, value: Any = None,
                mutated: str | None = None, user_tb: str | None = None):
        """Record and raise a node's failure. ``user_tb``: the user's traceback text, when the
        node ran elsewhere (a thread, a Dask worker) and ``exc`` carries no usable frames."""
        node = self.graph.nodes[step.name]
        given, user_tb = user_tb, ""
        if mutated or (exc is not None and sharing.is_read_only_write(exc)):
            what = f"its input `{mutated}`" if mutated else "one of its inputs"
            message = (f"`{step.name}` ({where(node.module)}) modified {what} in place. Inputs are shared "
                       "with other nodes and the cache, so they must not change (nothing was corrupted).\n"
                       f"Fix: work on a copy (`x = x.copy()`) or use non-mutating operations "
                       "(`x = x * 2` rather than `x *= 2`; no `inplace=True`).")
            if exc is not None:
                tb = exc.__traceback__.tb_next if exc.__traceback__ else None
                user_tb = given if given is not None else "".join(traceback.format_exception(type(exc), exc, tb))
        elif exc is None:
            message = (f"`{step.name}` ({where(node.module)}) returned a {type(value).__name__}, "
                       f"but its return type hint says {describe(step.type)}.\n"
                       f"Fix: return a {describe(step.type)}, or correct the hint.")
        else:
            tb = exc.__traceback__.tb_next if exc.__traceback__ else None  # drop the engine's frame
            user_tb = given if given is not None else "".join(traceback.format_exception(type(exc), exc, tb))
            message = (f"`{step.name}` ({where(node.module)}) raised {type(exc).__name__}: {exc}\n"
                       f"Fix: correct `{step.name}` and execute again; other cached values are kept.")
        self.errors[step.name] = (version, message)
        for listener in self.listeners:
            listener.node_finished(step.name, False)
        raise NodeExecutionError(message, step.name, user_tb) from None

    # ---- states ---------------------------------------------------------------------------
    def state(self, name: str) -> str:
        """input, fresh, stale, untracked (recomputed at every execute), not computed, running or error."""
        if name in self.running:
            return "running"
        if name not in self.graph.nodes:
            return "input"
        version = self.versions.version(name)
        error = self.errors.get(name)
        if error is not None and error[0] == version and version is not UNBOUND:
            return "error"
        entry = self.cache.get(name)
        if entry is None:
            return "not computed"
        if is_untracked(version):
            return "untracked"
        return "fresh" if entry.version == version else "stale"

    def tracking(self, name: str) -> str:
        """Why ``name`` is recomputed at every execute, and anything to re-run; empty when neither."""
        reason = self.versions.untracked_reason(name)
        parts = [f"untracked: {reason}; recomputed at every execute"] if reason else []
        return "; ".join(parts + self.versions.notes.get(name, []))

    def stale_nodes(self) -> set[str]:
        """Nodes holding a value that is no longer current (after :meth:`states` brought versions up to date)."""
        return {name for name, state in self.states().items() if state == "stale"}

    def states(self) -> dict[str, str]:
        order = self.graph.topological_order()
        self._bind_all()
        self.versions.refresh_globals(self.graph.nodes)
        self.versions.compute(order)
        return {name: self.state(name) for name in order}

    def versions_of(self, names: Iterable[str], bindings: Mapping[str, str] | None = None) -> dict[str, str | None]:
        """The versions ``names`` (in the graph) would have in an execute with ``bindings``
        (call input or override name -> its token): what a shown result is compared against.
        Globals are as last read (``versions.refresh_globals`` re-reads them). The session's own
        bindings are in place again afterwards."""
        versions = self.versions
        self._bind_all()
        try:
            for name, token in (bindings or {}).items():
                versions.bind(name, token)
            version = versions.version
            return {name: version(name) for name in names}
        finally:
            if bindings:
                for name in bindings:
                    versions.bind(name, None)
                self._bind_all()

    def _bind_all(self) -> None:
        """Bring bindings up to date with session inputs/config (for state display).

        Overrides lasted one execute: states describe what the next plain execute would reuse.
        """
        for name in self._overridden:
            self.versions.bind(name, None)
        self._overridden = set()
        for name in self.graph.input_names:
            token = self._tokens.get(name) if (name in self.inputs or name in self.config) else None
            self.versions.bind(name, token)
