"""The hamilton_nb JupyterLab extension in a real browser, in JupyterLab 4 and in Notebook 7: cell
badges after an edit and an execute, marks on stale results, jumping from a graph node or a
status name to its cell, "Recompute stale outputs", and the graph side panel with its search.

Same server, browser and helpers as ``test_browser.py``; skips (with the reason) when
Playwright or /usr/bin/chromium is missing. Screenshots go to ``test-artifacts/``.
"""
from __future__ import annotations

import re

import nbformat
import pytest

from browser_support import (ARTIFACTS, JS_CY, cy, jupyter_server, notebook_page,  # noqa: E402
                          playwright_api, run_cell)
from test_graph_view import FEATURES, MODEL

pytestmark = pytest.mark.timeout(600)

EDITED_FEATURES = "%%hamilton features" + FEATURES.replace("spend.rolling(3)", "spend.rolling(4)")
CELLS = [
    "%load_ext hamilton_nb\nimport pandas as pd\n"
    "spend_series = pd.Series([10.0, 10, 20, 40, 40, 50])\n"
    "signups_series = pd.Series([1.0, 10, 50, 100, 200, 400])",
    "%%hamilton features" + FEATURES,
    "%%hamilton model" + MODEL,
    "%hamilton_inputs spend=spend_series signups=signups_series",
    "%hamilton_execute score",  # depends on the features cell: goes stale with its edit
    "%hamilton_execute signups_norm",  # does not
    "%hamilton_graph",
    "%hamilton_status",
]
SETUP, FEATURES_CELL, MODEL_CELL, INPUTS, SCORE, NORM, GRAPH, STATUS = range(len(CELLS))
GRAPH_SELECTOR = ".hamilton-graph"

JS_CELLS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map(c => {
  const badge = c.querySelector('.hamilton-nb-badge');
  const prompt = c.querySelector('.jp-InputArea-prompt');
  return {badge: badge ? badge.textContent : null, state: badge ? badge.dataset.state : null,
          title: badge ? badge.title : '', banner: !!c.querySelector('.hamilton-stale'),
          mark: !!c.querySelector('.hamilton-nb-output-mark'), count: prompt ? prompt.textContent.trim() : ''};
})"""

JS_OUTSIDE_PANEL = """(sel) => {  // drawn nodes not wholly on the panel's canvas, and the canvas past the panel
  const cy = document.querySelector(sel)._cyreg.cy, canvas = cy.container().getBoundingClientRect();
  const panel = document.querySelector('#hamilton-nb-panel').getBoundingClientRect();
  const out = cy.nodes().filter(n => { const b = n.renderedBoundingBox();
    return b.x1 < -0.5 || b.y1 < -0.5 || b.x2 > canvas.width + 0.5 || b.y2 > canvas.height + 0.5; }).map(n => n.id());
  if (canvas.left < panel.left - 0.5 || canvas.right > panel.right + 0.5) out.push('the canvas');
  return out;
}"""

APPS = {"jupyterlab": "/lab/tree/widget_test.ipynb", "notebook": "/notebooks/widget_test.ipynb"}


@pytest.fixture(scope="module", params=list(APPS))
def app(request, tmp_path_factory):
    if request.param == "notebook":
        pytest.importorskip("notebook", minversion="7", reason="Jupyter Notebook 7 is not installed")
    console: list[str] = []
    with jupyter_server(tmp_path_factory, request.param, CELLS) as server:
        url = f"{server['base']}{APPS[request.param]}?token={server['token']}"
        with notebook_page(url, console) as page:
            yield {"name": request.param, "page": page, "console": console, "root": server["root"]}


def cells(page) -> list[dict]:
    return page.evaluate(JS_CELLS)


def wait_for_badges(page, expected: dict[int, str | None], timeout: float = 15_000) -> list[dict]:
    """Wait until the badges read ``expected`` (cell index -> text; every other cell: no badge)."""
    want = {str(i): text for i, text in expected.items()}
    try:
        page.wait_for_function("""([js, want]) => (eval(js))().every((c, i) =>
                                    (want[i] === undefined ? null : want[i]) === c.badge)""",
                               arg=[JS_CELLS, want], timeout=timeout)
    except playwright_api.Error:
        page.screenshot(path=str(ARTIFACTS / "frontend_failed_badges.png"))
        raise AssertionError(f"badges {[c['badge'] for c in cells(page)]} != {expected}") from None
    return cells(page)


def set_source(page, index: int, text: str) -> None:
    """Replace a cell's code as typed text (no auto-indent, no closing brackets added)."""
    editor = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(text)
    page.keyboard.press("Escape")


def highlighted(page, index: int, timeout: float = 10_000) -> None:
    """Cell ``index`` is the active one, flashed, and on screen."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    try:
        playwright_api.expect(cell).to_have_class(re.compile(r"hamilton-nb-highlight"), timeout=timeout)
        playwright_api.expect(cell).to_have_class(re.compile(r"jp-mod-active"), timeout=timeout)
    except AssertionError:
        page.screenshot(path=str(ARTIFACTS / "frontend_failed_jump.png"))
        raise
    box, view = cell.bounding_box(), page.viewport_size
    assert box is not None and box["y"] < view["height"] and box["y"] + box["height"] > 0, box


def settled_xy(page, graph: str, node: str, seconds: float = 10) -> dict:
    """Where ``node`` is drawn once the picture stopped moving (a refit follows a new view)."""
    previous = None
    for _ in range(int(seconds / 0.4)):
        page.wait_for_timeout(400)
        now = cy(page, graph, "xy", node)
        if now is not None and now == previous:
            return now
        previous = now
    raise AssertionError(f"{node} never settled in {graph}: {previous}")


def test_badges_marks_jumps_and_recompute(app):
    page, name = app["page"], app["name"]
    for index in range(len(CELLS) - 1):
        run_cell(page, index)
    page.wait_for_selector(f"{GRAPH_SELECTOR} canvas", timeout=30_000)
    now = wait_for_badges(page, {FEATURES_CELL: "fresh", MODEL_CELL: "fresh"})
    assert "module `model`: 3 fresh" in now[MODEL_CELL]["title"]
    assert page.locator(".hamilton-nb-recompute").count() == 1  # the toolbar button

    # the edit: the features cell, changed in place and run again
    set_source(page, FEATURES_CELL, EDITED_FEATURES)
    assert "changed: avg_3wk_spend" in run_cell(page, FEATURES_CELL)
    now = wait_for_badges(page, {FEATURES_CELL: "1 stale", MODEL_CELL: "2 stale"})
    assert "stale: `avg_3wk_spend` changed in cell [" in now[MODEL_CELL]["title"], now[MODEL_CELL]["title"]
    page.wait_for_function("([js, i]) => (eval(js))()[i].mark", arg=[JS_CELLS, SCORE], timeout=10_000)
    now = cells(page)
    assert [c["mark"] for c in now] == [c["banner"] for c in now], now  # the mark follows the banner
    assert [i for i, c in enumerate(now) if c["mark"]] == [SCORE], now
    page.screenshot(path=str(ARTIFACTS / f"frontend_{name}_badges_stale.png"))

    # "Recompute stale outputs" (its keyboard shortcut) re-runs exactly the stale result's cell
    counts = [c["count"] for c in now]
    page.locator(".jp-Notebook .jp-Cell").nth(SETUP).locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("ControlOrMeta+Shift+Enter")
    now = wait_for_badges(page, {FEATURES_CELL: "fresh", MODEL_CELL: "fresh"}, timeout=30_000)
    page.wait_for_function("([js, i]) => !(eval(js))()[i].mark", arg=[JS_CELLS, SCORE], timeout=10_000)
    now = cells(page)
    changed = [i for i, (before, c) in enumerate(zip(counts, now)) if before != c["count"]]
    assert changed == [SCORE], (counts, [c["count"] for c in now])
    assert not any(c["mark"] or c["banner"] for c in cells(page))

    # a node clicked in a graph output: the graph stays put (it shows the node's details) and
    # offers the jump; taking it scrolls to the defining cell, active and flashed
    page.locator(GRAPH_SELECTOR).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    xy = cy(page, GRAPH_SELECTOR, "xy", "spend_per_signup")
    page.mouse.click(xy["x"], xy["y"])
    jump = page.locator(".hamilton-nb-jump")
    playwright_api.expect(jump).to_have_text("Go to the cell defining spend_per_signup", timeout=10_000)
    assert cy(page, GRAPH_SELECTOR, "xy", "spend_per_signup") == xy  # nothing scrolled
    jump.click()
    highlighted(page, FEATURES_CELL)

    # a name in %hamilton_status jumps too
    run_cell(page, STATUS)
    status = page.locator(".jp-Notebook .jp-Cell").nth(STATUS)
    name = status.locator("td", has_text=re.compile(r"^spend_zscore$")).first
    assert name.get_attribute("data-hamilton-node") == "spend_zscore"  # the table names its nodes
    name.click()
    highlighted(page, MODEL_CELL)

    errors = [m for m in app["console"] if m.startswith("error")]
    assert not errors, errors


def test_the_side_panel_shows_the_graph_and_finds_a_node(app):
    page, name = app["page"], app["name"]
    badge = page.locator(".jp-Notebook .jp-Cell").nth(MODEL_CELL).locator(".hamilton-nb-badge")
    badge.scroll_into_view_if_needed()
    badge.click()  # shows the cell's nodes in the panel
    panel = page.locator("#hamilton-nb-panel")
    playwright_api.expect(panel).to_be_visible(timeout=15_000)
    graph = f"#hamilton-nb-panel {GRAPH_SELECTOR}"
    page.wait_for_selector(f"{graph} canvas", timeout=30_000)
    page.wait_for_function(f"({JS_CY})(['{graph}', 'count']) >= 3", timeout=30_000)
    assert {"spend_zscore", "score", "signups_norm"} <= set(cy(page, graph, "ids"))  # the model module
    try:  # the default sidebar width: the whole picture, nothing cut at its sides
        page.wait_for_function(f"({JS_OUTSIDE_PANEL})('{graph}').length === 0", timeout=10_000)
    except playwright_api.Error:
        page.screenshot(path=str(ARTIFACTS / f"frontend_{name}_panel_clipped.png"))
        raise AssertionError(page.evaluate(JS_OUTSIDE_PANEL, graph)) from None
    playwright_api.expect(panel.locator(".hamilton-nb-panel-status tbody tr")).to_have_count(7, timeout=10_000)
    panel.locator("input[type=search]").fill("rolling")
    found = panel.locator(".hamilton-nb-found li")
    playwright_api.expect(found).to_have_count(2, timeout=10_000)
    assert [f.get_attribute("data-node") for f in found.all()] == ["avg_3wk_spend", "spend_zscore"]
    page.screenshot(path=str(ARTIFACTS / f"frontend_{name}_panel.png"))
    found.first.click()  # focuses the graph on it and jumps to its cell
    highlighted(page, FEATURES_CELL)
    page.wait_for_function(f"({JS_CY})(['{graph}', 'ids']).includes('avg_3wk_spend')", timeout=10_000)
    # a node clicked in the panel's graph: the notebook scrolls to its cell straight away
    page.wait_for_function(f"({JS_CY})(['{graph}', 'ids']).includes('spend_zscore')", timeout=10_000)
    xy = settled_xy(page, graph, "spend_zscore")
    page.mouse.move(xy["x"], xy["y"], steps=5)  # the hover line above the graph may grow first
    xy = settled_xy(page, graph, "spend_zscore")
    page.mouse.click(xy["x"], xy["y"])
    highlighted(page, MODEL_CELL)
    assert page.locator(".hamilton-nb-jump").count() == 0
    errors = [m for m in app["console"] if m.startswith("error")]
    assert not errors, errors


SHOP = """import pandas as pd


def total(spend: pd.Series) -> pd.Series:
    \"\"\"Spend so far.\"\"\"
    return spend.cumsum()
"""


def test_a_node_imported_from_a_file_opens_the_file_at_its_line(app):
    page, name = app["page"], app["name"]
    (app["root"] / "shop.py").write_text(SHOP)
    last = page.locator(".jp-Notebook .jp-Cell").last
    last.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # a new cell below
    index = page.locator(".jp-Notebook .jp-Cell").count() - 1
    set_source(page, index, "%hamilton_import shop.py")
    assert "shop: 1 function" in run_cell(page, index)
    if not page.locator("#hamilton-nb-panel").is_visible():
        page.locator(".jp-Notebook .hamilton-nb-badge").first.click()  # opens the panel
    search = page.locator("#hamilton-nb-panel input[type=search]")
    search.fill("so far")
    found = page.locator("#hamilton-nb-panel .hamilton-nb-found li[data-node=total]")
    if name == "notebook":  # Notebook 7 opens other documents in a new browser tab
        with page.context.expect_page(timeout=15_000) as opened:
            found.click()
        assert opened.value.url.split("?")[0].endswith("/edit/shop.py"), opened.value.url
        opened.value.close()
        return
    found.click()
    editor = page.locator(".jp-FileEditor")
    playwright_api.expect(editor).to_be_visible(timeout=15_000)
    playwright_api.expect(page.locator(".jp-StatusBar-Item", has_text="Ln 4, Col 1")).to_have_count(1, timeout=10_000)
    errors = [m for m in app["console"] if m.startswith("error")]
    assert not errors, errors


def add_cell(page, source: str) -> int:
    """A new cell under the last one, holding ``source``; returns its index."""
    page.locator(".jp-Notebook .jp-Cell").last.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    index = page.locator(".jp-Notebook .jp-Cell").count() - 1
    set_source(page, index, source)
    return index


REBIND_BUTTON = """import ipywidgets as W
from hamilton_nb import get_session
rebind = W.Button(description="double the spend")
rebind.on_click(lambda _: get_session().set_inputs(spend=spend_series * 2))
rebind"""


def test_a_change_made_by_a_widget_marks_the_stale_results(app):
    """No cell runs: a button rebinds an input; the results that read it get their banner and mark."""
    page = app["page"]
    notebook_in_front(page, app["name"])
    assert not any(c["mark"] for c in cells(page))
    run_cell(page, add_cell(page, REBIND_BUTTON))
    page.locator(".jp-Notebook .widget-button", has_text="double the spend").click()
    page.wait_for_function("([js, i]) => (eval(js))()[i].mark", arg=[JS_CELLS, SCORE], timeout=15_000)
    now = cells(page)
    assert [c["mark"] for c in now] == [c["banner"] for c in now], now
    assert [i for i, c in enumerate(now) if c["mark"]] == [SCORE], now  # signups_norm doesn't read spend
    run_cell(page, add_cell(page, "%hamilton_inputs spend=spend_series"))  # as it was: fresh again
    page.wait_for_function("([js, i]) => !(eval(js))()[i].mark", arg=[JS_CELLS, SCORE], timeout=15_000)


SLOW = """%%hamilton slow
import time
import pandas as pd

def slow_total(spend: pd.Series) -> pd.Series:
    \"\"\"Takes its time.\"\"\"
    time.sleep(4)
    return spend.cumsum()
"""


def test_a_cell_whose_nodes_run_says_running_then_fresh(app):
    page = app["page"]
    notebook_in_front(page, app["name"])
    slow = add_cell(page, SLOW)
    run_cell(page, slow)
    wait_for_badges(page, {FEATURES_CELL: "fresh", MODEL_CELL: "fresh", slow: "1 not computed"})
    execute = add_cell(page, "%hamilton_execute slow_total")
    cell = page.locator(".jp-Notebook .jp-Cell").nth(execute)
    cell.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Enter")
    badge = page.locator(".jp-Notebook .jp-Cell").nth(slow).locator(".hamilton-nb-badge")
    playwright_api.expect(badge).to_have_text("running", timeout=4_000)
    assert badge.get_attribute("data-state") == "running"
    page.screenshot(path=str(ARTIFACTS / f"frontend_{app['name']}_badge_running.png"))
    playwright_api.expect(badge).to_have_text("fresh", timeout=15_000)
    errors = [m for m in app["console"] if m.startswith("error")]
    assert not errors, errors


def notebook_in_front(page, name: str) -> None:
    """JupyterLab: the notebook's tab, not the file opened last (a reload restores that one)."""
    if name == "jupyterlab":
        tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="widget_test.ipynb").first
        tab.wait_for(timeout=60_000)
        tab.click()


def test_a_reloaded_page_shows_the_badges_again(app):
    """The kernel loaded the extension before this page existed: the page opens its own comm."""
    page = app["page"]
    notebook_in_front(page, app["name"])
    run_cell(page, FEATURES_CELL)  # with its edit saved in the notebook: nothing turns stale
    page.keyboard.press("ControlOrMeta+s")
    page.wait_for_timeout(1500)
    page.reload()
    notebook_in_front(page, app["name"])
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell .jp-InputArea-editor", timeout=60_000)
    expected = {FEATURES_CELL: "fresh", MODEL_CELL: "fresh"}
    saved = nbformat.read(app["root"] / "widget_test.ipynb", as_version=4)  # the cells as saved above
    expected.update({i: "fresh" for i, c in enumerate(saved.cells) if c.source.startswith("%%hamilton slow")})
    wait_for_badges(page, expected, timeout=30_000)
    errors = [m for m in app["console"] if m.startswith("error")]
    assert not errors, errors
