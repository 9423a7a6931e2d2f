"""Parallelizable[...] / Collect[...] blocks: the values Apache Hamilton gives, cached per item."""
from __future__ import annotations

import contextlib

import pandas as pd
import pytest

from apache_hamilton import hamilton_driver
from hamilton_nb import driver as our_driver
from hamilton_nb.errors import GraphError, InputError, NodeExecutionError
from hamilton_nb.graph.parallel import roles
from ipython_shell import ip  # noqa: F401  (fixture)

MINIMAL = '''
from hamilton.htypes import Parallelizable, Collect


def item(n: int) -> Parallelizable[int]:
    yield from range(n)


def squared(item: int) -> int:
    return item ** 2


def total(squared: Collect[int]) -> int:
    return sum(squared)
'''
NATIVE = MINIMAL.replace("from hamilton.htypes import", "from hamilton_nb.htypes import")

FILES = '''
import os
from hamilton.htypes import Parallelizable, Collect


def path(folder: str) -> Parallelizable[str]:
    for name in sorted(os.listdir(folder)):
        yield os.path.join(folder, name)


def text(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def word_count(text: str) -> int:
    return len(text.split())


def words_per_file(word_count: Collect[int]) -> list:
    return list(word_count)
'''

TWO_STEP = '''
from hamilton.htypes import Parallelizable, Collect


def scale(factor: float) -> float:
    return factor * 2


def reading(count: int) -> Parallelizable[int]:
    for i in range(count):
        yield i + 1


def shifted(reading: int, scale: float) -> float:
    return reading * scale


def squared_shift(shifted: float) -> float:
    return shifted ** 2


def summary(squared_shift: Collect[float], scale: float) -> float:
    return sum(squared_shift) + scale
'''

FRAMES = '''
import pandas as pd
from hamilton.htypes import Parallelizable, Collect


def base(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"x": range(rows)})


def region(regions: list) -> Parallelizable[str]:
    yield from regions


def region_frame(region: str, base: pd.DataFrame) -> pd.DataFrame:
    return base.assign(region=region, value=base["x"] * len(region))


def combined(region_frame: Collect[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(region_frame, ignore_index=True)
'''


def _ours(module, config, **options):
    return our_driver.Driver(config, module, result="dict", **options)


def test_minimal_block_through_the_driver(make_module):
    assert _ours(make_module("par_min", MINIMAL), {"n": 4}).execute(["total"])["total"] == 14


def test_native_htypes_give_the_same(make_module):
    dr = our_driver.Driver({"n": 4}, make_module("par_native", NATIVE))
    assert dr.execute(["total"])["total"].iloc[0] == 14


def test_minimal_block_through_the_builder(make_module):
    module = make_module("par_builder", MINIMAL)
    dr = our_driver.Builder().with_modules(module).with_config({"n": 4}) \
        .enable_dynamic_execution(allow_experimental_mode=True).build()
    out = dr.execute(["total"])
    assert (out["total"] if isinstance(out, dict) else out["total"].iloc[0]) == 14


def test_minimal_block_in_a_hamilton_cell(ip):
    ip.ok("%%hamilton fan\n" + NATIVE)
    ip.ok("%hamilton_inputs n=4")
    assert ip.ok("%hamilton_execute total --dict").value["total"] == 14


def test_asking_for_a_branch_node_is_refused_naming_the_collect_node(make_module):
    dr = _ours(make_module("par_refuse", MINIMAL), {"n": 4})
    with pytest.raises(InputError) as info:
        dr.execute(["squared"])
    assert "`squared`" in str(info.value) and "`total`" in str(info.value) and "Fix:" in str(info.value)
    assert dr.execute(["item"])["item"] == [0, 1, 2, 3]  # the Parallelizable node: its items


def test_a_failing_branch_names_the_node_and_the_item(make_module):
    module = make_module("par_fail", MINIMAL.replace("return item ** 2", "return 10 // (item - 2)"))
    with pytest.raises(NodeExecutionError) as info:
        _ours(module, {"n": 4}).execute(["total"])
    assert "`squared`" in str(info.value) and "item 2" in str(info.value)
    assert "ZeroDivisionError" in str(info.value)


def test_an_empty_block_collects_an_empty_list(make_module):
    assert _ours(make_module("par_empty", MINIMAL), {"n": 0}).execute(["total"])["total"] == 0


# ---- the same values as Apache Hamilton, node by node ------------------------------------------
def _files(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i, text in enumerate(["one two", "three four five", "", "six"]):
        (folder / f"{i}.txt").write_text(text)
    return {"folder": str(folder)}


CASES = {
    "minimal": (MINIMAL, lambda _: {"n": 5}),
    "files": (FILES, _files),
    "two_step": (TWO_STEP, lambda _: {"factor": 1.5, "count": 4}),
    "frames": (FRAMES, lambda _: {"rows": 3, "regions": ["north", "south", "east"]}),
}


def _same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    else:
        assert list(a) == list(b) if isinstance(a, list) else a == b


@pytest.mark.skipif(hamilton_driver is None, reason="Apache Hamilton is not installed")
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning")
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_node_equals_apache_hamiltons(case, make_module, tmp_path):
    source, make_inputs = CASES[case]
    module = make_module(f"par_{case}", source)
    inputs = make_inputs(tmp_path)
    theirs = hamilton_driver.Builder().with_modules(module) \
        .enable_dynamic_execution(allow_experimental_mode=True).build()
    ours = _ours(module, inputs)
    theirs_roles = {n.name: n.node_role.name for n in theirs.graph.get_nodes()}
    assert {"EXPAND", "COLLECT"} <= set(theirs_roles.values())
    branch = {n for n, role in roles(ours.graph).items() if role.kind == "branch"}
    for name in sorted(n for n, r in theirs_roles.items() if r != "EXTERNAL" and n not in branch):
        _same(ours.execute([name])[name], theirs.execute([name], inputs=inputs)[name])


# ---- caching: one item is one unit ------------------------------------------------------------
COUNTED = '''
%%hamilton fan
from hamilton_nb.htypes import Parallelizable, Collect

def offset(shift: int) -> int:
    return shift * 10

def item(values: list) -> Parallelizable[int]:
    yield from values

def squared(item: int) -> int:
    calls.hit()
    return item ** 2

def moved(squared: int, offset: int) -> int:
    calls.hit()
    return squared + offset

def total(moved: Collect[int]) -> int:
    calls.hit()
    return sum(moved)
'''


def test_changing_one_item_recomputes_one_branch(ip):
    ip.ok(COUNTED)
    ip.ok("values = list(range(100))")
    ip.ok("%hamilton_inputs values=values shift=1")
    ran = ip.counted("out = %hamilton_execute total --dict")
    assert ran == {"squared": 100, "moved": 100, "total": 1}
    assert ip.ns["out"]["total"] == sum(i * i + 10 for i in range(100))
    ip.ok("values = list(range(100)); values[7] = 1000")
    ip.ok("%hamilton_inputs values=values shift=1")
    ran = ip.counted("out = %hamilton_execute total --dict")
    assert ran == {"squared": 1, "moved": 1, "total": 1}
    assert ip.ns["out"]["total"] == sum(i * i + 10 for i in range(100)) - 49 + 1000 ** 2
    assert ip.counted("%hamilton_execute total --dict") == {}


def test_editing_a_branch_function_recomputes_every_branch(ip):
    ip.ok(COUNTED)
    ip.ok("%hamilton_inputs values=[1,2,3] shift=0")
    ip.ok("%hamilton_execute total --dict")
    ip.ok(COUNTED.replace("return squared + offset", "return squared + offset + 1"))
    ran = ip.counted("out = %hamilton_execute total --dict")
    assert ran == {"moved": 3, "total": 1}  # `squared` of each item is unchanged: reused
    assert ip.ns["out"]["total"] == 14 + 3


def test_an_ordinary_input_of_a_branch_recomputes_every_branch(ip):
    ip.ok(COUNTED)
    ip.ok("%hamilton_inputs values=[1,2,3] shift=0")
    ip.ok("%hamilton_execute total --dict")
    ip.ok("%hamilton_inputs values=[1,2,3] shift=2")
    assert ip.counted("out = %hamilton_execute total --dict") == {"moved": 3, "total": 1}
    assert ip.ns["out"]["total"] == 14 + 60


# ---- executors ----------------------------------------------------------------------------------
def test_threads_give_the_same_values(make_module):
    module = make_module("par_threads", FRAMES)
    inputs = {"rows": 3, "regions": ["north", "south", "east"]}
    _same(_ours(module, inputs, executor="threads").execute(["combined"])["combined"],
          _ours(module, inputs).execute(["combined"])["combined"])


RENDEZVOUS = '''
import threading

PAIR = threading.Barrier(2, timeout=60)


def meet() -> None:
    """Returns only once another thread has arrived too."""
    PAIR.wait()
'''

PAIRED = MINIMAL.replace("def squared(item: int) -> int:\n", "import par_rendezvous\n\n\n"
                         "def squared(item: int) -> int:\n    par_rendezvous.meet()\n")


def test_threads_run_the_items_of_a_branch_node_side_by_side(make_module):
    make_module("par_rendezvous", RENDEZVOUS)
    module = make_module("par_paired", PAIRED)
    # Each item waits for another to arrive: run one after another, the first would wait in vain.
    assert _ours(module, {"n": 4}, executor="threads").execute(["total"])["total"] == 14


def _one_changed_item_recomputes_one_branch(dr, calls, first=contextlib.nullcontext()) -> None:
    """40 items through `squared` and `moved`: all computed once (inside ``first``); one changed
    item recomputes its branch only; an ordinary input every branch."""
    values = list(range(40))
    expected = sum(i * i + 10 for i in range(40))
    with first:
        assert dr.execute(["total"], inputs={"values": values})["total"] == expected
    assert sorted(set(calls)) == ["moved", "squared", "total"] and len(calls) == 81
    calls.clear()
    values[7] = 1000
    assert dr.execute(["total"], inputs={"values": values})["total"] == expected - 49 + 1000 ** 2
    assert calls == ["squared", "moved", "total"]
    calls.clear()
    dr.execute(["total"], inputs={"values": values, "shift": 2})  # an ordinary input: every branch
    assert calls.count("moved") == 40 and "squared" not in calls


def test_threads_reuse_the_unchanged_items(make_module, calls):
    module = make_module("par_threads_items", COUNTED_MODULE)
    _one_changed_item_recomputes_one_branch(_ours(module, {"shift": 1}, executor="threads"), calls)


def test_on_threads_a_failing_item_names_the_node_and_the_item(make_module):
    module = make_module("par_threads_fail", MINIMAL.replace("return item ** 2", "return 1 // (item - 2)"))
    dr = _ours(module, {"n": 4}, executor="threads")
    with pytest.raises(NodeExecutionError) as info:
        dr.execute(["total"])
    assert "`squared`" in str(info.value) and "item 2" in str(info.value)
    assert dr.execute(["total"], inputs={"n": 2})["total"] == -2  # items 0 and 1 alone: 1 // -2 + 1 // -1


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_dask_gives_the_same_values(processes, make_module, tmp_path):
    pytest.importorskip("distributed")
    from dask_cluster import local_client, workers_import
    from hamilton_nb.execution import DaskExecutor

    module = make_module("par_dask", TWO_STEP)
    inputs = {"factor": 1.5, "count": 4}
    expected = _ours(module, inputs).execute(["summary"])["summary"]
    with local_client(processes) as client:
        if processes:
            workers_import(client, tmp_path, "par_dask")
        dr = _ours(module, inputs, executor=DaskExecutor(client))
        assert dr.execute(["summary"])["summary"] == expected


def test_a_block_without_its_collect_node_yet_stops_only_what_needs_it(make_module):
    module = make_module("par_open", MINIMAL.replace("def total(squared: Collect[int])", "def total(squared: int)")
                         + "\n\ndef other(n: int) -> int:\n    return n + 1\n")
    dr = _ours(module, {"n": 4})
    assert dr.execute(["other"])["other"] == 5
    with pytest.raises(GraphError) as info:
        dr.execute(["total"])
    assert "`squared`" in str(info.value) and "`item`" in str(info.value) and "Collect[...]" in str(info.value)
    assert "Fix:" in str(info.value)


# ---- Dask: each item its own task, unchanged items reused -------------------------------------
COUNTED_MODULE = "from modules import calls\n" + COUNTED.split("\n", 2)[2]


def _item_tasks(stream) -> list[str]:
    return [task["key"] for task in stream.data if "-item-" in str(task["key"])]


def test_on_dask_each_item_is_a_task_and_one_changed_item_recomputes_one(make_module, calls):
    pytest.importorskip("distributed")
    from distributed import get_task_stream

    from dask_cluster import local_client
    from hamilton_nb.execution import DaskExecutor

    module = make_module("par_dask_items", COUNTED_MODULE)
    with local_client(processes=False) as client:
        dr = _ours(module, {"shift": 1}, executor=DaskExecutor(client, ship_code=False))  # calls: this log
        stream = get_task_stream(client)
        _one_changed_item_recomputes_one_branch(dr, calls, first=stream)
        assert len(_item_tasks(stream)) == 2 * 40  # `squared` and `moved` of each item: one task each


def test_on_dask_a_failing_item_names_the_node_and_the_item(make_module):
    pytest.importorskip("distributed")
    from dask_cluster import local_client
    from hamilton_nb.execution import DaskExecutor

    module = make_module("par_dask_fail", MINIMAL.replace("return item ** 2", "return 1 // (item - 2)"))
    with local_client(processes=False) as client:
        dr = _ours(module, {"n": 4}, executor=DaskExecutor(client))
        with pytest.raises(NodeExecutionError) as info:
            dr.execute(["total"])
    assert "`squared`" in str(info.value) and "item 2" in str(info.value)


def test_on_dask_worker_processes_reuse_unchanged_items(make_module, tmp_path):
    pytest.importorskip("distributed")
    from distributed import get_task_stream

    from dask_cluster import local_client, workers_import
    from hamilton_nb.execution import DaskExecutor

    module = make_module("par_dask_procs", TWO_STEP)
    with local_client(processes=True) as client:
        workers_import(client, tmp_path, "par_dask_procs")
        dr = _ours(module, {"factor": 0.5}, executor=DaskExecutor(client))
        with get_task_stream(client) as stream:
            first = dr.execute(["summary"], inputs={"count": 30})["summary"]
        assert len(_item_tasks(stream)) == 2 * 30
        with get_task_stream(client) as stream:  # one more item: only its branch runs (inline)
            second = dr.execute(["summary"], inputs={"count": 31})["summary"]
        assert _item_tasks(stream) == []
    expected = {n: _ours(module, {"factor": 0.5}).execute(["summary"], inputs={"count": n})["summary"]
                for n in (30, 31)}
    assert (first, second) == (expected[30], expected[31])
