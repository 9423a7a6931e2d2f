"""The README's notebook quick start, pasted cell by cell into a real kernel (nbclient)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

README = Path(__file__).resolve().parent.parent / "README.md"


def quick_start_cells() -> list[str]:
    """Every fenced block of the README's "In a notebook" section: one block, one cell."""
    section = README.read_text().split("### In a notebook", 1)[1].split("\n## ", 1)[0]
    return [block.rstrip("\n") for block in re.findall(r"```(?:python)?\n(.*?)```", section, re.S)]


def text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def html(cell) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs
                   if o.output_type in ("execute_result", "display_data"))


def errors(cells) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for c in cells for o in c.outputs if o.output_type == "error"]


def then(cells: list[str]) -> list[str]:
    """What the README suggests next: edit `spend_per_signup`, execute with -v, diff it; then a
    node that fails."""
    features = cells[1]
    return [features.replace("return spend / signups", "return spend / signups * 100"),
            cells[2],
            "%hamilton_diff spend_per_signup",
            "%%hamilton broken\nimport pandas as pd\n\ndef broken(spend: pd.Series) -> pd.Series:\n"
            "    scale = 2\n    return spend / undefined_scale\n",
            "%hamilton_execute broken"]


@pytest.fixture(scope="module")
def readme_notebook():
    cells = quick_start_cells()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells + then(cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=True).execute()
    return nb.cells


def test_the_readme_notebook_quick_start_runs_verbatim(readme_notebook):
    assert len(quick_start_cells()) == 3
    assert not errors(readme_notebook[:3])
    assert "features: 2 functions; added: avg_3wk_spend, spend_per_signup" in text(readme_notebook[1])
    executed = readme_notebook[2]
    assert text(executed).startswith("inputs bound: spend (Series, 6 rows), signups (Series, 6 rows)\n"
                                     "2 computed, 0 from cache")
    table = html(executed)
    assert "avg_3wk_spend" in table and "spend_per_signup" in table
    assert "43.333333" in table and "0.125" in table  # the last week: (40+40+50)/3 and 50/400


def test_after_an_edit_verbose_says_what_changed_and_the_diff_shows_it(readme_notebook):
    assert "now stale: spend_per_signup" in text(readme_notebook[3])
    out = text(readme_notebook[4])
    assert out.startswith("inputs bound: spend (Series, 6 rows), signups (Series, 6 rows)\n"
                          "1 computed, 1 from cache")  # re-binding the same values makes nothing stale
    assert "1 recomputed: 1 changed (spend_per_signup: 6 of 6 rows differ, max |Δ| 990), 0 same" in out
    diff = html(readme_notebook[5])
    assert "Rows that differ (6)" in diff and "Summary, before and after" in diff
    assert "<td>10.0</td>" in diff and "<td>1000.0</td>" in diff  # week 0: 10 / 1 → × 100


def test_a_failing_node_points_at_its_cell_like_ipython(readme_notebook):
    failed = [o for o in readme_notebook[7].outputs if o.output_type == "error"]
    assert [o.ename for o in failed] == ["NodeExecutionError"]
    shown = "\n".join(failed[0].traceback)
    cell_number = readme_notebook[6].execution_count
    assert f"  Cell In[{cell_number}], line 5, in broken\n    return spend / undefined_scale" in shown
    assert "ipykernel_" not in shown and "NameError: name 'undefined_scale' is not defined" in shown
