"""Pictures of a graph view that render anywhere, no widget needed: text, Mermaid, HTML and SVG.

The SVG draws the same laid-out boxes as the live widget, so a notebook saved with a graph
output shows that picture on GitHub, in nbviewer or in an untrusted notebook.
"""
from __future__ import annotations

import html

from ..session.pictures import as_img
from .style import FONT_PX, LINE_PX, STATE_COLOURS, WARNING_COLOUR

LEGEND_PX = 26


class StaticView:
    """A :class:`~hamilton_nb.notebook.graph_view.View` (what a graph widget draws, so bounded
    even for 1000+ nodes: large sessions stay grouped) as text, Mermaid, HTML and SVG."""

    def __init__(self, view):
        self.view = view

    def _rows(self) -> list[tuple[str, str, list[str]]]:
        if self.view is None:
            return []
        labels = {n["data"]["id"]: n["data"].get("label", n["data"]["id"]).replace("\n", " · ")
                  for n in self.view.nodes}
        ups: dict[str, list[str]] = {i: [] for i in labels}
        for e in self.view.edges:
            source, target = e["data"]["source"], e["data"]["target"]
            if target in ups and source in labels:
                ups[target].append(labels[source].split(" · ")[0])
        return [(labels[n["data"]["id"]], n["data"].get("state", ""), ups[n["data"]["id"]])
                for n in self.view.nodes]

    def __repr__(self) -> str:
        if self.view is None:
            return "(empty graph)"
        rows = self._rows()
        lines = [f"{len(rows)} nodes" + (f" ({self.view.note})" if self.view.note else "")]
        for label, state, ups in rows:
            lines.append(f"  {label} [{state}]" + (f" ← {', '.join(ups)}" if ups else ""))
        return "\n".join(lines)

    def mermaid(self) -> str:
        nodes = self.view.nodes if self.view else []
        ids = {n["data"]["id"]: f"n{i}" for i, n in enumerate(nodes)}
        lines = ["flowchart TD"]
        for n in nodes:
            data = n["data"]
            label = html.escape(data.get("label", data["id"])).replace("\n", "<br/>")
            state = data.get("state", "")
            lines.append(f'    {ids[data["id"]]}["{label}<br/><i>{state}</i>"]:::{state.replace(" ", "_") or "none"}')
        for e in (self.view.edges if self.view else []):
            a, b = e["data"]["source"], e["data"]["target"]
            if a in ids and b in ids:
                lines.append(f"    {ids[a]} --> {ids[b]}")
        for state, colour in STATE_COLOURS.items():
            lines.append(f"    classDef {state.replace(' ', '_')} fill:{colour}")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.mermaid()}\n```"

    def svg(self) -> str:
        return graph_svg(self.view)

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_html_(self) -> str:
        note = f"<p><i>{html.escape(self.view.note)}</i></p>" if self.view is not None and self.view.note else ""
        trail = getattr(self.view, "trail", None) or []
        where = f"<p style='margin:2px 0'>{' › '.join(html.escape(t) for t, _ in trail)}</p>" \
            if len(trail) > 1 else ""
        svg = self.svg()
        return (f"<div class='hamilton-graph-picture'>{where}{note}<div style='overflow-x:auto'>"
                f"{as_img(svg, self.alt(), 'hamilton-graph-svg', fitted(svg))}</div></div>")

    def alt(self) -> str:
        """The picture in words, for the image's alt text."""
        rows = self._rows()
        names = ", ".join(label for label, _, _ in rows[:40]) + (" …" if len(rows) > 40 else "")
        return f"graph of {len(rows)} boxes: {names}"


def _box(data: dict, pos: dict, classes: list[str]) -> str:
    x, y, w, h = pos["x"] - data["w"] / 2, pos["y"] - data["h"] / 2, data["w"], data["h"]
    fill = STATE_COLOURS.get(data.get("state", ""), "#ffffff")
    group = data.get("kind") == "group"
    dash = " stroke-dasharray='5 3'" if "not-computed" in classes else ""
    stroke, width = (WARNING_COLOUR, 3) if "warning" in classes else ("#555", 2 if group else 1)
    paint = f"fill='{fill}' stroke='{stroke}' stroke-width='{width}'{dash}"
    parts = [f"<ellipse cx='{pos['x']:.1f}' cy='{pos['y']:.1f}' rx='{w / 2:.1f}' ry='{h / 2:.1f}' {paint}/>"
             if "input" in classes else
             f"<rect x='{x:.1f}' y='{y:.1f}' width='{w}' height='{h}' rx='6' {paint}/>"]
    if group:  # a double border: "click to open" in the widget
        parts.append(f"<rect x='{x + 3:.1f}' y='{y + 3:.1f}' width='{w - 6}' height='{h - 6}' rx='4' "
                     "fill='none' stroke='#555' stroke-width='1'/>")
    lines = data.get("label", data["id"]).split("\n")
    top = pos["y"] - (len(lines) - 1) * LINE_PX / 2
    for k, line in enumerate(lines):
        weight = " font-weight='bold'" if group and k == 0 else ""
        parts.append(f"<text x='{pos['x']:.1f}' y='{top + k * LINE_PX:.1f}' text-anchor='middle' "
                     f"dominant-baseline='central'{weight}>{html.escape(line)}</text>")
    return "".join(parts)


def _rim(node: dict, towards: tuple[float, float], gap: float = 0.0) -> tuple[float, float]:
    """Where the line from ``node``'s centre towards a point leaves its box (or ellipse),
    ``gap`` px further out."""
    cx, cy = node["position"]["x"], node["position"]["y"]
    a, b = node["data"]["w"] / 2, node["data"]["h"] / 2
    dx, dy = towards[0] - cx, towards[1] - cy
    length = (dx * dx + dy * dy) ** 0.5
    if length == 0:
        return cx, cy
    if "input" in node.get("classes", "").split():
        t = 1 / ((dx / a) ** 2 + (dy / b) ** 2) ** 0.5
    else:
        t = min(a / abs(dx) if dx else float("inf"), b / abs(dy) if dy else float("inf"))
    t += gap / length
    return cx + dx * t, cy + dy * t


def _edge(source: dict, target: dict, route: list, label: str) -> str:
    """The edge along its route (the bend points the layout gave it), box rim to box rim."""
    bends = [tuple(p) for p in route]
    first = bends[0] if bends else (target["position"]["x"], target["position"]["y"])
    last = bends[-1] if bends else (source["position"]["x"], source["position"]["y"])
    points = [_rim(source, first)] + bends + [_rim(target, last, gap=1.5)]
    path = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points)
    out = f"<path d='{path}' fill='none' stroke='#999' stroke-width='1.2' marker-end='url(#arrow)'/>"
    if label:
        k = (len(points) - 1) // 2
        (ax, ay), (bx, by) = points[k], points[k + 1]
        out += (f"<text x='{(ax + bx) / 2 + 4:.1f}' y='{(ay + by) / 2:.1f}' fill='#555' font-size='10'>"
                f"{html.escape(label)}</text>")
    return out


def fitted(svg: str) -> str:
    """A wide picture shrinks to the output's width, down to half its size (its labels stay
    legible); wider still, it scrolls sideways."""
    width = svg[svg.index("width='") + 7:] if "width='" in svg else ""
    width = width[:width.index("'")] if "'" in width else ""
    least = f"min-width:{int(width) // 2}px;" if width.isdigit() else ""
    return f"max-width:100%;height:auto;{least}"


def graph_svg(view) -> str:
    """The laid-out view as a standalone SVG (boxes coloured by state, arrows, a legend)."""
    nodes = view.nodes if view is not None else []
    legend_w = 8 + sum(28 + len(state) * 7 for state in STATE_COLOURS)
    width = max(getattr(view, "width", 0) or 0, 560, legend_w)
    height = (getattr(view, "height", 0) or 0) + LEGEND_PX
    placed = {n["data"]["id"]: n for n in nodes if "position" in n}
    edges = [_edge(placed[e["data"]["source"]], placed[e["data"]["target"]], e.get("route") or [],
                   str(e["data"].get("label", "")))
             for e in (view.edges if view is not None else [])
             if e["data"]["source"] in placed and e["data"]["target"] in placed]
    boxes = [_box(n["data"], n["position"], n.get("classes", "").split()) for n in placed.values()]
    legend, x = [], 8
    for state, colour in STATE_COLOURS.items():
        legend.append(f"<rect x='{x}' y='{height - 18}' width='12' height='12' fill='{colour}' stroke='#555'/>"
                      f"<text x='{x + 16}' y='{height - 12}' dominant-baseline='central'>{state}</text>")
        x += 28 + len(state) * 7
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' font-family='sans-serif' font-size='{FONT_PX}'>"
            "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' "
            "markerHeight='7' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#999'/>"
            "</marker></defs><rect width='100%' height='100%' fill='white'/>"
            + "".join(edges) + "".join(boxes) + "".join(legend) + "</svg>")
