"""Spend and signup features, the seed example of the Hamilton paradigm."""
import pandas as pd

# How much the special feature trusts spend per signup (a module constant the feature reads).
weights = 0.5


def avg_3wk_spend(spend: pd.Series) -> pd.Series:
    """Rolling 3 week average spend."""
    return spend.rolling(3).mean()


def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    """The cost per signup in relation to spend."""
    return spend / signups


def spend_shift_3weeks(spend: pd.Series) -> pd.Series:
    """Spend three weeks earlier."""
    return spend.shift(3)


def spend_shift_3weeks_per_signup(spend_shift_3weeks: pd.Series, signups: pd.Series) -> pd.Series:
    """Spend three weeks earlier per current signup."""
    return spend_shift_3weeks / signups


def special_feature(spend_per_signup: pd.Series, avg_3wk_spend: pd.Series) -> pd.Series:
    """A blend of cost per signup and average spend, weighted by the module's `weights`."""
    return weights * spend_per_signup + (1 - weights) * avg_3wk_spend / 100
