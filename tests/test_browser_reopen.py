"""A notebook with graph outputs, its kernel gone, in a real browser (JupyterLab 4 and Notebook 7):
after a kernel restart, reopened without running (no widget state saved: the widget's model is not
found), and as `make lab` opens the tutorials (executed by nbconvert, widget state saved, trusted).
Each time the page shows the graph's picture as last drawn and the line saying to run the cell,
never a widget error or a widget whose clicks reach nothing. Screenshots: ``test-artifacts/``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import nbformat
import pytest

import browser_support as tb
from hamilton_nb.notebook.saved_picture import RUN_LINE

CELLS = tb.CELLS[:tb.ADD + 1]  # … %hamilton_graph, an edit, an execute, a new node
FINAL = "graph of 8 boxes: spend, signups, avg_3wk_spend, spend_per_signup, signups_norm, spend_zscore, score, " \
        "score_doubled"
SEEN = """() => {
  const shown = e => !!(e && e.offsetParent);
  const pictures = [...document.querySelectorAll('.hamilton-saved-graph')].filter(shown);
  return {pictures: pictures.map(p => p.querySelector('img').alt), text: pictures.map(p => p.innerText),
          widgets: [...document.querySelectorAll('.hamilton-widget')].filter(shown).length};
}"""


@pytest.fixture(scope="module", params=["jupyterlab", "notebook"])
def server(request, tmp_path_factory):
    with tb.jupyter_server(tmp_path_factory, request.param, CELLS) as running:
        path = "lab/tree" if request.param == "jupyterlab" else "notebooks"
        yield {**running, "app": request.param, "url": lambda name: f"{running['base']}/{path}/{name}?token="
                                                                     f"{running['token']}"}


def seen(page, tag: str) -> dict:
    page.wait_for_timeout(2500)  # the widget manager restores (or fails to find) the models
    page.screenshot(path=str(tb.ARTIFACTS / f"reopen_{tag}.png"))
    tb.assert_no_widget_errors(page)
    return page.evaluate(SEEN)


def assert_the_picture_shows(page, tag: str) -> None:
    now = seen(page, tag)
    assert now == {"pictures": [FINAL], "text": [RUN_LINE], "widgets": 0}, now


def cells(page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")


def test_a_graph_without_its_kernel_shows_its_last_picture(server):
    app, console = server["app"], []
    with tb.notebook_page(server["url"]("widget_test.ipynb"), console) as page:
        for index in range(len(CELLS)):
            tb.run_cell(page, index, timeout=60_000)
        cells(page).nth(tb.GRAPH).scroll_into_view_if_needed()
        live = seen(page, f"{app}_live")
        assert live == {"pictures": [], "text": [], "widgets": 1}, live  # the widget, its picture hidden
        page.keyboard.press("Control+s")
        cells(page).nth(0).locator(".jp-InputArea-prompt").click()
        page.keyboard.press("Escape")
        page.keyboard.press("0")
        page.keyboard.press("0")  # restart the kernel, as a user does
        page.locator(".jp-Dialog button.jp-mod-accept").click(timeout=10_000)
        cells(page).nth(tb.GRAPH).scroll_into_view_if_needed()
        assert_the_picture_shows(page, f"{app}_restarted")
    for session in tb.get(f"{server['base']}/api/sessions?token={server['token']}"):  # close the notebook
        urllib.request.urlopen(urllib.request.Request(
            f"{server['base']}/api/sessions/{session['id']}?token={server['token']}", method="DELETE"), timeout=10)
    saved = nbformat.read(server["root"] / "widget_test.ipynb", 4)
    assert "widgets" not in saved.metadata  # JupyterLab's default: no widget state saved
    with tb.notebook_page(server["url"]("widget_test.ipynb"), console) as page:
        cells(page).nth(tb.GRAPH).scroll_into_view_if_needed()
        assert_the_picture_shows(page, f"{app}_reopened")


def test_a_notebook_saved_with_widget_state_opens_on_the_picture(server):
    """`make notebooks` (nbconvert --execute: widget state saved) then `make lab` (trusted)."""
    app, root = server["app"], server["root"]
    executed = root / f"executed_{app}.ipynb"
    env = {**os.environ, "PYTHONPATH": str(tb.ARTIFACTS.parent)}
    for command in (["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=python3",
                     "--output", executed.name, str(root / "widget_test.ipynb")], ["trust", str(executed)]):
        subprocess.run([sys.executable, "-m", "jupyter", *command], check=True, env=env, capture_output=True,
                       timeout=300)
    assert nbformat.read(executed, 4).metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    with tb.notebook_page(server["url"](executed.name), []) as page:
        cells(page).nth(tb.GRAPH).scroll_into_view_if_needed()
        assert_the_picture_shows(page, f"{app}_saved_state")
