"""What cells and `-v` print stays short and useful at 1000 functions."""
from __future__ import annotations

import re

from ipython_shell import ip  # noqa: F401  (ip is a fixture)


def wide(n: int, slow: int | None = None, factor: int = 2) -> str:
    """A cell of ``n`` features of one input; ``f_{slow}`` sleeps 100 ms."""
    body = ["%%hamilton big", "import time"]
    for i in range(n):
        sleep = "    time.sleep(0.1)\n" if i == slow else ""
        body.append(f"def f_{i}(x: pd.Series) -> pd.Series:\n{sleep}    return x * {factor} + {i}\n")
    return "\n".join(body)


def test_a_thousand_function_cell_prints_a_one_line_receipt(ip):
    out = ip.ok(wide(1000)).out.strip()
    assert out == "big: 1000 functions; added 1000: f_0, f_1, f_2 … f_999"
    ip.ok("%hamilton_inputs x=pd.Series([1.0, 2.0])")
    ip.ok("%hamilton_execute --all")
    edited = ip.ok(wide(1000, factor=3)).out.strip()
    assert edited == ("big: 1000 functions; changed 1000: f_0, f_1, f_2 … f_999; "
                      "now stale 1000: f_0, f_1, f_2 … f_999")


def test_small_receipts_still_name_every_function(ip):
    assert ip.ok(wide(3)).out.strip() == "big: 3 functions; added: f_0, f_1, f_2"


def test_verbose_at_scale_lists_the_slowest_ten_not_every_node(ip):
    ip.ok(wide(1000, slow=500))
    ip.ok("%hamilton_inputs x=pd.Series([1.0, 2.0])")
    lines = ip.ok("%hamilton_execute --all -v").out.splitlines()
    report = lines[:lines.index(next(line for line in lines if line.startswith("Out")))]
    assert re.fullmatch(r"1000 computed, 0 from cache in [\d.]+ (ms|s)", report[0])
    assert report[1] == "  slowest 10 of 1000 computed:"
    slowest = report[2:12]
    # the one that sleeps is among them (first, unless a pause of the machine slowed another more)
    assert any(line.startswith("    f_500  (") for line in slowest)
    times = [float(re.search(r"\(([\d.]+) ms\)", line).group(1)) for line in slowest]
    assert times == sorted(times, reverse=True) and times[0] >= 100
    assert len(report) == 12  # nothing cached, nothing more
    ip.ok(wide(1000, slow=500, factor=3))
    again = ip.ok("%hamilton_execute --all -v").out.splitlines()
    assert again[1] == "  1000 recomputed: 1000 changed (f_0: 2 of 2 rows differ, max |Δ| 2; " \
                       "f_1: 2 of 2 rows differ, max |Δ| 2; f_2: 2 of 2 rows differ, max |Δ| 2; …), 0 same"
