"""Running one notebook cell from the browser, as a user does (Shift+Enter), exactly once."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


JS_KERNEL_READY = """() => {  // the notebook's kernel is connected (a run pressed before that is dropped)
  const e = document.querySelector('.jp-Notebook-ExecutionIndicator');
  return !!e && ['idle', 'busy'].includes(e.getAttribute('data-status'));
}"""


JS_WATCH_BUSY = """() => {  // from now on, note whether the kernel got any request (it turns busy)
  window.__kernelBusy = false;
  const e = document.querySelector('.jp-Notebook-ExecutionIndicator');
  if (window.__busyObserver) window.__busyObserver.disconnect();
  window.__busyObserver = new MutationObserver(() => {
    if (e.getAttribute('data-status') === 'busy') window.__kernelBusy = true; });
  window.__busyObserver.observe(e, {attributes: true});
}"""


def run_cell(page, index: int, timeout: float = 30_000) -> str:
    """Select cell ``index``, press Shift+Enter, wait until its execution count changes; returns
    its output text.

    The press is repeated only when the front end provably dropped it (which it does, silently,
    while it is still connecting the kernel): the prompt is as before and the kernel has not
    turned busy since. A cell the kernel got is never run twice."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    prompt = cell.locator(".jp-InputArea-prompt")
    before = prompt.inner_text().strip()
    page.wait_for_function(JS_KERNEL_READY, timeout=60_000)
    deadline, presses, pressed = time.monotonic() + timeout / 1000, 0, 0.0
    while True:
        text = prompt.inner_text().strip()
        if text != before and re.search(r"\[\d+\]", text):
            return cell.locator(".jp-Cell-outputWrapper").inner_text()
        dropped = text == before and time.monotonic() - pressed > 5 and not page.evaluate("window.__kernelBusy")
        if time.monotonic() > deadline:
            page.screenshot(path=str(ARTIFACTS / f"failed_cell_{index}.png"))
            raise AssertionError(f"cell {index} did not run: its prompt reads {text!r} ({presses} presses)")
        if presses == 0 or (dropped and presses < 3):
            try:
                _press_run(page, cell, prompt)
                presses, pressed = presses + 1, time.monotonic()
            except (playwright_api.Error, AssertionError):  # re-rendered cells before the press: again
                pass
        page.wait_for_timeout(250)


def _press_run(page, cell, prompt) -> None:
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and "Select Kernel" in dialog.first.inner_text():
        # JupyterLab sometimes asks, on a loaded machine, although the notebook names python3
        dialog.first.locator("button.jp-mod-accept").first.click()
        page.wait_for_timeout(1000)  # the notebook re-renders its cells
    cell.scroll_into_view_if_needed()
    prompt.click()
    page.keyboard.press("Escape")
    playwright_api.expect(cell).to_have_class(re.compile(r"\bjp-mod-active\b"), timeout=5_000)
    page.evaluate(JS_WATCH_BUSY)
    page.keyboard.press("Shift+Enter")
