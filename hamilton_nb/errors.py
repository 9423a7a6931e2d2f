"""Errors users see: each names what went wrong, where, and how to fix it.

They render without framework frames in IPython (``_render_traceback_``), so a
notebook shows the message and, for a failing node, the user's own frames only.
"""
from __future__ import annotations

from typing import Callable

# How file names in a user's traceback read where it is shown. The notebook layer installs
# IPython's ``Cell In[23], line 11`` for code typed into cells; elsewhere paths stay as they are.
traceback_labels: Callable[[str], str] | None = None


def _labelled(text: str) -> str:
    return traceback_labels(text) if traceback_labels is not None else text


class HamiltonError(Exception):
    """Base class; the message is the whole story."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {line}" if i == 0 else line
                for i, line in enumerate(str(self).splitlines())]


class GraphError(HamiltonError):
    """The functions do not form a valid graph (nothing was changed)."""


class InputError(HamiltonError):
    """Inputs, overrides, config or requested outputs are missing or wrong."""


class NodeExecutionError(HamiltonError):
    """A node raised; carries the node name and the user's traceback text."""

    def __init__(self, message: str, node: str, user_traceback: str = ""):
        super().__init__(message + (f"\n\n{user_traceback.rstrip()}" if user_traceback else ""))
        self.node = node
        self.user_traceback = user_traceback

    def __str__(self) -> str:
        return _labelled(super().__str__())


class ResultError(HamiltonError):
    """Computed values cannot be combined into the requested result."""


class MissingDependency(HamiltonError, ImportError):
    """An optional feature (Dask, polars) was asked for, but its extra is not installed."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C inside a node: still a KeyboardInterrupt, shown as the node and the user's frames."""

    def __init__(self, message: str, user_traceback: str = ""):
        super().__init__(message)
        self.user_traceback = user_traceback

    def _render_traceback_(self) -> list[str]:
        return f"KeyboardInterrupt: {self.args[0]}\n\n{_labelled(self.user_traceback).rstrip()}".splitlines()
