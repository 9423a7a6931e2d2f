"""The graph widget in a real browser: JupyterLab with default server settings,
headless Chromium driven by Playwright, a generated notebook run cell by cell.

Skips (with the reason) when Playwright or /usr/bin/chromium is missing. Screenshots go to
``test-artifacts/`` (not committed).
"""
from __future__ import annotations

import re
import time

import nbformat

from browser_support import (ADD, CONSOLE, ARTIFACTS, BIG_CELL, EDIT, EXECUTE_ALL, GRAPH, GRAPH_SELECTOR,
                             JS_CY, JS_SCROLLER, JS_WATCH_SIZES, ONE_1000, ONE_5000, ONE_MODULE_CELL,
                             assert_no_widget_errors, assert_nothing_truncated, assert_readable,
                             assert_readable_in_theme, click_shows_details, cy, draw_graph,
                             edit_turns_downstream_stale, execute_turns_fresh, file_browser_open,
                             graph_drawn, hover_shows_doc, lab, open_group, page, playwright_api, run_cell,
                             set_theme, size_changes, states)  # noqa: F401 (the fixtures lab and page too)


def test_the_widget_in_jupyterlab(page, lab):
    t0 = time.monotonic()
    graph = GRAPH_SELECTOR
    widget = draw_graph(page)
    click_shows_details(page)
    assert "picked" in cy(page, graph, "classes")["spend_per_signup"]  # the selection is highlighted
    assert_readable(page, graph)
    assert_nothing_truncated(page)
    hover_shows_doc(page)
    widget.screenshot(path=str(ARTIFACTS / "widget_2_clicked.png"))

    now = edit_turns_downstream_stale(page)
    assert now["spend_per_signup"] == now["signups_norm"] == "fresh"
    assert len(cy(page, graph, "edges")) == 7  # restyled in place: nothing lost
    page.locator(graph).scroll_into_view_if_needed()
    widget.screenshot(path=str(ARTIFACTS / "widget_3_stale.png"))
    # the result shown earlier is redrawn in place: a banner naming the edit, its old values dimmed
    shown = page.locator(".jp-Cell").nth(EXECUTE_ALL)
    playwright_api.expect(shown.locator(".jp-Cell-outputArea")).to_contain_text("⚠ stale", timeout=10_000)
    text = shown.locator(".jp-Cell-outputArea").inner_text()
    assert "avg_3wk_spend changed in module features" in text and "signups_norm" in text, text
    assert "score below is from before that change; the other columns are current" in text, text
    shown.scroll_into_view_if_needed()
    shown.screenshot(path=str(ARTIFACTS / "stale_banner.png"))

    # execute: they turn fresh
    execute_turns_fresh(page)
    widget.screenshot(path=str(ARTIFACTS / "widget_4_fresh.png"))
    assert_no_widget_errors(page)

    # a new function: the drawn graph gets the node and its edge, and keeps all the others
    run_cell(page, ADD)
    page.wait_for_function(f"({JS_CY})(['{graph}', 'count']) === 8", timeout=10_000)
    page.wait_for_timeout(800)
    assert cy(page, graph, "edges") == sorted(["spend->avg_3wk_spend", "spend->spend_per_signup",
                                               "signups->spend_per_signup", "avg_3wk_spend->spend_zscore",
                                               "signups->signups_norm", "spend_zscore->score",
                                               "spend_per_signup->score", "score->score_doubled"])
    assert states(page, graph)["score_doubled"] == "not-computed"
    page.locator(graph).scroll_into_view_if_needed()
    widget.screenshot(path=str(ARTIFACTS / "widget_5_added.png"))

    # 1000 functions: the overview draws within a few seconds, without IOPub trouble
    t1 = time.monotonic()
    out = run_cell(page, BIG_CELL)
    assert re.search(r"1000 nodes; \d+ elements", out), out
    page.wait_for_function(f"({JS_CY})(['.big-graph', 'count']) === 11", timeout=20_000)
    seconds = time.monotonic() - t1
    print(f"1000-node overview visible in the browser after {seconds:.1f} s")
    assert seconds < 8
    page.wait_for_timeout(800)
    assert_no_widget_errors(page)
    assert "IOPub" not in lab["log"].read_text()
    page.locator(".jp-Cell").nth(BIG_CELL).locator(".jp-Cell-outputArea").screenshot(
        path=str(ARTIFACTS / "widget_6_overview_1000.png"))

    # clicking a module opens it: readable groups of its nodes, not 100 nodes in a row
    inside = open_group(page, ".big-graph", "group:module:mod3")
    groups = [i for i in inside if i.startswith("group:module:mod3/")]
    assert 0 < len(groups) <= 40 and set(inside) - set(groups) == {"m2_f99", "m4_f0"}, inside  # + the outside, faded
    assert_readable(page, ".big-graph")
    assert_no_widget_errors(page)
    page.locator(".jp-Cell").nth(BIG_CELL).locator(".jp-Cell-outputArea").screenshot(
        path=str(ARTIFACTS / "widget_7_module_opened.png"))

    # one module of 1000, then 5000 functions: the first view is ~10 readable family groups
    run_cell(page, ONE_MODULE_CELL)
    for count, index in ((1000, ONE_1000), (5000, ONE_5000)):
        t1 = time.monotonic()
        run_cell(page, index, timeout=60_000)
        selector = f".one-{count}"
        page.wait_for_function(f"({JS_CY})(['{selector}', 'count']) === 11", timeout=30_000)
        print(f"{count} functions in one module: first view in the browser after {time.monotonic() - t1:.1f} s")
        page.wait_for_timeout(800)
        seen = assert_readable(page, selector)
        assert seen["nodes"] <= 40
        assert "group:module:features/prefix:spend" in cy(page, selector, "ids")
        output = page.locator(".jp-Cell").nth(index).locator(".jp-Cell-outputArea")
        output.screenshot(path=str(ARTIFACTS / f"widget_8_one_module_{count}.png"))
        # drill in: spend_* → its first depth range → nodes; breadcrumbs lead back out
        inside = open_group(page, selector, "group:module:features/prefix:spend")
        inside = [i for i in inside if i != "base"]  # what feeds spend_*, drawn faded above it
        while not inside[0].startswith("spend_w"):  # depth ranges, upstream first, down to nodes
            assert inside[0].startswith("group:module:features/prefix:spend/depth:"), inside
            inside = [i for i in open_group(page, selector, inside[0]) if i != "base"]
        # the nodes of the group, and up to 4 outside neighbours on each side (or a box counting them)
        assert all(i.startswith(("spend_w", "context:")) for i in inside) and len(inside) <= 40 + 8, inside
        assert_readable(page, selector)
        output.get_by_role("button", name="Fit", exact=True).click()  # a tall chain: fitted within the bounds
        page.wait_for_timeout(800)
        assert 0.85 <= assert_readable(page, selector)["zoom"] <= 1.5
        crumbs = output.locator(".hamilton-crumbs button")
        assert crumbs.first.inner_text() == "all" and "spend_*" in crumbs.nth(2).inner_text()
        output.screenshot(path=str(ARTIFACTS / f"widget_9_drilled_{count}.png"))
        crumbs.first.click()
        page.wait_for_function(f"({JS_CY})(['{selector}', 'count']) === 11", timeout=20_000)
        assert_nothing_truncated(page)
    assert_no_widget_errors(page)
    ours = [m for m in CONSOLE if re.search(r"mapping|deprecated|style|cytoscape", m, re.I)]
    assert ours == [], ours
    print(f"browser test body took {time.monotonic() - t0:.1f} s")


def test_drawn_outputs_hold_still_with_the_file_browser_open(page, lab):
    file_browser_open(page)
    graph_drawn(page, "steady_")
    page.locator(GRAPH_SELECTOR).first.scroll_into_view_if_needed()
    page.mouse.move(10, 10)
    page.wait_for_timeout(1000)
    changes = size_changes(page)
    assert changes == [], f"{len(changes)} size changes in 5 s, e.g. {changes[:6]}"
    # a notebook scrollbar coming or going can't change the width the widget lays out in
    gutter = page.evaluate(f"(s) => getComputedStyle(s).scrollbarGutter", page.evaluate_handle(JS_SCROLLER, GRAPH_SELECTOR))
    assert gutter == "stable", gutter
    # hovering the graph changes no size either
    box = page.locator(GRAPH_SELECTOR).first.bounding_box()
    page.evaluate(JS_WATCH_SIZES)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20, steps=5)
    page.wait_for_timeout(1500)
    changes = page.evaluate("() => { window.__stopWatching(); return window.__sizeChanges; }")
    assert changes == [], changes


def test_the_wheel_scrolls_the_notebook_and_ctrl_wheel_zooms(page, lab):
    graph_drawn(page, "wheel_")
    graph = page.locator(GRAPH_SELECTOR).first
    graph.scroll_into_view_if_needed()
    scroller = page.evaluate_handle(JS_SCROLLER, GRAPH_SELECTOR)
    page.evaluate("(s) => { s.scrollTop = Math.max(0, s.scrollTop - 150); }", scroller)  # room to scroll down
    page.wait_for_timeout(300)
    box = graph.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 120))
    top, zoom = page.evaluate("(s) => s.scrollTop", scroller), cy(page, GRAPH_SELECTOR, "readable")["zoom"]
    page.mouse.wheel(0, 240)
    page.wait_for_timeout(600)
    assert page.evaluate("(s) => s.scrollTop", scroller) > top  # the notebook scrolled
    assert cy(page, GRAPH_SELECTOR, "readable")["zoom"] == zoom  # the graph didn't zoom
    box = graph.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 120))
    top = page.evaluate("(s) => s.scrollTop", scroller)
    page.keyboard.down("Control")
    page.mouse.wheel(0, 240)
    page.keyboard.up("Control")
    page.wait_for_timeout(600)
    assert cy(page, GRAPH_SELECTOR, "readable")["zoom"] < zoom  # zoomed out
    assert page.evaluate("(s) => s.scrollTop", scroller) == top
    # cytoscape warns about the wheel sensitivity ipycytoscape always passes: at most once a page
    # (before the widget's script is installed), not once a graph
    assert len([m for m in CONSOLE if "wheel sensitivity" in m]) <= 1


def test_readable_in_the_light_and_the_dark_theme(page, lab):
    graph_drawn(page, "theme_")
    if not page.locator(".hamilton-details img.hamilton-value-picture").count():
        click_shows_details(page)
    if not page.locator(".hamilton-stale").count():
        run_cell(page, EDIT)
    shown = page.locator(".jp-Cell").nth(EXECUTE_ALL)
    playwright_api.expect(shown.locator(".hamilton-stale")).to_be_visible(timeout=10_000)
    widget = page.locator(".jp-Cell").nth(GRAPH).locator(".jp-Cell-outputArea")
    try:
        for theme, tag in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
            set_theme(page, theme)
            assert_readable_in_theme(page, theme)
            shown.scroll_into_view_if_needed()
            shown.screenshot(path=str(ARTIFACTS / f"theme_{tag}_stale_banner.png"))
            widget.scroll_into_view_if_needed()
            widget.screenshot(path=str(ARTIFACTS / f"theme_{tag}_widget.png"))
            canvas = page.evaluate(f"getComputedStyle(document.querySelector('{GRAPH_SELECTOR}')).backgroundColor")
            page_bg = page.evaluate("getComputedStyle(document.querySelector('.jp-Notebook')).backgroundColor")
            assert canvas == page_bg or tag == "light", (canvas, page_bg)  # no white block on a dark page
    finally:
        set_theme(page, "JupyterLab Light")


# last: it leaves the page on another notebook
def test_a_saved_graph_is_a_picture_in_an_untrusted_notebook(page, lab):
    """A notebook saved with a graph output, opened by someone else (so not trusted, no kernel
    state): JupyterLab skips the widget view and shows the sanitized HTML, our picture."""
    from hamilton_nb.notebook.widget import GraphWidget
    from test_graph_view import small_session

    widget = GraphWidget(small_session())
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("%hamilton_graph", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("display_data", data=widget._repr_mimebundle_())]
    notebook.cells = [cell]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, lab["root"] / "saved_graph.ipynb")
    widget.close()
    page.goto(f"{lab['base']}/lab/tree/saved_graph.ipynb?token={lab['token']}")
    picture = page.locator(".jp-OutputArea-output img.hamilton-graph-svg")
    picture.wait_for(timeout=60_000)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=picture.element_handle(),
                           timeout=10_000)
    assert "score" in picture.get_attribute("alt")
    assert_no_widget_errors(page)
    page.locator(".jp-OutputArea-output").first.screenshot(path=str(ARTIFACTS / "saved_graph_untrusted.png"))
