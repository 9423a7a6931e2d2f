"""Never a stale number: after each edit a notebook habit makes, the live session's execute
must give what computing from scratch gives, and call a value fresh only when it is.

Each test types cells into a real IPython shell: define, execute, edit the way data scientists
do (re-run a class cell, reload a module, mutate a dict in place, …), execute again, and
compare with a from-scratch execute (`%hamilton_reset --cache`).
"""
from __future__ import annotations

import importlib
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import hamilton_nb
from hamilton_nb.errors import NodeExecutionError
from ipython_shell import ip  # noqa: F401  (a fixture)


def value_of(ip, node: str, *extra: str):
    return ip.ok(f"%hamilton_execute {node} {' '.join(extra)} --dict").value[node]


def from_scratch(ip, node: str):
    """What a fresh session computes from the notebook's current state."""
    session = hamilton_nb.get_session()
    saved = dict(session.engine.cache._entries)
    session.engine.reset_cache()
    try:
        return value_of(ip, node)
    finally:
        session.engine.reset_cache()
        session.engine.cache._entries.update(saved)


def assert_live_equals_scratch(ip, node: str, expected):
    live = value_of(ip, node)
    assert ip.states()[node] in ("fresh", "untracked")
    for got in (live, from_scratch(ip, node)):
        if isinstance(expected, pd.Series):
            assert got.tolist() == expected.tolist()
        else:
            assert got == expected


SCALER = '''
class Scaler:
    k = 2
    def transform(self, x):
        return x * self.k
'''


# ---- classes ----------------------------------------------------------------------------------

@pytest.fixture
def scaled(ip):
    ip.ok(SCALER)
    ip.ok("scaler = Scaler()")
    ip.ok('''
        %%hamilton feats
        def scaled(x: int) -> int:
            calls.hit()
            return scaler.transform(x)
        ''')
    ip.ok("%hamilton_inputs x=5")
    assert value_of(ip, "scaled") == 10
    return ip


def test_editing_a_method_of_a_class_makes_its_callers_stale(scaled):
    ip = scaled
    ip.ok(SCALER.replace("x * self.k", "x * self.k + 1"))
    ip.ok("scaler = Scaler()")
    assert ip.states()["scaled"] == "stale"
    assert_live_equals_scratch(ip, "scaled", 11)


def test_a_class_attribute_and_a_base_class_count(scaled):
    ip = scaled
    ip.ok("Scaler.k = 3")
    assert ip.states()["scaled"] == "stale"
    assert_live_equals_scratch(ip, "scaled", 15)
    ip.ok("class Base:\n    def offset(self):\n        return 0")
    ip.ok(SCALER.replace("class Scaler:", "class Scaler(Base):").replace("x * self.k", "x * self.k + self.offset()"))
    ip.ok("scaler = Scaler()")
    assert_live_equals_scratch(ip, "scaled", 10)
    ip.ok("Base.offset = lambda self: 7")  # editing the base class counts
    assert_live_equals_scratch(ip, "scaled", 17)
    ip.ok("class Base:\n    def offset(self):\n        return 100")  # Scaler keeps the base it was made with…
    assert ip.states()["scaled"] == "fresh"  # …so nothing changed for `scaler`


def test_a_stored_bound_method_follows_its_instance_and_function(ip):
    ip.ok(SCALER)
    ip.ok("scaler = Scaler()\ntransform = scaler.transform")
    ip.ok('''
        %%hamilton feats
        def scaled(x: int) -> int:
            return transform(x)
        ''')
    ip.ok("%hamilton_inputs x=5")
    assert value_of(ip, "scaled") == 10
    ip.ok("scaler.k = 3")
    assert_live_equals_scratch(ip, "scaled", 15)
    ip.ok(SCALER.replace("x * self.k", "x * self.k - 1"))
    ip.ok("scaler = Scaler()\ntransform = scaler.transform")
    assert_live_equals_scratch(ip, "scaled", 9)


def test_an_instance_of_a_redefined_class_is_pointed_out(scaled):
    ip = scaled
    ip.ok(SCALER.replace("x * self.k", "x * self.k + 1"))  # only the class cell is re-run
    status = ip.ok("%hamilton_status").value.set_index("node")
    assert "earlier definition of class `Scaler`" in status.loc["scaled", "tracking"]
    assert "re-run the cell that creates it" in status.loc["scaled", "tracking"]


# ---- callables that aren't plain functions ----------------------------------------------------

def test_partial_lru_cache_and_vectorize_follow_the_function_they_wrap(ip):
    ip.ok('''
        import functools
        import numpy as np
        def scale(v, k):
            return v * k
        times2 = functools.partial(scale, k=2)
        @functools.lru_cache
        def offset(v):
            return v + 1
        def _f(v):
            return v - 1
        vf = np.vectorize(_f)
        ''')
    ip.ok('''
        %%hamilton feats
        def a(x: int) -> int:
            return times2(x) + offset(x) + int(vf(x))
        ''')
    ip.ok("%hamilton_inputs x=5")
    assert value_of(ip, "a") == 10 + 6 + 4
    ip.ok("def scale(v, k):\n    return v * k * 10\ntimes2 = functools.partial(scale, k=2)")
    assert_live_equals_scratch(ip, "a", 100 + 6 + 4)
    ip.ok("@functools.lru_cache\ndef offset(v):\n    return v + 2")
    assert_live_equals_scratch(ip, "a", 100 + 7 + 4)
    ip.ok("def _f(v):\n    return v - 3\nvf = np.vectorize(_f)")
    assert_live_equals_scratch(ip, "a", 100 + 7 + 2)


# ---- module attributes and reloads -------------------------------------------------------------

@pytest.fixture
def user_module(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "mylib_sound.py"
    path.write_text("K = 2\ndef f(v):\n    return v * K\n")
    importlib.invalidate_caches()
    yield path
    sys.modules.pop("mylib_sound", None)


def test_a_reloaded_user_module_and_its_attributes_count(ip, user_module):
    ip.ok("import importlib, mylib_sound")
    ip.ok('''
        %%hamilton feats
        def a(x: int) -> int:
            return mylib_sound.f(x)
        ''')
    ip.ok("%hamilton_inputs x=5")
    assert value_of(ip, "a") == 10
    user_module.write_text("K = 2\ndef f(v):\n    return v * K + 1\n")
    ip.ok("importlib.reload(mylib_sound)")
    assert ip.states()["a"] == "stale"
    assert_live_equals_scratch(ip, "a", 11)
    ip.ok("mylib_sound.K = 5")  # `settings.K = 5` on a module object
    assert_live_equals_scratch(ip, "a", 26)


def test_a_global_named_like_a_method_is_not_read(ip):
    ip.ok("mean = 1")
    ip.ok('''
        %%hamilton feats
        def m(s: pd.Series) -> float:
            calls.hit()
            return float(s.mean())
        ''')
    ip.ok("%hamilton_inputs s=pd.Series([1.0, 3.0])")
    value_of(ip, "m")
    ip.ok("mean = 2")
    assert ip.states()["m"] == "fresh"


# ---- data globals ---------------------------------------------------------------------------------

def test_data_globals_are_hashed_by_typed_content(ip):
    ip.ok("lk = pd.DataFrame({'v': [1.0, 2.0], 'tags': [['a'], ['b']], 'o': pd.Series([1, 2], dtype=object)})")
    ip.ok('''
        %%hamilton feats
        def total(x: int) -> float:
            return x * float(lk["v"].sum()) + len(lk.loc[1, "tags"]) + len(str(lk.loc[0, "o"]) * 2)
        def kind(x: int) -> str:
            return type(lk.loc[0, "o"]).__name__
        ''')
    ip.ok("%hamilton_inputs x=1")
    assert value_of(ip, "total") == 3 + 1 + 2
    ip.ok("lk.loc[1, 'tags'] = ['b', 'c']")  # a frame with a list-valued column
    assert_live_equals_scratch(ip, "total", 3 + 2 + 2)
    assert value_of(ip, "kind") == "int"
    ip.ok("lk.loc[0, 'o'] = '1'")  # 1 → '1' in an object column
    assert_live_equals_scratch(ip, "kind", "str")


def test_an_object_holding_a_lambda_is_read_by_content(ip):
    ip.ok("class Cfg:\n    pass\ncfg = Cfg(); cfg.k = 2; cfg.fn = lambda v: v + 1")
    ip.ok('''
        %%hamilton feats
        def a(x: int) -> int:
            return cfg.fn(x) * cfg.k
        ''')
    ip.ok("%hamilton_inputs x=1")
    assert value_of(ip, "a") == 4
    ip.ok("cfg.k = 3")
    assert_live_equals_scratch(ip, "a", 6)
    ip.ok("cfg.fn = lambda v: v + 2")
    assert_live_equals_scratch(ip, "a", 9)


def test_what_cannot_be_read_is_untracked_recomputed_and_said_so(ip, tmp_path):
    ip.ok("import itertools\nticks = (i for i in itertools.count())")
    ip.ok('''
        %%hamilton feats
        def tick(x: int) -> int:
            calls.hit()
            return next(ticks) + x
        def after(tick: int) -> int:
            calls.hit()
            return tick
        ''')
    ip.ok("%hamilton_inputs x=0")
    ip.ok(f"%hamilton_cache on {tmp_path}")
    first = value_of(ip, "after")
    assert ip.counted("%hamilton_execute after") == {"tick": 1, "after": 1}  # every execute
    assert value_of(ip, "after") != first
    status = ip.ok("%hamilton_status").value.set_index("node")
    assert status.loc["tick", "state"] == "untracked" and status.loc["after", "state"] == "untracked"
    assert "reads `ticks`, which is a generator" in status.loc["tick", "tracking"]
    assert "depends on untracked `tick`" in status.loc["after", "tracking"]
    assert "untracked" in ip.ok("%hamilton_show tick").out
    assert hamilton_nb.get_session().cache_info().entries == 0  # never persisted
    ip.ok("%hamilton_cache off")


# ---- containers ----------------------------------------------------------------------------------

def test_bound_containers_are_snapshots(ip):
    ip.ok("weights = {'a': 1}")
    ip.ok('''
        %%hamilton feats
        def r1(w: dict) -> int:
            return w["a"]
        def r2(w: dict) -> int:
            return w["a"] * 10
        ''')
    ip.ok("%hamilton_inputs w=weights")
    assert value_of(ip, "r1") == 1
    ip.ok("weights['a'] = 2")  # in place, after binding: the bound snapshot is unchanged
    out = ip.ok("%hamilton_execute r1 r2").value
    assert (out["r1"].iloc[0], out["r2"].iloc[0]) == (1, 10)  # never a mixed frame
    ip.ok("%hamilton_inputs w=weights")
    out = ip.ok("%hamilton_execute r1 r2").value
    assert (out["r1"].iloc[0], out["r2"].iloc[0]) == (2, 20)


def test_parameterize_values_are_snapshots(ip):
    ip.ok("WEIGHTS = {'a': 1}")
    ip.ok('''
        %%hamilton feats
        from hamilton_nb.function_modifiers import parameterize, value
        @parameterize(scored={"w": value(WEIGHTS)})
        def score(x: int, w: dict) -> int:
            return x * w["a"]
        ''')
    ip.ok("%hamilton_inputs x=3")
    assert value_of(ip, "scored") == 3
    ip.ok("WEIGHTS['a'] = 5")
    assert_live_equals_scratch(ip, "scored", 3)


def test_containers_handed_to_nodes_and_users_cannot_change_the_cache(ip):
    ip.ok('''
        %%hamilton feats
        import numpy as np
        def cols(x: int) -> list:
            return ["a", "b"]
        def more_cols(cols: list) -> list:
            cols.append("c")
            return cols
        def params(x: int) -> dict:
            return {"w": np.array([1.0, 2.0])}
        def scaled_params(params: dict) -> float:
            w = params["w"]
            w *= 10
            return float(w.sum())
        ''')
    ip.ok("%hamilton_inputs x=1")
    assert value_of(ip, "more_cols") == ["a", "b", "c"]
    assert value_of(ip, "cols") == ["a", "b"]
    ran = ip.fails("%hamilton_execute scaled_params", NodeExecutionError)
    assert "`scaled_params`" in ran.out and "modified" in ran.out
    r = ip.ok("%hamilton_execute params --dict").value
    with pytest.raises(ValueError, match="read-only"):
        r["params"]["w"][0] = 100
    r["params"]["w"] = None
    assert value_of(ip, "params")["w"].tolist() == [1.0, 2.0]


# ---- config, checks, messages ---------------------------------------------------------------

def test_config_changes_say_what_became_stale(ip):
    ip.ok('''
        %%hamilton feats
        def tax(spend: float, rate: float) -> float:
            return spend * rate
        def other(spend: float) -> float:
            return spend
        ''')
    ip.ok("%hamilton_inputs spend=10.0")
    ip.ok("%hamilton_config rate=0.1")
    ip.ok("%hamilton_execute tax other")
    out = ip.ok("%hamilton_config rate=0.2").out
    assert "now stale: tax" in out and "other" not in out


def test_changing_only_check_arguments_reruns_the_check_not_the_node(ip):
    cell = '''
        %%hamilton feats
        from hamilton_nb.function_modifiers import check_output
        @check_output(range=(0, 100), importance="warn")
        def a(x: int) -> pd.Series:
            calls.hit()
            return pd.Series([x, x])
        def b(a: pd.Series) -> pd.Series:
            calls.hit()
            return a + 1
        '''
    ip.ok(cell)
    ip.ok("%hamilton_inputs x=50")
    ip.ok("%hamilton_execute b")
    ip.ok(cell.replace("range=(0, 100)", "range=(0, 10)"))
    assert ip.counted("%hamilton_execute b") == {}
    status = ip.ok("%hamilton_status").value.set_index("node")
    assert "range" in status.loc["a", "checks"]


def test_a_type_hint_only_edit_says_nothing_needs_recomputing(ip):
    cell = '''
        %%hamilton feats
        def a(x: int) -> int:
            return x
        '''
    ip.ok(cell)
    ip.ok("%hamilton_inputs x=1")
    ip.ok("%hamilton_execute a")
    out = ip.ok(cell.replace("-> int", "-> float")).out
    assert "type hints changed (nothing to recompute): a" in out and "now stale" not in out


def test_autoreload_of_a_class_in_a_local_module_is_seen(ip, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "scalers_sound.py"
    path.write_text("class Scaler:\n    def transform(self, v):\n        return v * 2\n")
    importlib.invalidate_caches()
    ip.ok("%load_ext autoreload")
    ip.ok("%autoreload 2")
    try:
        ip.ok("from scalers_sound import Scaler\nscaler = Scaler()")
        ip.ok('''
            %%hamilton feats
            def scaled(x: int) -> int:
                return scaler.transform(x)
            ''')
        ip.ok("%hamilton_inputs x=5")
        assert value_of(ip, "scaled") == 10
        import os
        import time
        path.write_text("class Scaler:\n    def transform(self, v):\n        return v * 3\n")
        os.utime(path, (time.time() + 5, time.time() + 5))  # a newer mtime, whatever the clock's grain
        ip.ok("pass")  # autoreload patches the class (and so `scaler`) before this cell
        assert ip.states()["scaled"] == "stale"
        assert value_of(ip, "scaled") == 15
    finally:
        ip.ok("%autoreload 0")
        sys.modules.pop("scalers_sound", None)


def test_switching_config_back_restores_the_earlier_values_instead_of_recomputing(ip):
    ip.ok('''
        %%hamilton feats
        def tax(spend: float, region: str) -> float:
            calls.hit()
            return spend * {"US": 0.1, "UK": 0.2}[region]
        def net(spend: float, tax: float) -> float:
            calls.hit()
            return spend - tax
        ''')
    ip.ok("%hamilton_inputs spend=100.0")
    ip.ok("%hamilton_config region='US'")
    assert value_of(ip, "net") == 90.0
    ip.ok("%hamilton_config region='UK'")
    assert value_of(ip, "net") == 80.0
    ip.ok("%hamilton_config region='US'")
    assert ip.counted("%hamilton_execute net") == {}  # US again: nothing recomputed
    ran = ip.ok("%hamilton_execute net -v --dict")
    assert ran.value["net"] == 90.0 and ip.states()["net"] == "fresh"
    ip.ok("%hamilton_config region='UK'")
    assert "restored  tax, net" in ip.ok("%hamilton_execute net -v").out
    assert from_scratch(ip, "net") == 80.0


def test_earlier_versions_are_bounded_and_evicted_before_current_values():
    from hamilton_nb.execution.cache import ValueCache

    cache = ValueCache(budget=4 * 8000 * 4)  # room for 16 current arrays; earlier ones get a quarter
    for version in "abcd":  # four versions of one node: the current one and the two before it stay
        cache.put("n", version, np.zeros(1000), 0.0)
    assert cache.get("n").version == "d" and cache.restore("n", "a") is None
    assert cache.restore("n", "b").version == "b" and cache.get("n").version == "b"
    assert cache.nbytes == 3 * 8000
    for i in range(10):  # earlier versions of many nodes stay within a quarter of the budget
        cache.put(f"m{i}", "1", np.zeros(1000), 0.0)
        cache.put(f"m{i}", "2", np.zeros(1000), 0.0)
    assert cache._older_nbytes <= cache.budget // 4
    cache.budget = 11 * 8000  # shrinking: earlier versions go before any current value
    assert cache.evict() == [] and not cache._older and len(cache) == 11


def test_a_constant_read_in_two_cells_stays_watched_for_both_after_one_is_re_run():
    from hamilton_nb.session import Session

    session, ns = Session(), {"C": 1}
    session.register_cell("def a(x: int) -> int:\n    return x + C\n", "one", ns)
    session.register_cell("def b(x: int) -> int:\n    return x * C\n", "two", ns)
    session.set_inputs(x=10)
    assert session.execute(["a", "b"], result="dict") == {"a": 11, "b": 10}
    ns["C"] = 2
    session.register_cell("def a(x: int) -> int:\n    return x + C\n", "one", ns)  # re-reads `a` only
    assert session.states()["b"] == "stale"
    assert session.execute(["b"], result="dict") == {"b": 20}
