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


# ---- modules inside a package --------------------------------------------------------------------------
PACKAGE = {
    "__init__.py": "",
    "helpers.py": "def scale(x):\n    return x * 2\n",
    "features.py": '''
        import pandas as pd

        from .helpers import scale


        def out(spend: pd.Series) -> pd.Series:
            return scale(spend)
    ''',
}


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package ``proj`` in a fresh directory (the notebook's directory), not yet on sys.path."""
    folder = tmp_path / "proj"
    folder.mkdir()
    for name, text in PACKAGE.items():
        (folder / name).write_text(textwrap.dedent(text))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    yield folder
    for name in [n for n in sys.modules if n == "proj" or n.startswith("proj.")]:
        del sys.modules[name]


def out_values(ip) -> list:
    return ip.ok("%hamilton_execute out").value["out"].tolist()


def test_a_module_of_a_package_imports_by_path_with_its_relative_imports(ip, package):
    printed = ip.ok("%hamilton_import proj/features.py").out
    assert "proj.features: 1 function; added: out" in printed
    assert sys.modules["proj.features"].__package__ == "proj"
    ip.ok("%hamilton_inputs spend=pd.Series([1.0, 2.0])")
    assert out_values(ip) == [2.0, 4.0]
    # the package root went on sys.path, so the name works as well, and gives the same module name
    assert "proj.features: 1 function" in ip.ok("%hamilton_import proj.features").out
    assert set(hamilton_nb.get_session().graph.modules) == {"proj.features"}


def test_reimporting_by_name_rereads_an_edited_sibling_module(ip, package):
    sys.path.insert(0, str(package.parent))
    ip.ok("%hamilton_import proj.features")
    ip.ok("%hamilton_inputs spend=pd.Series([1.0, 2.0])")
    assert out_values(ip) == [2.0, 4.0]
    helpers = sys.modules["proj.helpers"]
    (package / "helpers.py").write_text("def scale(x):\n    return x * 3\n")  # same size, same second
    assert "now stale: out" in ip.ok("%hamilton_import proj.features").out
    assert out_values(ip) == [3.0, 6.0]  # what a fresh kernel gives
    assert sys.modules["proj.helpers"] is helpers and helpers.scale(1) == 3  # re-read in place
    # unchanged files are not run again, and nothing goes stale
    assert "now stale" not in ip.ok("%hamilton_import proj.features").out


def test_siblings_rerun_in_dependency_order(ip, package):
    """`features` → `middle` → `helpers`: an edit to `helpers` reaches `features` through `middle`."""
    (package / "middle.py").write_text("from .helpers import scale\n\n\ndef twice(x):\n    return scale(scale(x))\n")
    (package / "features.py").write_text(textwrap.dedent('''
        import pandas as pd

        from . import middle


        def out(spend: pd.Series) -> pd.Series:
            return middle.twice(spend)
    '''))
    ip.ok("%hamilton_import proj/features.py")
    ip.ok("%hamilton_inputs spend=pd.Series([1.0])")
    assert out_values(ip) == [4.0]
    (package / "helpers.py").write_text("def scale(x):\n    return x + 10\n")
    ip.ok("%hamilton_import proj/features.py")
    assert out_values(ip) == [21.0]


def test_a_sibling_imported_before_in_the_notebook_is_read_again(ip, package):
    sys.path.insert(0, str(package.parent))
    ip.ok("import proj.helpers")  # imported by Python, before the session saw it
    (package / "helpers.py").write_text("def scale(x):\n    return x * 5\n")
    ip.ok("%hamilton_import proj.features")
    ip.ok("%hamilton_inputs spend=pd.Series([1.0])")
    assert out_values(ip) == [5.0]
    assert ip.ok("proj.helpers.scale(1)").value == 5  # the notebook's reference sees the new code too


def test_a_broken_sibling_is_a_clear_error_and_changes_nothing(ip, package):
    ip.ok("%hamilton_import proj/features.py")
    ip.ok("%hamilton_inputs spend=pd.Series([1.0])")
    assert out_values(ip) == [2.0]
    session = hamilton_nb.get_session()
    modules = dict(session.graph.modules)
    helpers = package / "helpers.py"
    helpers.write_text("def scale(x):\n    return x *\n")
    failed = ip.fails("%hamilton_import proj/features.py", InputError)
    assert f"Syntax error in {helpers.resolve()}, line 2" in failed.out and "session is unchanged" in failed.out
    helpers.write_text("def scale(x):\n    return x / 0\nLIMIT = 1 / 0\n")
    failed = ip.fails("%hamilton_import proj/features.py", InputError)
    assert f"Importing `proj.helpers` raised ZeroDivisionError in {helpers.resolve()}" in failed.out
    assert "LIMIT = 1 / 0" in failed.out and "imports.py" not in failed.out  # the user's frame only
    assert sys.modules["proj.helpers"].scale(1) == 2  # the old module is back, whole
    helpers.unlink()
    failed = ip.fails("%hamilton_import proj/features.py", InputError)
    assert "`proj.helpers`" in failed.out and "cannot be read again" in failed.out
    assert session.graph.modules == modules and out_values(ip) == [2.0]
    assert "Unknown output" not in failed.out


def test_import_failures_name_the_module_and_leave_the_session_as_it_was(ip, package):
    ip.ok("%hamilton_import proj/features.py")
    session = hamilton_nb.get_session()
    modules = dict(session.graph.modules)
    features = package / "features.py"
    features.write_text(textwrap.dedent(PACKAGE["features.py"]).replace(".helpers", ".nothere"))
    failed = ip.fails("%hamilton_import proj/features.py", InputError)
    assert f"Importing `proj.features` raised ModuleNotFoundError in {features.resolve()}: " \
           "No module named 'proj.nothere'" in failed.out
    assert f"Fix: correct the import in {features.resolve()} (or create `proj.nothere`)" in failed.out
    assert "Traceback" in failed.out and "from .nothere import scale" in failed.out
    assert session.graph.modules == modules and "proj.nothere" not in sys.modules
    (package / "__init__.py").write_text("raise RuntimeError('setup failed')\n")
    for name in [n for n in sys.modules if n == "proj" or n.startswith("proj.")]:
        del sys.modules[name]
    failed = ip.fails("%hamilton_import proj.features", InputError)
    first = failed.out.splitlines()[0]
    assert "Importing `proj.features` raised RuntimeError in" in first and first.endswith("proj/__init__.py: setup failed")
    assert session.graph.modules == modules


def test_a_package_of_the_same_name_imported_from_elsewhere_is_refused(ip, package, tmp_path):
    other = tmp_path / "elsewhere" / "proj"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("")
    (other / "features.py").write_text(textwrap.dedent(PACKAGE["features.py"]))
    ip.ok("%hamilton_import proj/features.py")
    failed = ip.fails(f"%hamilton_import {other / 'features.py'}", InputError)
    assert "a different package `proj` is already imported" in failed.out
    assert set(hamilton_nb.get_session().graph.modules) == {"proj.features"}


def test_a_decorator_without_functools_wraps_is_named_with_the_fix(ip, tmp_path, monkeypatch):
    (tmp_path / "wrapped_feats.py").write_text(textwrap.dedent('''
        import pandas as pd


        def _logged(func):
            def inner(*args, **kwargs):
                return func(*args, **kwargs)
            return inner


        @_logged
        def doubled(spend: pd.Series) -> pd.Series:
            return spend * 2
    '''))
    (tmp_path / "star_feats.py").write_text("def total(*parts: float) -> float:\n    return sum(parts)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        failed = ip.fails("%hamilton_import wrapped_feats", GraphError)
        assert "Function `doubled` in module `wrapped_feats` is wrapped by `_logged`" in failed.out
        assert "`@functools.wraps(func)` on the line above `def inner(...)`" in failed.out
        failed = ip.fails("%hamilton_import star_feats", GraphError)  # a genuine *args node: as before
        assert "Function `total` in module `star_feats` takes *args/**kwargs" in failed.out
        assert "functools" not in failed.out
        assert hamilton_nb.get_session().graph.modules == {}
    finally:
        sys.modules.pop("wrapped_feats", None)
        sys.modules.pop("star_feats", None)
