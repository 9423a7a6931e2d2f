"""Executors on a wide DAG of CPU-heavy nodes: local vs threads vs Dask (LocalCluster).

    python benchmarks/executors.py [--branches 20] [--seconds 0.2] [--workers 2] [--reps 5]

The graph: one input, ``--branches`` independent branches of two nodes each — a heavy
``work_i`` (about ``--seconds`` of single-threaded numpy: elementwise maths and sorting, no
BLAS) and a cheap ``summary_i`` — and a final ``total`` reading every summary. Each line is the
best of ``--reps`` full executes on a fresh cache (cluster start-up not included; it is reported
separately). Results are checked equal across executors. Progress goes to stderr, the table to
stdout.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

from hamilton_nb.execution import DaskExecutor, LocalExecutor, ThreadExecutor
from hamilton_nb.session import Session

N = 10_000  # 80 kB arrays: O(1000)-row feature scale, below malloc's mmap threshold


def source(branches: int, rounds: int) -> str:
    lines = ["import numpy as np", "import pandas as pd", ""]
    for i in range(branches):
        lines += [
            f"def work_{i}(seed: int) -> np.ndarray:",
            f'    """About a fifth of a second of numpy work (branch {i})."""',
            f"    rng = np.random.default_rng(seed + {i})",
            f"    x = rng.random({N})",
            f"    for _ in range({rounds}):",
            "        x = np.sort(np.sin(x) * np.cos(x) + np.sqrt(x + 1.0))",
            "    return x[:: len(x) // 1000].copy()  # 1000 rows out, as a feature column",
            "",
            f"def summary_{i}(work_{i}: np.ndarray) -> float:",
            f"    return float(work_{i}.mean())",
            "",
        ]
    params = ", ".join(f"summary_{i}: float" for i in range(branches))
    total = " + ".join(f"summary_{i}" for i in range(branches))
    lines += [f"def total({params}) -> float:", f"    return {total}", ""]
    return "\n".join(lines)


def calibrate(seconds: float) -> int:
    """Rounds of the work loop that take about ``seconds`` here."""
    x = np.random.default_rng(0).random(N)
    x = np.sort(np.sin(x) * np.cos(x) + np.sqrt(x + 1.0))  # warm up
    t0 = time.perf_counter()
    for _ in range(3):
        x = np.sort(np.sin(x) * np.cos(x) + np.sqrt(x + 1.0))
    per_round = (time.perf_counter() - t0) / 3
    return max(1, round(seconds / per_round))


def make_session(executor, branches: int, rounds: int) -> Session:
    session = Session()
    session.executor = executor
    session.register_cell(source(branches, rounds), "wide", {"__name__": "bench_wide"})
    session.set_inputs(seed=7)
    return session


def timed(session: Session, branches: int) -> tuple[float, float, int]:
    """One full execute on an empty cache: (seconds, total, nodes computed)."""
    session.reset(cache_only=True)
    outputs = ["total"] + [f"summary_{i}" for i in range(branches)]
    t0 = time.perf_counter()
    out = session.execute(outputs, result="dict")
    return time.perf_counter() - t0, out["total"], len(session.last_report.computed)


def plain_submit(client, functions: dict, branches: int) -> tuple[float, float, int]:
    """The same functions submitted with ``client.submit`` by hand (the floor for --executor dask)."""
    t0 = time.perf_counter()
    summaries = []
    for i in range(branches):
        work = client.submit(functions[f"work_{i}"], 7, pure=False)
        summaries.append(client.submit(functions[f"summary_{i}"], work, pure=False))
    total = client.submit(functions["total"], *summaries, pure=False)
    values = client.gather([total, *summaries])
    return time.perf_counter() - t0, values[0], 2 * branches + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--branches", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=0.2, help="target seconds per heavy node")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    rounds = calibrate(args.seconds)
    print(f"  … calibrated: {rounds} rounds ≈ {args.seconds} s per heavy node", file=sys.stderr)
    t0 = time.perf_counter()
    dask_executor = DaskExecutor(n_workers=args.workers)  # starts its own LocalCluster
    dask_executor.get_client()
    startup = time.perf_counter() - t0
    try:
        executors = [("local", LocalExecutor()), (f"threads ({args.workers})", ThreadExecutor(args.workers)),
                     (f"dask LocalCluster ({args.workers} processes)", dask_executor)]
        timed(make_session(executors[2][1], 2, rounds), 2)  # warm the workers (imports) untimed
        sessions = [make_session(executor, args.branches, rounds) for _, executor in executors]
        samples: list[list[tuple]] = [[] for _ in executors]
        for rep in range(args.reps):  # alternate, so every executor sees the same machine load
            for i, (label, _) in enumerate(executors):
                print(f"  … {label} ({rep + 1}/{args.reps})", file=sys.stderr, flush=True)
                samples[i].append(timed(sessions[i], args.branches))
        rows = [(label, *min(found)) for (label, _), found in zip(executors, samples)]
        functions = {fn.__name__: fn for fn in sessions[2].functions["wide"]}
        client = dask_executor.get_client()
        plain_submit(client, functions, args.branches)  # warm-up
        plain = min(plain_submit(client, functions, args.branches) for _ in range(args.reps))
        rows.append(("plain client.submit, same cluster", *plain))
    finally:
        dask_executor.close()
    base = rows[0][1]
    assert all(abs(r[2] - rows[0][2]) < 1e-9 * abs(rows[0][2]) for r in rows), "results differ"
    print(f"\nwide DAG: {args.branches} branches × (heavy ≈{args.seconds} s + cheap) + total = "
          f"{2 * args.branches + 1} nodes; {os.cpu_count()} cores; best of {args.reps}, interleaved")
    print(f"{'executor':<34} {'seconds':>8} {'speed-up':>9} {'computed':>9}")
    for label, seconds, _, computed in rows:
        print(f"{label:<34} {seconds:>8.2f} {base / seconds:>8.2f}× {computed:>9}")
    print(f"(Dask cluster start-up, not included: {startup:.1f} s; target: dask ≥ 1.6× local)")
    print(f"--executor dask reaches {rows[3][1] / rows[2][1]:.2f}× the speed of plain client.submit "
          "on the same cluster (target ≥ 0.9×)")


if __name__ == "__main__":
    main()
