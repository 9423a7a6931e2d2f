"""The graph picture never draws a false dependency: on the laid-out coordinates of what is
actually drawn (the tutorials' graphs, generated sessions of 100, 1000 and 5000 functions and
some drill-down views), no edge passes through a box that isn't one of its two ends. Also:
the layout is deterministic (in one process and across processes), independent parts of the
graph sit side by side without overlapping, and long edges are routed.

The helpers ``tutorial_view`` and ``generated_view`` build the views the way the notebooks and
the benchmark do.
"""
from __future__ import annotations

import ast
import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from hamilton_nb.notebook.graph_view import ViewSpec, build_view
from hamilton_nb.notebook.layout import place
from hamilton_nb.session import Session

from test_graph_view import big_session, one_module_session

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
MARGIN = 1.0  # px an edge must keep from a box it doesn't connect


# ---- building what the tutorials and the benchmark draw ------------------------------------------
def tutorial_session(name: str) -> Session:
    """The session tutorial ``name`` ends with: its ``%%hamilton`` cells registered in order, its
    ``%hamilton_config`` and ``%hamilton_import`` lines applied, its plain Python cells (what the
    functions read, like helper functions) run in the cells' namespace."""
    import numpy as np
    import pandas as pd

    from hamilton_nb import function_modifiers

    session = Session()
    namespace: dict = {"pd": pd, "np": np, "__name__": "__tutorial__"}
    namespace.update({k: getattr(function_modifiers, k) for k in dir(function_modifiers) if not k.startswith("_")})
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        for cell in nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells:
            if cell.cell_type != "code":
                continue
            source = cell.source
            if source.startswith("%%hamilton "):
                first, _, body = source.partition("\n")
                try:
                    session.register_cell(body, first.split()[1], namespace)
                except Exception:  # cells that fail on purpose
                    pass
                continue
            plain = []
            for line in source.splitlines():
                if line.startswith("%hamilton_config"):
                    session.set_config({k: ast.literal_eval(v) for k, v in re.findall(r"(\w+)=(\S+)", line)})
                elif line.startswith("%hamilton_import"):
                    session.import_module(line.split()[1])
                elif not line.startswith("%"):
                    plain.append(line)
            code = "\n".join(plain)
            if "%" in code.replace("%%", "") and re.search(r"=\s*%", code) or "get_ipython" in code \
                    or "session." in code or "driver." in code:
                continue
            try:
                exec(compile(code, name, "exec"), namespace)
            except Exception:
                pass
        if "modules" in namespace:  # tutorial 03 builds its modules' sources in Python
            for module, source in namespace["modules"].items():
                session.register_cell(source, module, namespace)
    finally:
        sys.path.remove(str(NOTEBOOKS))
    return session


def tutorial_view(name: str, spec: ViewSpec | None = None):
    session = tutorial_session(name)
    return build_view(session.graph, session.states(), spec or ViewSpec())


def generated_session(n: int) -> Session:
    """The benchmark's session: ``n`` generated feature functions in two modules."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    g = generate.generate(n_features=n)
    session = Session()
    session.register_cell(g.features_source(), "features", {})
    session.register_cell(g.edit_source(), "edit_me", {})
    return session


def generated_view(n: int, spec: ViewSpec | None = None):
    session = generated_session(n)
    return build_view(session.graph, session.states(), spec or ViewSpec())


# ---- geometry, written independently of the layout's own --------------------------------------
def polyline(view, edge) -> list[tuple[float, float]]:
    pos = {n["data"]["id"]: (n["position"]["x"], n["position"]["y"]) for n in view.nodes}
    return [pos[edge["data"]["source"]]] + [tuple(p) for p in edge.get("route", [])] + [pos[edge["data"]["target"]]]


def _orient(a, b, c) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def segments_cross(p1, p2, q1, q2) -> bool:
    """Proper crossing (the segments pass through each other, not just touch)."""
    d1, d2 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    d3, d4 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def _touch(p1, p2, q1, q2) -> bool:
    def on(a, b, c):
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])
    d1, d2 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    d3, d4 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return True
    return (d1 == 0 and on(q1, q2, p1)) or (d2 == 0 and on(q1, q2, p2)) or \
        (d3 == 0 and on(p1, p2, q1)) or (d4 == 0 and on(p1, p2, q2))


def through_box(p, q, box) -> bool:
    """Whether segment p–q meets the rectangle (x0, y0, x1, y1): an end inside, or a side crossed."""
    x0, y0, x1, y1 = box
    if any(x0 <= x <= x1 and y0 <= y <= y1 for x, y in (p, q)):
        return True
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    return any(_touch(p, q, corners[k], corners[(k + 1) % 4]) for k in range(4))


def false_edges(view) -> list[tuple[str, str]]:
    """(edge, box) for every edge segment that passes through a box other than its two ends."""
    boxes = {n["data"]["id"]: (n["position"]["x"] - n["data"]["w"] / 2 - MARGIN,
                               n["position"]["y"] - n["data"]["h"] / 2 - MARGIN,
                               n["position"]["x"] + n["data"]["w"] / 2 + MARGIN,
                               n["position"]["y"] + n["data"]["h"] / 2 + MARGIN) for n in view.nodes}
    found = []
    for e in view.edges:
        ends = {e["data"]["source"], e["data"]["target"]}
        points = polyline(view, e)
        for p, q in zip(points, points[1:]):
            for name, box in boxes.items():
                if name not in ends and through_box(p, q, box):
                    found.append((e["data"]["id"], name))
    return found


def crossings(view) -> int:
    """Pairs of edge segments that cross, between edges that share no box."""
    lines = [(e["data"]["source"], e["data"]["target"], polyline(view, e)) for e in view.edges]
    count = 0
    for i, (a, b, p) in enumerate(lines):
        for c, d, q in lines[i + 1:]:
            if {a, b} & {c, d}:
                continue
            count += sum(segments_cross(p1, p2, q1, q2) for p1, p2 in zip(p, p[1:]) for q1, q2 in zip(q, q[1:]))
    return count


# ---- the views under test ---------------------------------------------------------------------
VIEWS = {
    "tutorial 01": lambda: tutorial_view("01_hello_world"),
    "tutorial 02": lambda: tutorial_view("02_interactive_exploration"),
    "tutorial 03 overview": lambda: tutorial_view("03_thousand_columns"),
    "tutorial 03 focus": lambda: tutorial_view("03_thousand_columns",
                                               ViewSpec(mode="focus", focus="revenue_score_10", hops=2)),
    "tutorial 04": lambda: tutorial_view("04_keeping_it_dry"),
    "tutorial 05": lambda: tutorial_view("05_from_notebook_to_production"),
    "generated 100": lambda: generated_view(100),
    "generated 1000": lambda: generated_view(1000),
    "generated 5000": lambda: generated_view(5000),
    "generated 1000, first group opened": lambda: _first_group(generated_session(1000)),
    "10 chained modules": lambda: _overview(big_session()),
    "one module of 1000": lambda: _overview(one_module_session(1000)),
}


def _overview(session):
    return build_view(session.graph, session.states(), ViewSpec())


def _first_group(session):
    top = _overview(session)
    path = next(n["data"]["path"] for n in top.nodes if n["data"].get("kind") == "group")
    return build_view(session.graph, session.states(), ViewSpec(mode="group", path=tuple(path)))


@pytest.fixture(scope="module", params=list(VIEWS))
def drawn(request):
    view = VIEWS[request.param]()
    assert view.nodes and view.edges, request.param
    return request.param, view


def test_no_edge_passes_through_a_box_it_does_not_connect(drawn):
    name, view = drawn
    assert false_edges(view) == [], name
    print(f"{name}: {len(view.nodes)} boxes, {len(view.edges)} edges, {crossings(view)} crossings, "
          f"{sum(1 for e in view.edges if e.get('route'))} routed, {view.width}×{view.height} px")


def test_every_edge_has_a_route_and_routed_edges_carry_their_segments(drawn):
    _, view = drawn
    for e in view.edges:
        assert isinstance(e["route"], list)
        assert ("routed" in e.get("classes", "").split()) == bool(e["route"])
        if e["route"]:
            assert len(e["data"]["dists"]) == len(e["data"]["weights"]) == len(e["route"])


def test_the_layout_is_deterministic(drawn):
    _, view = drawn
    nodes, edges = copy.deepcopy(view.nodes), copy.deepcopy(view.edges)
    for n in nodes:
        n.pop("position")
    assert place(nodes, edges) == (view.width, view.height)
    assert nodes == view.nodes and edges == view.edges


def test_the_layout_is_the_same_in_another_process():
    script = ("import json, sys; sys.path.insert(0, 'tests'); import test_layout as T; "
              "v = T.generated_view(100); "
              "print(json.dumps([[n['position'] for n in v.nodes], [e['route'] for e in v.edges]]))")
    runs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True, timeout=120)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert runs[0] == runs[1]


# ---- independent parts side by side ------------------------------------------------------------
def _chains(count: int, length: int = 3, label: str = "feature_number_") -> tuple[list, list]:
    nodes, edges = [], []
    for c in range(count):
        for k in range(length):
            nodes.append({"data": {"id": f"{label}{c}_{k}", "w": 150, "h": 32}})
            if k:
                edges.append({"data": {"id": f"{c}_{k}", "source": f"{label}{c}_{k - 1}", "target": f"{label}{c}_{k}"}})
    return nodes, edges


def _component_extents(nodes, edges) -> list[tuple[float, float, float, float]]:
    parent = {n["data"]["id"]: n["data"]["id"] for n in nodes}

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i
    for e in edges:
        parent[root(e["data"]["source"])] = root(e["data"]["target"])
    extents: dict = {}
    for n in nodes:
        p, d = n["position"], n["data"]
        box = (p["x"] - d["w"] / 2, p["y"] - d["h"] / 2, p["x"] + d["w"] / 2, p["y"] + d["h"] / 2)
        r = root(d["id"])
        old = extents.get(r, box)
        extents[r] = (min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]), max(old[3], box[3]))
    return list(extents.values())


def _assert_side_by_side(extents):
    for i, a in enumerate(extents):
        for b in extents[i + 1:]:
            same_band = a[1] < b[3] and b[1] < a[3]
            if same_band:
                assert a[2] <= b[0] or b[2] <= a[0], (a, b)


@pytest.mark.parametrize("count", [1, 3, 4, 10, 30])
def test_independent_parts_sit_side_by_side_and_wrap_only_when_wide(count):
    from hamilton_nb.notebook.layout import BAND_PX, COMPONENT_GAP
    nodes, edges = _chains(count)
    width, height = place(nodes, edges)
    extents = _component_extents(nodes, edges)
    _assert_side_by_side(extents)
    assert all(e[2] <= width and e[3] <= height for e in extents)
    bands: dict = {}
    for e in extents:
        bands.setdefault(round(e[1]), []).append(e)
    rows = [sorted(bands[y]) for y in sorted(bands)]
    assert [len(r) for r in rows] == [len(rows[0])] * (len(rows) - 1) + [len(rows[-1])]
    for row, following in zip(rows, rows[1:]):  # a band ends only when the next part doesn't fit in it
        assert following[0][2] - following[0][0] + COMPONENT_GAP + row[-1][2] - row[0][0] > BAND_PX
    for row in rows:  # and a band of several parts fits the canvas
        assert len(row) == 1 or row[-1][2] - row[0][0] <= BAND_PX
    if count > 1:
        assert len(rows[0]) > 1  # side by side, not a ladder


def test_parts_of_the_drawn_views_do_not_overlap(drawn):
    _, view = drawn
    _assert_side_by_side(_component_extents(view.nodes, view.edges))


# ---- routing ----------------------------------------------------------------------------------
def test_a_long_edge_goes_around_the_box_between_its_ends():
    """a → b → c and a → c with b directly between: a → c must bend around b."""
    nodes = [{"data": {"id": i, "w": 120, "h": 32}} for i in ("a", "b", "c", "d")]
    edges = [{"data": {"id": f"{s}->{t}", "source": s, "target": t}}
             for s, t in (("a", "b"), ("b", "c"), ("a", "c"), ("d", "b"))]
    place(nodes, edges)
    view = type("V", (), {"nodes": nodes, "edges": edges})()
    assert false_edges(view) == []
    assert [e["route"] for e in edges if e["data"]["id"] in ("a->b", "b->c", "d->b")] == [[], [], []]


def test_an_edge_against_the_order_is_drawn_along_the_same_route_reversed():
    nodes = [{"data": {"id": i, "w": 120, "h": 32}} for i in ("a", "b", "c", "x")]
    edges = [{"data": {"id": f"{s}->{t}", "source": s, "target": t}}
             for s, t in (("a", "b"), ("b", "c"), ("a", "c"), ("c", "a"), ("x", "b"))]
    place(nodes, edges)
    routes = {e["data"]["id"]: e["route"] for e in edges}
    assert routes["c->a"] == routes["a->c"][::-1]


def test_segment_offsets_put_the_bend_where_cytoscape_draws_it():
    """cytoscape (edge-distances: node-position) puts a segment point at
    source + w·(target − source) + d·n with n = (−dy, dx)/|target − source|."""
    nodes = [{"data": {"id": i, "w": 120, "h": 32}} for i in ("a", "b", "c", "x")]
    edges = [{"data": {"id": f"{s}->{t}", "source": s, "target": t}}
             for s, t in (("a", "b"), ("b", "c"), ("a", "c"), ("x", "b"))]
    place(nodes, edges)
    pos = {n["data"]["id"]: (n["position"]["x"], n["position"]["y"]) for n in nodes}
    for e in edges:
        (sx, sy), (tx, ty) = pos[e["data"]["source"]], pos[e["data"]["target"]]
        length = ((tx - sx) ** 2 + (ty - sy) ** 2) ** 0.5
        for (px, py), d, w in zip(e["route"], e["data"].get("dists", []), e["data"].get("weights", [])):
            x = sx + w * (tx - sx) + d * -(ty - sy) / length
            y = sy + w * (ty - sy) + d * (tx - sx) / length
            assert abs(x - px) < 0.5 and abs(y - py) < 0.5
