"""What the browser tests share: a JupyterLab or Notebook 7 server on a test notebook, a page on it
(Playwright driving the system Chromium), and helpers that run cells and read the graph widget."""
from __future__ import annotations
import contextlib
import inspect
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
import nbformat
import pytest
import test_graph_view
from test_graph_view import FAMILIES, FEATURES, MODEL


CHROMIUM = Path("/usr/bin/chromium")


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


BAD_TEXT = ("Error displaying widget", "Failed to load model", "IOPub message rate exceeded")


playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed "
                                     "(pip install playwright); the browser test needs it")


if not CHROMIUM.exists():
    pytest.skip(f"no browser: {CHROMIUM} is missing (Debian package `chromium`; .ci/run installs it)",
                allow_module_level=True)


from browser_run import run_cell  # noqa: E402,F401 (re-exported: the tests import it from here)
from browser_themes import assert_readable_in_theme, set_theme  # noqa: E402,F401


# ---- the notebook --------------------------------------------------------------------------------
ADDED = '''
def score_doubled(score: pd.Series) -> pd.Series:
    """Twice the score."""
    return score * 2
'''


EDITED_FEATURES = FEATURES.replace("spend.rolling(3)", "spend.rolling(4)")  # avg_3wk_spend changes


BIG = "\n".join([
    "from hamilton_nb.session import Session",
    "from hamilton_nb.notebook.widget import GraphWidget",
    inspect.getsource(test_graph_view.big_module_source),
    "big = Session()",
    "for m in range(10):",
    "    big.register_cell(big_module_source(m), f'mod{m}', {})",
    "big_widget = GraphWidget(big)",
    "big_widget.cyto.add_class('big-graph')",
    "print(len(big.graph.nodes), 'nodes;', big_widget.view.size, 'elements')",
    "big_widget",
])


ONE_MODULE = "\n".join([
    f"FAMILIES = {FAMILIES!r}",
    inspect.getsource(test_graph_view.family_module_source),
    "def one_module(count):",
    "    session = Session()",
    "    session.register_cell(family_module_source(count), 'features', {})",
    "    widget = GraphWidget(session)",
    "    widget.cyto.add_class(f'one-{count}')",
    "    return widget",
])


CELLS = [
    "%load_ext hamilton_nb\nimport sys\nimport pandas as pd\nprint(sys.executable)\n"
    "spend_series = pd.Series([10.0, 10, 20, 40, 40, 50])\n"
    "signups_series = pd.Series([1.0, 10, 50, 100, 200, 400])",
    "%%hamilton features" + FEATURES,
    "%%hamilton model" + MODEL,
    "%hamilton_inputs spend=spend_series signups=signups_series",
    "%hamilton_execute score signups_norm",
    "%hamilton_graph",
    "%%hamilton features" + EDITED_FEATURES,  # the "edit" of the features cell
    "%hamilton_execute score",
    "%%hamilton model" + MODEL + ADDED,  # a new node: the drawn graph changes shape
    BIG,
    ONE_MODULE,
    "one_module(1000)",
    "one_module(5000)",
]


EXECUTE_ALL, GRAPH, EDIT, EXECUTE, ADD, BIG_CELL, ONE_MODULE_CELL, ONE_1000, ONE_5000 = range(4, 13)


# cytoscape keeps its instance on the widget's element: el._cyreg.cy
JS_CY = """([sel, what, id]) => {
  const el = document.querySelector(sel);
  if (!el || !el._cyreg || !el._cyreg.cy) return null;
  const cy = el._cyreg.cy;
  if (what === 'count') return cy.nodes().length;
  if (what === 'edges') return cy.edges().map(e => e.source().id() + '->' + e.target().id()).sort();
  if (what === 'classes') { const r = {}; cy.nodes().forEach(n => { r[n.id()] = n.classes(); }); return r; }
  if (what === 'ids') return cy.nodes().map(n => n.id());
  if (what === 'readable') {  // on-screen font size of the smallest label, and labels spilling out of their box
    const sizes = cy.nodes().map(n => parseFloat(n.style('font-size')) * cy.zoom());
    const spilling = cy.nodes().filter(n => {
      const box = n.boundingBox({includeLabels: false}), text = n.boundingBox({includeNodes: false, includeEdges: false});
      return text.w > box.w + 1 || text.h > box.h + 1; }).map(n => n.id());
    return {min_px: Math.min(...sizes), zoom: cy.zoom(), spilling: spilling, nodes: cy.nodes().length}; }
  const n = cy.getElementById(id); if (n.empty()) return null;
  const p = n.renderedPosition(); const b = cy.container().getBoundingClientRect();
  return {x: b.left + p.x, y: b.top + p.y};
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def jupyter_server(tmp_path_factory, app: str, cells: list[str]):
    """``python -m APP`` (``jupyterlab`` or ``notebook``) from this venv, so kernelspec ``python3``
    is this venv's python: own port, random token, a temporary root holding ``widget_test.ipynb``
    made of ``cells``, temporary Jupyter dirs; stopped with its kernels on exit."""
    root = tmp_path_factory.mktemp(app)
    home = tmp_path_factory.mktemp("jupyter")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, root / "widget_test.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    command = [sys.executable, "-m", app, "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(root.parent / f"{root.name}-{app}.log", "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                get(f"{base}/api/status?token={token}")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start: {Path(log.name).read_text()[-2000:]}")
                time.sleep(0.3)
        specs = get(f"{base}/api/kernelspecs?token={token}")
        python3 = specs["kernelspecs"]["python3"]
        assert python3["spec"]["argv"][0] in ("python", "python3", sys.executable), python3
        yield {"log": Path(log.name), "root": root, "base": base, "token": token}
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the server and the kernels it started
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(5)
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab with the notebook of ``CELLS``."""
    with jupyter_server(tmp_path_factory, "jupyterlab", CELLS) as server:
        yield {**server, "url": f"{server['base']}/lab/tree/widget_test.ipynb?token={server['token']}"}


CONSOLE: list[str] = []  # the browser console's warnings and errors, for the whole test


@contextlib.contextmanager
def notebook_page(url: str, console: list[str]):
    """Headless Chromium showing the notebook at ``url``, its kernel idle; the console's
    warnings and errors are appended to ``console``."""
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("warning", "error")
                    else None)
            page.goto(url)
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell .jp-InputArea-editor", timeout=60_000)
            page.wait_for_function("""() => {const e = document.querySelector('.jp-Notebook-ExecutionIndicator');
                                             return e && e.getAttribute('data-status') === 'idle'}""",
                                   timeout=60_000)
            no_news = page.get_by_role("button", name="No", exact=True)  # the "Jupyter news?" toast
            try:
                no_news.click(timeout=3_000)
            except playwright_api.Error:
                pass
            yield page
        finally:
            browser.close()


@pytest.fixture(scope="module")
def page(lab):
    with notebook_page(lab["url"], CONSOLE) as page:
        yield page


def cy(page, selector: str, what: str, node: str | None = None):
    return page.evaluate(JS_CY, [selector, what, node])


def states(page, selector: str) -> dict[str, str]:
    known = {"input", "fresh", "stale", "not-computed", "running", "error"}
    return {n: next(c for c in classes if c in known) for n, classes in cy(page, selector, "classes").items()}


def assert_readable(page, selector: str) -> dict:
    """Every drawn label is at least 10 px on screen and fits its box."""
    seen = cy(page, selector, "readable")
    assert seen["min_px"] >= 10 and not seen["spilling"], seen
    return seen


def assert_nothing_truncated(page) -> None:
    """No button or toggle of the widget cuts its own label short."""
    cut = page.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea .widget-button, .jp-OutputArea .widget-toggle-button')]
        .filter(b => b.offsetParent && b.scrollWidth > b.clientWidth + 1).map(b => b.textContent)""")
    assert cut == [], cut


def open_group(page, selector: str, group_id: str, timeout: float = 20_000) -> list[str]:
    """Click a group; wait until the view shows what is inside it; returns the drawn ids."""
    page.locator(selector).scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    xy = cy(page, selector, "xy", group_id)
    page.mouse.click(xy["x"], xy["y"])
    page.wait_for_function(f"!(({JS_CY})(['{selector}', 'ids']) || ['{group_id}']).includes('{group_id}')",
                           timeout=timeout)
    page.wait_for_timeout(500)
    return cy(page, selector, "ids")


def assert_no_widget_errors(page) -> None:
    body = page.inner_text("body")
    for bad in BAD_TEXT:
        assert bad not in body, bad


GRAPH_SELECTOR = ".hamilton-graph"


def draw_graph(page, shots: str = ""):
    """Run the cells up to ``%hamilton_graph`` (in this venv's kernel): the widget draws the 7
    nodes with their states. Returns the graph's output area (screenshots: ``shots`` prefix)."""
    graph = GRAPH_SELECTOR
    out = run_cell(page, 0)
    assert str(Path(sys.executable).parent) in out or ".venv" in out, f"kernel is not this venv's python: {out}"
    for index in range(1, GRAPH):
        run_cell(page, index)
    run_cell(page, GRAPH)
    try:
        page.wait_for_selector(f"{graph} canvas", timeout=30_000)
        page.wait_for_function(f"({JS_CY})(['{graph}', 'count']) === 7", timeout=30_000)
    except playwright_api.Error:
        page.screenshot(path=str(ARTIFACTS / f"{shots}failed_graph.png"))
        raise
    page.wait_for_timeout(800)  # layout settles
    assert_no_widget_errors(page)
    assert states(page, graph) == {"spend": "input", "signups": "input", "avg_3wk_spend": "fresh",
                                   "spend_per_signup": "fresh", "spend_zscore": "fresh", "score": "fresh",
                                   "signups_norm": "fresh"}
    output = page.locator(".jp-Cell").nth(GRAPH).locator(".jp-Cell-outputArea")
    output.screenshot(path=str(ARTIFACTS / f"{shots}widget_1_rendered.png"))
    return output


def click_shows_details(page):
    """Click a node: the details panel shows its name, doc, state and a picture of its value."""
    graph = GRAPH_SELECTOR
    page.locator(graph).scroll_into_view_if_needed()
    xy = cy(page, graph, "xy", "spend_per_signup")
    page.mouse.click(xy["x"], xy["y"])
    details = page.locator(".hamilton-details")
    playwright_api.expect(details).to_contain_text("The cost per signup in relation to spend.", timeout=10_000)
    text = details.inner_text()
    assert "spend_per_signup" in text and "fresh" in text and "dtype=float64" in text
    picture = details.locator("img.hamilton-value-picture")  # a picture of the value, drawn
    assert picture.count() == 1 and picture.evaluate("img => img.naturalWidth") > 0


def hover_shows_doc(page) -> None:
    graph = GRAPH_SELECTOR
    page.locator(graph).scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # the details panel grew: the page may have scrolled
    xy = cy(page, graph, "xy", "avg_3wk_spend")
    page.mouse.move(xy["x"], xy["y"], steps=8)
    playwright_api.expect(page.locator(".hamilton-hover").first).to_contain_text("Rolling 3 week average spend",
                                                                               timeout=10_000)


def edit_turns_downstream_stale(page) -> dict[str, str]:
    """Re-run the features cell, edited: exactly the edit's downstream turns stale in the drawn
    graph, in place. Returns the states drawn."""
    graph = GRAPH_SELECTOR
    assert "changed: avg_3wk_spend" in run_cell(page, EDIT)
    page.wait_for_function(f"""() => ({JS_CY})(['{graph}', 'classes'])['score'].includes('stale')""",
                           timeout=10_000)
    now = states(page, graph)
    assert {n for n, s in now.items() if s == "stale"} == {"avg_3wk_spend", "spend_zscore", "score"}, now
    return now


def execute_turns_fresh(page) -> None:
    graph = GRAPH_SELECTOR
    run_cell(page, EXECUTE)
    page.wait_for_function(f"""() => ({JS_CY})(['{graph}', 'classes'])['score'].includes('fresh')""",
                           timeout=10_000)
    assert set(states(page, graph).values()) == {"input", "fresh"}
    page.locator(graph).scroll_into_view_if_needed()


# ---- scrolling, steadiness, themes ------------------------------------------------------------
JS_SCROLLER = """(sel) => {  // the element that scrolls the notebook around the graph
  for (let e = document.querySelector(sel); e; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (/(auto|scroll)/.test(s.overflowY) && e.scrollHeight > e.clientHeight) return e;
  }
  return document.scrollingElement;
}"""


JS_WATCH_SIZES = """() => {  // count size changes of the outputs, cells and graph boxes from now on
  window.__sizeChanges = [];
  const watched = [...document.querySelectorAll('.jp-Cell-outputArea, .jp-Cell, .hamilton-graph')];
  const last = new Map();
  const observer = new ResizeObserver(entries => { for (const e of entries) {
    const r = e.target.getBoundingClientRect(), size = `${r.width.toFixed(1)}x${r.height.toFixed(1)}`;
    if (last.has(e.target) && last.get(e.target) !== size)
      window.__sizeChanges.push(`${e.target.className.split(' ')[0]} ${last.get(e.target)} -> ${size}`);
    last.set(e.target, size); } });
  watched.forEach(e => observer.observe(e));
  window.__stopWatching = () => observer.disconnect();
}"""


def graph_drawn(page, shots: str = "") -> None:
    """The graph of ``%hamilton_graph``, drawn now (drawn again only when it isn't)."""
    if not cy(page, GRAPH_SELECTOR, "count"):
        draw_graph(page, shots)


def file_browser_open(page) -> None:
    """JupyterLab's default layout: the file browser open on the left."""
    if not page.locator("#filebrowser").is_visible():
        page.locator(".jp-SideBar.jp-mod-left [data-id='filebrowser']").click()
    page.wait_for_selector("#filebrowser", state="visible", timeout=10_000)


def size_changes(page, seconds: float = 5) -> list[str]:
    page.evaluate(JS_WATCH_SIZES)
    page.wait_for_timeout(seconds * 1000)
    return page.evaluate("() => { window.__stopWatching(); return window.__sizeChanges; }")
