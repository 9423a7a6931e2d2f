"""Where each box of a view goes: layers top to bottom, long layers wrapped into rows.

Computed here rather than in the browser so the live widget and the static SVG draw the same
picture, and the widget's canvas can be exactly as tall as its content.
"""
from __future__ import annotations

from collections import defaultdict

ROW_WIDTH_PX = 520   # a layer wider than this wraps onto another row (fits the canvas beside the panel)
GAP_X, GAP_Y, MARGIN = 18, 42, 16


def place(nodes: list[dict], edges: list[dict]) -> tuple[int, int]:
    """Set ``position`` (box centre) on every node; return the picture's width and height.

    ``nodes`` come upstream first; an edge pointing back up that order (between two groups
    that feed each other) doesn't push its target down a layer."""
    index = {n["data"]["id"]: i for i, n in enumerate(nodes)}
    preds: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        a, b = e["data"]["source"], e["data"]["target"]
        if a in index and b in index and index[a] < index[b]:
            preds[b].append(a)
    layer: dict[str, int] = {}
    for n in nodes:
        i = n["data"]["id"]
        layer[i] = max((layer[p] + 1 for p in preds[i]), default=0)
    layers: dict[int, list[dict]] = defaultdict(list)
    for n in nodes:
        layers[layer[n["data"]["id"]]].append(n)
    slot: dict[str, float] = {}  # horizontal order key of placed boxes (barycentre of parents)
    rows: list[list[dict]] = []
    for depth in sorted(layers):
        members = layers[depth]
        members.sort(key=lambda n: (sum(slot[p] for p in preds[n["data"]["id"]]) /
                                    max(1, len(preds[n["data"]["id"]])), index[n["data"]["id"]]))
        row, width = [], 0
        for n in members:
            w = n["data"]["w"]
            if row and width + GAP_X + w > ROW_WIDTH_PX:
                rows.append(row)
                row, width = [], 0
            width += (GAP_X if row else 0) + w
            row.append(n)
        rows.append(row)
        for k, n in enumerate(members):
            slot[n["data"]["id"]] = k / max(1, len(members) - 1)
    widths = [sum(n["data"]["w"] for n in row) + GAP_X * (len(row) - 1) for row in rows]
    total_w = max(widths, default=0) + 2 * MARGIN
    y = MARGIN
    for row, row_w in zip(rows, widths):
        height = max(n["data"]["h"] for n in row)
        x = (total_w - row_w) / 2
        for n in row:
            n["position"] = {"x": round(x + n["data"]["w"] / 2, 1), "y": round(y + height / 2, 1)}
            x += n["data"]["w"] + GAP_X
        y += height + GAP_Y
    return int(total_w), int(y - GAP_Y + MARGIN) if rows else 0
