"""Memory: values held once, a budget with least-recently-used eviction, nothing growing per request."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ipython_shell import ip  # noqa: F401  (ip is a fixture)

from hamilton_nb.execution import planner as planner_module
from hamilton_nb.execution import frames as frames_module
from hamilton_nb.execution import results
from hamilton_nb.session import Session

ROWS = 200_000  # 1.6 MB per float column

SOURCE = """
import numpy as np
import pandas as pd

def a(x: pd.Series) -> pd.Series:
    return x + 1.0

def b(a: pd.Series) -> pd.Series:
    return a * 2.0

def c(b: pd.Series) -> pd.Series:
    return b - 3.0

def d(x: pd.Series) -> pd.Series:
    return x * 10.0
"""


def session_with(source: str = SOURCE, **kwargs) -> Session:
    session = Session(**kwargs)
    session.register_cell(source, "features")
    session.set_inputs(x=pd.Series(np.arange(ROWS, dtype="float64")))
    return session


@pytest.fixture
def large_frames(monkeypatch):
    """Treat every frame as large (a few MB here stand for GBs): frames share the cache's memory."""
    monkeypatch.setattr(results, "SMALL_FRAME_BYTES", 0)


def test_a_large_result_frame_holds_the_cached_values_themselves(large_frames):
    session = session_with()
    frame = session.execute(["a", "b", "c", "d"])
    cache = session.engine.cache
    for name in "abcd":
        assert np.shares_memory(frame[name].to_numpy(), cache.get(name).value.to_numpy()), name
    assert cache.nbytes == 4 * ROWS * 8  # counted once, whether or not a frame shows them


def test_writing_into_a_shared_result_frame_never_reaches_the_cache(large_frames):
    session = session_with()
    frame = session.execute(["a", "b"])
    frame.iloc[0, 0] = -999.0
    frame["b"] += 1.0
    frame.loc[:, "a"] = 0.0
    again = session.execute(["a", "b"])
    assert session.last_report.computed == {}
    assert again["a"].iloc[0] == 1.0 and again["b"].iloc[1] == 4.0
    assert session.execute(["c"])["c"].iloc[1] == 1.0  # downstream of the cached values: untouched


def test_an_edit_replaces_only_its_columns_in_a_shared_frame(large_frames):
    session = session_with()
    first = session.execute(["a", "b", "c", "d"])
    session.register_cell(SOURCE.replace("a * 2.0", "a * 3.0"), "features")
    second = session.execute(["a", "b", "c", "d"])
    assert sorted(session.last_report.computed) == ["b", "c"]
    assert second["b"].iloc[1] == 6.0 and first["b"].iloc[1] == 4.0  # the old frame is unchanged
    assert np.shares_memory(second["d"].to_numpy(), first["d"].to_numpy())  # untouched columns: one copy


def test_past_the_budget_the_least_recently_used_values_are_evicted_and_recomputed_when_needed():
    column = ROWS * 8
    session = session_with(memory_budget=int(2.5 * column))
    session.execute(["d"])
    session.execute(["c"])  # computes a, b, c: d was used least recently
    states = session.states()
    assert states["d"] == "evicted" and states["a"] == "evicted"
    assert states["b"] == "fresh" and states["c"] == "fresh"
    assert session.engine.cache.nbytes <= int(2.5 * column)
    assert set(session.status(state="evicted")["node"]) == {"a", "d"}
    info = session.memory_info()
    assert sorted(info.evicted) == ["a", "d"] and "2 evicted" in str(info)
    pd.testing.assert_series_equal(session.execute(["d"])["d"], pd.Series(np.arange(ROWS) * 10.0, name="d"))
    assert list(session.last_report.computed) == ["d"]  # evicted without a persistent cache: computed again


def test_evicted_values_come_back_from_the_persistent_cache(tmp_path):
    column = ROWS * 8
    session = session_with(memory_budget=int(1.5 * column))
    session.enable_persistent_cache(tmp_path / "cache")
    session.execute(["d"])
    session.execute(["a"])
    assert session.states()["d"] == "evicted"
    session.engine.persistent.flush()
    out = session.execute(["d"])
    assert session.last_report.loaded == ["d"] and not session.last_report.computed
    assert out["d"].iloc[3] == 30.0
    session.disable_persistent_cache()


def test_an_evicted_value_that_an_edit_made_stale_is_shown_stale():
    session = session_with(memory_budget=ROWS * 8)
    session.execute(["d"])
    session.execute(["a"])
    assert session.states()["d"] == "evicted"
    session.register_cell(SOURCE.replace("x * 10.0", "x * 11.0"), "features")
    assert session.states()["d"] == "stale"


def test_lowering_the_budget_evicts_at_once():
    session = session_with()
    session.execute(["a", "b", "c", "d"])
    assert session.set_memory_budget(2 * ROWS * 8)  # something was evicted
    assert session.engine.cache.nbytes <= 2 * ROWS * 8
    assert list(session.states().values()).count("evicted") == 2
    with pytest.raises(Exception, match="cannot read the size"):
        session.set_memory_budget("lots")


def test_result_frames_and_plans_are_bounded():
    session = session_with()
    names = ["a", "b", "c", "d"]
    for i in range(12):
        session.execute(names[: 1 + i % 4] if i < 4 else [names[i % 4], names[(i + 1) % 4]])
    assert len(session.engine.frames) <= frames_module.MAX_FRAMES
    for i in range(40):
        session.execute(["a"], overrides={"x": pd.Series([float(i)])}, result="dict")
    assert len(session.engine.planner.plans) <= planner_module.MAX_PLANS


def test_values_of_nodes_that_leave_the_graph_are_released():
    session = session_with()
    session.execute(["a", "b", "c", "d"])
    session.register_cell(SOURCE.replace("def d(", "def d_renamed("), "features")
    session.execute(["a", "d_renamed"])
    assert "d" not in session.engine.cache and "d" not in session.states()
    assert session.engine.cache.nbytes == 4 * ROWS * 8


def test_a_function_moved_to_another_cell_keeps_its_value():
    session = session_with(SOURCE.split("def d(")[0])
    session.register_cell("import pandas as pd\n\ndef d(x: pd.Series) -> pd.Series:\n    return x * 10.0\n", "more")
    session.execute(["a", "d"])
    session.register_cell("import pandas as pd\n\ndef e(x: pd.Series) -> pd.Series:\n    return x\n",
                          "more")  # d leaves its cell ...
    session.register_cell(SOURCE, "features")  # ... and comes back in another one
    session.execute(["a", "d"])
    assert session.last_report.computed == {}


def test_a_dict_result_in_between_does_not_leave_a_stale_column_in_the_next_frame():
    session = session_with()
    session.execute(["b", "d"])
    session.register_cell(SOURCE.replace("a * 2.0", "a * 5.0"), "features")
    session.execute(["b", "d"], result="dict")
    session.register_cell(SOURCE.replace("a * 2.0", "a * 5.0").replace("x * 10.0", "x * 7.0"), "features")
    frame = session.execute(["b", "d"])
    assert frame["b"].iloc[1] == 10.0 and frame["d"].iloc[1] == 7.0


def test_the_memory_magic_shows_and_sets_the_budget(ip):
    ip.ok(f"""
        %%hamilton features
        {SOURCE.strip().replace(chr(10), chr(10) + '        ')}
        """)
    ip.ok(f"%hamilton_inputs x=pd.Series(range({ROWS}), dtype='float64')")
    ip.ok("%hamilton_execute a b c d")
    shown = ip.ok("%hamilton_cache memory").out
    assert "6.4 MB of" in shown and "4 values" in shown and "nothing evicted" in shown
    try:
        shown = ip.ok("%hamilton_cache memory 3.5MB").out
        assert "Evicted 2 value(s)" in shown and "2 evicted" in shown and "computed again" in shown
        evicted = list(ip.ok("%hamilton_status --state evicted").value["node"])
        assert len(evicted) == 2 and "a" in evicted  # the least recently used: computed first
        assert ip.counted(f"%hamilton_execute {' '.join(evicted)}") == {}  # no calls.hit() in these bodies
        assert ip.ok("%hamilton_status").value.set_index("node")["state"].to_dict() == {
            "x": "input", **{n: "fresh" for n in evicted}, **{n: "evicted" for n in "abcd" if n not in evicted}}
        ip.fails("%hamilton_cache memory lots", Exception)
    finally:
        ip.ok("%hamilton_cache memory 8GB")


def test_computing_past_the_budget_still_returns_every_requested_output():
    session = session_with(memory_budget=ROWS * 8)  # room for one column
    session.execute(["d"])
    frame = session.execute(["d", "a"])  # d is cached, a is computed and pushes past the budget
    assert frame["d"].iloc[2] == 20.0 and frame["a"].iloc[2] == 3.0
    assert session.engine.cache.nbytes <= ROWS * 8  # fitted again once the result was built
