"""What did my edit change? Recomputed nodes classified as changed / same, and %hamilton_diff."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hamilton_nb
from hamilton_nb.errors import InputError
from hamilton_nb.execution.diff import compare
from ipython_shell import ip  # noqa: F401  (ip is a fixture)

FEATURES = '''
%%hamilton features
def doubled(x: pd.Series) -> pd.Series:
    return x * 2

def capped(doubled: pd.Series) -> pd.Series:
    return doubled.clip(upper=10)

def shifted(x: pd.Series) -> pd.Series:
    return x + 1
'''


@pytest.fixture
def features(ip):
    ip.ok("import numpy as np\nx = pd.Series([0.0, 1, 2, 3, 4, 5, 6, np.nan])")
    ip.ok(FEATURES)
    ip.ok("%hamilton_inputs x=x")
    ip.ok("%hamilton_execute capped shifted")
    return ip


def edit_doubled(ip, body: str) -> None:
    ip.ok(FEATURES.replace("return x * 2", body))


# ---- comparing values ----------------------------------------------------------------------------
@pytest.mark.parametrize("old, new, same, detail", [
    (pd.Series([1.0, np.nan]), pd.Series([1.0, np.nan]), True, ""),  # NaN equals NaN
    (pd.Series([1.0, 2, 3]), pd.Series([1.0, 2.5, 3]), False, "1 of 3 rows differ, max |Δ| 0.5"),
    (pd.Series([1.0, 2]), pd.Series([1.0, 2, 3]), False, "length 2 → 3"),
    (pd.Series([1, 2]), pd.Series([1.0, 2.0]), False, "0 of 2 rows differ; dtype int64 → float64"),
    (pd.Series(["a", None]), pd.Series(["a", None]), True, ""),
    (pd.Series(["a", "b"]), pd.Series(["a", "c"]), False, "1 of 2 rows differ"),
    (pd.DataFrame({"a": [1.0, 2], "b": [3.0, 4]}), pd.DataFrame({"a": [1.0, 2], "b": [3.0, 4.25]}), False,
     "1 of 2 rows differ in 1 of 2 columns, max |Δ| 0.25"),
    (pd.DataFrame({"a": [1.0]}), pd.DataFrame({"a": [1.0], "c": [0]}), False,
     "0 of 1 rows differ in 0 of 1 columns; columns added: c"),
    (np.array([1.0, np.nan]), np.array([1.0, np.nan]), True, ""),
    (np.array([1, 2, 3]), np.array([1, 2, 4]), False, "1 of 3 elements differ, max |Δ| 1"),
    (pd.Series([2**62, 5]), pd.Series([2**62 + 1, 5]), False, "1 of 2 rows differ, max |Δ| 1"),  # exact ints
    (3, 3, True, ""),
    (3, 4.5, False, "type int → float"),
    (2.0, 2.5, False, "2.0 → 2.5 (Δ +0.5)"),
    (float("nan"), float("nan"), True, ""),
    ({"a": 1}, {"a": 2}, False, "{'a': 1} → {'a': 2}"),
])
def test_compare_says_whether_and_how_a_value_changed(old, new, same, detail):
    found = compare(old, new)
    assert (found.same, found.detail) == (same, detail)


def test_values_that_cannot_be_compared_count_as_changed():
    class Opaque:
        def __eq__(self, other):
            raise TypeError("no")

    found = compare(Opaque(), Opaque())
    assert not found.same and "could not be compared" in found.detail


# ---- -v after an edit ------------------------------------------------------------------------------
def test_verbose_classifies_every_recomputed_node_as_changed_or_same(features):
    edit_doubled(features, "return (x * 2).mask(x == 6, 12.5)")  # row 6 differs by 0.5; capped at 10 anyway
    out = features.ok("%hamilton_execute capped shifted -v").out
    assert "2 recomputed: 1 changed (doubled: 1 of 8 rows differ, max |Δ| 0.5), 1 same" in out
    assert "computed  doubled" in out and out.split("computed  doubled")[1].splitlines()[0].endswith("changed")
    assert out.split("computed  capped")[1].splitlines()[0].endswith("same value")
    assert hamilton_nb.get_session().changed == {"doubled": "1 of 8 rows differ, max |Δ| 0.5"}


def test_new_nodes_are_computed_but_not_counted_as_recomputed(ip):
    ip.ok("x = pd.Series([1.0, 2.0])")
    ip.ok(FEATURES)
    ip.ok("%hamilton_inputs x=x")
    out = ip.ok("%hamilton_execute capped -v").out
    assert out.startswith("2 computed") and "recomputed" not in out and "changed" not in out


def test_changed_marks_last_until_the_next_edit(features):
    session = hamilton_nb.get_session()
    edit_doubled(features, "return x * 3")
    features.ok("%hamilton_execute capped shifted")
    assert set(session.changed) == {"doubled", "capped"}
    features.ok("%hamilton_execute capped shifted")  # nothing recomputed: the marks stay
    assert set(session.changed) == {"doubled", "capped"}
    features.ok("%hamilton_inputs x=x")  # the same data bound again is no edit
    assert set(session.changed) == {"doubled", "capped"}
    features.ok("%hamilton_inputs x=x.fillna(0)")  # an edit: the marks are outdated
    assert session.changed == {}
    out = features.ok("%hamilton_execute capped shifted -v").out
    assert set(session.changed) == {"doubled", "capped", "shifted"}
    assert "3 recomputed: 3 changed" in out


# ---- %hamilton_diff -----------------------------------------------------------------------------
def test_diff_shows_the_rows_that_differ_and_statistics_before_and_after(features):
    edit_doubled(features, "return (x * 2).mask(x >= 5, 0.0)")  # rows 5, 6 change (NaN stays NaN)
    features.ok("%hamilton_execute capped")
    diff = features.ok("%hamilton_diff doubled").value
    assert diff.detail == "2 of 8 rows differ, max |Δ| 12"
    assert diff.rows.to_dict("index") == {5: {"before": 10.0, "after": 0.0, "Δ": -10.0},
                                          6: {"before": 12.0, "after": 0.0, "Δ": -12.0}}
    assert diff.stats.loc["max"].tolist() == [12.0, 8.0] and diff.stats.loc["missing"].tolist() == [1, 1]
    assert diff is not None and hamilton_nb.get_session().diff("doubled").rows.equals(diff.rows)  # the twin
    page = diff._repr_html_()
    assert "Rows that differ (2)" in page and "Summary, before and after" in page and "<table" in page
    assert "Rows that differ (2):" in repr(diff)


def test_diff_of_a_dataframe_shows_only_the_changed_columns(ip):
    ip.ok("x = pd.Series([1.0, 2.0, 3.0])")
    table = '''
    %%hamilton tables
    def table(x: pd.Series) -> pd.DataFrame:
        return pd.DataFrame({"same": x, "moved": x * 2})
    '''
    ip.ok(table)
    ip.ok("%hamilton_inputs x=x")
    ip.ok("%hamilton_execute table --dict")
    ip.ok(table.replace("x * 2", "x * 2 + (x > 2)"))
    ip.ok("%hamilton_execute table --dict")
    diff = ip.ok("%hamilton_diff table").value
    assert diff.detail == "1 of 3 rows differ in 1 of 2 columns, max |Δ| 1"
    assert list(diff.rows.columns) == [("moved", "before"), ("moved", "after")]
    assert diff.rows.index.tolist() == [2]
    assert list(diff.stats.columns) == [("moved", "before"), ("moved", "after")]


@pytest.mark.parametrize("setup, node, says", [
    ("", "x", "is an input"),
    ("%%hamilton more\ndef never(x: pd.Series) -> pd.Series:\n    return x", "never", "not been computed yet"),
    ("", "doubled", "has no previous value"),
    ("%%hamilton features\ndef doubled(x: pd.Series) -> pd.Series:\n    return x * 4\n\n"
     "def capped(doubled: pd.Series) -> pd.Series:\n    return doubled.clip(upper=10)\n\n"
     "def shifted(x: pd.Series) -> pd.Series:\n    return x + 1", "doubled", "is stale"),
])
def test_diff_explains_when_there_is_nothing_to_compare(features, setup, node, says):
    if setup:
        features.ok(setup)
    diff = features.ok(f"%hamilton_diff {node}").value
    assert says in repr(diff) and diff.rows is None and says in diff._repr_html_()


def test_diff_of_a_recompute_that_gave_the_same_value(features):
    edit_doubled(features, "return x + x")
    features.ok("%hamilton_execute capped")
    assert "the same as before" in repr(features.ok("%hamilton_diff doubled").value)


def test_diff_of_an_unknown_node_is_a_clear_error(features):
    out = features.fails("%hamilton_diff dubled", InputError).out
    assert "dubled" in out and "doubled" in out  # suggests the close name


def test_diff_documents_itself_and_names_its_twin(ip):
    doc = ip.shell.find_line_magic("hamilton_diff").__doc__
    assert "rows that differ" in doc and "summary statistics" in doc and "get_session().diff(node)" in doc


# ---- memory ---------------------------------------------------------------------------------------
def test_only_changed_values_keep_a_previous_value_and_an_edit_releases_it(features):
    changes = hamilton_nb.get_session().engine.changes
    edit_doubled(features, "return x * 3")
    features.ok("%hamilton_execute capped shifted")
    assert changes.previous("doubled")[0] and changes.previous("capped")[0]
    assert not changes.previous("shifted")[0]  # not recomputed
    held = changes.nbytes
    assert held >= 2 * 8 * 8  # two 8-row float Series
    edit_doubled(features, "return x * 4")  # the next edit of doubled releases them
    assert not changes.previous("doubled")[0] and not changes.previous("capped")[0]
    assert changes.nbytes == 0


def test_previous_values_stay_within_their_budget_and_the_diff_says_why_one_is_missing(features):
    changes = hamilton_nb.get_session().engine.changes
    changes.max_bytes = 200  # room for one 8-row float Series (64 bytes of data + its index)
    edit_doubled(features, "return x * 3")
    features.ok("%hamilton_execute capped")
    assert changes.nbytes <= 200
    kept = [name for name in ("doubled", "capped") if changes.previous(name)[0]]
    assert kept == ["capped"]  # the oldest (doubled, computed first) went
    assert "previous value was not kept" in repr(features.ok("%hamilton_diff doubled").value)


def test_reset_cache_forgets_previous_values(features):
    edit_doubled(features, "return x * 3")
    features.ok("%hamilton_execute capped")
    features.ok("%hamilton_reset --cache")
    changes = hamilton_nb.get_session().engine.changes
    assert changes.nbytes == 0 and changes.changed == {}


# ---- overrides are a what-if ---------------------------------------------------------------------
def test_an_execute_with_overrides_leaves_the_nodes_own_values_fresh(features):
    session = hamilton_nb.get_session()
    out = features.ok("%hamilton_execute capped -o doubled=x*0 -v").out
    assert "1 recomputed: 1 changed (capped: 6 of 8 rows differ, max |Δ| 10), 0 same" in out
    assert session.states()["capped"] == "fresh"  # its own value is still cached, and current
    assert session.changed == {}  # a what-if changed no cached value
    again = features.ok("%hamilton_execute capped -v")
    assert again.out.startswith("0 computed") and again.value["capped"].max() == 10


def test_threads_classify_changes_too(features):
    edit_doubled(features, "return x * 3")
    out = features.ok("%hamilton_execute capped shifted -v --executor threads").out
    assert "2 recomputed: 2 changed" in out


# ---- the widget marks what changed ---------------------------------------------------------------
def test_the_widget_marks_changed_nodes_until_the_next_edit():
    from hamilton_nb.notebook.widget import GraphWidget, legend_html
    from test_graph_view import FEATURES as SMALL_FEATURES, MODEL, small_session

    session = small_session()
    session.execute(["score", "signups_norm"])
    widget = GraphWidget(session)

    def marked() -> set[str]:
        return {node.data["id"] for node in widget.cyto.graph.nodes if "changed" in node.classes.split()}

    try:
        assert marked() == set()
        session.register_cell(SMALL_FEATURES.replace("return spend / signups", "return spend / signups * 100"),
                              "features", {})
        session.execute(["score", "signups_norm"])
        assert marked() == {"spend_per_signup", "score"} == set(session.changed)
        assert "fresh" in next(n for n in widget.cyto.graph.nodes if n.data["id"] == "score").classes.split()
        session.execute(["score"])  # nothing recomputed: still marked
        assert marked() == {"spend_per_signup", "score"}
        session.register_cell(MODEL.replace("signups / signups.max()", "signups / signups.sum()"), "model", {})
        assert marked() == set()  # the next edit clears the marks
        assert "value changed by the last execute" in legend_html()
    finally:
        widget.close()


def test_a_what_if_leaves_the_data_quality_notes_of_the_nodes_own_value(ip):
    ip.ok("from hamilton_nb.function_modifiers import check_output\nx = pd.Series([1.0, 2.0])")
    ip.ok('''
    %%hamilton checked
    @check_output(range=(0, 10), importance="warn")
    def share(x: pd.Series) -> pd.Series:
        return x / 10
    ''')
    ip.ok("%hamilton_inputs x=x")
    ip.ok("%hamilton_execute share")
    engine = hamilton_nb.get_session().engine
    assert "share" not in engine.warnings
    ip.ok("%hamilton_execute share -o x=pd.Series([500.0])")  # out of range, as a what-if only
    assert "share" not in engine.warnings and hamilton_nb.get_session().states()["share"] == "fresh"


def test_a_driver_reports_changes_but_keeps_no_previous_values(make_module):
    from hamilton_nb import driver

    module = make_module("scaled", '''
        import pandas as pd

        def scaled(x: pd.Series) -> pd.Series:
            return x * 2
    ''')
    dr = driver.Driver({"x": pd.Series([1.0, 2.0])}, module)
    dr.execute(["scaled"])
    dr.execute(["scaled"], inputs={"x": pd.Series([1.0, 3.0])})
    assert dr.last_report.changed == {"scaled": "1 of 2 rows differ, max |Δ| 2"}
    assert dr.engine.changes.nbytes == 0


def test_with_no_room_for_previous_values_the_diff_says_so(features):
    hamilton_nb.get_session().engine.changes.max_bytes = 0
    edit_doubled(features, "return x * 3")
    features.ok("%hamilton_execute capped")
    assert "previous values are not kept here" in repr(features.ok("%hamilton_diff doubled").value)


# ---- polars values: summarised like pandas ones ------------------------------------------------------
def _polars_cases():
    pl = pytest.importorskip("polars")
    nan = float("nan")
    return [
        (pl.Series("v", [1.0, nan, None]), pl.Series("v", [1.0, nan, None]), True, ""),  # null = null, NaN = NaN
        (pl.Series("v", [1.0, 2, 3]), pl.Series("v", [1.0, 2.5, 3]), False, "1 of 3 rows differ, max |Δ| 0.5"),
        (pl.Series("v", [1.0, None]), pl.Series("v", [1.0, nan]), False, "1 of 2 rows differ"),  # null ≠ NaN
        (pl.Series("v", [1, 2]), pl.Series("v", [1.0, 2.0]), False, "0 of 2 rows differ; dtype Int64 → Float64"),
        (pl.Series("v", [1.0, 2]), pl.Series("v", [1.0, 2, 3]), False, "length 2 → 3"),
        (pl.Series("v", ["a", "b"]), pl.Series("w", ["a", "c"]), False, "1 of 2 rows differ; name 'v' → 'w'"),
        (pl.Series("v", [2**62, None]), pl.Series("v", [2**62 + 1, None]), False, "1 of 2 rows differ, max |Δ| 1"),
        (pl.DataFrame({"a": [1.0, 2], "b": [3.0, 4]}), pl.DataFrame({"a": [1.0, 2], "b": [3.0, 4.25]}), False,
         "1 of 2 rows differ in 1 of 2 columns, max |Δ| 0.25"),
        (pl.DataFrame({"a": [1.0]}), pl.DataFrame({"a": [1.0], "c": [0]}), False,
         "0 of 1 rows differ in 0 of 1 columns; columns added: c"),
        (pl.DataFrame({"a": [1.0], "b": [2]}), pl.DataFrame({"b": [2], "a": [1.0]}), True, ""),
    ]


def test_compare_summarises_polars_values_like_pandas_ones():
    for old, new, same, detail in _polars_cases():
        found = compare(old, new)
        assert (found.same, found.detail) == (same, detail), (old, new)


POLARS_NODES = '''
%%hamilton pf
def out(x: pl.Series) -> pl.Series:
    return x * 2

def frame(x: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"same": x, "moved": x * 2})
'''


def test_polars_changes_read_like_pandas_ones_in_verbose_execute_and_diff(ip):
    pytest.importorskip("polars")
    ip.ok("import polars as pl")
    ip.ok(POLARS_NODES)
    ip.ok("%hamilton_inputs x=pl.Series('x', [1.0, 2.0, None])")
    ip.ok("%hamilton_execute out frame --dict")
    ip.ok(POLARS_NODES.replace("return x * 2\n", "return x * 2 + (x == 2)\n").replace('"moved": x * 2',
                                                                                       '"moved": x * 3'))
    out = ip.ok("values = %hamilton_execute out frame --dict -v").out
    assert "2 recomputed: 2 changed (out: 1 of 3 rows differ, max |Δ| 1; " \
           "frame: 2 of 3 rows differ in 1 of 2 columns, max |Δ| 2), 0 same" in out
    assert "shape:" not in out
    diff = ip.ok("%hamilton_diff out").value
    assert diff.rows.to_dict("index") == {1: {"before": 4.0, "after": 5.0, "Δ": 1.0}}
    assert diff.stats.loc["max"].tolist() == [4.0, 5.0] and diff.stats.loc["missing"].tolist() == [1, 1]
    assert "Rows that differ (1):" in repr(diff) and "shape:" not in repr(diff)
    diff = ip.ok("%hamilton_diff frame").value
    assert diff.detail == "2 of 3 rows differ in 1 of 2 columns, max |Δ| 2"
    assert list(diff.rows.columns) == [("moved", "before"), ("moved", "after")]
    assert diff.rows.index.tolist() == [0, 1]
