"""Which nodes are slow: the cue on the graph that says where compute time goes.

A node is slow when its last compute took at least a tenth of what computing every cached
value took (and at least 10 ms, so a small fast graph marks nothing). Read from the cache, not
from the last execute, so the marks stay put through executes that had nothing to recompute.
"""
from __future__ import annotations

from urllib.parse import quote

SHARE = 0.10
FLOOR_SECONDS = 0.010

# A small clock, dark on the light box fills (which are the same in every theme).
CLOCK_SVG = ("<svg xmlns='http://www.w3.org/2000/svg' width='12' height='12' viewBox='0 0 12 12'>"
             "<circle cx='6' cy='6' r='5' fill='#ffffff' stroke='#333333' stroke-width='1.4'/>"
             "<path d='M6 3v3.2l2.2 1.3' fill='none' stroke='#333333' stroke-width='1.4' "
             "stroke-linecap='round'/></svg>")
CLOCK_URI = "data:image/svg+xml;utf8," + quote(CLOCK_SVG)


def slow_nodes(engine) -> set[str]:
    """Nodes whose cached value took at least ``SHARE`` of the compute time of all cached values."""
    nodes = engine.graph.nodes
    seconds = {name: entry.seconds for name, entry in engine.cache._entries.items() if name in nodes}
    least = max(SHARE * sum(seconds.values()), FLOOR_SECONDS)
    return {name for name, took in seconds.items() if took >= least}
