"""How the live graph widget looks and behaves in the page: cytoscape's style, the CSS of the
panel around it, and a small script for the mouse wheel and the keyboard.

Colours of the page come from JupyterLab's theme variables (``--jp-…``), each with a light
fallback for front ends without them, so the widget follows the light and dark themes. The
boxes keep their state colours (they carry meaning); their labels are black on those light
fills in every theme.

Sizes never depend on the hover state or on a scrollbar: cytoscape's own stylesheet draws a
dashed border on hover (two pixels more, only while hovered) and makes the canvas resizable by
hand; and where the widget's height depends on its width (the legend, the controls and the
details panel wrap), a notebook scrollbar that appears narrows the width, which changes the
height, which can remove the scrollbar again — an output that resizes every frame. So the
border is the same hovered or not, the canvas is not resizable, and the notebook keeps the
scrollbar's room while it shows a graph.
"""
from __future__ import annotations

import html

from .graph_view import state_class
from .saved_picture import WIDGET_CSS
from .slow import CLOCK_URI
from .style import CHANGED_COLOUR, FONT_PX, SELECTED_COLOUR, STATE_COLOURS, WARNING_COLOUR

DETAILS_PX = 470
LABEL_COLOUR = "#000000"  # node labels: on the (light) state fills, never on the page
EDGE_COLOUR = "#8c8c8c"   # between the light and the dark page: visible on both
BORDER_COLOUR = "#555555"

STYLE = [
    {"selector": "node", "style": {
        "label": "data(label)", "text-wrap": "wrap", "text-valign": "center", "text-halign": "center",
        "font-size": FONT_PX, "shape": "round-rectangle", "width": "data(w)", "height": "data(h)",
        "color": LABEL_COLOUR, "background-color": "#ffffff", "border-width": 1, "border-color": BORDER_COLOUR}},
    {"selector": "node.group", "style": {"border-width": 3, "font-weight": "bold", "border-style": "double"}},
    {"selector": "node.input", "style": {"shape": "ellipse"}},
    {"selector": "node.not-computed", "style": {"border-style": "dashed"}},
    {"selector": "edge", "style": {
        "curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1.2,
        "line-color": EDGE_COLOUR, "target-arrow-color": EDGE_COLOUR}},
    # an edge the layout bent around boxes it doesn't connect: through its bend points, which
    # the layout gives relative to the line between the two box centres
    {"selector": "edge.routed", "style": {
        "curve-style": "segments", "edge-distances": "node-position",
        "segment-distances": "data(dists)", "segment-weights": "data(weights)"}},
    # only aggregated edges carry a count: a mapping on every edge warns once per edge without one
    {"selector": "edge[label]", "style": {"label": "data(label)", "font-size": 10, "color": "#333333",
                                          "text-background-color": "#ffffff", "text-background-opacity": 1}},
] + [{"selector": f".{state_class(s)}", "style": {"background-color": c}}
     for s, c in STATE_COLOURS.items()] + [
    {"selector": "node.changed", "style": {"border-width": 4, "border-color": CHANGED_COLOUR,
                                           "border-style": "solid"}},
    # after the state styles: a failed ``warn`` data-quality check shows whatever the state
    {"selector": "node.warning", "style": {"border-width": 4, "border-color": WARNING_COLOUR,
                                           "border-style": "solid"}},
    {"selector": "node.context", "style": {"opacity": 0.55, "border-style": "dotted"}},
    # a small clock in the top right corner: its last compute took a large share of the time
    {"selector": "node.slow", "style": {"background-image": CLOCK_URI, "background-width": 11,
                                        "background-height": 11, "background-fit": "none",
                                        "background-position-x": "100%", "background-position-y": "0%",
                                        "background-offset-x": -3, "background-offset-y": 3,
                                        "background-clip": "none"}},
    {"selector": "node.keyed", "style": {"overlay-color": SELECTED_COLOUR, "overlay-opacity": 0.18,
                                         "overlay-padding": 5}},
    {"selector": "node.picked", "style": {"border-width": 4, "border-color": SELECTED_COLOUR,
                                          "border-style": "solid", "underlay-color": SELECTED_COLOUR,
                                          "underlay-opacity": 0.25, "underlay-padding": 6}},
]

FG = "var(--jp-ui-font-color1, #212121)"
FG_DIM = "var(--jp-ui-font-color2, #616161)"
LINE = "var(--jp-border-color1, #bdbdbd)"

# the panel and the controls: never break a name or a type in the middle, never clip a label
PANEL_CSS = f"""<style>
.hamilton-graph.custom-widget, .hamilton-graph.custom-widget:hover {{
  background-color: var(--jp-layout-color0, #ffffff); border: 1px solid var(--jp-border-color2, #e0e0e0);
  box-sizing: border-box; resize: none; overflow: hidden; }}
/* the notebook's scrollbar, coming or going, never changes the width the widget lays out in */
.jp-WindowedPanel-outer:has(.hamilton-graph) {{ scrollbar-gutter: stable; }}
.hamilton-details {{ font-size: 13px; color: {FG}; }}
.hamilton-details table {{ border-collapse: collapse; width: 100%; }}
.hamilton-details th {{ white-space: nowrap; padding: 2px 8px 2px 0; vertical-align: top; text-align: left; }}
.hamilton-details td {{ word-break: normal; overflow-wrap: normal; padding: 2px 0; text-align: left; }}
.hamilton-details pre {{ white-space: pre; overflow-x: auto; margin: 0; max-width: {DETAILS_PX - 10}px; }}
.hamilton-details img.hamilton-value-picture {{ border-radius: 3px; }}
.hamilton-crumbs .widget-button {{ width: auto; }}
.hamilton-legend {{ font-size: 12px; color: {FG}; }}
.hamilton-legend .chip {{ display: inline-block; width: 12px; height: 12px; vertical-align: middle;
  border: 1px solid {LINE}; }}
.hamilton-hint {{ color: {FG_DIM}; }}
{WIDGET_CSS}</style>"""

# Plain wheel over the graph scrolls the page (cytoscape's user zooming is off, so it leaves the
# event alone); Ctrl/⌘ + wheel zooms: zooming is switched on for just that event. ipycytoscape
# always passes a wheel sensitivity, for which cytoscape warns once per graph: that one warning
# is dropped. The keyboard: after a click into a graph widget (until a click elsewhere) the arrows move
# to the nearest box that way (its hover line shows, with why it is stale), Enter opens it as a
# click would, Esc presses Back (meanwhile those keys go to the graph, not to the notebook). The
# widget last clicked is remembered, and its graph looked up at each key: views redraw it.
# (No ``//`` comments in the script: it is joined into one line.) Installed once per page, from an
# image that fails to load (widget HTML is set as
# ``innerHTML``, where ``<script>`` never runs).
WHEEL_JS = """(function () {
  if (window.__hamiltonNbWheel) return;
  window.__hamiltonNbWheel = true;
  const warn = console.warn;
  console.warn = function (message) {
    if (typeof message === 'string' && message.startsWith('You have set a custom wheel sensitivity')) return;
    return warn.apply(this, arguments);
  };
  window.addEventListener('wheel', function (event) {
    if (!(event.ctrlKey || event.metaKey) || !event.target.closest) return;
    const box = event.target.closest('.hamilton-graph');
    const cy = box && box._cyreg && box._cyreg.cy;
    if (!cy) return;
    cy.userZoomingEnabled(true);
    setTimeout(function () { cy.userZoomingEnabled(false); }, 0);
  }, {capture: true, passive: true});
  let active = null;
  window.addEventListener('pointerdown', function (event) {
    active = (event.target.closest && event.target.closest('.hamilton-widget')) || null;
  }, {capture: true, passive: true});
  const ways = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]};
  window.addEventListener('keydown', function (event) {
    const widget = active && active.isConnected ? active : null;
    const typing = event.target.closest && event.target.closest('input, textarea, select, [contenteditable=true]');
    if (!widget || typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Escape') {
      const back = widget.querySelector('.hamilton-back');
      if (back && !back.disabled) back.click();
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    const box = widget.querySelector('.hamilton-graph');
    const cy = box && box._cyreg && box._cyreg.cy;
    if (!cy || cy.nodes().empty()) return;
    const at = cy.nodes('.keyed').first();
    if (ways[event.key]) {
      const from = at.nonempty() ? at : cy.nodes('.picked').first();
      let next = from.empty() ? cy.nodes().first() : null;
      if (!next) {
        const [dx, dy] = ways[event.key], p = from.position();
        let best = Infinity;
        cy.nodes().forEach(function (n) {
          const q = n.position(), ax = q.x - p.x, ay = q.y - p.y, along = ax * dx + ay * dy;
          const score = along + 2 * Math.abs(ax * dy - ay * dx);
          if (along > 0 && score < best) { best = score; next = n; }
        });
      }
      if (next) {
        cy.nodes('.keyed').removeClass('keyed');
        next.addClass('keyed');
        next.emit('mouseover');
        const r = next.renderedPosition();
        if (r.x < 0 || r.y < 0 || r.x > cy.width() || r.y > cy.height()) cy.center(next);
      }
    } else if (event.key === 'Enter' && at.nonempty() && !event.target.closest('button')) {
      at.emit('click');
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, {capture: true});
})();"""

PAGE_HTML = PANEL_CSS + (f"<img alt='' src='data:,' style='display:none' "
                         f"onerror=\"{html.escape(' '.join(WHEEL_JS.split()), quote=True)}\">")


CORE_STATES = ("input", "fresh", "stale", "not computed", "running", "error")


def legend_html(present: set | None = None) -> str:
    """Every swatch; or, given the ``present`` states and marks of a view ("warning", "group"),
    the core states plus only those others it draws (one line above a small graph)."""
    def item(swatch: str, text: str) -> str:
        return f"<span style='display:inline-block;margin-right:10px'>{swatch} {text}</span>"

    def shown(key: str) -> bool:
        return present is None or key in CORE_STATES or key in present

    chips = "".join(item(f"<span class='chip' style='background:{colour}'></span>", state)
                    for state, colour in STATE_COLOURS.items() if shown(state))
    if shown("warning"):
        chips += item(f"<span class='chip' style='width:10px;height:10px;border:3px solid {WARNING_COLOUR}'></span>",
                      "data-quality warning")
    chips += item(f"<span class='chip' style='width:10px;height:10px;border:3px solid {CHANGED_COLOUR}'></span>",
                  "value changed by the last execute")
    if shown("slow"):
        chips += item(f"<img src='{CLOCK_URI}' width='12' height='12' alt='clock' style='vertical-align:middle'>",
                      "slow: ≥ 10% of the compute time of all cached values")
    if shown("group"):
        chips += item(f"<span class='chip' style='width:12px;height:12px;border:3px double {FG_DIM}'></span>",
                      "group of nodes (click to open)")
    return f"<div class='hamilton-legend'>{chips}</div>"
