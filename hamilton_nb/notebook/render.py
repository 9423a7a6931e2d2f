"""Showing the graph: the live widget where widgets render, else a static picture."""
from __future__ import annotations

from .graph_view import ViewSpec, build_view, parallel_items
from .static import StaticView

__all__ = ["StaticView", "display", "show"]


def show(session, nodes=None, focus=None, hops=1, module=None, static=False, direction="both"):
    """The live widget for this part of the graph, or a static picture where widgets can't render."""
    if focus:
        spec = ViewSpec(mode="focus", focus=focus, hops=hops, direction=direction)
    elif module:
        spec = ViewSpec(mode="module", module=module)
    elif nodes:
        spec = ViewSpec(mode="nodes", nodes=tuple(nodes))
    else:
        spec = ViewSpec()
    if not static:
        try:
            from .widget import GraphWidget

            return GraphWidget(session, spec)
        except ImportError as exc:  # a missing renderer degrades to the static picture
            print(f"(interactive graph unavailable: {exc}; showing a static picture)")
    return StaticView(build_view(session.graph, session.known_states, spec, session.engine.warnings,
                                  parallel_items(session.engine)))


def display(obj) -> None:
    """Show in a notebook when there is one, else print the text picture."""
    try:
        from IPython import get_ipython
        from IPython.display import display as ipy_display

        if get_ipython() is not None:
            ipy_display(obj)
            return
    except ImportError:
        pass
    print(repr(obj))
