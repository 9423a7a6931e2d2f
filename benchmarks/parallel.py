"""A 1000-item Parallelizable/Collect block: the first execute, a no-op, and one item changed.

    .venv/bin/python benchmarks/parallel.py [--items 1000]
"""
from __future__ import annotations

import argparse
import sys
import time
import types

SOURCE = '''
import pandas as pd
from hamilton_nb.htypes import Collect, Parallelizable


def item(values: list) -> Parallelizable[int]:
    yield from values


def frame(item: int) -> pd.DataFrame:
    return pd.DataFrame({"item": [item] * 50, "x": range(50)})


def summed(frame: pd.DataFrame) -> float:
    return float((frame["x"] * frame["item"]).sum())


def total(summed: Collect[float]) -> float:
    return sum(summed)
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args()
    from hamilton_nb import driver

    module = types.ModuleType("parallel_bench")
    sys.modules[module.__name__] = module
    exec(compile(SOURCE, "<parallel_bench>", "exec"), vars(module))
    values = list(range(args.items))
    dr = driver.Driver({}, module, result="dict")
    print(f"{'step':<22}{'seconds':>10}")
    for label, inputs in (("full", values), ("no-op", values),
                          ("one item changed", values[:-1] + [-1])):
        started = time.perf_counter()
        dr.execute(["total"], inputs={"values": inputs})
        print(f"{label:<22}{time.perf_counter() - started:>10.3f}")


if __name__ == "__main__":
    main()
