"""Verification, the safety net: cached values computed again aside and compared.

A node here reads ``os.environ`` through a helper kept inside an installed library
(``functools``) and fetched by ``getattr`` with a string, where versions do not look.
Changing the variable changes the node's value while its version stays the same. Only
verification can find that.
"""
from __future__ import annotations

import asyncio
import functools
import time

import pandas as pd
import pytest

import hamilton_nb
from hamilton_nb.errors import InputError
from hamilton_nb.execution import verification as background
from hamilton_nb.execution.verification import IdleVerifier
from ipython_shell import ip  # noqa: F401  (a fixture)

SENTENCE = ("`out` changed although nothing it is known to read changed; it may read process state "
            "(os.environ, options, random state) or a file.")

CELLS = '''
%%hamilton feats
def base(x: pd.Series) -> pd.Series:
    calls.hit()
    return x * 2

def out(base: pd.Series) -> pd.Series:
    calls.hit()
    return base * getattr(functools, "_hnb_hidden_k")()

def after(out: pd.Series) -> pd.Series:
    calls.hit()
    return out + 1

def other(base: pd.Series) -> pd.Series:
    calls.hit()
    return base - 1
'''
NODES = ["base", "out", "after", "other"]


@pytest.fixture
def hidden(ip, monkeypatch):
    """``out`` reads the environment variable HNB_K where no version sees it."""
    monkeypatch.setenv("HNB_K", "2")
    monkeypatch.setattr(functools, "_hnb_hidden_k", lambda: float(__import__("os").environ["HNB_K"]),
                        raising=False)
    ip.ok("import functools")
    ip.ok(CELLS)
    ip.ok("x = pd.Series([1.0, 2.0, 3.0])\n%hamilton_inputs x=x")
    ip.ok("%hamilton_execute --all")
    assert set(ip.states().values()) == {"input", "fresh"}
    return ip


def session():
    return hamilton_nb.get_session()


# ---- (a) a hidden read is found ---------------------------------------------------------------------
def test_a_hidden_environment_read_is_found_and_made_stale(hidden, monkeypatch):
    ip = hidden
    monkeypatch.setenv("HNB_K", "5")
    assert ip.states()["out"] == "fresh"  # no version can see it…
    ran = ip.ok("%hamilton_verify out")  # …verification can
    assert SENTENCE in ran.out
    assert "1 of 1 differ" in ran.out and "3 of 3 rows differ" in ran.out
    assert "now stale (the next execute recomputes them): out, after" in ran.out
    states = ip.states()
    assert [states[n] for n in NODES] == ["fresh", "stale", "stale", "fresh"]
    counted = ip.counted("%hamilton_execute out after")
    assert counted == {"out": 1, "after": 1}
    result = ip.ok("%hamilton_execute out after").value
    assert result["out"].tolist() == [10.0, 20.0, 30.0]
    assert result["after"].tolist() == [11.0, 21.0, 31.0]
    assert "3 of 3 rows differ" in session().diff("out").detail  # against the value found wrong
    assert set(ip.states().values()) == {"input", "fresh"}
    assert session().verify(all=True).ok


def test_the_report_object_keeps_the_mismatch(hidden, monkeypatch):
    monkeypatch.setenv("HNB_K", "3")
    report = session().verify(["out", "other"])
    assert [(m.node, m.kind) for m in report.mismatches] == [("out", "differs")]
    assert report.mismatches[0].sentence() == SENTENCE
    assert "3 of 3 rows differ" in report.mismatches[0].detail
    assert set(report.checked) == {"out", "other"} and report.stale == ["out", "after"]


def test_a_node_that_now_raises_is_a_mismatch(hidden, monkeypatch):
    ip = hidden
    monkeypatch.delenv("HNB_K")
    ran = ip.ok("%hamilton_verify out after")
    assert "NOW RAISES: KeyError: 'HNB_K'" in ran.out
    assert "`out` now raises although nothing it is known to read changed" in ran.out
    assert "skipped after" not in ran.out  # downstream of the mismatch: made stale, not checked
    assert ip.states()["out"] == ip.states()["after"] == "stale"
    ip.fails("%hamilton_execute out", hamilton_nb.errors.NodeExecutionError)


def test_what_cannot_be_verified_is_skipped_and_said(hidden, monkeypatch):
    ip = hidden
    ip.ok("x2 = pd.Series([1.0, 2.0, 4.0])\n%hamilton_inputs x=x2")  # everything is stale now
    ran = ip.ok("%hamilton_verify out")
    assert "skipped out: stale: the next execute recomputes them" in ran.out
    assert "nothing to check" in ran.out
    ip.fails("%hamilton_verify nope", InputError)
    assert "Name nodes to verify" in ip.ok("%hamilton_verify").out


# ---- (b) a healthy session: nothing found, nothing changed ----------------------------------------
def test_verify_all_on_a_healthy_session_changes_nothing(hidden):
    ip = hidden
    engine = session().engine
    before_states = ip.states()
    entries = {n: (e.version, e.value) for n, e in engine.cache._entries.items()}
    order = list(engine.cache._entries)
    report, changed = engine.last_report, session().changed
    counted = ip.counted("%hamilton_verify --all")
    ran = ip.ok("%hamilton_verify --all")
    assert counted == {n: 1 for n in NODES}  # verification's own calls, one per cached node
    assert "verified 4 cached nodes" in ran.out and "all match" in ran.out and "per node" in ran.out
    assert sorted(line.split()[0] for line in ran.out.splitlines()[1:5]) == sorted(NODES)  # a line per node
    assert ip.states() == before_states
    assert {n: (e.version, e.value) for n, e in engine.cache._entries.items()} == entries
    assert all(entries[n][1] is engine.cache.get(n).value for n in entries)  # the very same values
    assert list(engine.cache._entries) == order  # not even the eviction order moved
    assert engine.last_report is report and session().changed == changed
    assert ip.counted("%hamilton_execute --all") == {}


def test_many_nodes_get_a_summary(ip):
    ip.ok("%%hamilton many\n" + "\n".join(f"def n{i}(x: int) -> int:\n    return x + {i}\n" for i in range(30)))
    ip.ok("%hamilton_inputs x=1\n%hamilton_execute --all")
    out = ip.ok("%hamilton_verify --all").out
    assert out.startswith("verified 30 cached nodes in ") and ": all match (" in out
    assert len(out.strip().splitlines()) == 1


# ---- (c) idle mode ---------------------------------------------------------------------------------
class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def test_idle_slices_keep_to_their_budget_and_stop(ip, monkeypatch):
    """Each node takes 12 ms (on a fake clock): a 50 ms slice checks four, then pauses nine times as
    long; the pass ends after the last node and nothing is scheduled until the next cell."""
    clock = FakeClock()
    monkeypatch.setattr(functools, "_hnb_clock", clock, raising=False)  # where versions don't look
    ip.ok("import functools")
    ip.ok("%%hamilton many\n" + "\n".join(
        f"def n{i}(x: int) -> int:\n    getattr(functools, \"_hnb_clock\").advance(0.012)\n    return x + {i}\n"
        for i in range(12)))
    ip.ok("%hamilton_inputs x=1\n%hamilton_execute --all")
    engine = session().engine
    for name in engine.cache:
        engine.cache.get(name).seconds = 0.012  # what computing each took, as recorded
    engine.cache.get("n7").seconds = 0.2  # longer than a slice: left to %hamilton_verify
    busy = [True]
    idle = IdleVerifier(engine, found=lambda report: None, busy=lambda: busy[0], clock=clock)
    assert idle.run_slice() == background.IDLE_RETRY and idle.report.checked == {}  # a cell runs
    busy[0] = False
    pauses, sizes = [], []
    while True:
        started, checked = clock.now, len(idle.report.checked)
        pause = idle.run_slice()
        sizes.append(len(idle.report.checked) - checked)
        assert clock.now - started <= background.IDLE_SLICE + 1e-9
        if pause is None:
            break
        assert (clock.now - started) / (clock.now - started + pause) <= background.IDLE_FRACTION + 1e-9
        pauses.append(pause)
        clock.now += pause
    assert sizes == [4, 4, 3]  # 11 nodes: n7 is too slow for a slice
    assert set(idle.report.checked) == {f"n{i}" for i in range(12)} - {"n7"}
    assert "n7" in idle.report.skipped and not idle.report.mismatches
    clock.now += 9 * 3 * 0.012  # as long after the last slice as after the others
    assert idle.share <= background.IDLE_FRACTION + 1e-9
    assert all(state in ("input", "fresh") for state in engine.states().values())
    idle.poke()  # a cell ran: a new pass
    assert idle.run_slice() is not None and idle.passes == 2


def test_idle_mode_on_an_event_loop_finds_a_hidden_change(hidden, monkeypatch):
    ip = hidden
    monkeypatch.setattr(background, "IDLE_START", 0.01)
    monkeypatch.setattr(background, "IDLE_GAP", 0.01)
    monkeypatch.setattr(background, "IDLE_RETRY", 0.01)
    loop = asyncio.new_event_loop()
    try:
        verification = session().verification
        assert "Idle verification on" in verification.set_idle(True, loop)
        loop.run_until_complete(asyncio.sleep(0.3))  # the kernel idles between cells
        assert set(verification.idle.report.checked) == set(NODES) and verification.idle.report.ok
        monkeypatch.setenv("HNB_K", "7")
        ip.ok("pass")  # a cell ran: a new pass starts
        verification.cell_started()  # …but not while a cell is running
        checked = verification.idle.slices
        loop.run_until_complete(asyncio.sleep(0.2))
        assert verification.idle.slices == checked and ip.states()["out"] == "fresh"
        verification.cell_finished()
        loop.run_until_complete(asyncio.sleep(0.3))
        status = ip.ok("%hamilton_status")
        assert SENTENCE in status.out  # shown once, by the next %hamilton_status
        assert SENTENCE not in ip.ok("%hamilton_status").out
        assert [ip.states()[n] for n in NODES] == ["fresh", "stale", "stale", "fresh"]
        off = ip.ok("%hamilton_verify --idle off").out
        assert off.startswith("Idle verification off; ") and "1 differed" in off
        assert verification.idle is None and not loop._scheduled or all(h.cancelled() for h in loop._scheduled)
    finally:
        session().verification.set_idle(False)
        loop.close()


def test_idle_mode_needs_a_kernel(ip):
    ran = ip.fails("%hamilton_verify --idle", InputError)
    assert "needs a Jupyter kernel" in ran.out
    with pytest.raises(InputError, match="needs a Jupyter kernel"):
        hamilton_nb.session.Session(verify="idle")
    assert "Idle verification is off" in ip.ok("%hamilton_verify").out


def test_idle_mode_survives_a_reset(ip):
    loop = asyncio.new_event_loop()
    try:
        session().verification.set_idle(True, loop)
        ip.ok("%hamilton_reset")
        assert session().verification.idle is not None and session().verification.idle.loop is loop
        assert session().verification.idle.engine is session().engine
    finally:
        session().verification.set_idle(False)
        loop.close()


# ---- (d) values loaded from the persistent cache -------------------------------------------------
def test_values_loaded_from_disk_are_verified_on_first_use(hidden, monkeypatch, tmp_path):
    ip = hidden
    ip.ok(f"%hamilton_cache on {tmp_path}")
    ip.ok("%hamilton_reset --cache\n%hamilton_execute --all")  # computed, and written to disk
    session().engine.persistent.flush()
    ip.ok("%hamilton_reset")  # a restart: the code again, the values from disk
    ip.ok(CELLS)
    ip.ok("%hamilton_inputs x=x")
    monkeypatch.setenv("HNB_K", "4")  # the hidden state is not what it was
    counted = ip.counted("%hamilton_execute out after -v")
    result = ip.ok("%hamilton_execute out after").value
    assert result["out"].tolist() == [8.0, 16.0, 24.0]  # not the wrong value from disk
    loaded = session().verification.loaded
    assert {"base", "out"} <= set(loaded.checked) and [m.node for m in loaded.mismatches] == ["out"]
    assert counted["out"] == 2 and counted["after"] >= 1  # verified (differs), then computed again
    assert SENTENCE in ip.ok("%hamilton_status").out
    session().engine.persistent.flush()
    ip.ok("%hamilton_reset")
    ip.ok(CELLS)
    ip.ok("%hamilton_inputs x=x")
    assert ip.ok("%hamilton_execute out").value["out"].tolist() == [8.0, 16.0, 24.0]  # the right one on disk
    assert session().verification.loaded.ok
    session().disable_persistent_cache()


def test_slow_values_loaded_from_disk_are_noted_not_verified(ip, tmp_path):
    ip.ok("import time")
    ip.ok('''
        %%hamilton slow
        def slow(x: int) -> int:
            calls.hit()
            time.sleep(0.08)
            return x + 1
        ''')
    ip.ok(f"%hamilton_cache on {tmp_path}\n%hamilton_inputs x=1\n%hamilton_execute slow")
    session().engine.persistent.flush()
    ip.ok("%hamilton_reset")
    ip.ok("%%hamilton slow\ndef slow(x: int) -> int:\n    calls.hit()\n    time.sleep(0.08)\n    return x + 1")
    ip.ok("%hamilton_inputs x=1")
    assert ip.counted("%hamilton_execute slow") == {}  # loaded, not computed, not verified
    loaded = session().verification.loaded
    assert loaded.checked == {} and "took over 50.0 ms to compute" in loaded.skipped["slow"]
    assert "took over 50.0 ms" in ip.ok("%hamilton_verify").out
    session().disable_persistent_cache()


# ---- idle mode in a real kernel ---------------------------------------------------------------------
def test_idle_mode_in_a_real_jupyter_kernel():
    """The kernel's event loop runs slices between cells; the next %hamilton_status shows the finding."""
    manager = pytest.importorskip("jupyter_client.manager")
    km, kc = manager.start_new_kernel(kernel_name="python3")

    def run(code: str) -> str:
        out = []

        def hook(msg):
            content = msg["content"]
            if msg["msg_type"] == "stream":
                out.append(content["text"])
            elif msg["msg_type"] in ("execute_result", "display_data"):
                out.append(content["data"].get("text/plain", ""))
            elif msg["msg_type"] == "error":
                out.append(f"ERROR {content['ename']}: {content['evalue']}")
        kc.execute_interactive(code, output_hook=hook, timeout=60)
        return "".join(out)

    try:
        assert "ERROR" not in run("%load_ext hamilton_nb\nimport os, functools, pandas as pd\n"
                                  "os.environ['HNB_K'] = '2'\n"
                                  "functools._hnb_hidden_k = lambda: float(os.environ['HNB_K'])\n"
                                  "from hamilton_nb.execution import verification\n"
                                  "verification.IDLE_START = 0.05")
        run(CELLS.replace("calls.hit()", "pass"))
        run("%hamilton_inputs x=pd.Series([1.0, 2.0])\n%hamilton_execute --all")
        assert run("%hamilton_verify --idle").startswith("Idle verification on")
        time.sleep(1.0)  # the kernel idles: a pass over the four nodes, all match
        run("os.environ['HNB_K'] = '5'")
        time.sleep(1.5)  # idle again: the next pass finds `out`
        status = run("%hamilton_status")
        assert SENTENCE in status and "now stale (the next execute recomputes them): out, after" in status
        assert "1 differed" in run("%hamilton_verify --idle off")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
