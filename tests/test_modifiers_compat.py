"""Porting from Apache Hamilton: change only the import, get the same DataFrame.

Each module below is written exactly as an Apache Hamilton user would write it. The test runs
it with Apache Hamilton's Driver, then again with ``hamilton.function_modifiers`` replaced by
``hamilton_nb.function_modifiers`` under our Driver, and compares the results. Apache Hamilton
is optional (the ``compat`` extra): without it these tests skip, and our own semantics are
covered by test_function_modifiers.py regardless.
"""
from __future__ import annotations

import pandas as pd
import pytest

from apache_hamilton import HAMILTON_IMPORT, OUR_IMPORT, hamilton_driver, marks
from hamilton_nb import driver as our_driver

pytestmark = marks("compat")

INPUTS = {
    "spend": pd.Series([10.0, 10, 20, 40, 40, 50]),
    "signups": pd.Series([1.0, 10, 50, 100, 200, 400]),
}

EXTRACT = '''
import pandas as pd
from hamilton.function_modifiers import extract_columns, extract_fields

@extract_columns("spend_2x", ("spend_3x", "Spend tripled."))
def spend_multiples(spend: pd.Series) -> pd.DataFrame:
    """Multiples of spend."""
    return pd.DataFrame({"spend_2x": spend * 2, "spend_3x": spend * 3, "ignored": spend})

def spend_5x(spend_2x: pd.Series, spend_3x: pd.Series) -> pd.Series:
    return spend_2x + spend_3x

@extract_fields({"spend_mean": float, "spend_max": float})
def spend_stats(spend: pd.Series) -> dict:
    return {"spend_mean": float(spend.mean()), "spend_max": float(spend.max())}

def spend_centered(spend: pd.Series, spend_mean: float) -> pd.Series:
    return spend - spend_mean

def spend_share_of_max(spend: pd.Series, spend_max: float) -> pd.Series:
    return spend / spend_max
'''

PARAMETERIZE = '''
import pandas as pd
from hamilton.function_modifiers import parameterize, parameterize_sources, parameterize_values, source, value

@parameterize(
    spend_lag_1={"series": source("spend"), "periods": value(1)},
    signups_lag_2=({"series": source("signups"), "periods": value(2)}, "Signups two periods ago."),
)
def lagged(series: pd.Series, periods: int) -> pd.Series:
    """{series} shifted by {periods} to make {output_name}."""
    return series.shift(periods)

@parameterize_values(parameter="window", assigned_output={("spend_avg_2", "2-period mean"): 2,
                                                          ("spend_avg_3", "3-period mean"): 3})
def rolling_spend(spend: pd.Series, window: int) -> pd.Series:
    return spend.rolling(window).mean()

@parameterize_sources(spend_per_signup={"numerator": "spend", "denominator": "signups"},
                      lagged_spend_per_signup={"numerator": "spend_lag_1", "denominator": "signups"})
def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator
'''

CONFIGURED = '''
import pandas as pd
from hamilton.function_modifiers import config

@config.when(region="us")
def adjusted_spend__us(spend: pd.Series) -> pd.Series:
    return spend * 1.1

@config.when_in(region=["uk", "fr"])
def adjusted_spend__eu(spend: pd.Series) -> pd.Series:
    return spend * 0.9

@config.when_not_in(region=["us", "uk", "fr"])
def adjusted_spend__rest(spend: pd.Series) -> pd.Series:
    return spend

@config.when_not(region="us")
def vat__non_us(adjusted_spend: pd.Series) -> pd.Series:
    return adjusted_spend * 0.2

@config.when(region="us")
def vat__us(adjusted_spend: pd.Series) -> pd.Series:
    return adjusted_spend * 0.0

def cost_per_signup(adjusted_spend: pd.Series, vat: pd.Series, signups: pd.Series) -> pd.Series:
    return (adjusted_spend + vat) / signups
'''

METADATA = '''
import pandas as pd
from hamilton.function_modifiers import check_output, extract_columns, tag

@tag(owner="growth", stage="prod")
def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    """The cost per signup."""
    return spend / signups

@tag(owner="forecasting")
@extract_columns("spend_sq", "signups_sq")
def squares(spend: pd.Series, signups: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"spend_sq": spend ** 2, "signups_sq": signups ** 2})

@check_output(range=(0, 1000), allow_nans=False, importance="warn")
def spend_capped(spend: pd.Series) -> pd.Series:
    return spend.clip(upper=45)

@check_output(data_type=float, importance="fail")
def total_spend(spend: pd.Series) -> float:
    return float(spend.sum())
'''


@pytest.fixture
def both(make_module):
    """``both(name, source)`` → (Apache Hamilton's module, our module): only the import differs."""
    def make(name: str, source: str):
        assert HAMILTON_IMPORT in source
        theirs = make_module(f"{name}_hamilton", source)
        ours = make_module(f"{name}_ours", source.replace(HAMILTON_IMPORT, OUR_IMPORT))
        return theirs, ours

    return make


def run_both(theirs, ours, config, outputs):
    expected = hamilton_driver.Driver(dict(config), theirs).execute(outputs, inputs=INPUTS)
    actual = our_driver.Driver(dict(config), ours).execute(outputs, inputs=INPUTS)
    assert list(actual.columns) == list(outputs)
    pd.testing.assert_frame_equal(actual, expected[outputs], check_names=False)
    return actual


def test_extract_columns_and_fields_give_the_same_dataframe(both):
    theirs, ours = both("compat_extract", EXTRACT)
    run_both(theirs, ours, {}, ["spend_2x", "spend_3x", "spend_5x", "spend_centered", "spend_share_of_max"])


def test_parameterize_family_gives_the_same_dataframe(both):
    theirs, ours = both("compat_param", PARAMETERIZE)
    run_both(theirs, ours, {}, ["spend_lag_1", "signups_lag_2", "spend_avg_2", "spend_avg_3",
                                "spend_per_signup", "lagged_spend_per_signup"])


@pytest.mark.parametrize("region", ["us", "uk", "fr", "de"])
def test_config_gives_the_same_dataframe_for_each_config(both, region):
    theirs, ours = both(f"compat_config_{region}", CONFIGURED)
    run_both(theirs, ours, {"region": region}, ["adjusted_spend", "vat", "cost_per_signup"])


def test_tags_and_checks_give_the_same_dataframe_and_tag_filters(both):
    theirs, ours = both("compat_meta", METADATA)
    run_both(theirs, ours, {}, ["spend_per_signup", "spend_sq", "signups_sq", "spend_capped"])
    hamilton_dr = hamilton_driver.Driver({}, theirs)
    our_dr = our_driver.Driver({}, ours)
    for tag_filter in ({"owner": "growth"}, {"owner": "forecasting"}, {"stage": "prod"}):
        expected = {v.name for v in hamilton_dr.list_available_variables(tag_filter=tag_filter)}
        actual = {v["name"] for v in our_dr.list_available_variables(tag_filter=tag_filter)}
        assert actual == expected, tag_filter


def test_docs_match(both):
    theirs, ours = both("compat_docs", PARAMETERIZE)
    expected = {v.name: v.documentation for v in hamilton_driver.Driver({}, theirs).list_available_variables()}
    actual = {v["name"]: v["doc"] for v in our_driver.Driver({}, ours).list_available_variables()}
    for name in ("spend_lag_1", "signups_lag_2", "spend_avg_2", "spend_per_signup"):
        assert actual[name] == (expected[name] or ""), name  # no doc: Hamilton says None, we say ""


def test_the_same_node_names_and_no_extra_ones(both):
    for name, source in (("names_extract", EXTRACT), ("names_param", PARAMETERIZE),
                         ("names_config", CONFIGURED)):
        theirs, ours = both(name, source)
        expected = {v.name for v in hamilton_driver.Driver({"region": "uk"}, theirs).list_available_variables()}
        actual = {v["name"] for v in our_driver.Driver({"region": "uk"}, ours).list_available_variables()}
        assert actual == expected - {"region"}, name  # Hamilton lists config keys as variables too
