"""What an execute tells its caller and its observers: the report (summarised so it reads the
same at 5 nodes and at 5000) and the listener hooks."""
from __future__ import annotations

import dataclasses
from typing import Sequence

from .diff import Comparison

LISTED = 20  # up to this many computed nodes get a line each; more are summarised
SLOWEST = 10
CHANGES_SPELLED_OUT = 3


def format_seconds(seconds: float) -> str:
    """One way to write a duration, shared by ``-v`` and the progress bar."""
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def abbreviate(names: Sequence[str], limit: int = 8) -> str:
    """``a, b, c`` — or, past ``limit`` names, ``f_0, f_1, f_2 … f_999``."""
    names = list(names)
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:3]) + f" … {names[-1]}"


def counted(label: str, names: Sequence[str], limit: int = 8) -> str:
    """``added: a, b`` — or, for a long list, ``added 1000: f_0, f_1, f_2 … f_999``."""
    count = f" {len(names)}" if len(names) > limit else ""
    return f"{label}{count}: {abbreviate(names, limit)}"


@dataclasses.dataclass
class ExecutionReport:
    """What one execute did: which nodes ran (with seconds), which were reused, and which of
    the recomputed ones changed value."""

    outputs: list[str]
    computed: dict[str, float] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0
    loaded: list[str] = dataclasses.field(default_factory=list)  # from the persistent cache
    changed: dict[str, str] = dataclasses.field(default_factory=dict)  # recomputed, new value -> how
    same: list[str] = dataclasses.field(default_factory=list)  # recomputed, same value as before
    steps: Sequence[str] = ()  # every node the request needs, in dependency order
    restored: list[str] = dataclasses.field(default_factory=list)  # earlier versions made current again
    # nodes of this request that other executes (a live output's, say) recomputed since the last
    # edit: name -> (how the value compares with the one before, who recomputed it)
    earlier: dict[str, tuple[Comparison, str]] = dataclasses.field(default_factory=dict)
    by: str = "an earlier execute"  # who ran this execute, as later reports name it
    # failed ``warn`` checks and return-type warnings of values computed from overrides: they are
    # not cached, so they are not among the engine's warnings of cached values
    what_if_warnings: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def cached(self) -> list[str]:
        """Nodes whose in-memory cached value was reused (current, or an earlier version restored)."""
        computed, loaded = self.computed, set(self.loaded)
        return [n for n in self.steps if n not in computed and n not in loaded]

    def recomputed(self, name: str, comparison: Comparison) -> None:
        """``name`` replaced a cached value; record whether its value changed."""
        if comparison.same:
            self.same.append(name)
        else:
            self.changed[name] = comparison.detail

    def summary(self) -> str:
        loaded = f", {len(self.loaded)} loaded from disk" if self.loaded else ""
        lines = [f"{len(self.computed)} computed, {len(self.cached)} from cache{loaded} "
                 f"in {format_seconds(self.seconds)}"]
        if self.changed or self.same:
            lines.append("  " + self._changes())
        if self.earlier:
            who = sorted({by for _, by in self.earlier.values()})
            lines.append("  " + self.since_edit(own=False) + f" — by {' and '.join(who)}, since the last edit")
        if len(self.computed) <= LISTED:
            for name, seconds in self.computed.items():
                outcome = "  changed" if name in self.changed else "  same value" if name in self.same else ""
                lines.append(f"  computed  {name}  ({seconds * 1000:.2f} ms){outcome}")
        else:
            slowest = sorted(self.computed.items(), key=lambda item: -item[1])[:SLOWEST]
            lines.append(f"  slowest {len(slowest)} of {len(self.computed)} computed:")
            lines += [f"    {name}  ({seconds * 1000:.2f} ms)" for name, seconds in slowest]
        if self.cached:
            lines.append(f"  cached    {abbreviate(self.cached, LISTED)}")
        if self.loaded:
            lines.append(f"  loaded    {abbreviate(self.loaded, LISTED)}  (from the persistent cache)")
        if self.restored:
            lines.append(f"  restored  {abbreviate(self.restored, LISTED)}  (earlier versions kept in memory)")
        return "\n".join(lines)

    def _changes(self) -> str:
        """``11 recomputed: 3 changed (f_12: 40 of 1000 rows differ, max |Δ| 0.3; …), 8 same``."""
        return recomputed_text(self.changed, len(self.same))

    def since_edit(self, own: bool = True, earlier: bool = True) -> str:
        """What recomputes since the last edit did to this request's nodes: this execute's own
        (``own``) and other executes' (``earlier``), in the words of :meth:`_changes`."""
        changed: dict[str, str] = dict(self.changed) if own else {}
        same = len(self.same) if own else 0
        if earlier:
            for name, (comparison, _) in self.earlier.items():
                if comparison.same:
                    same += 1
                else:
                    changed[name] = comparison.detail
        return recomputed_text(changed, same)


def recomputed_text(changed: dict[str, str], same: int) -> str:
    """``11 recomputed: 3 changed (f_12: 40 of 1000 rows differ, max |Δ| 0.3; …), 8 same``."""
    shown = list(changed.items())[:CHANGES_SPELLED_OUT]
    details = "; ".join(f"{name}: {detail}" for name, detail in shown)
    more = "; …" if len(changed) > len(shown) else ""
    text = f"{len(changed)} changed" + (f" ({details}{more})" if shown else "")
    return f"{len(changed) + same} recomputed: {text}, {same} same"


class Listener:
    """Observer hooks (progress bars, the graph widget); all optional."""

    def node_started(self, name: str) -> None: ...

    def node_finished(self, name: str, ok: bool) -> None: ...

    def execution_started(self, to_compute: list[str]) -> None:
        """An execute is about to compute these (stale) nodes, in dependency order."""

    def execution_finished(self, ok: bool) -> None:
        """The execute that :meth:`execution_started` announced has ended."""
