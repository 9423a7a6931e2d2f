"""A node that changes a value it received in place: hamilton_nb keeps the upstream value as its
function returned it (nodes get copies), Apache Hamilton shows the change. The difference is
never silent: both nodes carry a warning, in ``Driver.warnings`` and ``%hamilton_status``."""
from __future__ import annotations

import pandas as pd
import pytest

from apache_hamilton import hamilton_base, hamilton_driver
from hamilton_nb import driver
from ipython_shell import ip  # noqa: F401  (ip is a fixture)

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")

AUGMENTING = '''
import pandas as pd

def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 2]})

def augmented(frame: pd.DataFrame) -> pd.DataFrame:
    frame["b"] = frame["a"] * 2
    return frame

def width(frame: pd.DataFrame) -> int:
    return len(frame.columns)
'''

CHANGED = ("`frame` was changed in place by `augmented` (column `b` added); hamilton_nb keeps `frame` "
           "as `frame()` returned it, while Apache Hamilton would show the change")
CHANGER = "`augmented` changes its input `frame` in place (column `b` added)"
FIX = "return a new frame (`frame.assign(b=...)`) to make the intent explicit"


def _driver(make_module, name: str, source: str, **kwargs) -> driver.Driver:
    return driver.Driver({}, make_module(name, source), result="dict", **kwargs)


@pytest.mark.parametrize("executor", ["local", "threads"])
def test_a_column_added_in_place_is_warned_on_both_nodes_and_values_stay(make_module, executor):
    dr = _driver(make_module, f"augmenting_{executor}", AUGMENTING, executor=executor)
    out = dr.execute(["frame", "augmented", "width"])
    assert list(out["frame"].columns) == ["a"]
    assert list(out["augmented"].columns) == ["a", "b"]
    assert out["width"] == 1
    assert dr.warnings["frame"] == [CHANGED]
    [note] = dr.warnings["augmented"]
    assert note.startswith(CHANGER) and note.endswith(FIX)
    # Apache Hamilton computes `width` after `augmented` for this request: there it counts `b`
    [read] = dr.warnings["width"]
    assert read == ("`width` differs from Apache Hamilton's: there it reads `frame` after `augmented` changed it "
                    "in place (column `b` added); hamilton_nb computes it from `frame` unchanged")


def test_a_reader_computed_before_the_change_in_apache_hamiltons_order_stays_quiet(make_module):
    dr = _driver(make_module, "reader_first", AUGMENTING)
    dr.execute(["width", "augmented"])  # Apache Hamilton: frame, width, then augmented
    assert "width" not in dr.warnings and dr.warnings["frame"] == [CHANGED]
    dr.execute(["augmented", "width"])  # now width comes after the change
    assert dr.warnings["width"][0].startswith("`width` differs from Apache Hamilton's")
    dr.execute(["width"])  # a request without the changer: nothing changes `frame`
    assert "width" not in dr.warnings


def test_nodes_computed_from_a_reader_are_warned_and_unrelated_ones_are_not(make_module):
    dr = _driver(make_module, "reader_chain", AUGMENTING + '''
def wide(width: int) -> bool:
    return width > 1

def rows(augmented: pd.DataFrame) -> int:
    return len(augmented)
''')
    dr.execute(["augmented", "wide", "rows"])
    assert dr.warnings["wide"][0].startswith("`wide` differs from Apache Hamilton's: it is computed from `width`")
    assert "rows" not in dr.warnings


def test_a_reader_whose_value_the_change_leaves_equal_stays_quiet(make_module):
    dr = _driver(make_module, "reader_equal", AUGMENTING + '''
def first(frame: pd.DataFrame) -> int:
    return int(frame["a"].iloc[0])
''')
    out = dr.execute(["augmented", "first", "width"])  # Apache Hamilton: `first` after the change, still 1
    assert out["first"] == 1 and "first" not in dr.warnings and dr.warnings["width"]


@pytest.mark.parametrize("body, what", [
    ('frame.loc[0, "a"] = 10', "values of column `a` written"),
    ('del frame["a"]', "column `a` removed"),
    ('frame["a"] = frame["a"] * 3', "values of column `a` written"),
    ('frame.sort_values("a", ascending=False, inplace=True)', "rows or index changed"),
    ('frame.rename(columns={"a": "z"}, inplace=True)', "column `z` added; column `a` removed"),
])
def test_what_changed_in_place_is_named(make_module, body, what):
    source = AUGMENTING.replace('frame["b"] = frame["a"] * 2', body)
    dr = _driver(make_module, "changing", source)
    out = dr.execute(["frame", "augmented"])
    pd.testing.assert_frame_equal(out["frame"], pd.DataFrame({"a": [1, 2]}))
    assert dr.warnings["frame"][0].startswith(f"`frame` was changed in place by `augmented` ({what});")


@pytest.mark.parametrize("body", [
    'frame = frame.copy()\n    frame["b"] = 1',
    'frame = frame.assign(b=1)',
    'frame.fillna(0, inplace=True)',  # touched, nothing changed
    'frame["a"].iloc[0] = 5',  # chained assignment: changes nothing under copy-on-write
])
def test_no_warning_when_the_input_is_not_changed(make_module, body):
    source = AUGMENTING.replace('frame["b"] = frame["a"] * 2', body)
    dr = _driver(make_module, "not_changing", source)
    with pytest.warns() if "iloc" in body else _nothing():
        dr.execute(["frame", "augmented"])
    assert dr.warnings == {}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_change_in_place_on_a_dask_worker_is_warned(make_module):
    pytest.importorskip("distributed")
    from dask_cluster import local_client
    from hamilton_nb.execution import DaskExecutor

    with local_client(processes=True) as client:
        dr = _driver(make_module, "augmenting_dask", AUGMENTING, executor=DaskExecutor(client))
        out = dr.execute(["frame", "augmented", "width"])
    assert list(out["frame"].columns) == ["a"] and out["width"] == 1
    assert dr.warnings["frame"] == [CHANGED]
    assert dr.warnings["augmented"][0].startswith(CHANGER)
    assert dr.warnings["width"][0].startswith("`width` differs from Apache Hamilton's: there it reads `frame`")


def test_dicts_and_lists_changed_in_place_are_warned(make_module):
    dr = _driver(make_module, "containers", '''
        def settings() -> dict:
            return {"w": 1}

        def names() -> list:
            return ["a"]

        def tuned(settings: dict, names: list) -> int:
            settings["extra"] = 2
            names.append("b")
            return len(settings) + len(names)
    ''')
    out = dr.execute(["settings", "names", "tuned"])
    assert out["settings"] == {"w": 1} and out["names"] == ["a"] and out["tuned"] == 4
    assert dr.warnings["settings"][0].startswith("`settings` was changed in place by `tuned` (key `extra` added)")
    assert dr.warnings["names"][0].startswith("`names` was changed in place by `tuned` (1 → 2 items)")
    assert len(dr.warnings["tuned"]) == 2


def test_an_input_changed_in_place_is_warned_as_passed_in(make_module):
    dr = _driver(make_module, "input_changer", '''
        import pandas as pd

        def augmented(raw: pd.DataFrame) -> pd.DataFrame:
            raw["b"] = 1
            return raw
    ''')
    given = pd.DataFrame({"a": [1, 2]})
    dr.execute(["augmented"], inputs={"raw": given})
    assert list(given.columns) == ["a"]
    assert "keeps `raw` as it was passed in" in dr.warnings["raw"][0]
    assert "keeps `raw` as it was passed in" in dr.warnings["augmented"][0]


def test_a_changer_run_from_overrides_warns_in_the_last_report_only(make_module):
    dr = _driver(make_module, "override_changer", AUGMENTING)
    dr.execute(["augmented"], overrides={"frame": pd.DataFrame({"a": [5]})})
    assert "frame" not in dr.warnings
    assert dr.warnings["augmented"][0].startswith(f"computed from overrides: {CHANGER}")


# ---- in the notebook ---------------------------------------------------------------------------
def test_the_status_checks_column_shows_both_notes_until_the_change_is_gone(ip):
    ip.ok("%%hamilton frames\n" + AUGMENTING)
    ip.ok('%hamilton_execute frame augmented width --dict --out out')
    assert list(ip.ns["out"]["frame"].columns) == ["a"]
    checks = dict(zip(*(ip.ok("%hamilton_status").value[c] for c in ("node", "checks"))))
    assert checks["frame"] == CHANGED
    assert checks["augmented"].startswith(CHANGER) and checks["augmented"].endswith(FIX)
    assert checks["width"].startswith("`width` differs from Apache Hamilton's: there it reads `frame` after")
    ip.ok("%%hamilton frames\n" + AUGMENTING.replace('frame["b"] = frame["a"] * 2\n    return frame',
                                                     'return frame.assign(b=frame["a"] * 2)'))
    ip.ok('%hamilton_execute frame augmented width')
    checks = dict(zip(*(ip.ok("%hamilton_status").value[c] for c in ("node", "checks"))))
    assert checks == {"frame": "", "augmented": "", "width": ""}


def test_a_dropped_changer_takes_its_note_on_the_input_away(ip):
    ip.ok("%%hamilton base\ndef frame() -> pd.DataFrame:\n    return pd.DataFrame({'a': [1, 2]})\n")
    ip.ok("%%hamilton changer\ndef augmented(frame: pd.DataFrame) -> pd.DataFrame:\n"
          "    frame['b'] = 1\n    return frame\n")
    ip.ok("%hamilton_execute augmented")
    assert ip.ok("%hamilton_status").value.set_index("node")["checks"]["frame"] == CHANGED
    ip.ok("%hamilton_drop changer")
    ip.ok("%hamilton_execute frame")
    assert ip.ok("%hamilton_status").value.set_index("node")["checks"]["frame"] == ""


# ---- against Apache Hamilton -------------------------------------------------------------------
@pytest.mark.skipif(hamilton_driver is None, reason="Apache Hamilton is not installed")
def test_apache_hamilton_shows_the_change_and_hamilton_nb_warns_about_it(make_module):
    theirs = hamilton_driver.Driver({}, make_module("augmenting_apache", AUGMENTING),
                                    adapter=hamilton_base.SimplePythonGraphAdapter(hamilton_base.DictResult()))
    expected = theirs.execute(["frame", "augmented", "width"])
    dr = _driver(make_module, "augmenting_ours", AUGMENTING)
    ours = dr.execute(["frame", "augmented", "width"])
    pd.testing.assert_frame_equal(ours["augmented"], expected["augmented"])
    different = [name for name in ("frame", "width") if repr(ours[name]) != repr(expected[name])]
    assert different  # Apache Hamilton's `frame` shows column `b`, ours does not
    for name in different:  # every difference is said aloud, on the value or on what read it
        upstream = "frame" if name == "width" else name
        assert any("Apache Hamilton would show the change" in note for note in dr.warnings[upstream])
    assert any("Apache Hamilton would show the change" in note for note in dr.warnings["augmented"])


def test_a_reader_apache_hamilton_could_not_compute_is_said_to_maybe_differ(make_module):
    dr = _driver(make_module, "reader_raising", AUGMENTING + '''
def strict(frame: pd.DataFrame) -> int:
    if list(frame.columns) != ["a"]:
        raise ValueError("unexpected columns")
    return 1
''')
    assert dr.execute(["augmented", "strict"])["strict"] == 1
    assert dr.warnings["strict"] == ["`strict` reads `frame`, which Apache Hamilton would hand it after a change "
                                     "in place (see the warnings upstream); there `strict` may differ"]


def test_the_comparison_runs_once_per_request_and_versions(make_module, calls):
    module = make_module("counted_changer", AUGMENTING.replace(
        "def augmented(frame: pd.DataFrame) -> pd.DataFrame:\n",
        "from modules import calls\n\ndef augmented(frame: pd.DataFrame) -> pd.DataFrame:\n    calls.hit()\n"))
    dr = driver.Driver({}, module, result="dict")
    dr.execute(["augmented", "width"])
    assert calls == ["augmented", "augmented"]  # computed, then replayed as Apache Hamilton runs it
    dr.execute(["augmented", "width"])
    dr.execute(["width", "augmented"])  # `width` first: equal there, nothing to replay past the change
    assert calls == ["augmented", "augmented", "augmented"] and "width" not in dr.warnings


def test_readers_past_the_replay_time_are_said_to_maybe_differ(make_module, monkeypatch):
    from hamilton_nb.execution import readers

    monkeypatch.setattr(readers, "REPLAY_SECONDS", 0.0)  # nothing is worth replaying
    dr = _driver(make_module, "replay_budget", AUGMENTING)
    dr.execute(["augmented", "width"])
    assert dr.warnings["frame"] == [CHANGED]
    assert dr.warnings["width"][0].endswith("there `width` may differ")


# ---- the replay leaves no trace but its notes --------------------------------------------------
REPLAYED_READER = AUGMENTING + '''
import numpy as np

SEEN = []


class Tally:
    def __init__(self):
        self.widths = []


def tally() -> Tally:
    return Tally()


def counted_width(frame: pd.DataFrame, augmented: pd.DataFrame, tally: Tally) -> int:
    """Reads `frame` after `augmented` in Apache Hamilton's order: replayed."""
    SEEN.append(len(frame.columns))
    tally.widths.append(len(frame.columns))
    np.random.random()
    if len(frame.columns) > 1:
        raise ValueError("a second column")  # only where it sees the change: in the replay
    return len(frame.columns)
'''


def test_a_replayed_function_runs_again_but_changes_no_cached_value(make_module):
    module = make_module("replayed_reader", REPLAYED_READER)
    dr = driver.Driver({}, module, result="dict")
    out = dr.execute(["augmented", "counted_width", "tally"])
    assert module.SEEN == [1, 2]  # computed, then replayed seeing the change (and failing there)
    # `counted_width` appended to its own copy of `tally`: the cached one stays as `tally()` returned it
    assert out["counted_width"] == 1 and out["tally"].widths == []
    changer, reader = dr.warnings["counted_width"]
    assert changer.startswith("`counted_width` changes its input `tally` in place (`tally.widths` 0 → 1 items)")
    assert reader == ("`counted_width` reads `frame`, which Apache Hamilton would hand it after a change in place "
                      "(see the warnings upstream); there `counted_width` may differ")
    assert dr.warnings["frame"] == [CHANGED]
    again = dr.execute(["frame", "tally"])  # cached values as the functions returned them
    assert list(again["frame"].columns) == ["a"] and again["tally"].widths == []


def test_a_replay_draws_nothing_from_the_global_random_state(make_module):
    import numpy as np

    dr = driver.Driver({}, make_module("replayed_draw", REPLAYED_READER), result="dict")
    np.random.seed(0)
    dr.execute(["augmented", "counted_width", "tally"])
    after = np.random.random()
    np.random.seed(0)
    np.random.random()  # the one draw of the computed `counted_width`
    assert after == np.random.random()
