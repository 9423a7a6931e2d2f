"""Where each box of a view goes, and the path each edge takes between boxes.

A layered (Sugiyama) layout from grandalf: layers top to bottom (upstream first), box order
within a layer chosen to reduce edge crossings, coordinates by Brandes-Köpf. A box's edges to
layers further down share one trunk of slots, one slot per layer passed. Independent parts of
the graph (connected components) sit side by side, wrapping into a new band only when a band
gets wider than the widget's canvas; a layer never wraps.

Every edge is routed so that it never passes through a box it doesn't connect: it runs
straight when it can, otherwise down its source's trunk, leaving and entering a layer
vertically wherever a slanted line would clip a neighbouring box. Computed here rather than
in the browser so the live widget and the static SVG draw the same picture, and the widget's
canvas can be exactly as tall as its content. Deterministic: grandalf keeps its vertices and
edges in insertion order, and everything here is fed in the view's order.
"""
from __future__ import annotations

from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout

GAP_X, GAP_Y, MARGIN = 18, 44, 16
COMPONENT_GAP = 36   # between independent parts of the graph
BAND_PX = 660        # components wrap into a new band past this width (or the widest component's):
                     # the widget's narrowest canvas (560 px) at its smallest zoom (0.85)
SLOT_PX = 10         # width a long edge takes in a layer it passes
CLEARANCE = 3        # an edge keeps at least this far from boxes it doesn't connect
STUB = 3             # how far below/above its layer a routed edge turns
ORDER_ROUNDS = 4.5   # grandalf's crossing reduction sweeps
LAID_KEPT = 16       # recent pictures kept: a redraw after a run, Back, or a state change that
                     # keeps every box's size costs no layout (nearly all of a view's build time)
_LAID: dict = {}


class _Box:
    """What grandalf reads (``w``, ``h``) and writes (``xy``) per vertex."""

    __slots__ = ("w", "h", "xy")

    def __init__(self, w: float, h: float):
        self.w, self.h, self.xy = w, h, (0.0, 0.0)


def place(nodes: list[dict], edges: list[dict]) -> tuple[int, int]:
    """Set ``position`` (box centre) on every node and ``route`` (the bend points between the
    two boxes, ``[]`` for a straight edge) on every edge between drawn nodes; return the
    picture's width and height.

    ``nodes`` come upstream first; an edge pointing back up that order (between two groups
    that feed each other) is laid out as if it pointed down, and drawn reversed. A routed
    edge also gets the class ``routed`` and data ``dists``/``weights``: its bend points as
    cytoscape's ``segments`` edges read them (relative to the line between the box centres)."""
    if not nodes:
        return 0, 0
    ids = [n["data"]["id"] for n in nodes]
    index = {i: k for k, i in enumerate(ids)}
    size = {n["data"]["id"]: (float(n["data"]["w"]), float(n["data"]["h"])) for n in nodes}
    pairs: dict[tuple[str, str], None] = {}  # laid-out edges, upstream end first, in view order
    for e in edges:
        a, b = e["data"]["source"], e["data"]["target"]
        if a in index and b in index and a != b:
            pairs[(a, b) if index[a] < index[b] else (b, a)] = None
    key = (tuple((i, size[i]) for i in ids), tuple(pairs))
    found = _LAID.pop(key, None)  # the same boxes and edges as a recent view: the same picture
    if found is None:
        parts = _components(ids, index, list(pairs))
        laid = [_layout_component(part, [p for p in pairs if p[0] in set(part)], size) for part in parts]
        found = _pack(laid)
    _LAID[key] = found
    while len(_LAID) > LAID_KEPT:
        _LAID.pop(next(iter(_LAID)))
    pos, routes, width, height = found
    for n in nodes:
        x, y = pos[n["data"]["id"]]
        n["position"] = {"x": round(x, 1), "y": round(y, 1)}
    for e in edges:
        _attach_route(e, pos, routes, index)
    return width, height


def _components(ids: list[str], index: dict, pairs: list[tuple[str, str]]) -> list[list[str]]:
    """Connected components, each in view order, ordered by their first node."""
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb, key=index.get)] = min(ra, rb, key=index.get)
    parts: dict[str, list[str]] = {}
    for i in ids:
        parts.setdefault(root(i), []).append(i)
    return list(parts.values())


class _Laid:
    """One component laid out from (0, 0): centres, edge polylines (centre to centre)."""

    def __init__(self, pos, routes, width, height):
        self.pos, self.routes, self.width, self.height = pos, routes, width, height


def _layout_component(part: list[str], pairs: list[tuple[str, str]], size: dict) -> _Laid:
    if len(part) == 1:
        w, h = size[part[0]]
        return _Laid({part[0]: (w / 2, h / 2)}, {}, w, h)
    # layers: longest path from the top (``part`` is upstream first, every pair points down it)
    rank = {i: 0 for i in part}
    for a, b in sorted(pairs, key=lambda p: part.index(p[1])):
        rank[b] = max(rank[b], rank[a] + 1)
    vertices = {i: Vertex(i) for i in part}
    for i, v in vertices.items():
        v.view = _Box(*size[i])
    # a box's edges to layers further down share one trunk of slots, one per layer passed
    # (edge concentration: far fewer slots than one per edge, so dense overviews stay narrow)
    reach: dict[str, int] = {}
    for a, b in pairs:
        reach[a] = max(reach.get(a, 0), rank[b])
    trunks: dict[str, dict[int, Vertex]] = {}
    links = []
    for a in part:
        trunk = trunks[a] = {}
        above = vertices[a]
        for r in range(rank[a] + 1, reach.get(a, 0)):
            slot = trunk[r] = Vertex(None)
            slot.view = _Box(SLOT_PX, 0)
            links.append(Edge(above, slot))
            above = slot
    for a, b in pairs:
        links.append(Edge(vertices[a] if rank[b] == rank[a] + 1 else trunks[a][rank[b] - 1], vertices[b]))
    core = graph_core(list(vertices.values()) + [s for a in part for s in trunks[a].values()], links)
    sugiyama = SugiyamaLayout(core)
    sugiyama.xspace, sugiyama.yspace = GAP_X, GAP_Y
    sugiyama.init_all(roots=[v for v in core.sV if not v.e_in()], inverted_edges=[])
    sugiyama.draw(ORDER_ROUNDS)
    # grandalf's x (Brandes-Köpf, averaged over four alignments) can let wide boxes touch:
    # keep its order and push apart what is too close
    xs: dict = {}
    for layer in sugiyama.layers:
        previous = None
        for v in layer:
            x = v.view.xy[0]
            if previous is not None:
                x = max(x, xs[previous] + (previous.view.w + v.view.w) / 2 + GAP_X)
            xs[v], previous = x, v
    left = min(x - v.view.w / 2 for v, x in xs.items())
    tops, bottoms, mids, y = [], [], [], 0.0
    for layer in sugiyama.layers:
        h = max((v.view.h for v in layer), default=0) or SLOT_PX
        tops.append(y), mids.append(y + h / 2), bottoms.append(y + h)
        y += h + GAP_Y
    height = y - GAP_Y
    pos = {i: (xs[v] - left, mids[rank[i]]) for i, v in vertices.items()}
    width = max(x - left + v.view.w / 2 for v, x in xs.items())
    boxes = [[(v.data, xs[v] - left, mids[r], v.view.w, v.view.h) for v in layer if v.data is not None]
             for r, layer in enumerate(sugiyama.layers)]
    routes = {}
    for a, b in pairs:
        ra, rb = rank[a], rank[b]
        if rb == ra + 1 or _clear(pos[a], pos[b], boxes, tops, bottoms, {a, b}):
            hops = [pos[a], pos[b]]  # straight when nothing is in the way
        else:  # down its source's trunk, one slot per layer passed
            hops = [pos[a]] + [(xs[trunks[a][r]] - left, mids[r]) for r in range(ra + 1, rb)] + [pos[b]]
        points, r = [hops[0]], ra
        for p, q in zip(hops, hops[1:]):
            if not _clear(p, q, boxes, tops, bottoms, {a, b}):
                # leave the layer vertically (in the box's or slot's own column), turn in the
                # empty gap between layers, enter the next one vertically: clear by construction
                points += [(p[0], bottoms[r] + STUB), (q[0], tops[r + 1] - STUB)]
            points.append(q)
            r += 1
        routes[(a, b)] = _without_straight_bends(points)
    return _Laid(pos, routes, width, height)


def _without_straight_bends(points: list) -> list:
    """``points`` without the ones that lie on the line between their neighbours."""
    kept = [points[0]]
    for k in range(1, len(points) - 1):
        (ax, ay), (bx, by), (cx, cy) = kept[-1], points[k], points[k + 1]
        if abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) > 0.5 * max(1.0, abs(cx - ax) + abs(cy - ay)):
            kept.append(points[k])
    return kept + [points[-1]]


def _clear(p, q, boxes, tops, bottoms, ends) -> bool:
    lo, hi = min(p[1], q[1]), max(p[1], q[1])
    for r, layer in enumerate(boxes):
        if bottoms[r] < lo - CLEARANCE or tops[r] > hi + CLEARANCE:
            continue
        for name, x, y, w, h in layer:
            if name not in ends and segment_hits_box(p, q, x, y, w + 2 * CLEARANCE, h + 2 * CLEARANCE):
                return False
    return True


def segment_hits_box(p, q, cx: float, cy: float, w: float, h: float) -> bool:
    """Whether the segment ``p``–``q`` meets the ``w``×``h`` rectangle centred on (cx, cy)
    (Liang–Barsky clipping)."""
    x0, y0 = p
    dx, dy = q[0] - x0, q[1] - y0
    t0, t1 = 0.0, 1.0
    for step, room in ((-dx, x0 - (cx - w / 2)), (dx, (cx + w / 2) - x0),
                       (-dy, y0 - (cy - h / 2)), (dy, (cy + h / 2) - y0)):
        if step == 0:
            if room < 0:
                return False
            continue
        t = room / step
        if step < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _pack(laid: list[_Laid]) -> tuple[dict, dict, int, int]:
    """Components left to right in bands (a new band once one is wider than BAND_PX),
    each band centred; every coordinate shifted into the picture."""
    limit = max([BAND_PX] + [c.width for c in laid])
    bands: list[list[_Laid]] = [[]]
    used = 0.0
    for c in laid:
        if bands[-1] and used + COMPONENT_GAP + c.width > limit:
            bands.append([])
            used = 0.0
        used += (COMPONENT_GAP if bands[-1] else 0) + c.width
        bands[-1].append(c)
    widths = [sum(c.width for c in band) + COMPONENT_GAP * (len(band) - 1) for band in bands]
    total_w = max(widths) + 2 * MARGIN
    pos, routes, y = {}, {}, float(MARGIN)
    for band, band_w in zip(bands, widths):
        x = (total_w - band_w) / 2
        for c in band:
            for i, (px, py) in c.pos.items():
                pos[i] = (px + x, py + y)
            for pair, points in c.routes.items():
                routes[pair] = [(px + x, py + y) for px, py in points]
            x += c.width + COMPONENT_GAP
        y += max(c.height for c in band) + GAP_Y
    return pos, routes, int(total_w + 0.5), int(y - GAP_Y + MARGIN + 0.5)


def _attach_route(e: dict, pos: dict, routes: dict, index: dict) -> None:
    data = e["data"]
    a, b = data["source"], data["target"]
    for key in ("dists", "weights"):
        data.pop(key, None)
    classes = [c for c in e.get("classes", "").split() if c != "routed"]
    if a not in pos or b not in pos or a == b:
        e.pop("route", None)
        e["classes"] = " ".join(classes)
        return
    points = routes[(a, b)] if index[a] < index[b] else routes[(b, a)][::-1]
    bends = [(round(x, 1), round(y, 1)) for x, y in points[1:-1]]
    e["route"] = [list(p) for p in bends]
    if bends:
        data["dists"], data["weights"] = segment_offsets(pos[a], pos[b], bends)
        classes.append("routed")
    e["classes"] = " ".join(classes)


def segment_offsets(source, target, bends) -> tuple[list[float], list[float]]:
    """Cytoscape's ``segment-distances`` and ``segment-weights`` (with ``edge-distances:
    node-position``) for bend points: each as a fraction along the source→target line and a
    signed distance from it, positive to the left of the direction of travel in screen
    coordinates (the normal is (-dy, dx))."""
    (sx, sy), (tx, ty) = source, target
    dx, dy = tx - sx, ty - sy
    length2 = dx * dx + dy * dy or 1.0
    length = length2 ** 0.5
    dists, weights = [], []
    for px, py in bends:
        vx, vy = px - sx, py - sy
        weights.append(round((vx * dx + vy * dy) / length2, 4))
        dists.append(round((vx * -dy + vy * dx) / length, 2))
    return dists, weights
