"""A warning (a failed ``warn`` check, a value contradicting its hint) is a calm line in a notebook."""
from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

from ipython_shell import ip  # noqa: F401  (ip is a fixture)

CHECKED = '''
%%hamilton quality
from hamilton_nb.function_modifiers import check_output

@check_output(range=(0, 1), importance="warn")
def share(x: pd.Series) -> pd.Series:
    return x / 2

def loose(x: pd.Series) -> int:
    return x.sum()
'''


def test_a_warning_is_one_line_on_stdout_and_nothing_on_stderr(ip, capfd, caplog):
    ip.ok("x = pd.Series([1.0, 4.0])")
    ip.ok(CHECKED)
    ip.ok("%hamilton_inputs x=x")
    with caplog.at_level(logging.WARNING, logger="hamilton_nb"):
        out = ip.ok("%hamilton_execute share loose --dict").out
    lines = [line for line in out.splitlines() if line.startswith("⚠")]
    assert len(lines) == 2, out
    assert lines[0].startswith("⚠ `share` (module `quality`) check range=(0, 1): 1 of 2 values")
    assert lines[1].startswith("⚠ `loose` (module `quality`) return type: returned a float64")
    assert "share" not in capfd.readouterr().err  # no error-style box
    assert len([r for r in caplog.records if "share" in r.getMessage()]) == 1  # logging still gets it once


def test_errors_logged_by_the_extension_still_go_to_stderr(ip, capfd):
    logging.getLogger("hamilton_nb").error("something broke")
    assert "something broke" not in capfd.readouterr().out


def test_a_script_keeps_plain_logging(tmp_path):
    script = textwrap.dedent('''
        import pandas as pd
        from hamilton_nb import driver
        from hamilton_nb.function_modifiers import check_output
        import types
        m = types.ModuleType("quality")
        exec(
            "import pandas as pd\\n"
            "from hamilton_nb.function_modifiers import check_output\\n"
            "@check_output(range=(0, 1), importance='warn')\\n"
            "def share(x: pd.Series) -> pd.Series:\\n"
            "    return x / 2\\n", m.__dict__)
        driver.Driver({"x": pd.Series([1.0, 4.0])}, m).execute(["share"])
    ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "check range=(0, 1)" in done.stderr and "⚠" not in done.stdout + done.stderr
