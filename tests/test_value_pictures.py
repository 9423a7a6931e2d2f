"""Pictures of values in ``%hamilton_show`` and the widget's details panel: a line for a Series
over an ordered index, a histogram otherwise, bars for text, a table head for a DataFrame."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hamilton_nb.session.pictures import BINS, POINTS, table_head, value_picture
from hamilton_nb.notebook.widget import GraphWidget
from test_graph_view import small_session
from test_widget import images

WEEKLY = pd.Series([3.0, 5, 4, 8, 7, 9], index=pd.date_range("2024-01-07", periods=6, freq="W"))


def points(svg: str) -> list[list[tuple[float, float]]]:
    return [[tuple(map(float, p.split(","))) for p in line.split()]
            for line in re.findall(r"<polyline points='([^']*)'", svg)]


def test_a_weekly_series_is_a_line_over_its_dates():
    svg = value_picture(WEEKLY)
    lines = points(svg)
    assert len(lines) == 1 and len(lines[0]) == 6
    xs, ys = zip(*lines[0])
    assert list(xs) == sorted(xs)  # left to right in index order
    assert ys[0] > ys[3]  # 3 is drawn lower than 8 (SVG y grows downwards)
    assert ">2024-01-07<" in svg and ">2024-02-11<" in svg  # first and last date
    assert ">9<" in svg and ">3<" in svg  # the value range


def test_missing_values_leave_a_gap_in_the_line():
    svg = value_picture(pd.Series([1.0, 2, np.nan, 4, 5]))
    assert [len(line) for line in points(svg)] == [2, 2]


def test_a_series_without_order_is_a_histogram():
    shuffled = pd.Series(np.arange(1000.0), index=np.random.default_rng(0).permutation(1000))
    svg = value_picture(shuffled)
    assert "<polyline" not in svg and "histogram of 1000 values" in svg
    assert svg.count("<rect") == BINS + 2  # the bars, the plot frame and the light card under it all


def test_ten_million_values_are_summarised_not_drawn_point_by_point():
    values = np.zeros(10_000_000)
    values[5_000_001] = 1000.0  # one spike: a min/max per bucket keeps it
    svg = value_picture(pd.Series(values))
    assert sum(len(line) for line in points(svg)) <= POINTS and len(svg) < 10_000
    assert ">1000<" in svg
    shuffled = pd.Series(values, index=np.arange(10_000_000)[::-1].copy())  # decreasing: still ordered
    assert "<polyline" in value_picture(shuffled)


def test_text_and_booleans_are_bars_of_their_commonest_values():
    svg = value_picture(pd.Series(["a", "b", "a", None, "a"]))
    assert ">a<" in svg and ">3<" in svg and ">(missing)<" in svg
    assert ">True<" in value_picture(pd.Series([True, False, True]))


def test_nothing_to_draw_draws_nothing():
    for value in (None, 3, "text", pd.Series([1.0]), pd.Series([np.nan, np.nan]), pd.DataFrame({"a": [1]})):
        assert value_picture(value) == ""


def test_a_dataframe_shows_its_head_and_says_what_is_cut():
    frame = pd.DataFrame({f"c{i}": range(100) for i in range(20)})
    head = table_head(frame)
    assert head.count("<tr") == 6 and "c11" in head and "c12" not in head
    assert "95 more rows, 8 more columns" in head


def test_hamilton_show_and_the_details_panel_carry_the_picture():
    session = small_session()
    session.register_cell('''
import pandas as pd

def summary(spend: pd.Series, signups: pd.Series) -> pd.DataFrame:
    """Both inputs side by side."""
    return pd.DataFrame({"spend": spend, "signups": signups})
''', "tables", {})
    session.execute(["spend_per_signup", "summary"])
    shown = session.show("spend_per_signup")
    pictures = images(shown._repr_html_())
    assert len(pictures) == 1 and "line of 6 values" in pictures[0] and "dtype=float64" in shown._repr_html_()
    assert "<img" not in repr(shown)  # the text form stays text
    table = session.show("summary")._repr_html_()
    assert "pd.DataFrame 6 rows × 2 columns" in table and "<th>signups</th>" in table and not images(table)
    assert not images(session.show("score")._repr_html_())  # not computed: nothing to draw
    widget = GraphWidget(session)
    try:
        widget.select("spend_per_signup")
        assert "class='hamilton-value-picture'" in widget.details.value and images(widget.details.value)
    finally:
        widget.close()
