"""Progress of an execute: an ipywidgets bar in a notebook, a text line in a terminal.

A :class:`Progress` is an engine :class:`~hamilton_nb.execution.Listener`; the magics (and
``Driver.execute`` inside IPython) attach one around an execute with :func:`attached`. It stays
silent for small runs: it appears when more than ``min_nodes`` nodes are to be computed, when
their last compute times add up to more than ``min_seconds``, or once a run has taken that long.
Events arrive on the calling thread with every executor, so widgets are only touched there.
When the execute has returned, the final line shows its total time, the same number ``-v`` reports,
and in a notebook it replaces the bar, so a saved notebook shows that line rather than a widget.
"""
from __future__ import annotations

import contextlib
import sys
import time
from typing import Any, Iterator, TextIO

from ..execution import Listener
from ..execution.report import format_seconds

MIN_NODES = 20
MIN_SECONDS = 1.0
_INTERVAL = 0.1  # seconds between redraws

last: "Progress | None" = None  # the most recent progress shown (for inspection and tests)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where widgets render), False in a terminal IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Progress(Listener):
    """Counts finished nodes of one execute and draws them as a bar or a line."""

    def __init__(self, engine: Any = None, mode: str | None = None, min_nodes: int = MIN_NODES,
                 min_seconds: float = MIN_SECONDS, stream: TextIO | None = None) -> None:
        self.engine = engine
        self.mode = mode  # "widget" | "text"; decided when shown if None
        self.min_nodes, self.min_seconds = min_nodes, min_seconds
        self.stream = stream
        self.total = self.done = self.failed = 0
        self.started = 0.0
        self.shown = False
        self.bar = self.label = self.box = None  # the widgets, once shown
        self.handle = None  # the display the bar is in: the final line replaces it
        self._drawn = 0.0
        self._active = False
        self._ended: tuple[bool, float] | None = None  # (ok, seconds) of the last execute, once ended

    # ---- Listener --------------------------------------------------------------------------
    def execution_started(self, to_compute: list[str]) -> None:
        self.total, self.done, self.failed = len(to_compute), 0, 0
        self.started = self._drawn = time.perf_counter()
        self._ended = None
        self._active = bool(to_compute)
        if self._active and (self.total > self.min_nodes or self._estimate(to_compute) > self.min_seconds):
            self._show()

    def node_finished(self, name: str, ok: bool) -> None:
        if not self._active:
            return
        self.done += 1
        self.failed += not ok
        now = time.perf_counter()
        if not self.shown and now - self.started > self.min_seconds and self.done < self.total:
            self._show()
        if self.shown and now - self._drawn >= _INTERVAL:
            self._drawn = now
            self._draw()

    def execution_finished(self, ok: bool) -> None:
        if not self._active:
            return
        self._active = False
        self._ended = (ok, time.perf_counter() - self.started)
        if self.shown:
            self._draw(final=True, ok=ok, line_done=False)

    def settle(self, seconds: float | None) -> None:
        """The execute returned: show its total time (``seconds``, as its report says; None: our own
        measure) and end the line."""
        if self._ended is None or not self.shown:
            return
        ok, measured = self._ended
        self._ended = (ok, measured if seconds is None else seconds)
        self._draw(final=True, ok=ok)
        if self.handle is not None:  # a saved notebook keeps the final line, not a bar's raw form
            self.handle.update({"text/plain": self.text(final=True, ok=ok)}, raw=True)
            self.box.close()
            self.handle = None
        self._ended = None

    # ---- drawing -------------------------------------------------------------------------------
    def _estimate(self, names: list[str]) -> float:
        """Seconds these nodes took last time (0 for never computed)."""
        cache = getattr(self.engine, "cache", None)
        if cache is None:
            return 0.0
        return sum(entry.seconds for name in names if (entry := cache.get(name)) is not None)

    def text(self, final: bool = False, ok: bool = True) -> str:
        seconds = time.perf_counter() - self.started
        failed = f", {self.failed} failed" if self.failed else ""
        if final:
            word = "done" if ok else "stopped"
            total = self._ended[1] if self._ended is not None else seconds
            return f"hamilton_nb: {word}, {self.done}/{self.total} nodes{failed} in {format_seconds(total)}"
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        return (f"hamilton_nb: [{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done}/{self.total} nodes{failed}  {seconds:.1f} s")

    def _show(self) -> None:
        global last
        self.shown = True
        last = self
        if self.mode is None:
            self.mode = "widget" if in_notebook() else "text"
        if self.mode == "widget":
            import ipywidgets as widgets
            from IPython.display import display

            self.bar = widgets.IntProgress(value=self.done, min=0, max=max(self.total, 1),
                                           description="hamilton_nb", bar_style="info",
                                           style={"description_width": "initial"})  # never "hamilton_…"
            self.label = widgets.Label(value=self.text())
            self.box = widgets.HBox([self.bar, self.label])
            self.handle = display(self.box, display_id=True)
        self._draw()

    def _draw(self, final: bool = False, ok: bool = True, line_done: bool = True) -> None:
        text = self.text(final, ok)
        if self.mode == "widget":
            self.bar.value = min(self.done, self.bar.max)
            self.label.value = text
            if final:
                self.bar.bar_style = "success" if ok and not self.failed else "danger"
        else:
            stream = self.stream or sys.stderr
            stream.write("\r" + text + ("\n" if final and line_done else ""))
            stream.flush()


@contextlib.contextmanager
def attached(engine: Any, **options: Any) -> Iterator[Progress]:
    """Show progress for the executes run inside the ``with`` block."""
    listener = Progress(engine, **options)
    listeners = engine.listeners
    listeners.append(listener)
    before = engine.last_report
    try:
        yield listener
    finally:
        if listener in listeners:
            listeners.remove(listener)
        report = engine.last_report  # a new report: the execute finished, with its total time
        listener.settle(report.seconds if report is not before and report is not None and report.seconds
                        else None)
