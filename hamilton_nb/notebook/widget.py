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
from .graph_view import INPUTS_GROUP, ViewSpec, build_view, group_element, module_of, node_classes, state_class
from .render import STATE_COLOURS, WARNING_COLOUR, StaticView

FLUSH_SECONDS = 0.2
CHANGED_COLOUR = "#7b2cbf"  # nodes whose value the last execute changed (until the next edit)

STYLE = [
    {"selector": "node", "style": {
        "label": "data(label)", "text-wrap": "wrap", "text-valign": "center", "text-halign": "center",
        "font-size": 11, "shape": "round-rectangle", "width": "label", "height": "label",
        "padding": "6px", "background-color": "#ffffff", "border-width": 1, "border-color": "#555"}},
    {"selector": "node.module", "style": {"border-width": 2, "font-weight": "bold", "padding": "10px",
                                          "border-style": "double"}},
    {"selector": "node.input", "style": {"shape": "ellipse"}},
    {"selector": "node.not-computed", "style": {"border-style": "dashed"}},
    {"selector": "node:selected", "style": {"border-width": 3, "border-color": "#1f6feb"}},
    {"selector": "edge", "style": {
        "curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1.2,
        "line-color": "#999", "target-arrow-color": "#999", "label": "data(label)", "font-size": 9}},
] + [{"selector": f".{state_class(s)}", "style": {"background-color": c}} for s, c in STATE_COLOURS.items()] + [
    {"selector": "node.changed", "style": {"border-width": 4, "border-color": CHANGED_COLOUR,
                                           "border-style": "solid"}},
    # after the state styles: a failed ``warn`` data-quality check shows whatever the state
    {"selector": "node.warning", "style": {"border-width": 4, "border-color": WARNING_COLOUR,
                                           "border-style": "solid"}},
]


def legend_html() -> str:
    chips = "".join(
        f"<span style='display:inline-block;margin-right:10px'><span style='display:inline-block;width:12px;"
        f"height:12px;border:1px solid #555;background:{colour};vertical-align:middle'></span> {state}</span>"
        for state, colour in STATE_COLOURS.items())
    chips += (f"<span style='display:inline-block;margin-right:10px'><span style='display:inline-block;"
              f"width:10px;height:10px;border:3px solid {WARNING_COLOUR};vertical-align:middle'></span> "
              "data-quality warning</span>"
              f"<span style='display:inline-block;margin-right:10px'><span style='display:inline-block;"
              f"width:10px;height:10px;border:3px solid {CHANGED_COLOUR};vertical-align:middle'></span> "
              "value changed by the last execute</span>"
              "<span style='display:inline-block;margin-right:10px'><span style='display:inline-block;"
              "width:12px;height:12px;border:3px double #555;vertical-align:middle'></span> "
              "module (click to expand)</span>")
    return f"<div class='hamilton-legend' style='font-size:12px'>{chips}</div>"


def _mark_changed(elements: list[dict], changed) -> None:
    """Add the ``changed`` class to the elements of nodes the last execute changed."""
    for element in elements:
        if element["data"]["id"] in changed and element["data"].get("kind") == "node":
            element["classes"] = element.get("classes", "") + " changed"


class GraphWidget(W.VBox):
    """Controls on top, the graph on the left, details of the clicked node on the right."""

    def __init__(self, session, spec: ViewSpec | None = None):
        self._unsubscribe = lambda: None
        self.session = session
        self.spec = spec or ViewSpec()
        self.view = None
        self.selected: str | None = None
        self._pending: dict[str, str] = {}
        self._laid_out = False
        self._last_flush = 0.0
        self.cyto = ipycytoscape.CytoscapeWidget(layout=W.Layout(width="100%", height="520px"))
        self.cyto.min_zoom = 0.5  # fitting a long chain must not shrink labels past reading; pan instead
        self.cyto.add_class("hamilton-graph")
        self.cyto.set_style(STYLE)
        self.cyto.on("node", "click", self._clicked)
        self.note = W.HTML()
        self.details = W.HTML("<i>Click a node to see its details.</i>",
                              layout=W.Layout(width="380px", max_height="520px", overflow="auto"))
        self.details.add_class("hamilton-details")
        # not continuous: each keystroke would otherwise redraw the graph
        self.search = W.Combobox(placeholder="search nodes…", ensure_option=False, continuous_update=False,
                                 layout=W.Layout(width="200px"))
        self.search.observe(self._searched, "value")
        self.module = W.Dropdown(description="module", layout=W.Layout(width="220px"))
        self.module.observe(self._module_chosen, "value")
        self.tag = W.Text(placeholder="tag filter key=value", layout=W.Layout(width="170px"),
                          continuous_update=False)
        self.tag.observe(self._tag_chosen, "value")
        self.hops = W.BoundedIntText(value=self.spec.hops, min=1, max=10, description="hops",
                                     layout=W.Layout(width="120px"))
        self.direction = W.ToggleButtons(options=["both", "upstream", "downstream"], value=self.spec.direction,
                                         style={"button_width": "80px"})
        self.focus_button = W.Button(description="Focus", tooltip="Show the selected node's neighbourhood")
        self.focus_button.on_click(lambda _: self.focus(self.selected))
        self.execute_button = W.Button(description="Execute", button_style="primary",
                                       tooltip="Compute the selected node (only what is stale)")
        self.execute_button.on_click(lambda _: self.execute_selected())
        self.overview_button = W.Button(description="Overview")
        self.overview_button.on_click(lambda _: self.show(ViewSpec(budget=self.spec.budget)))
        self.output = W.Output(layout=W.Layout(width="380px"))
        controls = W.HBox([self.search, self.module, self.tag, self.hops, self.direction])
        actions = W.HBox([self.overview_button, self.focus_button, self.execute_button])
        right = W.VBox([self.details, self.output], layout=W.Layout(width="400px", flex="0 0 auto"))
        super().__init__([controls, actions, W.HTML(legend_html()), self.note,
                          W.HBox([self._graph_box(), right], layout=W.Layout(width="100%"))])
        self._refresh_choices()
        self._render()
        # A weak reference: a closed or forgotten widget must not keep receiving events.
        ref = weakref.ref(self)
        self._unsubscribe = session.subscribe(lambda event: (w := ref()) and w._on_event(event))

    def _graph_box(self) -> W.Box:
        """The graph's room: what the details panel leaves. Cytoscape measures its box once, when
        first shown (before its own layout styles apply), so the box around it sets the width."""
        return W.Box([self.cyto], layout=W.Layout(width="calc(100% - 410px)", min_width="300px"))

    # ---- drawing ------------------------------------------------------------------------
    def _render(self) -> None:
        session = self.session
        try:
            view = build_view(session.graph, session.known_states, self.spec, session.engine.warnings)
        except HamiltonError as exc:  # e.g. the focused node or shown module was dropped
            if self.spec == ViewSpec(budget=self.spec.budget):
                raise
            self.spec = ViewSpec(budget=self.spec.budget)
            view = build_view(session.graph, session.known_states, self.spec, session.engine.warnings)
            view.note = f"{str(exc).splitlines()[0]} Showing the overview. {view.note}".strip()
        self.view = view
        _mark_changed(view.nodes, self.session.changed)
        self._draw(view)
        self.note.value = f"<i>{html.escape(view.note)}</i>" if view.note else ""

    def _draw(self, view) -> None:
        """Make the drawn elements equal ``view``'s.

        Same elements as drawn (the usual case: an edit or a run changed states): restyle
        them in place, one small message per element whose classes or label changed, no new
        layout. Otherwise redraw from scratch with new element widgets. (Never reorder or
        splice kept element widgets: ipycytoscape's browser side then re-creates their views,
        adding the new cytoscape element before the old one with the same id is removed, and
        the element vanishes — edges silently disappeared that way.)"""
        graph = self.cyto.graph
        old_nodes = {node.data["id"]: node for node in graph.nodes}
        old_edges = {edge.data.get("id"): edge for edge in graph.edges}
        if set(old_nodes) == {e["data"]["id"] for e in view.nodes} and \
                set(old_edges) == {e["data"]["id"] for e in view.edges}:
            for element in view.nodes:
                self._restyle(old_nodes[element["data"]["id"]], element)
            for element in view.edges:
                self._restyle(old_edges[element["data"]["id"]], element, " directed")
            return
        graph.clear()
        graph.add_nodes([ipycytoscape.Node(data=e["data"], classes=e.get("classes", ""), selectable=True)
                         for e in view.nodes])
        graph.add_edges([ipycytoscape.Edge(data=e["data"], classes=e.get("classes", ""), selectable=False)
                         for e in view.edges], directed=True)
        if not self._laid_out:
            self.cyto.set_layout(name="dagre", rankDir="TB", nodeSep=12, rankSep=36, animate=False)
            self._laid_out = True

    @staticmethod
    def _restyle(drawn, element: dict, extra_classes: str = "") -> None:
        classes = element.get("classes", "") + extra_classes
        if drawn.classes.split() != classes.split():
            drawn.classes = classes
        if dict(drawn.data) != element["data"]:
            drawn.data = dict(element["data"])

    def _refresh_choices(self) -> None:
        graph = self.session.graph
        modules = ["(all)"] + list(graph.modules) + ([INPUTS_GROUP] if graph.input_names else [])
        current = self.spec.module if self.spec.mode == "module" else "(all)"
        if tuple(modules) != tuple(self.module.options):  # each assignment is a message to the browser
            self.module.unobserve(self._module_chosen, "value")
            self.module.options = modules
            self.module.value = current if current in modules else "(all)"
            self.module.observe(self._module_chosen, "value")
        names = tuple(graph.topological_order()[:2000])
        if set(names) != set(self.search.options):
            self.search.options = names

    def show(self, spec: ViewSpec) -> None:
        self.spec = spec
        self._render()

    def focus(self, name: str | None) -> None:
        if name:
            self.show(ViewSpec(mode="focus", focus=name, hops=self.hops.value, direction=self.direction.value,
                               budget=self.spec.budget))

    # ---- user actions -------------------------------------------------------------------
    def _clicked(self, element: dict) -> None:
        data = element.get("data", {})
        if data.get("kind") == "module":
            self.show(ViewSpec(mode="module", module=data["module"], budget=self.spec.budget))
            return
        self.select(data.get("id"))

    def select(self, name: str) -> None:
        self.selected = name
        try:
            self.details.value = f"<h4 style='margin:4px 0'>{html.escape(name)}</h4>" + \
                self.session.show(name)._repr_html_()
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

    def _flush(self) -> None:
        """Restyle only the drawn elements whose state changed (one small message each)."""
        pending, self._pending = self._pending, {}
        self._last_flush = time.monotonic()
        if self.view is None:
            return
        drawn = {node.data["id"]: node for node in self.cyto.graph.nodes}
        changed = self.session.changed
        for name, node in drawn.items():  # marks come and go without a state change
            if ("changed" in node.classes.split()) != (name in changed) and name not in pending:
                pending[name] = node.data.get("state", "")
        if not pending:
            return
        warnings = self.session.engine.warnings
        states = None
        touched_groups = set()
        for name, state in pending.items():
            node = drawn.get(name)
            if node is not None:
                node.classes = node_classes(state, name in warnings) + (" changed" if name in changed else "")
                if node.data.get("state") != state:
                    node.data = {**node.data, "state": state}
            else:
                touched_groups.add(module_of(self.session.graph, name))
        for module in touched_groups:
            element = drawn.get(f"module:{module}")
            if element is None:
                continue
            states = states or self.session.known_states
            members = self.session.graph.modules.get(module, self.session.graph.input_names)
            fresh = group_element(module, list(members), states, warnings)
            element.classes = fresh["classes"]
            element.data = {**element.data, **fresh["data"]}
        if self.selected in pending:
            self.select(self.selected)

    def close(self) -> None:
        self._unsubscribe()
        super().close()

    # ---- where widgets don't render -------------------------------------------------------
    def static(self) -> StaticView:
        """What the widget shows now (bounded like it), as text/HTML/Mermaid."""
        return StaticView(self.view)

    def __repr__(self) -> str:
        return repr(self.static())

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self.static()._repr_html_()
        return bundle
