"""What the graph picture shows (issue 4): element styles per state, the bounded overview of a
1000-node session, module/focus/search/tag views and budget truncation. Pure data, no widgets.

The session builders here are shared with ``test_widget.py`` and ``test_browser.py``.
"""
from __future__ import annotations

import pandas as pd
import pytest

from hamilton_nb.errors import HamiltonError
from hamilton_nb.notebook import graph_view as gv
from hamilton_nb.notebook.graph_view import INPUTS_GROUP, STATES, ViewSpec, build_view
from hamilton_nb.session import Session

FEATURES = '''
import pandas as pd

def avg_3wk_spend(spend: pd.Series) -> pd.Series:
    """Rolling 3 week average spend."""
    return spend.rolling(3).mean()

def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    """The cost per signup in relation to spend."""
    return spend / signups
'''
MODEL = '''
import pandas as pd
from hamilton_nb.function_modifiers import tag

def spend_zscore(avg_3wk_spend: pd.Series) -> pd.Series:
    """Standardised rolling spend."""
    return (avg_3wk_spend - avg_3wk_spend.mean()) / avg_3wk_spend.std()

@tag(owner="ds")
def signups_norm(signups: pd.Series) -> pd.Series:
    """Signups scaled to [0, 1]."""
    return signups / signups.max()

@tag(owner="ds")
def score(spend_zscore: pd.Series, spend_per_signup: pd.Series) -> pd.Series:
    """The final score."""
    return spend_zscore + spend_per_signup
'''
SPEND = pd.Series([10.0, 10, 20, 40, 40, 50])
SIGNUPS = pd.Series([1.0, 10, 50, 100, 200, 400])
SMALL_NODES = {"spend", "signups", "avg_3wk_spend", "spend_per_signup", "spend_zscore", "signups_norm", "score"}


def small_session(inputs: bool = True) -> Session:
    """Two modules (features, model), two inputs, seven nodes."""
    session = Session()
    session.register_cell(FEATURES, "features", {})
    session.register_cell(MODEL, "model", {})
    if inputs:
        session.set_inputs(spend=SPEND, signups=SIGNUPS)
    return session


def big_module_source(m: int, per: int = 100) -> str:
    """``per`` functions ``m{m}_f{i}``: a chain with skip links; the first reads the previous module."""
    lines = ["import pandas as pd"]
    for i in range(per):
        if i == 0:
            deps = ["spend" if m == 0 else f"m{m - 1}_f{per - 1}"]
        else:
            deps = [f"m{m}_f{i - 1}"] + ([f"m{m}_f{i // 2}"] if i // 2 != i - 1 else [])
        params = ", ".join(f"{d}: pd.Series" for d in deps)
        lines.append(f'def m{m}_f{i}({params}) -> pd.Series:\n    """Feature {i} of module {m}."""\n'
                     f'    return {" + ".join(deps)}\n')
    return "\n".join(lines)


def big_session(modules: int = 10, per: int = 100) -> Session:
    """``modules * per`` functions (1000 by default) in ``modules`` modules ``mod0`` … plus input ``spend``."""
    session = Session()
    for m in range(modules):
        session.register_cell(big_module_source(m, per), f"mod{m}", {})
    return session


def by_id(view) -> dict[str, dict]:
    return {n["data"]["id"]: n for n in view.nodes}


def edge_pairs(view) -> set[tuple[str, str]]:
    return {(e["data"]["source"], e["data"]["target"]) for e in view.edges}


# ---- element styles ------------------------------------------------------------------------
@pytest.mark.parametrize("state", STATES)
def test_a_node_element_carries_its_state_as_class_and_data(state):
    session = small_session()
    element = gv.node_element(session.graph, "score", state)
    assert element["classes"].split() == ["node", state.replace(" ", "-")]
    data = element["data"]
    assert data["id"] == data["label"] == "score" and data["state"] == state
    assert data["kind"] == "node" and data["module"] == "model" and "Series" in data["type"]
    assert data["tags"] == {"owner": "ds"}


def test_class_names_are_css_safe_and_warnings_add_a_class():
    assert [gv.state_class(s) for s in STATES] == ["input", "fresh", "stale", "not-computed", "evicted", "running",
                                                   "error"]
    assert gv.node_classes("fresh", warned=True).split() == ["node", "fresh", "warning"]


def test_inputs_belong_to_the_inputs_group():
    session = small_session()
    assert gv.node_element(session.graph, "spend", "input")["data"]["module"] == INPUTS_GROUP


def test_states_flow_into_the_view():
    session = small_session()
    session.execute(["spend_zscore"])
    view = build_view(session.graph, session.states(), ViewSpec())
    classes = {i: n["classes"].split()[1] for i, n in by_id(view).items()}
    assert classes == {"spend": "input", "signups": "input", "avg_3wk_spend": "fresh", "spend_zscore": "fresh",
                       "spend_per_signup": "not-computed", "signups_norm": "not-computed",
                       "score": "not-computed"}


def test_failed_warn_checks_mark_the_node_and_its_group():
    session = Session()
    session.register_cell('''
import pandas as pd
from hamilton_nb.function_modifiers import check_output

@check_output(range=(0, 100), importance="warn")
def share(spend: pd.Series) -> pd.Series:
    return spend * 10

def after(share: pd.Series) -> pd.Series:
    return share
''', "checked", {})
    session.set_inputs(spend=SPEND)
    session.execute(["after"])
    assert set(session.engine.warnings) == {"share"}
    view = build_view(session.graph, session.states(), ViewSpec(), session.engine.warnings)
    assert "warning" in by_id(view)["share"]["classes"].split()
    assert "warning" not in by_id(view)["after"]["classes"].split()
    group = gv.overview(session.graph, session.states(), warnings=session.engine.warnings).nodes[0]
    assert group["data"]["warnings"] == 1 and "1 warning" in group["data"]["label"]
    assert "warning" in group["classes"].split()


# ---- small sessions: everything -------------------------------------------------------------
def test_a_small_session_shows_every_node_with_edges_from_dependency_to_dependent():
    session = small_session()
    view = build_view(session.graph, session.states(), ViewSpec())
    assert set(view.ids()) == SMALL_NODES and view.note == ""
    assert edge_pairs(view) == {("spend", "avg_3wk_spend"), ("spend", "spend_per_signup"),
                                ("signups", "spend_per_signup"), ("avg_3wk_spend", "spend_zscore"),
                                ("signups", "signups_norm"), ("spend_zscore", "score"),
                                ("spend_per_signup", "score")}
    assert all(e["data"]["id"] == f"{e['data']['source']}->{e['data']['target']}" for e in view.edges)
    # upstream first: dagre and the truncation rely on a topological order
    order = view.ids()
    assert order.index("spend") < order.index("avg_3wk_spend") < order.index("spend_zscore") < order.index("score")


def test_an_empty_session_is_an_empty_view():
    session = Session()
    assert build_view(session.graph, session.states(), ViewSpec()).size == 0
    assert gv.overview(session.graph, session.states()).size == 0


# ---- 1000 nodes: the overview ---------------------------------------------------------------
@pytest.fixture(scope="module")
def big():
    return big_session()


def test_a_1000_node_session_starts_as_a_bounded_module_overview(big):
    assert len(big.graph.nodes) == 1000
    view = build_view(big.graph, big.states(), ViewSpec())
    assert view.size <= 300
    groups = by_id(view)
    assert set(groups) == {f"module:mod{m}" for m in range(10)} | {f"module:{INPUTS_GROUP}"}
    mod3 = groups["module:mod3"]["data"]
    assert mod3["kind"] == "module" and mod3["count"] == 100 and mod3["stale"] == 0
    assert mod3["label"] == "mod3\n100 nodes · 100 not computed"
    assert groups[f"module:{INPUTS_GROUP}"]["data"]["label"] == f"{INPUTS_GROUP}\n1 node"
    # one edge per pair of dependent modules, however many node edges connect them
    assert edge_pairs(view) == {(f"module:mod{m}", f"module:mod{m + 1}") for m in range(9)} | \
        {(f"module:{INPUTS_GROUP}", "module:mod0")}


def test_overview_labels_count_stale_nodes():
    session = big_session(modules=3, per=20)
    session.set_inputs(spend=SPEND)
    session.execute(all=True)
    edited = big_module_source(1, 20).replace("return m1_f9 + m1_f5", "return m1_f9 + m1_f5 + 1")
    registration = session.register_cell(edited, "mod1", {})
    # m1_f10 … m1_f19 and everything in mod2 depend on the edit
    assert len(registration.stale) == 30
    groups = by_id(gv.overview(session.graph, session.states()))
    assert groups["module:mod0"]["data"]["label"] == "mod0\n20 nodes"
    assert groups["module:mod0"]["classes"] == "module fresh"
    assert groups["module:mod1"]["data"]["label"] == "mod1\n20 nodes · 10 stale"
    assert groups["module:mod1"]["data"]["stale"] == 10 and groups["module:mod1"]["classes"] == "module stale"
    assert groups["module:mod2"]["data"]["label"] == "mod2\n20 nodes · 20 stale"


def test_overview_group_state_is_the_most_urgent_one():
    from collections import Counter
    assert gv.group_state(Counter({"fresh": 5, "stale": 1, "error": 1})) == "error"
    assert gv.group_state(Counter({"fresh": 5, "not computed": 1})) == "not computed"
    assert gv.group_state(Counter({"input": 2})) == "input"


def test_an_expanded_module_shows_its_nodes_inside_the_overview(big):
    view = gv.overview(big.graph, big.states(), expanded=["mod4"])
    ids = set(view.ids())
    assert {f"m4_f{i}" for i in range(100)} <= ids and "module:mod4" not in ids
    assert {"module:mod3", "module:mod5"} <= ids
    pairs = edge_pairs(view)
    assert ("module:mod3", "m4_f0") in pairs and ("m4_f99", "module:mod5") in pairs
    assert ("m4_f0", "m4_f1") in pairs


def test_module_view_shows_that_module_within_the_budget(big):
    whole = build_view(big.graph, big.states(), ViewSpec(mode="module", module="mod2"))
    assert whole.size <= 300 and whole.note == ""  # 100 nodes, 148 edges: fits
    assert set(whole.ids()) == {f"m2_f{i}" for i in range(100)}
    cut = build_view(big.graph, big.states(), ViewSpec(mode="module", module="mod2", budget=150))
    assert cut.size <= 150 and all(i.startswith("m2_") for i in cut.ids())
    assert "Showing" in cut.note and "of 100 nodes of module `mod2`" in cut.note
    assert len(cut.ids()) == int(cut.note.split()[1])
    assert cut.ids()[0] == "m2_f0"  # most upstream first


def test_unknown_modules_and_modes_are_errors(big):
    with pytest.raises(HamiltonError, match="nope"):
        build_view(big.graph, big.states(), ViewSpec(mode="module", module="nope"))
    with pytest.raises(ValueError, match="mode"):
        build_view(big.graph, big.states(), ViewSpec(mode="sideways"))


def test_the_inputs_group_can_be_shown_as_a_module(big):
    view = build_view(big.graph, big.states(), ViewSpec(mode="module", module=INPUTS_GROUP))
    assert view.ids() == ["spend"]


# ---- focus ----------------------------------------------------------------------------------
@pytest.mark.parametrize("direction, hops, expected", [
    ("upstream", 1, {"m5_f10", "m5_f9", "m5_f5"}),
    ("downstream", 1, {"m5_f10", "m5_f11", "m5_f20", "m5_f21"}),
    ("both", 1, {"m5_f10", "m5_f9", "m5_f5", "m5_f11", "m5_f20", "m5_f21"}),
    ("upstream", 2, {"m5_f10", "m5_f9", "m5_f5", "m5_f8", "m5_f4", "m5_f2"}),
    ("downstream", 0, {"m5_f10"}),
])
def test_focus_shows_k_hops_in_the_chosen_direction(big, direction, hops, expected):
    spec = ViewSpec(mode="focus", focus="m5_f10", hops=hops, direction=direction)
    view = build_view(big.graph, big.states(), spec)
    assert set(view.ids()) == expected
    assert edge_pairs(view) == {(a, b) for a, b in big.graph.dag.edges if a in expected and b in expected}


def test_focus_on_an_unknown_node_is_an_error(big):
    with pytest.raises(HamiltonError, match="no_such_node"):
        build_view(big.graph, big.states(), ViewSpec(mode="focus", focus="no_such_node"))


def test_a_wide_focus_is_cut_to_the_budget_with_a_note(big):
    view = build_view(big.graph, big.states(), ViewSpec(mode="focus", focus="m5_f10", hops=1000))
    assert view.size <= 300 and "Showing" in view.note and "of 1001 nodes" in view.note
    assert "of 1001 nodes in the 1000-hop neighbourhood of `m5_f10`" in view.note


# ---- chosen nodes, search, tags -------------------------------------------------------------
def test_nodes_mode_shows_the_chosen_nodes_and_what_they_need():
    session = small_session()
    view = build_view(session.graph, session.states(), ViewSpec(mode="nodes", nodes=("spend_zscore",)))
    assert set(view.ids()) == {"spend_zscore", "avg_3wk_spend", "spend"}


def test_search_finds_names_case_insensitively(big):
    view = build_view(big.graph, big.states(), ViewSpec(mode="search", search="M7_F1"))
    assert set(view.ids()) == {"m7_f1"} | {f"m7_f1{i}" for i in range(10)}
    assert view.note == ""
    many = build_view(big.graph, big.states(), ViewSpec(mode="search", search="_F"))
    assert many.size <= 300 and "of 1000 nodes matching '_F'" in many.note


def test_tag_filter_shows_only_tagged_nodes():
    session = small_session()
    view = build_view(session.graph, session.states(), ViewSpec(tag=("owner", "ds")))
    assert set(view.ids()) == {"signups_norm", "score"}
    assert set(build_view(session.graph, session.states(), ViewSpec(tag=("owner", ""))).ids()) == \
        {"signups_norm", "score"}
    assert build_view(session.graph, session.states(), ViewSpec(tag=("owner", "other"))).ids() == []
    combined = build_view(session.graph, session.states(), ViewSpec(mode="search", search="norm",
                                                                   tag=("owner", "ds")))
    assert combined.ids() == ["signups_norm"]


# ---- the budget -----------------------------------------------------------------------------
@pytest.mark.parametrize("budget", [10, 50, 150])
def test_no_view_exceeds_its_budget(big, budget):
    states = big.states()
    for spec in (ViewSpec(mode="all", budget=budget), ViewSpec(mode="module", module="mod0", budget=budget),
                 ViewSpec(mode="search", search="f", budget=budget),
                 ViewSpec(mode="focus", focus="m3_f1", hops=50, budget=budget)):
        view = build_view(big.graph, states, spec)
        assert 0 < view.size <= budget, spec
        assert view.note.startswith("Showing "), spec
        shown, total = int(view.note.split()[1]), int(view.note.split()[3])
        assert shown == len(view.nodes) < total, spec


def test_auto_shows_everything_exactly_when_it_fits():
    session = big_session(modules=2, per=30)  # 60 nodes + 1 input, ~ 90 edges
    states = session.states()
    everything = build_view(session.graph, states, ViewSpec(budget=1000))
    assert len(everything.nodes) == 61 and everything.note == ""
    assert all(n["data"]["kind"] == "node" for n in everything.nodes)
    overview = build_view(session.graph, states, ViewSpec(budget=100))
    assert all(n["data"]["kind"] == "module" for n in overview.nodes) and len(overview.nodes) == 3
