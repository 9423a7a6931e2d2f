"""Where hamilton_nb's time goes in benchmark items 2–6 (cProfile).

    .venv/bin/python benchmarks/profile_overhead.py [--top 25] [--sort tottime|cumulative] [ITEM ...]

ITEM is one of: execute (2), noop (3), edit-register / edit-execute (4), register (5),
reregister (6). Each item is repeated a few times under one profiler so that short items
show up; the header says how many. Framework-only view: pandas internals are folded into
the callers' cumulative time, so look at the hamilton_nb/ lines first.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as G  # noqa: E402
from run import new_session  # noqa: E402

from hamilton_nb.session import Session  # noqa: E402

ITEMS = ("execute", "noop", "edit-register", "edit-execute", "register", "reregister")


def profile(label: str, repeat: int, setup, body, top: int, sort: str) -> None:
    profiler = cProfile.Profile()
    for i in range(repeat):
        state = setup(i)
        gc.collect()
        gc.disable()  # as in run.py: a collection would be charged to whatever line it interrupts
        profiler.enable()
        try:
            body(state, i)
        finally:
            profiler.disable()
            gc.enable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(sort).print_stats(top)
    text = out.getvalue()
    root = str(Path(__file__).resolve().parents[1]) + "/"
    text = text.replace(root, "").replace(str(Path(sys.prefix)) + "/lib/", "")
    print(f"\n===== {label} × {repeat} (sorted by {sort}) =====")
    print(text[text.find("   ncalls"):] if "   ncalls" in text else text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("items", nargs="*", metavar="ITEM", help=f"any of: {', '.join(ITEMS)} (default: all)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()
    g, inputs = G.generate(), G.make_inputs()
    cols = g.names
    session, ns = new_session(g, inputs)
    session.execute(cols)
    top, sort = args.top, args.sort
    unknown = set(args.items) - set(ITEMS)
    if unknown:
        parser.error(f"unknown item(s) {', '.join(sorted(unknown))}; choose from {', '.join(ITEMS)}")
    items = args.items or list(ITEMS)

    for item in items:
        if item == "execute":
            profile("2. full execute (fresh session)", 5, lambda i: new_session(g, inputs)[0],
                    lambda s, i: s.execute(cols), top, sort)
        elif item == "noop":
            profile("3. no-op re-execute", 50, lambda i: session, lambda s, i: s.execute(cols), top, sort)
        elif item == "edit-register":
            def setup(i):
                session.execute(cols)
                return session
            edits = [g.edit_source(i + 1) for i in range(50)]
            profile("4a. re-register edited 1-fn cell (downstream fresh)", 50, setup,
                    lambda s, i: s.register_cell(edits[i], "edit_me", namespace=ns), top, sort)
        elif item == "edit-execute":
            def setup(i):
                session.register_cell(g.edit_source(i + 1000), "edit_me", namespace=ns)
                return session
            profile("4b. re-execute after the edit", 50, setup, lambda s, i: s.execute(cols), top, sort)
        elif item == "register":
            full = g.full_source()
            profile("5. register the 1000-function cell", 5, lambda i: Session(),
                    lambda s, i: s.register_cell(full, "features", namespace={}), top, sort)
        elif item == "reregister":
            def setup(i):
                session.execute(cols)
                return session
            same = g.edit_source(0)
            session.register_cell(same, "edit_me", namespace=ns)
            profile("6. re-register unchanged 1-fn cell", 50, setup,
                    lambda s, i: s.register_cell(same, "edit_me", namespace=ns), top, sort)


if __name__ == "__main__":
    main()
