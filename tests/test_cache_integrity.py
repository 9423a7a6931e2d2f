"""Cached values are never corrupted: not by nodes mutating their inputs, not by users mutating
results, not by a Ctrl-C in the middle of an execute.

Series are shared read-only between nodes (a write raises; a rebinding mutation such as
``x *= 2`` is detected and undone) and reported as an error naming the node and the fix.
DataFrames are handed out as copy-on-write shallow copies, so a node may change its copy.
"""
from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from hamilton_nb.errors import NodeExecutionError
from hamilton_nb.session import Session

X = [1.0, 2.0, 3.0]


def session_with(source: str, **inputs) -> Session:
    session = Session()
    namespace: dict = {}
    exec("import pandas as pd", namespace)
    session.register_cell(textwrap.dedent(source), "cell", namespace)
    session.set_inputs(inputs)
    return session


def entry(session: Session, name: str):
    return session.engine.cache.get(name)


# ---- nodes mutating a Series they were given ------------------------------------------------

SERIES_MUTATIONS = [
    "s.iloc[0] = 0",
    "s[0] = 5",
    "s.loc[1] = 7",
    "s.fillna(0, inplace=True)",
    "s.clip(0, 1, inplace=True)",
    "s.update(pd.Series([9.0], index=[0]))",
    "s *= 2",
    "s += 1",
    "s.values[0] = 9",
    "s.to_numpy()[0] = 9",
    "s.array[0] = 9",
    "s.index = [5, 6, 7]",
    "s.name = 'renamed'",
    "s.rename('renamed', inplace=True)",
    "s.reset_index(drop=True, inplace=True)",
]


def mutating_module(mutation: str, target: str) -> str:
    return f"""
        def base(x: pd.Series) -> pd.Series:
            return x + 1

        def good(base: pd.Series, x: pd.Series) -> pd.Series:
            return base * 10 + x

        def bad({target}: pd.Series) -> pd.Series:
            s = {target}
            {mutation}
            return s * 1
    """


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
@pytest.mark.parametrize("target", ["base", "x"], ids=["cached intermediate", "external input"])
@pytest.mark.parametrize("mutation", SERIES_MUTATIONS)
def test_a_node_mutating_a_shared_series_is_reported_and_corrupts_nothing(mutation, target):
    import warnings

    warnings.simplefilter("ignore")  # pandas deprecates some inplace= spellings
    session = session_with(mutating_module(mutation, target), x=pd.Series(X))
    session.execute(["good"])
    base, x = entry(session, "base").value, session.inputs["x"]
    with pytest.raises(NodeExecutionError) as info:
        session.execute(["bad"])
    message = str(info.value)
    assert "`bad`" in message and "in place" in message and "Fix:" in message
    assert session.states()["bad"] == "error"
    # nobody else sees the change: not the cache, not the input, not a node computed afterwards
    assert entry(session, "base").value is base
    for value, expected in ((base, [2.0, 3.0, 4.0]), (x, X)):
        assert value.tolist() == expected and list(value.index) == [0, 1, 2] and value.name is None
    frame = session.execute(["good"])
    assert session.last_report.computed == {}
    assert frame["good"].tolist() == [21.0, 32.0, 43.0]
    session.reset(cache_only=True)
    assert session.execute(["good"])["good"].tolist() == [21.0, 32.0, 43.0]


def test_a_node_that_mutates_then_raises_leaves_its_input_intact():
    session = session_with("""
        def base(x: pd.Series) -> pd.Series:
            return x + 1

        def bad(base: pd.Series) -> pd.Series:
            base *= 2
            raise ValueError("late")
    """, x=pd.Series(X))
    session.execute(["base"])
    with pytest.raises(NodeExecutionError, match="ValueError: late"):
        session.execute(["bad"])
    assert entry(session, "base").value.tolist() == [2.0, 3.0, 4.0]


# ---- DataFrames: each node gets its own copy-on-write view ------------------------------------

FRAME_MUTATIONS = [
    "df['a'] = 0.0",
    "df['new'] = 1.0",
    "df.loc[0, 'a'] = 9.0",
    "df.iloc[0, 1] = 9.0",
    "df.drop(columns=['b'], inplace=True)",
    "df.rename(columns={'a': 'z'}, inplace=True)",
    "df.index = [7, 8, 9]",
    "df.fillna(0, inplace=True)",
    "df *= 2",
    "df.values[0, 0] = 9.0",
    "df.pop('a')",
    "del df['b']",
]


@pytest.mark.parametrize("source", ["frame", "made"], ids=["DataFrame input", "DataFrame node"])
@pytest.mark.parametrize("mutation", FRAME_MUTATIONS)
def test_a_node_changing_its_dataframe_never_changes_what_others_see(mutation, source):
    import warnings

    warnings.simplefilter("ignore")
    session = session_with(f"""
        def made(frame: pd.DataFrame) -> pd.DataFrame:
            return frame * 1

        def first(made: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
            return made["a"] + frame["b"]

        def changer({source}: pd.DataFrame) -> pd.Series:
            df = {source}
            {mutation}
            return pd.Series([1.0, 2.0, 3.0])

        def later(made: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
            return made["a"] + frame["b"]
    """, frame=pd.DataFrame({"a": X, "b": [10.0, 20.0, 30.0]}))
    session.execute(["first"])
    made = entry(session, "made").value
    try:
        session.execute(["changer", "later"])
    except NodeExecutionError as exc:  # refusing the write is fine too, if it says so
        assert "`changer`" in str(exc) and "in place" in str(exc)
        session.execute(["later"])
    original = pd.DataFrame({"a": X, "b": [10.0, 20.0, 30.0]})
    pd.testing.assert_frame_equal(session.inputs["frame"], original)
    pd.testing.assert_frame_equal(made, original)
    assert entry(session, "made").value is made
    assert entry(session, "later").value.tolist() == [11.0, 22.0, 33.0]


# ---- users mutating what execute returned ------------------------------------------------------

MODULE = """
    def doubled(x: pd.Series) -> pd.Series:
        return x * 2

    def table(doubled: pd.Series) -> pd.DataFrame:
        return pd.DataFrame({"d": doubled, "e": doubled + 1})

    def total(doubled: pd.Series) -> float:
        return float(doubled.sum())

    def settings_(doubled: pd.Series) -> dict:
        return {"n": len(doubled), "nested": {"k": 1}}
"""


@pytest.mark.parametrize("edit", [
    "out.iloc[0, 0] = 100.0",
    "out.loc[1, 'doubled'] = 100.0",
    "out['doubled'] *= 3",
    "out['new'] = 1",
    "out.drop(columns=['doubled'], inplace=True)",
    "out['doubled'].iloc[0] = 100.0",
    "out.columns = ['p', 'q']",
    "out.index = [7, 8, 9]",
])
def test_a_user_mutating_the_returned_dataframe_does_not_change_the_cache(edit):
    session = session_with(MODULE.replace("settings_", "_settings"), x=pd.Series(X))
    out = session.execute(["doubled", "total"])
    cached = entry(session, "doubled").value
    exec(edit, {"out": out})
    again = session.execute(["doubled", "total"])
    assert session.last_report.computed == {}
    assert again["doubled"].tolist() == [2.0, 4.0, 6.0] and list(again.columns) == ["doubled", "total"]
    assert cached.tolist() == [2.0, 4.0, 6.0] and entry(session, "doubled").value is cached


def test_a_user_mutating_a_returned_dataframe_node_does_not_change_the_cache():
    session = session_with(MODULE.replace("settings_", "_settings"), x=pd.Series(X))
    out = session.execute(["table"])
    out.iloc[0, 0] = 100.0
    out["z"] = 0
    assert session.execute(["table"])["d"].tolist() == [2.0, 4.0, 6.0]
    assert list(entry(session, "table").value.columns) == ["d", "e"]
    assert session.execute(["doubled", "table"], result="dict")["table"].shape == (3, 2)


def test_a_user_mutating_a_dict_result_does_not_change_the_cache():
    session = session_with(MODULE.replace("settings_", "_settings"), x=pd.Series(X))
    out = session.execute(["doubled", "table"], result="dict")
    out["doubled"].iloc[0] = 100.0
    out["table"].loc[0, "d"] = 100.0
    out["table"]["z"] = 0
    out["doubled"] = None
    again = session.execute(["doubled", "table"], result="dict")
    assert again["doubled"].tolist() == [2.0, 4.0, 6.0]
    assert again["table"]["d"].tolist() == [2.0, 4.0, 6.0] and list(again["table"].columns) == ["d", "e"]


def test_a_user_mutating_a_returned_dict_value_does_not_change_the_cache():
    session = session_with(MODULE, x=pd.Series(X))
    out = session.execute(["settings_"], result="dict")
    out["settings_"]["n"] = 99
    out["settings_"]["nested"]["k"] = 99
    assert session.execute(["settings_"], result="dict")["settings_"] == {"n": 3, "nested": {"k": 1}}


def test_values_the_user_bound_or_overrode_are_snapshotted():
    session = session_with(MODULE.replace("settings_", "_settings"), x=pd.Series(X))
    x = pd.Series(X)
    session.set_inputs(x=x)
    x.iloc[0] = 50.0  # the notebook variable changes; the bound input does not
    assert session.execute(["doubled"])["doubled"].tolist() == [2.0, 4.0, 6.0]
    override = pd.Series([1.0, 1.0, 1.0])
    assert session.execute(["total"], overrides={"doubled": override})["total"].tolist() == [3.0]
    override.iloc[0] = 5.0  # the same object, changed: a new override value
    assert session.execute(["total"], overrides={"doubled": override})["total"].tolist() == [7.0]
    assert session.last_report.computed.keys() == {"total"}


# ---- Ctrl-C in the middle of an execute ---------------------------------------------------------

def test_keyboard_interrupt_keeps_finished_nodes_and_the_next_execute_completes():
    stop = [True]
    session = Session()
    namespace = {"stop": stop}
    exec("import pandas as pd", namespace)
    session.register_cell(textwrap.dedent("""
        def a(x: pd.Series) -> pd.Series:
            return x + 1

        def b(a: pd.Series) -> pd.Series:
            return a * 2

        def slow(b: pd.Series) -> pd.Series:
            b *= 3  # a rebinding mutation before the interrupt must be undone too
            if stop[0]:
                raise KeyboardInterrupt
            return b

        def after(slow: pd.Series) -> pd.Series:
            return slow + 1
    """).replace("b *= 3", "b = b * 3"), "cell", namespace)
    session.set_inputs(x=pd.Series(X))
    with pytest.raises(KeyboardInterrupt) as info:
        session.execute(["after"])
    assert "`slow`" in str(info.value)
    states = session.states()
    assert states["a"] == states["b"] == "fresh"
    assert states["slow"] == "not computed" and states["after"] == "not computed"
    assert not session.engine.running and "slow" not in session.engine.errors
    assert entry(session, "b").value.tolist() == [4.0, 6.0, 8.0]
    stop[0] = False
    frame = session.execute(["after"])
    assert set(session.last_report.computed) == {"slow", "after"}
    assert frame["after"].tolist() == [13.0, 19.0, 25.0]
    assert set(session.states().values()) == {"input", "fresh"}


def test_keyboard_interrupt_after_an_in_place_rebinding_restores_the_input():
    session = session_with("""
        def a(x: pd.Series) -> pd.Series:
            return x + 1

        def halt(a: pd.Series) -> pd.Series:
            a *= 3
            raise KeyboardInterrupt
    """, x=pd.Series(X))
    session.execute(["a"])
    with pytest.raises(KeyboardInterrupt):
        session.execute(["halt"])
    assert entry(session, "a").value.tolist() == [2.0, 3.0, 4.0]
    assert session.states()["halt"] == "not computed"
