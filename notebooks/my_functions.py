"""Spend and signup features: the module tutorial 5 runs with the Driver.

Plain Python: import it, call its functions in tests, or hand it to
``hamilton_nb.driver.Driver`` (or Apache Hamilton's) to build a DataFrame.
"""
import pandas as pd

from hamilton_nb.function_modifiers import tag

# How much cost per signup counts in the special feature (a constant the feature reads).
weights = 0.5


def avg_3wk_spend(spend: pd.Series) -> pd.Series:
    """Rolling 3 week average spend."""
    return spend.rolling(3).mean()


@tag(owner="finance")
def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    """The cost per signup in relation to spend."""
    return spend / signups


def spend_shift_3weeks(spend: pd.Series) -> pd.Series:
    """Spend three weeks earlier."""
    return spend.shift(3)


@tag(owner="finance")
def spend_shift_3weeks_per_signup(spend_shift_3weeks: pd.Series, signups: pd.Series) -> pd.Series:
    """Spend three weeks earlier, per current signup."""
    return spend_shift_3weeks / signups


def special_feature(spend_per_signup: pd.Series, avg_3wk_spend: pd.Series) -> pd.Series:
    """A blend of cost per signup and average spend, weighted by `weights`."""
    return weights * spend_per_signup + (1 - weights) * avg_3wk_spend / 100
