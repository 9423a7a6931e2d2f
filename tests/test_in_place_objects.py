"""A node that changes an object it received in place — an instance of a user class or dataclass,
a ``deque``, an ``OrderedDict``, a ``bytearray``, an ``array.array``, an estimator it fits, a list
inside a dict — changes only its own copy: the upstream value stays as its function returned it,
for every other reader and every later execute, as in a fresh kernel. The change is said on both
nodes. An object that can't be copied is handed out itself and checked after the node."""
from __future__ import annotations

import pytest

from hamilton_nb import driver
from hamilton_nb.errors import NodeExecutionError
from ipython_shell import ip  # noqa: F401  (ip is a fixture)

HEADER = '''
import array
import collections
import dataclasses
import numpy as np
import pandas as pd


@dataclasses.dataclass
class Settings:
    items: list
    alpha: float = 1.0


class Model:
    def __init__(self):
        self.alpha = 1.0
        self.weights = np.arange(3.0)

    def fit(self, x):
        self.coef_ = float(x.mean()) * self.alpha
        return self
'''

# kind -> (the upstream value, the changer's body (changes `up` in place), how readers see `up`)
KINDS = {
    "user object": ("Model()", "up.alpha = 2.0", "repr((up.alpha, list(up.weights)))"),
    "dataclass, list inside": ("Settings([1])", "up.items.append(2)", "repr(up.items)"),
    "array inside an object (rebound)": ("Model()", "up.weights = up.weights * 10", "repr(list(up.weights))"),
    "estimator fitted": ("Model()", "up.fit(pd.Series([1.0, 3.0]))", "repr(hasattr(up, 'coef_'))"),
    "deque": ("collections.deque([1, 2])", "up.append(3)", "repr(list(up))"),
    "OrderedDict": ("collections.OrderedDict(a=1, b=2)", "up.move_to_end('a')", "repr(list(up))"),
    "defaultdict": ("collections.defaultdict(list, a=[1])", "up['b'].append(1)", "repr(sorted(up.items()))"),
    "Counter": ("collections.Counter('aab')", "up.update('a')", "repr(sorted(up.items()))"),
    "bytearray": ("bytearray(b'ab')", "up[0] = 120", "repr(bytes(up))"),
    "array.array": ("array.array('i', [1, 2])", "up.append(3)", "repr(up.tolist())"),
    "pandas Index": ("pd.Index([1, 2], name='i')", "up.name = 'renamed'", "repr(up.name)"),
    "dict of lists": ("{'a': [1]}", "up['a'].append(2)", "repr(up)"),
    "list of DataFrames": ("[pd.DataFrame({'a': [1]})]", "up[0]['b'] = 2", "repr(list(up[0].columns))"),
    "list inside a tuple": ("([1], 2)", "up[0].append(5)", "repr(up)"),
    "set of objects": ("{Model(), Model()}", "next(iter(up)).alpha = 5.0", "repr(sorted(m.alpha for m in up))"),
    "dict keyed by objects": ("{Model(): [1]}", "list(up.values())[0].append(2)", "repr(list(up.values()))"),
}


def _source(kind: str, reader: str = "seen") -> str:
    made, change, shown = KINDS[kind]
    return HEADER + f'''

def up() -> object:
    return {made}


def changer(up: object) -> int:
    {change}
    return 1


def {reader}(up: object, changer: int) -> str:
    """Computed after `changer` in the same execute."""
    return {shown}


def later(up: object) -> str:
    return {shown}
'''


@pytest.mark.parametrize("executor", ["local", "threads"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_node_changing_an_object_in_place_changes_only_its_copy(make_module, kind, executor):
    name = "objects_" + "".join(c if c.isalnum() else "_" for c in kind) + "_" + executor
    module = make_module(name, _source(kind))
    fresh = make_module(name + "_fresh", _source(kind))
    _, _, shown = KINDS[kind]
    expected = driver.Driver({}, fresh, result="dict").execute(["later"])["later"]  # nothing changed it
    dr = driver.Driver({}, module, result="dict", executor=executor)
    out = dr.execute(["changer", "seen"])
    assert out["seen"] == expected  # read after the change in the same execute: unchanged
    assert dr.execute(["later"])["later"] == expected  # a later execute reads the cached value: unchanged
    assert dr.execute(["later", "seen", "changer"])["later"] == expected
    # the change is said on both nodes: the value changed in place, and the node that changed it
    [on_up] = dr.warnings["up"]
    assert on_up.startswith("`up` was changed in place by `changer` (`up")
    assert on_up.endswith("hamilton_nb keeps `up` as `up()` returned it, while Apache Hamilton would show the change")
    [on_changer] = dr.warnings["changer"]
    assert on_changer.startswith("`changer` changes its input `up` in place (`up")
    assert "to make the intent explicit" in on_changer


def test_other_readers_and_results_see_the_object_as_its_function_returned_it(make_module):
    module = make_module("objects_results", _source("dataclass, list inside"))
    dr = driver.Driver({}, module, result="dict")
    out = dr.execute(["up", "changer", "seen", "later"])
    assert out["up"].items == [1] and out["seen"] == out["later"] == "[1]"
    out["up"].items.append(99)  # a dict result is the caller's own copy too
    assert dr.execute(["up"])["up"].items == [1]


def test_an_array_inside_an_object_is_read_only(make_module):
    source = HEADER + '''

def up() -> Model:
    return Model()


def changer(up: Model) -> int:
    up.weights[0] = 100.0
    return 1


def later(up: Model) -> float:
    return float(up.weights[0])
'''
    dr = driver.Driver({}, make_module("objects_array_write", source), result="dict")
    with pytest.raises(NodeExecutionError, match="`changer` .* modified one of its inputs in place"):
        dr.execute(["changer"])
    assert dr.execute(["later"])["later"] == 0.0


UNCOPYABLE = '''
class Feed:
    """Holds a generator: it can't be copied, and it has no content token."""

    def __init__(self):
        self.items = [1]
        self.source = (i for i in range(3))


class Sealed:
    """Refuses to be copied (as objects wrapping C resources do), but its state can be read."""

    def __init__(self):
        self.items = [1]

    def __reduce_ex__(self, protocol):
        raise TypeError("Sealed objects can't be copied")


def up() -> Sealed:
    return Sealed()


def changer(up: Sealed) -> int:
    up.items.append(2)
    return 1


def later(up: Sealed) -> int:
    return len(up.items)


def feed() -> Feed:
    return Feed()


def feed_reader(feed: Feed) -> int:
    return len(feed.items)
'''


def test_an_object_that_cannot_be_copied_and_is_changed_fails_the_node_and_is_computed_again(make_module):
    dr = driver.Driver({}, make_module("objects_uncopyable", UNCOPYABLE), result="dict")
    assert dr.execute(["later"])["later"] == 1
    with pytest.raises(NodeExecutionError) as failed:
        dr.execute(["changer", "later"])
    message = str(failed.value)
    assert message.startswith("`changer` changed its input `up` in place, and `up` (a Sealed) can't be copied, "
                              "so the change reached `up` itself: its value is dropped")
    assert dr.execute(["up"])["up"].items == [1]  # `up` computed again: as a fresh kernel computes it


def test_an_object_that_cannot_be_copied_or_compared_is_said_so(make_module):
    dr = driver.Driver({}, make_module("objects_unchecked", UNCOPYABLE), result="dict")
    assert dr.execute(["feed_reader"])["feed_reader"] == 1
    [note] = dr.warnings["feed_reader"]
    assert note.startswith("`feed_reader` received `feed` itself: a Feed that can't be copied or compared, so "
                           "hamilton_nb can't tell whether `feed_reader` changes it in place; `feed` is computed "
                           "again at the next execute to be safe")


def test_a_series_index_renamed_in_place_is_refused_and_undone(make_module):
    source = '''
import pandas as pd


def s() -> pd.Series:
    return pd.Series([1.0, 2.0])


def renamer(s: pd.Series) -> int:
    s.index.name = "when"
    return 1


def tagger(s: pd.Series) -> int:
    s.attrs["unit"] = "m"
    return 1


def later(s: pd.Series) -> str:
    return repr((s.index.name, dict(s.attrs)))
'''
    dr = driver.Driver({}, make_module("objects_series_meta", source), result="dict")
    for changer in ("renamer", "tagger"):
        with pytest.raises(NodeExecutionError, match=f"`{changer}` .* modified its input `s` in place"):
            dr.execute([changer])
        assert dr.execute(["later"])["later"] == "(None, {})"


# ---- in the notebook: edits after the change ---------------------------------------------------
def test_in_a_notebook_edits_after_a_change_in_place_give_a_fresh_kernels_values(ip):
    ip.ok(HEADER)  # classes in a plain cell
    ip.ok("%%hamilton base\ndef settings() -> Settings:\n    return Settings([1])\n")
    ip.ok("%%hamilton changer\ndef grown(settings: Settings) -> int:\n    settings.items.append(2)\n"
          "    return len(settings.items)\n")
    ip.ok("%%hamilton readers\ndef count(settings: Settings, grown: int) -> int:\n    return len(settings.items)\n")
    ip.ok("%hamilton_execute grown count --dict --out out")
    assert ip.ns["out"] == {"grown": 2, "count": 1}
    checks = ip.ok("%hamilton_status").value.set_index("node")["checks"]
    assert checks["settings"].startswith("`settings` was changed in place by `grown` (`settings.items` 1 → 2 items)")
    assert checks["grown"].startswith("`grown` changes its input `settings` in place")
    assert "dataclasses.replace(settings, ...)" in checks["grown"]
    # edit the reader: recomputed from the cached `settings`, which is still as `settings()` returned it
    ip.ok("%%hamilton readers\ndef count(settings: Settings, grown: int) -> int:\n    return 10 * len(settings.items)\n")
    ip.ok("%hamilton_execute grown count --dict --out out")
    assert ip.ns["out"] == {"grown": 2, "count": 10}
    # the changer writes a new object instead: the notes go
    ip.ok("%%hamilton changer\ndef grown(settings: Settings) -> int:\n"
          "    return len(dataclasses.replace(settings, items=settings.items + [2]).items)\n")
    ip.ok("%hamilton_execute grown count --dict --out out")
    assert ip.ns["out"] == {"grown": 2, "count": 10}
    checks = ip.ok("%hamilton_status").value.set_index("node")["checks"]
    assert checks["settings"] == "" and checks["grown"] == ""


# ---- on Dask workers: values computed there are shared by the tasks of a worker -----------------
@pytest.mark.parametrize("kind", ["user object", "dataclass, list inside", "deque", "dict of lists"])
def test_on_dask_workers_a_change_in_place_stays_in_the_nodes_copy(make_module, kind):
    pytest.importorskip("distributed")
    from hamilton_nb.execution import DaskExecutor

    name = "objects_dask_" + "".join(c if c.isalnum() else "_" for c in kind)
    expected = driver.Driver({}, make_module(name + "_fresh", _source(kind)), result="dict").execute(["later"])["later"]
    executor = DaskExecutor(processes=False, n_workers=1)
    try:
        dr = driver.Driver({}, make_module(name, _source(kind)), result="dict", executor=executor)
        assert dr.execute(["changer", "seen"])["seen"] == expected
        assert dr.execute(["later"])["later"] == expected
        assert dr.warnings["up"][0].startswith("`up` was changed in place by `changer` (`up")
        assert dr.warnings["changer"][0].startswith("`changer` changes its input `up` in place (`up")
    finally:
        executor.close()


# ---- quiet when nothing changed; inputs too ------------------------------------------------------
QUIET = HEADER + '''
import functools


class Report:
    def __init__(self):
        self.when = pd.Timestamp("2024-01-01", tz="UTC")
        self.month = pd.Period("2024-01")
        self.values = [1.0, float("nan")]
        self.frame = pd.DataFrame({"a": [1.0, None]})

    @functools.cached_property
    def total(self):
        return sum(v for v in self.values if v == v)


def report() -> Report:
    return Report()


def total(report: Report) -> float:
    str(report.month)
    return report.total + len(report.frame)


def model() -> Model:
    return Model()


def tuned(model: Model) -> float:
    model.alpha = 2.0
    return model.alpha


def prediction(model: Model, tuned: float) -> float:
    return float(model.weights.sum()) * model.alpha
'''


def test_only_the_change_is_said_reading_an_object_says_nothing(make_module):
    dr = driver.Driver({}, make_module("objects_quiet", QUIET), result="dict")
    out = dr.execute(["total", "prediction"])
    assert out == {"total": 3.0, "prediction": 3.0}  # `prediction` runs after `tuned`: alpha still 1
    # a filled cached_property, a Period's cache: no change, so `report` and `total` stay quiet
    assert set(dr.warnings) == {"model", "tuned", "prediction"}
    assert dr.warnings["prediction"] == [
        "`prediction` differs from Apache Hamilton's: there it reads `model` after `tuned` changed it in place "
        "(`model.alpha` 1.0 → 2.0); hamilton_nb computes it from `model` unchanged"]


def test_an_input_object_changed_in_place_stays_as_passed_in(make_module):
    source = HEADER + '''

def grown(settings: Settings) -> int:
    settings.items.append(2)
    return len(settings.items)


def count(settings: Settings, grown: int) -> int:
    return len(settings.items)
'''
    module = make_module("objects_input", source)
    dr = driver.Driver({}, module, result="dict")
    settings = module.Settings([1])
    assert dr.execute(["grown", "count"], inputs={"settings": settings}) == {"grown": 2, "count": 1}
    assert settings.items == [1]
    assert dr.execute(["count"], inputs={"settings": settings}) == {"count": 1}
    assert dr.warnings["settings"][0].startswith("`settings` was changed in place by `grown` (`settings.items` "
                                                 "1 → 2 items); hamilton_nb keeps `settings` as it was passed in")


def test_on_dask_workers_an_object_that_cannot_be_copied_and_is_changed_fails_the_node(make_module):
    pytest.importorskip("distributed")
    from hamilton_nb.execution import DaskExecutor

    executor = DaskExecutor(processes=False, n_workers=1)
    try:
        dr = driver.Driver({}, make_module("objects_dask_uncopyable", UNCOPYABLE), result="dict", executor=executor)
        with pytest.raises(NodeExecutionError, match="`changer` changed its input `up` in place, and `up` "):
            dr.execute(["changer", "later"])
        assert dr.execute(["up"])["up"].items == [1]  # the changed value on the worker was dropped
    finally:
        executor.close()


def test_a_node_that_raises_after_changing_an_object_that_cannot_be_copied_drops_it(make_module):
    source = UNCOPYABLE + '''

def breaker(up: Sealed) -> int:
    up.items.append(2)
    raise ValueError("broken after the change")
'''
    dr = driver.Driver({}, make_module("objects_uncopyable_raises", source), result="dict")
    assert dr.execute(["later"])["later"] == 1
    with pytest.raises(NodeExecutionError, match="`breaker` .* raised ValueError: broken after the change"):
        dr.execute(["breaker"])
    assert dr.execute(["up"])["up"].items == [1]  # computed again: the changed one was dropped
