"""Shown results that know when they are stale, and live ones that follow edits.

A result of ``%hamilton_execute`` (or ``%hamilton_show``) that a cell displays is published
with a display id and remembered with the stamp of what it was computed from. After every
cell, and once after a change made outside a cell (a widget button, the side panel), each
remembered output is compared with the session: a stale one is redrawn in place
with a banner naming what changed (its old values still there, dimmed); a live one is
recomputed (only what is stale) and redrawn. Redrawing uses the front end's display-update
messages, so JupyterLab, Notebook 7 and VS Code need no extension, and a saved notebook
keeps what the last update showed.

Only values a cell actually displays are tracked: ``df = %hamilton_execute ...`` stays a
plain DataFrame that nothing watches. The registry is bounded, and a re-run cell's earlier
outputs (which the front end clears) stop being tracked.
"""
from __future__ import annotations

import collections
import dataclasses
import logging
import uuid
from typing import Any, Callable, Sequence

from ..execution.report import abbreviate
from ..execution.result_stamp import ResultStamp, changes, reread_globals, stamp
from .per_shell import PerShell, follow_cells, unfollow_cells
from .shown import Request, Shown, facts, names, render, table_shape, trigger

logger = logging.getLogger("hamilton_nb")

MAX_TRACKED = 64  # outputs a notebook keeps watching; the oldest are let go first


class Tracker:
    """Watches the outputs one IPython shell has displayed; see the module docstring."""

    def __init__(self, shell, session_getter: Callable[[], Any]) -> None:
        self.shell = shell
        self.session = session_getter
        self.shown: collections.OrderedDict[str, Shown] = collections.OrderedDict()
        self._pending: dict[int, tuple[Any, Request, bool]] = {}  # id(value) -> (value, request, live)
        self._cell_id: str | None = None
        self._cell_number: int | None = None  # the execution count of the cell that just ran
        self._live_computed: dict[str, None] = {}  # what live outputs computed after this cell
        self._in_cell = False
        self._due = False  # a change made outside a cell waits for its refresh
        self._refreshing = False
        self._unsubscribe: Callable[[], None] | None = None

    # ---- installation ---------------------------------------------------------------------
    def install(self) -> None:
        follow_cells(self)

    def uninstall(self) -> None:
        unfollow_cells(self)
        self._release_pending()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    @property
    def can_update(self) -> bool:
        """Front ends behind a kernel redraw outputs by display id; a terminal would only print again."""
        return type(self.shell.display_pub).__name__ == "ZMQDisplayPublisher"

    # ---- a cell displays a result -----------------------------------------------------------
    def offer(self, value: Any, request: Request, live: bool = False) -> None:
        """``value`` was just computed for ``request``: if this cell displays it, track it.

        Nothing happens yet: IPython formats a cell's displayed value through its formatters,
        where a printer registered for this one object publishes it with a display id. An
        assigned value (``df = %hamilton_execute ...``) is never displayed, so never tracked.
        """
        if value is None or not self.can_update:
            return
        self._pending[id(value)] = (value, request, live)  # held until the cell ends, so the id stays unique
        self.shell.display_formatter.ipython_display_formatter.singleton_printers[id(value)] = self._publish_new

    def _publish_new(self, value: Any) -> None:
        printers = self.shell.display_formatter.ipython_display_formatter.singleton_printers
        printers.pop(id(value), None)  # shown once; formatting it below must not come back here
        _, request, live = self._pending.pop(id(value))
        data, metadata = self.shell.display_formatter.format(value)
        try:
            session = self.session()
            shown = Shown(display_id=uuid.uuid4().hex, cell_id=self._cell_id, request=request,
                          stamp=stamp(session, request.outputs, request.inputs, request.overrides),
                          bundle=(data, metadata), live=live, **table_shape(value))
        except Exception:  # the value is still shown, untracked
            logger.exception("hamilton_nb: could not track this output")
            self.shell.display_pub.publish(data, metadata)
            return
        if not live:
            shown.request = _without_values(request)
        self._remember(shown)
        self._publish(shown, update=False)

    def _remember(self, shown: Shown) -> None:
        self.shown[shown.display_id] = shown
        if self._unsubscribe is None:  # from the first shown output on: follow changes outside cells
            self._unsubscribe = self.session().subscribe(self._changed)
        while len(self.shown) > MAX_TRACKED:
            self.shown.popitem(last=False)

    # ---- after every cell -------------------------------------------------------------------
    def pre_run_cell(self, info) -> None:
        self._in_cell = True
        self._cell_id = getattr(info, "cell_id", None)
        if self._cell_id:  # the front end clears a re-run cell's outputs
            for key in [k for k, s in self.shown.items() if s.cell_id == self._cell_id]:
                del self.shown[key]

    def post_run_cell(self, result=None) -> None:
        self._release_pending()
        self._cell_number = getattr(result, "execution_count", None)
        self._live_computed = {}
        self._due, self._refreshing = False, True
        try:
            self.refresh()
            if self._live_computed:
                print(self._after_live(self.session()))
        except Exception:  # a display must never break the user's cell
            logger.exception("hamilton_nb: could not refresh the outputs on screen")
        finally:
            self._in_cell, self._refreshing = False, False

    # ---- after a change made outside a cell ---------------------------------------------------
    def _changed(self, event) -> None:
        """The session changed. Inside a cell, ``post_run_cell`` refreshes; outside (a widget
        button, the side panel) one refresh is queued for when the handler returns, however many
        events it sent. The refresh's own changes (a live output recomputing) queue nothing."""
        if event.kind in ("node_started", "node_finished") or self._in_cell or self._refreshing or self._due:
            return
        loop = getattr(getattr(self.shell, "kernel", None), "io_loop", None)
        if loop is not None and self.shown:
            self._due = True
            loop.add_callback(self.settle)

    def settle(self) -> None:
        """Run the refresh a change outside a cell queued, if it is still due (the badges' comm
        calls this first, so the stale marks it sends match the banners)."""
        if not self._due or self._in_cell:
            return
        self._due, self._refreshing, self._cell_number = False, True, None
        try:
            self.refresh()
        except Exception:
            logger.exception("hamilton_nb: could not refresh the outputs on screen")
        finally:
            self._refreshing = False

    def _after_live(self, session) -> str:
        """The line under a cell's own output (its edit receipt) saying what live outputs then
        recomputed, and what is stale after that: the counts the graph shows."""
        computed = list(self._live_computed)
        states = session.known_states
        stale = [n for n, state in states.items() if state == "stale"]
        if len(stale) > 1:
            stale = session.engine.sort_by_order(stale)
        line = f"{len(computed)} recomputed by live outputs ({abbreviate(computed)}); {len(stale)} stale now"
        return line + (f" ({abbreviate(stale)})" if stale else "")

    def _release_pending(self) -> None:
        printers = self.shell.display_formatter.ipython_display_formatter.singleton_printers
        for key in self._pending:
            printers.pop(key, None)
        self._pending.clear()

    def refresh(self) -> None:
        """Redraw every tracked output whose state changed: live ones first (recomputed), then
        the stale banners of the others."""
        if not self.shown:
            return
        session = self.session()
        reread_globals(session, [shown.stamp for shown in self.shown.values()])
        for shown in sorted(self.shown.values(), key=lambda s: not s.live):
            try:
                self._refresh_one(session, shown)
            except KeyboardInterrupt:  # Ctrl-C during a live update: leave the others for the next cell
                return
            except Exception:
                logger.exception("hamilton_nb: could not refresh an output on screen")

    def _refresh_one(self, session, shown: Shown) -> None:
        found = changes(session, shown.stamp)
        reasons, outputs = found.reasons, found.outputs
        if shown.request.all and not reasons:
            added = [n for n in session.graph.nodes if n not in shown.stamp.versions]
            reasons = (f"new node{'s' if len(added) > 1 else ''}: {names(added)}",) if added else ()
            outputs = shown.stamp.outputs if added else ()
        if shown.live and reasons:
            self._recompute(session, shown, reasons)
        elif (reasons, outputs) != (shown.reasons, shown.stale_outputs) or (shown.error and not reasons):
            shown.reasons, shown.stale_outputs, shown.error = reasons, outputs, ""
            self._publish(shown, update=True)

    def _recompute(self, session, shown: Shown, reasons: tuple[str, ...]) -> None:
        request = shown.request
        attempt = _signature(session, shown.stamp)
        if shown.error and attempt == shown.failed_at:
            return  # nothing changed since the last failed update: don't run it again
        try:
            value = session.execute(request.outputs, all=request.all, inputs=request.inputs,
                                    overrides=request.overrides, result=request.result)
            outputs = session.last_report.outputs
            data, metadata = self.shell.display_formatter.format(value)
            new_stamp = stamp(session, outputs, request.inputs, request.overrides)
        except (Exception, KeyboardInterrupt) as exc:  # shown in the output; the causing cell carries on
            message = str(exc).strip() or type(exc).__name__
            shown.failed_at = attempt
            if (reasons, message) != (shown.reasons, shown.error):
                shown.reasons, shown.error = reasons, message
                self._publish(shown, update=True)
            if isinstance(exc, KeyboardInterrupt):
                raise
            return
        report = session.last_report
        report.by = "a live output"  # how the next `-v` and this output's note name it
        self._live_computed.update(dict.fromkeys(report.computed))
        shown.updated = f"updated after {trigger(reasons, self._cell_number)}: {facts(report)}"
        shown.bundle, shown.stamp, shown.error = (data, metadata), new_stamp, ""
        shown.reasons, shown.stale_outputs = (), ()
        shown.request = dataclasses.replace(request, outputs=outputs)
        self._publish(shown, update=True)

    # ---- live outputs -----------------------------------------------------------------------
    def stop_live(self) -> int:
        """Stop every live output (they stay on screen and get stale banners from now on)."""
        stopped = [s for s in self.shown.values() if s.live]
        for shown in stopped:
            shown.live, shown.error = False, ""  # a failed update is now just a stale output
            shown.was_live, shown.updated = True, ""
            shown.request = _without_values(shown.request)
            self._publish(shown, update=True)
        return len(stopped)

    def summary(self) -> str:
        live = [s for s in self.shown.values() if s.live]
        stale = [s for s in self.shown.values() if s.reasons]
        lines = [f"{len(self.shown)} output{'s' if len(self.shown) != 1 else ''} on screen tracked, "
                 f"{len(live)} live, {len(stale)} marked stale"]
        lines += [f"  live: {', '.join(s.request.outputs) or '(all)'}" for s in live]
        return "\n".join(lines)

    # ---- drawing ----------------------------------------------------------------------------
    def _publish(self, shown: Shown, update: bool) -> None:
        data, metadata = render(shown)
        self.shell.display_pub.publish(data, metadata, transient={"display_id": shown.display_id}, update=update)


def _without_values(request: Request) -> Request:
    """What a non-live output keeps: its stamp has the tokens of its call inputs, so their values
    (which may be large) can go."""
    return dataclasses.replace(request, inputs=None, overrides=None)


def _signature(session, result: ResultStamp) -> tuple:
    """The versions the outputs of ``result`` have now: they change whenever anything they depend on does."""
    present = [n for n in result.outputs if n in session.graph.dag]
    return tuple(session.engine.versions_of(present, result.bindings).items())


# ---- one tracker per shell ------------------------------------------------------------------
_TRACKERS: PerShell[Tracker] = PerShell(Tracker)


def tracker(shell=None) -> Tracker | None:
    """The tracker of ``shell`` (default: the running IPython), installed on first use."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return None
        shell = get_ipython()
        if shell is None:
            return None
    return _TRACKERS.get(shell)


def remove(shell) -> None:
    _TRACKERS.remove(shell)


def offer(value: Any, outputs: Sequence[str], *, all: bool = False, inputs=None, overrides=None,
          result: str = "dataframe", live: bool = False, node: str | None = None) -> None:
    """Track ``value`` if the running cell displays it (no-op outside a notebook kernel)."""
    found = tracker()
    if found is not None:
        found.offer(value, Request(list(outputs), all, inputs, overrides, result, node), live)


def settle(shell) -> None:
    """Refresh ``shell``'s shown outputs now if a change outside a cell is waiting for it."""
    found = _TRACKERS.peek(shell)
    if found is not None:
        found.settle()


def stop_live() -> int:
    found = tracker()
    return found.stop_live() if found is not None else 0
