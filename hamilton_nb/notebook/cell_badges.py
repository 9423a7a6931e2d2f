"""What each ``%%hamilton`` cell's badge says: its nodes' states counted, and why some went stale.

One summary per cell (never per node), so the front end gets a message whose size follows the
number of cells. Causes are remembered per node when it turns stale (the edit, input or config
change of that batch), so a badge can say "stale: `spend` rebound in cell [12]".
"""
from __future__ import annotations

import collections
from typing import Iterable, Mapping

MAX_NAMED = 3  # names a cause lists; the rest are counted

# The badge of a cell is its most urgent state; "fresh" only when every node is.
_PRIORITY = ("running", "error", "stale", "not computed", "evicted", "untracked")


def _names(names: list[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")


class Causes:
    """What the changes since the last summary were, said the way a badge's title says it."""

    def __init__(self) -> None:
        self.per_node: dict[str, str] = {}  # stale node -> what made it stale
        self._batch: list[str] = []
        self._inputs: dict[str, int] = {}  # input -> id of its bound value, to spot a rebind

    def graph_changed(self, nodes: list[str], module: str | None, where: str) -> None:
        """A cell was (re)registered, a node or module dropped, or config set (no module)."""
        if module is None:
            self._batch.append(f"config {_names(nodes)} changed {where}".strip())
        elif nodes:
            self._batch.append(f"{_names(nodes)} changed {where}".strip())

    def reset(self, where: str) -> None:
        self._batch.append(f"session reset {where}".strip())

    def inputs_now(self, inputs: Mapping[str, object], where: str) -> None:
        """Compare the bound inputs with the last batch's: a new object under a name is a rebind."""
        now = {name: id(value) for name, value in inputs.items()}
        rebound = [n for n, ident in now.items() if self._inputs.get(n, ident) != ident]
        added = [n for n in now if n not in self._inputs]
        removed = [n for n in self._inputs if n not in now]
        if rebound:
            self._batch.append(f"{_names(rebound)} rebound {where}".strip())
        if added and self._inputs:
            self._batch.append(f"input {_names(added)} bound {where}".strip())
        if removed:
            self._batch.append(f"input {_names(removed)} dropped {where}".strip())
        self._inputs = now

    def states_changed(self, changed: Mapping[str, str]) -> None:
        """Nodes that just turned stale take this batch's cause; others forget theirs."""
        cause = "; ".join(dict.fromkeys(self._batch)) or "something upstream changed"
        for name, state in changed.items():
            if state == "stale":
                self.per_node.setdefault(name, cause)
            else:
                self.per_node.pop(name, None)

    def end_batch(self) -> None:
        self._batch.clear()


def summarize(modules: Mapping[str, Iterable[str]], cells: Mapping[str, str], states: Mapping[str, str],
              causes: Causes) -> dict[str, dict]:
    """``{cell_id: {module, badge, text, counts, why, nodes}}`` for every cell tied to a module."""
    out: dict[str, dict] = {}
    for cell_id, module in cells.items():
        nodes = list(modules.get(module, ()))
        counts = collections.Counter(states.get(n, "not computed") for n in nodes)
        badge = next((s for s in _PRIORITY if counts.get(s)), "fresh" if nodes else "empty")
        out[cell_id] = {"module": module, "badge": badge, "text": _text(badge, counts),
                        "counts": dict(counts), "why": _why(module, badge, nodes, counts, states, causes),
                        "nodes": nodes}
    return out


def failed_cell(module: str | None, error: str, summary: dict | None) -> dict:
    """The badge of a ``%%hamilton`` cell whose last run failed: nothing of it was registered, and
    the graph keeps what the cell registered before (if anything)."""
    kept = f"the graph keeps module `{module}` as it was" if module else "nothing was registered"
    why = f"the last run of this cell failed: {error}\n{kept}"
    if summary is not None:
        why += "\n" + summary["why"]
    return {"module": module or "", "badge": "error", "text": "failed", "why": why,
            "counts": summary["counts"] if summary else {}, "nodes": summary["nodes"] if summary else []}


def _text(badge: str, counts: Mapping[str, int]) -> str:
    if badge in ("stale", "not computed", "evicted"):
        return f"{counts[badge]} {badge}"
    return {"error": "failed", "empty": "no functions"}.get(badge, badge)


def _why(module: str, badge: str, nodes: list[str], counts: Mapping[str, int], states: Mapping[str, str],
         causes: Causes) -> str:
    """The badge's hover title: module, counts, and for stale nodes what made them stale."""
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    lines = [f"module `{module}`: {summary or 'no functions'}"]
    stale = [n for n in nodes if states.get(n) == "stale"]
    by_cause: dict[str, list[str]] = {}
    for name in stale:
        by_cause.setdefault(causes.per_node.get(name, "something upstream changed"), []).append(name)
    for cause, names in by_cause.items():
        lines.append(f"stale: {cause} ({_names(names)})")
    failed = [n for n in nodes if states.get(n) == "error"]
    if failed:
        lines.append(f"failed: {_names(failed)}")
    return "\n".join(lines)
