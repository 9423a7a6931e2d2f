"""The graph widget in Jupyter Notebook 7 (``python -m notebook``), the way a user meets it:
load the extension, two ``%%hamilton`` cells, inputs, execute, ``%hamilton_graph``; click a node;
edit a cell and execute again. Same server, browser and helpers as ``test_browser.py``
(which covers JupyterLab in depth); this checks the other front end draws and updates it.

Skips (with the reason) when Notebook 7, Playwright or /usr/bin/chromium is missing.
"""
from __future__ import annotations

import re
import time

import pytest

pytest.importorskip("notebook", minversion="7", reason="Jupyter Notebook 7 is not installed (pip install "
                    "'notebook>=7'; the dev extra brings it)")

from browser_support import (ARTIFACTS, CELLS, EXECUTE, EXECUTE_ALL, GRAPH, assert_no_widget_errors,  # noqa: E402
                          assert_readable_in_theme, click_shows_details, set_theme, draw_graph,
                          edit_turns_downstream_stale, execute_turns_fresh,
                          hover_shows_doc, jupyter_server, notebook_page, playwright_api)

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
    output = draw_graph(page, "nb7_")
    click_shows_details(page)
    # the graph and the open details panel sit inside the output area: no sideways scrolling
    boxes = page.evaluate(JS_BOXES, GRAPH)
    out = boxes["output"]
    for name in ("graph", "details"):
        box = boxes[name]
        assert out["left"] - 1 <= box["left"] and box["right"] <= out["right"] + 1 and box["width"] > 300, boxes
    assert boxes["page_scroll_width"] <= boxes["page_width"], boxes
    hover_shows_doc(page)
    output.screenshot(path=str(ARTIFACTS / "nb7_widget_2_clicked.png"))

    # edit the features cell: its downstream turns stale in the drawn graph; execute: fresh again
    edit_turns_downstream_stale(page)
    shown = page.locator(".jp-Cell").nth(EXECUTE_ALL).locator(".jp-Cell-outputArea")
    playwright_api.expect(shown).to_contain_text("⚠ stale", timeout=10_000)
    execute_turns_fresh(page)
    output.screenshot(path=str(ARTIFACTS / "nb7_widget_3_fresh.png"))
    assert_no_widget_errors(page)
    # the dark theme: labels, legend, details, value picture and stale banner stay readable
    set_theme(page, "JupyterLab Dark")
    assert_readable_in_theme(page, "Notebook 7 dark")
    output.screenshot(path=str(ARTIFACTS / "nb7_theme_dark_widget.png"))
    shown.screenshot(path=str(ARTIFACTS / "nb7_theme_dark_stale_banner.png"))
    ours = [m for m in CONSOLE if m.startswith("error") or re.search(r"mapping|deprecated|style|cytoscape|hamilton",
                                                                    m, re.I)]
    assert ours == [], ours
    print(f"Notebook 7 test body took {time.monotonic() - t0:.1f} s")
