"""What a cell's badge says, from node states and the causes of a batch (no kernel needed)."""
from __future__ import annotations

from hamilton_nb.notebook.cell_badges import Causes, failed_cell, summarize

MODULES = {"features": ["a", "b"], "model": ["c", "d", "e"]}
CELLS = {"cell-1": "features", "cell-2": "model"}


def badges(states, causes=None):
    found = summarize(MODULES, CELLS, states, causes or Causes())
    return {cell: (s["badge"], s["text"]) for cell, s in found.items()}


def test_the_most_urgent_state_wins_and_stale_nodes_are_counted():
    assert badges(dict.fromkeys("abcde", "fresh")) == {"cell-1": ("fresh", "fresh"), "cell-2": ("fresh", "fresh")}
    assert badges({"a": "fresh", "b": "stale", "c": "stale", "d": "stale", "e": "fresh"}) == \
        {"cell-1": ("stale", "1 stale"), "cell-2": ("stale", "2 stale")}
    assert badges({"a": "error", "b": "stale", "c": "running", "d": "error", "e": "stale"}) == \
        {"cell-1": ("error", "failed"), "cell-2": ("running", "running")}
    assert badges({"a": "untracked", "b": "fresh", "c": "not computed", "d": "fresh", "e": "fresh"}) == \
        {"cell-1": ("untracked", "untracked"), "cell-2": ("not computed", "1 not computed")}


def test_the_title_says_what_made_each_node_stale():
    causes = Causes()
    causes.inputs_now({"spend": [1]}, "")
    causes.graph_changed(["a"], "features", "in cell [7]")
    causes.states_changed({"a": "stale", "c": "stale", "d": "stale"})
    causes.end_batch()
    causes.inputs_now({"spend": [2]}, "in cell [9]")  # a new object bound to the same name
    causes.states_changed({"e": "stale", "a": "stale"})
    causes.end_batch()
    states = {"a": "stale", "b": "fresh", "c": "stale", "d": "stale", "e": "stale"}
    why = summarize(MODULES, CELLS, states, causes)["cell-2"]["why"].splitlines()
    assert why == ["module `model`: 3 stale",
                   "stale: `a` changed in cell [7] (`c`, `d`)",
                   "stale: `spend` rebound in cell [9] (`e`)"]
    causes.states_changed({"c": "fresh"})  # computed again: its cause is forgotten
    assert "c" not in causes.per_node and causes.per_node["a"] == "`a` changed in cell [7]"


def test_config_and_a_reset_are_named_too():
    causes = Causes()
    causes.graph_changed(["region"], None, "in cell [3]")
    causes.states_changed({"a": "stale"})
    assert causes.per_node["a"] == "config `region` changed in cell [3]"
    causes.end_batch()
    causes.reset("in cell [4]")
    causes.states_changed({"b": "stale"})
    assert causes.per_node["b"] == "session reset in cell [4]"


def test_a_failed_cell_says_so_and_what_the_graph_kept():
    found = failed_cell("features", "SyntaxError: invalid syntax", None)
    assert (found["badge"], found["text"]) == ("error", "failed")
    assert found["why"] == ("the last run of this cell failed: SyntaxError: invalid syntax\n"
                            "the graph keeps module `features` as it was")
    assert failed_cell(None, "boom", None)["why"].endswith("nothing was registered")
