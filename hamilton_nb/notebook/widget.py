"""The live graph widget (ipywidgets + ipycytoscape); the only module that imports them.

It draws a :class:`~hamilton_nb.notebook.graph_view.View` and follows the session's
events: state changes restyle single elements (throttled, so executing 1000 nodes
doesn't flood the browser), structure changes redraw only when the drawn elements change.
"""
from __future__ import annotations

import html
import time
import weakref

import ipycytoscape
import ipywidgets as W

from ..errors import HamiltonError
from . import picks
from .canvas import GRAPH_MIN_PX, picture_layout, room
from .navigation import HINT, NO_SELECTION, Navigation
from .graph_view import INPUTS_GROUP, ViewSpec, build_view, group_element, node_classes, parallel_items
from .saved_picture import SavedPicture, can_update
from .slow import slow_nodes
from .why_stale import StaleReasons
from .static import StaticView
from .style import MAX_ZOOM, MIN_ZOOM
from .widget_theme import DETAILS_PX, PAGE_HTML, STYLE, legend_html  # noqa: F401 (legend_html: public)

FLUSH_SECONDS = 0.2
CANVAS_PX = (160, 640)  # the canvas is as tall as the picture, within these bounds
PICKED = "picked"       # class of the selected node (cytoscape's own selection is turned off)
COMPACT_NODES = 12      # a session this small gets no search/module/tag/hops controls

def took_text(seconds: float) -> str:
    return f"{seconds:.3g} s" if seconds >= 1 else f"{seconds * 1000:.3g} ms"


def _mark_changed(elements: list[dict], changed, slow=()) -> None:
    """Add the ``changed`` class to the elements of nodes the last execute changed, ``slow`` to slow ones."""
    for element in elements:
        if element["data"].get("kind") == "node":
            name = element["data"]["id"]
            element["classes"] = (element.get("classes", "") + (" changed" if name in changed else "")
                                  + (" slow" if name in slow else ""))


class GraphWidget(Navigation, W.VBox):
    """Controls on top, the graph on the left, details of the clicked node on the right."""

    def __init__(self, session, spec: ViewSpec | None = None):
        self._unsubscribe = lambda: None
        self.session = session
        self.spec = spec or ViewSpec()
        self.view = None
        self.selected: str | None = None
        self._pending: dict[str, str] = {}
        self._last_flush = 0.0
        self._saved = SavedPicture()  # the picture output under the widget (see saved_picture)
        self.cyto = ipycytoscape.CytoscapeWidget(layout=W.Layout(width="100%", height=f"{CANVAS_PX[0]}px"))
        # labels are FONT_PX at zoom 1: never below 10 px on screen, never giant; pan for the rest
        self.cyto.min_zoom, self.cyto.max_zoom = MIN_ZOOM, MAX_ZOOM
        # the wheel scrolls the page; Ctrl/⌘ + wheel zooms (see widget_theme.WHEEL_JS)
        self.cyto.user_zooming_enabled = False
        self.cyto.add_class("hamilton-graph")
        self.cyto.set_style(STYLE)
        self.cyto.cytoscape_layout = picture_layout()
        self.cyto.on("node", "click", self._clicked)
        self.cyto.on("node", "mouseover", self._hovered)
        self.note = W.HTML()
        self.hover = W.HTML(HINT, layout=W.Layout(min_height="22px"))
        self.hover.add_class("hamilton-hover")
        self.crumbs = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.crumbs.add_class("hamilton-crumbs")
        self.details = W.HTML(NO_SELECTION,
                              layout=W.Layout(width=f"{DETAILS_PX}px", overflow="auto"))
        self.details.add_class("hamilton-details")
        # not continuous: each keystroke would otherwise redraw the graph
        self.search = W.Combobox(placeholder="search nodes…", ensure_option=False, continuous_update=False,
                                 layout=W.Layout(width="200px"))
        self.search.observe(self._searched, "value")
        self.module = W.Dropdown(description="module", layout=W.Layout(width="240px"))
        self.module.observe(self._module_chosen, "value")
        self.tag = W.Text(placeholder="tag filter key=value", layout=W.Layout(width="170px"),
                          continuous_update=False)
        self.tag.observe(self._tag_chosen, "value")
        self.hops = W.BoundedIntText(value=self.spec.hops, min=1, max=10, description="hops",
                                     layout=W.Layout(width="130px"))
        self.direction = W.ToggleButtons(options=["both", "upstream", "downstream"], value=self.spec.direction,
                                         style={"button_width": "105px"})
        self.focus_button = W.Button(description="Focus", tooltip="Show the selected node's neighbourhood")
        self.focus_button.on_click(lambda _: self.focus(self.selected))
        self.execute_button = W.Button(description="Execute", button_style="primary",
                                       tooltip="Compute the selected node (only what is stale)")
        self.execute_button.on_click(lambda _: self.execute_selected())
        self.overview_button = W.Button(description="Overview", tooltip="Back to the whole session")
        self.overview_button.on_click(lambda _: self.show(ViewSpec(budget=self.spec.budget)))
        self.fit_button = W.Button(description="Fit", tooltip="Fit the picture to the canvas (zoom stays "
                                   f"within {MIN_ZOOM}–{MAX_ZOOM}×)", layout=W.Layout(width="70px"))
        self.fit_button.on_click(lambda _: self.fit())
        self.output = W.Output(layout=W.Layout(width=f"{DETAILS_PX}px"))
        self.controls = controls = W.HBox([self.search, self.module, self.tag, self.hops, self.direction],
                                          layout=W.Layout(flex_flow="row wrap"))
        pager = self._build_navigation()
        actions = W.HBox([self.back_button, self.overview_button, self.fit_button, self.focus_button,
                          self.execute_button, pager], layout=W.Layout(flex_flow="row wrap"))
        self._enable_node_actions()
        right = W.VBox([self.details, self.output], layout=W.Layout(width=f"{DETAILS_PX + 10}px", flex="0 0 auto"))
        self.legend = W.HTML(legend_html())
        super().__init__([W.HTML(PAGE_HTML), controls, actions, self.legend, self.crumbs, self.note,
                          self.hover, W.HBox([self._graph_box(), right], layout=W.Layout(width="100%", flex_flow="row wrap"))])
        self.add_class("hamilton-widget")
        self._refresh_choices()
        self._render()
        # A weak reference: a closed or forgotten widget must not keep receiving events.
        ref = weakref.ref(self)
        self.why = StaleReasons(session)  # why a node is stale, from what its value was made from
        self._unsubscribe = session.subscribe(lambda event: (w := ref()) and w._on_event(event))

    def _graph_box(self) -> W.Box:
        """The graph's room: what the details panel leaves, or the whole width when the panel has
        to wrap below it. Cytoscape measures its box when first shown (before its own layout
        styles apply), so the box around it sets the width."""
        self.graph_box = W.Box([self.cyto], layout=W.Layout(flex=room(self.view), min_width=f"{GRAPH_MIN_PX}px",
                                                            max_width="100%"))
        return self.graph_box

    # ---- drawing ------------------------------------------------------------------------
    def _render(self) -> None:
        session = self.session
        try:
            view = build_view(session.graph, session.known_states, self.spec, session.engine.warnings,
                              parallel_items(session.engine))
        except HamiltonError as exc:  # e.g. the focused node or shown module was dropped
            if self.spec == ViewSpec(budget=self.spec.budget):
                raise
            self.spec = ViewSpec(budget=self.spec.budget)
            view = build_view(session.graph, session.known_states, self.spec, session.engine.warnings,
                              parallel_items(session.engine))
            view.note = f"{str(exc).splitlines()[0]} Showing the overview. {view.note}".strip()
        self.view = view
        _mark_changed(view.nodes, self.session.changed, slow_nodes(self.session.engine))
        self._draw(view)
        self._draw_crumbs(view)
        self.note.value = f"<i>{html.escape(view.note)}</i>" if view.note else ""
        self._settled()

    def _draw(self, view) -> None:
        """Make the drawn elements equal ``view``'s.

        Same elements as drawn (the usual case: an edit or a run changed states): restyle
        them in place, one small message per element whose classes, label or place changed,
        no new layout. Otherwise redraw from scratch with new element widgets. (Never reorder or
        splice kept element widgets: ipycytoscape's browser side then re-creates their views,
        adding the new cytoscape element before the old one with the same id is removed, and
        the element vanishes — edges silently disappeared that way.)"""
        graph = self.cyto.graph
        old_nodes = {node.data["id"]: node for node in graph.nodes}
        old_edges = {edge.data.get("id"): edge for edge in graph.edges}
        if set(old_nodes) == {e["data"]["id"] for e in view.nodes} and \
                set(old_edges) == {e["data"]["id"] for e in view.edges}:
            for element in view.nodes:
                self._restyle(old_nodes[element["data"]["id"]], element, self._picked(element["data"]["id"]))
            for element in view.edges:
                self._restyle(old_edges[element["data"]["id"]], element, " directed")
            return
        height = min(max(view.height + 8, CANVAS_PX[0]), CANVAS_PX[1])
        self.cyto.layout.height = f"{height}px"  # the browser refits when the canvas resizes
        # a wide picture (a page of search matches, a wide layer of groups) asks for the room it
        # needs at the smallest zoom: no box may sit off the canvas unseen
        if hasattr(self, "graph_box") and self.graph_box.layout.flex != room(view):
            self.graph_box.layout.flex = room(view)
        layout = picture_layout(view)
        if self.cyto.cytoscape_layout != layout:
            self.cyto.cytoscape_layout = layout
        graph.clear()
        graph.add_nodes([ipycytoscape.Node(data=e["data"], classes=e.get("classes", "") + self._picked(e["data"]["id"]),
                                           position=dict(e.get("position", {})), selectable=False, grabbable=False)
                         for e in view.nodes])
        graph.add_edges([ipycytoscape.Edge(data=e["data"], classes=e.get("classes", ""), selectable=False)
                         for e in view.edges], directed=True)

    def _settled(self) -> None:
        """The drawing settled (a new view, or states after a run or an edit): the legend shows
        what it draws, the saved picture follows it."""
        present = {n.data.get("state") for n in self.cyto.graph.nodes} | \
            {c for n in self.cyto.graph.nodes for c in n.classes.split() if c in ("warning", "group", "slow")}
        legend = legend_html(present)
        if self.legend.value != legend:
            self.legend.value = legend
        self._saved.update(self.static)

    def fit(self) -> None:
        """Zoom so the whole picture is on the canvas (within the zoom bounds)."""
        if self.cyto.cytoscape_layout != picture_layout(fit=True):
            self.cyto.cytoscape_layout = picture_layout(fit=True)
        else:
            self.cyto.relayout()

    def _picked(self, element_id: str) -> str:
        return f" {PICKED}" if element_id == self.selected else ""

    @staticmethod
    def _restyle(drawn, element: dict, extra_classes: str = "") -> None:
        classes = element.get("classes", "") + extra_classes
        if drawn.classes.split() != classes.split():
            drawn.classes = classes
        if dict(drawn.data) != element["data"]:
            drawn.data = dict(element["data"])
        position = element.get("position")
        if position and getattr(drawn, "position", None) is not None and dict(drawn.position) != position:
            drawn.position = dict(position)

    def _draw_crumbs(self, view) -> None:
        """Where this view sits: ``all › module › group``, each step a button back out."""
        trail = view.trail if self.spec.mode in ("overview", "group", "module", "auto") else []
        key = tuple(path for _, path in trail)
        if key == getattr(self, "_crumb_key", None):
            return
        self._crumb_key = key
        buttons = []
        for k, (title, path) in enumerate(trail):
            last = k == len(trail) - 1
            button = W.Button(description=("› " if k else "") + title, disabled=last and len(trail) > 1,
                              tooltip="the whole session" if not path else f"open {title}",
                              layout=W.Layout(width="auto"))
            button.on_click(lambda _, p=path: self.show(ViewSpec(mode="group", path=p, budget=self.spec.budget)
                                                          if p else ViewSpec(budget=self.spec.budget)))
            buttons.append(button)
        self.crumbs.children = buttons if len(trail) > 1 else []

    def _refresh_choices(self) -> None:
        graph = self.session.graph
        modules = ["(all)"] + list(graph.modules) + ([INPUTS_GROUP] if graph.input_names else [])
        current = self.spec.module if self.spec.mode == "module" else "(all)"
        if tuple(modules) != tuple(self.module.options):  # each assignment is a message to the browser
            self.module.unobserve(self._module_chosen, "value")
            self.module.options = modules
            self.module.value = current if current in modules else "(all)"
            self.module.observe(self._module_chosen, "value")
        names = tuple(sorted(graph.dag))  # every name: the browser filters them as one types
        if names != tuple(self.search.options):
            self.search.options = names
        # a few nodes are drawn whole: no search, module, tag or hops to choose
        self.controls.layout.display = "none" if len(graph.dag) <= COMPACT_NODES else "flex"

    # ---- user actions -------------------------------------------------------------------
    def _clicked(self, element: dict) -> None:
        data = element.get("data", {})
        if data.get("kind") in ("group", "context"):  # open the group; the outside: one level up
            path = tuple(data["path"])
            self.show(ViewSpec(mode="group", path=path, budget=self.spec.budget) if path else
                      ViewSpec(budget=self.spec.budget))
            return
        self.select(data.get("id"))
        picks.picked(data.get("id"))  # with the Jupyter extension, the notebook scrolls to its cell

    def _hovered(self, element: dict) -> None:
        """One line above the graph: the name, its state (as drawn now) and the doc's first paragraph."""
        data = element.get("data", {})
        name = str(data.get("label", data.get("id", ""))).replace("\n", " · ")
        doc = str(data.get("doc") or "")
        why = self.why.summary(data["id"]) if data.get("kind") == "node" and data.get("state") == "stale" else ""
        entry = self.session.engine.cache.get(data.get("id")) if data.get("kind") == "node" else None
        took = f" — computed in {took_text(entry.seconds)}" if entry is not None else ""
        self.hover.value = f"<b>{html.escape(name)}</b> — {html.escape(str(data.get('state', '')))}" + \
            (f" {html.escape(why)}" if why else "") + took + (f" — {html.escape(doc)}" if doc else "")

    def select(self, name: str) -> None:
        previous, self.selected = self.selected, name
        drawn = {node.data["id"]: node for node in self.cyto.graph.nodes}
        for element_id in {previous, name} - {None}:
            node = drawn.get(element_id)
            if node is not None:
                classes = [c for c in node.classes.split() if c != PICKED] + ([PICKED] if element_id == name else [])
                if classes != node.classes.split():
                    node.classes = " ".join(classes)
        self._enable_node_actions()
        try:
            why = self.why.why(name)
            self.details.value = f"<h4 style='margin:4px 0'>{html.escape(name)}</h4>" + \
                (f"<div class='hamilton-why'><b>stale</b> because {html.escape('; '.join(why))}</div>" if why
                 else "") + self.session.show(name)._repr_html_()
        except HamiltonError as exc:
            self.details.value = f"<pre>{html.escape(str(exc))}</pre>"

    def execute_selected(self) -> None:
        if not self.selected or self.selected not in self.session.graph.nodes:
            return
        self.output.clear_output()
        with self.output:
            try:
                self.session.execute([self.selected])
                print(self.session.last_report.summary())
            except HamiltonError as exc:
                print(exc)
        self.select(self.selected)

    # ---- following the session ------------------------------------------------------------
    def _on_event(self, event) -> None:
        if event.kind in ("graph", "reset"):
            self._refresh_choices()
            self._render()
            self._pending.clear()
            return
        self._pending.update(event.states)
        # ``executed`` too: a node that ran and ended where it started (error → error) gets no
        # ``states`` event, and must not stay drawn as running.
        if event.kind in ("states", "executed") or time.monotonic() - self._last_flush > FLUSH_SECONDS:
            self._flush()
        if event.kind in ("states", "executed"):
            self._settled()

    def _flush(self) -> None:
        """Restyle only the drawn elements whose state changed (one small message each)."""
        pending, self._pending = self._pending, {}
        self._last_flush = time.monotonic()
        if self.view is None:
            return
        drawn = {node.data["id"]: node for node in self.cyto.graph.nodes}
        changed, slow = self.session.changed, slow_nodes(self.session.engine)
        for name, node in drawn.items():  # marks come and go without a state change
            classes = node.classes.split()
            if (("changed" in classes) != (name in changed) or ("slow" in classes) != (name in slow)) \
                    and name not in pending:
                pending[name] = node.data.get("state", "")
        if not pending:
            return
        warnings = self.session.engine.warnings
        touched_groups = set()
        for name, state in pending.items():
            node = drawn.get(name)
            if node is not None:
                faded = " context" if "context" in node.classes.split() else ""
                node.classes = (node_classes(state, name in warnings) + faded + self._picked(name)
                                + (" changed" if name in changed else "") + (" slow" if name in slow else ""))
                if node.data.get("state") != state:
                    node.data = {**node.data, "state": state}
            else:
                touched_groups.add(self.view.grouped_in.get(name))
        if touched_groups:
            states = self.session.known_states
            for gid in touched_groups & set(self.view.groups):  # not the boxes counting outside nodes
                element = drawn.get(gid)
                if element is not None:
                    fresh = group_element(self.view.groups[gid], states, warnings, parallel_items(self.session.engine))
                    element.classes = fresh["classes"]
                    element.data = {**element.data, **fresh["data"]}
        if self.selected in pending:
            self.select(self.selected)

    def close(self) -> None:
        self._unsubscribe()
        super().close()

    # ---- where widgets don't render -------------------------------------------------------
    def static(self) -> StaticView:
        """What the widget shows now (bounded and laid out like it), as text/HTML/SVG/Mermaid."""
        if self.view is not None:  # states restyled since the view was built: as drawn now
            drawn = {node.data["id"]: node for node in self.cyto.graph.nodes}
            for element in self.view.nodes:
                node = drawn.get(element["data"]["id"])
                if node is not None:
                    element["classes"] = " ".join(c for c in node.classes.split() if c != PICKED)
                    element["data"] = {**element["data"], **node.data}
        return StaticView(self.view)

    def __repr__(self) -> str:
        return repr(self.static())

    def _ipython_display_(self) -> None:
        """In a notebook: the widget, then its saved picture (what a reopened notebook shows)."""
        from IPython import get_ipython

        shell = get_ipython()
        if not can_update(shell):
            shell.display_pub.publish(self._repr_mimebundle_(), {})
            return
        bundle = W.VBox._repr_mimebundle_(self)
        bundle["text/plain"] = "graph widget (live while its kernel runs; its saved picture follows)"
        bundle["text/html"] = ""  # where widgets don't render: nothing here, the picture below
        shell.display_pub.publish(bundle, {})
        self._saved.show(shell, self.static())

    def _repr_mimebundle_(self, **kwargs):
        """The live view, plus the same picture as SVG (inline in the HTML too: nbconvert, nbviewer
        and GitHub prefer HTML over images) for wherever the widget can't render."""
        bundle = super()._repr_mimebundle_(**kwargs)
        static = self.static()
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = static._repr_html_()
        bundle["image/svg+xml"] = static.svg()
        return bundle
