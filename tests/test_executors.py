"""Executors (local, threads, Dask), polars results, missing-extra hints and progress.

The Dask tests run on a real ``LocalCluster`` with 2 single-threaded worker processes,
started once for this module.
"""
from __future__ import annotations

import importlib.util
import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import hamilton_nb
from hamilton_nb import driver
from hamilton_nb.errors import MissingDependency, NodeExecutionError, ResultError
from hamilton_nb.execution import DaskExecutor, LocalExecutor, ThreadExecutor
from hamilton_nb.errors import Interrupted
from hamilton_nb.execution.report import format_seconds
from hamilton_nb.notebook import progress
from hamilton_nb.session import Session

from dask_cluster import local_client
from ipython_shell import ip  # noqa: F401  (fixture)

distributed = pytest.importorskip("distributed")
pl = pytest.importorskip("polars")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("_seed_generate", ROOT / "benchmarks" / "generate.py")
G = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = G  # dataclasses look their module up
_spec.loader.exec_module(G)

SEED = G.generate(seed=7, n_features=200)
INPUTS = G.make_inputs(n_rows=300)


@pytest.fixture(scope="module")
def client():
    with local_client(processes=True) as client:
        yield client


EXECUTORS = ["local", "threads", "dask"]


def make_executor(kind, client):
    return {"local": LocalExecutor, "threads": lambda: ThreadExecutor(4),
            "dask": lambda: DaskExecutor(client)}[kind]()


def seed_session(executor, edit: int = 0) -> Session:
    session = Session()
    session.executor = executor
    session.register_cell(SEED.features_source(), "features", {"__name__": "seed_features"})
    session.register_cell(SEED.edit_source(edit), "edit_me", {"__name__": "seed_edit"})
    session.set_inputs(INPUTS)
    return session


def cell(session: Session, source: str, module: str = "cell") -> None:
    session.register_cell(textwrap.dedent(source), module, {"__name__": f"test_{module}"})


# ---- same results, same staleness -------------------------------------------------------------
def test_seed_module_gives_identical_results_and_staleness_on_every_executor(client):
    outputs = SEED.names
    expected = {}
    for kind in EXECUTORS:
        session = seed_session(make_executor(kind, client))
        first = session.execute(outputs)
        assert len(session.last_report.computed) == len(outputs), kind
        assert session.execute(outputs).equals(first) and not session.last_report.computed, kind
        session.register_cell(SEED.edit_source(1), "edit_me", {"__name__": "seed_edit"})
        edited = session.execute(outputs)
        stale = {SEED.edit_target, *session.graph.downstream_of(SEED.edit_target)}
        assert set(session.last_report.computed) == stale, kind  # only stale nodes were submitted
        assert len(session.last_report.cached) == len(outputs) - len(stale)
        assert {session.states()[n] for n in outputs} == {"fresh"}
        expected.setdefault("first", first)
        expected.setdefault("edited", edited)
        pd.testing.assert_frame_equal(first, expected["first"])
        pd.testing.assert_frame_equal(edited, expected["edited"])
    assert not expected["first"].equals(expected["edited"])


def test_dask_runs_branches_on_both_workers_and_reuses_cached_values(client):
    session = Session()
    session.register_cell("import os\nimport time\nimport pandas as pd\n\n"
                          "def base(x: pd.Series) -> pd.Series:\n    return x + 1\n\n" + "\n".join(
                              # on the input, which every worker holds: no data pulls them to one worker
                              f"def pid_{i}(x: pd.Series) -> int:\n    time.sleep(0.3)\n    return os.getpid()\n"
                              for i in range(6)), "branches", {"__name__": "test_branches"})
    session.set_inputs(x=pd.Series([1.0, 2.0]))
    executor = DaskExecutor(client)
    pids = [f"pid_{i}" for i in range(6)]
    out = session.execute(["base", *pids], executor=executor, result="dict")
    del out["base"]
    assert set(out.values()) == set(client.run(os.getpid).values())  # branches ran on both workers
    session.register_cell("import pandas as pd\n\ndef more(base: pd.Series) -> pd.Series:\n"
                          "    return base * 10\n", "more", {"__name__": "test_more"})
    assert session.execute(["more"], executor=executor)["more"].tolist() == [20.0, 30.0]
    assert session.last_report.cached == ["base"] and list(session.last_report.computed) == ["more"]


# ---- errors -----------------------------------------------------------------------------------
FAILING = """
    import pandas as pd

    def good(x: pd.Series) -> pd.Series:
        return x * 2

    def _helper(v):
        return v["missing"]

    def bad(good: pd.Series) -> pd.Series:
        lookup = {"present": 1}
        return good + _helper(lookup)

    def after(bad: pd.Series) -> pd.Series:
        return bad + 1
    """


@pytest.mark.parametrize("kind", EXECUTORS)
def test_failing_node_is_reported_with_its_name_and_user_frames(kind, client):
    session = Session()
    session.executor = make_executor(kind, client)
    cell(session, FAILING)
    session.set_inputs(x=pd.Series([1.0, 2.0]))
    with pytest.raises(NodeExecutionError) as caught:
        session.execute(["after"])
    error = caught.value
    assert error.node == "bad"
    assert "`bad` (module `cell`) raised KeyError: 'missing'" in str(error)
    tb = error.user_traceback
    assert "in bad" in tb and "return good + _helper(lookup)" in tb  # the user's frames, with source
    assert "in _helper" in tb and 'return v["missing"]' in tb
    assert "executor.py" not in tb and "executors.py" not in tb and "engine.py" not in tb and "distributed" not in tb
    states = session.states()
    assert states["good"] == "fresh" and states["bad"] == "error" and states["after"] == "not computed"
    assert not session.engine.running
    cell(session, FAILING.replace('v["missing"]', 'v["present"]'))
    assert session.execute(["after"])["after"].tolist() == [4.0, 6.0]
    assert set(session.last_report.computed) == {"bad", "after"}


def test_dask_ships_code_of_modules_workers_cannot_import(client, make_module):
    module = make_module("not_on_worker_path", """
        import pandas as pd

        def doubled(x: pd.Series) -> pd.Series:
            return x * 2

        def broken(doubled: pd.Series) -> pd.Series:
            return doubled / undefined_name
        """)
    dr = driver.Driver({"x": pd.Series([1.0, 2.0])}, module, executor=DaskExecutor(client))
    assert dr.execute(["doubled"])["doubled"].tolist() == [2.0, 4.0]
    with pytest.raises(NodeExecutionError) as caught:
        dr.execute(["broken"])
    assert caught.value.node == "broken"
    assert "not_on_worker_path.py" in caught.value.user_traceback
    assert "return doubled / undefined_name" in caught.value.user_traceback


def test_code_shipped_by_value_carries_the_globals_it_reads_now(client, make_module):
    module = make_module("rates_not_on_worker_path", """
        RATE = 2

        def rated(x: int) -> int:
            return x * RATE
        """)
    dr = driver.Driver({"x": 10}, module, executor=DaskExecutor(client))
    assert dr.execute(["rated"])["rated"].tolist() == [20]
    module.RATE = 3  # the pickle of `rated` sent before holds RATE = 2
    assert dr.execute(["rated"])["rated"].tolist() == [30]


def test_mutating_an_input_on_a_worker_is_caught(client):
    session = Session()
    session.executor = DaskExecutor(client)
    cell(session, """
        import pandas as pd

        def base(x: pd.Series) -> pd.Series:
            return x + 1

        def sneaky(base: pd.Series) -> pd.Series:
            base.iloc[0] = 100.0
            return base
        """)
    session.set_inputs(x=pd.Series([1.0, 2.0]))
    with pytest.raises(NodeExecutionError, match="modified one of its inputs in place"):
        session.execute(["sneaky"])
    assert session.execute(["base"])["base"].tolist() == [2.0, 3.0]


# ---- Ctrl-C -------------------------------------------------------------------------------------
SLOW = """
    import time
    import pandas as pd

    def quick(x: pd.Series) -> pd.Series:
        return x + 1
    """ + "".join(f"""
    def slow_{i}(quick: pd.Series) -> pd.Series:
        time.sleep(3.0)
        return quick * {i}
    """ for i in range(4))


@pytest.mark.parametrize("kind", ["threads", "dask"])
def test_ctrl_c_cancels_outstanding_work_and_keeps_the_session_consistent(kind, client):
    session = Session()
    session.executor = make_executor(kind, client)
    cell(session, SLOW)
    session.set_inputs(x=pd.Series([1.0, 2.0]))
    session.execute(["quick"])
    outputs = [f"slow_{i}" for i in range(4)]
    pressed = []

    def press_ctrl_c_once_slow_nodes_run():  # not after a fixed delay: a loaded machine is slow
        deadline = time.perf_counter() + 30
        while not any(n.startswith("slow_") for n in list(session.engine.running)):
            if time.perf_counter() > deadline:
                return
            time.sleep(0.01)
        pressed.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c_once_slow_nodes_run, daemon=True)
    presser.start()
    with pytest.raises(Interrupted, match="Interrupted while computing `slow_"):
        session.execute(outputs)
    presser.join()
    assert time.perf_counter() - pressed[0] < 2.5  # did not wait for the running nodes (3 s each)
    assert not session.engine.running
    states = session.states()
    assert states["quick"] == "fresh" and {states[n] for n in outputs} == {"not computed"}
    if kind == "dask":
        time.sleep(0.3)
        assert not any(client.processing().values())  # outstanding tasks were cancelled
    frame = session.execute(outputs)
    assert frame["slow_3"].tolist() == [6.0, 9.0]
    assert sorted(session.last_report.computed) == outputs


# ---- polars ----------------------------------------------------------------------------------------
POLARS = """
    import pandas as pd
    import polars as pl

    def doubled(x: pd.Series) -> pd.Series:
        return x * 2

    def tripled(x: pd.Series) -> pl.Series:
        return pl.Series(x.to_numpy() * 3)

    def total(doubled: pd.Series, tripled: pl.Series) -> float:
        return float(doubled.sum() + tripled.sum())

    def short(x: pd.Series) -> pl.Series:
        return pl.Series([1.0])
    """


@pytest.mark.parametrize("kind", EXECUTORS)
def test_polars_result_combines_polars_and_pandas_series(kind, client):
    session = Session()
    cell(session, POLARS)
    index = pd.date_range("2024-01-07", periods=3, freq="W-SUN", name="week")
    session.set_inputs(x=pd.Series([1.0, 2.0, 3.0], index=index))
    frame = session.execute(["doubled", "tripled", "total"], result="polars",
                            executor=make_executor(kind, client))
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns == ["week", "doubled", "tripled", "total"]  # the pandas index leads
    assert frame["doubled"].to_list() == [2.0, 4.0, 6.0]
    assert frame["tripled"].to_list() == [3.0, 6.0, 9.0]
    assert frame["total"].to_list() == [30.0] * 3
    assert frame["week"].to_list() == list(index.to_pydatetime())


def test_polars_length_mismatch_names_the_nodes():
    session = Session()
    cell(session, POLARS)
    session.set_inputs(x=pd.Series([1.0, 2.0, 3.0]))
    with pytest.raises(ResultError) as caught:
        session.execute(["doubled", "tripled", "short"], result="polars")
    message = str(caught.value)
    assert "`doubled`, `tripled`: 3 rows" in message and "`short`: 1 rows" in message
    assert "Fix:" in message


def test_driver_polars_result(make_module):
    module = make_module("polars_nodes", POLARS)
    dr = driver.Driver({"x": pd.Series([1.0, 2.0, 3.0])}, module, result="polars", executor="threads")
    frame = dr.execute(["doubled", "tripled"])
    assert isinstance(frame, pl.DataFrame) and frame.columns == ["doubled", "tripled"]
    assert isinstance(dr.executor, ThreadExecutor)
    with pytest.raises(ValueError, match="executor must be one of"):
        driver.Driver({}, module, executor="spark")


# ---- missing extras -------------------------------------------------------------------------------
def test_without_dask_and_polars_everything_else_works_and_asking_explains_the_extra(tmp_path):
    (tmp_path / "nodes.py").write_text("import pandas as pd\n\ndef y(x: pd.Series) -> pd.Series:\n"
                                       "    return x + 1\n")
    script = textwrap.dedent("""
        import sys
        for name in ("dask", "distributed", "polars", "pyarrow"):
            sys.modules[name] = None  # as if not installed
        import pandas as pd
        import hamilton_nb
        from hamilton_nb import driver
        from hamilton_nb.errors import MissingDependency
        import nodes

        config = {"x": pd.Series([1.0, 2.0])}
        assert driver.Driver(config, nodes).execute(["y"])["y"].tolist() == [2.0, 3.0]
        assert driver.Driver(config, nodes, executor="threads").execute(["y"])["y"].tolist() == [2.0, 3.0]
        for kwargs in ({"executor": "dask"}, {"result": "polars"}):
            try:
                driver.Driver(config, nodes, **kwargs)
            except MissingDependency as exc:
                print(exc)
            else:
                raise AssertionError(kwargs)
        session = hamilton_nb.get_session()
        session.register_functions("nodes", [nodes.y])
        try:
            session.execute(["y"], inputs=config, result="polars")
        except ImportError as exc:
            print(exc)
        print("ok")
        """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "The Dask executor needs `distributed`, which is not installed." in out
    assert "Fix: pip install 'hamilton_nb[dask]'" in out
    assert out.count("Fix: pip install 'hamilton_nb[polars]'") == 2
    assert out.rstrip().endswith("ok")


def test_missing_dependency_is_an_import_error():
    assert issubclass(MissingDependency, ImportError)


# ---- progress ----------------------------------------------------------------------------------------
def many(n: int) -> str:
    return "import pandas as pd\n\ndef n_0(x: pd.Series) -> pd.Series:\n    return x + 1\n" + "".join(
        f"\ndef n_{i}(n_{i - 1}: pd.Series) -> pd.Series:\n    return n_{i - 1} + 1\n" for i in range(1, n))


def test_progress_line_in_a_terminal_only_for_bigger_runs():
    session = Session()
    session.register_cell(many(30), "chain", {"__name__": "test_chain"})
    session.set_inputs(x=pd.Series([1.0]))
    stream = io.StringIO()
    with progress.attached(session.engine, mode="text", stream=stream) as shown:
        session.execute(["n_4"])  # 5 nodes: no progress
        assert stream.getvalue() == "" and not shown.shown
        session.execute(["n_29"])  # 25 more nodes
    text = stream.getvalue()
    assert text.startswith("\rhamilton_nb: [") and "/25 nodes" in text
    # the final line gives the execute's total time, as its report (and -v) does
    total = format_seconds(session.last_report.seconds)
    assert text.endswith(f"\rhamilton_nb: done, 25/25 nodes in {total}\n")
    assert session.engine.listeners == []


def test_progress_appears_when_a_run_takes_long(client):
    session = Session()
    cell(session, "import time\nimport pandas as pd\n" + "".join(
        f"\ndef s_{i}(x: pd.Series) -> pd.Series:\n    time.sleep(0.3)\n    return x\n" for i in range(5)))
    session.set_inputs(x=pd.Series([1.0]))
    stream = io.StringIO()
    with progress.attached(session.engine, mode="text", stream=stream, min_seconds=0.5):
        session.execute([f"s_{i}" for i in range(5)])
    assert "hamilton_nb: done, 5/5 nodes" in stream.getvalue()


@pytest.mark.parametrize("kind", ["local", "threads", "dask"])
def test_magic_shows_progress_text_in_a_terminal_shell(ip, capsys, kind, client, monkeypatch):  # noqa: F811
    if kind == "dask":
        monkeypatch.setattr(distributed, "default_client", lambda: client)
    ip.ok("%%hamilton chain\n" + many(25))
    ip.ok("import pandas as pd\nx = pd.Series([1.0, 2.0])")
    ip.ok("%hamilton_inputs x=x")
    capsys.readouterr()
    ran = ip.ok(f"%hamilton_execute n_24 --executor {kind}")
    assert ran.value["n_24"].tolist() == [26.0, 27.0]
    err = capsys.readouterr().err
    assert "hamilton_nb: done, 25/25 nodes" in err
    ip.ok(f"%hamilton_execute n_24 --executor {kind} --no-progress -v")
    assert capsys.readouterr().err == ""


def test_magic_shows_an_ipywidgets_progress_bar_in_a_notebook(ip, monkeypatch):  # noqa: F811
    import ipywidgets

    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(progress, "last", None)
    ip.ok("%%hamilton chain\n" + many(25))
    ip.ok("import pandas as pd\nx = pd.Series([1.0, 2.0])")
    ip.ok("%hamilton_inputs x=x")
    result = ip.ok("%hamilton_execute n_24 --polars").value
    assert isinstance(result, pl.DataFrame)
    shown = progress.last
    assert isinstance(shown.bar, ipywidgets.IntProgress)
    assert shown.bar.value == shown.bar.max == 25 and shown.bar.bar_style == "success"
    total = format_seconds(hamilton_nb.get_session().last_report.seconds)
    assert shown.label.value == f"hamilton_nb: done, 25/25 nodes in {total}"


def test_progress_bar_and_verbose_report_give_the_same_total_time(ip, monkeypatch):  # noqa: F811
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(progress, "last", None)
    ip.ok("%%hamilton chain\n" + many(25))
    ip.ok("%hamilton_inputs x=pd.Series([1.0, 2.0])")
    out = ip.ok("%hamilton_execute n_24 -v").out
    header = next(line for line in out.splitlines() if line.startswith("25 computed"))
    total = header.rsplit(" in ", 1)[1]
    assert progress.last.label.value.endswith(f" in {total}")


def test_driver_in_ipython_shows_progress(ip, make_module, capsys):  # noqa: F811
    module = make_module("chain_nodes", many(25))
    dr = driver.Driver({"x": pd.Series([1.0])}, module)
    capsys.readouterr()
    dr.execute(["n_24"])
    assert "hamilton_nb: done, 25/25 nodes" in capsys.readouterr().err
    assert dr.engine.listeners == []


# ---- settings --------------------------------------------------------------------------------------
def test_session_executor_setting_survives_reset_and_magic_option_is_per_call(ip):  # noqa: F811
    import hamilton_nb

    session = hamilton_nb.get_session()
    session.executor = "threads"
    session.reset()
    assert isinstance(session.executor, ThreadExecutor)
    ip.ok("%%hamilton chain\n" + many(3))
    ip.ok("%hamilton_inputs x=pd.Series([1.0])")
    assert ip.ok("%hamilton_execute n_2 --executor local --dict").value["n_2"].tolist() == [4.0]
    assert isinstance(session.executor, ThreadExecutor)
    session.executor = "local"
    with pytest.raises(ValueError, match="executor must be one of"):
        session.executor = "gpu"


def test_the_final_line_replaces_the_bar_so_a_saved_notebook_shows_text(ip, monkeypatch):  # noqa: F811
    """The bar's display is updated to the final line (what nbconvert and JupyterLab then save),
    never left as the widget's raw form ``HBox(children=(IntProgress(...``."""
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(progress, "last", None)
    published = []
    publisher = ip.shell.display_pub
    original = publisher.publish
    monkeypatch.setattr(publisher, "publish", lambda data, *args, **kwargs: (
        published.append((data, kwargs.get("update", False))), original(data, *args, **kwargs))[1])
    ip.ok("%%hamilton chain\n" + many(25))
    ip.ok("%hamilton_inputs x=pd.Series([1.0, 2.0])")
    ip.ok("%hamilton_execute n_24")
    updates = [data for data, update in published if update]
    assert updates and updates[-1] == {"text/plain": progress.last.label.value}
    assert updates[-1]["text/plain"].startswith("hamilton_nb: done, 25/25 nodes in ")
