"""The kernel's end of the JupyterLab / Notebook 7 extension: one Jupyter comm, coalesced messages.

``%load_ext hamilton_nb`` opens a comm (target ``hamilton_nb``) and also accepts one the front end
opens (a page reloaded after the extension was loaded). Nothing is computed or sent until the
front end answers ``hello``: without the extension (nbclient, VS Code, classic Notebook) the
comm stays silent and costs nothing. Once it answers, the link observes the session and sends,
per batch of changes (a cell, a widget action), one ``cells`` message: each ``%%hamilton`` cell's
badge and which cells show a stale result. While nodes run, a ``running`` message goes out only
when the running cell changes, never per node.

Cells are tied to modules by the front end's cell id: the cell that last registered a module owns
it (and its badge).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from . import cell_badges, live, node_lookup, picks
from .per_shell import PerShell, follow_cells, unfollow_cells

logger = logging.getLogger("hamilton_nb")

TARGET = "hamilton_nb"
# The sidebar is about 300 px wide, half an output's narrowest canvas: its copy of the graph may
# zoom out until the whole picture fits (labels get small there; Ctrl/⌘ + wheel zooms in).
PANEL_MIN_ZOOM = 0.2


class FrontendLink:
    """The comms of one IPython kernel shell and what they were last told."""

    def __init__(self, shell, session_getter: Callable[[], Any]) -> None:
        self.shell = shell
        self.session = session_getter
        self.comms: list = []
        self.cells: dict[str, str] = {}  # front-end cell id -> the module it registered
        self.failed: dict[str, str] = {}  # `%%hamilton` cell whose last run failed -> the error's first line
        self.causes = cell_badges.Causes()
        self.sent = 0  # messages sent, for the benchmark and the tests
        self._unsubscribe: Callable[[], None] | None = None
        self._cell_id: str | None = None
        self._hamilton_cell = False
        self._cell_number: int | None = None
        self._scheduled = False
        self._last: dict | None = None
        self._running: str | None = None  # the cell whose nodes run now
        self._ran = False  # a `running` message went out since the last flush
        self._panel = None  # the graph widget the side panel shows
        self._reshaped = False  # the graph changed shape in this batch

    # ---- installation ---------------------------------------------------------------------
    @property
    def kernel(self):
        return getattr(self.shell, "kernel", None)

    def install(self) -> None:
        """Register the comm target and open a comm; outside a kernel, do nothing at all."""
        follow_cells(self)
        picks.followers.append(self.reveal)
        manager = getattr(self.kernel, "comm_manager", None)
        if manager is None:
            return
        try:
            manager.register_target(TARGET, self._opened)
            from comm import create_comm

            self._attach(create_comm(target_name=TARGET, data={"kind": "open"}))
        except Exception:  # an old or unusual kernel: the notebook works without the extension
            logger.debug("hamilton_nb: no comm to the front end", exc_info=True)

    def uninstall(self) -> None:
        unfollow_cells(self)
        for comm in list(self.comms):
            comm.close()
        self.comms.clear()
        self._stop()
        if self.reveal in picks.followers:
            picks.followers.remove(self.reveal)
        manager = getattr(self.kernel, "comm_manager", None)
        if manager is not None:
            manager.unregister_target(TARGET, self._opened)

    def _opened(self, comm, msg) -> None:
        """The front end opened a comm (after a reload); it says ``hello`` next."""
        self._attach(comm)

    def _attach(self, comm) -> None:
        self.comms.append(comm)
        comm.on_msg(self._received)
        comm.on_close(lambda msg, comm=comm: self._closed(comm))

    def _closed(self, comm) -> None:
        if comm in self.comms:
            self.comms.remove(comm)
        if not self.comms:
            self._stop()

    @property
    def live(self) -> bool:
        """A front end answered: the session is observed and changes are sent."""
        return self._unsubscribe is not None

    def _start(self) -> None:
        if self._unsubscribe is None:
            session = self.session()
            self.causes.inputs_now(session.engine.inputs, "")
            self._unsubscribe = session.subscribe(self._on_event)

    def _stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._last = None

    # ---- messages from the front end ----------------------------------------------------------
    def _received(self, msg) -> None:
        data = msg.get("content", {}).get("data", {}) or {}
        try:
            self.handle(data)
        except Exception:
            logger.exception("hamilton_nb: could not answer the front end's %r", data.get("kind"))

    def handle(self, data: dict) -> None:
        """Answer one request of the front end (see the module docstring and ``frontend/src``)."""
        kind = data.get("kind")
        session = self.session()
        if kind == "hello":
            self._start()
            self._last = None
            self.flush()
        elif kind == "reveal":
            self.reveal(str(data.get("node", "")))
        elif kind == "panel":
            self._send({"kind": "panel", "model_id": self.panel().model_id})
        elif kind == "show_cell":
            module = self.cells.get(str(data.get("cell")))
            if module in session.graph.modules:
                from .graph_view import ViewSpec

                panel = self.panel()
                panel.show(ViewSpec(mode="module", module=module, budget=panel.spec.budget))
                panel.fit()
                self._send({"kind": "panel", "model_id": panel.model_id, "module": module})
        elif kind == "focus":
            name = str(data.get("node", ""))
            if name in session.graph.dag:
                panel = self.panel()
                panel.focus(name)
                panel.select(name)
                panel.fit()
                self.reveal(name)
        elif kind == "search":
            text = str(data.get("text", ""))
            self._send({"kind": "found", "text": text, "nodes": node_lookup.search(session, text)})
        elif kind == "status":
            self._send({"kind": "status", "rows": node_lookup.status_rows(session)})

    def panel(self):
        """The side panel's graph widget: one per kernel, kept across panel openings."""
        if self._panel is None:
            from .widget import GraphWidget

            self._panel = GraphWidget(self.session())
            self._panel.cyto.min_zoom = PANEL_MIN_ZOOM
            self._panel.graph_box.layout.min_width = "0"
            self._panel.add_class("hamilton-panel-graph")
            self._panel.fit()  # the sidebar is narrower than an output: the whole picture, zoomed to fit
        return self._panel

    def reveal(self, name: str) -> None:
        """Ask the front end to scroll to (or open the file of) the definition of ``name``."""
        if self.live and name:
            self._send({"kind": "reveal", **node_lookup.location(self.session(), self.cells, name)})

    # ---- following the session ----------------------------------------------------------------
    def pre_run_cell(self, info) -> None:
        self._cell_id = getattr(info, "cell_id", None)
        self._hamilton_cell = (getattr(info, "raw_cell", "") or "").lstrip().startswith("%%hamilton")
        self._cell_number = getattr(self.shell, "execution_count", None)

    def post_run_cell(self, result=None) -> None:
        """After the cell and after the shown outputs were refreshed (their tracker runs first)."""
        if self._hamilton_cell and self._cell_id:
            if getattr(result, "success", True):
                self.failed.pop(self._cell_id, None)
                self._tie(self._cell_id, getattr(getattr(result, "info", None), "raw_cell", "") or "")
            else:
                error = getattr(result, "error_before_exec", None) or getattr(result, "error_in_exec", None)
                self.failed[self._cell_id] = (str(error).strip().splitlines() or [type(error).__name__])[0]
        self._cell_id, self._cell_number, self._hamilton_cell = None, None, False
        if self.live:
            try:
                self.flush()
            except Exception:
                logger.exception("hamilton_nb: could not update the notebook's cell badges")

    def _tie(self, cell_id: str, source: str) -> None:
        """The ``%%hamilton`` cell ``cell_id`` just registered its module: it owns it (and its badge),
        instead of any cell that registered it before."""
        module = cell_module(self.shell, self.session(), cell_id, source.lstrip().split("\n", 1)[0])
        if module is not None:
            for other in [c for c, m in self.cells.items() if m == module]:
                del self.cells[other]
            self.cells[cell_id] = module

    def _where(self) -> str:
        return f"in cell [{self._cell_number}]" if self._cell_number is not None else "outside a cell"

    def _on_event(self, event) -> None:
        session = self.session()
        if event.kind == "node_started":
            node = session.graph.nodes.get(event.nodes[0]) if event.nodes else None
            cell = node_lookup.cell_of_module(self.cells, node.module) if node is not None else None
            if cell != self._running:
                self._running, self._ran = cell, True
                self._send({"kind": "running", "cell": cell})
            return
        if event.kind == "node_finished":
            return
        where = self._where()
        if event.kind in ("graph", "reset"):
            self._reshaped = True
        if event.kind == "graph":
            self.causes.graph_changed(event.nodes, event.module, where)
        elif event.kind == "reset":
            self.causes.reset(where)
        elif event.kind == "states":
            self.causes.inputs_now(session.engine.inputs, where)
            self.causes.states_changed(event.states)
        self._schedule()

    def _schedule(self) -> None:
        """Inside a cell: sent once after it. Outside (a widget button): once the handler returns."""
        if self._cell_number is not None or self._scheduled:
            return
        loop = getattr(self.kernel, "io_loop", None)
        if loop is None:
            self.flush()
            return
        self._scheduled = True
        loop.add_callback(self._scheduled_flush)

    def _scheduled_flush(self) -> None:
        live.settle(self.shell)  # the banners first: the stale marks follow them
        self._scheduled = False
        if self.live:
            self.flush()

    def snapshot(self) -> dict:
        """The ``cells`` message: every tied cell's badge, and the cells showing a stale result."""
        session = self.session()
        modules = session.graph.modules
        tied = {cell: module for cell, module in self.cells.items() if module in modules}
        tracker = live.tracker(self.shell)
        stale = [] if tracker is None else list(dict.fromkeys(
            s.cell_id for s in tracker.shown.values() if s.cell_id and (s.reasons or s.error)))
        cells = cell_badges.summarize(modules, tied, session.known_states, self.causes)
        for cell_id, error in self.failed.items():
            cells[cell_id] = cell_badges.failed_cell(tied.get(cell_id), error, cells.get(cell_id))
        return {"kind": "cells", "cells": cells, "stale_outputs": stale}

    def flush(self) -> None:
        """Send the snapshot if it differs from the last one sent (or nodes ran since): one message
        per batch at most."""
        self.causes.end_batch()
        ran, self._running, self._ran = self._ran, None, False
        if self._reshaped and self._panel is not None:
            self._panel.fit()  # a redrawn picture starts at zoom 1; the sidebar shows all of it
        self._reshaped = False
        message = self.snapshot()
        if message != self._last or ran:  # after `running`, the badges say it is over
            self._last = message
            self._send(message)

    def _send(self, data: dict) -> None:
        for comm in list(self.comms):
            try:
                comm.send(data)
            except Exception:
                logger.debug("hamilton_nb: a comm to the front end failed", exc_info=True)
                self._closed(comm)
        self.sent += 1


def cell_module(shell, session, cell_id: str, magic_line: str) -> str | None:
    """The module a ``%%hamilton`` cell registered: the one its magic line names, else the one the
    session keeps for its cell id."""
    line = magic_line.removeprefix("%%hamilton")
    magics = shell.magics_manager.registry.get("HamiltonMagics")
    try:
        from IPython.core.magic_arguments import parse_argstring

        module = parse_argstring(magics.hamilton, line).module if magics is not None else None
    except Exception:  # the cell failed on its arguments already
        return None
    module = module or getattr(session, "_cell_modules", {}).get(cell_id)
    return module if module in session.graph.modules else None


# ---- one link per shell ---------------------------------------------------------------------
_LINKS: PerShell[FrontendLink] = PerShell(FrontendLink)


def install(shell) -> FrontendLink:
    """The link of ``shell``, installed on first use (``%load_ext hamilton_nb``)."""
    return _LINKS.get(shell)


def remove(shell) -> None:
    _LINKS.remove(shell)
