"""hamilton_nb benchmarks at seed scale: 1000 feature functions × 1000 weekly rows.

    make bench                      # = .venv/bin/python benchmarks/run.py
    python benchmarks/run.py --reps 15 --no-apache

Prints one table: each line's min and median wall time over several repetitions (gc
collected before and disabled during each timed section), its ratio to raw pandas, the
target from issue 3 and whether it is met (ratio and target use --stat, default min).
See benchmarks/README.md for what each line measures.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("HAMILTON_TELEMETRY_ENABLED", "false")  # Apache Hamilton: no network calls

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as G  # noqa: E402

import pandas as pd  # noqa: E402

from hamilton_nb.session import Session  # noqa: E402

clock = time.perf_counter


class Timer:
    """Accumulates timings of labelled sections; gc is collected first and disabled inside."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}

    def time(self, label: str, fn: Callable[[], Any]) -> Any:
        if label not in self.samples:
            print(f"  … {label}", file=sys.stderr, flush=True)
        gc.collect()
        gc.disable()
        try:
            t0 = clock()
            out = fn()
            elapsed = clock() - t0
        finally:
            gc.enable()
        self.samples.setdefault(label, []).append(elapsed)
        return out

    def add(self, label: str, *parts: str) -> None:
        """Record the sum of the latest samples of ``parts`` as a sample of ``label``."""
        self.samples.setdefault(label, []).append(sum(self.samples[p][-1] for p in parts))

    def median(self, label: str) -> float:
        return statistics.median(self.samples[label]) * 1000

    def min(self, label: str) -> float:
        return min(self.samples[label]) * 1000


# ---- the workloads ---------------------------------------------------------------------------
def raw_compute(g: G.Generated, ns: dict, inputs: dict) -> dict:
    values = dict(inputs)
    for f in g.features:
        values[f.name] = ns[f.name](**{d: values[d] for d in f.deps})
    return values


def raw_frame(g: G.Generated, values: dict) -> pd.DataFrame:
    return pd.DataFrame({name: values[name] for name in g.names})


def new_session(g: G.Generated, inputs: dict) -> tuple[Session, dict]:
    session, ns = Session(), {}
    session.register_cell(g.features_source(), "features", namespace=ns)
    session.register_cell(g.edit_source(), "edit_me", namespace=ns)
    session.set_inputs(inputs)
    return session, ns


def import_source(source: str, directory: str, name: str):
    path = Path(directory) / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---- the benchmark -------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=11, help="repetitions of the heavy measurements (default 11)")
    parser.add_argument("--light-reps", type=int, default=25,
                        help="repetitions of the millisecond measurements (default 25)")
    parser.add_argument("--stat", choices=("min", "median"), default="min",
                        help="statistic for ratios and targets (default min: robust on a busy machine)")
    parser.add_argument("--no-apache", action="store_true", help="skip Apache Hamilton")
    parser.add_argument("--no-apache-cache", action="store_true",
                        help="skip Apache Hamilton's cached runs (filling its cache takes ~8 s)")
    args = parser.parse_args(argv)
    started = clock()
    reps, light = args.reps, args.light_reps

    g = G.generate()
    inputs = G.make_inputs()
    cols = g.names
    timer = Timer()
    notes: list[str] = []

    # 1 + 2. raw pandas and hamilton_nb full execute, interleaved so both see the same machine load
    raw_ns = G.load(g.full_source())
    values = raw_compute(g, raw_ns, inputs)  # warm-up (also the reference values)
    expected = raw_frame(g, values)
    session, ns = new_session(g, inputs)
    pd.testing.assert_frame_equal(session.execute(cols), expected)  # warm-up + correctness
    index = inputs["spend"].index
    for _ in range(reps):
        values = timer.time("raw.compute", lambda: raw_compute(g, raw_ns, inputs))
        timer.time("raw.frame", lambda: raw_frame(g, values))
        timer.time("raw.frame.fast", lambda: pd.DataFrame({n: values[n] for n in cols}, index=index, copy=False))
        timer.add("raw", "raw.compute", "raw.frame")
        timer.add("raw.fast", "raw.compute", "raw.frame.fast")
        session, ns = new_session(g, inputs)  # fresh session each repetition (not timed)
        timer.time("nb.execute", lambda: session.execute(cols))
    assert len(session.last_report.computed) == len(cols)

    # 3. no-op re-execute ----------------------------------------------------------------------
    for _ in range(light):
        timer.time("nb.noop", lambda: session.execute(cols))
    assert not session.last_report.computed, "no-op re-execute computed something"

    # 4. edit one mid-graph function: re-register its one-function cell, re-execute -------------
    recomputed = set()
    for k in range(1, light + 1):
        edited = g.edit_source(k)  # a new span each time: a real code change
        timer.time("nb.edit.register", lambda: session.register_cell(edited, "edit_me", namespace=ns))
        timer.time("nb.edit.execute", lambda: session.execute(cols))
        timer.add("nb.edit", "nb.edit.register", "nb.edit.execute")
        recomputed = set(session.last_report.computed)
    assert g.edit_target in recomputed and len(recomputed) == g.edit_downstream + 1, recomputed
    edited_ns = G.load(g.full_source().replace(  # correctness after incremental updates
        g.edit_source(0)[len(G.HEADER):], g.edit_source(light)[len(G.HEADER):]))
    pd.testing.assert_frame_equal(session.execute(cols), raw_frame(g, raw_compute(g, edited_ns, inputs)))

    # 6. re-registering a one-function cell in the 1000-node session -----------------------------
    # Changed body with fresh values downstream: that is item 4's registration ("nb.edit.register").
    # Unchanged source (re-running a cell without edits), also with every value fresh:
    source = g.edit_source(light)
    for _ in range(light):
        session.execute(cols)
        timer.time("nb.rereg.same", lambda: session.register_cell(source, "edit_me", namespace=ns))
    session.execute(cols)
    assert not session.last_report.computed, "re-registering an unchanged cell made something stale"

    # 9. a 1000-column result a notebook displays: stamped when shown, checked after every cell ------
    from hamilton_nb.execution.result_stamp import changes, reread_globals, stamp

    session.execute(cols)
    for _ in range(light):
        shown = timer.time("shown.stamp", lambda: stamp(session, cols))
        timer.time("shown.check", lambda: (reread_globals(session, [shown]), changes(session, shown)))
    assert not changes(session, shown), "a fresh shown result was called stale"

    # 10. twenty nodes reading one 1M-row global DataFrame: no-op re-execute -----------------------
    big_global_noop(timer, light)

    # 8. the graph widget on the 1000-node session (Python side: what the kernel spends) ---------------
    from hamilton_nb.notebook.graph_view import ViewSpec
    from hamilton_nb.notebook.widget import GraphWidget

    sizes = {}
    for _ in range(light):
        widget = timer.time("widget.overview", lambda: GraphWidget(session))
        sizes["overview"] = widget.view.size
        timer.time("widget.module", lambda: widget.show(ViewSpec(mode="module", module="features")))
        sizes["module"] = widget.view.size
        widget.close()

    # 5. registering the 1000-function cell vs running it as plain Python ------------------------
    full = g.full_source()
    for _ in range(reps):
        timer.time("plain.exec", lambda: exec(compile(full, "<cell>", "exec"), {}))
        fresh = Session()
        timer.time("nb.register", lambda: fresh.register_cell(full, "features", namespace={}))
    n_edges = fresh.graph.dag.number_of_edges()

    # 7. Apache Hamilton ---------------------------------------------------------------------------
    apache_rows: list[tuple] = []
    if args.no_apache:
        notes.append("Apache Hamilton: skipped (--no-apache).")
    else:
        try:
            apache_rows = bench_apache(g, inputs, cols, expected, timer, reps, notes, not args.no_apache_cache)
        except ImportError as exc:
            notes.append(f"Apache Hamilton: not importable ({exc}); install with `pip install -e .[bench]`.")

    # ---- report -------------------------------------------------------------------------------------
    stat = timer.min if args.stat == "min" else timer.median
    raw = stat("raw")
    overhead = stat("nb.register") - stat("plain.exec")
    print(f"hamilton_nb benchmark — pandas {pd.__version__}, Python {sys.version.split()[0]}")
    print(f"graph: {len(cols)} functions over {len(G.INPUTS)} inputs × {len(inputs['spend'])} weekly rows; "
          f"{g.n_nodes} nodes, {g.n_edges} edges (session DAG: {n_edges}), max depth {g.max_depth}")
    print(f"edit target: {g.edit_target} — {g.edit_downstream} nodes downstream "
          f"({g.edit_downstream / len(cols):.1%}), {len(recomputed)} recomputed per edit")
    print(f"times: min and median of {reps} (heavy) / {light} (light) repetitions, gc disabled while timing; "
          f"'× raw' and 'met' use the {args.stat} (--stat)\n")
    rows = [
        ("1", "raw pandas: call 1000 fns in topo order + pd.DataFrame(dict)", "raw", None),
        ("", "  of which: calling the functions", "raw.compute", None),
        ("", "  of which: pd.DataFrame(dict of 1000 Series)", "raw.frame", None),
        ("1'", "raw pandas, frame via pd.DataFrame(dict, index=idx, copy=False)", "raw.fast", None),
        ("", "  of which: pd.DataFrame(dict, index=idx, copy=False)", "raw.frame.fast", None),
        ("2", "hamilton_nb: full execute, 1000 columns, fresh session", "nb.execute", ("x", 1.03)),
        ("3", "hamilton_nb: no-op re-execute, 1000 columns", "nb.noop", ("ms", 5)),
        ("4", "hamilton_nb: edit 1 fn — re-register cell + re-execute", "nb.edit", ("ms", 10)),
        ("", "  of which: re-register the 1-function cell", "nb.edit.register", None),
        ("", f"  of which: re-execute ({len(recomputed)} nodes recomputed)", "nb.edit.execute", None),
        ("5", "hamilton_nb: register the 1000-function cell (fresh session)", "nb.register", None),
        ("", "  plain Python: compile + exec the same cell", "plain.exec", None),
        ("", "  registration overhead on top of plain exec", overhead, ("ms", 50)),
        ("6", "hamilton_nb: re-register 1-fn cell, changed body (= 4's registration)", "nb.edit.register", ("ms", 5)),
        ("", "  same cell, unchanged source", "nb.rereg.same", ("ms", 5)),
        *apache_rows,
        ("8", f"graph widget, 1000-node session: overview ({sizes['overview']} elements)", "widget.overview", None),
        ("", f"  expand the 999-function module ({sizes['module']} elements, capped)", "widget.module", None),
        ("10", "no-op re-execute, 20 nodes reading one 1M-row × 3 global DataFrame", "global.noop", ("ms", 50)),
        ("9", "shown result, 1000 columns: stamp it when a cell displays it", "shown.stamp", None),
        ("", "  check it after each cell (re-read globals, compare versions)", "shown.check", None),
    ]
    header = f"{'#':<2} {'measurement':<70} {'min ms':>9} {'median ms':>10} {'× raw':>7}  {'target':<12} met"
    print(header)
    print("-" * len(header))
    for number, label, key, target in rows:
        if isinstance(key, str):
            value, low, med = stat(key), f"{timer.min(key):9.2f}", f"{timer.median(key):10.2f}"
        else:  # a derived number (difference of two stats)
            value = key
            low, med = (f"{key:9.2f}", f"{'':10}") if args.stat == "min" else (f"{'':9}", f"{key:10.2f}")
        target_text, met = "", ""
        if target is not None:
            kind, bound = target
            if kind == "x":
                target_text, ok = f"≤ {bound:.2f}× raw", value <= bound * raw
            else:
                target_text, ok = f"≤ {bound:g} ms", value <= bound
            met = "yes" if ok else "NO"
        print(f"{number:<2} {label:<70} {low} {med} {value / raw:6.3f}×  {target_text:<12} {met}")
    fast, full = stat("raw.fast"), stat("nb.execute")
    print(f"\nhamilton_nb full execute vs 1' (raw pandas with the fast frame build): "
          f"{full / fast:.3f}× ({full - fast:+.1f} ms)")
    for note in notes:
        print(f"note: {note}")
    print("correctness: hamilton_nb frame == raw pandas frame (before and after the edits): yes")
    print(f"total benchmark wall time: {clock() - started:.1f} s")
    return 0


def big_global_noop(timer: Timer, reps: int) -> None:
    """A global is read again before every execute (it may have been edited in place): by content,
    once per execute however many nodes read it."""
    import numpy as np

    session = Session()
    rng = np.random.default_rng(0)
    ns = {"pd": pd, "lookup": pd.DataFrame(rng.random((1_000_000, 3)), columns=["a", "b", "c"])}
    session.register_cell("\n".join(f"def r{i}(x: float) -> float:\n    return x + float(lookup['a'].iloc[{i}])\n"
                                    for i in range(20)), "readers", namespace=ns)
    session.set_inputs(x=1.0)
    readers = [f"r{i}" for i in range(20)]
    session.execute(readers)
    for _ in range(reps):
        timer.time("global.noop", lambda: session.execute(readers))
    assert not session.last_report.computed, "a no-op re-execute recomputed a reader of an unchanged global"
    ns["lookup"].loc[5, "a"] = 2.0  # edited in place: exactly its readers are stale again
    session.execute(readers)
    assert len(session.last_report.computed) == 20


def bench_apache(g, inputs, cols, expected, timer: Timer, reps: int, notes: list[str],
                 cached: bool = True) -> list[tuple]:
    from hamilton import base, driver  # ImportError → skipped
    import hamilton

    version = getattr(hamilton, "__version__", "?")
    version = ".".join(map(str, version)) if isinstance(version, tuple) else str(version)

    def builder(mod):  # a DataFrame result, like raw pandas and hamilton_nb
        return driver.Builder().with_modules(mod).with_adapters(base.PandasDataFrameResult())
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None  # its cache is on disk; use RAM when we can
    with tempfile.TemporaryDirectory(prefix="hnb_bench_", dir=shm) as tmp:
        module = import_source(g.full_source(), tmp, "bench_features_apache")
        dr = None
        for _ in range(reps):
            dr = timer.time("ah.build", lambda: builder(module).build())
        frame = None
        for _ in range(reps):
            frame = timer.time("ah.execute", lambda: dr.execute(cols, inputs=inputs))
        try:
            pd.testing.assert_frame_equal(frame[cols], expected)
            notes.append("Apache Hamilton result == raw pandas frame: yes")
        except AssertionError as exc:
            notes.append(f"Apache Hamilton result differs from raw pandas: {str(exc).splitlines()[0]}")
        rows = [
            ("7", f"Apache Hamilton {version}: build Driver (1000 fns)", "ah.build", None),
            ("", "Apache Hamilton: execute 1000 columns", "ah.execute", None),
        ]
        if not cached:
            notes.append("Apache Hamilton: cached runs skipped (--no-apache-cache).")
            return rows
        if not hasattr(driver.Builder, "with_cache"):
            notes.append("Apache Hamilton: this version has no Builder.with_cache(); cached runs skipped.")
            return rows
        cache_dir = str(Path(tmp) / "cache")

        def cached_driver(mod):
            return builder(mod).with_cache(path=cache_dir).build()

        cdr = timer.time("ah.cache.build", lambda: cached_driver(module))
        timer.time("ah.cache.cold", lambda: cdr.execute(cols, inputs=inputs))
        for _ in range(2):
            timer.time("ah.cache.noop", lambda: cdr.execute(cols, inputs=inputs))
        edited = import_source(g.full_source().replace(g.edit_source(0)[len(G.HEADER):],
                                                       g.edit_source(1)[len(G.HEADER):]),
                               tmp, "bench_features_apache_edited")
        edr = timer.time("ah.cache.edit.build", lambda: cached_driver(edited))
        timer.time("ah.cache.edit.execute", lambda: edr.execute(cols, inputs=inputs))
        timer.add("ah.cache.edit", "ah.cache.edit.build", "ah.cache.edit.execute")
        rows += [
            ("", "Apache Hamilton cached: first execute (fills the cache)", "ah.cache.cold", None),
            ("", "Apache Hamilton cached: no-op re-execute", "ah.cache.noop", None),
            ("", "Apache Hamilton cached: edit 1 fn — rebuild Driver + execute", "ah.cache.edit", None),
        ]
        return rows


if __name__ == "__main__":
    sys.exit(main())
