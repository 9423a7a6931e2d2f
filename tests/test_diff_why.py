"""%hamilton_diff says why a node was recomputed: the edit, input, config or global behind it."""
from __future__ import annotations

import hamilton_nb
from ipython_shell import ip  # noqa: F401  (ip is a fixture)

FEATURES = '''
%%hamilton features
def doubled(x: pd.Series) -> pd.Series:
    return x * 2

def capped(doubled: pd.Series, cap: float) -> pd.Series:
    return doubled.clip(upper=cap)
'''

SCORES = '''
%%hamilton scores
def score(capped: pd.Series) -> pd.Series:
    return capped * WEIGHT
'''


def at(ip, text: str) -> str:
    """``text`` naming the cell that runs now (cells typed here are not numbered, so all share one)."""
    return text.replace("{AT}", f"in cell [{ip.shell.execution_count}]")


def _ready(ip):
    ip.ok("x = pd.Series([1.0, 2, 3, 4, 5, 6])\nWEIGHT = 2")
    ip.ok(FEATURES)
    ip.ok(SCORES)
    ip.ok("%hamilton_inputs x=x")
    ip.ok("%hamilton_config cap=8")
    ip.ok("%hamilton_execute score")
    return ip


def test_the_diff_names_the_edit_upstream_not_the_chain_between(ip):
    _ready(ip)
    ip.ok(FEATURES.replace("x * 2", "x * 3"))
    ip.ok("%hamilton_execute score")
    diff = ip.ok("%hamilton_diff score").value
    assert diff.why == (at(ip, "`doubled` was edited {AT} (module `features`)"),)
    assert at(ip, "Recomputed because `doubled` was edited {AT} (module `features`).") in repr(diff)
    assert at(ip, "Recomputed because <code>doubled</code> was edited {AT} (module <code>features</code>).") \
        in diff._repr_html_()
    assert hamilton_nb.get_session().diff("capped").why == diff.why  # the twin says the same


def test_the_diff_names_a_rebound_input_a_changed_config_and_a_changed_global(ip):
    _ready(ip)
    ip.ok("x10 = x * 10\n%hamilton_inputs x=x10")
    ip.ok("%hamilton_execute score")
    assert ip.ok("%hamilton_diff score").value.why == (at(ip, "input `x` was rebound {AT}"),)
    ip.ok("%hamilton_config cap=5")
    ip.ok("%hamilton_execute score")
    assert ip.ok("%hamilton_diff capped").value.why == (at(ip, "config `cap` changed {AT}"),)
    assert ip.ok("%hamilton_diff score").value.why == (at(ip, "config `cap` changed {AT}"),)
    ip.ok("WEIGHT = 3")
    ip.ok("%hamilton_execute score")
    assert ip.ok("%hamilton_diff score").value.why == (
        "a global or helper that `score` reads (module `scores`) changed",)


def test_a_recompute_with_the_same_value_says_why_it_ran(ip):
    _ready(ip)
    ip.ok(FEATURES.replace("x * 2", "x + x"))
    ip.ok("%hamilton_execute score")
    shown = repr(ip.ok("%hamilton_diff score").value)
    assert "the same as before" in shown and "Recomputed because `doubled` was edited" in shown


def test_two_changes_before_one_execute_are_both_named(ip):
    _ready(ip)
    ip.ok(FEATURES.replace("x * 2", "x * 3"))
    ip.ok("x1 = x + 1\n%hamilton_inputs x=x1")
    ip.ok("%hamilton_execute score")
    why = ip.ok("%hamilton_diff score").value.why
    assert set(why) == {at(ip, "`doubled` was edited {AT} (module `features`)"),
                        at(ip, "input `x` was rebound {AT}")}


def test_an_edit_recomputed_in_two_steps_keeps_its_cause(ip):
    _ready(ip)
    ip.ok(FEATURES.replace("x * 2", "x * 3"))
    ip.ok("%hamilton_execute capped")  # score stays stale for now
    ip.ok("%hamilton_execute score")
    assert ip.ok("%hamilton_diff score").value.why == (at(ip, "`doubled` was edited {AT} (module `features`)"),)


def test_the_graph_hover_explains_values_computed_before_the_graph_was_shown():
    from test_graph_view import FEATURES
    from test_navigation import hover, small_session

    from hamilton_nb.notebook.widget import GraphWidget

    session = small_session()
    session.execute(["score"])  # before any graph is shown
    shown = GraphWidget(session)
    try:
        session.register_cell(FEATURES.replace("rolling(3)", "rolling(4)"), "features", {})
        assert "because `avg_3wk_spend` was edited (module `features`)" in hover(shown, "score")
    finally:
        shown.close()


def test_the_cell_named_is_the_numbered_cell_of_the_edit(ip):
    _ready(ip)
    shell = ip.shell
    edit = shell.run_cell(FEATURES.replace("x * 2", "x * 3").strip("\n"), store_history=True)
    assert edit.error_in_exec is None
    shell.run_cell("unrelated = 1", store_history=True)  # another numbered cell between
    ip.ok("%hamilton_execute score")
    why = ip.ok("%hamilton_diff score").value.why
    assert why == (f"`doubled` was edited in cell [{edit.execution_count}] (module `features`)",)


def test_threads_say_why_too(ip):
    _ready(ip)
    ip.ok(FEATURES.replace("x * 2", "x * 3"))
    ip.ok("%hamilton_execute score --executor threads")
    assert ip.ok("%hamilton_diff score").value.why == (at(ip, "`doubled` was edited {AT} (module `features`)"),)


def test_an_untracked_node_says_it_is_recomputed_every_time(ip):
    ip.ok("import itertools\nticks = (i for i in itertools.count())")
    ip.ok("%%hamilton odd\ndef tick(x: int) -> int:\n    return next(ticks) + x")
    ip.ok("%hamilton_inputs x=0")
    ip.ok("%hamilton_execute tick --dict")
    ip.ok("%hamilton_execute tick --dict")
    why = ip.ok("%hamilton_diff tick").value.why
    assert len(why) == 1 and why[0].startswith("`tick` is untracked (reads `ticks`, which is a generator")
    assert why[0].endswith("recomputed at every execute")
