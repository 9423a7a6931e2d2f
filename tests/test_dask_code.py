"""Dask workers run the user's code exactly as this process has it.

The workers here import the user's modules themselves (their directory is on the workers'
path, as with a shared ``PYTHONPATH``), so a module edited and reloaded in the notebook is
older on the workers than here: each test checks that premise, then that the nodes computed on
the cluster are computed with the code the notebook has now — the answer of a fresh kernel.
"""
from __future__ import annotations

import importlib
import pickle
import shutil
import sys
import textwrap

import cloudpickle
import pandas as pd
import pytest

from hamilton_nb.errors import NodeExecutionError
from hamilton_nb.execution import DaskExecutor
from hamilton_nb.execution import dask_code
from hamilton_nb.execution.dask_code import CodeNotSent
from hamilton_nb.execution.dask_tasks import opened
from hamilton_nb.session import Session

from dask_cluster import local_client, on_workers, workers_import
from ipython_shell import ip  # noqa: F401  (fixture)

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with local_client(processes=True) as client:
        yield client


class Library:
    """User modules in a directory on this process's path (and, with :meth:`share`, the workers')."""

    def __init__(self, directory, client) -> None:
        self.dir, self.client, self.names = directory, client, []

    def write(self, name: str, source: str) -> None:
        (self.dir / f"{name}.py").write_text(textwrap.dedent(source))
        shutil.rmtree(self.dir / "__pycache__", ignore_errors=True)  # an edit within the same second
        importlib.invalidate_caches()
        self.names.append(name)

    def share(self, *names: str) -> None:
        """The workers import these modules themselves, now (as they are on disk)."""
        workers_import(self.client, self.dir, *names)

    def reload(self, *names: str) -> None:
        for name in names:
            importlib.reload(sys.modules[name])


@pytest.fixture
def lib(tmp_path, client, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    library = Library(tmp_path, client)
    before = cloudpickle.list_registry_pickle_by_value()
    yield library
    for name in library.names:
        sys.modules.pop(name, None)
    assert cloudpickle.list_registry_pickle_by_value() == before  # registered only while pickling


def session_with(client, source: str, namespace: dict, **inputs) -> Session:
    session = Session()
    session.executor = DaskExecutor(client)
    namespace["__name__"] = "test_dask_code_cell"  # the notebook's namespace: later changes count
    session.register_cell(textwrap.dedent(source), "cell", namespace)
    session.set_inputs(**inputs)
    return session


def test_an_edited_and_reloaded_user_module_runs_as_edited_on_the_workers(ip, client, lib):
    lib.write("mylib", "def f(v):\n    return v * 2\n")
    lib.share("mylib")
    default = distributed.Client(client.scheduler.address, set_as_default=True)
    try:
        ip.ok("import importlib\nimport mylib\nx = pd.Series([1.0, 2.0])\n%hamilton_inputs x=x")
        ip.ok("""
            %%hamilton feats
            def spend(x: pd.Series) -> pd.Series:
                return x * 10

            def scaled(spend: pd.Series) -> pd.Series:
                return mylib.f(spend)
            """)
        assert ip.ok("%hamilton_execute scaled --executor dask").value["scaled"].tolist() == [20.0, 40.0]
        lib.write("mylib", "def f(v):\n    return v * 3\n")
        ip.ok("importlib.reload(mylib)")
        assert on_workers(client, "mylib", "mylib.f(1)") == [2, 2]  # the workers' own copy is the old one
        ran = ip.ok("%hamilton_execute scaled --executor dask -v")
        assert ran.value["scaled"].tolist() == [30.0, 60.0]
        assert "1 recomputed: 1 changed" in ran.out
        ip.ok("%hamilton_reset --cache")
        assert ip.ok("%hamilton_execute scaled --executor dask").value["scaled"].tolist() == [30.0, 60.0]
        ip.ok("%hamilton_reset --cache")  # the same notebook computed here, from scratch
        assert ip.ok("%hamilton_execute scaled --executor local").value["scaled"].tolist() == [30.0, 60.0]
    finally:
        default.close()


def test_helper_modules_a_user_module_imports_run_as_edited_too(client, lib):
    lib.write("helper_t", "def g(v):\n    return v * 2\n")
    lib.write("mylib_t", "import helper_t\n\ndef f(v):\n    return helper_t.g(v) + 1\n")
    lib.share("mylib_t")
    import mylib_t

    session = session_with(client, "def out(x: int) -> int:\n    return mylib_t.f(x)\n", {"mylib_t": mylib_t}, x=10)
    assert session.execute(["out"], result="dict") == {"out": 21}
    lib.write("helper_t", "def g(v):\n    return v * 5\n")  # only the helper changes
    lib.reload("helper_t")
    assert on_workers(client, "helper_t", "helper_t.g(1)") == [2, 2]
    assert session.execute(["out"], result="dict") == {"out": 51}
    assert list(session.last_report.computed) == ["out"] and session.changed == {"out": "21 → 51 (Δ +30)"}
    session.reset(cache_only=True)
    assert session.execute(["out"], result="dict") == {"out": 51}


def test_classes_from_user_modules_and_their_instances_run_as_edited(client, lib):
    lib.write("shapes_t", """
        class Scaler:
            def __init__(self, k):
                self.k = k

            def apply(self, v):
                return v * self.k
        """)
    lib.share("shapes_t")
    import shapes_t

    source = """
        def by_class(x: int) -> int:
            return shapes_t.Scaler(2).apply(x)

        def by_instance(x: int) -> int:
            return SCALER.apply(x)

        def by_input(x: int, scaler: object) -> int:
            return scaler.apply(x)
        """
    namespace = {"shapes_t": shapes_t, "SCALER": shapes_t.Scaler(3)}
    session = session_with(client, source, namespace, x=10, scaler=shapes_t.Scaler(4))
    names = ["by_class", "by_instance", "by_input"]
    assert session.execute(names, result="dict") == {"by_class": 20, "by_instance": 30, "by_input": 40}
    lib.write("shapes_t", """
        class Scaler:
            def __init__(self, k):
                self.k = k

            def apply(self, v):
                return v * self.k + 1
        """)
    lib.reload("shapes_t")
    assert on_workers(client, "shapes_t", "shapes_t.Scaler(2).apply(1)") == [2, 2]
    # As a notebook re-run from the top would: the global and the input made again, of the new class.
    namespace["SCALER"] = shapes_t.Scaler(3)
    session.set_inputs(scaler=shapes_t.Scaler(4))
    assert session.execute(names, result="dict") == {"by_class": 21, "by_instance": 31, "by_input": 41}
    assert sorted(session.last_report.computed) == sorted(names)
    session.reset(cache_only=True)
    assert session.execute(names, result="dict") == {"by_class": 21, "by_instance": 31, "by_input": 41}


def test_a_user_module_the_workers_cannot_import_is_sent_to_them(client, lib, tmp_path_factory, monkeypatch):
    elsewhere = tmp_path_factory.mktemp("not_on_worker_path")
    (elsewhere / "private_t.py").write_text("import helper_p\n\ndef f(v):\n    return helper_p.K * v\n")
    (elsewhere / "helper_p.py").write_text("K = 7\n")
    monkeypatch.syspath_prepend(str(elsewhere))
    lib.names += ["private_t", "helper_p"]
    import private_t

    session = session_with(client, "def out(x: int) -> int:\n    return private_t.f(x)\n", {"private_t": private_t},
                           x=3)
    assert session.execute(["out"], result="dict") == {"out": 21}
    assert on_workers(client, "sys", "'private_t' in sys.modules or 'helper_p' in sys.modules") == [False, False]


def test_code_is_pickled_once_per_node_version(client, lib):
    lib.write("once_t", "def f(v):\n    return v + 1\n")
    import once_t

    session = session_with(client, "def out(x: int) -> int:\n    return once_t.f(x)\n", {"once_t": once_t}, x=1)
    assert session.execute(["out"], result="dict") == {"out": 2}
    shipped = session.executor._shipped["out"][2]
    session.reset(cache_only=True)
    assert session.execute(["out"], result="dict") == {"out": 2}
    assert session.executor._shipped["out"][2] is shipped  # same version: the same pickle
    lib.write("once_t", "def f(v):\n    return v + 100\n")
    lib.reload("once_t")
    assert session.execute(["out"], result="dict") == {"out": 101}
    assert session.executor._shipped["out"][2] is not shipped


def test_a_user_module_that_cannot_be_pickled_is_refused_with_the_fix(client, lib):
    lib.write("locked_t", "import threading\n\nLOCK = threading.Lock()\n\ndef f(v):\n    return v + 1\n")
    lib.share("locked_t")
    import locked_t

    session = session_with(client, "def out(x: int) -> int:\n    return locked_t.f(x)\n", {"locked_t": locked_t},
                           x=1)
    with pytest.raises(CodeNotSent) as caught:
        session.execute(["out"])
    message = str(caught.value)
    assert message.startswith("node `out` cannot run on the Dask workers: the user module `locked_t`")
    assert "its global `LOCK` cannot be pickled" in message and "Fix: create `LOCK` inside the function" in message
    session.executor = "local"
    assert session.execute(["out"], result="dict") == {"out": 2}


def test_a_failure_in_a_user_module_shows_its_file_and_line(client, lib):
    lib.write("failing_t", """
        class Rate:
            def apply(self, v):
                return v / undefined_rate

        def f(v):
            return Rate().apply(v) + 1
        """)
    import failing_t

    session = session_with(client, "def out(x: int) -> int:\n    return failing_t.f(x)\n", {"failing_t": failing_t},
                           x=1)
    with pytest.raises(NodeExecutionError) as caught:
        session.execute(["out"])
    shown = caught.value.user_traceback
    assert "failing_t.py\", line 7, in f\n    return Rate().apply(v) + 1" in shown
    assert "failing_t.py\", line 4, in apply\n    return v / undefined_rate" in shown


def test_modules_that_import_each_other_are_pickled_once_and_opened_whole(lib):
    lib.write("cycle_a", "import cycle_b\n\nK = 2\n\ndef f(v):\n    return cycle_b.g(v) * K\n")
    lib.write("cycle_b", "import cycle_a\n\ndef g(v):\n    return v + cycle_a.K\n")
    import cycle_a

    namespace = {"cycle_a": cycle_a, "__name__": "test_dask_code_cell"}
    exec("def first(x):\n    return cycle_a.f(x)\n\ndef second(x):\n    return cycle_a.f(x) + 1\n", namespace)
    modules = dask_code.Modules()
    tasks = [dask_code.dumps(namespace[name], modules) for name in ("first", "second")]
    assert sorted(modules) == ["cycle_a", "cycle_b"]  # pickled once for both tasks
    assert all(sorted(task.modules) == ["cycle_a", "cycle_b"] for task in tasks)
    first, second = (opened(pickle.loads(pickle.dumps(task))) for task in tasks)
    assert (first(1), second(1)) == (6, 7)
    made = first.__globals__["cycle_a"]
    assert made is not cycle_a and made.cycle_b.cycle_a is made  # their own copies, referring to each other
    assert second.__globals__["cycle_a"] is made  # the tasks of an execute share them on a worker
