"""A 1000-item Parallelizable/Collect block: the first execute, a no-op, and one item changed,
locally, on the threads executor and on a Dask LocalCluster (each item its own task on both),
against a plain pandas loop and Apache Hamilton's dynamic execution.

    .venv/bin/python benchmarks/parallel.py [--items 1000] [--workers 2] [--worker-threads 1] [--pause-ms 0]
        [--threads 4] [--no-dask]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
import types

os.environ.setdefault("HAMILTON_TELEMETRY_ENABLED", "false")

SOURCE = '''
import time

import pandas as pd
from hamilton_nb.htypes import Collect, Parallelizable


def item(values: list) -> Parallelizable[int]:
    yield from values


def frame(item: int) -> pd.DataFrame:
    return pd.DataFrame({"item": [item] * 50, "x": range(50)})


def summed(frame: pd.DataFrame, pause: float) -> float:
    """``pause``: seconds of waiting per item (as loading a file or calling a service would)."""
    if pause:
        time.sleep(pause)
    return float((frame["x"] * frame["item"]).sum())


def total(summed: Collect[float]) -> float:
    return sum(summed)
'''


def _module(name: str, source: str) -> types.ModuleType:
    """A module from a file of its own (user code: shipped to Dask workers by value)."""
    folder = tempfile.mkdtemp(prefix="parallel_bench")
    path = os.path.join(folder, f"{name}.py")
    with open(path, "w") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def raw_pandas(values: list, pause: float) -> float:
    import pandas as pd

    total = 0.0
    for v in values:
        frame = pd.DataFrame({"item": [v] * 50, "x": range(50)})
        if pause:
            time.sleep(pause)
        total += float((frame["x"] * frame["item"]).sum())
    return total


def apache_hamilton(values: list, pause: float) -> tuple[float, float] | None:
    try:
        from hamilton import driver as hdriver
        from hamilton.execution import executors
    except ImportError:
        return None
    module = _module("parallel_bench_apache", SOURCE.replace("hamilton_nb.htypes", "hamilton.htypes"))
    dr = (hdriver.Builder().with_modules(module).enable_dynamic_execution(allow_experimental_mode=True)
          .with_local_executor(executors.SynchronousLocalTaskExecutor()).build())
    seconds, out = _timed(lambda: dr.execute(["total"], inputs={"values": values, "pause": pause})["total"])
    return seconds, out


def ours(module, values: list, pause: float, executor) -> list[tuple[str, float, float]]:
    from hamilton_nb import driver

    dr = driver.Driver({"pause": pause}, module, result="dict", executor=executor)
    changed = values[:-1] + [-1]
    rows = []
    for label, inputs in (("full", values), ("no-op", values), ("one item changed", changed)):
        seconds, out = _timed(lambda: dr.execute(["total"], inputs={"values": inputs})["total"])
        rows.append((label, seconds, out))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-threads", type=int, default=1, help="threads per Dask worker")
    parser.add_argument("--pause-ms", type=float, default=0.0, help="waiting per item (I/O-like work)")
    parser.add_argument("--threads", type=int, default=4, help="threads of the threads executor")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    module = _module("parallel_bench", SOURCE)
    values = list(range(args.items))
    pause = args.pause_ms / 1000
    raw, expected = _timed(lambda: raw_pandas(values, pause))
    print(f"{args.items} items, {args.pause_ms:g} ms of waiting each; raw pandas loop {raw:.3f} s")
    apache = apache_hamilton(values, pause)
    if apache is not None:
        assert apache[1] == expected
        print(f"Apache Hamilton (dynamic execution, local) full {apache[0]:.3f} s  ({apache[0] / raw:.1f}x raw)")
    from hamilton_nb.execution import ThreadExecutor

    runs = [("local", "local"), (f"threads ({args.threads})", ThreadExecutor(args.threads))]
    if not args.no_dask:
        from hamilton_nb.execution import DaskExecutor

        dask = DaskExecutor(n_workers=args.workers, threads_per_worker=args.worker_threads, processes=True)
        dask.get_client()  # the cluster starts before the clock does
        runs.append((f"dask ({args.workers}x{args.worker_threads} threads)", dask))
    print(f"{'executor':<22}{'step':<20}{'seconds':>9}{'x raw':>8}{'x Apache':>10}")
    for label, executor in runs:
        for step, seconds, out in ours(module, values, pause, executor):
            assert out == expected or step == "one item changed"
            vs_apache = f"{seconds / apache[0]:>10.2f}" if apache is not None else ""
            print(f"{label:<22}{step:<20}{seconds:>9.3f}{seconds / raw:>8.1f}{vs_apache}")
        if hasattr(executor, "close"):
            executor.close()


if __name__ == "__main__":
    main()
