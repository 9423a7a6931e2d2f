"""A session's verification: on demand, in idle time, and of values loaded from disk.

*Idle mode* re-checks cached nodes a few at a time while nothing else runs: slices scheduled
on the running asyncio event loop (a Jupyter kernel runs one), each at most ``IDLE_SLICE``
seconds, paused so that slices take at most ``IDLE_FRACTION`` of wall time. A slice never runs
while a cell executes (the notebook layer says when one does) or while an execute runs. After
each cell a new pass over the fresh cached nodes starts; when a pass is over, nothing runs
until the next cell. A mismatch makes the node and its descendants stale and is kept until
shown (``%hamilton_status``, ``%hamilton_verify``).

*Values loaded from the persistent cache* (after a restart) are verified on first use: right
after the execute that loaded them, each whose recorded compute time is at most ``LOADED_NODE``
seconds, up to ``loaded_budget`` seconds per execute (``LOADED_TOTAL``; 0 turns it off); the
others are noted as not verified. A wrong one is made stale and removed from disk, and the
execute is run again. (So a cheap node is computed once aside after a restart; an expensive one,
what the persistent cache is for, is not.)
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Callable, Iterable

from ..errors import InputError
from .verify import Skip, VerifyReport, check, mark_stale, verify

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine
    from .report import ExecutionReport

logger = logging.getLogger("hamilton_nb")

IDLE_FRACTION = 0.10  # of wall time, at most, spent verifying in idle mode
IDLE_SLICE = 0.050  # seconds per slice, at most (nodes that took longer to compute are left out)
IDLE_START = 1.0  # seconds after a cell (or turning idle mode on) before a pass starts
IDLE_RETRY = 1.0  # seconds to wait when a cell or an execute is running
IDLE_GAP = 0.1  # seconds between slices, at least
LOADED_NODE = 0.05  # a value loaded from disk is verified when it took at most this to compute…
LOADED_TOTAL = 0.25  # …and while verifying after one execute took at most this long


class IdleVerifier:
    """Passes over the fresh cached nodes, one slice at a time (see the module docstring)."""

    def __init__(self, engine: "Engine", found: Callable[[VerifyReport], None],
                 busy: Callable[[], bool] = lambda: False, fraction: float = IDLE_FRACTION,
                 slice_seconds: float = IDLE_SLICE, clock: Callable[[], float] = time.perf_counter) -> None:
        self.engine, self.found, self.busy, self.clock = engine, found, busy, clock
        self.fraction, self.slice_seconds = fraction, slice_seconds
        self.queue: list[str] = []  # nodes left in this pass, the next one last
        self.wanted = True  # a new pass starts when this one is over
        self.report = VerifyReport(what="idle mode verified")  # everything checked since started
        self.passes = self.slices = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._since = clock()
        self._handle: asyncio.TimerHandle | None = None

    # ---- one slice ------------------------------------------------------------------------------
    def run_slice(self) -> float | None:
        """Verify nodes until the slice's budget is spent; the pause before the next slice (keeping
        slices to ``fraction`` of wall time), or None when the pass is over and no new one is wanted."""
        engine = self.engine
        if self.busy() or engine.running:
            return IDLE_RETRY
        clock = self.clock
        started = clock()
        states = engine.states()  # what cells changed is seen first: only fresh nodes are checked
        if not self.queue and self.wanted:
            self.wanted = False
            self.queue = [n for n in reversed(list(states)) if states[n] == "fresh"]
            self.passes += 1
        found = VerifyReport(what="idle mode verified")
        budget = self.slice_seconds
        while self.queue:
            name = self.queue[-1]
            entry = engine.cache.get(name)
            cost = entry.seconds if entry is not None else 0.0
            if cost > budget:
                self.queue.pop()
                found.skipped[name] = "longer to compute than an idle slice (`%hamilton_verify NODE` checks it)"
                continue
            if found.checked and clock() - started + cost > budget:
                break
            self.queue.pop()
            try:
                seconds, mismatch = check(engine, name, states.get(name, "input"), quiet=True)
            except Skip:
                continue
            found.checked[name] = seconds
            if mismatch is not None:
                found.mismatches.append(mismatch)
                found.stale += mark_stale(engine, [name])
                states = engine.states()
        elapsed = clock() - started
        found.seconds = elapsed
        self.slices += 1
        self.report.add(found)
        if found.mismatches:
            self.found(found)
        if not self.queue and not self.wanted:
            return None
        return max(IDLE_GAP, elapsed * (1 - self.fraction) / self.fraction)

    @property
    def share(self) -> float:
        """Fraction of wall time spent in slices since idle mode started."""
        wall = self.clock() - self._since
        return self.report.seconds / wall if wall > 0 else 0.0

    # ---- scheduling on the event loop -------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.poke()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = self.loop = None

    def poke(self) -> None:
        """A cell ran: check everything again (after the current pass, if one is under way)."""
        self.wanted = True
        self._schedule(IDLE_START)

    def _schedule(self, delay: float) -> None:
        if self.loop is None or self._handle is not None:
            return
        try:
            self._handle = self.loop.call_later(delay, self._tick)
        except RuntimeError:  # the loop was closed: nothing to run slices on any more
            self.loop = None

    def _tick(self) -> None:
        self._handle = None
        if self.loop is None:
            return
        try:
            delay = self.run_slice()
        except Exception:  # never break the kernel's loop; idle mode stops instead
            logger.exception("hamilton_nb: idle verification failed and was turned off")
            self.stop()
            return
        if delay is not None:
            self._schedule(delay)


class Verification:
    """What a session's ``verify``, ``verify_idle`` and executes ask of verification.

    ``publish`` tells the session's observers that node states changed."""

    def __init__(self, engine: "Engine", publish: Callable[[], None]) -> None:
        self.engine, self.publish = engine, publish
        self.idle: IdleVerifier | None = None
        self.cell_running = False  # set by the notebook layer around each cell
        self.pending: list[VerifyReport] = []  # background findings not shown yet
        self.loaded = VerifyReport(what="loaded from disk, verified")  # since the session started
        self.loaded_budget = LOADED_TOTAL  # seconds per execute for values loaded from disk (0: off)
        self.last: VerifyReport | None = None

    def renewed(self, engine: "Engine") -> "Verification":
        """The same settings, for a session started over with ``engine``."""
        self.engine, self.pending, self.last = engine, [], None
        self.loaded = VerifyReport(what="loaded from disk, verified")
        if self.idle is not None:
            loop = self.idle.loop
            self.idle.stop()
            self.idle = None
            if loop is not None:
                self.set_idle(True, loop)
        return self

    def run(self, nodes: Iterable[str] | None, all: bool) -> VerifyReport:
        graph = self.engine.graph
        if not all and not nodes:
            raise InputError("Nothing to verify: name the nodes, or use --all.\n"
                             f"Fix: e.g. `%hamilton_verify {' '.join(list(graph.nodes)[:2]) or 'my_column'}` "
                             "or `%hamilton_verify --all`.")
        names = None if all else list(dict.fromkeys(graph.get(n).name for n in nodes))
        self.last = report = verify(self.engine, names)
        if report.mismatches:
            self.publish()
        return report

    def set_idle(self, on: bool, loop: asyncio.AbstractEventLoop | None = None) -> str:
        if not on:
            if self.idle is None:
                return "Idle verification is off."
            idle, self.idle = self.idle, None
            idle.stop()
            return f"Idle verification off; {_summary(idle)}."
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise InputError("Idle verification needs a Jupyter kernel (it runs on the kernel's event loop, "
                                 "between cells); none is running here.\n"
                                 "Fix: `%hamilton_verify --all` checks every cached node now.") from None
        if self.idle is not None:
            self.idle.stop()
        self.idle = IdleVerifier(self.engine, self._found, lambda: self.cell_running)
        self.idle.start(loop)
        return (f"Idle verification on: between cells, cached nodes are computed again and compared, "
                f"at most {IDLE_SLICE * 1000:.0f} ms at a time and {IDLE_FRACTION:.0%} of the time.")

    def status(self) -> str:
        if self.idle is None:
            return "Idle verification is off (`%hamilton_verify --idle` turns it on)."
        return f"Idle verification is on; {_summary(self.idle)}."

    def after_execute(self, report: "ExecutionReport | None") -> bool:
        """Verify the cheap values that execute loaded from disk; True if one was wrong (made stale:
        execute again). Idle mode starts a new pass."""
        wrong = False
        if report is not None and report.loaded and self.loaded_budget > 0:
            names = [n for n in report.loaded if n in self.engine.cache]
            found = verify(self.engine, names, quiet=True, node_budget=LOADED_NODE, budget=self.loaded_budget,
                           what="loaded from disk, verified")
            self.loaded.add(found)
            if found.mismatches:
                self._found(found)
                wrong = True
        if self.idle is not None:
            self.idle.poke()
        return wrong

    def cell_started(self) -> None:
        self.cell_running = True

    def cell_finished(self) -> None:
        self.cell_running = False
        if self.idle is not None:
            self.idle.poke()

    def _found(self, report: VerifyReport) -> None:
        self.pending.append(report)
        for mismatch in report.mismatches:
            logger.warning("hamilton_nb verification: %s (%s)", mismatch.sentence(), mismatch.detail)
        self.publish()

    def take_pending(self) -> list[VerifyReport]:
        """Background findings not shown yet (each is shown once)."""
        pending, self.pending = self.pending, []
        return pending


def _summary(idle: IdleVerifier) -> str:
    report = idle.report
    found = f"{len(report.mismatches)} differed" if report.mismatches else "all matched"
    return (f"{len(report.checked)} node(s) checked in {idle.slices} slice(s) "
            f"({report.per_node * 1000:.3g} ms per node, {idle.share:.1%} of the time): {found}")
