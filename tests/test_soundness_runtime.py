"""Never a stale number, part 2: code reached through a library's extension points, process
state, dynamic look-ups, files read inside a node and bound objects that carry code.

Each case types cells into a real IPython shell, changes something the node reads without
naming it plainly, and checks the rule: the next execute gives what calling the function
afresh gives (the functions stay callable in the notebook), and in between the node is never
shown ``fresh`` with the old value — it is ``stale``, or ``untracked`` with a reason.
"""
from __future__ import annotations

import importlib
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import hamilton_nb
from ipython_shell import ip  # noqa: F401  (a fixture)


def setup_out(ip, body: str, imports: str = "", extra: str = "") -> None:
    ip.ok("s = pd.Series([1., 2.])\n%hamilton_inputs spend=s")
    ip.ok(f"%%hamilton feats\nimport pandas as pd\n{imports}\n\n"
          f"def out(spend: pd.Series) -> pd.Series:\n    calls.hit()\n{textwrap.indent(textwrap.dedent(body), '    ')}\n{extra}")
    value(ip)


def value(ip):
    return ip.ok("%hamilton_execute out --dict").value["out"]


def afresh(ip):
    """What a fresh kernel computes now: the notebook's own function called on the input."""
    return ip.ok("out(s)").value


def assert_never_stale(ip) -> str:
    """After a change: not `fresh` (stale, or untracked with a reason), and the next execute
    gives the fresh value. Returns the state seen before the execute."""
    state = ip.states()["out"]
    assert state in ("stale", "untracked"), f"`out` is {state} after a change it reads"
    if state == "untracked":
        status = ip.ok("%hamilton_status").value.set_index("node")
        assert status.loc["out", "tracking"], "an untracked node says why"
    expected = afresh(ip)
    got = value(ip)
    pd.testing.assert_series_equal(got, expected)
    return state


def assert_fresh_and_cached(ip) -> None:
    assert ip.states()["out"] == "fresh"
    assert ip.counted("%hamilton_execute out")["out"] == 0


# ---- code reached through dispatch -----------------------------------------------------------

DISPATCH = '''
from functools import singledispatch
@singledispatch
def helper(x):
    return x * 2
'''


def test_singledispatch_edits_and_registrations(ip):
    ip.ok(DISPATCH)
    setup_out(ip, "return helper(spend)")
    assert_fresh_and_cached(ip)
    ip.ok(DISPATCH.replace("x * 2", "x * 3"))
    assert_never_stale(ip)
    ip.ok("@helper.register(pd.Series)\ndef _(x):\n    return x * 10")
    assert_never_stale(ip)
    assert value(ip).tolist() == [10., 20.]
    assert_fresh_and_cached(ip)


ACCESSOR = '''
import warnings
warnings.simplefilter("ignore")
@pd.api.extensions.register_series_accessor("fx")
class Fx:
    def __init__(self, s):
        self._s = s
    def scaled(self):
        return self._s * K
'''


def test_a_pandas_accessor_edited_or_reading_a_changed_global(ip):
    ip.ok("K = 2")
    ip.ok(ACCESSOR)
    setup_out(ip, "return spend.fx.scaled()")
    assert_fresh_and_cached(ip)
    ip.ok(ACCESSOR.replace("self._s * K", "self._s * K + 1"))
    assert_never_stale(ip)
    ip.ok("K = 5")
    assert_never_stale(ip)
    assert value(ip).tolist() == [6., 11.]
    assert_fresh_and_cached(ip)


def test_a_method_patched_onto_a_library_class(ip):
    try:
        ip.ok("pd.Series.double = lambda self: self * 2")
        setup_out(ip, "return spend.double()")
        assert_fresh_and_cached(ip)
        ip.ok("pd.Series.double = lambda self: self * 4")
        assert_never_stale(ip)
        assert value(ip).tolist() == [4., 8.]
    finally:
        del pd.Series.double


def test_callables_held_in_a_registry(ip):
    ip.ok("def a(x):\n    return x + 1\nREGISTRY = {'f': a}")
    setup_out(ip, "return REGISTRY['f'](spend)")
    ip.ok("def b(x):\n    return x + 2\nREGISTRY['f'] = b")
    assert_never_stale(ip)
    assert value(ip).tolist() == [3., 4.]


# ---- process state ---------------------------------------------------------------------------

@pytest.mark.parametrize("read", ["float(os.environ['HNB_K'])", "float(os.getenv('HNB_K'))",
                                  "float(environ['HNB_K'])", "float(os.environ.get('HNB_K', 1))"])
def test_environment_variables(ip, read, monkeypatch):
    monkeypatch.setenv("HNB_K", "2")
    setup_out(ip, f"return spend * {read}", imports="import os\nfrom os import environ")
    assert_fresh_and_cached(ip)
    ip.ok("%env HNB_K=3")
    assert_never_stale(ip)
    assert value(ip).tolist() == [3., 6.]
    ip.ok("import os\nos.environ['HNB_K'] = '4'")
    assert_never_stale(ip)


def test_numpy_error_state(ip):
    ip.ok("import numpy as np")
    ip.ok("old = np.seterr(all='ignore')")
    try:
        ip.ok("s = pd.Series([0., 1.])\n%hamilton_inputs spend=s")
        ip.ok("%%hamilton feats\nimport numpy as np\nimport pandas as pd\n\n"
              "def out(spend: pd.Series) -> pd.Series:\n    return pd.Series(np.log(spend.to_numpy()))")
        assert value(ip).tolist()[0] == -np.inf
        ip.ok("np.seterr(all='raise')")
        assert ip.states()["out"] == "stale"
        ran = ip.run("%hamilton_execute out")
        assert ran.error is not None and "FloatingPointError" in repr(ran.error) + ran.out
    finally:
        np.seterr(**ip.ns["old"])


def test_pandas_options(ip):
    setup_out(ip, "return spend * pd.get_option('display.precision')")
    ip.ok("pd.set_option('display.precision', 3)")
    try:
        assert_never_stale(ip)
        assert value(ip).tolist() == [3., 6.]
    finally:
        pd.reset_option("display.precision")


def test_the_decimal_context(ip):
    ip.ok("import decimal")
    setup_out(ip, "return spend.map(lambda v: float(decimal.Decimal(1) / decimal.Decimal(3)))",
              imports="import decimal")
    old = ip.ok("decimal.getcontext().prec").value
    try:
        ip.ok("decimal.getcontext().prec = 3")
        assert_never_stale(ip)
        assert value(ip).tolist() == [0.333, 0.333]
    finally:
        ip.ok(f"decimal.getcontext().prec = {old}")


@pytest.mark.parametrize("draw", ["np.random.normal(size=2)", "np.random.rand(2)"])
def test_numpy_global_random_state(ip, draw):
    ip.ok("import numpy as np\nnp.random.seed(0)")
    setup_out(ip, f"return spend + {draw}", imports="import numpy as np")
    ip.ok("np.random.seed(1)")
    state = ip.states()["out"]
    assert state in ("stale", "untracked")
    got = value(ip)
    ip.ok("np.random.seed(1)")
    pd.testing.assert_series_equal(got, afresh(ip))


# ---- dynamic look-ups --------------------------------------------------------------------------

@pytest.mark.parametrize("read", ["globals()['W']", "eval('W')", "eval(FORMULA)",
                                  "importlib.import_module('hnb_dyn').W", "sys.modules['hnb_dyn'].W"])
def test_dynamic_lookups_are_never_fresh_and_wrong(ip, read, tmp_path, monkeypatch):
    (tmp_path / "hnb_dyn.py").write_text("W = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    ip.ok("import hnb_dyn, importlib, sys\nW = 2\nFORMULA = 'W'")
    try:
        setup_out(ip, f"return spend * {read}", imports="import importlib, sys")
        ip.ok("W = 3\nhnb_dyn.W = 3")
        assert_never_stale(ip)
        assert value(ip).tolist() == [3., 6.]
    finally:
        sys.modules.pop("hnb_dyn", None)


def test_a_metaclass_serving_values_from_a_dict(ip):
    ip.ok('''
        VALUES = {"k": 2}
        class Meta(type):
            def __getattr__(cls, name):
                return VALUES[name]
        class Settings(metaclass=Meta):
            pass
        ''')
    setup_out(ip, "return spend * Settings.k")
    ip.ok("VALUES['k'] = 3")
    assert_never_stale(ip)
    assert value(ip).tolist() == [3., 6.]


# ---- files read inside a node ------------------------------------------------------------------

def test_a_file_read_inside_a_node(ip, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("k\n2\n")
    setup_out(ip, "return spend * pd.read_csv('data.csv')['k'][0]")
    assert_fresh_and_cached(ip)
    (tmp_path / "data.csv").write_text("k\n3\n")
    assert_never_stale(ip)
    assert value(ip).tolist() == [3., 6.]
    assert_fresh_and_cached(ip)


def test_a_file_named_by_a_global(ip, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("k\n2\n")
    ip.ok("PATH = 'data.csv'")
    setup_out(ip, "return spend * pd.read_csv(PATH)['k'][0]")
    (tmp_path / "data.csv").write_text("k\n7\n")
    assert_never_stale(ip)
    assert value(ip).tolist() == [7., 14.]


# ---- bound objects that carry code -------------------------------------------------------------

def test_an_input_holding_an_instance_whose_class_changes(ip):
    ip.ok("class M:\n    k = 2\n    def scale(self, x):\n        return x * self.k")
    ip.ok("s = pd.Series([1., 2.])\n%hamilton_inputs spend=s m=M()")
    ip.ok("%%hamilton feats\nimport pandas as pd\n\n"
          "def out(spend: pd.Series, m: object) -> pd.Series:\n    return m.scale(spend)")
    assert value(ip).tolist() == [2., 4.]
    ip.ok("M.k = 5")
    assert ip.states()["out"] in ("stale", "untracked")
    assert value(ip).tolist() == [5., 10.]


def test_an_input_holding_a_function_whose_global_changes(ip):
    ip.ok("F = 2\ndef f(x):\n    return x * F")
    ip.ok("s = pd.Series([1., 2.])\n%hamilton_inputs spend=s fn=f")
    ip.ok("%%hamilton feats\nimport pandas as pd\nfrom typing import Callable\n\n"
          "def out(spend: pd.Series, fn: Callable) -> pd.Series:\n    return fn(spend)")
    assert value(ip).tolist() == [2., 4.]
    ip.ok("F = 3")
    assert ip.states()["out"] in ("stale", "untracked")
    assert value(ip).tolist() == [3., 6.]


def test_a_native_value_holding_an_instance_whose_class_changes(ip):
    ip.ok("class M:\n    k = 2")
    ip.ok("s = pd.Series([1., 2.])\n%hamilton_inputs spend=s")
    ip.ok("%%hamilton feats\nimport pandas as pd\nfrom hamilton_nb.function_modifiers import parameterize, value\n\n"
          "@parameterize(out={'m': value(M())})\n"
          "def times(spend: pd.Series, m: object) -> pd.Series:\n    return spend * m.k")
    assert value(ip).tolist() == [2., 4.]
    ip.ok("M.k = 5")
    assert ip.states()["out"] in ("stale", "untracked")
    assert value(ip).tolist() == [5., 10.]


# ---- over-cautious no more ---------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    "import dataclasses\n@dataclasses.dataclass(frozen=True)\nclass Cfg:\n    k: float = 2.0\ncfg = Cfg()",
    "import types\ncfg = types.MappingProxyType({'k': 2.0})",
])
def test_config_objects_are_tracked_by_content(ip, make):
    ip.ok(make)
    read = "cfg['k']" if "Mapping" in make else "cfg.k"
    setup_out(ip, f"return spend * {read}")
    assert ip.states()["out"] == "fresh"
    assert_fresh_and_cached(ip)
