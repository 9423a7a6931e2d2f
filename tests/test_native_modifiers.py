"""The modifiers hamilton_nb adds natively (does, unpack_fields, tag_outputs, check_output_custom,
load_from/save_to/dataloader, config.when(name=...)): what a user notices, without Apache Hamilton."""
from __future__ import annotations

import pandas as pd
import pytest

from hamilton_nb import driver
from hamilton_nb.errors import GraphError, NodeExecutionError
from hamilton_nb.function_modifiers import InvalidDecoratorError, config, save_to

HEADER = '''
import pandas as pd
from hamilton_nb.function_modifiers import (check_output_custom, config, dataloader, does, hamilton_exclude,
    load_from, save_to, source, tag_outputs, unpack_fields, value)
'''

SPEND = pd.Series([10.0, 20.0, 30.0])


def build_error(make_module, name: str, body: str) -> str:
    module = make_module(name, HEADER + body)
    with pytest.raises(GraphError) as info:
        driver.Driver({}, module)
    return str(info.value)


def test_config_when_name_names_the_node_and_swaps_with_config(make_module):
    module = make_module("named_config", HEADER + '''
@config.when(name="tax", region="us")
def us_tax(spend: pd.Series) -> pd.Series:
    return spend * 0.1

@config.when(name="tax", region="uk")
def uk_tax(spend: pd.Series) -> pd.Series:
    return spend * 0.2
''')
    for region, rate in (("us", 0.1), ("uk", 0.2)):
        out = driver.Driver({"region": region, "spend": SPEND}, module, result="dict").execute(["tax"])
        assert out["tax"].tolist() == (SPEND * rate).tolist()


def test_config_when_name_must_be_a_node_name():
    with pytest.raises(InvalidDecoratorError) as info:
        @config.when(name="not a name", region="us")
        def f(spend: pd.Series) -> pd.Series:
            return spend
    assert "`f`" in str(info.value) and "name='not a name'" in str(info.value)


def test_does_checks_the_replacing_functions_parameters(make_module):
    message = build_error(make_module, "does_bad", '''
def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator

@does(_ratio, numerator="spend")
def share(spend: pd.Series, total: pd.Series) -> pd.Series:
    pass
''')
    assert "@does(_ratio)" in message and "`share`" in message and "'total'" in message
    assert "'denominator'" in message and "Fix:" in message


def test_does_fills_in_defaults_of_the_decorated_function(make_module):
    module = make_module("does_defaults", HEADER + '''
def _scaled(series: pd.Series, factor: float) -> pd.Series:
    return series * factor

@does(_scaled, series="spend")
def spend_scaled(spend: pd.Series, factor: float = 3.0) -> pd.Series:
    pass
''')
    out = driver.Driver({"spend": SPEND}, module, result="dict").execute(["spend_scaled"])
    assert out["spend_scaled"].tolist() == [30.0, 60.0, 90.0]


def test_hamilton_exclude_keeps_a_public_helper_out_of_the_graph(make_module):
    module = make_module("excluded", HEADER + '''
@hamilton_exclude
def helper(spend: pd.Series) -> pd.Series:
    return spend

def doubled(spend: pd.Series) -> pd.Series:
    return helper(spend) * 2
''')
    dr = driver.Driver({"spend": SPEND}, module)
    assert {v["name"] for v in dr.list_available_variables()} == {"spend", "doubled"}
    assert module.helper(SPEND).tolist() == SPEND.tolist()  # still an ordinary function


def test_unpack_fields_refuses_a_return_type_that_is_not_a_tuple(make_module):
    message = build_error(make_module, "unpack_bad", '''
@unpack_fields("low", "high")
def bounds(spend: pd.Series) -> list:
    return [spend.min(), spend.max()]
''')
    assert "@unpack_fields('low', 'high')" in message and "`bounds`" in message and "tuple[" in message


def test_unpack_fields_reports_a_short_tuple_at_run_time(make_module):
    module = make_module("unpack_short", HEADER + '''
@unpack_fields("low", "high")
def bounds(spend: pd.Series) -> tuple[float, ...]:
    return (float(spend.min()),)
''')
    with pytest.raises(NodeExecutionError) as info:
        driver.Driver({"spend": SPEND}, module).execute(["high"])
    assert "`bounds`" in str(info.value) and "element 1" in str(info.value)


def test_tag_outputs_tags_each_output_and_feeds_tag_filters(make_module):
    module = make_module("tagged", HEADER + '''
@tag_outputs(low={"owner": "risk"}, high={"owner": "sales"})
@unpack_fields("low", "high")
def bounds(spend: pd.Series) -> tuple[float, float]:
    return float(spend.min()), float(spend.max())
''')
    dr = driver.Driver({}, module)
    assert [v["name"] for v in dr.list_available_variables(tag_filter={"owner": "risk"})] == ["low"]
    assert [v["name"] for v in dr.list_available_variables(tag_filter={"owner": "sales"})] == ["high"]


class AtMost:
    """A custom validator, as a user writes one (no Apache Hamilton needed)."""

    def __init__(self, limit: float, importance: str):
        self.limit, self.importance = limit, importance

    def validate(self, value):
        passes = bool((value <= self.limit).all())
        return type("Result", (), {"passes": passes, "message": f"max is {value.max()}"})()

    def description(self) -> str:
        return f"at most {self.limit}"


@pytest.mark.parametrize("importance", ["warn", "fail"])
def test_check_output_custom_warns_or_fails(make_module, importance):
    module = make_module(f"custom_{importance}", HEADER + f'''
from test_native_modifiers import AtMost

@check_output_custom(AtMost(25.0, "{importance}"))
def capped(spend: pd.Series) -> pd.Series:
    return spend
''')
    dr = driver.Driver({"spend": SPEND}, module, result="dict")
    if importance == "warn":
        dr.execute(["capped"])
        assert dr.warnings["capped"] == ["AtMost='at most 25.0': max is 30.0"]
    else:
        with pytest.raises(NodeExecutionError) as info:
            dr.execute(["capped"])
        assert "`capped`" in str(info.value) and "max is 30.0" in str(info.value)


def test_load_from_csv_needs_a_dataframe_parameter(make_module, tmp_path):
    message = build_error(make_module, "csv_bad", f'''
@load_from.csv(path=value({str(tmp_path / "x.csv")!r}))
def rows(raw: dict) -> int:
    return len(raw)
''')
    assert "@load_from.csv" in message and "`raw`" in message and "pd.DataFrame" in message


def test_load_from_with_several_parameters_needs_inject(make_module, tmp_path):
    message = build_error(make_module, "csv_ambiguous", f'''
@load_from.csv(path=value({str(tmp_path / "x.csv")!r}))
def rows(raw: pd.DataFrame, factor: int) -> int:
    return len(raw) * factor
''')
    assert "`rows`" in message and "inject_=" in message


def test_an_unknown_format_and_a_missing_output_name_are_explained():
    with pytest.raises(AttributeError) as info:
        save_to.xlsx(path="x.xlsx")
    assert "csv, parquet, json, pickle" in str(info.value) and "@dataloader" in str(info.value)
    with pytest.raises(InvalidDecoratorError) as info:
        @save_to.csv(path="x.csv")
        def report(spend: pd.Series) -> pd.DataFrame:
            return spend.to_frame()
    assert "`report`" in str(info.value) and "output_name_" in str(info.value)


def test_a_saver_writes_when_asked_and_again_only_after_its_data_changed(make_module, tmp_path):
    target = tmp_path / "report.csv"
    module = make_module("saving", HEADER + f'''
@save_to.csv(path=value({str(target)!r}), output_name_="save_report")
def report(spend: pd.Series) -> pd.DataFrame:
    return spend.to_frame("spend")
''')
    dr = driver.Driver({}, module, result="dict")
    meta = dr.execute(["save_report"], inputs={"spend": SPEND})["save_report"]
    assert meta == {"path": str(target), "format": "csv", "rows": 3, "columns": ["spend"]}
    assert pd.read_csv(target)["spend"].tolist() == SPEND.tolist()
    dr.execute(["save_report"], inputs={"spend": SPEND})
    assert "save_report" in dr.last_report.cached
    dr.execute(["save_report"], inputs={"spend": SPEND * 2})
    assert pd.read_csv(target)["spend"].tolist() == (SPEND * 2).tolist()


def test_inject_group_needs_a_list_annotation(make_module):
    message = build_error(make_module, "group_bad", '''
from hamilton_nb.function_modifiers import group, inject

@inject(parts=group(source("a"), source("b")))
def total(parts: pd.Series) -> pd.Series:
    return sum(parts)
''')
    assert "@inject" in message and "`total`" in message and "`parts`" in message and "list[T]" in message


def test_inject_passes_sources_and_literals_as_one_list(make_module):
    module = make_module("inject_ok", HEADER + '''
from hamilton_nb.function_modifiers import group, inject

@inject(parts=group(source("a"), value(100.0)))
def total(parts: list[float]) -> float:
    return sum(parts)

def other(a: float) -> float:
    return a
''')
    dr = driver.Driver({"a": 1.0}, module, result="dict")
    assert dr.execute(["total", "other"]) == {"total": 101.0, "other": 1.0}
