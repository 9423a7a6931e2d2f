"""Moving between views of the graph widget: the controls that choose a view, a history with a
Back button, pages of search matches, and what each move resets.

A mix-in of :class:`~hamilton_nb.notebook.widget.GraphWidget` (it draws; this decides what).
Every move goes through :meth:`Navigation.show`, so each one can be undone with Back, and no
panel keeps content from the view left behind: the search box keeps only the search it shows,
the hover line goes back to its hint, and the details of a node no longer drawn are cleared.
"""
from __future__ import annotations

import ipywidgets as W

from .graph_view import SEARCH_PAGE, ViewSpec

HISTORY = 30
HINT = "<span class='hamilton-hint'>Hover a node for its doc and state; click it for everything else.</span>"
NO_SELECTION = "<i>Click a node to see its details.</i>"
PICK_FIRST = "Click a node in the graph first"


class Navigation:
    """Needs from the widget: ``spec``, ``view``, ``selected``, ``session``, ``_render()``,
    ``search``, ``hover``, ``details``, ``hops``, ``direction`` and the action buttons."""

    def _build_navigation(self) -> W.HBox:
        """The Back button and the pager of search matches (hidden until there are pages)."""
        self.history: list[ViewSpec] = []
        self.back_button = W.Button(description="‹ Back", tooltip="Back to the previous view", disabled=True,
                                    layout=W.Layout(width="80px"))
        self.back_button.on_click(lambda _: self.back())
        self.back_button.add_class("hamilton-back")  # Esc in the graph presses it
        self.previous_page = W.Button(description="‹ Previous", tooltip=f"The previous {SEARCH_PAGE} matches",
                                      layout=W.Layout(width="auto"))
        self.previous_page.on_click(lambda _: self._turn(-1))
        self.next_page = W.Button(description="Next ›", tooltip=f"The next {SEARCH_PAGE} matches",
                                  layout=W.Layout(width="auto"))
        self.next_page.on_click(lambda _: self._turn(1))
        self.pager = W.HBox([self.previous_page, self.next_page], layout=W.Layout(display="none"))
        return self.pager

    def show(self, spec: ViewSpec, remember: bool = True) -> None:
        """Draw ``spec``; Back returns to the view drawn before (unless ``remember`` is off)."""
        if remember and spec != self.spec:
            self.history = (self.history + [self.spec])[-HISTORY:]
        self.spec = spec
        self._render()
        self._after_move()

    def back(self) -> None:
        if self.history:
            self.show(self.history.pop(), remember=False)

    def focus(self, name: str | None) -> None:
        if name:
            self.show(ViewSpec(mode="focus", focus=name, hops=self.hops.value, direction=self.direction.value,
                               budget=self.spec.budget))

    def _after_move(self) -> None:
        self.back_button.disabled = not self.history
        view, spec = self.view, self.spec
        pages = spec.mode == "search" and view is not None and view.matches > SEARCH_PAGE
        self.pager.layout.display = "flex" if pages else "none"
        if pages:
            self.previous_page.disabled = spec.page <= 0
            self.next_page.disabled = (spec.page + 1) * SEARCH_PAGE >= view.matches
        text = spec.search if spec.mode == "search" else \
            self.search.value if self.search.value == spec.focus else ""
        if self.search.value != text:  # the box shows the search drawn, or nothing
            self.search.unobserve(self._searched, "value")
            self.search.value = text
            self.search.observe(self._searched, "value")
        self.hover.value = HINT
        if self.selected is not None and view is not None and self.selected not in view.ids():
            self.unselect()

    def unselect(self) -> None:
        self.selected = None
        self.details.value = NO_SELECTION
        self._enable_node_actions()

    def _enable_node_actions(self) -> None:
        """Execute and Focus act on the selected node: without one, they say so."""
        for button, what in ((self.execute_button, "Compute the selected node (only what is stale)"),
                             (self.focus_button, "Show the selected node's neighbourhood")):
            button.disabled = self.selected is None
            button.tooltip = what if self.selected else f"{PICK_FIRST}: then {what[0].lower()}{what[1:]}"

    def _turn(self, step: int) -> None:
        spec = self.spec
        self.show(ViewSpec(mode="search", search=spec.search, page=max(0, spec.page + step), budget=spec.budget))

    def _searched(self, change) -> None:
        value = change["new"].strip()
        if not value:
            return
        if value in self.session.graph.dag:
            self.focus(value)
            self.select(value)
        else:
            self.show(ViewSpec(mode="search", search=value, budget=self.spec.budget))

    def _module_chosen(self, change) -> None:
        value = change["new"]
        self.show(ViewSpec(budget=self.spec.budget) if value == "(all)" else
                  ViewSpec(mode="module", module=value, budget=self.spec.budget))

    def _tag_chosen(self, change) -> None:
        key, _, value = change["new"].partition("=")
        tag = (key.strip(), value.strip()) if key.strip() else None
        self.show(ViewSpec(mode="all" if tag else "auto", tag=tag, budget=self.spec.budget))
