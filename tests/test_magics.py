"""The magics, typed into a real IPython shell exactly as a user would (issue 3)."""
from __future__ import annotations

import pandas as pd
import pytest

import hamilton_nb
from hamilton_nb.errors import GraphError, InputError, NodeExecutionError
from ipython_shell import MAGICS, ip  # noqa: F401  (ip is a fixture)

USER_STORY = '''
%%hamilton features
def avg_3wk_spend(spend: pd.Series) -> pd.Series:
    """Rolling 3 week average spend."""
    calls.hit()
    return spend.rolling(3).mean()

def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    """The cost per signup in relation to spend."""
    calls.hit()
    return spend / signups
'''
SERIES = '''
spend_series = pd.Series([10.0, 10, 20, 40, 40, 50])
signups_series = pd.Series([1.0, 10, 50, 100, 200, 400])
'''


def computed(out: str) -> set[str]:
    """Node names that `-v` reports as computed."""
    return {line.split()[1] for line in out.splitlines() if line.strip().startswith("computed ")}


def cached(out: str) -> set[str]:
    lines = [line for line in out.splitlines() if line.strip().startswith("cached ")]
    return {name.strip() for line in lines for name in line.split(None, 1)[1].split(",")}


# ---- the extension -------------------------------------------------------------------------
def test_load_ext_registers_every_magic(ip):
    manager = ip.shell.magics_manager
    ip.ok("%unload_ext hamilton_nb")
    for name, kind in MAGICS.items():
        manager.magics[kind].pop(name, None)
    assert ip.shell.find_line_magic("hamilton_execute") is None
    ip.ok("%load_ext hamilton_nb")
    missing = [name for name, kind in MAGICS.items() if name not in manager.magics[kind]]
    assert missing == []


@pytest.mark.parametrize("name, mentions", [
    ("hamilton", ["module", "-c CONFIG", "--display", "replaces", "nothing changes"]),
    ("hamilton_execute", ["--all", "-i INPUTS", "-o OVERRIDES", "--out OUT", "--dict", "-v", "DataFrame"]),
    ("hamilton_inputs", ["--drop", "DataFrame", "dict"]),
    ("hamilton_config", ["key=value", "config"]),
    ("hamilton_status", ["state", "fresh", "stale"]),
    ("hamilton_show", ["node", "source", "lineage"]),
    ("hamilton_drop", ["name", "module", "node"]),
    ("hamilton_reset", ["--cache"]),
    ("hamilton_graph", ["--focus", "--hops", "--module", "--static"]),
    ("hamilton_verify", ["--all", "--idle", "stale", "os.environ", "50 ms"]),
])
def test_every_magic_documents_itself(ip, name, mentions):
    kind = MAGICS[name]
    magic = ip.shell.find_cell_magic(name) if kind == "cell" else ip.shell.find_line_magic(name)
    doc = magic.__doc__ or ""
    assert [m for m in mentions if m not in doc] == []
    prefix = "%%" if kind == "cell" else "%"
    help_text = ip.ok(f"{prefix}{name}?").out  # what `%magic?` shows
    assert doc.strip().splitlines()[-1].strip() in help_text


# ---- %%hamilton ----------------------------------------------------------------------------
def test_user_story_recomputes_only_the_edited_function(ip):
    ip.ok(SERIES)
    assert "features: 2 functions; added: avg_3wk_spend, spend_per_signup" in ip.ok(USER_STORY).out
    ip.ok("%hamilton_inputs spend=spend_series signups=signups_series")
    ran = ip.ok("%hamilton_execute avg_3wk_spend spend_per_signup -v")
    assert list(ran.value.columns) == ["avg_3wk_spend", "spend_per_signup"]
    assert ran.value["spend_per_signup"].tolist() == [10.0, 1.0, 0.4, 0.4, 0.2, 0.125]
    assert computed(ran.out) == {"avg_3wk_spend", "spend_per_signup"}

    edit = ip.ok(USER_STORY.replace("return spend / signups", "return spend / signups * 100"))
    assert "changed: spend_per_signup" in edit.out and "now stale: spend_per_signup" in edit.out
    before = dict(ip.calls)
    ran = ip.ok("%hamilton_execute avg_3wk_spend spend_per_signup -v")
    assert computed(ran.out) == {"spend_per_signup"} and cached(ran.out) == {"avg_3wk_spend"}
    assert ip.calls["spend_per_signup"] == before["spend_per_signup"] + 1
    assert ip.calls["avg_3wk_spend"] == before["avg_3wk_spend"]
    assert ran.value["spend_per_signup"].tolist() == [1000.0, 100.0, 40.0, 40.0, 20.0, 12.5]


def test_cell_functions_are_ordinary_notebook_functions(ip):
    ip.ok(USER_STORY)
    ran = ip.ok("spend_per_signup(pd.Series([10.0, 9.0]), pd.Series([2.0, 3.0])).tolist()")
    assert ran.value == [5.0, 3.0]
    assert ip.ok("avg_3wk_spend.__doc__").value == "Rolling 3 week average spend."
    assert set(ip.states()) == {"spend", "signups", "avg_3wk_spend", "spend_per_signup"}


FEATURES = '''
%%hamilton features
def a(x: int) -> int:
    calls.hit()
    return x + 1

def b(a: int) -> int:
    calls.hit()
    return a * 10
'''
OTHER = '''
%%hamilton other
def c(b: int) -> int:
    calls.hit()
    return b + 5
'''
INVALID_RERUNS = {
    "syntax error": ('''
        %%hamilton features
        def a(x: int) -> int
            return x
        ''', ["Syntax error", "line 1", "Fix:", "unchanged"]),
    "missing annotation": ('''
        %%hamilton features
        extra_name = 1
        def a(x) -> int:
            return x
        def b(a: int) -> int:
            return a
        ''', ["`a`", "no type hint for parameter `x`", "Fix:"]),
    "missing return annotation": ('''
        %%hamilton features
        extra_name = 1
        def a(x: int):
            return x
        ''', ["`a`", "no return type hint", "Fix:"]),
    "cycle": ('''
        %%hamilton features
        extra_name = 1
        def a(b: int) -> int:
            return b
        def b(a: int) -> int:
            return a
        ''', ["Cycle", "a", "b", "Fix:"]),
    "duplicate across modules": ('''
        %%hamilton features
        extra_name = 1
        def a(x: int) -> int:
            return x
        def b(a: int) -> int:
            return a
        def c(a: int) -> int:
            return a
        ''', ["`c`", "already defined in module `other`", "Fix:", "%hamilton_drop c"]),
    "type mismatch": ('''
        %%hamilton features
        extra_name = 1
        def a(x: int) -> str:
            return str(x)
        def b(a: int) -> int:
            return a
        ''', ["Type mismatch", "`b`", "`a`", "returns str", "Fix:"]),
    "type mismatch with another module": ('''
        %%hamilton features
        extra_name = 1
        def a(x: int) -> int:
            return x
        def b(a: int) -> str:
            return str(a)
        ''', ["Type mismatch", "`c`", "module `other`", "Fix:"]),
    "config set by a rejected cell": ('''
        %%hamilton features -c '{"x": 99, "brand_new": true}'
        extra_name = 1
        def a(x) -> int:
            return x
        ''', ["no type hint for parameter `x`"]),
}


@pytest.mark.parametrize("case", list(INVALID_RERUNS))
def test_invalid_rerun_changes_nothing_and_says_how_to_fix(ip, case):
    source, phrases = INVALID_RERUNS[case]
    ip.ok(FEATURES)
    ip.ok(OTHER)
    ip.ok("%hamilton_config x=1")
    ip.ok("%hamilton_execute c")
    old_a, status, config = ip.ns["a"], ip.ok("%hamilton_status").value, ip.ok("%hamilton_config").value
    calls = dict(ip.calls)

    ran = ip.fails(source, GraphError)
    assert [p for p in phrases if p not in ran.out] == []
    assert "Traceback" not in ran.out  # the message is the whole story

    assert ip.ns["a"] is old_a and "extra_name" not in ip.ns            # namespace unchanged
    pd.testing.assert_frame_equal(ip.ok("%hamilton_status").value, status)  # graph and states unchanged
    assert ip.ok("%hamilton_config").value == config
    again = ip.ok("%hamilton_execute c -v")                              # values still valid
    assert computed(again.out) == set() and again.value["c"].tolist() == [25]
    assert dict(ip.calls) == calls


def test_a_cell_that_raises_while_running_changes_nothing(ip):
    ip.ok(FEATURES)
    old_a = ip.ns["a"]
    ran = ip.fails(FEATURES.replace("    return a * 10", "    return a * 10\n\nraise ValueError('boom')"),
                   GraphError)
    assert "ValueError" in ran.out and "boom" in ran.out and "features" in ran.out
    assert "hamilton_nb" not in ran.out.split("Traceback")[-1]  # only the user's frames
    assert ip.ns["a"] is old_a
    assert ip.states() == {"x": "input", "a": "not computed", "b": "not computed"}


def test_functions_removed_from_a_cell_leave_the_graph_with_one_line(ip):
    ip.ok(FEATURES)
    ip.ok(OTHER)
    ip.ok("%hamilton_inputs x=1")
    ran = ip.ok(FEATURES.split("\ndef b")[0])
    assert ran.out.strip() == "features: 1 function; removed: b"
    assert ip.states() == {"x": "input", "a": "not computed", "b": "input", "c": "not computed"}
    ran = ip.fails("%hamilton_execute a c", InputError)  # `c` still needs `b`: now a missing input
    assert "Missing inputs" in ran.out and "b  (needed by c)" in ran.out


# ---- naming cells without a MODULE ---------------------------------------------------------
CELL_1 = '''
%%hamilton
def a(x: int) -> int:
    return x + 1
'''
CELL_1_EDITED = '''
%%hamilton
def a(x: int) -> int:
    return x + 2

def a_plus(a: int) -> int:
    return a + 1
'''
CELL_2 = '''
%%hamilton
def z(y: int) -> int:
    return y
'''


def modules() -> dict[str, list[str]]:
    return dict(hamilton_nb.get_session().graph.modules)


def test_unnamed_cells_are_named_after_their_first_function_and_keep_that_name(ip):
    jupyterlab_id = "1e9aac6b-cee9-4786-813b-df30c0debc38"
    assert ip.ok(CELL_1, cell_id=jupyterlab_id).out.startswith("cell_a: ")
    ip.ok(CELL_1_EDITED.replace("def a(", "def renamed("), cell_id=jupyterlab_id)
    assert modules() == {"cell_a": ["renamed", "a_plus"]}  # replaced: found by id, not by names
    ip.ok(CELL_2, cell_id="0f4e2c1d-0000-4000-8000-000000000000")
    assert modules() == {"cell_a": ["renamed", "a_plus"], "cell_z": ["z"]}
    ip.ok(CELL_2.replace("def z(", "def a("), cell_id="another-cell")  # same first name, another cell
    assert modules()["cell_a_2"] == ["a"]


def test_cell_ids_that_are_uris_still_name_cells_apart(ip):
    """VS Code sends the cell's URI when the notebook has no nbformat ids."""
    uri = "vscode-notebook-cell:/home/me/forecast.ipynb#W{}sZmlsZQ%3D%3D"
    ip.ok(CELL_1, cell_id=uri.format(1))
    ip.ok(CELL_2, cell_id=uri.format(2))
    ip.ok(CELL_1_EDITED, cell_id=uri.format(1))
    assert sorted(modules().values()) == [["a", "a_plus"], ["z"]]


def test_unnamed_cells_without_a_cell_id_fall_back_to_the_owning_module(ip):
    assert ip.ok(CELL_1).out.startswith("cell_a: ")
    assert ip.ok(CELL_1_EDITED).out.startswith("cell_a: ")  # a re-run replaces the module holding `a`
    assert ip.ok(CELL_2).out.startswith("cell_z: ")
    assert modules() == {"cell_a": ["a", "a_plus"], "cell_z": ["z"]}


def test_renaming_the_only_function_of_a_cell_without_id_replaces_it_and_says_so(ip):
    ip.ok(CELL_1)
    ip.ok(CELL_2)
    ip.ok("%hamilton_inputs x=1 y=2")
    assert ip.ok("%hamilton_execute a").value["a"].tolist() == [2]
    out = ip.ok(CELL_1.replace("def a(", "def b(")).out
    assert out.startswith("cell_a (the same cell as before, its functions renamed): ")
    assert "added: b; removed: a" in out and "now stale" not in out
    assert modules() == {"cell_a": ["b"], "cell_z": ["z"]}
    assert ip.ok("%hamilton_execute b z").value["b"].tolist() == [2]
    ran = ip.fails("%hamilton_execute a", InputError)
    assert "`a` was a function in module `cell_a`, since removed" in ran.out


def test_emptying_a_cell_empties_its_module_and_says_what_was_removed(ip):
    ip.ok(CELL_1_EDITED, cell_id="c1")
    ip.ok("%hamilton_inputs x=1")
    ip.ok("%hamilton_execute a_plus")
    out = ip.ok("%%hamilton\n# nothing here yet\n", cell_id="c1").out
    assert out.strip() == "cell_a: 0 functions; removed: a, a_plus"
    assert modules() == {} and "a" not in ip.states()
    ip.ok(CELL_2, cell_id="c2")
    ip.ok("%hamilton_inputs y=1")
    ip.ok("%hamilton_execute z")
    assert hamilton_nb.get_session().engine.cache.get("a") is None  # released by the next execute
    out = ip.ok("%%hamilton\ndef _helper(v):\n    return v\n", cell_id="c2").out  # same rule
    assert out.strip() == "cell_z: 0 functions; removed: z"
    ran = ip.fails("%%hamilton\nz = 1\n", GraphError)  # a brand-new empty cell registers nothing
    assert "defines no functions" in ran.out


def test_cell_config_option_takes_json_or_a_variable(ip):
    ip.ok("settings = {'factor': 4}")
    ip.ok('''
        %%hamilton scaled -c settings
        def scaled(x: int, factor: int) -> int:
            return x * factor
        ''')
    ip.ok("%hamilton_inputs x=2")
    assert ip.ok("%hamilton_execute scaled").value["scaled"].tolist() == [8]
    ip.ok('''
        %%hamilton scaled -c '{"factor": 5, "unused": true}'
        def scaled(x: int, factor: int) -> int:
            return x * factor
        ''')
    assert ip.ok("%hamilton_config").value == {"factor": 5, "unused": True}
    assert ip.ok("%hamilton_execute scaled").value["scaled"].tolist() == [10]


# ---- what recomputes after each kind of edit -----------------------------------------------
PIPELINE = '''
%%hamilton feat
def raw(x: pd.Series, factor: int) -> pd.Series:
    calls.hit()
    return x * factor

def scaled(raw: pd.Series) -> pd.Series:
    """Raw, scaled."""
    calls.hit()
    return _scale(raw)

def weighted(scaled: pd.Series) -> pd.Series:
    calls.hit()
    return scaled * weights

def other(y: pd.Series) -> pd.Series:
    calls.hit()
    return y + 1
'''
REPORT = '''
%%hamilton report
def total(weighted: pd.Series, other: pd.Series) -> pd.Series:
    calls.hit()
    return weighted + other
'''
DOWNSTREAM_OF_RAW = {"raw", "scaled", "weighted", "total"}
EDITS = {  # edit (cells, in order) → nodes that must recompute, each exactly once
    "body change": ([PIPELINE.replace("return _scale(raw)", "return _scale(raw) + 1")],
                    {"scaled", "weighted", "total"}),
    "docstring-only change": ([PIPELINE.replace('"""Raw, scaled."""', '"""Raw values, scaled up."""')], set()),
    "docstring removed": ([PIPELINE.replace('    """Raw, scaled."""\n', "")], set()),
    "comment and formatting change": ([PIPELINE.replace("return _scale(raw)", "return _scale( raw )  # see notes")
                                       .replace("return y + 1", "return (y\n            + 1)")], set()),
    "input change": (["x2 = pd.Series([5.0, 6.0, 7.0])", "%hamilton_inputs x=x2"], DOWNSTREAM_OF_RAW),
    "input rebound to equal data": (["x3 = pd.Series([1.0, 2.0, 3.0])", "%hamilton_inputs x=x3"], set()),
    "other input change": (["%hamilton_inputs y=pd.Series([0.0,0.0,0.0])"], {"other", "total"}),
    "config change": (["%hamilton_config factor=3"], DOWNSTREAM_OF_RAW),
    "config set to the same value": (["%hamilton_config factor=2"], set()),
    "helper change": (["def _scale(v):\n    return v * 3"], {"scaled", "weighted", "total"}),
    "helper redefined identically": (["def _scale(v):\n    return v * 2"], set()),
    "global constant change": (["weights = 0.7"], {"weighted", "total"}),
    "global constant rebound to an equal value": (["weights = 0.5"], set()),
    "module removed and added back": (["%hamilton_drop report", REPORT], {"total"}),
    "module re-run unchanged": ([PIPELINE, REPORT], set()),
}


@pytest.fixture
def pipeline(ip):
    ip.ok("weights = 0.5\ndef _scale(v):\n    return v * 2")
    ip.ok(PIPELINE)
    ip.ok(REPORT)
    ip.ok("x1 = pd.Series([1.0, 2.0, 3.0])\ny1 = pd.Series([10.0, 20.0, 30.0])")
    ip.ok("%hamilton_inputs x=x1 y=y1")
    ip.ok("%hamilton_config factor=2")
    first = ip.ok("%hamilton_execute total other -v")
    assert computed(first.out) == {"raw", "scaled", "weighted", "other", "total"}
    assert first.value["total"].tolist() == [13.0, 25.0, 37.0]
    return ip




@pytest.mark.parametrize("edit", list(EDITS))
def test_only_what_an_edit_made_stale_recomputes(pipeline, edit):
    ip = pipeline
    cells, expected = EDITS[edit]
    for cell in cells:
        ip.ok(cell)
    assert {n for n, s in ip.states().items() if s == "stale" or s == "not computed"} == expected
    before = dict(ip.calls)
    ran = ip.ok("%hamilton_execute total other -v")
    recomputed = {name for name, count in ip.calls.items() if count != before.get(name, 0)}
    assert recomputed == expected
    assert all(ip.calls[name] == before.get(name, 0) + 1 for name in expected)
    assert computed(ran.out) == expected
    assert cached(ran.out) == {"raw", "scaled", "weighted", "other", "total"} - expected
    assert set(ip.states().values()) <= {"input", "fresh"}
    # never stale: the same as computing everything from scratch
    ip.ok("%hamilton_reset --cache")
    pd.testing.assert_frame_equal(ran.value, ip.ok("%hamilton_execute total other").value)


def test_editing_a_private_helper_inside_the_cell_makes_its_users_stale(ip):
    cell = '''
        %%hamilton feat
        def _double(v):
            return v * 2

        def doubled(x: int) -> int:
            calls.hit()
            return _double(x)
        '''
    ip.ok(cell)
    ip.ok("%hamilton_inputs x=4")
    assert ip.ok("%hamilton_execute doubled").value["doubled"].tolist() == [8]
    assert ip.ok(cell.replace("v * 2", "v * 3")).out.strip() == "feat: 1 function; now stale: doubled"
    assert ip.states()["doubled"] == "stale"
    ran = ip.ok("%hamilton_execute doubled -v")
    assert computed(ran.out) == {"doubled"} and ran.value["doubled"].tolist() == [12]


# ---- %hamilton_execute options -------------------------------------------------------------
@pytest.fixture
def small(ip):
    ip.ok(FEATURES)
    ip.ok("%hamilton_inputs x=1")
    return ip


def test_verbose_lists_computed_and_cached_nodes_with_timings(small):
    first = small.ok("%hamilton_execute b -v").out
    assert first.splitlines()[0].startswith("2 computed, 0 from cache in ")
    assert any(line.split()[:2] == ["computed", "a"] and line.rstrip().endswith("ms)") for line in first.splitlines())
    second = small.ok("%hamilton_execute b -v").out
    assert second.splitlines()[0].startswith("0 computed, 2 from cache")
    assert cached(second) == {"a", "b"} and computed(second) == set()
    assert small.ok("%hamilton_execute b").out.strip().startswith("Out")  # no report without -v


def test_out_stores_the_result_and_dict_returns_a_dict(small):
    ran = small.ok("%hamilton_execute a b --out frame")
    assert isinstance(ran.value, pd.DataFrame)
    pd.testing.assert_frame_equal(small.ns["frame"], ran.value)
    ran = small.ok("%hamilton_execute a b --dict --out values")
    assert ran.value == {"a": 2, "b": 20} and small.ns["values"] == {"a": 2, "b": 20}


def test_all_computes_every_node(small):
    small.ok(OTHER)
    ran = small.ok("%hamilton_execute --all")
    assert ran.value.iloc[0].to_dict() == {"a": 2, "b": 20, "c": 25}
    assert "Nothing to execute" in small.fails("%hamilton_execute", InputError).out


@pytest.mark.parametrize("option, setup, expected", [
    ("-i '{\"x\": 5}'", "", {"a": 6, "b": 60}),
    ("-i run_inputs", "run_inputs = {'x': 7}", {"a": 8, "b": 80}),
    ("--inputs '{\"x\": 5}'", "", {"a": 6, "b": 60}),
    ("-o '{\"a\": 100}'", "", {"a": 100, "b": 1000}),
    ("-o forced", "forced = {'a': -1}", {"a": -1, "b": -10}),
])
def test_inputs_and_overrides_for_one_execution(small, option, setup, expected):
    if setup:
        small.ok(setup)
    assert small.ok("%hamilton_execute a b").value.iloc[0].to_dict() == {"a": 2, "b": 20}
    assert small.ok(f"%hamilton_execute a b {option}").value.iloc[0].to_dict() == expected
    # only for that execution: the session's inputs come back
    assert small.ok("%hamilton_execute a b").value.iloc[0].to_dict() == {"a": 2, "b": 20}


def test_overridden_node_is_not_computed(small):
    before = dict(small.calls)
    ran = small.ok("%hamilton_execute b -o '{\"a\": 3}' -v")
    assert computed(ran.out) == {"b"} and small.calls["a"] == before.get("a", 0)


# ---- %hamilton_inputs and %hamilton_config -------------------------------------------------
SUM = '''
%%hamilton sums
def total(spend: pd.Series, signups: pd.Series) -> pd.Series:
    return spend + signups
'''


@pytest.mark.parametrize("setup, line", [
    ("s1 = pd.Series([1.0, 2.0]); s2 = pd.Series([10.0, 20.0])", "spend=s1 signups=s2"),
    ("frame = pd.DataFrame({'spend': [1.0, 2.0], 'signups': [10.0, 20.0]})", "frame"),
    ("bound = {'spend': pd.Series([1.0, 2.0]), 'signups': pd.Series([10.0, 20.0])}", "bound"),
    ("frame = pd.DataFrame({'spend': [1.0, 2.0], 'signups': [10.0, 20.0]})",
     "spend=frame['spend'] signups=frame[\"signups\"]"),
])
def test_inputs_from_pairs_a_dataframe_or_a_dict(ip, setup, line):
    ip.ok(SUM)
    ip.ok(setup)
    ip.ok(f"%hamilton_inputs {line}")
    assert ip.ok("%hamilton_inputs").value == {"spend": "Series", "signups": "Series"}
    assert ip.ok("%hamilton_execute total").value["total"].tolist() == [11.0, 22.0]


def test_status_can_show_only_one_state_or_module(ip):
    ip.ok("%%hamilton f\ndef y(x: pd.Series) -> pd.Series:\n    return x * 2\n\n"
          "def z(y: pd.Series) -> pd.Series:\n    return y + 1\n")
    ip.ok("%%hamilton g\ndef w(x: pd.Series) -> pd.Series:\n    return x - 1\n")
    ip.ok("%hamilton_inputs x=pd.Series([1.0, 2.0])")
    ip.ok("%hamilton_execute y")
    assert ip.ok("%hamilton_status --state fresh").value["node"].tolist() == ["y"]
    assert sorted(ip.ok("%hamilton_status --state 'not computed'").value["node"]) == ["w", "z"]
    assert ip.ok("%hamilton_status --module g").value["node"].tolist() == ["w"]
    assert "Unknown module `h`" in ip.fails("%hamilton_status --module h", InputError).out


def test_input_expressions_may_contain_spaces_and_quoted_strings(ip):
    ip.ok("%%hamilton f\ndef y(x: pd.Series, region: str) -> pd.Series:\n"
          "    return x * 2 if region == 'U S' else x\n")
    ip.ok("%hamilton_inputs x=pd.Series([1, 2, 3])   region='U S'")
    assert ip.ok("%hamilton_execute y").value["y"].tolist() == [2, 4, 6]


def test_inputs_are_snapshotted_and_can_be_dropped(ip):
    ip.ok(SUM)
    ip.ok("s = pd.Series([1.0, 2.0])\n%hamilton_inputs spend=s signups=s")
    ip.ok("s[0] = 100.0")  # editing the variable afterwards does not change the bound input
    assert ip.ok("%hamilton_execute total").value["total"].tolist() == [2.0, 4.0]
    ip.ok("%hamilton_inputs --drop signups")
    assert ip.ok("%hamilton_inputs").value == {"spend": "Series"}
    ran = ip.fails("%hamilton_execute total", InputError)
    assert "Missing inputs" in ran.out and "`%hamilton_inputs signups=...`" in ran.out
    assert "execute(..., inputs={...})" in ran.out and "Driver(" not in ran.out


def test_a_driver_in_a_notebook_suggests_its_own_fix_for_missing_inputs(ip, make_module):
    make_module("sums", "import pandas as pd\n" + SUM.replace("%%hamilton sums", ""))
    ran = ip.fails("from hamilton_nb import driver\nimport sums\n"
                   "driver.Driver({'spend': pd.Series([1.0])}, sums).execute(['total'])", InputError)
    assert "Missing inputs" in ran.out and "inputs={'signups': ...}" in ran.out
    assert "%hamilton_inputs" not in ran.out  # the magics bind the notebook's session, not this driver's


@pytest.mark.parametrize("line, expected", [
    ("factor=3", {"factor": 3}),
    ("region='US' factor=2.5", {"region": "US", "factor": 2.5}),
    ('region="US"', {"region": "US"}),
    ('{"region": "EU", "debug": true}', {"region": "EU", "debug": True}),
    ("'{\"region\": \"EU\"}'", {"region": "EU"}),
    ("cfg", {"region": "APAC", "factor": 7}),
])
def test_config_values(ip, line, expected):
    ip.ok("cfg = {'region': 'APAC', 'factor': 7}")
    ip.ok(f"%hamilton_config {line}")
    assert ip.ok("%hamilton_config").value == expected


def test_config_values_are_inputs_too(ip):
    ip.ok('''
        %%hamilton labels
        def label(region: str, factor: int) -> str:
            return f"{region}-{factor}"
        ''')
    ip.ok("%hamilton_config region='US' factor=3")
    assert ip.ok("%hamilton_execute label --dict").value == {"label": "US-3"}
    ip.ok("%hamilton_inputs region='EU'")  # an input wins over config of the same name
    assert ip.ok("%hamilton_execute label --dict").value == {"label": "EU-3"}


def test_undefined_variable_is_reported_with_a_fix(ip):
    ran = ip.fails("%hamilton_inputs spend=no_such_series", InputError)
    assert "`no_such_series` is not defined" in ran.out and "Fix:" in ran.out
    ran = ip.fails("%hamilton_inputs 42", InputError)
    assert "name=42" in ran.out


# ---- %hamilton_status and %hamilton_show ---------------------------------------------------
STATES = '''
%%hamilton states
def base(x: int) -> int:
    return x + 1

def shaky(base: int) -> int:
    if base > 100:
        raise ValueError("base is too large")
    return base

def after_shaky(shaky: int) -> int:
    return shaky

def tweaked(base: int) -> int:
    return base * 2

def never(x: int) -> int:
    return x
'''


def test_status_table_shows_every_state(ip):
    ip.ok(STATES)
    ip.ok("%hamilton_inputs x=1")
    ip.ok("%hamilton_execute tweaked after_shaky")
    ip.ok(STATES.replace("base * 2", "base * 3"))
    table = ip.ok("%hamilton_status").value
    assert list(table.columns[:5]) == ["node", "module", "state", "type", "last compute (ms)"]
    states = dict(zip(table["node"], table["state"]))
    assert states == {"x": "input", "base": "fresh", "shaky": "fresh", "after_shaky": "fresh",
                      "tweaked": "stale", "never": "not computed"}
    row = table.set_index("node").loc["base"]
    assert row["module"] == "states" and row["type"] == "int" and row["last compute (ms)"] >= 0
    assert table.set_index("node").loc["x", "module"] == "(input)"

    ip.ok("%hamilton_inputs x=500")
    ip.fails("%hamilton_execute after_shaky", NodeExecutionError)
    states = ip.states()
    assert states["shaky"] == "error" and states["base"] == "fresh" and states["after_shaky"] == "stale"


def test_show_describes_a_node(ip):
    ip.ok(SERIES)
    ip.ok(USER_STORY)
    ip.ok("%hamilton_inputs spend=spend_series signups=signups_series")
    before = str(ip.ok("%hamilton_show avg_3wk_spend").value)
    assert "state: not computed" in before and "value: (not computed)" in before
    ip.ok("%hamilton_execute avg_3wk_spend")
    text = str(ip.ok("%hamilton_show avg_3wk_spend").value)
    for expected in ["name: avg_3wk_spend",
                     "signature: avg_3wk_spend(spend: pd.Series) -> pd.Series",
                     "module: features", "state: fresh",
                     "doc: Rolling 3 week average spend.",
                     "upstream: spend",
                     "pd.Series dtype=float64 length=6 nulls=2",
                     "def avg_3wk_spend(spend: pd.Series) -> pd.Series:",
                     "return spend.rolling(3).mean()"]:
        assert expected in text
    assert "<table>" in ip.ok("%hamilton_show avg_3wk_spend").value._repr_html_()
    ip.ok("%hamilton_inputs spend=signups_series")
    assert "(out of date" in str(ip.ok("%hamilton_show avg_3wk_spend").value)
    spend = str(ip.ok("%hamilton_show spend").value)
    assert "state: input" in spend and "downstream: avg_3wk_spend, spend_per_signup" in spend
    assert "Did you mean `avg_3wk_spend`" in ip.fails("%hamilton_show avg_3wk_spnd", InputError).out


# ---- %hamilton_drop and %hamilton_reset ----------------------------------------------------
def test_drop_a_module_or_a_node(ip):
    ip.ok(FEATURES)
    ip.ok(OTHER)
    ip.ok("%hamilton_inputs x=1")
    ip.ok("%hamilton_execute c")
    assert ip.ok("%hamilton_drop c").out.strip() == "Removed: c"
    assert modules() == {"features": ["a", "b"]}  # `other` had only `c`: gone with it
    assert ip.ok("%hamilton_drop features").out.strip() == "Removed: a, b"
    assert modules() == {} and ip.states() == {}
    ran = ip.fails("%hamilton_drop features", InputError)
    assert "neither a module nor a node" in ran.out and "Fix:" in ran.out
    ip.ok(FEATURES)  # registering again after a drop recomputes (dropped values are gone)
    assert computed(ip.ok("%hamilton_execute b -v").out) == {"a", "b"}


def test_dropping_an_upstream_node_turns_it_into_an_input(ip):
    ip.ok(FEATURES)
    ip.ok("%hamilton_inputs x=1")
    ip.ok("%hamilton_execute b")
    ip.ok("%hamilton_drop a")
    assert ip.states() == {"a": "input", "b": "stale"}  # `x` went with `a`, its only user
    assert "Missing inputs" in ip.fails("%hamilton_execute b", InputError).out
    ip.ok("%hamilton_inputs a=7")
    assert ip.ok("%hamilton_execute b").value["b"].tolist() == [70]


def test_reset_cache_keeps_the_graph_and_inputs(small):
    small.ok("%hamilton_execute b")
    small.ok("%hamilton_reset --cache")
    assert small.states() == {"x": "input", "a": "not computed", "b": "not computed"}
    assert computed(small.ok("%hamilton_execute b -v").out) == {"a", "b"}


def test_reset_forgets_modules_inputs_and_config(small):
    small.ok("%hamilton_config factor=2")
    small.ok("%hamilton_reset")
    assert small.states() == {} and small.ok("%hamilton_inputs").value == {}
    assert small.ok("%hamilton_config").value == {}
    assert small.ok(CELL_1).out.startswith("cell_a: ")  # a module of that name is free again
    assert "a" in small.ns  # the notebook's own variables are the notebook's


# ---- failures while executing --------------------------------------------------------------
FRAGILE = '''
%%hamilton fragile
def base(x: int) -> int:
    calls.hit()
    return x + 1

def ratio(base: int, divisor: int) -> float:
    calls.hit()
    return base / divisor

def report(ratio: float, base: int) -> str:
    calls.hit()
    return f"{ratio:.1f} of {base}"

def unrelated(x: int) -> int:
    calls.hit()
    return x * 2
'''


def test_a_node_that_raises_shows_the_users_frame_and_keeps_other_values(ip):
    ip.ok(FRAGILE)
    ip.ok("%hamilton_inputs x=3 divisor=2")
    ip.ok("%hamilton_execute report unrelated")
    ip.ok("%hamilton_inputs divisor=0")
    ran = ip.fails("%hamilton_execute report unrelated", NodeExecutionError)
    assert ran.error.node == "ratio"
    assert "`ratio` (module `fragile`) raised ZeroDivisionError" in ran.out and "Fix:" in ran.out
    assert ", in ratio" in ran.out and "return base / divisor" in ran.out  # the user's own frame
    assert "hamilton_nb" not in ran.out.replace("hamilton_nb.errors", "")  # no framework frames
    states = ip.states()
    assert states["ratio"] == "error" and states["base"] == "fresh" and states["unrelated"] == "fresh"
    shown = str(ip.ok("%hamilton_show ratio").value)
    assert "state: error" in shown and "ZeroDivisionError" in shown
    assert "value: \n    (out of date" in shown  # the last good value, not passed off as current

    ip.ok(FRAGILE.replace("return base / divisor", "return base / divisor if divisor else 0.0"))
    before = dict(ip.calls)
    ran = ip.ok("%hamilton_execute report unrelated -v")
    assert computed(ran.out) == {"ratio", "report"} and cached(ran.out) == {"base", "unrelated"}
    assert ip.calls["base"] == before["base"]
    assert ran.value["report"].tolist() == ["0.0 of 4"]


def test_interrupted_execute_leaves_the_session_consistent(ip):
    """Ctrl-C arrives as KeyboardInterrupt inside whichever node is running."""
    ip.ok("interrupt = False")
    ip.ok(FRAGILE.replace("    return base / divisor", "    if interrupt:\n        raise KeyboardInterrupt\n"
                          "    return base / divisor"))
    ip.ok("%hamilton_inputs x=3 divisor=2")
    ip.ok("%hamilton_execute report")
    ip.ok("%hamilton_inputs x=5")
    ip.ok("interrupt = True")
    ip.fails("%hamilton_execute report unrelated", KeyboardInterrupt)
    states = ip.states()
    assert states["base"] == "fresh" and states["unrelated"] == "fresh"  # finished before the interrupt
    assert states["ratio"] == "stale" and states["report"] == "stale"   # the old values are not current

    ip.ok("interrupt = False")
    before = dict(ip.calls)
    ran = ip.ok("%hamilton_execute report unrelated -v")
    assert computed(ran.out) == {"ratio", "report"} and cached(ran.out) == {"base", "unrelated"}
    assert ip.calls["base"] == before["base"]
    assert ran.value["report"].tolist() == ["3.0 of 6"]
    assert set(ip.states().values()) == {"input", "fresh"}
