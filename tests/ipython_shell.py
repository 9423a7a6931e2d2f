"""A real IPython shell with hamilton_nb loaded, for tests that type magics as a user would.

Import the ``ip`` fixture into a test module (``from ipython_shell import ip``). Each test
gets an empty notebook namespace and a fresh session; cells run through
``shell.run_cell`` exactly as typed, with their printed output captured.

Node bodies count their calls with ``calls.hit()``: ``calls`` is a module object in the
notebook namespace, so reading it never makes a node stale (a plain dict would: nodes
are versioned by the mutable globals they read).
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import io
import sys
import textwrap
import types

import pytest
from IPython.core.interactiveshell import InteractiveShell

import hamilton_nb

MAGICS = {  # name → kind; the magics of the public contract
    "hamilton": "cell", "hamilton_execute": "line", "hamilton_inputs": "line",
    "hamilton_config": "line", "hamilton_status": "line", "hamilton_show": "line",
    "hamilton_drop": "line", "hamilton_reset": "line", "hamilton_graph": "line", "hamilton_diff": "line",
    "hamilton_verify": "line",
}


def _new_calls() -> types.ModuleType:
    calls = types.ModuleType("calls", "Call counts of node functions, by function name.")
    calls.counts = collections.Counter()
    calls.hit = lambda: calls.counts.update([sys._getframe(1).f_code.co_name])
    return calls


@dataclasses.dataclass
class Ran:
    """One executed cell: IPython's result and everything it printed (errors included)."""

    result: object
    out: str

    @property
    def value(self):
        return self.result.result

    @property
    def error(self):
        return self.result.error_in_exec or self.result.error_before_exec


class Notebook:
    """Types cells into the shell; keeps per-node call counts."""

    def __init__(self, shell: InteractiveShell):
        self.shell = shell
        self.ns = shell.user_ns

    @property
    def calls(self) -> collections.Counter:
        return self.ns["calls"].counts

    def run(self, source: str, cell_id: str | None = None) -> Ran:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            result = self.shell.run_cell(textwrap.dedent(source).strip("\n") + "\n", cell_id=cell_id)
        return Ran(result, buffer.getvalue())

    def ok(self, source: str, cell_id: str | None = None) -> Ran:
        """Run a cell that must succeed."""
        ran = self.run(source, cell_id)
        assert ran.error is None, f"cell failed: {ran.error!r}\n{ran.out}"
        return ran

    def fails(self, source: str, error: type[BaseException], cell_id: str | None = None) -> Ran:
        """Run a cell that must fail with ``error``; its printed message is ``ran.out``."""
        ran = self.run(source, cell_id)
        assert isinstance(ran.error, error), f"expected {error.__name__}, got {ran.error!r}\n{ran.out}"
        return ran

    def counted(self, source: str, cell_id: str | None = None) -> collections.Counter:
        """Run a cell; return how often each node function was called while it ran."""
        before = collections.Counter(self.calls)
        self.ok(source, cell_id)
        return self.calls - before

    def states(self) -> dict[str, str]:
        table = self.ok("%hamilton_status").value
        return dict(zip(table["node"], table["state"]))


@functools.cache
def _shell() -> InteractiveShell:
    shell = InteractiveShell.instance()
    shell.colors = "nocolor"
    shell.run_cell("%load_ext hamilton_nb")
    return shell


@pytest.fixture
def ip() -> Notebook:
    """A notebook with hamilton_nb loaded, an empty namespace and an empty session."""
    shell = _shell()
    for name in [n for n in shell.user_ns if n not in shell.user_ns_hidden]:
        del shell.user_ns[name]  # what `%reset -f` does, without its slow full clean-up
    hamilton_nb.get_session().reset()
    notebook = Notebook(shell)
    notebook.ns.update(calls=_new_calls())
    notebook.ok("import pandas as pd")
    yield notebook
    hamilton_nb.get_session().reset()
