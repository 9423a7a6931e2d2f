"""The slow-node clock in JupyterLab, light and dark (headless Chromium; screenshots in test-artifacts/).

Skips (with the reason) when Playwright or /usr/bin/chromium is missing.
"""
from __future__ import annotations

import nbformat

from browser_support import (ARTIFACTS, CONSOLE, GRAPH_SELECTOR, assert_no_widget_errors, assert_readable, cy,
                             lab, notebook_page, run_cell, set_theme)  # noqa: F401 (the fixture lab too)
from test_slow_marks import CELL

CELLS = ["%load_ext hamilton_nb", "import pandas as pd\nx = pd.Series([1.0, 2.0])",
         "%%hamilton timed\n" + CELL.strip(), "%hamilton_inputs x=x", "%hamilton_execute after",
         "%hamilton_graph"]


def test_the_slow_clock_reads_in_light_and_dark(lab):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, lab["root"] / "slow_graph.ipynb")
    url = f"{lab['base']}/lab/tree/slow_graph.ipynb?token={lab['token']}"
    with notebook_page(url, CONSOLE) as page:
        drawn_in_themes(page)


def drawn_in_themes(page) -> None:
    for index in range(len(CELLS)):
        run_cell(page, index, timeout=60_000)
    page.wait_for_function(f"() => {{const el = document.querySelector('{GRAPH_SELECTOR}');"
                           " return el && el._cyreg && el._cyreg.cy && el._cyreg.cy.nodes().length > 0}",
                           timeout=30_000)
    page.wait_for_timeout(1500)
    drawn = cy(page, GRAPH_SELECTOR, "classes")
    assert "slow" in drawn["slow_one"] and "slow" not in drawn["quick"], drawn
    assert_readable(page, GRAPH_SELECTOR)
    output = page.locator(".jp-Cell").nth(len(CELLS) - 1).locator(".jp-OutputArea-output").first
    assert "slow:" in output.inner_text()
    output.screenshot(path=str(ARTIFACTS / "slow_clock_light.png"))
    set_theme(page, "JupyterLab Dark")
    try:
        output.screenshot(path=str(ARTIFACTS / "slow_clock_dark.png"))
        assert_readable(page, GRAPH_SELECTOR)
    finally:
        set_theme(page, "JupyterLab Light")
    assert_no_widget_errors(page)
