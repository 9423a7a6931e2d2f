"""Shared fixtures: importable example modules written on the fly, and call counters."""
from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
if str(TESTS) not in sys.path:  # `modules` (tests/modules) must import from the tmp modules too
    sys.path.insert(0, str(TESTS))

from modules import calls as _calls  # noqa: E402


@pytest.fixture
def make_module(tmp_path, monkeypatch):
    """``make_module("name", source)`` → an imported module written to ``tmp_path/name.py``.

    The module is in ``sys.modules`` for the test (so other modules can import from it).
    """
    def make(name: str, source: str):
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)
        spec.loader.exec_module(module)
        return module

    return make


@pytest.fixture
def calls():
    """The log of function calls recorded by ``calls.hit()``, emptied for each test."""
    _calls.log.clear()
    yield _calls.log
    _calls.log.clear()
