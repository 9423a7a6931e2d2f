"""Finding one's way around thousands of functions: even groups, search over every name with a
count, and a way back from a search or a focus."""
from __future__ import annotations

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
