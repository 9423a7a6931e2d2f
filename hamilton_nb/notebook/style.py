"""Colours and sizes every picture of the graph shares (the live widget and the static SVG)."""
from __future__ import annotations

STATE_COLOURS = {"input": "#d9d9d9", "fresh": "#b7e1a1", "stale": "#ffd27f", "not computed": "#ffffff",
                 "running": "#9ecae1", "error": "#f4a3a3", "untracked": "#e0c8f0",
                 "evicted": "#e8e8e8"}
WARNING_COLOUR = "#ff8c00"  # border of nodes whose value failed a ``warn`` data-quality check
SELECTED_COLOUR = "#1f6feb"
CHANGED_COLOUR = "#7b2cbf"  # nodes whose value the last execute changed (until the next edit)

FONT_PX = 12          # at the smallest zoom (MIN_ZOOM) a label is still >= 10 px on screen
MIN_ZOOM, MAX_ZOOM = 0.85, 1.5
CHAR_PX = 7.4         # a generous average glyph width at FONT_PX (bold group titles: BOLD_CHAR_PX)
BOLD_CHAR_PX = 8.0
LINE_PX = 16
PADDING_PX = 8


def label_size(label: str, bold: bool = False) -> tuple[int, int]:
    """Width and height of the box that holds ``label`` (one or more lines) with padding."""
    lines = label.split("\n") or [""]
    width = max(len(line) for line in lines) * (BOLD_CHAR_PX if bold else CHAR_PX)
    return int(width + 2 * PADDING_PX + 4), int(len(lines) * LINE_PX + 2 * PADDING_PX)
