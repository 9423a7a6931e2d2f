"""What the JupyterLab extension's comm costs, at seed scale: 1000 functions in 11 `%%hamilton`
cells (10 of ~100, plus the edit target's own cell), 1000 rows, in a real kernel.

    .venv/bin/python benchmarks/frontend_comm.py [--reps 5]

Measures, for an edit of the target cell (about 1% of the nodes go stale):
- badge latency: from sending the edited cell to the arrival of the badge message (the cell's
  own run time included — badges are sent once, after the cell);
- the same cell's run time in a kernel whose comm nobody answers (the extension absent);
- the kernel's cost of one badge message (summarising 1000 node states into per-cell badges);
- messages per edit and per execute (coalesced: one per batch, never one per node).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
import generate as G  # noqa: E402
from comm_frontend import Kernel  # noqa: E402

CHUNKS = 10


def cells(gen) -> list[str]:
    """The 999 other functions in ``CHUNKS`` cells, then the edit target's cell."""
    others = [f for f in gen.features if f.name != gen.edit_target]
    size = -(-len(others) // CHUNKS)
    out = []
    for i in range(CHUNKS):
        part = others[i * size:(i + 1) * size]
        out.append(f"%%hamilton part{i}\n" + G.HEADER + "\n\n".join(gen.function_source(f) for f in part))
    return out


def prepare(kernel: Kernel, gen) -> None:
    setup = (f"import sys; sys.path.insert(0, {str(HERE)!r})\n%load_ext hamilton_nb\nimport generate as G\n"
             "inputs = G.make_inputs()\n%hamilton_inputs inputs")
    assert kernel.run(setup, "setup").status == "ok"
    for i, source in enumerate(cells(gen)):
        assert kernel.run(source, f"part{i}").status == "ok"
    assert kernel.run("%%hamilton target\n" + gen.edit_source(0), "target").status == "ok"
    assert kernel.run("_ = %hamilton_execute --all", "exec").status == "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    gen = G.generate()
    results: dict[str, list[float]] = {"latency": [], "absent": [], "messages_edit": [], "messages_exec": []}
    for extension in (True, False):
        kernel = Kernel(extension=extension)
        try:
            prepare(kernel, gen)
            for k in range(1, args.reps + 1):
                edit = kernel.run("%%hamilton target\n" + gen.edit_source(k), "target")
                assert edit.status == "ok", edit.outputs
                if extension:
                    stale = edit.cells_messages()[-1]["cells"]
                    assert any(c["badge"] == "stale" for c in stale.values()), stale
                    results["latency"].append(edit.first_comm_seconds)
                    results["messages_edit"].append(len(edit.comm))
                else:
                    results["absent"].append(edit.seconds - 0.3)  # drain waits 0.3 s of quiet
                executed = kernel.run("_ = %hamilton_execute --all", "exec")
                if extension:
                    results["messages_exec"].append(len(executed.comm))
            if extension:
                timing = kernel.run(
                    "import time, IPython\nfrom hamilton_nb.notebook import frontend_comm\n"
                    "link = frontend_comm._LINKS[id(IPython.get_ipython())]\n"
                    "t = time.perf_counter()\nfor _ in range(20): link.snapshot()\n"
                    "print((time.perf_counter() - t) / 20 * 1000)", "time")
                results["snapshot_ms"] = [float(timing.text.strip().splitlines()[-1])]
        finally:
            kernel.close()
    ms = lambda values: f"{statistics.median(values) * 1000:7.1f} ms (min {min(values) * 1000:.1f})"  # noqa: E731
    print(f"1000 functions in {CHUNKS + 1} cells; edit of one cell ({gen.edit_downstream} nodes downstream), "
          f"{args.reps} reps")
    print(f"badge latency after the edit (cell included):   {ms(results['latency'])}   target <= 200 ms")
    print(f"the same edit, extension absent (cell only):     {ms(results['absent'])}")
    print(f"kernel cost of one badge message:                {results['snapshot_ms'][0]:7.2f} ms")
    print(f"comm messages per edit / per execute --all:      {max(results['messages_edit'])} / "
          f"{max(results['messages_exec'])} (running-cell changes included)")


if __name__ == "__main__":
    main()
