"""Scripts using the Dask executor: a missing ``__main__`` guard gets an explanation, not a Nanny trace."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parent.parent

BODY = """
    import pandas as pd
    from hamilton_nb.session import Session

    session = Session()
    session.register_cell("import pandas as pd\\ndef a(x: pd.Series) -> pd.Series:\\n    return x + 1\\n", "m")
    session.set_inputs(x=pd.Series([1.0, 2.0]))
    print(session.execute(["a"], executor="dask")["a"].tolist())
"""


def run_script(tmp_path: Path, source: str) -> subprocess.CompletedProcess:
    script = tmp_path / "features_job.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180,
                          cwd=tmp_path, env=env)


def test_a_script_without_a_main_guard_is_told_how_to_fix_it(tmp_path):
    done = run_script(tmp_path, BODY)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-2:]
    assert "Dask could not start its worker processes for features_job.py" in last[0]
    assert 'if __name__ == "__main__":' in last[1] and "processes=False" in last[1]


def test_the_same_script_with_a_guard_runs(tmp_path):
    guarded = "def main():\n" + textwrap.indent(textwrap.dedent(BODY), "    ") + \
        "\n\nif __name__ == \"__main__\":\n    main()\n"
    done = run_script(tmp_path, guarded)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[2.0, 3.0]"


PERSISTED = """
    import sys
    import pandas as pd
    from hamilton_nb.session import Session

    def main():
        session = Session()
        session.enable_persistent_cache("store")
        session.register_cell("import pandas as pd\\ndef a(x: pd.Series) -> pd.Series:\\n    return x + 1\\n\\n"
                              "def b(a: pd.Series) -> pd.Series:\\n    return a * 2\\n", "m")
        session.set_inputs(x=pd.Series([1.0, 2.0]))
        print(session.execute(["b"], executor=sys.argv[1])["b"].tolist(), sorted(session.last_report.loaded))

    if __name__ == "__main__":
        main()
"""


def test_a_script_ending_right_after_a_dask_execute_still_writes_the_persistent_cache(tmp_path):
    script = tmp_path / "persisted_job.py"
    script.write_text(textwrap.dedent(PERSISTED))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.run([sys.executable, str(script), executor], capture_output=True, text=True, timeout=180,
                           cwd=tmp_path, env=env) for executor in ("dask", "local")]
    assert all(done.returncode == 0 for done in runs), runs[0].stderr[-2000:] + runs[1].stderr[-2000:]
    # The workers wrote both values while the script was ending; the second run loads them.
    assert runs[1].stdout.strip().splitlines()[-1] == "[4.0, 6.0] ['a', 'b']"
