"""One execute as executors see it: the steps to look at and how to record each outcome.

This is the whole contract between the engine and an executor::

    stale = run.stale()               # reuse fresh cached (or persisted) values; the rest
    kwargs = run.arguments(step)      # what the node is called with
    run.started(step.name)
    run.store(step, value, seconds)   # checks, seals, caches; raises on a bad value
    run.fail(step, exc, user_tb=...)  # records the failure and raises NodeExecutionError
    raise run.interrupted(names)      # Ctrl-C: what finished is cached, the rest is not

and, for executors that run elsewhere: ``run.persist_to(step)`` (where a worker writes the
persistent entry), ``run.previous(step)`` (the value a new one is compared with),
``run.restore(step)``, ``run.abandon(names)``, ``run.running`` and ``run.graph``; ``run.fail(step,
None, shared=param)`` when a node changed an input that could not be copied. Executors
decide only where and in which order stale steps run; they never touch ``run.engine``.
"""
from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, Any, Container, Iterable, Protocol

from ..errors import Interrupted, NodeExecutionError
from ..graph import FunctionGraph
from ..graph.build import where
from ..graph.types import describe
from . import inplace, sharing
from .diff import ChangeLog, Comparison, compare
from .diff.why import causes, made_of
from .cache import ValueCache
from .check_book import CheckBook, verdict_of
from .feed import ChangeFeed
from .plans import Step
from .remote import Remote, fetch
from .report import ExecutionReport
from .versions import UNBOUND, is_untracked

if TYPE_CHECKING:  # pragma: no cover
    from .cache import Entry

logger = logging.getLogger("hamilton_nb")


class Engine(Protocol):
    """The parts of the engine a run records into (the engine is one; this module needs no more)."""

    graph: FunctionGraph
    cache: ValueCache
    persistent: Any  # a persistent.PersistentCache, or None
    changes: ChangeLog
    checks: CheckBook
    feed: ChangeFeed
    last_report: ExecutionReport | None
    versions: Any  # and inputs, config, loaders: what .diff.why reads to say why a node recomputes
    inputs: Any
    config: Any
    loaders: set[str]

    def fit_budget(self, keep: Container[str] = ()) -> list[str]: ...


class Run:
    """``steps`` (dependency order) to look at; ``values`` holds bound inputs, overrides and the
    cached values they read, and receives every step's value; ``memo`` maps names to versions."""

    def __init__(self, engine: "Engine", steps: list[Step], values: dict[str, Any], memo: dict,
                 report: "ExecutionReport", guards: dict[str, Any]) -> None:
        self.engine, self.steps, self.values, self.memo, self.report = engine, steps, values, memo, report
        self.guards = guards
        self.watched: dict[str, list] = {}  # step -> [(param, value handed out, its mark)]
        self.wanted = set(report.outputs)
        self.remote = any(isinstance(value, Remote) for value in values.values())  # a value kept on a cluster

    def __contains__(self, name: str) -> bool:
        """Values this run still needs (what it has read or computed, and its outputs): never evicted."""
        return name in self.values or name in self.wanted

    @property
    def listeners(self) -> list:
        return self.engine.feed.listeners

    @property
    def running(self) -> set[str]:
        """Names computing now (started, not yet stored, failed or abandoned)."""
        return self.engine.feed.running

    @property
    def graph(self) -> FunctionGraph:
        return self.engine.graph

    # ---- before running -----------------------------------------------------------------
    def reuse(self, step: Step) -> bool:
        """Use the cached (or persisted) value of ``step`` if it has the current version."""
        engine, name = self.engine, step.name
        version = self.memo[name]
        entry = engine.cache.get(name)
        if entry is not None and isinstance(entry.value, Remote) and not entry.value.alive():
            engine.cache.lost(name)  # its cluster is gone: computed again
            engine.feed.changed([name])
            entry = None
        if entry is not None and entry.version == version and version is not UNBOUND:
            if name in engine.checks.recheck:  # the checks were edited: run them on the cached value
                self._quality_checks(step, version, entry.value)
            self.values[name] = entry.value
            self.guards[name] = entry.guard
            self.remote = self.remote or isinstance(entry.value, Remote)
            engine.cache.touch(name)
            return True
        entry = engine.cache.restore(name, version) if version is not UNBOUND else None
        if entry is not None:  # an earlier value at exactly this version (config switched back)
            self._quality_checks(step, version, entry.value)  # its notes, under the current checks
            self.values[name] = entry.value
            self.guards[name] = entry.guard
            self.remote = self.remote or isinstance(entry.value, Remote)
            engine.feed.changed([name])
            self.report.restored.append(name)
            return True
        return engine.persistent is not None and not is_untracked(version) and self._load_persisted(step, version)

    def _load_persisted(self, step: Step, version: str) -> bool:
        engine = self.engine
        stored = engine.persistent.load(step.name, version)
        if stored is None:
            return False
        value, seconds = stored
        self._quality_checks(step, version, value)  # brings back its ``warn`` notes
        self._keep(step.name, version, value, seconds)
        self.report.loaded.append(step.name)
        return True

    def stale(self) -> list[Step]:
        """The steps whose value must be computed (the others are reused now)."""
        return [step for step in self.steps if not self.reuse(step)]

    def arguments(self, step: Step) -> dict[str, Any]:
        """What the node is called with here (values kept on a cluster are brought here first)."""
        values, handout = self.values, sharing.handout
        if self.remote:
            for _, dep, _ in step.args:
                if isinstance(values.get(dep), Remote):
                    values[dep] = fetch(values[dep])
                    self.guards[dep] = sharing.seal(values[dep])
        kwargs = {param: handout(values[dep]) for param, dep, _ in step.args if dep in values}
        watched = inplace.watch(kwargs, lambda: {param: values[dep] for param, dep, _ in step.args if dep in values})
        if watched:
            self.watched[step.name] = watched
        return kwargs

    def persist_to(self, step: Step) -> tuple[str, int | None] | None:
        """(file, size limit) of the persistent-cache entry the node's value goes to, or None: an
        executor whose workers write it themselves passes the outcome to :meth:`store`."""
        engine, name = self.engine, step.name
        version = self.memo[name]
        if engine.persistent is None or is_untracked(version) or version is UNBOUND or name in engine.checks.what_if:
            return None
        return str(engine.persistent.path_for(name, version)), engine.persistent.max_bytes

    def previous(self, step: Step) -> "Entry | None":
        """The node's cache entry, if any: the value (and version) a new value is compared with."""
        return self.engine.cache.get(step.name)

    def started(self, name: str) -> None:
        self.engine.feed.running.add(name)
        self.engine.feed.changed([name])
        for listener in self.engine.feed.listeners:
            listener.node_started(name)

    def abandon(self, names: Iterable[str]) -> None:
        """Nodes that were queued or running when the run stopped: not running any more."""
        engine = self.engine
        for name in list(names):
            if name in engine.feed.running:
                engine.feed.running.discard(name)
                engine.feed.changed([name])
                for listener in engine.feed.listeners:
                    listener.node_finished(name, False)

    # ---- results ----------------------------------------------------------------------------
    def store(self, step: Step, value: Any, seconds: float, *, verdict: tuple | None = None,
              comparison: Any = None, written: Any = None, in_place: list | None = None) -> None:
        """Check a computed value (mutated inputs, type, data quality), then seal and cache it.

        A value kept on a cluster (a :class:`~.remote.Remote`) comes with its ``verdict`` (see
        :func:`verdict_of`), its ``comparison`` with :meth:`previous` and, when the worker wrote
        it to :meth:`persist_to`, what ``write_entry`` ``written`` there, and what the node changed
        ``in_place`` in the values it received (:func:`.inplace.changes`)."""
        name, version = step.name, self.memo[step.name]
        self.engine.feed.running.discard(name)
        values, guards = self.values, self.guards
        for param, dep, _ in step.args:
            guard = guards.get(dep)
            if guard is not None and dep in values and sharing.tampered(values[dep], guard):
                self.restore(step)
                self.fail(step, None, value=value, mutated=param)
        engine = self.engine
        what_if, notes = name in engine.checks.what_if, engine.checks.warnings.get(name)
        self._quality_checks(step, version, value, verdict, kept=False)
        watched = self.watched.pop(name, None)
        if watched:
            self._shared(step, inplace.shared_changes(watched))
            in_place = inplace.changes(watched, {p: values[d] for p, d, _ in step.args if d in values})
        if in_place or engine.checks.changed_in_place:
            self._changed_in_place(step, in_place or (), keep=not what_if and version is not UNBOUND)
        old = engine.cache.get(name)
        if old is not None and comparison is None:
            comparison = _compared(old.value, value)
        if what_if or version is UNBOUND:  # a what-if: compared with the node's own value, which stays cached
            if engine.checks.warnings.get(name):
                self.report.what_if_warnings[name] = list(engine.checks.warnings[name])
            if notes is None:
                engine.checks.warnings.pop(name, None)
            else:
                engine.checks.warnings[name] = notes
            if old is not None:
                self.report.recomputed(name, comparison)
            self.values[name] = value
            self.guards[name] = sharing.seal(value)
        else:
            if old is not None:  # a recompute: did the value change, and why? (before the old one is released)
                why = (old.version, causes(engine, step, self.memo))
                self.report.recomputed(name, engine.changes.record(name, old.value, comparison, self.report, why))
            self._keep(name, version, value, seconds)
            engine.changes.made[name] = made_of(engine, step, self.memo)
            if engine.persistent is not None and not is_untracked(version):
                if written is None:
                    engine.persistent.save(name, version, value, seconds)
                else:
                    engine.persistent.written(name, version, written, type_name(value))
        self.report.computed[name] = seconds
        for listener in engine.feed.listeners:
            listener.node_finished(name, True)

    def _keep(self, name: str, version: str, value: Any, seconds: float) -> None:
        engine = self.engine
        guard = self.guards[name] = sharing.seal(value)
        engine.cache.put(name, version, value, seconds, guard)
        engine.checks.errors.pop(name, None)
        self.values[name] = value
        engine.feed.changed([name])
        engine.fit_budget(keep=self)

    def _shared(self, step: Step, found: list) -> None:
        """Values handed out themselves (no copy): changed in place, it fails; unchecked, a note."""
        engine, deps = self.engine, {param: dep for param, dep, _ in step.args}
        for param, changed in found:
            dep = deps[param]
            text = inplace.shared_notes(step.name, param, dep, type_name(self.values[dep]), changed)
            self._drop(dep)
            if changed:
                self._record_error(step.name, self.memo[step.name], text)
                raise NodeExecutionError(text, step.name)
            engine.checks.warnings.setdefault(step.name, []).append(text)
            logger.warning("%s (%s)", text, where(engine.graph.nodes[step.name].module))

    def _drop(self, name: str) -> None:
        """Take a node's value out of the cache (it may have been changed in place): computed again."""
        if name in self.engine.graph.nodes and name in self.engine.cache:
            self.engine.cache.discard(name)
            self.engine.feed.changed([name])

    def _changed_in_place(self, step: Step, found: Iterable, keep: bool) -> None:
        """Say which values the node changed in place (it got copies: the change stays inside it).

        The note on the changer goes with its value; the note on each changed value is kept
        (``keep``) until the changer runs again or leaves the graph."""
        engine, name = self.engine, step.name
        deps = {param: dep for param, dep, _ in step.args}
        if keep:
            engine.feed.changed(inplace.forget(engine.checks.warnings, engine.checks.changed_in_place, name))
        left = {}
        for param, what, fix in found:
            dep = deps[param]
            mine, theirs = inplace.notes(name, param, dep, what, fix, dep_is_node=dep in engine.graph.nodes)
            engine.checks.warnings.setdefault(name, []).append(mine)
            logger.warning("%s (%s)", mine, where(engine.graph.nodes[name].module))
            if keep:
                engine.checks.warnings.setdefault(dep, []).append(theirs)
                left[dep] = theirs
                engine.feed.changed([dep])
        if left:
            engine.checks.changed_in_place[name] = left

    def _quality_checks(self, step: Step, version: str, value: Any, verdict: tuple | None = None,
                        kept: bool = True) -> None:
        """``warn`` checks log and are remembered with the value; a ``fail`` check raises.

        A value that does not match the return type hint is a warning too (Apache Hamilton does
        not check at run time, and working code relies on it), or an error with ``strict_types``.
        A value ``kept`` (not newly computed) keeps the notes of nodes that changed it in place."""
        engine, warnings = self.engine, []
        engine.checks.checked[step.name] = step.checks_token
        engine.checks.recheck.discard(step.name)
        if verdict is None:
            checks = (step.check, step.quality_checks)
            verdict = value.apply(verdict_of, *checks) if isinstance(value, Remote) else verdict_of(value, *checks)
        wrong_type, outcomes = verdict
        if wrong_type is not None:
            if engine.checks.strict_types:
                self.fail(step, None, value=value)
            note = (f"return type: returned a {wrong_type}, but the hint says {describe(step.type)} "
                    "(correct the hint or the value; strict_types=True makes this an error)")
            warnings.append(note)
            logger.warning("`%s` (%s) %s", step.name, where(engine.graph.nodes[step.name].module), note)
        for check, (passed, message) in zip(step.quality_checks, outcomes):
            if passed:
                continue
            node = engine.graph.nodes[step.name]
            if check.importance == "fail":
                text = (f"`{step.name}` ({where(node.module)}) failed its check {check.description}: {message}\n"
                        f"Fix: correct `{step.name}` or its inputs, or relax the check "
                        "(`importance=\"warn\"` keeps going and only reports).")
                self._record_error(step.name, version, text)
                raise NodeExecutionError(text, step.name)
            warnings.append(f"{check.description}: {message}")
            logger.warning("`%s` (%s) check %s: %s", step.name, where(node.module), check.description, message)
        if engine.checks.changed_in_place:  # a new value keeps only the notes of changers that read it in this run
            warnings += [left[step.name] for changer, left in engine.checks.changed_in_place.items()
                         if step.name in left and (kept or changer in self.report.computed)]
        if warnings:
            engine.checks.warnings[step.name] = warnings
        else:
            engine.checks.warnings.pop(step.name, None)

    # ---- failures ---------------------------------------------------------------------------
    def restore(self, step: Step) -> None:
        """Undo rebinding mutations a node made to the values it was given."""
        values, guards = self.values, self.guards
        for _, dep, _ in step.args:
            guard = guards.get(dep)
            if guard is not None and dep in values and sharing.tampered(values[dep], guard):
                sharing.undo(values[dep], guard)

    def fail(self, step: Step, exc: BaseException | None, *, value: Any = None, mutated: str | None = None,
             user_tb: str | None = None, shared: str | None = None):
        """Record and raise a node's failure. ``user_tb``: the user's traceback text, when the
        node ran elsewhere (a thread, a Dask worker) and ``exc`` carries no usable frames;
        ``shared``: an input it changed in place that could not be copied."""
        engine, deps = self.engine, {param: dep for param, dep, _ in step.args}
        if shared is not None and exc is None:
            self._shared(step, [(shared, True)])
        watched = self.watched.pop(step.name, None) or []  # it raised: did it change a value given itself?
        for param, changed in [(shared, True)] if shared else inplace.shared_changes(watched):
            if changed:
                self._drop(deps[param])
        engine.feed.running.discard(step.name)
        node = engine.graph.nodes[step.name]
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
            message = (f"`{step.name}` ({where(node.module)}) returned a {type_name(value)}, "
                       f"but its return type hint says {describe(step.type)}.\n"
                       f"Fix: return a {describe(step.type)}, or correct the hint.")
        else:
            tb = exc.__traceback__.tb_next if exc.__traceback__ else None  # drop the executor's frame
            user_tb = given if given is not None else "".join(traceback.format_exception(type(exc), exc, tb))
            message = (f"`{step.name}` ({where(node.module)}) raised {type(exc).__name__}: {exc}\n"
                       f"Fix: correct `{step.name}` and execute again; other cached values are kept.")
        self._record_error(step.name, self.memo[step.name], message)
        raise NodeExecutionError(message, step.name, user_tb) from None

    def _record_error(self, name: str, version: str, message: str) -> None:
        engine = self.engine
        engine.checks.errors[name] = (version, message)
        engine.feed.changed([name])
        for listener in engine.feed.listeners:
            listener.node_finished(name, False)

    def interrupted(self, names: list[str], user_tb: str = "") -> Interrupted:
        """Ctrl-C while ``names`` were computing: what finished is cached, they are not stored."""
        graph, report = self.engine.graph, self.report
        shown = ", ".join(f"`{n}` ({where(graph.nodes[n].module)})" for n in names[:5]) or "the graph"
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        done = (f"{len(report.computed)} node(s) finished before it are cached" if report.computed
                else "nothing was computed before it")
        self.engine.last_report = report
        return Interrupted(f"Interrupted while computing {shown}{more}; {done}; unfinished nodes were "
                           "not stored.\nFix: execute again to continue from there.", user_tb)


def type_name(value: Any) -> str:
    return value.type_name if isinstance(value, Remote) else type(value).__name__


def _compared(old: Any, new: Any) -> Comparison:
    """``compare`` of a value computed here with the one it replaces, brought here if it was
    kept on a cluster."""
    if isinstance(old, Remote):
        if not old.alive():
            return Comparison(False, "not compared: the previous value went with its Dask cluster")
        old = fetch(old)
    return compare(old, new)
