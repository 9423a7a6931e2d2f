"""What an execute tells its caller and its observers: the report and the listener hooks."""
from __future__ import annotations

import dataclasses
from typing import Sequence


@dataclasses.dataclass
class ExecutionReport:
    """What one execute did: which nodes ran (with seconds), were loaded from disk or reused."""

    outputs: list[str]
    computed: dict[str, float] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0
    loaded: list[str] = dataclasses.field(default_factory=list)  # from the persistent cache
    steps: Sequence[str] = ()  # every node the request needs, in dependency order

    @property
    def cached(self) -> list[str]:
        """Nodes whose in-memory cached value was reused."""
        computed, loaded = self.computed, set(self.loaded)
        return [n for n in self.steps if n not in computed and n not in loaded]

    def summary(self) -> str:
        cached = self.cached
        loaded = f", {len(self.loaded)} loaded from disk" if self.loaded else ""
        lines = [f"{len(self.computed)} computed, {len(cached)} from cache{loaded} "
                 f"in {self.seconds * 1000:.1f} ms"]
        for name, seconds in self.computed.items():
            lines.append(f"  computed  {name}  ({seconds * 1000:.2f} ms)")
        if cached:
            shown = ", ".join(cached[:20]) + (" …" if len(cached) > 20 else "")
            lines.append(f"  cached    {shown}")
        if self.loaded:
            shown = ", ".join(self.loaded[:20]) + (" …" if len(self.loaded) > 20 else "")
            lines.append(f"  loaded    {shown}  (from the persistent cache)")
        return "\n".join(lines)


class Listener:
    """Observer hooks (progress bars, the graph widget); all optional."""

    def node_started(self, name: str) -> None: ...

    def node_finished(self, name: str, ok: bool) -> None: ...

    def execution_started(self, to_compute: list[str]) -> None:
        """An execute is about to compute these (stale) nodes, in dependency order."""

    def execution_finished(self, ok: bool) -> None:
        """The execute that :meth:`execution_started` announced has ended."""
