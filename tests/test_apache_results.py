"""Result frames of `Driver.execute` next to Apache Hamilton's default DataFrame result, for every
kind of output: the same frame where Apache Hamilton builds one, a refusal naming the output where
it would outer-join indexes or pad rows (or fails itself)."""
from __future__ import annotations

import pandas as pd
import pytest

from apache_hamilton import hamilton_driver, marks
from hamilton_nb import driver as our_driver
from hamilton_nb.errors import ResultError

pytestmark = marks("hamilton") + [pytest.mark.filterwarnings("ignore::UserWarning")]

SHAPES = '''
import numpy as np
import pandas as pd


def names(people: list) -> list:
    return list(people)


def count(names: list) -> int:
    return len(names)


def label() -> str:
    return "people"


def lengths(names: list) -> np.ndarray:
    return np.array([len(n) for n in names])


def triple() -> tuple:
    return (1, 2, 3)


def by_key() -> dict:
    return {"x": 1, "y": 2}


def by_number() -> dict:
    return {0: 1, 1: 2}


def score() -> pd.Series:
    return pd.Series([0.5, 1.5, 2.5], index=[10, 11, 12])


def score_labels() -> dict:
    """Keys inside `score`'s index, one missing."""
    return {10: "low", 12: "high"}


def table(score: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"score": score, "twice": score * 2})


def renumbered(score: pd.Series) -> pd.Series:
    return score.reset_index(drop=True)


def short() -> list:
    return [1, 2]


def grid() -> np.ndarray:
    return np.arange(6).reshape(3, 2)


def kinds() -> set:
    return {"a", "b", "c"}
'''

PEOPLE = {"people": ["ada", "bo", "cy"]}


@pytest.fixture
def shapes(make_module):
    return make_module("result_shapes", SHAPES)


def theirs(module, outputs, inputs=PEOPLE):
    return hamilton_driver.Driver({}, module).execute(outputs, inputs=inputs)


def ours(module, outputs, inputs=PEOPLE):
    return our_driver.Driver({}, module).execute(outputs, inputs=inputs)


@pytest.mark.parametrize("outputs", [
    ["label", "count"],                 # scalars only: one row
    ["names", "count"],                 # a list gives rows, scalars repeat
    ["names"],
    ["lengths", "count", "label"],      # a 1-D array gives rows
    ["triple", "label"],                # so does a tuple
    ["by_key", "count"],                # a dict gives rows labelled by its keys
    ["by_key"],
    ["score", "names"],                 # a list beside a Series takes its index
    ["score", "lengths"],
    ["score", "score_labels"],          # dict keys inside the index: aligned, the gap empty
    ["score", "count"],
    ["score"],
    ["table"],                          # a DataFrame alone: as it is
    ["table", "score"],                 # beside other outputs: its columns as `table.score`
    ["table", "label", "names"],
])
def test_the_frame_is_apache_hamiltons(shapes, outputs):
    pd.testing.assert_frame_equal(ours(shapes, outputs), theirs(shapes, outputs))


@pytest.mark.parametrize("outputs, culprit", [
    (["score", "renumbered"], "renumbered"),   # Apache Hamilton: an outer join of 6 rows
    (["score", "by_number"], "by_number"),     # Apache Hamilton: the dict's keys become extra rows
])
def test_outputs_apache_hamilton_would_outer_join_are_refused(shapes, outputs, culprit):
    assert len(theirs(shapes, outputs)) > 3  # rows neither output has on its own
    with pytest.raises(ResultError) as info:
        ours(shapes, outputs)
    assert f"`{culprit}`" in str(info.value) and "Fix:" in str(info.value)


@pytest.mark.parametrize("outputs, culprit", [
    (["names", "short"], "short"),      # lists of different lengths
    (["score", "short"], "short"),      # a list that does not fit the index
    (["grid", "label"], "grid"),        # a 2-D array
    (["kinds", "label"], "kinds"),      # a set has no order
    (["score", "kinds"], "kinds"),      # beside a Series too
])
def test_outputs_apache_hamilton_cannot_frame_are_refused_by_name(shapes, outputs, culprit):
    with pytest.raises(Exception):
        theirs(shapes, outputs)
    with pytest.raises(ResultError) as info:
        ours(shapes, outputs)
    assert f"`{culprit}`" in str(info.value) and "dict result" in str(info.value)


def test_a_list_that_grows_between_executes_gives_new_rows(shapes):
    dr = our_driver.Driver({}, shapes)
    for people in (["ada", "bo", "cy"], ["ada", "bo", "cy", "di"], ["ed"]):
        inputs = {"people": people}
        got = dr.execute(["names", "count", "label"], inputs=inputs)
        pd.testing.assert_frame_equal(got, theirs(shapes, ["names", "count", "label"], inputs))


def test_a_series_turning_scalar_between_executes_gives_one_row(make_module):
    module = make_module("result_turns", '''
import pandas as pd


def level(as_series: bool) -> object:
    return pd.Series([1.0, 2.0]) if as_series else 3.0


def unit() -> str:
    return "kg"
''')
    dr = our_driver.Driver({}, module)
    for as_series in (True, False, True):
        inputs = {"as_series": as_series}
        got = dr.execute(["level", "unit"], inputs=inputs)
        pd.testing.assert_frame_equal(got, theirs(module, ["level", "unit"], inputs))
