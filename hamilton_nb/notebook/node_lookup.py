"""Where a node is defined (a notebook cell, or a file and line), and finding nodes by name, doc or tag.

The front end's jump to definition and the side panel's search ask these; the answers are
plain dicts ready to send.
"""
from __future__ import annotations

import inspect
import os
from typing import Mapping

MAX_FOUND = 50  # search results sent at most


def cell_of_module(cells: Mapping[str, str], module: str) -> str | None:
    """The front-end cell id that defines ``module`` (the last one that registered it)."""
    found = None
    for cell_id, owner in cells.items():
        if owner == module:
            found = cell_id
    return found


def location(session, cells: Mapping[str, str], name: str) -> dict:
    """``{node, module, cell}`` for a node of a notebook cell, ``{node, module, file, line}`` for one
    imported from a file (the path relative to the kernel's working directory), or ``{node}``
    alone when neither is known (an input, or a function typed in a terminal)."""
    node = session.graph.nodes.get(name)
    if node is None:
        return {"node": name}
    out = {"node": name, "module": node.module}
    cell = cell_of_module(cells, node.module)
    if cell is not None:
        out["cell"] = cell
        return out
    function = inspect.unwrap(node.function) if node.function is not None else None
    try:
        path = inspect.getsourcefile(function) if function is not None else None
        line = function.__code__.co_firstlineno if path else None
    except (TypeError, AttributeError):
        path = line = None
    if path and os.path.isfile(path) and "ipykernel_" not in path:
        out["file"] = os.path.relpath(path)
        out["line"] = line
    return out


def search(session, text: str) -> list[dict]:
    """Nodes whose name, doc, module or tags contain ``text`` (case-insensitive), names first."""
    words = text.lower().split()
    states = session.known_states
    hits: list[tuple[int, str, dict]] = []
    for name, node in session.graph.nodes.items():
        tags = " ".join(f"{k}={v}" for k, v in node.tags.items())
        haystack = f"{name} {node.doc} {node.module} {tags}".lower()
        if all(w in haystack for w in words):
            rank = 0 if all(w in name.lower() for w in words) else 1
            hits.append((rank, name, {"node": name, "module": node.module, "state": states.get(name, ""),
                                      "doc": (node.doc or "").strip().split("\n\n")[0][:200], "tags": tags}))
    hits.sort(key=lambda hit: hit[:2])
    return [hit[2] for hit in hits[:MAX_FOUND]]


def status_rows(session) -> list[dict]:
    """The status table's main columns, one dict per node, for the side panel."""
    frame = session.status()
    keep = [c for c in ("node", "module", "state", "type", "last compute (ms)") if c in frame.columns]
    rows = frame[keep].to_dict("records")
    for row in rows:
        ms = row.get("last compute (ms)")
        row["ms"] = None if ms is None or ms != ms else ms  # NaN is not JSON
        row.pop("last compute (ms)", None)
    return rows
