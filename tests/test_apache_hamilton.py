"""Code written for Apache Hamilton runs in hamilton_nb, node for node.

Every module of ``apache_modules`` runs under Apache Hamilton's Driver and under ours —
with its imports unchanged (Apache Hamilton resolves its decorators, we run the nodes) and,
where hamilton_nb has the decorators natively, with the import switched — and every node's
value is compared. Then the same code goes through ``%hamilton_import`` and ``%%hamilton``,
where edits to decorator arguments must make exactly the affected nodes stale.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import apache_modules as mods
from apache_hamilton import HAMILTON_IMPORT, OUR_IMPORT, hamilton_base, hamilton_driver, marks
from hamilton_nb import driver as our_driver
from hamilton_nb.errors import GraphError
from hamilton_nb.graph import functions_of_module
from ipython_shell import ip  # noqa: F401  (ip is a fixture)

pytestmark = marks("hamilton")


def assert_same_value(actual, expected, name: str) -> None:
    # Apache Hamilton's readers may pick other (nullable) dtypes than pandas' own read_* functions.
    loaded = ".select_data." in name or name in ("stores", "sales_total", "sales_scaled", "report")
    if isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(actual, expected, check_names=False, obj=name, check_dtype=not loaded)
    elif isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(actual, expected, obj=name, check_dtype=not loaded)
    elif isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(actual, expected, err_msg=name)
    else:
        assert repr(actual) == repr(expected), name  # validator results, metadata, scalars


def apache_values(module, config: dict, inputs: dict, skip=lambda name: False) -> dict:
    """Every node Apache Hamilton's Driver makes of ``module``, computed by it."""
    dr = hamilton_driver.Driver(dict(config), module,
                                adapter=hamilton_base.SimplePythonGraphAdapter(hamilton_base.DictResult()))
    names = [v.name for v in dr.list_available_variables()
             if not v.is_external_input and v.name not in config and not skip(v.name)]
    return dr.execute(names, inputs=inputs)


def compare_every_node(theirs, ours, config: dict, inputs: dict, skip=lambda name: False) -> dict:
    expected = apache_values(theirs, config, inputs, skip)
    dr = our_driver.Driver(dict(config), ours, result="dict")
    ours_names = {v["name"] for v in dr.list_available_variables() if not v["is_external_input"]}
    assert ours_names - set(expected) == {n for n in ours_names if skip(n)}, "nodes Apache Hamilton does not make"
    actual = dr.execute(list(expected), inputs=inputs)
    for name, value in expected.items():
        assert_same_value(actual[name], value, name)
    return actual


@pytest.fixture
def module_pair(make_module):
    """``module_pair(name, source, switched)`` → (for Apache Hamilton, for us): the same source,
    twice (decorators such as @mutate edit function objects), ours with the import switched."""
    def make(name: str, source: str, switched: bool = False):
        theirs = make_module(f"{name}_apache", source)
        ours = make_module(f"{name}_ours", source.replace(HAMILTON_IMPORT, OUR_IMPORT) if switched else source)
        return theirs, ours

    return make


# ---- the Driver, node by node ------------------------------------------------------------------
@pytest.mark.parametrize("region", ["us", "uk"])
@pytest.mark.parametrize("switched", [False, True], ids=["unchanged imports", "switched imports"])
def test_every_node_of_a_features_module_equals_apache_hamilton(module_pair, region, switched):
    theirs, ours = module_pair(f"features_{region}_{switched}", mods.FEATURES, switched)
    # Apache Hamilton's check_output makes `<node>_raw` and validator nodes; ours checks in place.
    skip = (lambda n: n.startswith("spend_capped_")) if switched else (lambda n: False)
    actual = compare_every_node(theirs, ours, {"region": region}, mods.INPUTS, skip)
    assert actual["spend_flag"].tolist() == [0.0] * 6  # filled by extract_columns(fill_with=0.0)
    assert "adjusted_spend" in actual  # config.when(name=...) names the node


def test_switched_imports_keep_tags_and_docs(module_pair):
    theirs, ours = module_pair("features_meta", mods.FEATURES, switched=True)
    expected = {v.name: v for v in hamilton_driver.Driver({"region": "us"}, theirs).list_available_variables()}
    actual = {v["name"]: v for v in our_driver.Driver({"region": "us"}, ours).list_available_variables()}
    for name in ("signups_x2", "signups_x3", "spend_2x", "spend_lag_1", "spend_avg_2", "spend_sum"):
        theirs_tags = {k: v for k, v in expected[name].tags.items() if not k.startswith("hamilton") and k != "module"}
        ours_tags = {k: v for k, v in actual[name]["tags"].items() if not k.startswith("hamilton")}
        assert ours_tags == theirs_tags, name
        assert actual[name]["doc"] == (expected[name].documentation or ""), name


def test_every_node_of_pipes_mutations_and_subdags_equals_apache_hamilton(module_pair):
    theirs, ours = module_pair("macros", mods.MACROS)
    actual = compare_every_node(theirs, ours, {}, mods.INPUTS)
    assert actual["spend_piped"].tolist() == [(s - 5 + 1) * 2 for s in mods.INPUTS["spend"]]
    assert actual["signups_base"].tolist() == [-(s / 10 + 100) for s in mods.INPUTS["signups"]]


@pytest.mark.parametrize("factors", [[2], [2, 3]])
def test_schema_resolve_and_with_columns_equal_apache_hamilton(module_pair, factors):
    from hamilton import settings

    theirs, ours = module_pair(f"power_{len(factors)}", mods.POWER)
    config = {"factors": factors, settings.ENABLE_POWER_USER_MODE: True}
    actual = compare_every_node(theirs, ours, config, {"spend": mods.INPUTS["spend"]})
    assert {f"spend_times_{f}" for f in factors} <= set(actual)
    assert "_spend_plus_x2" in actual["spend_enriched"].columns


def test_loaders_and_savers_equal_apache_hamilton(module_pair, tmp_path):
    inputs = mods.write_io_files(tmp_path)
    source = mods.IO.replace("{folder}", str(tmp_path))
    theirs, ours = module_pair("io_unchanged", source.replace("{who}", "apache"))
    _, switched = module_pair("io_switched", source.replace("{who}", "ours"), switched=True)
    saved = lambda name: name.startswith("save_")  # noqa: E731  (Apache's metadata holds write times)
    config = {**inputs, "weights_out": str(tmp_path / "w.csv")}
    for module in (ours, switched):
        # The loader's own (data, metadata) nodes differ in metadata (Apache's holds load times).
        compare_every_node(theirs, module, config, {},
                           skip=lambda n: saved(n) or ".load_data." in n or n.endswith(".loader"))
        our_driver.Driver(config, module, result="dict").execute(["save_report", "save_weights"])
    hamilton_driver.Driver(config, theirs).execute(["save_report"])
    assert (tmp_path / "out_ours.csv").read_text() == (tmp_path / "out_apache.csv").read_text()


# ---- staleness: decorator arguments and loaded files are part of versions -------------------------
def test_editing_a_decorator_argument_makes_its_nodes_stale(make_module):
    first = make_module("piped_v1", mods.MACROS)
    dr = our_driver.Driver({}, first, result="dict")
    dr.execute(["spend_piped", "signups_piped"], inputs=mods.INPUTS)
    edited = make_module("piped_v2", mods.MACROS.replace("amount=value(1.0)", "amount=value(2.0)"))
    dr.session.register_functions("piped_v1", functions_of_module(edited))
    out = dr.execute(["spend_piped", "signups_piped"], inputs=mods.INPUTS)
    assert out["spend_piped"].tolist() == [(s - 5 + 2) * 2 for s in mods.INPUTS["spend"]]
    assert "signups_piped" in dr.last_report.cached and "spend_piped" in dr.last_report.computed


@pytest.mark.parametrize("switched", [False, True], ids=["unchanged imports", "switched imports"])
def test_a_changed_file_makes_exactly_its_readers_stale(module_pair, tmp_path, switched):
    inputs = mods.write_io_files(tmp_path)
    _, module = module_pair(f"io_stale_{switched}", mods.IO.replace("{folder}", str(tmp_path)), switched)
    dr = our_driver.Driver(inputs, module, result="dict")
    outputs = ["sales_scaled", "region_count", "store_count", "weight"]
    assert dr.execute(outputs)["sales_scaled"].tolist() == [5.0, 24.0, 10.0]
    dr.execute(outputs)
    assert not {"sales_total", "sales_scaled", "store_count"} & set(dr.last_report.computed)

    (tmp_path / "sales.csv").write_text("units,price\n1,2.5\n3,4.0\n6,1.0\n")
    out = dr.execute(outputs)
    assert out["sales_scaled"].tolist() == [5.0, 24.0, 12.0]
    recomputed = {n for n in dr.last_report.computed if "." not in n}
    assert recomputed == {"sales_total", "sales_scaled"}  # not region_count, store_count, weight

    (tmp_path / "stores.csv").write_text("store\nnorth\nsouth\nwest\n")
    assert dr.execute(outputs)["store_count"] == 3
    assert {n for n in dr.last_report.computed if "." not in n} == {"stores", "store_count"}


def test_a_missing_file_names_the_loader_and_the_fix(module_pair, tmp_path):
    inputs = mods.write_io_files(tmp_path)
    _, module = module_pair("io_missing", mods.IO.replace("{folder}", str(tmp_path)), switched=True)
    dr = our_driver.Driver({**inputs, "sales_path": str(tmp_path / "nope.csv")}, module)
    with pytest.raises(Exception) as info:
        dr.execute(["sales_total"])
    assert "sales_total.load_data.sales" in str(info.value) and "nope.csv" in str(info.value)
    assert "Fix:" in str(info.value)


# ---- what hamilton_nb refuses, clearly -------------------------------------------------------------
def test_parallelizable_nodes_run_as_apache_hamilton_runs_them(make_module):
    module = make_module("fan_out", mods.PARALLEL)
    assert our_driver.Driver({"n": 3}, module, result="dict").execute(["total"])["total"] == 5


def test_mixing_decorator_libraries_on_one_function_is_refused(make_module):
    module = make_module("mixed", """
        import pandas as pd
        from hamilton.function_modifiers import tag
        from hamilton_nb.function_modifiers import extract_columns

        @tag(owner="x")
        @extract_columns("a")
        def frame(spend: pd.Series) -> pd.DataFrame:
            return pd.DataFrame({"a": spend})
    """)
    with pytest.raises(GraphError) as info:
        our_driver.Driver({}, module)
    message = str(info.value)
    assert "`frame`" in message and "@extract_columns" in message and "@tag" in message
    assert "Fix: import every decorator" in message


def test_an_unsupported_apache_hamilton_version_is_refused(make_module, monkeypatch):
    import hamilton.version

    module = make_module("old_release", mods.MACROS)
    monkeypatch.setattr(hamilton.version, "VERSION", (1, 40, 0))
    with pytest.raises(GraphError) as info:
        our_driver.Driver({}, module)
    message = str(info.value)
    assert "`spend_piped`" in message and "@pipe_output" in message and "1.40.0" in message
    assert "pip install 'hamilton_nb[hamilton]'" in message


def test_a_decorator_apache_hamilton_rejects_is_reported_with_the_function(make_module):
    module = make_module("bad_args", """
        import pandas as pd
        from hamilton.function_modifiers import check_output

        @check_output(range=(0, 1))
        def label(spend: pd.Series) -> str:
            return "a"
    """)
    with pytest.raises(GraphError) as info:
        our_driver.Driver({}, module)
    message = str(info.value)
    assert "`label`" in message and "module `bad_args`" in message and "@check_output" in message
    assert "No registered subclass of BaseDefaultValidator" in message and "Fix:" in message


def test_native_modifiers_work_without_apache_hamilton(tmp_path):
    """`hamilton_nb.function_modifiers` never needs Apache Hamilton: block its import and run."""
    (tmp_path / "native.py").write_text(mods.FEATURES.replace(HAMILTON_IMPORT, OUR_IMPORT))
    script = textwrap.dedent(f"""
        import sys
        sys.modules["hamilton"] = None  # `import hamilton` now fails
        sys.path.insert(0, {str(tmp_path)!r})
        import pandas as pd
        import native
        from hamilton_nb import driver
        dr = driver.Driver({{"region": "us", "spend": pd.Series([1.0, 2.0]), "signups": pd.Series([3.0, 4.0])}},
                           native, result="dict")
        print(dr.execute(["spend_sum", "band_2_high", "adjusted_spend"])["spend_sum"].tolist())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[5.0, 10.0]"


# ---- in the notebook: %hamilton_import and %%hamilton --------------------------------------------
@pytest.fixture
def nb(ip):  # noqa: F811
    ip.ns["__name__"] = "__main__"  # as in a real notebook (Apache Hamilton looks functions' module up)
    return ip


def computed(out: str) -> set[str]:
    return {line.split()[1] for line in out.splitlines() if line.strip().startswith("computed ")}


def test_hamilton_import_of_an_unchanged_apache_module(nb, tmp_path, make_module):  # noqa: F811
    path = tmp_path / "pipes.py"
    path.write_text(mods.MACROS)
    theirs = make_module("pipes_apache", mods.MACROS)
    expected = apache_values(theirs, {}, mods.INPUTS)
    nb.ok(f"""
        spend = pd.Series({mods.INPUTS["spend"].tolist()})
        signups = pd.Series({mods.INPUTS["signups"].tolist()})
    """)
    nb.ok("%hamilton_inputs spend=spend signups=signups")
    nb.ok(f"%hamilton_import {path} --as pipes")
    names = list(expected)
    nb.ok(f"result = %hamilton_execute {' '.join(names)} --dict")
    for name in names:
        assert_same_value(nb.ns["result"][name], expected[name], name)
    states = nb.states()
    assert all(states[n] == "fresh" for n in names)

    path.write_text(mods.MACROS.replace("amount=value(10.0)", "amount=value(20.0)"))
    nb.ok(f"%hamilton_import {path} --as pipes")
    states = nb.states()
    assert states["signups_piped"] == "stale" and states["spend_piped"] == "fresh"
    ran = nb.ok("%hamilton_execute signups_piped spend_piped -v")
    assert {n for n in computed(ran.out) if "." not in n} == {"signups_piped"}
    assert ran.value["signups_piped"].tolist() == [s + 20 for s in mods.INPUTS["signups"]]


PASTED_CELL = '''
%%hamilton features
from hamilton.function_modifiers import check_output, extract_columns, pipe_output, step, value

def _add(x: pd.Series, amount: float) -> pd.Series:
    return x + amount

@pipe_output(step(_add, amount=value({amount})))
def piped(spend: pd.Series) -> pd.Series:
    calls.hit()
    return spend * 2

@extract_columns("low", "high")
def band(piped: pd.Series) -> pd.DataFrame:
    calls.hit()
    return pd.DataFrame({{"low": piped - 1, "high": piped + 1}})

@check_output(range=(0, 5), importance="warn")
def checked(spend: pd.Series) -> pd.Series:
    calls.hit()
    return spend
'''


def test_a_pasted_apache_cell_runs_live(nb):
    nb.ok("spend = pd.Series([1.0, 2.0, 3.0, 10.0])")
    nb.ok("%hamilton_inputs spend=spend")
    nb.ok(PASTED_CELL.format(amount=1.0))
    first = nb.ok("%hamilton_execute low high checked")
    assert first.value["low"].tolist() == [2.0, 4.0, 6.0, 20.0]
    assert nb.counted("%hamilton_execute low high checked") == {}

    nb.ok(PASTED_CELL.format(amount=2.0))  # a decorator argument changes
    states = nb.states()
    assert states["piped"] == "stale" and states["low"] == "stale" and states["checked"] == "fresh"
    # all of a function's nodes share its decorators' arguments: `piped` (its `.raw` step too) re-runs
    assert nb.counted("%hamilton_execute low high checked") == {"piped": 1, "band": 1}
    assert nb.ok("%hamilton_execute low").value["low"].tolist() == [3.0, 5.0, 7.0, 21.0]
    shown = repr(nb.ok("%hamilton_show piped").value)
    assert "@pipe_output" in shown  # the source a user wrote


def test_apache_check_output_warnings_and_type_warnings_show_in_the_status(nb):
    nb.ok("import numpy as np\nspend = pd.Series([1.0, 2.0, 30.0])")
    nb.ok("%hamilton_inputs spend=spend")
    nb.ok('''
        %%hamilton checks
        from hamilton.function_modifiers import check_output

        @check_output(range=(0, 5), importance="warn")
        def checked(spend: pd.Series) -> pd.Series:
            return spend

        def mean_spend(spend: pd.Series) -> np.ndarray:
            return np.float64(spend.mean())
    ''')
    nb.ok("%hamilton_execute checked checked_range_validator mean_spend --dict")
    table = nb.ok("%hamilton_status").value.set_index("node")
    assert "hint says np.ndarray" in table.loc["mean_spend", "checks"]
    assert set(table.index) >= {"checked_raw", "checked_range_validator", "checked"}


def test_a_mutate_in_another_cell_is_refused(nb):
    nb.ok("spend = pd.Series([1.0, 2.0])")
    nb.ok('''
        %%hamilton base
        def spend_base(spend: pd.Series) -> pd.Series:
            return spend
    ''')
    ran = nb.fails('''
        %%hamilton more
        from hamilton.function_modifiers import mutate, value

        @mutate(spend_base, amount=value(1.0))
        def _plus(x: pd.Series, amount: float) -> pd.Series:
            return x + amount

        def other(spend: pd.Series) -> pd.Series:
            return spend
    ''', GraphError)
    assert "`_plus`" in ran.out and "`spend_base`" in ran.out and "Fix:" in ran.out
    assert "other" not in nb.states()


@pytest.mark.parametrize("library, decorator, body", [
    ("hamilton", "pipe_output(step(_shifted))", "return spend"),
    ("hamilton", "does(_shifted_by, series='spend')", "pass"),
    ("hamilton_nb", "does(_shifted_by, series='spend')", "pass"),
])
def test_a_constant_a_helper_reads_is_part_of_the_version(nb, library, decorator, body):
    """Helpers handed to a decorator are watched like the function's own globals."""
    nb.ok("spend = pd.Series([1.0, 2.0])\nSHIFT = 10.0")
    nb.ok("%hamilton_inputs spend=spend")
    nb.ok(f'''
        %%hamilton helpers
        from {library}.function_modifiers import does{", pipe_output, step" if library == "hamilton" else ""}

        def _shifted(x: pd.Series) -> pd.Series:
            return x + SHIFT

        def _shifted_by(series: pd.Series) -> pd.Series:
            return series + SHIFT

        @{decorator}
        def moved(spend: pd.Series) -> pd.Series:
            {body}
    ''')
    assert nb.ok("%hamilton_execute moved").value["moved"].tolist() == [11.0, 12.0]
    nb.ok("SHIFT = 20.0")  # another cell
    assert nb.states()["moved"] == "stale"
    assert nb.ok("%hamilton_execute moved").value["moved"].tolist() == [21.0, 22.0]
    shown = repr(nb.ok("%hamilton_show moved").value)
    assert "def moved" in shown


def test_an_apache_cell_exports_to_a_module_apache_hamilton_runs(nb, tmp_path):
    nb.ok("spend = pd.Series([1.0, 2.0, 3.0, 10.0])")
    nb.ok("%hamilton_inputs spend=spend")
    nb.ok(PASTED_CELL.format(amount=1.0).replace("    calls.hit()\n", ""))
    target = tmp_path / "exported_features.py"
    nb.ok(f"%hamilton_export {target}")
    exported = target.read_text()
    assert "from hamilton.function_modifiers import" in exported and "@pipe_output" in exported
    sys.path.insert(0, str(tmp_path))
    try:
        import exported_features

        expected = apache_values(exported_features, {}, {"spend": nb.ns["spend"]})
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("exported_features", None)
    assert {"piped", "low", "high", "checked"} <= set(expected)
    live = nb.ok(f"result = %hamilton_execute {' '.join(expected)} --dict")
    assert live.error is None
    for name, value in expected.items():
        assert_same_value(nb.ns["result"][name], value, name)


@pytest.mark.parametrize("library", ["hamilton", "hamilton_nb"])
def test_editing_a_loaders_path_makes_its_readers_stale_before_executing(nb, tmp_path, library):
    (tmp_path / "a.csv").write_text("x\n1\n2\n")
    (tmp_path / "b.csv").write_text("x\n5\n")
    cell = '''
        %%hamilton loading
        from {library}.function_modifiers import load_from, value

        @load_from.csv(path=value({path!r}))
        def total(frame: pd.DataFrame) -> int:
            return int(frame["x"].sum())

        def doubled(total: int) -> int:
            return total * 2
    '''
    nb.ok(cell.format(path=str(tmp_path / "a.csv"), library=library))
    assert nb.ok("%hamilton_execute doubled --dict").value["doubled"] == 6
    nb.ok(cell.format(path=str(tmp_path / "b.csv"), library=library))
    assert nb.states()["doubled"] == "stale"
    assert nb.ok("%hamilton_execute doubled --dict").value["doubled"] == 10


def test_the_same_module_builds_the_same_graph_again_and_after_apache_hamiltons_driver(make_module):
    """Apache Hamilton's @config renames the functions it resolves; no node may go missing."""
    def computed_nodes(dr):
        return {v["name"] for v in dr.list_available_variables() if not v["is_external_input"]}

    module = make_module("built_twice", mods.FEATURES)
    first = computed_nodes(our_driver.Driver({"region": "us"}, module))
    hamilton_driver.Driver({"region": "uk"}, module)
    hamilton_driver.Driver({"region": "us"}, module)
    again = computed_nodes(our_driver.Driver({"region": "us"}, module))
    assert "adjusted_spend" in first and again == first
