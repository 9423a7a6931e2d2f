"""Importing an existing module into the session (issue 9)."""
from __future__ import annotations

import sys
import textwrap

import pandas as pd
import pytest

import hamilton_nb
from hamilton_nb.errors import GraphError, InputError
from hamilton_nb.session import Session
from ipython_shell import ip  # noqa: F401  (a fixture)

SOURCE = '''
"""Features in a file."""
import pandas as pd

from modules import calls

FACTOR = 2


def _scale(x):
    return x * FACTOR


def doubled(spend: pd.Series) -> pd.Series:
    calls.hit()
    return _scale(spend)


def plus_one(spend: pd.Series) -> pd.Series:
    calls.hit()
    return spend + 1


def both(doubled: pd.Series, plus_one: pd.Series) -> pd.Series:
    calls.hit()
    return doubled + plus_one
'''
SPEND = pd.Series([1.0, 2.0, 3.0])


@pytest.fixture
def features_file(tmp_path, monkeypatch):
    path = tmp_path / "file_features.py"
    path.write_text(textwrap.dedent(SOURCE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield path
    sys.modules.pop("file_features", None)


def run(session):
    return session.execute(["doubled", "plus_one", "both"])


def test_import_by_path_registers_the_module(features_file, calls):
    session = Session()
    registration = session.import_module(str(features_file))
    assert registration.module == "file_features"
    assert sorted(session.graph.modules["file_features"]) == ["both", "doubled", "plus_one"]
    session.set_inputs(spend=SPEND)
    assert run(session)["both"].tolist() == [4.0, 7.0, 10.0]
    assert session.show("doubled").fields()["source"].startswith("def doubled(")


def test_import_by_name_by_object_and_as_name(features_file):
    session = Session()
    assert session.import_module("file_features").module == "file_features"
    module = sys.modules["file_features"]
    with pytest.raises(GraphError, match="already defined"):  # a second copy clashes by name …
        session.import_module(module, as_name="again")
    assert set(session.graph.modules) == {"file_features"}  # … so nothing changed
    session.drop("file_features")
    assert session.import_module(module, as_name="renamed").module == "renamed"
    assert set(session.graph.modules) == {"renamed"}


def test_reimporting_an_edited_file_updates_only_what_changed(features_file, calls):
    session = Session()
    session.import_module(features_file)
    session.set_inputs(spend=SPEND)
    run(session)
    assert sorted(calls) == ["both", "doubled", "plus_one"]
    calls.clear()
    # Same size, same second: bytecode caches keyed on mtime+size would miss this edit.
    features_file.write_text(textwrap.dedent(SOURCE).replace("spend + 1", "spend + 2"))
    registration = session.import_module(features_file)
    assert registration.change.changed == ["plus_one"]
    assert sorted(registration.stale) == ["both", "plus_one"]
    assert run(session)["plus_one"].tolist() == [3.0, 4.0, 5.0]
    assert sorted(calls) == ["both", "plus_one"]
    calls.clear()
    features_file.write_text(textwrap.dedent(SOURCE).replace("FACTOR = 2", "FACTOR = 3")
                             .replace("spend + 1", "spend + 2"))
    registration = session.import_module(features_file)  # a constant a helper reads
    assert sorted(registration.stale) == ["both", "doubled"]
    assert run(session)["doubled"].tolist() == [3.0, 6.0, 9.0] and sorted(calls) == ["both", "doubled"]
    calls.clear()
    session.import_module(features_file)  # unchanged: nothing stale, nothing recomputed
    run(session)
    assert calls == []


def test_removed_functions_leave_the_graph(features_file):
    session = Session()
    session.import_module(features_file)
    features_file.write_text(textwrap.dedent(SOURCE).split("def both")[0])
    registration = session.import_module(features_file)
    assert registration.change.removed == ["both"] and "both" not in session.graph.nodes


def test_broken_files_change_nothing(features_file, tmp_path):
    session = Session()
    session.import_module(features_file)
    before = dict(session.graph.modules)
    features_file.write_text("def broken(:\n")
    with pytest.raises(InputError, match="Syntax error") as caught:
        session.import_module(features_file)
    assert str(features_file) in str(caught.value)
    assert session.graph.modules == before
    with pytest.raises(InputError, match="no Python file"):
        session.import_module(tmp_path / "missing.py")
    with pytest.raises(InputError, match="Cannot import `no_such_module_here`"):
        session.import_module("no_such_module_here")


def test_import_magic(ip, features_file):
    out = ip.ok(f"%hamilton_import {features_file} --as feats").out
    assert "feats: 3 functions; added: doubled, plus_one, both" in out
    ip.ok("spend_series = pd.Series([1.0, 2.0])")
    ip.ok("%hamilton_inputs spend=spend_series")
    assert ip.ok("%hamilton_execute both").value["both"].tolist() == [4.0, 7.0]
    failed = ip.fails("%hamilton_import no_such_module_here", InputError)
    assert "Cannot import" in failed.out
    help_text = ip.ok("%hamilton_import?").out
    assert "--as" in help_text and "stale" in help_text
