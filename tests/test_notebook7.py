"""The graph widget in Jupyter Notebook 7 (``python -m notebook``), the way a user meets it:
load the extension, two ``%%hamilton`` cells, inputs, execute, ``%hamilton_graph``; click a node;
edit a cell and execute again. Same server, browser and helpers as ``test_browser.py``
(which covers JupyterLab in depth); this checks the other front end draws and updates it.

Skips (with the reason) when Notebook 7, Playwright or /usr/bin/chromium is missing.
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("notebook", minversion="7", reason="Jupyter Notebook 7 is not installed (pip install "
                    "'notebook>=7'; the dev extra brings it)")

from test_browser import (ARTIFACTS, CELLS, EDIT, EXECUTE, EXECUTE_ALL, GRAPH, JS_CY,  # noqa: E402
                          assert_no_widget_errors, cy, jupyter_server, notebook_page, playwright_api, run_cell,
                          states)

JS_BOXES = """(index) => {
  const box = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; };
  const output = document.querySelectorAll('.jp-Notebook .jp-Cell')[index].querySelector('.jp-Cell-outputArea');
  return {output: box(output), graph: box(output.querySelector('.hamilton-graph')),
          details: box(output.querySelector('.hamilton-details')),
          page_scroll_width: document.documentElement.scrollWidth, page_width: document.documentElement.clientWidth};
}"""
FLOW = CELLS[:EXECUTE + 1]  # up to the edit of the features cell and the execute after it
CONSOLE: list[str] = []


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory):
    with jupyter_server(tmp_path_factory, "notebook", FLOW) as server:
        yield {**server, "url": f"{server['base']}/notebooks/widget_test.ipynb?token={server['token']}"}


@pytest.fixture(scope="module")
def page(notebook7):
    with notebook_page(notebook7["url"], CONSOLE) as page:
        yield page


def test_the_widget_in_notebook7(page, notebook7):
    t0 = time.monotonic()
    app = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent)")
    assert (app["appName"], app["appVersion"].split(".")[0]) == ("Jupyter Notebook", "7"), app["appName"]
    out = run_cell(page, 0)
    assert str(Path(sys.executable).parent) in out or ".venv" in out, f"kernel is not this venv's python: {out}"
    for index in range(1, GRAPH):
        run_cell(page, index)
    graph = ".hamilton-graph"
    run_cell(page, GRAPH)
    try:
        page.wait_for_selector(f"{graph} canvas", timeout=30_000)
        page.wait_for_function(f"({JS_CY})(['{graph}', 'count']) === 7", timeout=30_000)
    except playwright_api.Error:
        page.screenshot(path=str(ARTIFACTS / "nb7_failed_graph.png"))
        raise
    page.wait_for_timeout(800)  # layout settles
    assert_no_widget_errors(page)
    assert states(page, graph) == {"spend": "input", "signups": "input", "avg_3wk_spend": "fresh",
                                   "spend_per_signup": "fresh", "spend_zscore": "fresh", "score": "fresh",
                                   "signups_norm": "fresh"}
    output = page.locator(".jp-Cell").nth(GRAPH).locator(".jp-Cell-outputArea")
    output.screenshot(path=str(ARTIFACTS / "nb7_widget_1_rendered.png"))

    # click a node: the details panel shows its name, doc and value
    page.locator(graph).scroll_into_view_if_needed()
    xy = cy(page, graph, "xy", "spend_per_signup")
    page.mouse.click(xy["x"], xy["y"])
    details = page.locator(".hamilton-details")
    playwright_api.expect(details).to_contain_text("The cost per signup in relation to spend.", timeout=10_000)
    text = details.inner_text()
    assert "spend_per_signup" in text and "fresh" in text and "dtype=float64" in text
    picture = details.locator("img.hamilton-value-picture")
    assert picture.count() == 1 and picture.evaluate("img => img.naturalWidth") > 0
    # the graph and the open details panel sit inside the output area: no sideways scrolling
    boxes = page.evaluate(JS_BOXES, GRAPH)
    out = boxes["output"]
    for name in ("graph", "details"):
        box = boxes[name]
        assert out["left"] - 1 <= box["left"] and box["right"] <= out["right"] + 1 and box["width"] > 300, boxes
    assert boxes["page_scroll_width"] <= boxes["page_width"], boxes
    # hovering a node shows its doc and state
    page.locator(graph).scroll_into_view_if_needed()
    xy = cy(page, graph, "xy", "avg_3wk_spend")
    page.mouse.move(xy["x"], xy["y"], steps=8)
    playwright_api.expect(page.locator(".hamilton-hover").first).to_contain_text("Rolling 3 week average spend",
                                                                               timeout=10_000)
    output.screenshot(path=str(ARTIFACTS / "nb7_widget_2_clicked.png"))

    # edit the features cell: its downstream turns stale in the drawn graph; execute: fresh again
    assert "changed: avg_3wk_spend" in run_cell(page, EDIT)
    page.wait_for_function(f"""() => ({JS_CY})(['{graph}', 'classes'])['score'].includes('stale')""",
                           timeout=10_000)
    now = states(page, graph)
    assert {n for n, s in now.items() if s == "stale"} == {"avg_3wk_spend", "spend_zscore", "score"}, now
    shown = page.locator(".jp-Cell").nth(EXECUTE_ALL).locator(".jp-Cell-outputArea")
    playwright_api.expect(shown).to_contain_text("⚠ stale", timeout=10_000)
    run_cell(page, EXECUTE)
    page.wait_for_function(f"""() => ({JS_CY})(['{graph}', 'classes'])['score'].includes('fresh')""",
                           timeout=10_000)
    assert set(states(page, graph).values()) == {"input", "fresh"}
    page.locator(graph).scroll_into_view_if_needed()
    output.screenshot(path=str(ARTIFACTS / "nb7_widget_3_fresh.png"))
    assert_no_widget_errors(page)
    ours = [m for m in CONSOLE if m.startswith("error") or re.search(r"mapping|deprecated|style|cytoscape|hamilton",
                                                                    m, re.I)]
    assert ours == [], ours
    print(f"Notebook 7 test body took {time.monotonic() - t0:.1f} s")
