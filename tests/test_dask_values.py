"""With the Dask executor, computed values stay on the cluster: only what is asked for comes back.

The first test runs a client process whose address space is capped below the size of the
session's intermediates: it runs, edits and inspects them on a ``LocalCluster``, while the
same session with the local executor runs out of memory. The others run on a threaded
cluster in this process and check that everything else still holds for values kept there:
checks, comparisons and diffs, the local executor reading them, a cluster that goes away.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from hamilton_nb.errors import NodeExecutionError
from hamilton_nb.execution import DaskExecutor
from hamilton_nb.session import Session

from dask_cluster import local_client
from ipython_shell import ip  # noqa: F401  (fixture)

distributed = pytest.importorskip("distributed")

ROWS = 25_000_000  # 191 MB a Series; six intermediates are 1.1 GB
CHAIN = """
import numpy as np
import pandas as pd

def base(rows: int) -> pd.Series:
    return pd.Series(np.arange(rows, dtype="float64"))

def a(base: pd.Series) -> pd.Series:
    return base * 2

def b(a: pd.Series) -> pd.Series:
    return a + 1

def c(b: pd.Series) -> pd.Series:
    return b - 3

def d(c: pd.Series) -> pd.Series:
    return c * 0.5

def e(d: pd.Series) -> pd.Series:
    return d + 10

def total(e: pd.Series) -> float:
    return float(e.sum())
"""

CLIENT = """
import json, resource, sys
import distributed
from hamilton_nb.errors import NodeExecutionError
from hamilton_nb.execution import DaskExecutor
from hamilton_nb.session import Session

CHAIN = {chain!r}

def address_space():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))

client = distributed.Client(sys.argv[1], set_as_default=False)
session = Session()
session.register_cell(CHAIN, "chain", {{"__name__": "chain"}})
session.set_inputs(rows={rows})
session.executor = DaskExecutor(client)
# Room for what is asked for (one Series at a time), far from all six intermediates.
resource.setrlimit(resource.RLIMIT_AS, (address_space() + 800 * 2**20, resource.RLIM_INFINITY))
out = {{"total": session.execute(["total"])["total"].iloc[0],
        "computed": list(session.last_report.computed),
        "memory": str(session.memory_info()),
        "show": repr(session.show("c"))}}
session.register_cell(CHAIN.replace("c * 0.5", "c * 0.25"), "chain", {{"__name__": "chain"}})
out["edited total"] = session.execute(["total"])["total"].iloc[0]
out["recomputed"] = list(session.last_report.computed)
out["changed"] = session.changed
out["c rows"] = len(session.execute(["c"]))
del session
local = Session()
local.register_cell(CHAIN, "chain", {{"__name__": "chain"}})
local.set_inputs(rows={rows})
try:
    local.execute(["total"])
    out["local"] = "ran"
except NodeExecutionError as exc:
    out["local"] = str(exc)
print(json.dumps(out))
"""


def test_a_session_whose_intermediates_do_not_fit_the_client_runs_on_the_cluster(tmp_path):
    script = tmp_path / "client.py"
    script.write_text(CLIENT.format(chain=CHAIN, rows=ROWS))
    with local_client(processes=True) as client:
        done = subprocess.run([sys.executable, str(script), client.scheduler.address],
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    n = ROWS
    assert out["total"] == n * (n - 1) / 2 + 9 * n  # e = base + 9
    assert sorted(out["computed"]) == ["a", "b", "base", "c", "d", "e", "total"]
    # Here: only the output asked for (a float); the six intermediates are on the cluster.
    assert re.match(r"\d+ B of .* \(1 value,.*; 1\.2 GB kept on the Dask cluster \(6 values\)", out["memory"]), \
        out["memory"]
    # Shown without being brought to the client: the preview is made on the cluster.
    assert "(kept on the Dask cluster)" in out["show"] and f"length={n}" in out["show"]
    assert out["edited total"] == 0.25 * n * (n - 1) + 9.5 * n  # e = base / 2 + 9.5
    assert sorted(out["recomputed"]) == ["d", "e", "total"]
    assert out["changed"]["d"].startswith(f"{n - 1} of {n} rows differ")  # compared on the cluster
    assert out["c rows"] == n  # one intermediate, asked for, comes back
    # The control: the same session computed in the client process does not fit.
    assert "raised MemoryError" in out["local"], out["local"]


# ---- everything else, with values kept on a cluster ---------------------------------------------
@pytest.fixture(scope="module")
def client():
    with local_client(processes=False) as client:
        yield client


def cell(session: Session, source: str, module: str = "cell") -> None:
    session.register_cell(textwrap.dedent(source), module, {"__name__": f"test_{module}"})


FEATURES = """
    import pandas as pd
    from hamilton_nb.function_modifiers import check_output

    def spend(x: pd.Series) -> pd.Series:
        return x * 10

    @check_output(range=(0, 1), importance="warn")
    def spend_share(spend: pd.Series) -> pd.Series:
        return spend / spend.sum() * FACTOR

    def avg_spend(spend: pd.Series) -> pd.Series:
        return float(spend.mean())
    """


def features(client, factor: int = 1) -> Session:
    session = Session()
    session.executor = DaskExecutor(client)
    cell(session, FEATURES.replace("FACTOR", str(factor)))
    session.set_inputs(x=pd.Series([1.0, 2.0, 3.0, 4.0]))
    return session


def test_values_stay_on_the_cluster_and_only_outputs_come_back(client):
    session = features(client)
    out = session.execute(["spend_share"])
    pd.testing.assert_series_equal(out["spend_share"], pd.Series([0.1, 0.2, 0.3, 0.4], name="spend_share"))
    info = session.memory_info()  # the output is here (it came back), its input stays there
    assert (info.remote_entries, info.entries, info.nbytes) == (1, 1, 32)
    assert "kept on the Dask cluster (1 value)" in str(info)
    with pytest.raises(ValueError, match="read-only"):  # a gathered output is protected like a cached one
        out["spend_share"].to_numpy()[0] = 5.0
    assert session.execute(["spend_share"])["spend_share"].iloc[0] == 0.1
    assert session.last_report.computed == {}
    assert session.states()["spend"] == "fresh"


def test_checks_run_next_to_the_value_and_report_as_locally(client):
    session = features(client, factor=10)
    session.execute(["spend_share", "avg_spend"], result="dict")
    checks = session.status().set_index("node")["checks"]
    assert "range=(0, 1)" in checks["spend_share"]
    assert "returned a float, but the hint says pd.Series" in checks["avg_spend"]
    cell(session, FEATURES.replace("FACTOR", "1"))  # fixed: the warning goes
    session.execute(["spend_share"])
    assert session.status().set_index("node")["checks"]["spend_share"] == ""
    cell(session, FEATURES.replace("FACTOR", "1").replace('"warn"', '"fail"').replace("(0, 1)", "(0, 0.2)"))
    with pytest.raises(NodeExecutionError, match=r"`spend_share` \(module `cell`\) failed its check"):
        session.execute(["spend_share"])
    assert session.states()["spend_share"] == "error"
    session = features(client)
    session.strict_types = True
    with pytest.raises(NodeExecutionError, match="returned a float, but its return type hint says pd.Series"):
        session.execute(["avg_spend"], result="dict")


def test_changes_and_diffs_of_values_kept_on_the_cluster(client):
    session = features(client)
    session.execute(["spend_share"])
    session.set_inputs(x=pd.Series([1.0, 2.0, 3.0, 5.0]))
    session.execute(["spend_share"])
    assert session.changed["spend"] == "1 of 4 rows differ, max |Δ| 10"
    diff = session.diff("spend")
    assert diff.rows.to_dict("list") == {"before": [40.0], "after": [50.0], "Δ": [10.0]}
    # A what-if on the cluster leaves the node's own value (kept there) in place.
    assert session.execute(["spend_share"], overrides={"spend": pd.Series([1.0, 1.0, 1.0, 1.0])}
                           )["spend_share"].tolist() == [0.25] * 4
    assert session.execute(["spend_share"])["spend_share"].tolist() == [10 / 110, 20 / 110, 30 / 110, 50 / 110]
    assert session.last_report.computed == {}


def test_the_local_executor_reads_values_kept_on_the_cluster(client):
    session = features(client)
    session.execute(["spend_share"])
    session.executor = "local"
    cell(session, "import pandas as pd\n\ndef doubled(spend: pd.Series) -> pd.Series:\n    return spend * 2\n",
         "more")
    assert session.execute(["doubled", "spend_share"])["doubled"].tolist() == [20.0, 40.0, 60.0, 80.0]
    assert list(session.last_report.computed) == ["doubled"]
    session.set_inputs(x=pd.Series([2.0, 2.0, 3.0, 4.0]))
    session.execute(["spend_share"])  # recomputed here, compared with the value on the cluster
    assert session.changed["spend"] == "1 of 4 rows differ, max |Δ| 10"


def test_values_of_a_cluster_that_went_away_are_computed_again():
    executor = DaskExecutor(processes=False, n_workers=1)
    session = Session()
    session.executor = executor
    cell(session, FEATURES.replace("FACTOR", "1"))
    session.set_inputs(x=pd.Series([1.0, 2.0, 3.0, 4.0]))
    session.execute(["spend_share"])
    executor.close()
    assert session.states()["spend"] == "evicted"
    assert ("value: (evicted: the next execute that needs it loads it from the persistent cache or computes it "
            "again)") in repr(session.show("spend"))
    session.executor = "local"
    assert session.execute(["spend_share"])["spend_share"].tolist() == [0.1, 0.2, 0.3, 0.4]
    assert session.last_report.computed == {}  # the frame shown before was brought here: still right
    assert session.execute(["spend", "spend_share"])["spend"].tolist() == [10.0, 20.0, 30.0, 40.0]
    assert list(session.last_report.computed) == ["spend"]  # the output came back before: still here
    assert session.memory_info().entries == 2


def test_values_kept_on_the_cluster_are_written_to_the_persistent_cache_by_the_workers(client, tmp_path):
    session = features(client)
    session.enable_persistent_cache(tmp_path / "store")
    session.execute(["spend_share"])
    assert session.cache_info().writes == 2  # waits for the writes
    fresh = Session()  # a restarted kernel, computing locally
    cell(fresh, FEATURES.replace("FACTOR", "1"))
    fresh.set_inputs(x=pd.Series([1.0, 2.0, 3.0, 4.0]))
    fresh.enable_persistent_cache(tmp_path / "store")
    assert fresh.execute(["spend_share"])["spend_share"].tolist() == [0.1, 0.2, 0.3, 0.4]
    assert fresh.last_report.computed == {} and sorted(fresh.last_report.loaded) == ["spend", "spend_share"]


def test_workers_run_what_the_notebook_has_now_after_globals_change(client):
    session, ns = Session(), {"__name__": "test_globals", "RATE": 2}
    session.executor = DaskExecutor(client)
    exec("def adjust(v):\n    return v + 1\n", ns)
    session.register_cell("def rated(x: int) -> int:\n    return adjust(x * RATE)\n", "rates", ns)
    session.set_inputs(x=10)
    assert session.execute(["rated"], result="dict") == {"rated": 21}
    ns["RATE"] = 3
    assert session.execute(["rated"], result="dict") == {"rated": 31}
    exec("def adjust(v):\n    return v - 1\n", ns)
    assert session.execute(["rated"], result="dict") == {"rated": 29}
    assert session.execute(["rated"], result="dict") == {"rated": 29} and session.last_report.computed == {}


def test_the_magics_with_values_kept_on_the_cluster(ip, client):
    """Typed as a user would: the current Dask client is used, only the result comes back, and
    the memory report, ``%hamilton_show`` and ``%hamilton_diff`` say where values are."""
    default = distributed.Client(client.scheduler.address, set_as_default=True)
    try:
        ip.ok("x = pd.Series([1.0, 2.0, 3.0, 4.0])\n%hamilton_inputs x=x")
        ip.ok('''
            %%hamilton feats
            def spend(x: pd.Series) -> pd.Series:
                return x * 10

            def spend_share(spend: pd.Series) -> pd.Series:
                return spend / spend.sum()
            ''')
        assert ip.ok("%hamilton_execute spend_share --executor dask").value["spend_share"].tolist() == \
            [0.1, 0.2, 0.3, 0.4]
        assert "kept on the Dask cluster (1 value)" in ip.ok("%hamilton_cache memory").out
        assert "(kept on the Dask cluster)" in repr(ip.ok("%hamilton_show spend").value)
        ip.ok("x = pd.Series([1.0, 2.0, 3.0, 5.0])\n%hamilton_inputs x=x")
        ran = ip.ok("%hamilton_execute spend_share --executor dask -v")
        assert "spend: 1 of 4 rows differ, max |Δ| 10" in ran.out
        assert ip.ok("%hamilton_diff spend").value.rows["after"].tolist() == [50.0]
    finally:
        default.close()
