"""Themes in the browser tests: switching JupyterLab's theme, and the contrast of what the graph
widget draws in it (WCAG ratios, measured in the page)."""
from __future__ import annotations

import re

from contrast import contrast


JS_CONTRAST = """(selector) => {  // WCAG contrast of each matching element's text against what is behind it
  const parse = c => {
    let m = c.match(/^rgba?\\(([^)]+)\\)/);
    if (m) { const v = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; }
    m = c.match(/^color\\(srgb ([^)]+)\\)/);
    if (m) { const v = m[1].split(/[ \\/]+/).filter(Boolean).map(Number); return [v[0] * 255, v[1] * 255, v[2] * 255, v.length > 3 ? v[3] : 1]; }
    return [0, 0, 0, 0];
  };
  const over = (top, under) => top.slice(0, 3).map((t, i) => t * top[3] + under[i] * (1 - top[3])).concat([1]);
  const behind = el => {  // the backgrounds from the element up to the first opaque one, blended
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]);
  };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                     return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  return [...document.querySelectorAll(selector)].filter(e => e.offsetParent).map(e => {
    const bg = behind(e), fg = over(parse(getComputedStyle(e).color), bg);
    return {text: e.textContent.slice(0, 30), ratio: Math.round(ratio(fg, bg) * 100) / 100};
  });
}"""


JS_LABEL_CONTRAST = """(sel) => {  // node labels: their colour against their box's fill, in the canvas
  const cy = document.querySelector(sel)._cyreg.cy, rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                     return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  return cy.nodes().map(n => { const [x, y] = [lum(rgb(n.style('color'))), lum(rgb(n.style('background-color')))]
                                 .sort((p, q) => q - p); return Math.round((x + 0.05) / (y + 0.05) * 100) / 100; });
}"""


def set_theme(page, name: str) -> None:
    """Settings › Theme › ``name``, through the menu."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text=name).first.click()
    light = "false" if "Dark" in name else "true"
    page.wait_for_function(f"document.body.dataset.jpThemeLight === '{light}'", timeout=15_000)
    page.wait_for_timeout(1000)


def assert_readable_in_theme(page, theme: str, graph: str = ".hamilton-graph") -> None:
    """Node labels, legend, hints, details, value picture labels, banner text and chips: >= 4.5:1."""
    import base64
    labels = page.evaluate(JS_LABEL_CONTRAST, graph)
    assert min(labels) >= 4.5, (theme, labels)
    texts = page.evaluate(JS_CONTRAST, ".hamilton-legend, .hamilton-hover, .hamilton-details td, "
                                       ".hamilton-stale, .hamilton-stale code, .hamilton-stale b")
    assert texts and min(t["ratio"] for t in texts) >= 4.5, (theme, texts)
    src = page.locator(".hamilton-details img.hamilton-value-picture").first.get_attribute("src")
    svg = base64.b64decode(src.split(",", 1)[1]).decode()
    paper = re.search(r"<rect width='\d+' height='\d+' fill='(#[0-9a-f]{6})'/>", svg).group(1)
    for ink in set(re.findall(r"<text [^>]*fill='(#[0-9a-f]{6})'", svg)):
        assert contrast(ink, paper) >= 4.5, (theme, ink, paper)
