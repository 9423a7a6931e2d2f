"""Small pictures of a node's value, as inline SVG: a line over the index for a Series, a
histogram when the index has no order to follow, bars of the commonest values for text.

Built from at most ``POINTS`` numbers (a min/max per bucket keeps spikes visible), so a
10-million-row value draws in milliseconds and the SVG stays a few kilobytes.
"""
from __future__ import annotations

import base64
import html

import numpy as np
import pandas as pd

WIDTH, HEIGHT = 420, 120
LEFT, RIGHT, TOP, BOTTOM = 46, 8, 8, 20
POINTS = 400
BINS = 20
SAMPLE = 100_000
LINE, FILL, AXIS = "#1f6feb", "#9ecae1", "#555"
# A picture is an <img> (it survives sanitizers), which the page's theme can't reach: it brings
# its own light card, so its dark labels read the same in light and dark themes (12.6:1).
PAPER, INK = "#ffffff", "#333333"


def _paper(width: int, height: int, title: str) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' class='hamilton-value-picture' width='{width}' "
            f"height='{height}' viewBox='0 0 {width} {height}' font-family='sans-serif' role='img'>"
            f"<title>{html.escape(title)}</title><rect width='{width}' height='{height}' fill='{PAPER}'/>")


def value_picture(value) -> str:
    """An SVG picture of ``value``, or ``""`` when there is nothing worth drawing."""
    if isinstance(value, pd.DataFrame):
        return ""  # a table head says more: see ``table_head``
    if isinstance(value, pd.Series) and len(value) >= 2:
        if pd.api.types.is_bool_dtype(value.dtype) or not pd.api.types.is_numeric_dtype(value.dtype):
            return _bars(value)
        numbers = value.to_numpy(dtype="float64", na_value=np.nan)
        if not np.isfinite(numbers).any():
            return ""
        if value.index.is_monotonic_increasing or value.index.is_monotonic_decreasing:
            return _line(value.index, numbers)
        return _histogram(numbers)
    if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) >= 2 and \
            np.issubdtype(value.dtype, np.number):
        return _line(pd.RangeIndex(len(value)), value.astype("float64"))
    return ""


def as_img(svg: str, alt: str, css_class: str, style: str = "") -> str:
    """``svg`` as an ``<img>`` with a data URI: notebook front ends sanitize HTML outputs of
    untrusted notebooks (JupyterLab drops inline ``<svg>`` elements, keeps images), and so do
    nbviewer-style renderers; the picture survives, ``alt`` says what it shows in words."""
    if not svg:
        return ""
    data = base64.b64encode(svg.encode()).decode()
    css = f" style='{style}'" if style else ""
    return (f"<img class='{css_class}'{css} alt='{html.escape(alt, quote=True)}' "
            f"src='data:image/svg+xml;base64,{data}'/>")


def value_picture_html(value) -> str:
    """The value's picture as an image for HTML outputs (``""`` when there is nothing to draw)."""
    svg = value_picture(value)
    title = svg[svg.find("<title>") + 7:svg.find("</title>")] if svg else ""
    return as_img(svg, title, "hamilton-value-picture")


def table_head(frame: pd.DataFrame, rows: int = 5, columns: int = 12) -> str:
    """The first rows and columns of a DataFrame as an HTML table (what pandas shows, cut short)."""
    shown = frame.iloc[:rows, :columns]
    more = [f"{frame.shape[0] - rows} more rows"] if frame.shape[0] > rows else []
    more += [f"{frame.shape[1] - columns} more columns"] if frame.shape[1] > columns else []
    note = f"<div style='color:var(--jp-content-font-color2, #555)'>… {', '.join(more)}</div>" if more else ""
    return shown.to_html(border=0, max_cols=columns) + note


def _frame(body: str, y_low: float, y_high: float, x_low: str, x_high: str, title: str) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    text = f"font-size='10' fill='{INK}'"
    return (_paper(WIDTH, HEIGHT, title) +
            f"<rect x='{LEFT}' y='{TOP}' width='{plot_w}' height='{plot_h}' fill='none' stroke='#ccc'/>"
            f"<text x='{LEFT - 4}' y='{TOP + 8}' text-anchor='end' {text}>{_number(y_high)}</text>"
            f"<text x='{LEFT - 4}' y='{TOP + plot_h}' text-anchor='end' {text}>{_number(y_low)}</text>"
            f"<text x='{LEFT}' y='{HEIGHT - 6}' {text}>{html.escape(x_low)}</text>"
            f"<text x='{WIDTH - RIGHT}' y='{HEIGHT - 6}' text-anchor='end' {text}>{html.escape(x_high)}</text>"
            f"{body}</svg>")


def _number(x: float) -> str:
    return f"{x:.4g}"


def _label(index_value) -> str:
    if isinstance(index_value, pd.Timestamp):
        return index_value.strftime("%Y-%m-%d") if index_value == index_value.normalize() else str(index_value)
    return str(index_value)[:24]


def _scale(values: np.ndarray, low: float, high: float, size: float, flip: bool) -> np.ndarray:
    span = (high - low) or 1.0
    scaled = (values - low) / span * size
    return size - scaled if flip else scaled


def _line(index: pd.Index, numbers: np.ndarray) -> str:
    """A line over the positions of the index; past ``POINTS`` values, each bucket's min and max."""
    n = len(numbers)
    positions = np.arange(n, dtype="float64")
    if n > POINTS:
        buckets = POINTS // 2
        edges = np.linspace(0, n, buckets + 1).astype(int)
        lows = np.fmin.reduceat(numbers, edges[:-1])
        highs = np.fmax.reduceat(numbers, edges[:-1])
        positions = np.repeat((edges[:-1] + edges[1:]) / 2, 2)
        numbers = np.column_stack([lows, highs]).ravel()
    finite = np.isfinite(numbers)
    low, high = float(np.nanmin(numbers[finite])), float(np.nanmax(numbers[finite]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    xs = LEFT + _scale(positions, 0, max(1, n - 1), plot_w, False)
    ys = TOP + _scale(np.where(finite, numbers, low), low, high, plot_h, True)
    segments, current = [], []
    for x, y, ok in zip(xs, ys, finite):  # a gap where values are missing
        if ok:
            current.append(f"{x:.1f},{y:.1f}")
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    body = "".join(f"<polyline points='{' '.join(s)}' fill='none' stroke='{LINE}' stroke-width='1.3'/>"
                   if len(s) > 1 else f"<circle cx='{s[0].split(',')[0]}' cy='{s[0].split(',')[1]}' r='1.5' "
                   f"fill='{LINE}'/>" for s in segments)
    title = f"line of {n} values over the index"
    return _frame(body, low, high, _label(index[0]), _label(index[-1]), title)


def _histogram(numbers: np.ndarray) -> str:
    """Bars of how many values fall in each of ``BINS`` ranges (from an even sample past ``SAMPLE``)."""
    step = max(1, len(numbers) // SAMPLE)
    finite = numbers[::step][np.isfinite(numbers[::step])]
    counts, edges = np.histogram(finite, bins=BINS)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar_w = plot_w / len(counts)
    heights = _scale(counts.astype("float64"), 0, float(counts.max()), plot_h, False)
    body = "".join(f"<rect x='{LEFT + k * bar_w + 0.5:.1f}' y='{TOP + plot_h - h:.1f}' width='{bar_w - 1:.1f}' "
                   f"height='{h:.1f}' fill='{FILL}' stroke='{LINE}' stroke-width='0.5'/>"
                   for k, h in enumerate(heights))
    title = f"histogram of {len(finite)} values" + (f" (every {step}th of {len(numbers)})" if step > 1 else "")
    return _frame(body, 0, float(counts.max()), _number(edges[0]), _number(edges[-1]), title)


def _bars(value: pd.Series, top: int = 8) -> str:
    """Horizontal bars of the commonest values (text, categories, booleans)."""
    counts = value.astype("object").where(value.notna(), "(missing)").value_counts().head(top)
    if counts.empty:
        return ""
    row_h = 14
    height = len(counts) * row_h + 8
    longest = float(counts.iloc[0])
    body = []
    for k, (label, count) in enumerate(counts.items()):
        y = 4 + k * row_h
        w = (WIDTH - 150) * count / longest
        body.append(f"<text x='96' y='{y + 10}' text-anchor='end' font-size='10' fill='{INK}'>"
                    f"{html.escape(str(label)[:16])}</text><rect x='100' y='{y + 1}' width='{w:.1f}' "
                    f"height='{row_h - 3}' fill='{FILL}' stroke='{LINE}' stroke-width='0.5'/>"
                    f"<text x='{104 + w:.1f}' y='{y + 10}' font-size='10' fill='{INK}'>{count}</text>")
    return _paper(WIDTH, height, "commonest values") + f"{''.join(body)}</svg>"
