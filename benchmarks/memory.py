"""Time and peak memory vs data size: raw pandas, hamilton_nb and Apache Hamilton, side by side.

    python benchmarks/memory.py                          # 1000 features × 1k, 10k, 100k rows (≤ 0.8 GB of data)
    python benchmarks/memory.py --rows 1000000           # the 1M-row line: 7.5 GB of data, needs ~10 GB free
    python benchmarks/memory.py --plot benchmarks/scale.png

Every measurement runs in a fresh Python process, so peaks don't mix. Peak memory is the
process's peak RSS (VmHWM, reset through /proc/self/clear_refs before each phase) above the
RSS after imports and inputs; "data" is features × rows × 8 bytes (every feature a float64
Series). Lines, per implementation and size:

- full execute: wall time (of a second run in the same process when the data is small, so
  imports and first calls are not counted) and peak, building the DataFrame of every feature (raw pandas:
  calling the functions in order, then ``pd.DataFrame(values, index=…, copy=False)`` — the
  fastest 1× frame; Apache Hamilton: ``Driver.execute`` with its pandas result builder);
- hamilton_nb only: a stale edit (one function whose ~15% of the graph is downstream) and
  its peak; ten executes of different 900-column subsets plus five renames of a function,
  and the RSS they end at vs after the first execute.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HAMILTON_TELEMETRY_ENABLED", "false")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate as G  # noqa: E402

LIVE: dict = {}  # hamilton_nb's session and namespace of the measured run

MB = 2 ** 20


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_peak() -> None:
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def peak() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def child(impl: str, rows: int, features: int) -> dict:
    import pandas as pd

    g = G.generate(n_features=features, max_downstream=features * 15 // 100)
    inputs = G.make_inputs(rows)
    cols = g.names
    out: dict = {"impl": impl, "rows": rows, "features": features, "data_mb": features * rows * 8 / MB}
    if impl == "hamilton_nb":
        from hamilton_nb.session import Session

        def run():
            LIVE.clear()
            session, ns = LIVE["session"], LIVE["ns"] = Session(), {}
            session.register_cell(g.features_source(), "features", namespace=ns)
            session.register_cell(g.edit_source(), "edit_me", namespace=ns)
            session.set_inputs(inputs)
            t0 = time.perf_counter()
            out = session.execute(cols)
            return out, time.perf_counter() - t0
    elif impl == "raw":
        ns = G.load(g.full_source())
        index = inputs["spend"].index

        def run():
            t0 = time.perf_counter()
            values = dict(inputs)
            for f in g.features:
                values[f.name] = ns[f.name](**{d: values[d] for d in f.deps})
            return pd.DataFrame({n: values[n] for n in cols}, index=index, copy=False), time.perf_counter() - t0
    else:
        from hamilton import base, driver

        directory = tempfile.mkdtemp()
        path = Path(directory) / "bench_features.py"
        path.write_text(g.full_source())
        spec = importlib.util.spec_from_file_location("bench_features", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_features"] = module
        spec.loader.exec_module(module)
        dr = driver.Builder().with_modules(module).with_adapters(base.PandasDataFrameResult()).build()
        def run():
            t0 = time.perf_counter()
            out = dr.execute(cols, inputs=inputs)
            return out, time.perf_counter() - t0
    base_rss = rss()
    reset_peak()
    frame, out["seconds"] = run()
    out["peak_mb"] = (peak() - base_rss) / MB
    assert frame.shape == (rows, features)
    if rows * features <= 10 ** 7:  # small data: time a second run, without imports and first calls
        del frame
        gc.collect()
        frame, out["seconds"] = run()
    if impl != "hamilton_nb":
        return out
    # a stale edit: the target and its downstream recompute
    session, ns = LIVE["session"], LIVE["ns"]
    before = rss()
    reset_peak()
    t0 = time.perf_counter()
    session.register_cell(g.edit_source(1), "edit_me", namespace=ns)
    frame = session.execute(cols)
    out["edit_seconds"] = time.perf_counter() - t0
    out["edit_recomputed"] = len(session.last_report.computed)
    out["edit_peak_mb"] = (peak() - before) / MB
    # ten different 900-column requests and five renames: nothing grows per request
    del frame
    gc.collect()
    first = rss()
    for i in range(10):
        session.execute(cols[i * 10: i * 10 + 900])
    for k in range(5):  # a leaf function renamed in its cell: the old name's value must go
        source = f"import pandas as pd\n\ndef leaf_v{k}(spend: pd.Series) -> pd.Series:\n    return spend * {k}\n"
        session.register_cell(source, "leaf", namespace=ns)
        session.execute([f"leaf_v{k}"] + cols[:900])
    gc.collect()
    out["cycles_rss_ratio"] = rss() / first
    out["cycles_first_mb"] = first / MB
    return out


def measure(impl: str, rows: int, features: int) -> dict:
    command = [sys.executable, __file__, "--child", impl, str(rows), str(features)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ})
    if done.returncode:
        raise RuntimeError(f"{impl} at {rows} rows failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def plot(results: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    labels = {"raw": "raw pandas (1× frame)", "hamilton_nb": "hamilton_nb", "apache": "Apache Hamilton"}
    for impl, label in labels.items():
        mine = sorted((r for r in results if r["impl"] == impl), key=lambda r: r["rows"])
        if not mine:
            continue
        rows = [r["rows"] for r in mine]
        left.plot(rows, [r["seconds"] for r in mine], marker="o", label=label)
        right.plot(rows, [r["peak_mb"] for r in mine], marker="o", label=label)
    data = sorted({(r["rows"], r["data_mb"]) for r in results})
    right.plot([d[0] for d in data], [d[1] for d in data], "k--", linewidth=1, label="the data itself")
    features = results[0]["features"]
    for axis, title, unit in ((left, "full execute: time", "seconds"), (right, "full execute: peak memory", "MB above baseline")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel(f"rows ({features} float64 features)")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--no-apache", action="store_true")
    parser.add_argument("--plot", help="write a PNG of time and peak memory vs rows here")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), int(args.child[2]))))
        return 0
    impls = ["raw", "hamilton_nb"] + ([] if args.no_apache or importlib.util.find_spec("hamilton") is None
                                      else ["apache"])
    results = []
    print(f"{'rows':>8} {'data MB':>8}  " + "  ".join(f"{i + ' s':>14} {i + ' peak MB':>18}" for i in impls))
    for rows in args.rows:
        line = {impl: measure(impl, rows, args.features) for impl in impls}
        results.extend(line.values())
        print(f"{rows:>8} {line['raw']['data_mb']:>8.0f}  " + "  ".join(
            f"{line[i]['seconds']:>14.2f} {line[i]['peak_mb']:>18.0f}" for i in impls), flush=True)
        nb, raw = line["hamilton_nb"], line["raw"]
        print(f"         hamilton_nb: time {nb['seconds'] / raw['seconds']:.2f}× raw, peak "
              f"{nb['peak_mb'] / nb['data_mb']:.2f}× the data (raw {raw['peak_mb'] / raw['data_mb']:.2f}×"
              + (f", Apache Hamilton {line['apache']['peak_mb'] / nb['data_mb']:.2f}×" if "apache" in line else "")
              + f"); stale edit ({nb['edit_recomputed']} recomputed) {nb['edit_seconds']:.2f} s, peak "
              f"+{nb['edit_peak_mb'] / nb['data_mb']:.2f}× the data; after 10 requests + 5 renames RSS is "
              f"{nb['cycles_rss_ratio']:.2f}× that after the first", flush=True)
    if args.plot:
        plot(results, args.plot)
        print(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
