"""Pictures of the graph that render anywhere: text, Mermaid and HTML (no widget needed)."""
from __future__ import annotations

import html

STATE_COLOURS = {"input": "#d9d9d9", "fresh": "#b7e1a1", "stale": "#ffd27f", "not computed": "#ffffff",
                 "running": "#9ecae1", "error": "#f4a3a3"}
WARNING_COLOUR = "#ff8c00"  # border of nodes whose value failed a ``warn`` data-quality check


class StaticView:
    """A :class:`~hamilton_nb.notebook.graph_view.View` (what a graph widget draws, so bounded
    even for 1000+ nodes: module overviews stay overviews) as text, Mermaid and HTML."""

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

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td style='background:{STATE_COLOURS.get(state, '#fff')}'>{html.escape(label)}</td>"
            f"<td>{html.escape(state)}</td><td>{html.escape(', '.join(ups))}</td></tr>"
            for label, state, ups in self._rows())
        note = f"<p><i>{html.escape(self.view.note)}</i></p>" if self.view is not None and self.view.note else ""
        return note + "<table><tr><th>node</th><th>state</th><th>depends on</th></tr>" + rows + "</table>"


def show(session, nodes=None, focus=None, hops=1, module=None, static=False, direction="both"):
    """The live widget for this part of the graph, or a static picture where widgets can't render."""
    from .graph_view import ViewSpec

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
    from .graph_view import build_view

    return StaticView(build_view(session.graph, session.known_states, spec, session.engine.warnings))


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
