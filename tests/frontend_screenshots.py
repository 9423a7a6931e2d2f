"""The README's pictures of the JupyterLab extension: badges and a stale result's mark after an edit,
and the side panel (widened, as a user does), in the light and the dark theme (``docs/frontend_*.png``).

    .venv/bin/python tests/frontend_screenshots.py

Same server and browser as the browser tests (needs /usr/bin/chromium and Playwright).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_support import jupyter_server, notebook_page, run_cell, set_theme  # noqa: E402
from test_frontend_browser import (CELLS, EDITED_FEATURES, FEATURES_CELL, GRAPH, MODEL_CELL,  # noqa: E402
                                   GRAPH_SELECTOR, set_source, wait_for_badges)

DOCS = Path(__file__).resolve().parent.parent / "docs"


class _Dirs:
    """What ``jupyter_server`` asks of pytest's tmp_path_factory."""

    def __init__(self, root: Path) -> None:
        self.root, self.count = root, 0

    def mktemp(self, name: str) -> Path:
        self.count += 1
        path = self.root / f"{name}{self.count}"
        path.mkdir()
        return path


def widen_the_panel(page, width: int) -> None:
    """Drag the handle between the notebook and the right sidebar, as a user widens the panel."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)").last
    box = handle.bounding_box()
    right = page.locator("#jp-right-stack").bounding_box()
    target = right["x"] + right["width"] - width
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(target, box["y"] + 200, steps=10)
    page.mouse.up()
    page.wait_for_timeout(800)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, \
            jupyter_server(_Dirs(Path(tmp)), "jupyterlab", CELLS[:GRAPH]) as server:
        url = f"{server['base']}/lab/tree/widget_test.ipynb?token={server['token']}"
        with notebook_page(url, []) as page:
            page.set_viewport_size({"width": 1400, "height": 1150})
            for index in range(GRAPH):
                run_cell(page, index)
            wait_for_badges(page, {FEATURES_CELL: "fresh", MODEL_CELL: "fresh"})
            set_source(page, FEATURES_CELL, EDITED_FEATURES)
            run_cell(page, FEATURES_CELL)
            wait_for_badges(page, {FEATURES_CELL: "1 stale", MODEL_CELL: "2 stale"})
            page.locator(".jp-Notebook .jp-Cell").nth(FEATURES_CELL).scroll_into_view_if_needed()
            badge = page.locator(".jp-Notebook .jp-Cell").nth(MODEL_CELL).locator(".hamilton-nb-badge")
            badge.click()
            page.wait_for_selector(f"#hamilton-nb-panel {GRAPH_SELECTOR} canvas", timeout=30_000)
            page.locator("#hamilton-nb-panel input[type=search]").fill("spend")
            page.wait_for_selector(".hamilton-nb-found li", timeout=10_000)
            page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()  # the file browser closes
            widen_the_panel(page, 460)
            page.locator("#hamilton-nb-panel button", has_text="Fit").click()  # the wider canvas, filled
            page.wait_for_selector(".hamilton-nb-output-mark", timeout=10_000)
            page.locator(".jp-Notebook .jp-Cell").nth(FEATURES_CELL).evaluate("c => c.scrollIntoView()")
            for theme in ("JupyterLab Light", "JupyterLab Dark"):
                set_theme(page, theme)
                page.wait_for_timeout(1500)
                name = "dark" if "Dark" in theme else "light"
                page.locator(".jp-Notebook .jp-Cell").nth(MODEL_CELL).hover()
                page.screenshot(path=str(DOCS / f"frontend_{name}.png"))
            set_theme(page, "JupyterLab Light")


if __name__ == "__main__":
    main()
