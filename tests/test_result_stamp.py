"""What makes a shown result stale, and how the banner names it (the session alone, no IPython)."""
from __future__ import annotations

import pandas as pd
import pytest

from hamilton_nb.execution.result_stamp import changes, reread_globals, stamp
from hamilton_nb.session import Session

FEATURES = '''
import pandas as pd

def doubled(spend: pd.Series) -> pd.Series:
    return spend * 2

def scaled(spend: pd.Series) -> pd.Series:
    return spend * FACTOR

def ratio(doubled: pd.Series, scaled: pd.Series) -> pd.Series:
    return doubled / scaled

def with_rate(spend: pd.Series, rate: float) -> pd.Series:
    return spend * rate
'''
OTHER = '''
import pandas as pd

def shifted(spend: pd.Series) -> pd.Series:
    return spend + 1
'''


@pytest.fixture
def nb():
    session, ns = Session(), {"FACTOR": 10}
    session.register_cell(FEATURES, "features", ns)
    session.register_cell(OTHER, "other", ns)
    session.set_inputs(spend=pd.Series([1.0, 2, 3]))
    session.set_config(rate=2.0)
    return session, ns


def shown(session, outputs, **call):
    """Execute ``outputs`` and stamp the result, as a notebook does when a cell displays it."""
    session.execute(outputs, **call)
    return stamp(session, outputs, call.get("inputs"), call.get("overrides"))


def why(session, result):
    reread_globals(session, [result])
    return list(changes(session, result).reasons)


def test_a_fresh_result_has_nothing_to_say(nb):
    session, _ = nb
    result = shown(session, ["ratio", "shifted"])
    assert why(session, result) == []
    session.execute(["ratio"])  # executing again changes nothing it shows
    assert why(session, result) == []


def test_an_edited_function_is_named_with_its_module_and_nothing_downstream_is_blamed(nb):
    session, ns = nb
    result = shown(session, ["ratio"])
    session.register_cell(FEATURES.replace("spend * 2", "spend * 3"), "features", ns)
    assert why(session, result) == ["`doubled` changed in module `features`"]


def test_only_the_outputs_an_edit_reaches_are_stale(nb):
    session, ns = nb
    result = shown(session, ["ratio", "with_rate", "doubled"])
    session.register_cell(FEATURES.replace("spend * 2", "spend * 3"), "features", ns)
    reread_globals(session, [result])
    assert changes(session, result).outputs == ("ratio", "doubled")


def test_an_edit_elsewhere_leaves_the_result_fresh(nb):
    session, ns = nb
    result = shown(session, ["ratio"])
    session.register_cell(OTHER.replace("spend + 1", "spend + 2"), "other", ns)
    session.register_cell(FEATURES.replace("spend * rate", "spend * rate * 2"), "features", ns)
    assert why(session, result) == []


def test_a_changed_global_counts_once_globals_are_re_read(nb):
    session, ns = nb
    result = shown(session, ["ratio"])
    ns["FACTOR"] = 20
    assert why(session, result) == ["a global or helper that `scaled` reads (module `features`) changed"]
    ns["FACTOR"] = 10  # changed back: the values shown are right again
    assert why(session, result) == []
    ns["FACTOR"] = 30
    session.set_inputs(spend=pd.Series([5.0, 6, 7]))  # a changed input upstream hides neither cause
    assert why(session, result) == ["input `spend` changed",
                                    "a global or helper that `scaled` reads (module `features`) changed"]


def test_inputs_config_and_drops_are_named(nb):
    session, _ = nb
    rated, other = shown(session, ["with_rate"]), shown(session, ["shifted"])
    session.set_config(rate=3.0)
    assert why(session, rated) == ["config `rate` changed"]
    session.set_inputs(spend=pd.Series([5.0, 6, 7]))
    assert why(session, rated) == ["input `spend` changed", "config `rate` changed"]
    session.drop("other")
    assert why(session, other) == ["input `spend` changed", "`shifted` was removed from module `other`"]


def test_dropping_an_upstream_node_is_named(nb):
    session, _ = nb
    result = shown(session, ["ratio"])
    session.drop("doubled")
    assert "`doubled` was removed from module `features`" in why(session, result)


def test_call_inputs_and_overrides_are_part_of_what_was_shown(nb):
    session, ns = nb
    with_call = shown(session, ["ratio"], inputs={"spend": pd.Series([4.0, 5, 6])},
                      overrides={"doubled": pd.Series([1.0, 1, 1])})
    session.set_inputs(spend=pd.Series([7.0, 8, 9]))  # the call gave its own spend
    assert why(session, with_call) == []
    assert session.states()["ratio"] == "not computed"  # a what-if result is not cached as the session's own
    session.register_cell(FEATURES.replace("spend * 2", "spend * 3"), "features", ns)
    assert why(session, with_call) == []  # doubled was overridden: its code did not count
    ns["FACTOR"] = 3
    assert why(session, with_call) == ["a global or helper that `scaled` reads (module `features`) changed"]


def test_checking_leaves_the_session_states_as_they_were(nb):
    session, _ = nb
    session.execute(["ratio"])
    with_call = stamp(session, ["ratio"], {"spend": pd.Series([4.0, 5, 6])}, None)
    before = session.states()
    why(session, with_call)
    assert session.states() == before == {**before, "ratio": "fresh"}


def test_a_reset_is_named_once_and_a_removal_by_its_node(nb):
    session, ns = nb
    result = shown(session, ["shifted"])
    session.drop("features")  # `spend` is now read by `shifted` alone
    session.register_cell(OTHER.replace("(spend: pd.Series)", "()").replace("spend + 1", "pd.Series([1.0])"),
                          "other", ns)  # and now by nobody: the edit, not the input, is the cause
    assert "spend" not in session.graph.dag
    assert why(session, result) == ["`shifted` changed in module `other`"]
    session.reset()
    assert why(session, result) == ["the session was reset"]
