"""The graph's saved picture: a second output under the live widget, kept at its last drawing.

A widget output needs the kernel that made it. A notebook reopened without running shows
"Error displaying widget: model not found" for it (no saved widget state), or a widget restored
from saved state whose clicks reach nothing. So a graph is shown as two outputs: the widget, then
this picture (SVG inside HTML, with a line saying to run the cell). The page's CSS picks one:

- a live widget hides the picture below it (the rule is in the widget's own CSS);
- a widget without its kernel (ipywidgets marks its element ``jupyter-widgets-disconnected``:
  restored from saved state, or the kernel restarted) is hidden, and the picture shows;
- the picture's CSS hides the "model not found" line of a widget output just above it.

Where no CSS applies (an untrusted notebook, GitHub, nbviewer) the widget output is an empty
HTML one and the picture shows. The picture is replaced by display id whenever the drawing
settles, so a saved notebook holds the final state, not the first.
"""
from __future__ import annotations

import html
import uuid

RUN_LINE = "Run this cell to make the graph live; below is its picture as last drawn."

# JupyterLab and Notebook 7: each output is a ``.jp-OutputArea-child``; the output node itself is
# marked ``.jupyter-widgets`` only when it holds the error text instead of a widget (a drawn
# widget is a child element with that class). ``:has`` can't nest, so no ``:not(:has(*))``.
HIDE_BROKEN = ("<style>.jp-OutputArea-child:has(> .jp-OutputArea-output.jupyter-widgets)"
               ":has(+ .jp-OutputArea-child .hamilton-saved-graph) { display: none; }</style>")
# in the widget's CSS: a live widget hides its saved picture; a disconnected one hides itself
WIDGET_CSS = """
.jp-OutputArea-child:has(.hamilton-widget:not(.jupyter-widgets-disconnected))
  + .jp-OutputArea-child:has(.hamilton-saved-graph) { display: none; }
.jp-OutputArea-child:has(.hamilton-widget.jupyter-widgets-disconnected):has(+ .jp-OutputArea-child .hamilton-saved-graph) {
  display: none; }
"""


def can_update(shell) -> bool:
    """Front ends behind a kernel replace outputs by display id; a terminal would print again."""
    return shell is not None and type(shell.display_pub).__name__ == "ZMQDisplayPublisher"


def bundle(static) -> dict:
    """The picture's output: HTML (the run line, then the picture) and its text form."""
    page = (f"<div class='hamilton-saved-graph'>{HIDE_BROKEN}"
            f"<p class='hamilton-saved-note' style='color:var(--jp-ui-font-color2,#616161);"
            f"font-style:italic;margin:2px 0 4px'>{html.escape(RUN_LINE)}</p>{static._repr_html_()}</div>")
    return {"text/plain": f"{RUN_LINE}\n{static!r}", "text/html": page}


class SavedPicture:
    """One widget's saved-picture output: published once when shown, then replaced in place."""

    def __init__(self):
        self.display_id = uuid.uuid4().hex
        self._shell = None
        self._last: str | None = None

    def show(self, shell, static) -> None:
        self._shell = shell
        self._publish(static, update=False)

    def update(self, picture) -> None:
        """Replace the picture (``picture()`` draws it) if it was shown and its drawing changed."""
        if self._shell is not None:
            self._publish(picture(), update=True)

    def _publish(self, static, update: bool) -> None:
        data = bundle(static)
        if update and data["text/html"] == self._last:
            return
        self._last = data["text/html"]
        self._shell.display_pub.publish(data, {}, transient={"display_id": self.display_id}, update=update)
