"""What a notebook front end does for the layers below it, which never import it.

Sessions and drivers return plain values; where a notebook shows them, the front end also
tracks shown results (``--live``), draws progress and shows graphs. The package root wires the
notebook layer in with :func:`use`; :func:`current` answers None outside IPython (a script, a
test), and callers then simply do without. Graphs are drawn everywhere (as text outside IPython).
"""
from __future__ import annotations

import contextlib
import sys
from typing import Any, Callable, ContextManager, Protocol, Sequence


class Frontend(Protocol):
    def offer(self, value: Any, outputs: Sequence[str], *, inputs: Any, overrides: Any, result: str,
              live: bool) -> None:
        """Track ``value`` if the running cell displays it (and recompute it after edits when ``live``)."""

    def stop_live(self) -> int:
        """Stop every live output; returns how many."""

    def progress(self, engine: Any) -> ContextManager:
        """Show the progress of executes on ``engine`` while the context is open."""

    def show_graph(self, session: Any, nodes: Sequence[str] | None) -> Any:
        """Draw (the part of the graph ``nodes`` need of) ``session``'s graph, and return the picture."""


_locate: Callable[[], Frontend | None] = lambda: None  # noqa: E731 (replaced by the package root)


def use(locate: Callable[[], Frontend | None]) -> None:
    """``locate()`` finds the front end of the running notebook kernel, or None."""
    global _locate
    _locate = locate


def current() -> Frontend | None:
    """The front end of the running IPython shell, or None (without importing IPython)."""
    ipython = sys.modules.get("IPython")
    if ipython is None or ipython.get_ipython() is None:
        return None
    return _locate()


def show_graph(session: Any, nodes: Sequence[str] | None) -> Any:
    """Draw ``session``'s graph: the widget in a notebook, a text picture elsewhere."""
    frontend = _locate()
    if frontend is None:
        raise RuntimeError("no front end can draw graphs: import hamilton_nb (its root wires one in)")
    return frontend.show_graph(session, nodes)


def progress(engine: Any) -> ContextManager:
    """The front end's progress display for ``engine`` inside IPython, or nothing."""
    frontend = current()
    return frontend.progress(engine) if frontend is not None else contextlib.nullcontext()
