"""Finding one's way around thousands of functions: even groups, search over every name with a
count, and a way back from a search or a focus."""
from __future__ import annotations

import re

import pytest

from hamilton_nb.notebook.graph_view import ViewSpec, build_view
from hamilton_nb.session import Session

CHANNELS = ("display", "search", "social", "video", "email", "radio")
MEASURES = ("avg", "lag", "max", "min", "std", "ewm", "diff", "rank")


def campaign_source() -> str:
    """3000 functions: five families × six channels of 100; ``*_display_*`` is itself eight
    sub-families of 12 and four names of its own."""
    lines = ["import pandas as pd"]

    def fn(name):
        lines.append(f"def {name}(base: pd.Series) -> pd.Series:\n    return base\n")
    for family in ("spend", "signups", "visits", "revenue", "clicks"):
        for channel in CHANNELS:
            if channel != "display":
                for k in range(100):
                    fn(f"{family}_{channel}_{k}w")
                continue
            for measure in MEASURES:
                for k in range(12):
                    fn(f"{family}_display_{measure}_{k}w")
            for extra in ("total", "share", "peak", "trend"):
                fn(f"{family}_display_{extra}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def campaign():
    session = Session()
    session.register_cell(campaign_source(), "features", {})
    return session


def titles(view) -> list[str]:
    return [n["data"]["label"].replace("\n", " · ") for n in view.nodes if n["data"]["kind"] == "group"]


def test_sibling_families_of_the_same_size_are_drawn_alike(campaign):
    overview = build_view(campaign.graph, campaign.known_states, ViewSpec())
    sizes = {n["data"]["count"] for n in overview.nodes if n["data"]["kind"] == "group"}
    assert sizes == {100}, titles(overview)  # never one family opened beside closed ones
    spend = build_view(campaign.graph, campaign.known_states,
                       ViewSpec(mode="group", path=("module:features", "prefix:spend")))
    assert titles(spend) == [f"spend_{c}_* · 100 nodes" for c in CHANNELS]  # not one opened beside the rest


def test_names_left_over_by_a_family_split_say_whose_they_are(campaign):
    display = build_view(campaign.graph, campaign.known_states,
                         ViewSpec(mode="group", path=("module:features", "prefix:spend", "prefix:spend_display")))
    assert titles(display)[-1] == "other spend_display_* names · 4 nodes"
    assert titles(display)[:-1] == [f"spend_display_{m}_* · 12 nodes" for m in MEASURES]


# ---- the widget -------------------------------------------------------------------------------
from hamilton_nb.notebook.graph_view import SEARCH_PAGE  # noqa: E402
from hamilton_nb.notebook.navigation import HINT, NO_SELECTION  # noqa: E402
from hamilton_nb.notebook.widget import GraphWidget  # noqa: E402
from test_graph_view import small_session  # noqa: E402
from test_widget import click, drawn  # noqa: E402


@pytest.fixture
def widget(campaign):
    shown = GraphWidget(campaign)
    yield shown
    shown.close()


def test_search_suggests_every_name_and_pages_through_the_matches(widget, campaign):
    assert set(widget.search.options) == set(campaign.graph.dag)  # all 3001, not the first 2000
    widget.search.value = "_3w"  # 5 families × 5 channels (_3w, _13w … _93w) + 5 × 8 display measures
    matches = [n for n in campaign.graph.dag if "_3w" in n]
    assert len(matches) > SEARCH_PAGE and widget.view.matches == len(matches)
    assert widget.note.value == f"<i>Showing {SEARCH_PAGE} of {len(matches)} nodes matching &#x27;_3w&#x27; " \
                                f"(1–{SEARCH_PAGE}).</i>"
    assert len(drawn(widget)) == SEARCH_PAGE and widget.pager.layout.display == "flex"
    assert widget.previous_page.disabled and not widget.next_page.disabled
    seen = set(drawn(widget))
    widget.next_page.click()
    assert f"({SEARCH_PAGE + 1}–" in widget.note.value and not seen & set(drawn(widget))
    seen |= set(drawn(widget))
    while not widget.next_page.disabled:
        widget.next_page.click()
        seen |= set(drawn(widget))
    assert seen == set(matches)  # every match on some page
    widget.previous_page.click()
    assert widget.spec.page == -(-len(matches) // SEARCH_PAGE) - 2


def test_back_returns_through_every_view_and_panels_never_keep_old_content(widget, campaign):
    overview = set(drawn(widget))
    assert widget.back_button.disabled
    widget.search.value = "spend_search_1"
    click(widget, "spend_search_10w")
    assert "spend_search_10w" in widget.details.value
    widget._hovered({"data": {"id": "spend_search_10w", "label": "spend_search_10w", "state": "not computed"}})
    assert widget.hover.value != HINT
    widget.overview_button.click()
    group = next(i for i in drawn(widget) if i.endswith("prefix:revenue_video"))
    click(widget, group)  # opens another group
    assert widget.search.value == "" and widget.hover.value == HINT and widget.details.value == NO_SELECTION
    assert widget.execute_button.disabled and widget.focus_button.disabled
    widget.back()
    assert set(drawn(widget)) == overview
    widget.back()
    assert widget.spec.mode == "search" and widget.search.value == "spend_search_1"
    widget.back()
    assert set(drawn(widget)) == overview and widget.back_button.disabled


def test_execute_and_focus_say_what_to_do_until_a_node_is_picked():
    session = small_session()
    shown = GraphWidget(session)
    try:
        for button in (shown.execute_button, shown.focus_button):
            assert button.disabled and button.tooltip.startswith("Click a node in the graph first")
        click(shown, "score")
        assert not shown.execute_button.disabled and shown.focus_button.tooltip == \
            "Show the selected node's neighbourhood"
        assert shown.controls.layout.display == "none"  # seven nodes: no search or filters above them
    finally:
        shown.close()


# ---- why a node is stale ----------------------------------------------------------------------
def hover(widget, name: str) -> str:
    node = drawn(widget)[name]
    widget._hovered({"data": dict(node.data)})
    return widget.hover.value


def test_hover_and_details_say_why_a_node_is_stale():
    from test_graph_view import FEATURES, SPEND

    session = small_session()
    shown = GraphWidget(session)
    try:
        session.execute(["score", "signups_norm"])
        session.register_cell(FEATURES.replace("rolling(3)", "rolling(4)"), "features", {})
        assert "because `avg_3wk_spend` was edited (module `features`)" in hover(shown, "score")
        click(shown, "spend_zscore")
        assert "stale</b> because `avg_3wk_spend` was edited (module `features`)" in shown.details.value
        line = hover(shown, "signups_norm")
        assert "because" not in line and re.search(r"— computed in [0-9.]+ ms —", line)  # fresh: its time
        session.execute(["score"])
        session.set_inputs(spend=SPEND * 2)
        line = hover(shown, "score")
        assert "because input `spend` changed" in line and "edited" not in line
    finally:
        shown.close()
