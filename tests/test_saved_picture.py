"""A graph shown in a notebook is two outputs: the widget, and a picture that a reopened
notebook shows instead (kept at the widget's last drawing by display id). The browser side (which
one the page shows) is in test_browser.py and test_notebook7.py."""
from __future__ import annotations

import pytest

from hamilton_nb.notebook.saved_picture import RUN_LINE
from hamilton_nb.notebook.style import STATE_COLOURS
from hamilton_nb.notebook.widget import GraphWidget
from test_graph_view import FEATURES, small_session
from test_widget import images

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ADDED = '''
import pandas as pd

def score_doubled(score: pd.Series) -> pd.Series:
    """Twice the score."""
    return score * 2
'''


class ZMQDisplayPublisher:  # what a kernel's shell publishes through (by name: see saved_picture.can_update)
    def __init__(self):
        self.sent = []

    def publish(self, data, metadata=None, transient=None, update=False, **kwargs):
        self.sent.append({"data": data, "display_id": (transient or {}).get("display_id"), "update": update})


class KernelShell:
    def __init__(self):
        self.display_pub = ZMQDisplayPublisher()


@pytest.fixture
def shown(monkeypatch):
    """A small session's widget displayed as a notebook cell's output."""
    import IPython

    shell = KernelShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    session = small_session()
    widget = GraphWidget(session)
    widget._ipython_display_()
    yield session, widget, shell.display_pub.sent
    widget.close()


def picture_svg(message) -> str:
    [svg] = images(message["data"]["text/html"])
    return svg


def test_a_graph_output_is_the_widget_then_its_picture_with_the_run_line(shown):
    session, widget, sent = shown
    live, picture = sent
    assert WIDGET_VIEW in live["data"] and live["data"]["text/html"] == ""  # no second picture where widgets fail
    assert WIDGET_VIEW not in picture["data"] and picture["display_id"] and not picture["update"]
    assert RUN_LINE in picture["data"]["text/html"] and picture["data"]["text/plain"].startswith(RUN_LINE)
    assert ">score</text>" in picture_svg(picture)


def test_the_saved_picture_follows_the_widget_to_its_last_drawing(shown):
    session, widget, sent = shown
    first = picture_svg(sent[1])
    assert ">score_doubled</text>" not in first
    session.register_cell(ADDED, "more", {})
    session.execute(["score_doubled", "signups_norm"])
    updates = [m for m in sent[2:] if m["display_id"] == sent[1]["display_id"]]
    assert updates and all(m["update"] for m in updates)
    last = picture_svg(updates[-1])
    assert ">score_doubled</text>" in last
    assert widget.static().svg() == last  # exactly what the widget draws now
    assert "stroke-dasharray" not in last  # nothing drawn "not computed" any more
    assert last.count(f"fill='{STATE_COLOURS['fresh']}'") == 1 + 6  # the legend's chip, six nodes


def test_no_update_is_sent_when_the_drawing_did_not_change(shown):
    session, widget, sent = shown
    session.execute(["score"])
    count = len(sent)
    session.execute(["score"])  # all cached: the same picture
    widget.show(widget.spec)
    assert len(sent) == count


def test_an_edit_redraws_the_picture_stale(shown):
    session, widget, sent = shown
    session.execute(["score"])
    assert picture_svg(sent[-1]).count(f"fill='{STATE_COLOURS['stale']}'") == 1  # the legend's chip
    session.register_cell(FEATURES.replace("rolling(3)", "rolling(4)"), "features", {})
    stale = f"fill='{STATE_COLOURS['stale']}'"
    assert picture_svg(sent[-1]).count(stale) == 1 + 3  # avg_3wk_spend, spend_zscore, score


def test_outside_a_kernel_the_widget_is_shown_once_as_before(monkeypatch):
    import IPython

    class Terminal:
        class display_pub:  # noqa: N801 (a terminal's publisher, not a kernel's)
            sent = []

            @classmethod
            def publish(cls, data, metadata=None, **kwargs):
                cls.sent.append(data)

    monkeypatch.setattr(IPython, "get_ipython", lambda: Terminal)
    widget = GraphWidget(small_session())
    widget._ipython_display_()
    widget.close()
    [data] = Terminal.display_pub.sent
    assert "score [" in data["text/plain"]
