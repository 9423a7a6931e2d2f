"""Memory of the notebook process when the intermediates stay on a Dask cluster.

    python benchmarks/cluster.py [--features 1000] [--rows 100000] [--asked 10] [--workers 2]

The seed-like feature graph (every feature a float64 Series) is executed once with the local
executor and once with ``--executor dask`` on a ``LocalCluster``, asking for ``--asked``
columns out of ``--features``. Each line runs in a fresh process; it reports the wall time and
the peak RSS of that (client) process above its RSS after imports and inputs, next to the size
of all the data the graph computes and of the frame asked for. With Dask, the client should
hold the asked-for frame, not the graph's data.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate as G  # noqa: E402
from memory import MB, peak, reset_peak, rss  # noqa: E402


def child(kind: str, features: int, rows: int, asked: int, workers: int) -> dict:
    from hamilton_nb.execution import DaskExecutor
    from hamilton_nb.session import Session

    g = G.generate(n_features=features, max_downstream=features * 15 // 100)
    inputs = G.make_inputs(rows)
    wanted = g.names[-asked:]  # the last features: the deepest, they need most of the graph
    session = Session()
    namespace: dict = {"__name__": "__main__"}  # a notebook's
    session.register_cell(g.features_source(), "features", namespace=namespace)
    session.register_cell(g.edit_source(), "edit_me", namespace=namespace)
    session.set_inputs(inputs)
    if kind == "dask":
        session.executor = DaskExecutor(n_workers=workers, threads_per_worker=1)
        session.executor.get_client()  # cluster start-up is not measured
    base = rss()
    reset_peak()
    t0 = time.perf_counter()
    frame = session.execute(wanted)
    seconds = time.perf_counter() - t0
    computed = len(session.last_report.computed)
    out = {"kind": kind, "seconds": seconds, "peak_mb": (peak() - base) / MB, "computed": computed,
           "asked_mb": frame.memory_usage(index=False).sum() / MB, "data_mb": computed * rows * 8 / MB,
           "checksum": float(frame.sum().sum())}
    if kind == "dask":
        session.executor.close()
    return out


def measure(kind: str, args) -> dict:
    command = [sys.executable, __file__, "--child", kind, str(args.features), str(args.rows), str(args.asked),
               str(args.workers)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ})
    if done.returncode:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--asked", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *numbers = args.child
        print(json.dumps(child(kind, *map(int, numbers))))
        return 0
    results = [measure(kind, args) for kind in ("local", "dask")]
    local, dask = results
    assert abs(local["checksum"] - dask["checksum"]) <= 1e-9 * abs(local["checksum"]), "results differ"
    print(f"{args.features} features × {args.rows} rows; {args.asked} asked for; {local['computed']} computed "
          f"({local['data_mb']:.0f} MB of data), a frame of {local['asked_mb']:.1f} MB comes back")
    print(f"{'executor':<36} {'seconds':>8} {'client peak':>12} {'× data':>7}")
    for found, label in ((local, "local"), (dask, f"dask, LocalCluster ({args.workers} processes)")):
        print(f"{label:<36} {found['seconds']:>8.2f} {found['peak_mb']:>9.0f} MB {found['peak_mb'] / found['data_mb']:>6.2f}×")
    print(f"the client holds {dask['peak_mb'] / local['peak_mb']:.2f}× of what it holds computing locally")
    return 0


if __name__ == "__main__":
    sys.exit(main())
