"""The live graph widget in-process (no browser): what it draws, how session events restyle
the drawn elements in place, clicks, drilling into groups, hover, and the static picture."""
from __future__ import annotations

import base64
import re
import sys
import time

import pytest

from hamilton_nb.errors import NodeExecutionError
from hamilton_nb.notebook import render
from hamilton_nb.notebook.graph_view import INPUTS_GROUP, ViewSpec
from hamilton_nb.notebook.style import MIN_ZOOM
from hamilton_nb.notebook.widget import FLUSH_SECONDS, GraphWidget, legend_html
from hamilton_nb.session import Session
from contrast import contrast
from test_graph_view import (FEATURES, MODEL, SIGNUPS, SMALL_NODES, SPEND, big_module_source, big_session,
                             family_module_source, one_module_session, small_session)


BROKEN = '''
import pandas as pd

def broken(spend: pd.Series) -> pd.Series:
    """Always fails."""
    raise ValueError("the rate is wrong")
'''


def images(html_text: str) -> list[str]:
    """The SVG documents inside the ``<img src="data:image/svg+xml;base64,…">`` of an HTML output."""
    return [base64.b64decode(data).decode() for data in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)",
                                                                     html_text)]


def drawn(widget) -> dict:
    """id → the ipycytoscape Node drawn for it."""
    return {node.data["id"]: node for node in widget.cyto.graph.nodes}


def inside(widget) -> set[str]:
    """The drawn ids, without the faded outside neighbours of an opened group."""
    return {i for i, node in drawn(widget).items() if "context" not in node.classes.split()}


def state_of(widget) -> dict[str, str]:
    return {i: node.classes.split()[1] for i, node in drawn(widget).items()}


def click(widget, name: str) -> None:
    """What ipycytoscape calls on a node click: the element's JSON."""
    node = drawn(widget)[name]
    widget._clicked({"group": "nodes", "data": dict(node.data), "classes": node.classes,
                     "position": {"x": 10, "y": 10}})


@pytest.fixture
def small():
    session = small_session()
    widget = GraphWidget(session)
    yield session, widget
    widget.close()


# ---- building ---------------------------------------------------------------------------------
def test_a_small_session_draws_every_node_and_directed_edge(small):
    session, widget = small
    assert set(drawn(widget)) == SMALL_NODES
    edges = {(e.data["source"], e.data["target"]) for e in widget.cyto.graph.edges}
    assert edges == set(session.graph.dag.edges)
    assert all("directed" in e.classes for e in widget.cyto.graph.edges)
    assert widget.cyto.get_layout()["name"] == "preset"  # laid out in Python, like the static SVG
    assert all(set(node.position) == {"x", "y"} for node in widget.cyto.graph.nodes)
    assert (widget.cyto.min_zoom, widget.cyto.max_zoom) == (0.85, 1.5)
    assert 160 <= int(widget.cyto.layout.height.rstrip("px")) <= 640
    assert state_of(widget)["spend"] == "input" and state_of(widget)["score"] == "not-computed"
    assert "hamilton-graph" in widget.cyto._dom_classes and "hamilton-details" in widget.details._dom_classes
    assert widget.module.options == ("(all)", "features", "model", INPUTS_GROUP)


def test_the_legend_explains_every_state_and_warnings():
    legend = legend_html()
    for state in ("input", "fresh", "stale", "not computed", "running", "error", "warning", "group"):
        assert state in legend


def test_a_1000_node_session_builds_a_bounded_overview_fast():
    session = big_session()
    t0 = time.perf_counter()
    widget = GraphWidget(session)
    seconds = time.perf_counter() - t0
    try:
        size = len(widget.cyto.graph.nodes) + len(widget.cyto.graph.edges)
        print(f"1000-node overview: {size} elements in {seconds * 1000:.0f} ms")
        assert size == widget.view.size <= 300
        assert all(n.data["kind"] == "group" for n in widget.cyto.graph.nodes if n.data["id"] != "spend")
        assert seconds < 2.0
        # the widget's text and HTML stay bounded too: the overview, not 1000 rows
        assert repr(widget).count("\n") < 20
        assert widget._repr_mimebundle_()["image/svg+xml"].count("<rect") < 60
    finally:
        widget.close()


def test_an_empty_session_draws_nothing_and_still_has_a_text_form():
    widget = GraphWidget(Session())
    assert widget.cyto.graph.nodes == [] and "0 nodes" in repr(widget)
    assert len(images(widget._repr_mimebundle_()["text/html"])) == 1
    widget.close()


# ---- following session events -------------------------------------------------------------------
def test_edit_makes_exactly_the_downstream_nodes_stale_in_place(small):
    session, widget = small
    session.execute(["score", "signups_norm"])
    assert set(state_of(widget).values()) == {"input", "fresh"}
    before = drawn(widget)
    edges = {e.data["id"]: e for e in widget.cyto.graph.edges}
    session.register_cell(FEATURES.replace("rolling(3)", "rolling(4)"), "features", {})
    after = drawn(widget)
    assert all(after[i] is before[i] for i in before)  # same widgets: restyled, not rebuilt
    # networkx lists the edges of re-registered nodes in another order: still the same edge widgets
    assert {e.data["id"]: e for e in widget.cyto.graph.edges} == edges
    assert {i for i, s in state_of(widget).items() if s == "stale"} == {"avg_3wk_spend", "spend_zscore", "score"}
    assert after["score"].data["state"] == "stale"
    session.execute(["score"])
    assert set(state_of(widget).values()) == {"input", "fresh"}
    assert all(drawn(widget)[i] is before[i] for i in before)


def test_state_changes_send_only_the_changed_elements(small, monkeypatch):
    import ipywidgets

    session, widget = small
    session.execute(["score", "signups_norm"])
    sent = []
    original = ipywidgets.Widget.send_state
    monkeypatch.setattr(ipywidgets.Widget, "send_state",
                        lambda self, key=None: (sent.append((type(self).__name__, key)), original(self, key))[1])
    session.register_cell(MODEL.replace("signups.max()", "signups.sum()"), "model", {})
    senders = {(kind, key if isinstance(key, str) else tuple(key or ())) for kind, key in sent}
    assert ("Graph", "nodes") not in senders and ("Graph", "edges") not in senders
    restyled = [key for kind, key in sent if kind == "Node" and key == "classes"]
    assert len(restyled) == 1 and state_of(widget)["signups_norm"] == "stale"


def test_a_new_function_is_drawn_with_its_edge(small):
    session, widget = small
    before = drawn(widget)
    session.register_cell(MODEL + '''
def score_doubled(score: pd.Series) -> pd.Series:
    """Twice the score."""
    return score * 2
''', "model", {})
    after = drawn(widget)
    assert set(after) == SMALL_NODES | {"score_doubled"} and after["score_doubled"].classes == "node not-computed"
    assert ("score", "score_doubled") in {(e.data["source"], e.data["target"]) for e in widget.cyto.graph.edges}
    assert set(widget.cyto.graph._adj) == set(after)  # ipycytoscape's bookkeeping stays consistent


def test_dropping_a_module_removes_its_nodes_and_edges(small):
    session, widget = small
    session.drop("model")
    assert set(drawn(widget)) == {"spend", "signups", "avg_3wk_spend", "spend_per_signup"}
    ids = set(drawn(widget))
    assert all(e.data["source"] in ids and e.data["target"] in ids for e in widget.cyto.graph.edges)
    assert widget.module.options == ("(all)", "features", INPUTS_GROUP)


def test_dropping_the_shown_module_falls_back_to_the_overview(small):
    session, widget = small
    widget.show(ViewSpec(mode="module", module="model"))
    assert inside(widget) == {"spend_zscore", "signups_norm", "score"}
    # what feeds the module from outside, faded around it
    assert set(drawn(widget)) - inside(widget) == {"avg_3wk_spend", "spend_per_signup", "signups"}
    session.drop("model")  # must not raise into the user's cell
    assert widget.spec == ViewSpec()
    assert "model" in widget.note.value and "overview" in widget.note.value
    assert set(drawn(widget)) == {"spend", "signups", "avg_3wk_spend", "spend_per_signup"}


def test_dropping_the_focused_node_falls_back_to_the_overview(small):
    session, widget = small
    widget.focus("score")
    session.drop("score")
    assert "score" not in drawn(widget) and widget.spec.mode == "auto"


def test_errors_show_as_error_and_no_node_stays_running(small):
    session, widget = small
    session.register_cell(BROKEN, "broken", {})
    for _ in range(2):  # the second time the state doesn't change: error → running → error
        widget._last_flush = -1e9  # "running" is drawn at once, the quick failure is throttled
        with pytest.raises(NodeExecutionError):
            session.execute(["broken"])
        assert state_of(widget)["broken"] == "error"
        assert "running" not in state_of(widget).values()
    click(widget, "broken")
    assert "the rate is wrong" in widget.details.value


def test_running_nodes_are_shown_while_executing(small, monkeypatch):
    session, widget = small
    seen = []
    monkeypatch.setattr("hamilton_nb.notebook.widget.FLUSH_SECONDS", -1.0)  # flush every event
    session.subscribe(lambda event: seen.append((event.kind, state_of(widget).get("avg_3wk_spend")))
                      if event.kind == "node_started" and event.nodes == ["avg_3wk_spend"] else None)
    session.execute(["avg_3wk_spend"])
    assert seen == [("node_started", "running")]
    assert state_of(widget)["avg_3wk_spend"] == "fresh"
    assert FLUSH_SECONDS > 0


def test_overview_groups_follow_state_changes():
    session = big_session(modules=8, per=20)
    widget = GraphWidget(session, ViewSpec(mode="overview"))
    session.set_inputs(spend=SPEND)
    session.execute(all=True)
    assert drawn(widget)["group:module:mod1"].data["label"] == "mod1\n20 nodes"
    group = drawn(widget)["group:module:mod1"]
    session.register_cell(big_module_source(1, 20).replace("return m1_f9 + m1_f5", "return m1_f9 + m1_f5 + 1"),
                          "mod1", {})
    assert drawn(widget)["group:module:mod1"] is group
    assert group.data["label"] == "mod1\n20 nodes · 10 stale · 10 fresh" and "stale" in group.classes.split()
    assert drawn(widget)["group:module:mod2"].data["label"] == "mod2\n20 nodes"
    assert "stale" in drawn(widget)["group:module:mod2"].classes.split()
    widget.close()


def test_groups_inside_a_big_module_follow_state_changes():
    session = one_module_session(200)
    widget = GraphWidget(session)
    session.set_inputs(base=SPEND)
    session.execute(all=True)
    spend = drawn(widget)["group:module:features/prefix:spend"]
    assert spend.data["label"] == "spend_*\n20 nodes" and "fresh" in spend.classes.split()
    edited = family_module_source(200).replace("return spend_w9 + spend_w5", "return spend_w9 + spend_w5 + 1")
    session.register_cell(edited, "features", {})
    assert drawn(widget)["group:module:features/prefix:spend"] is spend  # restyled in place
    assert spend.data["label"] == "spend_*\n20 nodes · 10 stale · 10 fresh" and "stale" in spend.classes.split()
    assert drawn(widget)["group:module:features/prefix:churn"].data["label"] == "churn_*\n20 nodes"
    session.execute(all=True)
    assert spend.data["label"] == "spend_*\n20 nodes" and "fresh" in spend.classes.split()
    widget.close()


def test_reset_empties_the_widget(small):
    session, widget = small
    session.reset()
    assert widget.cyto.graph.nodes == [] and widget.cyto.graph.edges == []


def test_a_closed_widget_stops_following_the_session(small):
    session, widget = small
    widget.close()
    session.register_cell(FEATURES.replace("rolling(3)", "rolling(5)"), "features", {})
    assert session._observers == []


def test_failed_warn_checks_get_the_warning_class():
    session = Session()
    session.register_cell('''
import pandas as pd
from hamilton_nb.function_modifiers import check_output

@check_output(range=(0, 100), importance="warn")
def share(spend: pd.Series) -> pd.Series:
    return spend * {factor}
'''.replace("{factor}", "10"), "checked", {})
    widget = GraphWidget(session)
    session.set_inputs(spend=SPEND)
    session.execute(["share"])
    assert drawn(widget)["share"].classes.split() == ["node", "fresh", "warning"]
    click(widget, "share")
    assert "warning" in widget.details.value and "range=(0, 100)" in widget.details.value
    widget.close()


# ---- clicks and controls ------------------------------------------------------------------------
def test_clicking_a_node_shows_its_details_and_value(small):
    session, widget = small
    session.execute(["spend_per_signup"])
    click(widget, "spend_per_signup")
    text = widget.details.value
    assert widget.selected == "spend_per_signup"
    for expected in ("spend_per_signup", "The cost per signup in relation to spend.",
                     "spend_per_signup(spend: pd.Series, signups: pd.Series) -&gt; pd.Series",
                     "features", "fresh", "dtype=float64", "length=6", "nulls=0", "score"):
        assert expected in text, expected
    click(widget, "score")
    assert "not computed" in widget.details.value and "The final score." in widget.details.value


def test_the_details_follow_the_selected_nodes_state(small):
    session, widget = small
    click(widget, "avg_3wk_spend")
    assert "not computed" in widget.details.value
    session.execute(["avg_3wk_spend"])
    assert "fresh" in widget.details.value and "dtype=float64" in widget.details.value


def test_clicking_groups_drills_in_and_breadcrumbs_lead_back_out():
    session = big_session()
    widget = GraphWidget(session)
    assert widget.crumbs.children == ()  # at the top: nothing to go back to
    widget._clicked({"data": dict(drawn(widget)["group:module:mod3"].data)})
    assert widget.spec.mode == "group" and widget.spec.path == ("module:mod3",)
    assert [b.description for b in widget.crumbs.children] == ["all", "› mod3"]
    while any(n.data["kind"] == "group" for n in drawn(widget).values()):  # open the first group, down to nodes
        first = next(n for n in widget.cyto.graph.nodes if n.data["kind"] == "group")
        widget._clicked({"data": dict(first.data)})
    assert all(name.startswith("m3_f") for name in inside(widget)) and len(drawn(widget)) <= 40
    assert "m3_f0" in inside(widget) and "m2_f99" in set(drawn(widget)) - inside(widget)  # fed by mod2
    assert len(widget.crumbs.children) >= 3 and widget.crumbs.children[-1].disabled
    widget.crumbs.children[1].click()  # back to the module
    assert widget.spec.path == ("module:mod3",) and "m3_f0" not in drawn(widget)
    widget.crumbs.children[0].click()  # back to the whole session
    assert "group:module:mod3" in drawn(widget) and widget.crumbs.children == ()
    widget.close()


def test_inside_a_group_its_outside_neighbours_are_shown_and_lead_up_a_level():
    session = one_module_session(1000)
    widget = GraphWidget(session, ViewSpec(mode="group", path=("module:features", "prefix:spend")))
    second = [n for n in widget.cyto.graph.nodes if n.data["kind"] == "group"][1]
    widget._clicked({"data": dict(second.data)})
    upstream = drawn(widget)["context:upstream"]
    assert upstream.data["label"] == "5 nodes upstream\n(outside this group)"
    assert "context" in upstream.classes.split() and "spend_w4, spend_w5" in upstream.data["doc"]
    assert any(e.data["source"] == "context:upstream" for e in widget.cyto.graph.edges)
    session.set_inputs(base=SPEND)
    session.execute(all=True)  # restyles the drawn nodes; the outside ones stay faded
    assert all("context" in drawn(widget)[name].classes.split() for name in set(drawn(widget)) - inside(widget))
    assert {state_of(widget)[name] for name in inside(widget)} == {"fresh"}
    widget._clicked({"data": dict(upstream.data)})
    assert widget.spec.path == tuple(second.data["path"][:-1])
    widget.close()


def test_the_selected_node_is_highlighted_and_hover_shows_doc_and_state(small):
    session, widget = small
    click(widget, "score")
    assert "picked" in drawn(widget)["score"].classes.split()
    click(widget, "spend_zscore")
    assert "picked" not in drawn(widget)["score"].classes.split()
    assert "picked" in drawn(widget)["spend_zscore"].classes.split()
    session.execute(["spend_zscore"])  # restyled by state: still highlighted
    assert drawn(widget)["spend_zscore"].classes.split() == ["node", "fresh", "picked"]
    widget._hovered({"data": dict(drawn(widget)["score"].data)})
    assert "score" in widget.hover.value and "not computed" in widget.hover.value
    assert "The final score." in widget.hover.value
    widget._hovered({"data": dict(drawn(widget)["spend_zscore"].data)})  # the state as drawn now
    assert re.search(r"spend_zscore</b> — fresh — computed in [0-9.]+ ms — Standardised rolling spend.",
                     widget.hover.value)


def test_the_canvas_is_as_tall_as_the_picture_within_bounds(small):
    session, widget = small
    small_height = int(widget.cyto.layout.height.rstrip("px"))
    assert small_height == max(160, widget.view.height + 8)
    assert widget.cyto.cytoscape_layout["zoom"] == 1 and not widget.cyto.cytoscape_layout["fit"]
    tall = GraphWidget(big_session(modules=1, per=1000))
    assert tall.view.height > 640 and tall.cyto.layout.height == "640px"
    assert tall.cyto.cytoscape_layout["pan"]["y"] == 0  # starts at the top: the most upstream boxes
    tall.fit_button.click()
    assert tall.cyto.cytoscape_layout["fit"] is True
    first = next(n for n in tall.cyto.graph.nodes if n.data["kind"] == "group")
    tall._clicked({"data": dict(first.data)})  # a new picture: back to zoom 1 (a wide one: the smallest) from the top
    assert tall.cyto.cytoscape_layout["zoom"] == (1 if tall.view.width <= 560 else MIN_ZOOM)
    assert not tall.cyto.cytoscape_layout["fit"] and tall.cyto.cytoscape_layout["pan"]["y"] == 0
    tall.close()


def test_a_wide_picture_asks_for_room_to_show_all_of_it_at_the_smallest_zoom():
    wide = GraphWidget(one_module_session(1000))  # ten families side by side under their input
    try:
        assert wide.view.width > 1000 and wide.cyto.cytoscape_layout["zoom"] == MIN_ZOOM
        room = int(wide.graph_box.layout.flex.split()[-1].rstrip("px"))
        assert room >= wide.view.width * MIN_ZOOM  # the details panel wraps below instead
        wide.search.value = "spend_w1"  # a narrow picture: the usual room, zoom 1
        assert wide.view.width <= 560 and wide.graph_box.layout.flex == "1 1 560px"
    finally:
        wide.close()


def test_the_execute_button_computes_only_what_is_stale(small, capsys):
    session, widget = small
    session.execute(["score"])
    session.register_cell(MODEL.replace("avg_3wk_spend.std()", "avg_3wk_spend.std(ddof=0)"), "model", {})
    click(widget, "score")
    widget.execute_button.click()
    assert set(session.last_report.computed) == {"spend_zscore", "score"}
    assert state_of(widget)["score"] == "fresh" and "fresh" in widget.details.value
    assert "2 computed" in "".join(o.get("text", "") for o in widget.output.outputs) + capsys.readouterr().out


def test_focus_button_and_direction(small):
    session, widget = small
    click(widget, "spend_zscore")
    widget.direction.value = "upstream"
    widget.focus_button.click()
    assert set(drawn(widget)) == {"spend_zscore", "avg_3wk_spend"}
    widget.hops.value = 2
    widget.focus_button.click()
    assert set(drawn(widget)) == {"spend_zscore", "avg_3wk_spend", "spend"}


def test_search_tag_and_module_controls(small):
    session, widget = small
    widget.search.value = "SIGNUP"
    assert set(drawn(widget)) == {"signups", "spend_per_signup", "signups_norm"}
    widget.search.value = "score"  # an exact name: focus on it and show it
    assert widget.selected == "score" and set(drawn(widget)) == {"score", "spend_zscore", "spend_per_signup"}
    widget.tag.value = "owner=ds"
    assert set(drawn(widget)) == {"signups_norm", "score"}
    widget.tag.value = ""
    assert set(drawn(widget)) == SMALL_NODES
    widget.module.value = "features"
    assert inside(widget) == {"avg_3wk_spend", "spend_per_signup"}
    widget.module.value = "(all)"
    assert set(drawn(widget)) == SMALL_NODES


# ---- where widgets don't render -----------------------------------------------------------------
def test_the_widget_has_text_and_html_forms(small):
    session, widget = small
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "score [not computed] ← spend_per_signup, spend_zscore" in bundle["text/plain"]
    assert images(bundle["text/html"]) == [bundle["image/svg+xml"]]  # the same picture, as an image
    assert "<svg" not in bundle["text/html"] and "<table" not in bundle["text/html"]
    assert "spend_zscore" in bundle["text/html"]  # in the image's alt text
    svg = bundle["image/svg+xml"]
    assert svg.startswith("<svg") and all(f">{name}</text>" in svg for name in SMALL_NODES)
    assert svg.count("marker-end") == len(session.graph.dag.edges)


def test_a_saved_notebook_shows_the_graph_as_a_picture_where_widgets_cannot_render(small):
    """nbconvert (what nbviewer runs) picks the richest output it can show without the widget."""
    import nbformat
    from nbconvert import HTMLExporter

    session, widget = small
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("%hamilton_graph")
    cell.outputs = [nbformat.v4.new_output("display_data", data=widget._repr_mimebundle_())]
    notebook.cells = [cell]
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.from_dict(notebook))
    body = page.split("<body")[1]  # the page's own icons live in its head
    assert len(images(body)) == 1 and ">score</text>" in images(body)[0]
    assert "<table" not in body
    assert widget.static().mermaid().startswith("flowchart TD")


def test_static_show_is_mermaid_and_html(small):
    session, _ = small
    picture = render.show(session, static=True)
    assert isinstance(picture, render.StaticView)
    assert "n0 --> " in picture.mermaid() and picture._repr_markdown_().startswith("```mermaid")
    assert "score" in picture._repr_html_() and "score" in repr(picture)
    focused = render.show(session, focus="score", static=True)
    assert set(focused.view.ids()) == {"score", "spend_zscore", "spend_per_signup"}


def test_without_ipycytoscape_show_falls_back_to_the_static_picture(small, monkeypatch, capsys):
    session, _ = small
    monkeypatch.setitem(sys.modules, "ipycytoscape", None)  # import ipycytoscape → ImportError
    monkeypatch.delitem(sys.modules, "hamilton_nb.notebook.widget")
    picture = render.show(session)
    assert isinstance(picture, render.StaticView)
    assert "interactive graph unavailable" in capsys.readouterr().out
    assert "score" in repr(picture) and images(picture._repr_html_()) and picture.mermaid()
    render.display(picture)  # no IPython shell here: prints the text picture
    assert "spend_zscore" in capsys.readouterr().out


def test_static_show_of_a_large_session_stays_an_overview():
    session = Session()
    for m in range(5):
        source = "import pandas as pd\n" + "".join(
            f"def m{m}_f{i}(x: pd.Series) -> pd.Series:\n    return x + {i}\n" for i in range(200))
        session.register_cell(source, f"mod{m}", {})
    picture = render.show(session, static=True)
    assert len(picture.view.ids()) <= 10 and "mod3" in repr(picture)


def test_static_forms_of_an_empty_or_missing_view_never_raise():
    empty = render.StaticView(None)
    assert repr(empty) and empty.mermaid() and empty._repr_html_() and empty._repr_markdown_()
    picture = render.show(Session(), static=True)
    assert repr(picture) == "0 nodes" and len(images(picture._repr_html_())) == 1


def test_the_wheel_scrolls_the_page_and_the_zoom_is_natural(small):
    """Plain wheel: the page scrolls (cytoscape's user zooming is off; the page script turns it on
    for Ctrl/⌘ + wheel); no custom wheel sensitivity."""
    from hamilton_nb.notebook.widget_theme import PAGE_HTML
    _, widget = small
    assert widget.cyto.user_zooming_enabled is False
    assert widget.cyto.wheel_sensitivity == 1
    assert "userZoomingEnabled(true)" in PAGE_HTML and "ctrlKey" in PAGE_HTML


def test_colours_follow_the_theme_or_read_in_both():
    """The page's colours are theme variables; the labels on the state fills and in the value
    pictures (which carry their own light card) read at WCAG AA or better."""
    import pandas as pd

    from hamilton_nb.session.pictures import INK, PAPER, value_picture
    from hamilton_nb.notebook.style import STATE_COLOURS
    from hamilton_nb.notebook.widget_theme import LABEL_COLOUR, PANEL_CSS
    assert "var(--jp-layout-color0" in PANEL_CSS and "var(--jp-ui-font-color1" in PANEL_CSS
    assert "resize: none" in PANEL_CSS  # and the same border hovered or not: no size change
    assert all(contrast(LABEL_COLOUR, fill) >= 4.5 for fill in STATE_COLOURS.values())
    assert contrast(INK, PAPER) >= 4.5
    svg = value_picture(pd.Series([1.0, 3.0, 2.0]))
    assert f"fill='{PAPER}'/>" in svg and set(re.findall(r"<text [^>]*fill='(#\w+)'", svg)) == {INK}
