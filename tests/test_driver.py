"""The seed's Driver: execute only what is needed, once; results; errors; lineage; caching."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hamilton_nb import driver
from hamilton_nb.errors import InputError, NodeExecutionError, ResultError
from modules import counted

REPO = Path(__file__).resolve().parents[1]
NODES = ["clean_spend", "spend", "signups", "spend_per_signup", "avg_3wk_spend", "signups_doubled",
         "unrelated"]


def raw_inputs(**changes):
    values = {"raw_spend": pd.Series([10.0, 10, 20, 40, 40, 50]),
              "raw_signups": pd.Series([1, 10, 50, 100, 200, 400])}
    return {**values, **changes}


@pytest.fixture
def dr():
    return driver.Driver(raw_inputs(), counted)


def assert_dependency_order(dr, ran):
    for i, name in enumerate(ran):
        assert not set(dr.what_is_downstream_of(name)) & set(ran[:i]), f"{name} ran after a dependent"


# ---- the paradigm end to end ------------------------------------------------------------------

def test_seed_example_gives_a_dataframe_of_the_requested_columns(make_module):
    my_functions = make_module("my_functions", '''
        import pandas as pd

        def avg_3wk_spend(spend: pd.Series) -> pd.Series:
            """Rolling 3 week average spend."""
            return spend.rolling(3).mean()

        def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
            """The cost per signup in relation to spend."""
            return spend / signups
    ''')
    spend, signups = pd.Series([10, 10, 20, 40, 40, 50]), pd.Series([1, 10, 50, 100, 200, 400])
    dr = driver.Driver({"signups": signups, "spend": spend, "C": 3}, my_functions)
    df = dr.execute(["spend", "signups", "avg_3wk_spend", "spend_per_signup", "C"])
    expected = pd.DataFrame({"spend": spend, "signups": signups, "avg_3wk_spend": spend.rolling(3).mean(),
                             "spend_per_signup": spend / signups, "C": 3})
    pd.testing.assert_frame_equal(df, expected)


def test_external_inputs_come_from_config_or_execute_inputs():
    assert driver.Driver({}, counted).execute(["signups"], inputs=raw_inputs())["signups"].iloc[-1] == 400
    dr = driver.Driver(raw_inputs(), counted)
    new = pd.Series([2, 20, 100, 200, 400, 800])
    assert dr.execute(["signups"], inputs={"raw_signups": new})["signups"].iloc[-1] == 800  # inputs win
    assert dr.execute(["signups"])["signups"].iloc[-1] == 400  # ... for that call only


@pytest.mark.parametrize("requested, ran", [
    (["avg_3wk_spend"], ["clean_spend", "spend", "avg_3wk_spend"]),
    (["signups_doubled"], ["signups", "signups_doubled"]),
    (["spend_per_signup"], ["clean_spend", "spend", "signups", "spend_per_signup"]),
    (["spend_per_signup", "avg_3wk_spend", "signups_doubled"], NODES[:-1]),
    (NODES, NODES),
])
def test_execute_runs_only_the_upstream_closure_each_node_once_in_order(dr, calls, requested, ran):
    df = dr.execute(requested)
    assert list(df.columns) == requested
    assert sorted(calls) == sorted(ran)  # nothing outside the closure, nothing twice
    assert_dependency_order(dr, calls)
    assert set(dr.last_report.computed) == set(ran)


def test_inputs_the_requested_outputs_do_not_need_may_be_missing():
    dr = driver.Driver({"raw_spend": raw_inputs()["raw_spend"]}, counted)  # no raw_signups
    assert list(dr.execute(["avg_3wk_spend"]).columns) == ["avg_3wk_spend"]


# ---- overrides ----------------------------------------------------------------------------------

@pytest.mark.parametrize("requested, overridden, ran", [
    # spend is given: clean_spend, which only spend needed, is skipped
    (["spend_per_signup", "avg_3wk_spend"], ["spend"], ["signups", "spend_per_signup", "avg_3wk_spend"]),
    # clean_spend is still needed by a requested output: it runs, once
    (["spend_per_signup", "clean_spend"], ["spend"], ["signups", "spend_per_signup", "clean_spend"]),
    (["spend_per_signup"], ["spend", "signups"], ["spend_per_signup"]),
    (["spend_per_signup"], ["spend_per_signup"], []),
])
def test_overrides_skip_the_node_and_what_only_it_needed(dr, calls, requested, overridden, ran):
    dr.execute(requested, overrides={name: pd.Series([1.0] * 6) for name in overridden})
    assert sorted(calls) == sorted(ran)


def test_overridden_values_are_used_and_inputs_only_they_needed_may_be_missing():
    dr = driver.Driver({"raw_signups": raw_inputs()["raw_signups"]}, counted)  # no raw_spend
    df = dr.execute(["spend_per_signup", "avg_3wk_spend"], overrides={"spend": pd.Series([3.0] * 6)})
    assert df["spend_per_signup"].tolist() == (3.0 / raw_inputs()["raw_signups"]).tolist()
    assert df["avg_3wk_spend"].tolist()[2:] == [3.0] * 4
    given = pd.Series([7.0] * 6)
    df = dr.execute(["spend_per_signup"], overrides={"spend_per_signup": given})
    assert df["spend_per_signup"].equals(given)


def test_an_override_does_not_leak_into_later_executes(dr, calls):
    overridden = dr.execute(["spend_per_signup"], overrides={"spend": pd.Series([0.0] * 6)})
    assert overridden["spend_per_signup"].sum() == 0
    df = dr.execute(["spend_per_signup"])
    raw = raw_inputs()
    assert df["spend_per_signup"].tolist() == (raw["raw_spend"] / raw["raw_signups"]).tolist()


# ---- optional parameters -------------------------------------------------------------------------

@pytest.fixture
def scaling(make_module):
    return make_module("scaling", """
        import pandas as pd

        def scaled(spend: pd.Series, factor: float = 2.0) -> pd.Series:
            return spend * factor
    """)


@pytest.mark.parametrize("config, inputs, first", [
    ({}, {}, 2.0),                    # missing: the default is used
    ({"factor": 10}, {}, 10.0),
    ({"factor": 10}, {"factor": 100.0}, 100.0),
])
def test_parameters_with_defaults_are_optional_dependencies(scaling, config, inputs, first):
    dr = driver.Driver({"spend": pd.Series([1.0, 2.0]), **config}, scaling)
    dr.validate_execution(["scaled"], inputs=inputs)
    assert dr.execute(["scaled"], inputs=inputs)["scaled"].iloc[0] == first
    assert {"factor", "spend"} <= {v["name"] for v in dr.list_available_variables() if v["is_external_input"]}


def test_a_function_can_feed_an_optional_parameter(scaling, make_module):
    factor = make_module("factor_mod", "def factor() -> float:\n    return 5.0")
    dr = driver.Driver({"spend": pd.Series([1.0, 2.0])}, scaling, factor)
    assert dr.execute(["scaled"])["scaled"].tolist() == [5.0, 10.0]


# ---- result builders ---------------------------------------------------------------------------

@pytest.fixture
def shapes(make_module):
    return make_module("shapes", """
        import pandas as pd

        def weekly(spend: pd.Series) -> pd.Series:
            return spend * 2

        def total(spend: pd.Series) -> float:
            return float(spend.sum())

        def label(total: float) -> str:
            return f"total {total:g}"

        def first_two(spend: pd.Series) -> pd.Series:
            return spend.head(2).reset_index(drop=True)

        def frame(spend: pd.Series) -> pd.DataFrame:
            return pd.DataFrame({"a": spend, "b": spend + 1})
    """)


@pytest.fixture
def dated_spend():
    return pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2025-01-06", periods=3, freq="W-MON"))


def test_series_are_aligned_on_their_index_and_scalars_broadcast(shapes, dated_spend):
    df = driver.Driver({"spend": dated_spend}, shapes).execute(["spend", "weekly", "total", "label"])
    assert df.index.equals(dated_spend.index)
    assert df["weekly"].tolist() == [2.0, 4.0, 6.0]
    assert df["total"].tolist() == [6.0] * 3 and df["label"].tolist() == ["total 6"] * 3


def test_only_scalars_make_one_row(shapes, dated_spend):
    df = driver.Driver({"spend": dated_spend}, shapes).execute(["total", "label"])
    assert df.to_dict("records") == [{"total": 6.0, "label": "total 6"}]


def test_dataframe_outputs_become_columns(shapes, dated_spend):
    dr = driver.Driver({"spend": dated_spend}, shapes)
    expected = pd.DataFrame({"a": dated_spend, "b": dated_spend + 1})
    pd.testing.assert_frame_equal(dr.execute(["frame"]), expected)
    # beside other outputs a frame's columns are named `frame.a`, as Apache Hamilton names them
    assert list(dr.execute(["weekly", "frame"]).columns) == ["weekly", "frame.a", "frame.b"]


def test_outputs_on_different_indexes_are_a_clear_error(shapes, dated_spend):
    dr = driver.Driver({"spend": dated_spend}, shapes)
    with pytest.raises(ResultError) as info:
        dr.execute(["weekly", "first_two"])
    message = str(info.value)
    assert "`first_two`" in message and "`weekly`" in message and "indexes differ" in message
    assert "Fix:" in message and "dict" in message
    assert list(dr.raw_execute(["weekly", "first_two"])) == ["weekly", "first_two"]  # the suggested way out


def test_dict_results(shapes, dated_spend):
    as_dict = driver.Driver({"spend": dated_spend}, shapes, result="dict").execute(["weekly", "total"])
    assert list(as_dict) == ["weekly", "total"]
    assert as_dict["total"] == 6.0 and as_dict["weekly"].index.equals(dated_spend.index)
    raw = driver.Driver({"spend": dated_spend}, shapes).raw_execute(["total", "first_two"])
    assert raw["total"] == 6.0 and raw["first_two"].tolist() == [1.0, 2.0]


def test_unknown_result_kind_is_refused(shapes):
    with pytest.raises(ValueError, match="dataframe"):
        driver.Driver({}, shapes, result="polars-ish")


# ---- execution errors --------------------------------------------------------------------------

def test_missing_inputs_are_reported_all_at_once_with_who_needs_them(calls):
    dr = driver.Driver({}, counted)
    for attempt in (dr.execute, dr.validate_execution):
        with pytest.raises(InputError) as info:
            attempt(["spend_per_signup", "avg_3wk_spend"])
        message = str(info.value)
        assert re.search(r"raw_spend\s+\(needed by clean_spend\)", message)
        assert re.search(r"raw_signups\s+\(needed by signups", message)
        fix = message.split("Fix:")[1]
        assert "execute(..., inputs={'raw_spend': ..., 'raw_signups': ...})" in fix
        assert "Driver({'raw_spend'" in fix and "with_config(" in fix  # the driver's own ways
        assert "%hamilton" not in message  # no notebook magic in a script
    with pytest.raises(InputError) as info:
        driver.Builder().with_modules(counted).build().execute(["clean_spend"])
    assert "inputs={'raw_spend': ...}" in str(info.value) and "%hamilton" not in str(info.value)
    assert calls == []


def test_missing_input_names_only_the_nodes_that_need_it_now():
    with pytest.raises(InputError) as info:
        driver.Driver({}, counted).execute(["signups"])
    assert "unrelated" not in str(info.value)


def test_requesting_an_unsupplied_input_reports_it_missing():
    dr = driver.Driver({"raw_signups": raw_inputs()["raw_signups"]}, counted)
    with pytest.raises(InputError, match="raw_spend"):
        dr.execute(["raw_spend", "signups"])


@pytest.mark.parametrize("call", [
    lambda dr: dr.execute(["spend_per_signp"]),
    lambda dr: dr.execute(["spend"], overrides={"spend_per_signp": 1}),
    lambda dr: dr.validate_execution(["spend_per_signp"]),
    lambda dr: dr.what_is_upstream_of("spend_per_signp"),
])
def test_unknown_names_suggest_the_close_one(dr, call):
    with pytest.raises(InputError, match=r"Unknown .*`spend_per_signp`.*Did you mean `spend_per_signup`"):
        call(dr)


def test_a_failing_function_is_named_with_its_module_and_traceback(make_module):
    mod = make_module("fragile", """
        import pandas as pd

        def ratio(spend: pd.Series) -> pd.Series:
            return spend / undefined_name
    """)
    with pytest.raises(NodeExecutionError) as info:
        driver.Driver({"spend": pd.Series([1.0])}, mod).execute(["ratio"])
    message = str(info.value)
    assert "`ratio` (module `fragile`) raised NameError" in message and "Fix:" in message
    assert "fragile.py" in info.value.user_traceback and "undefined_name" in info.value.user_traceback
    assert info.value.node == "ratio"


# ---- lineage and introspection ------------------------------------------------------------------

def test_list_available_variables(dr):
    found = {v["name"]: v for v in dr.list_available_variables()}
    assert set(found) == set(NODES) | {"raw_spend", "raw_signups"}
    fields = {"name", "type", "doc", "tags", "origin", "is_external_input"}
    assert all(set(v) == fields for v in found.values())
    assert found["spend_per_signup"] == {
        "name": "spend_per_signup", "type": pd.Series, "doc": "The cost per signup in relation to spend.",
        "tags": {}, "origin": "modules.counted", "is_external_input": False}
    assert found["raw_spend"]["is_external_input"] and found["raw_spend"]["type"] is pd.Series


def test_lineage_queries(dr):
    assert dr.what_is_upstream_of("spend_per_signup") == [
        "clean_spend", "raw_signups", "raw_spend", "signups", "spend"]
    assert dr.what_is_upstream_of("avg_3wk_spend", "signups_doubled") == [
        "clean_spend", "raw_signups", "raw_spend", "signups", "spend"]
    assert dr.what_is_downstream_of("signups") == ["signups_doubled", "spend_per_signup"]
    assert dr.what_is_downstream_of("raw_signups") == [
        "signups", "signups_doubled", "spend_per_signup", "unrelated"]
    assert dr.what_is_the_path_between("raw_spend", "spend_per_signup") == [
        "clean_spend", "raw_spend", "spend", "spend_per_signup"]
    assert dr.what_is_the_path_between("signups", "avg_3wk_spend") == []


def test_validate_execution_accepts_what_execute_accepts_and_computes_nothing(calls):
    dr = driver.Driver({"raw_signups": raw_inputs()["raw_signups"], "C": 3}, counted)
    dr.validate_execution(["spend_per_signup"], inputs={"raw_spend": raw_inputs()["raw_spend"]})
    dr.validate_execution(["spend_per_signup"], overrides={"spend": pd.Series([1.0] * 6)})
    dr.validate_execution(["signups", "C"])  # a config value nobody uses can still be asked for
    assert calls == []
    with pytest.raises(InputError, match=r"raw_spend\s+\(needed by clean_spend\)"):
        dr.validate_execution(["spend_per_signup"])
    with pytest.raises(InputError, match="raw_spend"):
        dr.validate_execution(["raw_spend"])  # a requested input must be supplied too


# ---- caching -----------------------------------------------------------------------------------

def test_executing_again_reuses_every_value(dr, calls):
    first = dr.execute(["spend_per_signup", "avg_3wk_spend"])
    ran = list(calls)
    second = dr.execute(["spend_per_signup", "avg_3wk_spend"])
    assert dr.last_report.computed == {}
    assert calls == ran
    pd.testing.assert_frame_equal(first, second)
    assert dr.raw_execute(["spend_per_signup"])["spend_per_signup"].equals(first["spend_per_signup"])
    assert dr.last_report.computed == {} and calls == ran


def test_changing_an_input_recomputes_exactly_what_is_downstream(dr, calls):
    requested = ["spend_per_signup", "avg_3wk_spend", "signups_doubled"]
    dr.execute(requested)
    calls.clear()
    new = raw_inputs(raw_signups=pd.Series([2, 20, 100, 200, 400, 800]))
    df = dr.execute(requested, inputs=new)
    assert set(dr.last_report.computed) == {"signups", "spend_per_signup", "signups_doubled"}
    assert sorted(calls) == sorted(dr.last_report.computed)
    assert df["signups_doubled"].iloc[0] == 4
    calls.clear()
    equal_data = raw_inputs(raw_signups=new["raw_signups"].copy())
    dr.execute(requested, inputs=equal_data)  # a new object with equal data: nothing is stale
    assert dr.last_report.computed == {} and calls == []


# ---- the shipped examples ------------------------------------------------------------------------

def run_python(script: Path, cwd: Path) -> str:
    done = subprocess.run([sys.executable, script.name], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_hello_world_example_runs():
    out = run_python(REPO / "examples/hello_world/run.py", REPO / "examples/hello_world")
    header, *rows = out.strip().splitlines()
    assert header.split() == ["year", "week", "spend", "signups", "avg_3wk_spend", "spend_per_signup",
                              "spend_shift_3weeks", "spend_shift_3weeks_per_signup", "special_feature"]
    assert len(rows) == 6


def test_readme_quick_start_works_when_pasted(tmp_path):
    readme = (REPO / "README.md").read_text()
    section = readme.split("### In a script", 1)[1].split("\n### ", 1)[0]
    functions, script = re.findall(r"```python\n(.*?)```", section, re.S)
    assert functions.startswith("# my_functions.py")
    (tmp_path / "my_functions.py").write_text(functions)
    (tmp_path / "quick_start.py").write_text(script)
    out = run_python(tmp_path / "quick_start.py", tmp_path)
    header, *rows = out.strip().splitlines()
    assert header.split() == ["spend", "signups", "avg_3wk_spend", "spend_per_signup"]
    assert rows[-1].split() == ["5", "50", "400", "43.333333", "0.125"]


# ---- Apache Hamilton's Builder and spelling ----------------------------------------------------

def test_the_builder_chain_makes_the_same_driver(calls):
    import hamilton_nb

    built = driver.Builder().with_modules(counted).with_config(raw_inputs()).build()
    assert isinstance(built, hamilton_nb.Driver) and hamilton_nb.Driver is driver.Driver
    # a dict, as Apache Hamilton's Builder gives without a result adapter
    as_frame = driver.Driver(raw_inputs(), counted).execute(["spend_per_signup"])
    pd.testing.assert_series_equal(built.execute(["spend_per_signup"])["spend_per_signup"],
                                   as_frame["spend_per_signup"], check_names=False)
    assert driver.Builder().with_modules(counted).with_config(raw_inputs()).enable_dynamic_execution(
        allow_experimental_mode=True).build().execute(["signups"])["signups"].iloc[-1] == 400


def test_builder_result_adapters_choose_the_result_and_others_are_refused():
    base = pytest.importorskip("hamilton.base")
    as_dict = driver.Builder().with_modules(counted).with_config(raw_inputs()).with_adapters(
        base.SimplePythonGraphAdapter(base.DictResult())).build()
    assert set(as_dict.execute(["signups", "spend"])) == {"signups", "spend"}

    class LoggingAdapter:
        pass

    with pytest.raises(ValueError, match=r"(?s)with_adapters\(LoggingAdapter\).*Fix: drop the adapter"):
        driver.Builder().with_adapters(LoggingAdapter())
    with pytest.raises(ValueError, match='executor="threads"'):
        driver.Builder().with_modules(counted).with_local_executor(object())


def test_builder_with_cache_keeps_values_on_disk(tmp_path, calls):
    def build():
        return driver.Builder().with_modules(counted).with_config(raw_inputs()).with_cache(
            path=str(tmp_path / "cache")).build()

    first = build()
    first.execute(["spend_per_signup"])
    first.session.engine.persistent.flush()  # writes happen in the background
    second = build()
    second.session.verification.loaded_budget = 0
    second.execute(["spend_per_signup"])
    assert "spend_per_signup" in second.last_report.loaded
    with pytest.raises(ValueError, match="takes only a directory"):
        driver.Builder().with_cache(path=str(tmp_path), recompute=True)


def test_a_warning_on_a_value_computed_from_an_override_is_kept(make_module):
    typed = make_module("typed_override", '''
        import pandas as pd

        def doubled(spend: pd.Series) -> pd.Series:
            return spend * 2

        def total(doubled: pd.Series) -> float:
            return doubled.iloc[0]
    ''')
    dr = driver.Driver({"spend": pd.Series([1.0, 2.0])}, typed)
    dr.execute(["total"])
    assert dr.warnings == {}
    dr.execute(["total"], overrides={"doubled": pd.Series(["a", "b"])})  # a str under a float hint
    assert any("computed from overrides: return type" in note for note in dr.warnings.get("total", [])), dr.warnings
    dr.execute(["total"])
    assert dr.warnings == {}  # the what-if lasted one execute
