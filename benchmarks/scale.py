"""How hamilton_nb's own work grows with the size of the graph (100 rows, so the pandas work is tiny).

    python benchmarks/scale.py                        # 1000, 5000, 10000, 20000 functions
    python benchmarks/scale.py --sizes 1000 20000 --reps 7

For each size: a session with the generated feature module, every column executed once, then
(min over --reps, gc off while timed):

- no-op re-execute of every column,
- edit + re-execute: re-register a one-function cell whose target has ≤ 10 descendants, execute
  every column again (11 or fewer nodes recompute),
- ``session.status()`` with nothing changed, and after an edit,
- the graph overview (``graph_view.build_view`` in auto mode on the session's states), laid out
  afresh, and redrawn with the same boxes (the layout of a recent picture is reused).

Targets at 20,000 functions: edit ≤ 10 ms, no-op ≤ 5 ms, status and overview ≤ 50 ms.
The last column times one re-check of the globals every node reads (done by every execute and
status, for nodes whose helpers or constants changed in the notebook): the part of the no-op and
status lines that is not the engine's own work.
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as G  # noqa: E402

from hamilton_nb.notebook import graph_view, layout  # noqa: E402
from hamilton_nb.session import Session  # noqa: E402


def timed(fn, reps: int) -> float:
    """Minimum wall time of ``fn`` in ms (gc collected before, disabled during)."""
    best = float("inf")
    for _ in range(reps):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        finally:
            gc.enable()
    return best * 1000


def measure(n: int, reps: int, rows: int) -> dict[str, float]:
    g = G.generate(n_features=n, max_downstream=10)
    session, ns = Session(), {}
    session.register_cell(g.features_source(), "features", namespace=ns)
    session.register_cell(g.edit_source(), "edit_me", namespace=ns)
    session.set_inputs(G.make_inputs(rows))
    cols = g.names
    session.execute(cols)
    session.subscribe(lambda event: None)  # as in a notebook with the graph widget shown
    out = {"noop": timed(lambda: session.execute(cols), reps)}
    assert not session.last_report.computed
    edits = iter(range(1, 10 ** 6))

    def edit():
        session.register_cell(g.edit_source(next(edits)), "edit_me", namespace=ns)
        session.execute(cols)

    out["edit"] = timed(edit, reps)
    assert 1 <= len(session.last_report.computed) <= 11, session.last_report.computed
    out["status"] = timed(session.status, reps)
    spec = graph_view.ViewSpec()
    view = lambda: graph_view.build_view(session.graph, session.known_states, spec)  # noqa: E731
    out["overview"] = timed(lambda: (layout._LAID.clear(), view()), reps)  # laid out afresh
    out["redraw"] = timed(view, reps)  # the same boxes again (after a run): the layout is reused

    def edit_status():
        session.register_cell(g.edit_source(next(edits)), "edit_me", namespace=ns)
        session.status()

    out["edit+status"] = timed(edit_status, reps)
    names = list(session.graph.nodes)
    out["globals"] = timed(session.engine.versions.refresh_reach, reps)
    out["downstream"] = g.edit_downstream
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000, 20000])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--rows", type=int, default=100)
    args = parser.parse_args(argv)
    print(f"{'functions':>9}  {'no-op':>8}  {'edit+exec':>9}  {'status':>8}  {'overview':>8}  {'redraw':>6}  "
          f"{'edit+status':>11}  {'globals check':>13}  (ms, min of {args.reps}; {args.rows} rows)")
    for n in args.sizes:
        r = measure(n, args.reps, args.rows)
        print(f"{n:>9}  {r['noop']:>8.2f}  {r['edit']:>9.2f}  {r['status']:>8.2f}  {r['overview']:>8.2f}  {r['redraw']:>6.2f}  "
              f"{r['edit+status']:>11.2f}  {r['globals']:>13.2f}  (edit target: {r['downstream']} downstream)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
