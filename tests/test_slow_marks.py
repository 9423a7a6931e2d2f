"""Slow nodes carry a small clock on the graph, explained in the legend."""
from __future__ import annotations

import pandas as pd

from hamilton_nb.notebook.widget import GraphWidget
from hamilton_nb.session import Session

CELL = '''
import time
import pandas as pd

def quick(x: pd.Series) -> pd.Series:
    return x + 1

def slow_one(quick: pd.Series) -> pd.Series:
    time.sleep(0.05)
    return quick * 2

def after(slow_one: pd.Series) -> pd.Series:
    return slow_one - 1
'''


def classes(widget) -> dict[str, list[str]]:
    return {n.data["id"]: n.classes.split() for n in widget.cyto.graph.nodes}


def test_a_slow_node_gets_the_clock_and_the_legend_says_what_it_means():
    session = Session()
    session.register_cell(CELL, "timed", {})
    session.set_inputs(x=pd.Series([1.0, 2.0]))
    shown = GraphWidget(session)
    try:
        assert not any("slow" in c for c in classes(shown).values())  # nothing computed yet
        assert "slow:" not in shown.legend.value
        session.execute(["after"])
        drawn = classes(shown)
        assert "slow" in drawn["slow_one"] and "slow" not in drawn["quick"] and "slow" not in drawn["after"]
        assert "slow: ≥ 10% of the compute time of all cached values" in shown.legend.value
        session.execute(["after"])  # nothing to recompute: the mark stays
        assert "slow" in classes(shown)["slow_one"]
        session.reset(cache_only=True)
        assert "slow" not in classes(shown)["slow_one"]
    finally:
        shown.close()
