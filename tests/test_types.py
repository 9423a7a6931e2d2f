"""Type hints as the contract where functions connect: checked at build, and at run time."""
from __future__ import annotations

import pandas as pd
import pytest

from hamilton_nb import driver
from hamilton_nb.errors import GraphError, InputError, NodeExecutionError

HEADER = """
import collections.abc
import typing
from typing import Annotated, Any, Optional, Union

import numpy as np
import pandas as pd


class Base: ...
class Child(Base): ...
class MySeries(pd.Series): ...
"""


def connect(make_module, produced: str, expected: str):
    """A Driver over ``value() -> produced`` feeding ``consumer(value: expected)``."""
    mod = make_module("typed", HEADER + f"""
def value() -> {produced}:
    ...

def consumer(value: {expected}) -> int:
    return 1
""")
    return driver.Driver({}, mod)


@pytest.mark.parametrize("produced, expected", [
    ("int", "int"),
    ("Child", "Base"),                                   # subclasses
    ("MySeries", "pd.Series"),
    ("int", "float"),                                    # numeric tower
    ("bool", "float"),
    ("int", "complex"),
    ("int", "Optional[int]"),                            # Optional / unions
    ("None", "Optional[int]"),
    ("Optional[int]", "int | None"),
    ("Optional[int]", "Optional[float]"),
    ("Union[int, str]", "Union[str, int]"),
    ("pd.Series", "Union[pd.Series, pd.DataFrame]"),
    ("Any", "pd.Series"),                                # Any on either side
    ("pd.Series", "Any"),
    ("int", "object"),
    ("list[int]", "list"),                               # parametrised generics
    ("list", "list[int]"),
    ("typing.List[int]", "list[int]"),
    ("dict[str, int]", "collections.abc.Mapping[str, int]"),
    ("dict[str, int]", "dict"),
    ("Annotated[int, 'weeks']", "int"),
    ("pd.Series", "Annotated[pd.Series, 'spend']"),
])
def test_compatible_types_connect(make_module, produced, expected):
    assert connect(make_module, produced, expected).what_is_upstream_of("consumer") == ["value"]


@pytest.mark.parametrize("produced, expected", [
    ("int", "pd.Series"),
    ("pd.DataFrame", "pd.Series"),
    ("Base", "Child"),                                   # a superclass is not enough
    ("pd.Series", "MySeries"),
    ("float", "int"),                                    # no narrowing
    ("Optional[int]", "int"),                            # None would leak through
    ("Union[int, str]", "int"),
    ("object", "int"),
    ("list[int]", "list[str]"),
    ("list[int]", "dict"),
    ("dict[str, int]", "dict[str, str]"),
])
def test_incompatible_types_are_rejected_with_both_hints(make_module, produced, expected):
    with pytest.raises(GraphError) as info:
        connect(make_module, produced, expected)
    message = str(info.value)
    assert "`consumer` (module `typed`) expects value:" in message
    assert "`value` (module `typed`) returns" in message
    assert "Fix:" in message


def test_input_of_the_wrong_type_is_reported_before_running(make_module):
    mod = make_module("seed", """
        import pandas as pd

        def avg_3wk_spend(spend: pd.Series) -> pd.Series:
            return spend.rolling(3).mean()
    """)
    with pytest.raises(InputError) as info:
        driver.Driver({"spend": 10}, mod).execute(["avg_3wk_spend"])
    message = str(info.value)
    assert "`spend`" in message and "avg_3wk_spend" in message and "pd.Series" in message
    assert "Fix:" in message


def test_return_value_that_contradicts_its_hint_is_reported(make_module):
    mod = make_module("liar", """
        import pandas as pd

        def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
            return float((spend / signups).mean())
    """)
    dr = driver.Driver({"spend": pd.Series([1.0]), "signups": pd.Series([2.0])}, mod, strict_types=True)
    with pytest.raises(NodeExecutionError) as info:
        dr.execute(["spend_per_signup"])
    message = str(info.value)
    assert "`spend_per_signup` (module `liar`) returned a float" in message
    assert "pd.Series" in message and "Fix:" in message


def test_by_default_a_contradicted_hint_is_a_warning_not_an_error(make_module, caplog):
    """Apache Hamilton does not check return values at run time; working code must keep working."""
    mod = make_module("lenient", """
        import numpy as np

        def weights() -> np.ndarray:
            return np.float64(0.5)  # a numpy scalar, not an array

        def doubled(weights: np.ndarray) -> np.ndarray:
            return np.array([weights * 2])
    """)
    dr = driver.Driver({}, mod, result="dict")
    with caplog.at_level("WARNING", logger="hamilton_nb"):
        out = dr.execute(["doubled"])
    assert out["doubled"].tolist() == [1.0]
    assert "returned a float64, but the hint says np.ndarray" in dr.warnings["weights"][0]
    assert "weights" in caplog.text and "doubled" not in dr.warnings
    assert dr.session.status().set_index("node").loc["weights", "checks"].startswith("return type")


@pytest.mark.parametrize("hint, value", [
    ("int", "np.int64(3)"),
    ("float", "3"),
    ("float", "np.float64(3.5)"),
    ("Optional[pd.Series]", "None"),
    ("list[int]", "[1, 2]"),
    ("Any", "object()"),
])
def test_return_values_that_honour_their_hint_pass(make_module, hint, value):
    mod = make_module("honest", HEADER + f"""
def out() -> {hint}:
    return {value}
""")
    assert "out" in driver.Driver({}, mod, result="dict").execute(["out"])
