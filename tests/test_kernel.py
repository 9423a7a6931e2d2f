"""The user story of issue 3 in a real Jupyter kernel (ipykernel, driven by nbclient)."""
from __future__ import annotations

import sys

import nbformat
import pytest
from nbclient import NotebookClient

SERIES = """
import sys
import pandas as pd
spend_series = pd.Series([10.0, 10, 20, 40, 40, 50])
signups_series = pd.Series([1.0, 10, 50, 100, 200, 400])
print(sys.executable)
"""
FEATURES = '''%%hamilton features
import pandas as pd

def avg_3wk_spend(spend: pd.Series) -> pd.Series:
    """Rolling 3 week average spend."""
    return spend.rolling(3).mean()

def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    return spend / signups
'''
CELLS = [
    "%load_ext hamilton_nb",
    SERIES,
    FEATURES,
    "%hamilton_inputs spend=spend_series signups=signups_series",
    "%hamilton_execute avg_3wk_spend spend_per_signup -v",
    FEATURES.replace("return spend / signups", "return spend / signups * 100"),  # the edit
    "%hamilton_execute avg_3wk_spend spend_per_signup -v",
    "%hamilton_status",
]


def text(cell) -> str:
    """Everything a cell printed (stdout)."""
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def html(cell) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs
                   if o.output_type in ("execute_result", "display_data"))


@pytest.fixture(scope="module")
def notebook():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    return nb.cells


def test_kernel_runs_this_environments_python(notebook):
    assert text(notebook[1]).strip() == sys.executable


def test_user_story_in_a_real_kernel(notebook):
    assert not [o for c in notebook for o in c.outputs if o.output_type == "error"]
    assert "features: 2 functions; added: avg_3wk_spend, spend_per_signup" in text(notebook[2])
    first = text(notebook[4])
    assert first.startswith("2 computed, 0 from cache")
    assert "computed  avg_3wk_spend" in first and "computed  spend_per_signup" in first
    assert "<table" in html(notebook[4]) and "spend_per_signup" in html(notebook[4])  # the DataFrame
    assert "now stale: spend_per_signup" in text(notebook[5])
    second = text(notebook[6])
    assert second.startswith("1 computed, 1 from cache")  # only the edited node recomputes
    assert "computed  spend_per_signup" in second and "cached    avg_3wk_spend" in second
    assert "1000.0" in html(notebook[6])  # the edited values
    assert html(notebook[7]).count(">fresh<") == 2
