"""The persistent cache (issue 9): values on disk by node version, surviving kernel restarts."""
from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hamilton_nb
from hamilton_nb.errors import InputError
from hamilton_nb.execution import codec as P
from hamilton_nb.execution.persistent import PersistentCache
from hamilton_nb.execution.sizes import parse_size
from hamilton_nb.session import Session
from ipython_shell import ip  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[1]

CELL = '''
def doubled(spend: pd.Series) -> pd.Series:
    calls.hit()
    return spend * 2

def total(doubled: pd.Series, signups: pd.Series) -> pd.Series:
    calls.hit()
    return doubled + signups

def summary(total: pd.Series) -> float:
    calls.hit()
    return float(total.max())  # not pandas: pickled
'''
INPUTS = {"spend": pd.Series([1.0, 2.0, 3.0], name="spend"), "signups": pd.Series([10.0, 20.0, 30.0])}


def _namespace():
    import collections
    import types

    calls = types.ModuleType("calls")
    calls.counts = collections.Counter()
    calls.hit = lambda: calls.counts.update([sys._getframe(1).f_code.co_name])
    return {"pd": pd, "calls": calls}


def new_session(cache_dir, source=CELL, background=False, **kwargs):
    """A session as after a restart: fresh memory, same code, persistent cache on ``cache_dir``."""
    session, ns = Session(), _namespace()
    session.register_cell(source, "features", ns)
    session.set_inputs(INPUTS)
    session.engine.persistent = PersistentCache(cache_dir, background=background, **kwargs)
    session.verification.loaded_budget = 0  # loads only: verifying loaded values is in test_verify.py
    return session, ns["calls"].counts


# ---- values round-trip faithfully ------------------------------------------------------------------
WEEKS = pd.date_range("2024-01-07", periods=6, freq="W-SUN", name="week")
VALUES = {
    "float series, weekly index with freq": pd.Series(np.linspace(0, 1, 6), index=WEEKS, name="x"),
    "NaN and unnamed": pd.Series([1.0, np.nan, 3.0]),
    "int name": pd.Series([1, 2, 3], name=7),
    "bool": pd.Series([True, False, True], name="flag"),
    "datetimes with NaT": pd.Series(pd.to_datetime(["2020-01-01", None]), name="d"),
    "timedeltas": pd.Series(pd.to_timedelta([1, 2], unit="D")),
    "strings with None": pd.Series(["a", None, "c"], name="s"),
    "categorical": pd.Series(["a", "b", "a"], dtype="category"),
    "nullable ints": pd.Series([1, None, 3], dtype="Int64"),
    "tz-aware index": pd.Series([1.0, 2.0], index=pd.date_range("2020", periods=2, tz="UTC", freq="D")),
    "string index": pd.Series([1.0, 2.0], index=["a", "b"]),
    "MultiIndex": pd.Series([1.0, 2.0], index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["k", "n"])),
    "float32, step range index": pd.Series(np.arange(3, dtype="float32"), index=pd.RangeIndex(2, 8, 2, name="r")),
    "empty": pd.Series([], dtype="float64", name="e"),
    "frame": pd.DataFrame({"a": [1.0, 2.0], "b": [1, 2]}, index=pd.Index([10, 20], name="i")),
    "frame, weekly index": pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6)}, index=WEEKS),
    "frame, mixed dtypes": pd.DataFrame({"a": [1.0, 2.0], "s": ["x", "y"], "c": pd.Categorical(["u", "v"])}),
}
PICKLED = {  # not faithfully columnar: pickled instead
    "tuple name": pd.Series([1.0], name=("a", "b")),
    "object column of lists": pd.Series([[1], "x"]),
    "int column labels": pd.DataFrame({0: [1.0], 1: [2.0]}),
    "duplicate columns": pd.DataFrame([[1, 2]], columns=["a", "a"]),
    "complex": pd.Series([1 + 2j]),
    "dict": {"a": 1, "b": [1, 2]},
    "ndarray": np.arange(5),
    "None": None,
    "string": "text",
}


def _equal(a, b) -> None:
    if isinstance(b, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, check_freq=True)
    elif isinstance(b, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_freq=True)
        assert [type(c) for c in a.columns] == [type(c) for c in b.columns]
    elif isinstance(b, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    else:
        assert a == b and type(a) is type(b)


@pytest.mark.parametrize("label", list(VALUES))
def test_pandas_values_are_stored_columnar_and_restored_faithfully(label, tmp_path):
    store = PersistentCache(tmp_path, background=False)
    store.save("node", "v1", VALUES[label], 0.5)
    kind, _ = P.encode(VALUES[label])
    assert kind == P.ARROW
    value, seconds = store.load("node", "v1")
    _equal(value, VALUES[label])
    assert seconds == 0.5


@pytest.mark.parametrize("label", list(PICKLED))
def test_other_values_fall_back_to_pickle(label, tmp_path):
    store = PersistentCache(tmp_path, background=False)
    store.save("node", "v1", PICKLED[label])
    assert P.encode(PICKLED[label])[0] == P.PICKLE
    _equal(store.load("node", "v1")[0], PICKLED[label])


def test_series_attrs_survive_through_pickle(tmp_path):
    series = pd.Series([1.0, 2.0], name="x")
    series.attrs["unit"] = "USD"
    store = PersistentCache(tmp_path, background=False)
    store.save("x", "v", series)
    assert store.load("x", "v")[0].attrs == {"unit": "USD"}


def test_polars_values_use_polars_ipc(tmp_path):
    pl = pytest.importorskip("polars")
    store = PersistentCache(tmp_path, background=False)
    frame, series = pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}), pl.Series("nm", [1.0, 2.0])
    store.save("f", "v", frame)
    store.save("s", "v", series)
    assert P.encode(frame)[0] == P.POLARS_FRAME and P.encode(series)[0] == P.POLARS_SERIES
    assert store.load("f", "v")[0].equals(frame)
    loaded = store.load("s", "v")[0]
    assert loaded.equals(series) and loaded.name == "nm"


def test_unstorable_values_stay_in_memory_with_one_warning(tmp_path, caplog):
    session, calls = new_session(tmp_path, CELL + '''
def handle(total: pd.Series) -> object:
    import threading
    return threading.Lock()
''')
    with caplog.at_level(logging.WARNING, logger="hamilton_nb"):
        session.execute(["handle", "total"])
        session.engine.reset_cache()
        session.execute(["handle", "total"])
    warnings = [r for r in caplog.records if "cannot store `handle`" in r.getMessage()]
    assert len(warnings) == 1
    assert sorted(session.last_report.loaded) == ["doubled", "total"]


# ---- the engine uses it ------------------------------------------------------------------------------
def test_a_restarted_session_loads_instead_of_computing(tmp_path):
    first, first_calls = new_session(tmp_path)
    expected = first.execute(["total", "summary"], result="dict")
    assert first_calls == {"doubled": 1, "total": 1, "summary": 1}

    second, second_calls = new_session(tmp_path)
    got = second.execute(["total", "summary"], result="dict")
    assert second_calls == {}
    assert sorted(second.last_report.loaded) == ["doubled", "summary", "total"]
    assert second.last_report.computed == {}
    pd.testing.assert_series_equal(got["total"], expected["total"])
    assert got["summary"] == expected["summary"]
    assert "3 loaded from disk" in second.last_report.summary()
    assert second.states()["total"] == "fresh"
    # loaded values are sealed like computed ones (read-only data, a guard against rebinding)
    for session in (first, second):
        entry = session.engine.cache.get("total")
        assert entry.guard is not None and not entry.value._values.flags.writeable
    # and sit in the memory cache: the next execute takes them from there
    second.execute(["total"])
    assert second.last_report.cached == ["doubled", "total"] and not second.last_report.loaded


def test_stale_entries_are_never_loaded(tmp_path):
    first, _ = new_session(tmp_path)
    first.execute(["total"])
    old_version = first.engine.versions.version("total")

    edited, calls = new_session(tmp_path, CELL.replace("spend * 2", "spend * 3"))
    new_version = edited.engine.versions.version("total")
    assert new_version != old_version  # versions differ by construction (code feeds them) ...
    assert edited.engine.persistent.load("total", old_version) is not None  # ... the old entry is there,
    result = edited.execute(["total"])  # ... but never loaded for the new version
    assert calls == {"doubled": 1, "total": 1} and edited.last_report.loaded == []
    assert result["total"].tolist() == [13.0, 26.0, 39.0]

    rebound, calls = new_session(tmp_path)  # same code, different input data: stale too
    rebound.set_inputs(signups=pd.Series([0.0, 0.0, 0.0]))
    assert rebound.execute(["total"])["total"].tolist() == [2.0, 4.0, 6.0]
    assert calls == {"total": 1} and rebound.last_report.loaded == ["doubled"]


def test_inputs_and_unbound_versions_are_not_stored(tmp_path):
    session, _ = new_session(tmp_path)
    session.execute(["total"])
    names = {p.name.split("-")[0] for p in tmp_path.glob("*.hnbc")}
    assert names == {"doubled", "total"}  # not spend/signups: inputs are supplied, not persisted
    store = session.engine.persistent
    store.save("unbound", None, 1)
    assert store.load("unbound", None) is None
    assert not list(tmp_path.glob("unbound*"))


def test_background_writes_are_flushed(tmp_path):
    session, _ = new_session(tmp_path, background=True)
    session.execute(["total", "summary"])
    info = session.cache_info()  # flushes first
    assert info.entries == 3 and info.pending == 0 and info.writes == 3
    session.disable_persistent_cache()


# ---- kernel restarts, killed writers, corrupted files -------------------------------------------------
CHILD = '''
import sys, pathlib
import pandas as pd
from hamilton_nb.session import Session

cache, log = sys.argv[1], pathlib.Path(sys.argv[2])
ns = {"pd": pd, "log": log}
session = Session()
session.register_cell("""
def doubled(spend: pd.Series) -> pd.Series:
    with open(log, "a") as fh:
        fh.write("doubled\\\\n")
    return spend * 2

def total(doubled: pd.Series) -> pd.Series:
    with open(log, "a") as fh:
        fh.write("total\\\\n")
    return doubled + 1
""", "features", ns)
session.set_inputs(spend=pd.Series([1.0, 2.0, 3.0]))
session.enable_persistent_cache(cache)
session.verification.loaded_budget = 0  # loads only (verifying loaded values calls the cheap ones)
print(session.execute(["total"])["total"].tolist())
print(sorted(session.last_report.loaded))
'''


def _python(*args, env=None):
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120)


def test_kernel_restart_two_processes(tmp_path):
    script, log, cache = tmp_path / "child.py", tmp_path / "calls.log", tmp_path / "cache"
    script.write_text(CHILD)
    first = _python(str(script), str(cache), str(log))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["[3.0, 5.0, 7.0]", "[]"]
    assert log.read_text().split() == ["doubled", "total"]  # computed; written at exit (background)

    second = _python(str(script), str(cache), str(log))  # the "restarted kernel"
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == ["[3.0, 5.0, 7.0]", "['doubled', 'total']"]
    assert log.read_text().split() == ["doubled", "total"]  # nothing recomputed


KILLED = '''
import sys
import numpy as np, pandas as pd
from hamilton_nb.execution.persistent import PersistentCache

store = PersistentCache(sys.argv[1], background=False)
value = pd.DataFrame(np.random.default_rng(0).random((1_500_000, 8)), columns=list("abcdefgh"))
print("writing", flush=True)
store.save("big", "v1", value)
print("done", flush=True)
'''


def test_a_writer_killed_mid_write_never_leaves_a_loadable_partial_entry(tmp_path):
    script, cache = tmp_path / "killed.py", tmp_path / "cache"
    script.write_text(KILLED)
    expected = pd.DataFrame(np.random.default_rng(0).random((1_500_000, 8)), columns=list("abcdefgh"))
    rng = random.Random(9)
    outcomes = []
    for attempt in range(3):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen([sys.executable, str(script), str(cache)], stdout=subprocess.PIPE, text=True, env=env)
        assert child.stdout.readline().strip() == "writing"
        deadline = time.monotonic() + 60
        while not list(cache.glob(".*.tmp")) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.0005)  # the temporary file appears: the write has begun
        time.sleep(rng.uniform(0, 0.02))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        final = list(cache.glob("*.hnbc"))
        temps = list(cache.glob(".*.tmp"))
        outcomes.append("complete" if final else "partial" if temps else "nothing")
        store = PersistentCache(cache, background=False)  # the next run
        assert not list(cache.glob(".*.tmp"))  # leftovers of the dead writer are cleaned up
        found = store.load("big", "v1")
        if found is not None:  # only ever a complete entry
            pd.testing.assert_frame_equal(found[0], expected)
        for path in final:
            path.unlink()
    assert "partial" in outcomes, outcomes  # the kill did land mid-write at least once


def test_truncated_and_corrupted_entries_are_reported_once_and_recomputed(tmp_path, caplog):
    first, _ = new_session(tmp_path)
    first.execute(["total", "summary"])
    store = first.engine.persistent
    doubled = store.path_for("doubled", first.engine.versions.version("doubled"))
    total = store.path_for("total", first.engine.versions.version("total"))
    doubled.write_bytes(doubled.read_bytes()[:-30])  # truncated
    data = bytearray(total.read_bytes())
    data[len(data) // 3] ^= 0xFF  # one flipped byte
    total.write_bytes(bytes(data))

    second, calls = new_session(tmp_path)
    with caplog.at_level(logging.WARNING, logger="hamilton_nb"):
        result = second.execute(["total", "summary"])
        second.engine.reset_cache()
        second.execute(["total", "summary"])
    messages = [r.getMessage() for r in caplog.records if "persistent cache" in r.getMessage()]
    assert len(messages) == 2, messages  # once each
    assert any("`doubled`" in m and str(doubled) in m and "truncated" in m for m in messages)
    assert any("`total`" in m and str(total) in m and "checksum" in m for m in messages)
    assert calls == {"doubled": 1, "total": 1}  # recomputed once, then stored again and loaded
    assert result["total"].tolist() == [12.0, 24.0, 36.0]
    assert sorted(second.last_report.loaded) == ["doubled", "summary", "total"]
    assert second.engine.persistent.info().corrupt == 2


def test_garbage_in_a_file_is_detected(tmp_path, caplog):
    store = PersistentCache(tmp_path, background=False)
    store.save("x", "v", pd.Series([1.0]))
    path = store.path_for("x", "v")
    path.write_bytes(b"not a cache entry at all")
    with caplog.at_level(logging.WARNING, logger="hamilton_nb"):
        assert store.load("x", "v") is None
    assert "`x`" in caplog.text and not path.exists()


# ---- size limit, info, clear -------------------------------------------------------------------------
def test_least_recently_used_entries_are_evicted_under_the_size_limit(tmp_path):
    value = pd.Series(np.arange(1000.0))
    probe = PersistentCache(tmp_path / "probe", background=False)
    probe.save("p", "v", value)
    size = probe.info().bytes
    store = PersistentCache(tmp_path / "lru", max_bytes=int(size * 3.5), background=False)
    for i, name in enumerate("abc"):
        store.save(name, "v", value)
        os.utime(store.path_for(name, "v"), ns=(10**18 + i, 10**18 + i))  # written in this order
    assert store.load("a", "v") is not None  # a is now the most recently used
    store.save("d", "v", value)  # 4 entries > 3.5: the least recently used (b) goes
    present = {n for n in "abcd" if store.path_for(n, "v").exists()}
    assert present == {"a", "c", "d"}
    assert store.info().evictions == 1 and store.info().bytes <= store.max_bytes


def test_info_counts_entries_bytes_and_hit_rate(tmp_path):
    session, _ = new_session(tmp_path)
    session.execute(["total"])
    info = session.cache_info()
    assert (info.entries, info.hits, info.misses, info.writes) == (2, 0, 2, 2)
    assert info.bytes == sum(p.stat().st_size for p in tmp_path.glob("*.hnbc"))
    assert info.hit_rate == 0.0
    session.engine.reset_cache()
    session.execute(["total", "summary"])
    info = session.cache_info()
    assert (info.entries, info.hits, info.misses) == (3, 2, 3)
    assert info.hit_rate == pytest.approx(0.4)
    text = str(info)
    assert "3" in text and "40%" in text and str(tmp_path) in text


def test_clear_removes_every_entry(tmp_path):
    session, calls = new_session(tmp_path)
    session.execute(["total"])
    assert session.clear_persistent_cache() == 2
    assert not list(tmp_path.glob("*.hnbc"))
    session.engine.reset_cache()
    session.execute(["total"])
    assert calls == {"doubled": 2, "total": 2}


def test_session_twins(tmp_path, monkeypatch):
    session = Session()
    with pytest.raises(InputError, match="persistent cache is off"):
        session.cache_info()
    monkeypatch.chdir(tmp_path)
    store = session.enable_persistent_cache(max_bytes="2MB")
    assert store.directory == (tmp_path / ".hamilton_cache").resolve() and store.max_bytes == 2_000_000
    session.reset()  # starting over keeps the setting
    assert session.engine.persistent is store
    session.disable_persistent_cache()
    assert session.engine.persistent is None


@pytest.mark.parametrize("text, expected", [("2GB", 2 * 10**9), ("500 MB", 5 * 10**8), ("1.5GiB", int(1.5 * 2**30)),
                                            ("1000", 1000), (4096, 4096)])
def test_sizes(text, expected):
    assert parse_size(text) == expected


def test_bad_sizes_are_explained():
    with pytest.raises(ValueError, match="500MB"):
        parse_size("lots")


# ---- magics -----------------------------------------------------------------------------------------
def test_cache_magics(ip, tmp_path):
    cache = tmp_path / "nb_cache"
    ip.ok("spend_series = pd.Series([1.0, 2.0, 3.0])")
    ip.ok("%%hamilton features\ndef doubled(spend: pd.Series) -> pd.Series:\n    calls.hit()\n    return spend * 2\n")
    ip.ok("%hamilton_inputs spend=spend_series")
    verification = hamilton_nb.get_session().verification
    budget, verification.loaded_budget = verification.loaded_budget, 0  # loads only (see test_verify.py)
    try:
        out = ip.ok(f"%hamilton_cache on {cache} --max-size 10MB").out
        assert "Persistent cache on" in out and str(cache) in out
        ip.ok("%hamilton_execute doubled")
        assert "entries   1" in ip.ok("%hamilton_cache info").out
        ip.ok("%hamilton_reset --cache")
        ran = ip.ok("%hamilton_execute doubled -v")
        assert "1 loaded from disk" in ran.out and ip.calls["doubled"] == 1
        assert "Removed 1 entries" in ip.ok("%hamilton_cache clear").out
        assert "off" in ip.ok("%hamilton_cache off").out
        failed = ip.fails("%hamilton_cache info", InputError)
        assert "%hamilton_cache on" in failed.out
        failed = ip.fails(f"%hamilton_cache on {cache} --max-size lots", InputError)
        assert "--max-size" in failed.out
    finally:
        verification.loaded_budget = budget
        hamilton_nb.get_session().disable_persistent_cache()


def test_cache_magic_documents_itself(ip):
    help_text = ip.ok("%hamilton_cache?").out
    for word in ("on", "off", "clear", "info", "--max-size", ".hamilton_cache", "trust", "restart"):
        assert word in help_text


RESTART_WITH_CLASS = '''
import functools, sys
import pandas as pd
from hamilton_nb.session import Session

cache, factor, offset = sys.argv[1], sys.argv[2], sys.argv[3]
ns = {"pd": pd, "functools": functools, "__name__": "__main__"}
exec(f"""
class Scaler:
    def transform(self, s):
        return s * {factor}
scaler = Scaler()
def _shift(s, by):
    return s + by * {offset}
shift = functools.partial(_shift, by=1)
""", ns)
session = Session()
session.register_cell("""
def scaled(spend: pd.Series) -> pd.Series:
    return shift(scaler.transform(spend))
""", "features", ns)
session.set_inputs(spend=pd.Series([1.0, 2.0]))
session.enable_persistent_cache(cache)
print(session.execute(["scaled"])["scaled"].tolist())
print(sorted(session.last_report.loaded))
'''


def test_a_restart_after_editing_a_class_or_a_partial_never_loads_the_old_value(tmp_path):
    script, cache = tmp_path / "child.py", tmp_path / "cache"
    script.write_text(RESTART_WITH_CLASS)
    runs = [_python(str(script), str(cache), factor, offset)
            for factor, offset in (("2", "0"), ("2", "0"), ("3", "0"), ("3", "1"))]
    assert all(run.returncode == 0 for run in runs), [run.stderr for run in runs]
    assert [run.stdout.splitlines() for run in runs] == [
        ["[2.0, 4.0]", "[]"],
        ["[2.0, 4.0]", "['scaled']"],  # same code: loaded
        ["[3.0, 6.0]", "[]"],  # the method changed: computed, not loaded
        ["[4.0, 7.0]", "[]"],  # the partial's function changed
    ]


PROCESS_STATE = '''
import os, sys
import numpy as np, pandas as pd
from hamilton_nb.session import Session

np.seterr(all=sys.argv[2])
session = Session()
ns = {}
session.register_cell("""
import os
import numpy as np
import pandas as pd

def logged(spend: pd.Series) -> pd.Series:
    return pd.Series(np.log(spend.to_numpy()))

def scaled(spend: pd.Series) -> pd.Series:
    return spend * float(os.environ["HNB_SCALE"])
""", "features", ns)
session.set_inputs(spend=pd.Series([0.0, 1.0]))
session.enable_persistent_cache(sys.argv[1])
session.verification.loaded_budget = 0  # versions alone decide what loads
try:
    print(session.execute(["logged"], result="dict")["logged"].tolist())
except Exception as exc:
    print(type(exc).__name__, "FloatingPointError" in str(exc) or "divide" in str(exc))
print(session.execute(["scaled"], result="dict")["scaled"].tolist())
print(sorted(session.last_report.loaded))
'''


def test_a_restarted_kernel_never_loads_a_value_computed_under_other_process_state(tmp_path):
    """numpy's error state and an environment variable differ after the restart: the values
    computed under the old ones are not loaded; a fresh run's answer is given."""
    script, cache = tmp_path / "state.py", tmp_path / "cache"
    script.write_text(PROCESS_STATE)
    first = _python(str(script), str(cache), "ignore", env={"HNB_SCALE": "2"})
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["[-inf, 0.0]", "[0.0, 2.0]", "[]"]

    same = _python(str(script), str(cache), "ignore", env={"HNB_SCALE": "2"})
    assert same.stdout.splitlines()[-1] == "['scaled']", same.stdout  # same state: loaded

    other = _python(str(script), str(cache), "raise", env={"HNB_SCALE": "3"})
    assert other.returncode == 0, other.stderr
    lines = other.stdout.splitlines()
    assert lines[0].split()[0] in ("NodeExecutionError", "FloatingPointError"), lines
    assert lines[1:] == ["[0.0, 3.0]", "[]"]
