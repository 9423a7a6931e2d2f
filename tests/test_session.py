"""The Python twin of the magics: ``hamilton_nb.get_session()``, used without IPython."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

import hamilton_nb
from hamilton_nb import session as session_module
from hamilton_nb.errors import GraphError, InputError, NodeExecutionError

CELL = '''
import pandas as pd

def avg_3wk_spend(spend: pd.Series) -> pd.Series:
    """Rolling 3 week average spend."""
    return spend.rolling(3).mean()

def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    return spend / signups
'''


@pytest.fixture
def session():
    s = hamilton_nb.get_session()
    s.reset()
    yield s
    s.reset()


@pytest.fixture
def story(session):
    ns: dict = {}
    session.register_cell(CELL, "features", ns)
    session.set_inputs(spend=pd.Series([10.0, 10, 20, 40, 40, 50]),
                       signups=pd.Series([1.0, 10, 50, 100, 200, 400]))
    return session, ns


def test_the_twin_works_where_ipython_cannot_be_imported():
    script = textwrap.dedent('''
        import json, sys
        sys.modules["IPython"] = None  # any `import IPython` now fails
        import pandas as pd
        import hamilton_nb
        s = hamilton_nb.get_session()
        ns = {}
        first = str(s.register_cell(CELL, "features", ns))
        s.set_inputs(spend=pd.Series([10.0, 20, 30]), signups=pd.Series([1.0, 2, 3]))
        s.set_config({"unused": 1})
        df = s.execute(["avg_3wk_spend", "spend_per_signup"])
        s.register_cell(CELL.replace("spend / signups", "spend / signups * 2"), "features", ns)
        s.execute(["avg_3wk_spend", "spend_per_signup"])
        report = s.last_report
        print(json.dumps({
            "first": first, "ratio": df["spend_per_signup"].tolist(),
            "computed": sorted(report.computed), "cached": sorted(report.cached),
            "status": s.status()["state"].tolist(), "show": repr(s.show("avg_3wk_spend")),
            "dropped": s.drop("features").removed, "ipython": "IPython" in sys.modules
                       and sys.modules["IPython"] is not None,
        }))
    ''').replace("CELL", repr(CELL))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["first"] == "features: 2 functions; added: avg_3wk_spend, spend_per_signup"
    assert out["ratio"] == [10.0, 10.0, 10.0]
    assert out["computed"] == ["spend_per_signup"] and out["cached"] == ["avg_3wk_spend"]
    assert sorted(out["status"]) == ["fresh", "fresh", "input", "input"]
    assert "doc: Rolling 3 week average spend." in out["show"]
    assert out["dropped"] == ["avg_3wk_spend", "spend_per_signup"] and not out["ipython"]


def test_get_session_is_one_process_wide_session():
    assert hamilton_nb.get_session() is session_module.get_session() is hamilton_nb.get_session()


def test_register_cell_defines_the_functions_in_the_namespace(story):
    session, ns = story
    assert ns["spend_per_signup"](pd.Series([4.0]), pd.Series([2.0])).tolist() == [2.0]
    assert session.graph.modules == {"features": ["avg_3wk_spend", "spend_per_signup"]}


def test_execute_returns_frames_or_dicts_and_reports(story):
    session, _ = story
    df = session.execute(["spend_per_signup"])
    assert isinstance(df, pd.DataFrame) and df["spend_per_signup"].iloc[0] == 10.0
    assert list(session.last_report.computed) == ["spend_per_signup"]
    result = session.execute(["spend_per_signup", "avg_3wk_spend"], result="dict")
    assert set(result) == {"spend_per_signup", "avg_3wk_spend"}
    assert list(session.last_report.computed) == ["avg_3wk_spend"]
    assert session.last_report.cached == ["spend_per_signup"]
    every = session.execute(all=True)
    assert set(every.columns) >= {"avg_3wk_spend", "spend_per_signup"}
    with pytest.raises(InputError, match="Nothing to execute"):
        session.execute([])


def test_inputs_overrides_and_config_per_call(story):
    session, _ = story
    once = session.execute(["spend_per_signup"], inputs={"signups": pd.Series([2.0] * 6)})
    assert once["spend_per_signup"].tolist() == [5.0, 5.0, 10.0, 20.0, 20.0, 25.0]
    forced = session.execute(["spend_per_signup"], overrides={"spend_per_signup": pd.Series([0.0] * 6)})
    assert forced["spend_per_signup"].sum() == 0.0
    assert session.execute(["spend_per_signup"])["spend_per_signup"].iloc[0] == 10.0
    session.remove_inputs("signups")
    session.set_config(signups=pd.Series([5.0] * 6))
    assert session.execute(["spend_per_signup"])["spend_per_signup"].iloc[0] == 2.0
    assert "signups" in session.config and "signups" not in session.inputs


def test_rejected_cell_with_config_leaves_config_alone(story):
    session, ns = story
    session.set_config(region="US")
    with pytest.raises(GraphError, match="no type hint"):
        session.register_cell("def bad(x) -> int:\n    return x\n", "bad", ns,
                              config={"region": "EU", "new_key": 1})
    assert session.config == {"region": "US"} and "bad" not in ns
    assert session.graph.modules == {"features": ["avg_3wk_spend", "spend_per_signup"]}


def test_status_show_drop_reset(story):
    session, _ = story
    session.execute(["avg_3wk_spend"])
    status = session.status().set_index("node")
    assert status.loc["avg_3wk_spend", "state"] == "fresh"
    assert status.loc["spend_per_signup", "state"] == "not computed"
    details = session.show("avg_3wk_spend").fields()
    assert details["doc"] == "Rolling 3 week average spend." and details["downstream"] == []
    assert details["upstream"] == ["spend"] and details["value"].startswith("pd.Series dtype=float64")
    assert session.drop("spend_per_signup").removed == ["spend_per_signup"]
    assert session.graph.modules == {"features": ["avg_3wk_spend"]}
    session.reset(cache_only=True)
    assert session.states() == {"spend": "input", "avg_3wk_spend": "not computed"}
    session.reset()
    assert session.states() == {} and session.inputs == {} and session.config == {}


def test_node_errors_carry_the_node_and_the_users_traceback(session):
    ns: dict = {}
    session.register_cell("def boom(x: int) -> int:\n    return 1 // x\n", "m", ns)
    session.set_inputs(x=0)
    with pytest.raises(NodeExecutionError) as caught:
        session.execute(["boom"])
    assert caught.value.node == "boom"
    assert "return 1 // x" in caught.value.user_traceback
    assert "hamilton_nb" not in caught.value.user_traceback
    assert session.states()["boom"] == "error"


def test_observers_hear_about_graph_and_state_changes(session):
    events = []
    unsubscribe = session.subscribe(events.append)
    ns: dict = {}
    session.register_cell("def a(x: int) -> int:\n    return x\n", "m", ns)
    session.set_inputs(x=1)
    session.execute(["a"])
    kinds = [e.kind for e in events]
    assert kinds[0] == "graph" and "executed" in kinds and "node_finished" in kinds
    assert events[-1].kind == "states" and events[-1].states == {"a": "fresh"}
    unsubscribe()
    count = len(events)
    session.execute(["a"], inputs={"x": 2})
    assert len(events) == count
