"""Where the picture sits on the graph widget's canvas: the zoom and pan it starts at, and the
room it asks for in the output (no widget imports: plain values for ipycytoscape and the layout)."""
from __future__ import annotations

from .style import MIN_ZOOM

GRAPH_MIN_PX = 560      # the graph's canvas is at least this wide (wider pictures ask for more room)


def picture_layout(view=None, fit: bool = False) -> dict:
    """Cytoscape's layout: our positions as they are, at zoom 1 (labels FONT_PX), from the top
    (upstream first). Not fitted by default: the browser fits before the boxes have their final
    size and the canvas its height, which zoomed small graphs to giant boxes and cut their bottom
    off; a picture wider than GRAPH_MIN_PX starts at MIN_ZOOM. ``fit`` is the Fit button: everything
    on the canvas, zoom within MIN_ZOOM…MAX_ZOOM."""
    if fit:
        return {"name": "preset", "fit": True, "padding": 12, "animate": False}
    width = view.width if view is not None else 0
    if width > GRAPH_MIN_PX:  # wide: at the smallest zoom, in the room it asked for (see room)
        return {"name": "preset", "fit": False, "zoom": MIN_ZOOM, "pan": {"x": 12, "y": 0}, "animate": False}
    return {"name": "preset", "fit": False, "zoom": 1, "pan": {"x": (GRAPH_MIN_PX - width) // 2, "y": 0},
            "animate": False}


def room(view) -> str:
    """A picture wider than the canvas asks for the room it needs at the smallest zoom (the
    details panel then wraps below the graph)."""
    wide = view is not None and view.width > GRAPH_MIN_PX
    return f"1 1 {int(view.width * MIN_ZOOM) + 24 if wide else GRAPH_MIN_PX}px"
