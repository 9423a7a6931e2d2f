"""Exporting a session to one importable module (issue 9)."""
from __future__ import annotations

import importlib.util
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import hamilton_nb
from hamilton_nb import driver
from hamilton_nb.errors import InputError
from hamilton_nb.session import Session
from ipython_shell import ip  # noqa: F401  (a fixture)

SETUP = '''
import math
import numpy as np
import pandas as pd
from math import sqrt
from hamilton_nb.function_modifiers import config, extract_columns, parameterize, value
WEIGHT = 0.5
WINDOWS = (2, 3)
'''
# Defined out of dependency order on purpose: the export must sort them.
CELLS = {
    "report": '''
def score(weighted: pd.Series, roll_2: pd.Series, low: pd.Series) -> pd.Series:
    """The final score."""
    return weighted + roll_2.fillna(0) + low
''',
    "features": '''
def _scale(x):
    return x * WEIGHT * _offset()

def _offset():
    return sqrt(4) / 2 + math.floor(0.5)

def weighted(spend: pd.Series) -> pd.Series:
    return _scale(spend)

@parameterize(roll_2={"window": value(WINDOWS[0])}, roll_3={"window": value(WINDOWS[1])})
def rolling(spend: pd.Series, window: int) -> pd.Series:
    """Rolling mean over {window} weeks."""
    return spend.rolling(window).mean()

@extract_columns("low", "high")
def bands(spend: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"low": np.floor(spend), "high": np.ceil(spend)})

@config.when(region="US")
def tax__us(spend: pd.Series) -> pd.Series:
    return spend * 0.07

@config.when(region="EU")
def tax__eu(spend: pd.Series) -> pd.Series:
    return spend * 0.2
''',
}
CONFIG = {"region": "US"}
SPEND = pd.Series([1.5, 2.5, 3.5, 4.5], name="spend")


def build_session():
    session, ns = Session(), {}
    exec(SETUP, ns)
    session.set_config(CONFIG)
    for module, source in CELLS.items():
        session.register_cell(source, module, ns)
    session.set_inputs(spend=SPEND)
    return session, ns


@pytest.fixture(autouse=True)
def _forget_imported():
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:  # the exported modules this test imported
        if name.startswith(("exported_", "plain_", "nb_export", "out", "f")) and "." not in name:
            del sys.modules[name]


def import_file(path, name=None):
    """Import the exported file as a user would (it stays in sys.modules for this test)."""
    name = name or path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_round_trip_through_the_driver_gives_the_session_results(tmp_path):
    session, _ = build_session()
    nodes = [n for n in session.graph.topological_order() if n in session.graph.nodes]
    expected = session.execute(nodes)
    result = session.export(tmp_path / "exported_features.py")
    assert result.path.exists() and set(result.functions) == {"score", "weighted", "rolling", "bands",
                                                                "tax__us", "tax__eu"}
    module = import_file(result.path)
    got = driver.Driver({**CONFIG, "spend": SPEND}, module).execute(nodes)
    pd.testing.assert_frame_equal(got, expected)
    eu = driver.Driver({"region": "EU", "spend": SPEND}, module).execute(["tax"])  # inactive branch kept
    assert eu["tax"].tolist() == (SPEND * 0.2).tolist()


def test_the_module_has_header_imports_constants_helpers_and_dependency_order(tmp_path):
    session, _ = build_session()
    text = session.export(tmp_path / "out.py").path.read_text()
    assert text.startswith('"""Functions exported from a hamilton_nb session (modules: report, features).')
    assert "External inputs: spend." in text
    for line in ("import math", "import numpy as np", "import pandas as pd", "from math import sqrt",
                 "from hamilton_nb.function_modifiers import config", "WEIGHT = 0.5", "WINDOWS = (2, 3)"):
        assert f"\n{line}\n" in text, line
    assert "import hamilton_nb.function_modifiers" not in text and "expanders" not in text
    position = {name: text.index(f"def {name}(") for name in ("_scale", "_offset", "weighted", "rolling",
                                                              "bands", "score")}
    assert position["_scale"] < position["weighted"] and position["_offset"] < position["weighted"]
    assert position["weighted"] < position["score"] and position["rolling"] < position["score"]
    assert position["bands"] < position["score"]
    assert '@parameterize(roll_2={"window": value(WINDOWS[0])}' in text  # decorators kept verbatim
    assert '"""The final score."""' in text
    assert "\n\n\ndef score(" in text  # two blank lines between definitions
    compile(text, "out.py", "exec")


def test_plain_functions_give_the_same_frame_in_apache_hamilton(tmp_path):
    hdriver = pytest.importorskip("hamilton.driver")
    session, ns = Session(), {}
    exec("import numpy as np\nimport pandas as pd\nFACTOR = 3\n", ns)
    session.register_cell('''
def _clip(x):
    return x.clip(lower=0)

def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    """Cost per signup."""
    return spend / signups

def avg_3wk_spend(spend: pd.Series) -> pd.Series:
    return spend.rolling(3).mean()

def scaled(spend_per_signup: pd.Series) -> pd.Series:
    return _clip(np.log1p(spend_per_signup) * FACTOR)
''', "features", ns)
    inputs = {"spend": pd.Series([10.0, 10, 20, 40, 40, 50]), "signups": pd.Series([1.0, 10, 50, 100, 200, 400])}
    session.set_inputs(inputs)
    cols = ["spend_per_signup", "avg_3wk_spend", "scaled"]
    expected = session.execute(cols)
    module = import_file(session.export(tmp_path / "plain_features.py").path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = hdriver.Driver(inputs, module).execute(cols)
    pd.testing.assert_frame_equal(got[cols], expected)
    pd.testing.assert_frame_equal(driver.Driver(inputs, module).execute(cols), expected)


def test_existing_files_are_not_overwritten_without_force(tmp_path):
    session, _ = build_session()
    target = tmp_path / "features.py"
    target.write_text("# mine\n")
    with pytest.raises(InputError) as caught:
        session.export(target)
    assert str(target) in str(caught.value) and "--force" in str(caught.value)
    assert target.read_text() == "# mine\n"
    session.export(target, force=True)
    assert "def weighted(" in target.read_text()


def test_chosen_modules_only(tmp_path):
    session, _ = build_session()
    result = session.export(tmp_path / "f.py", modules=["features"])
    text = result.path.read_text()
    assert "def weighted(" in text and "def score(" not in text
    with pytest.raises(InputError, match="no such module"):
        session.export(tmp_path / "g.py", modules=["nope"])


def test_data_globals_that_cannot_be_written_as_code_are_flagged(tmp_path):
    session, ns = Session(), {"pd": pd, "LOOKUP": pd.Series([1.0, 2.0])}
    session.register_cell("def looked_up(spend: pd.Series) -> pd.Series:\n    return spend * LOOKUP\n", "m", ns)
    with pytest.warns(UserWarning, match="LOOKUP"):
        result = session.export(tmp_path / "f.py")
    assert any("LOOKUP" in note for note in result.unresolved)
    assert "To check before use" in result.path.read_text() and "LOOKUP" in str(result)


def test_conflicting_names_across_modules_are_refused(tmp_path):
    session = Session()
    a, b = {"pd": pd, "K": 1}, {"pd": pd, "K": 2}
    session.register_cell("def x(spend: pd.Series) -> pd.Series:\n    return spend * K\n", "a", a)
    session.register_cell("def y(spend: pd.Series) -> pd.Series:\n    return spend * K\n", "b", b)
    with pytest.raises(InputError, match="`K` means two different things"):
        session.export(tmp_path / "f.py")
    assert not (tmp_path / "f.py").exists()


def test_export_magic(ip, tmp_path):
    ip.ok("import numpy as np\nOFFSET = 1.0")
    ip.ok('%%hamilton features\ndef plus(spend: pd.Series) -> pd.Series:\n    """Plus one."""\n'
          "    return np.abs(spend) + OFFSET\n")
    ip.ok("%%hamilton other\ndef minus(spend: pd.Series) -> pd.Series:\n    return spend - 1\n")
    target = tmp_path / "nb_export.py"
    out = ip.ok(f"%hamilton_export {target}").out
    assert "Exported 2 functions" in out and str(target) in out
    failed = ip.fails(f"%hamilton_export {target}", InputError)
    assert "already exists" in failed.out and "--force" in failed.out
    ip.ok(f"%hamilton_export {target} --module features --force")
    module = import_file(target, "nb_export")
    assert not hasattr(module, "minus")
    spend = pd.Series([-1.0, 2.0])
    assert module.plus(spend).tolist() == [2.0, 3.0] and "OFFSET = 1.0" in target.read_text()
    help_text = ip.ok("%hamilton_export?").out
    assert "--module" in help_text and "--force" in help_text and "dependency order" in help_text
