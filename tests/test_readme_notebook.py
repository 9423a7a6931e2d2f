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


@pytest.fixture(scope="module")
def readme_notebook():
    cells = quick_start_cells()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    return nb.cells


def test_the_readme_notebook_quick_start_runs_verbatim(readme_notebook):
    assert len(readme_notebook) == 3
    assert not errors(readme_notebook)
    assert "features: 2 functions; added: avg_3wk_spend, spend_per_signup" in text(readme_notebook[1])
    executed = readme_notebook[2]
    assert text(executed).startswith("2 computed, 0 from cache")
    table = html(executed)
    assert "avg_3wk_spend" in table and "spend_per_signup" in table
    assert "43.333333" in table and "0.125" in table  # the last week: (40+40+50)/3 and 50/400
