"""Function modifiers (issue 5): our own semantics, independent of Apache Hamilton."""
from __future__ import annotations

import logging
import re
import typing

import numpy as np
import pandas as pd
import pytest

from hamilton_nb import driver
from hamilton_nb.errors import GraphError, HamiltonError, NodeExecutionError
from hamilton_nb.function_modifiers import (
    InvalidDecoratorError, MissingColumnError, MissingFieldError, check_output, config, extract_columns,
    extract_fields, parameterize, parameterize_sources, parameterize_values, source, tag, value)
from hamilton_nb.function_modifiers.nodes import nodes_from_functions
from hamilton_nb.graph.build import MODIFIERS_ATTR
from hamilton_nb.session import Session

HEADER = '''
import typing
import numpy as np
import pandas as pd
from hamilton_nb.function_modifiers import (check_output, config, extract_columns, extract_fields,
    parameterize, parameterize_sources, parameterize_values, source, tag, value)
from modules import calls
'''

SPEND = pd.Series([10.0, 10, 20, 40, 40, 50])
SIGNUPS = pd.Series([1.0, 10, 50, 100, 200, 400])


def misused(make):
    """Apply a decorator built with wrong arguments; its error must name the function."""
    def victim(x: int) -> int:
        return x

    with pytest.raises(InvalidDecoratorError) as info:
        make()(victim)
    assert str(info.value).startswith("On `victim` (line ")
    return str(info.value)


def nodes_of(*functions, config=None, module="m"):
    return {n.name: n for n in nodes_from_functions(functions, module, config or {})}


def new_session(source_text: str, module: str = "features", **inputs) -> Session:
    session = Session()
    session.register_cell(HEADER + source_text, module, {})
    session.set_inputs(spend=SPEND, signups=SIGNUPS, **inputs)
    return session


def ran(session: Session) -> set[str]:
    return set(session.last_report.computed)


# ---- decorators stay ordinary functions ----------------------------------------------------------
def test_decorators_return_the_same_callable_function():
    def plain(a: int) -> int:
        return a + 1

    decorated = tag(owner="me")(parameterize(two={"a": value(1)})(plain))
    assert decorated is plain
    assert decorated(2) == 3
    assert [type(m).__name__ for m in getattr(plain, MODIFIERS_ATTR)] == ["parameterize", "tag"]


def test_decorating_a_non_function_is_a_clear_error():
    with pytest.raises(InvalidDecoratorError, match="decorates functions"):
        tag(a="b")(type("NotAFunction", (), {}))


def test_modifier_lists_are_not_shared_between_wrapped_copies():
    import functools

    @tag(a="x")
    def one(a: int) -> int:
        return a

    @functools.wraps(one)
    def two(a: int) -> int:
        return a

    tag(b="y")(two)
    assert len(getattr(one, MODIFIERS_ATTR)) == 1 and len(getattr(two, MODIFIERS_ATTR)) == 2


# ---- @extract_columns ----------------------------------------------------------------------------
def test_extract_columns_makes_the_frame_node_and_one_series_node_per_column():
    @extract_columns("a", ("b", "Doc of b."))
    def frame(x: pd.Series) -> pd.DataFrame:
        """The frame."""
        return pd.DataFrame({"a": x, "b": x * 2})

    nodes = nodes_of(frame)
    assert list(nodes) == ["frame", "a", "b"]
    assert nodes["frame"].type is pd.DataFrame and nodes["a"].type is pd.Series
    assert nodes["a"].doc == "The frame." and nodes["b"].doc == "Doc of b."
    assert {d.node for d in nodes["b"].dependencies.values()} == {"frame"}
    assert nodes["a"].function is frame


def test_extract_columns_values_through_the_driver(make_module):
    module = make_module("ext_cols", HEADER + '''
@extract_columns("doubled", "tripled")
def multiples(spend: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"doubled": spend * 2, "tripled": spend * 3})

def total(doubled: pd.Series, tripled: pd.Series) -> pd.Series:
    return doubled + tripled
''')
    df = driver.Driver({"spend": SPEND}, module).execute(["doubled", "total"])
    pd.testing.assert_series_equal(df["total"], SPEND * 5, check_names=False)
    pd.testing.assert_series_equal(df["doubled"], SPEND * 2, check_names=False)


def test_a_missing_column_at_run_time_names_the_function_and_the_column(make_module):
    module = make_module("ext_missing", HEADER + '''
@extract_columns("a", "nope")
def frame(spend: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"a": spend})
''')
    dr = driver.Driver({"spend": SPEND}, module)
    assert list(dr.execute(["a"]).columns) == ["a"]  # the other column is fine
    with pytest.raises(NodeExecutionError) as info:
        dr.execute(["nope"])
    message = str(info.value)
    assert "`frame`" in message and "'nope'" in message and "MissingColumnError" in message
    assert "Fix:" in message and "'a'" in message  # lists the columns it does have


def test_the_column_getter_raises_a_keyerror_like_hamilton_error():
    @extract_columns("gone")
    def frame(x: pd.Series) -> pd.DataFrame:
        return pd.DataFrame({"here": x})

    getter = nodes_of(frame)["gone"].callable
    with pytest.raises(MissingColumnError) as info:
        getter(frame=pd.DataFrame({"here": [1]}))
    assert isinstance(info.value, KeyError) and isinstance(info.value, HamiltonError)
    assert str(info.value).startswith("`frame`")  # not repr-quoted like a bare KeyError


def test_fill_with_creates_missing_columns(make_module):
    module = make_module("ext_fill", HEADER + '''
@extract_columns("a", "b", fill_with=0)
def frame(spend: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"a": spend})
''')
    df = driver.Driver({"spend": SPEND}, module).execute(["a", "b"])
    assert df["b"].tolist() == [0] * len(SPEND)


@pytest.mark.parametrize("annotation", ["pd.Series", "int", "dict"])
def test_extract_columns_on_a_non_dataframe_is_a_clear_error(annotation):
    namespace = {"pd": pd}
    exec(f"def not_a_frame(x: int) -> {annotation}:\n    return x", namespace)
    fn = extract_columns("a")(namespace["not_a_frame"])
    with pytest.raises(GraphError) as info:
        nodes_of(fn)
    message = str(info.value)
    assert "@extract_columns on `not_a_frame`" in message and "Fix:" in message and "DataFrame" in message


@pytest.mark.parametrize("args, match", [
    ((), "no columns"),
    ((["a", "b"],), "unpack"),
    ((3,), "neither a name"),
    (("not valid",), "identifiers"),
])
def test_extract_columns_argument_mistakes(args, match):
    assert re.search(match, misused(lambda: extract_columns(*args)))


def test_extract_columns_that_clash_with_the_function_name_is_an_error():
    @extract_columns("frame")
    def frame(x: int) -> pd.DataFrame:
        return pd.DataFrame()

    with pytest.raises(GraphError, match="twice"):
        nodes_of(frame)


# ---- @extract_fields -----------------------------------------------------------------------------
def test_extract_fields_makes_one_typed_node_per_field(make_module):
    module = make_module("ext_fields", HEADER + '''
@extract_fields({"mean": float, "count": int})
def stats(spend: pd.Series) -> dict:
    return {"mean": float(spend.mean()), "count": int(spend.count())}

def mean_per_count(mean: float, count: int) -> float:
    return mean / count
''')
    dr = driver.Driver({"spend": SPEND}, module, result="dict")
    assert dr.graph.nodes["mean"].type is float and dr.graph.nodes["count"].type is int
    out = dr.execute(["mean", "count", "mean_per_count"])
    assert out == {"mean": SPEND.mean(), "count": 6, "mean_per_count": SPEND.mean() / 6}


class Stats(typing.TypedDict):
    mean: float
    count: int


def test_extract_fields_infers_types_from_the_annotation():
    @extract_fields()
    def typed() -> Stats:
        return {"mean": 1.0, "count": 1}

    @extract_fields(["x", "y"])
    def generic() -> dict[str, float]:
        return {"x": 1.0, "y": 2.0}

    nodes = nodes_of(typed, generic)
    assert nodes["mean"].type is float and nodes["count"].type is int
    assert nodes["x"].type is float and nodes["y"].type is float


def test_a_missing_field_at_run_time_names_the_function_and_field():
    @extract_fields({"there": int, "missing": int})
    def values() -> dict:
        return {"there": 1}

    getter = nodes_of(values)["missing"].callable
    with pytest.raises(MissingFieldError, match="`values`.*'missing'"):
        getter(values={"there": 1})


@pytest.mark.parametrize("fields, annotation, match", [
    ({"a": int}, "pd.DataFrame", "only be extracted from a dict"),
    (["a"], "dict", "types of the fields are unknown"),
])
def test_extract_fields_mistakes_name_the_function_and_fix(fields, annotation, match):
    namespace = {"pd": pd}
    exec(f"def f() -> {annotation}:\n    return {{}}", namespace)
    fn = extract_fields(fields)(namespace["f"])
    with pytest.raises(GraphError, match=match) as info:
        nodes_of(fn)
    assert "`f`" in str(info.value) and "Fix:" in str(info.value)


def test_extract_fields_needs_types():
    assert "name → type" in misused(lambda: extract_fields({"a": "int"}))


# ---- @parameterize and friends -------------------------------------------------------------------
def test_parameterize_binds_values_and_sources_and_keeps_other_parameters():
    @parameterize(
        spend_x2={"factor": value(2)},
        signups_x3=({"series": source("signups"), "factor": value(3)}, "Signups tripled."),
    )
    def scaled(series: pd.Series, factor: int, offset: float = 0.0) -> pd.Series:
        """{output_name}: {series} times {factor}."""
        return series * factor + offset

    nodes = nodes_of(scaled)
    assert set(nodes) == {"spend_x2", "signups_x3"}  # the function's own name is not a node
    x2, x3 = nodes["spend_x2"], nodes["signups_x3"]
    assert {p: (d.node, d.required) for p, d in x2.dependencies.items()} == \
        {"series": ("series", True), "offset": ("offset", False)}
    assert {p: d.node for p, d in x3.dependencies.items()} == {"series": "signups", "offset": "offset"}
    assert x2.doc == "spend_x2: series times 2." and x3.doc == "Signups tripled."
    assert x3.callable(series=pd.Series([1.0]), offset=1.0).tolist() == [4.0]
    assert x2.function is scaled


def test_parameterized_outputs_through_the_driver(make_module):
    module = make_module("params", HEADER + '''
@parameterize(spend_x2={"factor": value(2)}, signups_x2={"series": source("signups"), "factor": value(2)})
def doubled(series: pd.Series, factor: int) -> pd.Series:
    return series * factor

@parameterize_values(parameter="window", assigned_output={("spend_avg_2", "2-period mean"): 2, "spend_avg_3": 3})
def rolling(spend: pd.Series, window: int) -> pd.Series:
    return spend.rolling(window).mean()

@parameterize_sources(spend_per_signup={"numerator": "spend", "denominator": "signups"})
def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """{numerator} per {denominator}"""
    return numerator / denominator
''')
    dr = driver.Driver({"series": SPEND, "spend": SPEND, "signups": SIGNUPS}, module)
    df = dr.execute(["spend_x2", "signups_x2", "spend_avg_2", "spend_avg_3", "spend_per_signup"])
    assert df["spend_x2"].tolist() == (SPEND * 2).tolist()
    assert df["signups_x2"].tolist() == (SIGNUPS * 2).tolist()
    pd.testing.assert_series_equal(df["spend_avg_3"], SPEND.rolling(3).mean(), check_names=False)
    assert dr.graph.nodes["spend_avg_2"].doc == "2-period mean"
    assert dr.graph.nodes["spend_per_signup"].doc == "spend per signups"


def test_parameterizing_a_parameter_that_does_not_exist_names_function_output_and_fix():
    @parameterize(out={"facter": value(2)})
    def scaled(series: pd.Series, factor: int) -> pd.Series:
        return series * factor

    with pytest.raises(GraphError) as info:
        nodes_of(scaled)
    message = str(info.value)
    assert "@parameterize on `scaled`" in message and "`out`" in message and "`facter`" in message
    assert "series, factor" in message and "Fix:" in message


@pytest.mark.parametrize("make, match", [
    (lambda: parameterize(out={"factor": 2}), r"value\(x\)"),
    (lambda: parameterize(), "no outputs"),
    (lambda: parameterize_values(parameter="p", assigned_output={}), "non-empty"),
    (lambda: parameterize_values(parameter="p", assigned_output={("a", "b", "c"): 1}), r"\(name, doc\)"),
    (lambda: parameterize_sources(out={}), "map parameters"),
    (lambda: parameterize_sources(out={"x": 3}), "name of a node"),
])
def test_parameterize_argument_mistakes(make, match):
    assert re.search(match, misused(make))


def test_a_broken_doc_template_is_a_clear_error():
    @parameterize(out={"factor": value(2)})
    def scaled(factor: int) -> int:
        """Uses {0} positional braces."""
        return factor

    with pytest.raises(GraphError, match="double literal braces"):
        nodes_of(scaled)


def test_output_name_is_reserved():
    @parameterize(out={"x": value(1)})
    def f(x: int, output_name: str) -> str:
        return output_name

    with pytest.raises(GraphError, match="reserved"):
        nodes_of(f)


def test_two_parameterize_decorators_on_one_function_are_refused():
    @parameterize(a={"x": value(1)})
    @parameterize_values(parameter="x", assigned_output={"b": 2})
    def f(x: int) -> int:
        return x

    with pytest.raises(GraphError, match="only one"):
        nodes_of(f)


# ---- fingerprints: decorator arguments count, metadata doesn't ------------------------------------
def _scaled_source(factor_a: int, factor_b: int, doc: str = "Scaled.") -> str:
    return f'''
@parameterize(a={{"factor": value({factor_a})}}, b={{"factor": value({factor_b})}})
def scaled(spend: pd.Series, factor: int) -> pd.Series:
    """{doc}"""
    calls.hit()
    return spend * factor

def total(a: pd.Series, b: pd.Series) -> pd.Series:
    return a + b

def other(spend: pd.Series) -> pd.Series:
    return spend
'''


def test_changing_one_value_changes_only_that_outputs_fingerprint():
    def fingerprints(src):
        ns: dict = {}
        exec(HEADER + src, ns)
        return {n: node.fingerprint for n, node in nodes_of(ns["scaled"], ns["total"]).items()}

    before, after = fingerprints(_scaled_source(3, 5)), fingerprints(_scaled_source(4, 5))
    assert [n for n in before if before[n] != after[n]] == ["a"]
    assert fingerprints(_scaled_source(3, 5, doc="New doc.")) == before


def test_changing_a_value_recomputes_exactly_that_output_and_its_downstream(calls):
    session = new_session(_scaled_source(3, 5))
    session.execute(["total", "other"])
    registration = session.register_cell(HEADER + _scaled_source(4, 5), "features", {})
    assert registration.change.changed == ["a"] and set(registration.stale) == {"a", "total"}
    calls.clear()
    out = session.execute(["total", "other"])
    assert ran(session) == {"a", "total"} and calls == ["scaled"]
    assert out["total"].tolist() == (SPEND * 9).tolist()


def test_editing_tags_or_docs_makes_nothing_stale():
    def variant(owner: str, doc: str) -> str:
        return f'''
@tag(owner="{owner}")
@extract_columns("a")
def frame(spend: pd.Series) -> pd.DataFrame:
    """{doc}"""
    return pd.DataFrame({{"a": spend}})
'''
    session = new_session(variant("me", "Doc."))
    session.execute(["a"])
    registration = session.register_cell(HEADER + variant("you", "Other doc."), "features", {})
    assert registration.stale == [] and session.graph.nodes["a"].tags["owner"] == "you"
    session.execute(["a"])
    assert ran(session) == set()


def test_adding_an_extracted_column_computes_only_that_column():
    def variant(columns: str) -> str:
        return f'''
@extract_columns({columns})
def frame(spend: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({{"a": spend, "b": spend * 2}})
'''
    session = new_session(variant('"a"'))
    session.execute(["a"])
    session.register_cell(HEADER + variant('"a", "b"'), "features", {})
    session.execute(["a", "b"])
    assert ran(session) == {"b"}


def test_editing_the_function_recomputes_the_frame_and_every_column():
    body = '''
@extract_columns("a", "b")
def frame(spend: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({{"a": spend * {k}, "b": spend}})

def unrelated(spend: pd.Series) -> pd.Series:
    return spend
'''
    session = new_session(body.format(k=1))
    session.execute(["a", "b", "unrelated"])
    session.register_cell(HEADER + body.format(k=2), "features", {})
    assert session.states()["unrelated"] == "fresh"
    session.execute(["a", "b", "unrelated"])
    assert ran(session) == {"frame", "a", "b"}


# ---- @config ------------------------------------------------------------------------------------
CONFIGURED = '''
@config.when(region="us")
def spend_adjusted__us(spend: pd.Series) -> pd.Series:
    calls.hit()
    return spend * 1.1

@config.when_in(region=["uk", "fr"])
def spend_adjusted__eu(spend: pd.Series) -> pd.Series:
    calls.hit()
    return spend * 0.9

@config.when_not_in(region=["us", "uk", "fr"])
def spend_adjusted__other(spend: pd.Series) -> pd.Series:
    calls.hit()
    return spend

@config.when_not(region="us")
def non_us_flag(spend: pd.Series) -> pd.Series:
    return spend * 0

def per_signup(spend_adjusted: pd.Series, signups: pd.Series) -> pd.Series:
    calls.hit()
    return spend_adjusted / signups

def unrelated(signups: pd.Series) -> pd.Series:
    calls.hit()
    return signups
'''


@pytest.mark.parametrize("region, implementation, has_flag", [
    ("us", "spend_adjusted__us", False),
    ("uk", "spend_adjusted__eu", True),
    ("fr", "spend_adjusted__eu", True),
    ("de", "spend_adjusted__other", True),
    (None, "spend_adjusted__other", True),  # a missing key compares as None
])
def test_config_selects_one_implementation_and_drops_the_suffix(make_module, region, implementation, has_flag):
    module = make_module("configured", HEADER + CONFIGURED)
    cfg = {} if region is None else {"region": region}
    dr = driver.Driver(cfg, module)
    node = dr.graph.nodes["spend_adjusted"]
    assert node.function.__name__ == implementation
    assert node.tags["hamilton.config"] == "region"
    assert ("non_us_flag" in dr.graph.nodes) is has_flag
    assert not any("__" in name for name in dr.graph.nodes)


def test_no_active_implementation_means_no_node_and_the_name_becomes_an_input():
    @config.when(mode="a")
    def thing__a() -> int:
        return 1

    def user(thing: int) -> int:
        return thing

    assert set(nodes_of(thing__a, user, config={"mode": "b"})) == {"user"}


def test_a_double_underscore_without_config_keeps_its_name():
    @tag(a="b")
    def plain__name() -> int:
        return 1

    assert set(nodes_of(plain__name)) == {"plain__name"}


def test_several_config_decorators_must_all_hold():
    @config.when(a=1)
    @config.when(b=2)
    def f__x() -> int:
        return 1

    assert set(nodes_of(f__x, config={"a": 1, "b": 2})) == {"f"}
    assert set(nodes_of(f__x, config={"a": 1, "b": 3})) == set()


def test_a_custom_resolver_and_target_name():
    @config(lambda c: c.get("n", 0) > 2, target_name="big")
    def anything() -> int:
        return 1

    assert set(nodes_of(anything, config={"n": 3})) == {"big"}
    assert set(nodes_of(anything, config={"n": 1})) == set()


def test_two_active_implementations_are_a_clear_error_naming_both():
    @config.when(mode="a")
    def thing__a() -> int:
        return 1

    @config.when_not(mode="b")
    def thing__not_b() -> int:
        return 2

    with pytest.raises(GraphError) as info:
        nodes_of(thing__a, thing__not_b, config={"mode": "a"})
    message = str(info.value)
    assert "`thing__a`" in message and "`thing__not_b`" in message and "mode='a'" in message
    assert "`thing`" in message and "Fix:" in message and "mutually exclusive" in message
    assert set(nodes_of(thing__a, thing__not_b, config={"mode": "c"})) == {"thing"}


def test_when_in_needs_lists():
    assert "list of values" in misused(lambda: config.when_in(region="us"))
    assert "list of values" in misused(lambda: config.when_not_in(region="us"))


def test_changing_config_swaps_implementations_and_stales_exactly_downstream(calls):
    session = Session()
    session.set_config(region="us")
    session.register_cell(HEADER + CONFIGURED, "features", {})
    session.set_inputs(spend=SPEND, signups=SIGNUPS)
    session.execute(["per_signup", "unrelated"])
    calls.clear()
    session.set_config(region="fr")
    states = session.states()
    assert states["spend_adjusted"] == "stale" and states["per_signup"] == "stale"
    assert states["unrelated"] == "fresh" and states["non_us_flag"] == "not computed"
    out = session.execute(["per_signup", "unrelated"])
    assert calls == ["spend_adjusted__eu", "per_signup"]
    assert out["per_signup"].tolist() == (SPEND * 0.9 / SIGNUPS).tolist()
    session.set_config(region="uk")  # same implementation: nothing stale
    assert session.states()["per_signup"] == "fresh"


def test_a_config_change_that_activates_two_implementations_changes_nothing():
    session = Session()
    session.set_config(mode="a")
    session.register_cell(HEADER + '''
@config.when(mode="a")
def thing__a() -> int:
    return 1

@config.when_in(mode=["b", "c"])
def thing__b() -> int:
    return 2

@config.when(mode="c")
def thing__c() -> int:
    return 3
''', "m", {})
    with pytest.raises(GraphError, match="thing__b.*thing__c|thing__c.*thing__b"):
        session.set_config(mode="c")
    assert session.config["mode"] == "a" and session.graph.nodes["thing"].function.__name__ == "thing__a"


# ---- @tag ---------------------------------------------------------------------------------------
def test_tags_show_in_introspection_filters_and_status(make_module):
    module = make_module("tagged", HEADER + '''
@tag(owner="forecasting", stage=["prod", "beta"])
def a(spend: pd.Series) -> pd.Series:
    return spend

@tag(owner="growth")
@extract_columns("c1", "c2")
def frame(spend: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"c1": spend, "c2": spend})

@tag(everything="yes", target_=...)
@extract_columns("c3")
def frame2(spend: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"c3": spend})
''')
    dr = driver.Driver({}, module)
    assert dr.graph.nodes["a"].tags == {"owner": "forecasting", "stage": ["prod", "beta"]}
    names = {v["name"] for v in dr.list_available_variables(tag_filter={"owner": "growth"})}
    assert names == {"c1", "c2"}  # like Hamilton: the final nodes, not the intermediate frame
    assert "everything" in dr.graph.nodes["frame2"].tags and "everything" in dr.graph.nodes["c3"].tags
    session = Session()
    session.register_functions("tagged", [module.a])
    assert session.status().set_index("node").loc["a", "tags"].startswith("owner=forecasting")


@pytest.mark.parametrize("kwargs", [{"hamilton.x": "y"}, {"bad key": "v"}, {"k": 1}, {"k": []},
                                    {"k": ["a", "a"]}])
def test_invalid_tags_are_refused(kwargs):
    assert "invalid tags" in misused(lambda: tag(**kwargs))


def test_tag_target_must_name_a_produced_node():
    @tag(x="y", target_="nope")
    def f() -> int:
        return 1

    with pytest.raises(GraphError, match="target_"):
        nodes_of(f)


# ---- @check_output: on the node ------------------------------------------------------------------
def test_check_output_puts_checks_on_the_node():
    @check_output(range=(0, 10), allow_nans=False, importance="fail")
    def checked(x: pd.Series) -> pd.Series:
        return x

    node = nodes_of(checked)["checked"]
    assert [c.description for c in node.checks] == ["range=(0, 10)", "allow_nans=False"]
    assert {c.importance for c in node.checks} == {"fail"}
    assert [c(pd.Series([1.0, 2.0]))[0] for c in node.checks] == [True, True]
    passed, message = node.checks[0](pd.Series([1.0, 11.0, np.nan]))
    assert not passed and "2 of 3" in message
    assert node.checks[1](pd.Series([1.0, np.nan]))[0] is False


@pytest.mark.parametrize("kwargs, annotation, good, bad", [
    ({"data_type": np.float64}, pd.Series, pd.Series([1.0]), pd.Series([1])),
    ({"data_type": int}, int, 3, "3"),
    ({"range": (0, 1)}, float, 0.5, 2.0),
    ({"values_in": ["a", "b"]}, pd.Series, pd.Series(["a", None]), pd.Series(["c"])),
    ({"values_in": [1, 2]}, int, 1, 3),
    ({"max_fraction_nans": 0.5}, pd.Series, pd.Series([1.0, np.nan]), pd.Series([np.nan, np.nan, 1.0])),
    ({"max_standard_dev": 1.0}, pd.Series, pd.Series([1.0, 1.5]), pd.Series([0.0, 10.0])),
    ({"mean_in_range": (0, 2)}, pd.Series, pd.Series([1.0, 2.0]), pd.Series([5.0])),
    ({"allow_none": False}, typing.Any, 0, None),
    ({"contains": "ab"}, str, "xaby", "xy"),
    ({"does_not_contain": ["z"]}, str, "xy", "xyz"),
])
def test_each_check_passes_and_fails(kwargs, annotation, good, bad):
    def f() -> int:
        return 1

    f.__annotations__["return"] = annotation
    (check,) = nodes_of(check_output(**kwargs)(f))["f"].checks
    assert check(good)[0] is True
    assert check(bad)[0] is False


def test_a_check_that_cannot_run_fails_instead_of_raising():
    @check_output(range=(0, 1))
    def f() -> pd.Series:
        return pd.Series()

    passed, message = nodes_of(f)["f"].checks[0]("not a series")
    assert not passed and "could not run" in message


@pytest.mark.parametrize("kwargs, match", [
    ({"importance": "error", "range": (0, 1)}, "warn"),
    ({"rnage": (0, 1)}, "unknown check rnage.*range"),
    ({}, "no checks"),
    ({"range": (2, 1)}, "low ≤ high"),
    ({"allow_nans": True}, "allow_nans=False"),
    ({"max_fraction_nans": 2}, r"\[0, 1\]"),
    ({"data_type": "float"}, "expects a type"),
])
def test_check_output_argument_mistakes(kwargs, match):
    assert re.search(match, misused(lambda: check_output(**kwargs)), re.S)


def test_a_check_that_does_not_fit_the_return_type_names_function_and_fix():
    @check_output(range=(0, 1))
    def frame() -> pd.DataFrame:
        return pd.DataFrame()

    with pytest.raises(GraphError) as info:
        nodes_of(frame)
    message = str(info.value)
    assert "`frame`" in message and "`range`" in message and "pd.DataFrame" in message and "Fix:" in message


def test_check_output_above_extract_columns_checks_each_column():
    @check_output(range=(0, 1))
    @extract_columns("a", "b")
    def frame() -> pd.DataFrame:
        return pd.DataFrame()

    nodes = nodes_of(frame)
    assert [len(nodes[n].checks) for n in ("frame", "a", "b")] == [0, 1, 1]


def test_changing_a_check_argument_changes_no_fingerprint():
    def build(hi):
        @check_output(range=(0, hi))
        def checked(x: pd.Series) -> pd.Series:
            return x

        def after(checked: pd.Series) -> pd.Series:
            return checked

        return {n: v.fingerprint for n, v in nodes_of(checked, after).items()}

    one, two = build(1), build(2)
    assert one == two  # the check re-runs on the cached value; nothing is recomputed


# ---- @check_output: run by the engine (wiring owned by execution/) --------------------------------
CHECKED = HEADER + '''
@check_output(range=(0, 100), importance="{importance}")
def share(spend: pd.Series) -> pd.Series:
    return spend * {factor}

def downstream(share: pd.Series) -> pd.Series:
    return share
'''


def test_passing_checks_do_not_disturb_execution(make_module):
    module = make_module("checked_ok", CHECKED.format(importance="fail", factor=1))
    df = driver.Driver({"spend": SPEND}, module).execute(["downstream"])
    assert df["downstream"].tolist() == SPEND.tolist()



def test_a_failing_fail_check_raises_naming_node_and_check(make_module):
    module = make_module("checked_fail", CHECKED.format(importance="fail", factor=10))
    dr = driver.Driver({"spend": SPEND}, module)
    with pytest.raises(NodeExecutionError) as info:
        dr.execute(["downstream"])
    message = str(info.value)
    assert "`share`" in message and "range=(0, 100)" in message and "outside" in message
    assert info.value.node == "share"
    assert dr.engine.state("share") == "error"



def test_a_failing_warn_check_logs_records_and_keeps_going(make_module, caplog):
    module = make_module("checked_warn", CHECKED.format(importance="warn", factor=10))
    dr = driver.Driver({"spend": SPEND}, module)
    with caplog.at_level(logging.WARNING):
        df = dr.execute(["downstream"])
    assert df["downstream"].tolist() == (SPEND * 10).tolist()
    assert any("share" in r.getMessage() and "range=(0, 100)" in r.getMessage() for r in caplog.records)
    warnings = dr.engine.warnings["share"]
    assert len(warnings) == 1 and "range=(0, 100)" in warnings[0]



def test_warnings_show_in_status_and_show_and_clear_when_fixed():
    session = Session()
    session.register_cell(CHECKED.format(importance="warn", factor=10), "m", {})
    session.set_inputs(spend=SPEND)
    session.execute(["downstream"])
    row = session.status().set_index("node").loc["share"]
    assert "range=(0, 100)" in row["checks"]
    assert "range=(0, 100)" in repr(session.show("share"))
    session.register_cell(CHECKED.format(importance="warn", factor=1), "m", {})
    session.execute(["downstream"])
    assert not session.engine.warnings.get("share")
