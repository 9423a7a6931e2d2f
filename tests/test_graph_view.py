"""What the graph picture shows: element styles per state, the grouped overview of 1000- and
5000-node sessions (modules, name prefixes, depth ranges; drilling in; outside neighbours), the
layout, focus/search/tag views and budget truncation. Pure data, no widgets.

The session builders here are shared with ``test_widget.py`` and ``test_browser.py``.
"""
from __future__ import annotations

import re

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


FAMILIES = ("spend", "signups", "revenue", "clicks", "visits", "churn", "price", "margin", "orders", "refunds")


def family_module_source(count: int) -> str:
    """``count`` functions in one module, named like feature families (``spend_w3`` …): each family
    is a chain with skip links, starting from the input ``base``."""
    lines = ["import pandas as pd"]
    for i in range(count):
        family, k = FAMILIES[i % len(FAMILIES)], i // len(FAMILIES)
        deps = ["base"] if k == 0 else [f"{family}_w{k - 1}"] + ([f"{family}_w{k // 2}"] if k // 2 < k - 1 else [])
        params = ", ".join(f"{d}: pd.Series" for d in deps)
        lines.append(f'def {family}_w{k}({params}) -> pd.Series:\n    """{family.title()} feature {k}."""\n'
                     f'    return {" + ".join(deps)}\n')
    return "\n".join(lines)


def one_module_session(count: int) -> Session:
    session = Session()
    session.register_cell(family_module_source(count), "features", {})
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
    assert [gv.state_class(s) for s in STATES] == ["input", "fresh", "stale", "untracked", "not-computed", "evicted",
                                                   "running", "error"]
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
    checked = gv.Group(("module:checked",), "checked", "module", ("share", "after"))
    group = gv.group_element(checked, session.states(), session.engine.warnings)
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
    assert set(groups) == {f"group:module:mod{m}" for m in range(10)} | {"spend"}  # one input: drawn as itself
    mod3 = groups["group:module:mod3"]["data"]
    assert mod3["kind"] == "group" and mod3["count"] == 100 and mod3["stale"] == 0
    assert mod3["label"] == "mod3\n100 nodes" and mod3["state"] == "not computed"
    assert mod3["path"] == ["module:mod3"]
    # one edge per pair of dependent groups, however many node edges connect them
    assert edge_pairs(view) == {(f"group:module:mod{m}", f"group:module:mod{m + 1}") for m in range(9)} | \
        {("spend", "group:module:mod0")}


def test_overview_labels_show_counts_and_the_state_mix():
    session = big_session(modules=8, per=50)
    session.set_inputs(spend=SPEND)
    session.execute(all=True)
    edited = big_module_source(1, 50).replace("return m1_f9 + m1_f5", "return m1_f9 + m1_f5 + 1")
    registration = session.register_cell(edited, "mod1", {})
    assert len(registration.stale) == 40 + 6 * 50  # m1_f10 … m1_f49 and all of mod2 … mod7
    groups = by_id(gv.overview(session.graph, session.states()))
    assert groups["group:module:mod0"]["data"]["label"] == "mod0\n50 nodes"
    assert groups["group:module:mod0"]["classes"] == "group fresh"
    assert groups["group:module:mod1"]["data"]["label"] == "mod1\n50 nodes · 40 stale · 10 fresh"
    assert groups["group:module:mod1"]["data"]["stale"] == 40
    assert groups["group:module:mod1"]["classes"] == "group stale"
    assert groups["group:module:mod2"]["data"]["label"] == "mod2\n50 nodes"  # all stale: the colour says so
    assert groups["group:module:mod2"]["classes"] == "group stale"


def test_overview_group_state_is_the_most_urgent_one():
    from collections import Counter
    assert gv.group_state(Counter({"fresh": 5, "stale": 1, "error": 1})) == "error"
    assert gv.group_state(Counter({"fresh": 5, "not computed": 1})) == "not computed"
    assert gv.group_state(Counter({"input": 2})) == "input"


def test_opening_a_module_shows_readable_groups_and_breadcrumbs(big):
    view = build_view(big.graph, big.states(), ViewSpec(mode="module", module="mod2"))
    assert gv.MIN_ITEMS <= len(view.nodes) <= gv.MAX_ITEMS
    assert view.trail == [("all", ()), ("mod2", ("module:mod2",))]
    members = set()
    context = [n for n in view.nodes if "context" in n["classes"].split()]
    assert [n["data"]["id"] for n in context] == ["m1_f99", "m3_f0"]  # the outside neighbours, faded
    for node in view.nodes:  # no name prefix to split on: runs of depth, upstream first
        if node not in context:
            assert node["data"]["kind"] == "group" and "depth" in node["data"]["label"]
            members |= set(view.groups[node["data"]["id"]].members)
    assert members == {f"m2_f{i}" for i in range(100)}
    assert view.nodes[1]["data"]["label"].startswith("m2_f0 … ")
    assert [b for a, b in edge_pairs(view) if a == "m1_f99"] == [view.nodes[1]["data"]["id"]]


def test_unknown_modules_and_modes_are_errors(big):
    with pytest.raises(HamiltonError, match="nope"):
        build_view(big.graph, big.states(), ViewSpec(mode="module", module="nope"))
    with pytest.raises(ValueError, match="mode"):
        build_view(big.graph, big.states(), ViewSpec(mode="sideways"))


def test_the_inputs_group_can_be_shown_as_a_module(big):
    view = build_view(big.graph, big.states(), ViewSpec(mode="module", module=INPUTS_GROUP))
    assert view.ids() == ["spend", "m0_f0"] and "context" in view.nodes[1]["classes"].split()


# ---- one big module: groups all the way down ----------------------------------------------------
def walk(graph, states, path=(), seen=None):
    """Open every group from ``path`` down; returns every node some view draws as itself."""
    seen = set() if seen is None else seen
    view = build_view(graph, states, ViewSpec(mode="group", path=path) if path else ViewSpec())
    assert len(view.nodes) <= gv.MAX_ITEMS, path
    for node in view.nodes:
        data = node["data"]
        if data["kind"] == "group":
            assert len(data["path"]) > len(path)  # every click goes deeper: no loops
            walk(graph, states, tuple(data["path"]), seen)
        elif data["kind"] == "context":
            assert tuple(data["path"]) == path[:-1]  # leads one level up
        elif "context" not in node["classes"].split():
            seen.add(data["id"])
    return seen


@pytest.mark.parametrize("count", [1000, 5000])
def test_one_big_module_opens_on_readable_name_prefix_groups(count):
    session = one_module_session(count)
    view = build_view(session.graph, session.states(), ViewSpec())
    groups = [n for n in view.nodes if n["data"]["kind"] == "group"]
    assert len(view.nodes) <= 40 and len(groups) == len(FAMILIES)
    assert {g["data"]["label"] for g in groups} == {f"{f}_*\n{count // 10} nodes" for f in FAMILIES}
    assert "base" in view.ids()  # the one input, as itself
    # one edge from the input into each family, none between families
    assert edge_pairs(view) == {("base", f"group:module:features/prefix:{f}") for f in FAMILIES}
    assert view.trail == [("all", ())]
    spend = build_view(session.graph, session.states(), ViewSpec(mode="group", path=("module:features", "prefix:spend")))
    assert spend.trail == [("all", ()), ("features", ("module:features",)), ("spend_*", ("module:features", "prefix:spend"))]
    assert len(spend.nodes) <= gv.MAX_ITEMS
    assert [n["data"]["id"] for n in spend.nodes if n["data"]["kind"] != "group"] == ["base"]  # faded: it feeds them
    assert all("spend_w" in n["data"]["label"] for n in spend.nodes if n["data"]["kind"] == "group")


def test_a_big_module_opened_beside_other_modules_names_its_groups_after_it():
    session = one_module_session(600)
    session.register_cell("import pandas as pd\n" + "".join(
        f"def lag_{i}(base: pd.Series) -> pd.Series:\n    return base\n" for i in range(60)), "lags", {})
    titles = [n["data"]["label"].split("\n")[0] for n in build_view(session.graph, session.states(), ViewSpec()).nodes]
    assert titles == ["base"] + [f"features › {f}_*" for f in FAMILIES] + ["lags"]


def test_every_node_is_reachable_by_opening_groups():
    session = one_module_session(1000)
    assert walk(session.graph, session.states()) == set(session.graph.dag)


def test_a_module_without_name_families_splits_by_depth_then_by_name():
    session = big_session(modules=1, per=1000)
    view = build_view(session.graph, session.states(), ViewSpec())
    assert len(view.nodes) <= gv.MAX_ITEMS
    labels = [n["data"]["label"] for n in view.nodes if n["data"]["kind"] == "group"]
    assert labels[0].startswith("m0_f0 … m0_f") and "(depth 1–" in labels[0]
    flat = Session()  # 100 independent nodes: one depth, so runs of names
    flat.register_cell("import pandas as pd\n" + "".join(f"def x{i:03}(a: pd.Series) -> pd.Series:\n    return a\n"
                                                            for i in range(100)), "flat", {})
    view = build_view(flat.graph, flat.states(), ViewSpec())
    labels = sorted(n["data"]["label"].split("\n")[0] for n in view.nodes if n["data"]["kind"] == "group")
    assert labels[0].startswith("x000 … x0") and all(re.fullmatch(r"x\d{3} … x\d{3}", t) for t in labels)
    assert len(walk(flat.graph, flat.states())) == 101


def test_the_same_session_always_groups_the_same_way():
    a, b = one_module_session(1000), one_module_session(1000)
    assert build_view(a.graph, a.states(), ViewSpec()).nodes == build_view(b.graph, b.states(), ViewSpec()).nodes


def test_a_group_that_an_edit_removed_is_a_clear_error():
    session = one_module_session(200)
    path = ("module:features", "prefix:churn")
    assert build_view(session.graph, session.states(), ViewSpec(mode="group", path=path)).nodes
    session.register_cell(family_module_source(200).replace("churn_", "attrition_"), "features", {})
    with pytest.raises(HamiltonError, match="prefix:churn"):
        build_view(session.graph, session.states(), ViewSpec(mode="group", path=path))


@pytest.mark.parametrize("make", [small_session, lambda: one_module_session(1000), lambda: big_session()])
def test_boxes_fit_their_labels_and_never_overlap(make):
    from hamilton_nb.notebook.style import CHAR_PX, LINE_PX
    session = make()
    view = build_view(session.graph, session.states(), ViewSpec())
    boxes = []
    for node in view.nodes:
        data, pos = node["data"], node["position"]
        lines = data["label"].split("\n")
        assert data["w"] >= max(map(len, lines)) * CHAR_PX and data["h"] >= len(lines) * LINE_PX
        boxes.append((pos["x"] - data["w"] / 2, pos["y"] - data["h"] / 2, pos["x"] + data["w"] / 2,
                      pos["y"] + data["h"] / 2))
        assert 0 <= boxes[-1][0] and boxes[-1][2] <= view.width and 0 <= boxes[-1][1] and boxes[-1][3] <= view.height
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    # dependencies point down the picture (within the upstream-first order)
    y = {n["data"]["id"]: n["position"]["y"] for n in view.nodes}
    order = view.ids()
    assert all(y[e["data"]["source"]] < y[e["data"]["target"]] for e in view.edges
               if order.index(e["data"]["source"]) < order.index(e["data"]["target"]))


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
    assert view.note == "11 nodes match 'M7_F1'."  # the count, always
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
    for spec in (ViewSpec(mode="all", budget=budget), ViewSpec(mode="search", search="f", budget=budget),
                 ViewSpec(mode="focus", focus="m3_f1", hops=50, budget=budget)):
        view = build_view(big.graph, states, spec)
        assert 0 < view.size <= budget, spec
        assert view.note.startswith("Showing "), spec
        shown, total = int(view.note.split()[1]), int(view.note.split()[3])
        assert shown == len(view.nodes) < total, spec


def test_auto_shows_every_node_exactly_when_there_are_few_enough_to_read():
    session = big_session(modules=2, per=19)  # 38 nodes + 1 input
    everything = build_view(session.graph, session.states(), ViewSpec())
    assert len(everything.nodes) == 39 and everything.note == ""
    assert all(n["data"]["kind"] == "node" for n in everything.nodes)
    session = big_session(modules=2, per=21)
    grouped = build_view(session.graph, session.states(), ViewSpec())
    assert [n["data"]["kind"] for n in grouped.nodes].count("group") >= 2 and len(grouped.nodes) <= gv.MAX_ITEMS


# ---- parallel blocks: Parallelizable → branch → Collect as one box -----------------------------
FAN = '''
from hamilton_nb.htypes import Parallelizable, Collect

def base(n: int) -> int:
    return n

def item(base: int) -> Parallelizable[int]:
    yield from range(base)

def squared(item: int) -> int:
    return item ** 2

def shifted(squared: int, base: int) -> int:
    return squared + base

def total(shifted: Collect[int]) -> int:
    return sum(shifted)

def report(total: int) -> str:
    return str(total)
'''
BLOCK = ["item", "squared", "shifted", "total"]


def fan_session(extra: str = "") -> Session:
    session = Session()
    session.register_cell(FAN + extra, "fan", {})
    session.set_inputs(n=3)
    return session


def _block_box(view):
    boxes = [n for n in view.nodes if n["data"]["kind"] == "group" and n["data"]["rule"] == "block"]
    assert len(boxes) == 1
    return boxes[0]


def test_a_parallel_block_is_one_box_with_its_shape_in_the_title():
    session = fan_session()
    view = build_view(session.graph, session.known_states, ViewSpec())
    box = _block_box(view)
    assert view.ids() == ["n", "base", "group:block:item", "report"]
    assert box["data"]["label"] == "parallel block · item → 2 branch nodes → total\n4 nodes"
    assert box["data"]["count"] == 4 and box["data"]["path"] == ["block:item"]
    assert {n: view.grouped_in[n] for n in BLOCK} == dict.fromkeys(BLOCK, "group:block:item")
    edges = {e["data"]["id"]: e["data"]["count"] for e in view.edges}
    assert edges == {"n->base": 1, "base->group:block:item": 2, "group:block:item->report": 1}


def test_a_block_box_counts_the_last_runs_items_and_mixes_its_states():
    session = fan_session()
    session.execute(["report"])
    items = gv.parallel_items(session.engine)
    assert items == {"item": 3}
    box = _block_box(build_view(session.graph, session.known_states, ViewSpec(), items=items))
    assert box["data"]["label"].startswith("parallel block · item → 2 branch nodes → total · 3 items\n4 nodes")
    assert box["data"]["state"] == "fresh"
    session.set_inputs(n=5)  # every block node goes stale; the item count is still the last run's
    box = _block_box(build_view(session.graph, session.known_states, ViewSpec(), items=items))
    assert box["data"]["state"] == "stale" and "3 items" in box["data"]["label"]
    session.execute(["report"])
    assert gv.parallel_items(session.engine) == {"item": 5}


def test_opening_a_block_box_draws_its_nodes_with_the_outside_faded_around():
    session = fan_session()
    view = build_view(session.graph, session.known_states, ViewSpec(mode="group", path=("block:item",)))
    assert [i for i in view.ids() if i in BLOCK] == BLOCK
    context = [n["data"]["id"] for n in view.nodes if "context" in n["classes"]]
    assert context == ["base", "report"]
    assert view.trail == [("all", ()), ("parallel block · item → 2 branch nodes → total", ("block:item",))]
    assert not view.groups  # the block itself is drawn open
    edges = {e["data"]["id"] for e in view.edges}
    assert {"item->squared", "squared->shifted", "shifted->total", "base->shifted", "total->report"} <= edges


def test_a_block_inside_an_opened_module_is_a_box_too_and_opens_from_there():
    session = fan_session()
    session.register_cell(FEATURES, "features", {})
    session.set_inputs(spend=SPEND, signups=SIGNUPS)
    view = build_view(session.graph, session.known_states, ViewSpec(mode="module", module="fan"))
    box = _block_box(view)
    assert box["data"]["path"] == ["module:fan", "block:item"]
    inner = build_view(session.graph, session.known_states, ViewSpec(mode="group", path=tuple(box["data"]["path"])))
    assert [i for i in inner.ids() if i in BLOCK] == BLOCK
    assert [title for title, _ in inner.trail] == ["all", "fan", box["data"]["label"].split("\n")[0]]


def test_focus_and_search_still_show_block_nodes_one_by_one():
    session = fan_session()
    focus = build_view(session.graph, session.known_states, ViewSpec(mode="focus", focus="squared"))
    assert set(focus.ids()) == {"item", "squared", "shifted"} and not focus.groups
    found = build_view(session.graph, session.known_states, ViewSpec(mode="search", search="s"))
    assert "squared" in found.ids() and not found.groups


def test_a_block_still_being_written_is_drawn_node_by_node():
    session = Session()
    session.register_cell(FAN.split("def total")[0], "fan", {})  # no Collect node yet
    view = build_view(session.graph, session.known_states, ViewSpec())
    assert not view.groups and {"item", "squared", "shifted"} <= set(view.ids())


def test_block_boxes_are_the_same_on_every_build():
    a, b = fan_session(), fan_session()
    views = [build_view(s.graph, s.known_states, ViewSpec()) for s in (a, b)]
    assert views[0].nodes == views[1].nodes and views[0].edges == views[1].edges
