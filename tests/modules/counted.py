"""Spend and signup features whose every call is logged (see ``calls``)."""
import pandas as pd

from modules import calls


def clean_spend(raw_spend: pd.Series) -> pd.Series:
    calls.hit()
    return raw_spend.fillna(0)


def spend(clean_spend: pd.Series) -> pd.Series:
    calls.hit()
    return clean_spend * 1.0


def signups(raw_signups: pd.Series) -> pd.Series:
    calls.hit()
    return raw_signups * 1


def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    """The cost per signup in relation to spend."""
    calls.hit()
    return spend / signups


def avg_3wk_spend(spend: pd.Series) -> pd.Series:
    """Rolling 3 week average spend."""
    calls.hit()
    return spend.rolling(3).mean()


def signups_doubled(signups: pd.Series) -> pd.Series:
    calls.hit()
    return signups * 2


def unrelated(raw_signups: pd.Series) -> pd.Series:
    calls.hit()
    return raw_signups - 1
