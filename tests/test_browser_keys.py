"""In a real browser (JupyterLab, headless Chromium): the hover line and the details panel say why
a node is stale, and the keyboard moves through the graph (arrows, Enter, Esc for Back)."""
from __future__ import annotations

import browser_support as tb
from browser_support import lab, page  # noqa: F401 (fixtures: JupyterLab with the test notebook, a page on it)

G = tb.GRAPH_SELECTOR


def hover_text(page) -> str:
    return page.locator(".hamilton-hover").first.inner_text()


def test_why_stale_and_the_keyboard(page):  # noqa: F811
    tb.draw_graph(page, "keys_")
    tb.edit_turns_downstream_stale(page)
    page.locator(G).scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    xy = tb.cy(page, G, "xy", "score")
    page.mouse.move(xy["x"], xy["y"], steps=8)
    tb.playwright_api.expect(page.locator(".hamilton-hover").first).to_contain_text(
        "score — stale because `avg_3wk_spend` was edited (module `features`)", timeout=10_000)
    xy = tb.cy(page, G, "xy", "spend_zscore")
    page.mouse.click(xy["x"], xy["y"])
    details = page.locator(".hamilton-details")
    tb.playwright_api.expect(details).to_contain_text("stale because `avg_3wk_spend` was edited", timeout=10_000)
    page.keyboard.press("ArrowDown")  # from the selected node to the one below it
    tb.playwright_api.expect(page.locator(".hamilton-hover").first).to_contain_text("score — stale",
                                                                               timeout=10_000)
    page.keyboard.press("Enter")
    tb.playwright_api.expect(details.locator("h4")).to_have_text("score", timeout=10_000)
    assert tb.states(page, G)["score"] == "stale"  # the keys went to the graph, not to the notebook
    page.get_by_role("button", name="Focus").click()
    page.wait_for_function(f"({tb.JS_CY})(['{G}', 'count']) < 7", timeout=10_000)
    page.keyboard.press("Escape")  # Back to the whole graph (the last click was on the widget's Focus)
    page.wait_for_function(f"({tb.JS_CY})(['{G}', 'count']) === 7", timeout=10_000)
    page.locator(".jp-Cell").nth(tb.GRAPH).locator(".jp-Cell-outputArea").screenshot(
        path=str(tb.ARTIFACTS / "keys_back.png"))
    tb.assert_no_widget_errors(page)
