"""Restart scenario for the persistent cache (issue 9), on the seed-scale module.

    python benchmarks/restart_cache.py [--reps 5] [--dir PATH]

Each repetition builds fresh sessions (as after a kernel restart: same code, empty memory):

* cold, no persistence    — register the 1000 functions, bind inputs, ``execute(all)``
* cold, persistence on    — the same with an empty persistent cache; the values are written
                            in the background: ``execute`` returns before the last write lands,
                            so a second line adds ``flush()`` (everything on disk)
* warm after a restart    — a new Session, same code, persistence on a filled cache:
                            every value is loaded, nothing is computed

Only ``execute`` is timed (registration and binding are the same in every line). The cache
directory goes in ``/dev/shm`` when it exists (like the main benchmark) unless ``--dir``.
Prints min and median ms and the ratio to the uncached cold run; target ≤ 1.3× for the cold
run with persistence on.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import generate as G  # noqa: E402
import pandas as pd  # noqa: E402

from hamilton_nb.session import Session  # noqa: E402


def session_for(source: str, inputs: dict) -> Session:
    session = Session()
    session.register_cell(source, "features", namespace={})
    session.set_inputs(inputs)
    return session


def timed(fn) -> float:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--dir", help="cache directory (default: a temporary one)")
    args = parser.parse_args()
    g = G.generate()
    source, inputs = g.full_source(), G.make_inputs()
    base = args.dir or tempfile.mkdtemp(prefix="hnb_restart_", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    cache_dir = Path(base) / "cache"
    times: dict[str, list[float]] = {k: [] for k in ("cold", "cold+persist", "cold+persist+flush", "warm")}
    reference = None
    try:
        for rep in range(args.reps):
            print(f"… repetition {rep + 1}/{args.reps}", file=sys.stderr)
            session = session_for(source, inputs)
            cold_frame = []
            times["cold"].append(timed(lambda: cold_frame.append(session.execute(all=True))))
            reference = cold_frame[0] if reference is None else reference

            shutil.rmtree(cache_dir, ignore_errors=True)
            session = session_for(source, inputs)
            store = session.enable_persistent_cache(cache_dir)
            started = time.perf_counter()
            times["cold+persist"].append(timed(lambda: session.execute(all=True)))
            store.flush()
            times["cold+persist+flush"].append(time.perf_counter() - started)
            assert len(session.last_report.computed) == len(g.features)
            session.disable_persistent_cache()

            session = session_for(source, inputs)  # the "restart": same code, empty memory
            session.enable_persistent_cache(cache_dir)
            warm = []
            times["warm"].append(timed(lambda: warm.append(session.execute(all=True))))
            report = session.last_report
            assert not report.computed and len(report.loaded) == len(g.features), report.summary()
            pd.testing.assert_frame_equal(warm[0], reference)
            info = session.cache_info()
            session.disable_persistent_cache()
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)
    cold = min(times["cold"])
    print(f"\nrestart scenario: {len(g.features)} functions × {len(inputs['spend'])} rows, "
          f"{args.reps} repetitions; cache {info.entries} entries, {info.bytes / 1e6:.1f} MB")
    print(f"{'line':34s} {'min ms':>9s} {'median ms':>10s} {'× cold (min)':>13s}")
    labels = {"cold": "cold compute, no persistence", "cold+persist": "cold compute, persistence on",
              "cold+persist+flush": "  … until every write is on disk", "warm": "warm load after restart"}
    for key, label in labels.items():
        values = times[key]
        print(f"{label:34s} {min(values) * 1000:9.1f} {statistics.median(values) * 1000:10.1f} "
              f"{min(values) / cold:12.2f}×")
    ratio = min(times["cold+persist"]) / cold
    print(f"\npersistence overhead on a cold run: {ratio:.2f}× (target ≤ 1.3×: {'met' if ratio <= 1.3 else 'NOT met'})")


if __name__ == "__main__":
    main()
