"""What a session tells: events to its observers, and what registering a module did."""
from __future__ import annotations

import dataclasses
from typing import Callable

from ..execution import Listener
from ..execution.report import counted
from ..graph import ChangeSet


@dataclasses.dataclass
class Event:
    """``kind`` is one of: graph, states, node_started, node_finished, executed, reset."""

    kind: str
    nodes: list[str] = dataclasses.field(default_factory=list)
    states: dict[str, str] = dataclasses.field(default_factory=dict)
    module: str | None = None


@dataclasses.dataclass
class Registration:
    """What registering a module did; its text is the one-line feedback a cell prints."""

    module: str
    change: ChangeSet
    stale: list[str]
    retyped: list[str] = dataclasses.field(default_factory=list)  # only type hints changed
    matched: str | None = None  # how an unnamed cell was matched to the module it replaces

    def __str__(self) -> str:
        c = self.change
        count = len(c.added) + len(c.changed) + len(c.unchanged)
        parts = [f"{count} function{'' if count == 1 else 's'}"]
        changed = [n for n in c.changed if n not in self.retyped]
        for label, names in (("added", c.added), ("changed", changed),
                             ("type hints changed (nothing to recompute)", self.retyped),
                             ("removed", c.removed)):
            if names:
                parts.append(counted(label, names))
        if self.stale:
            parts.append(counted("now stale", self.stale))
        module = f"{self.module} ({self.matched})" if self.matched else self.module
        return f"{module}: " + "; ".join(parts)


class Relay(Listener):
    """Tells a session's observers when nodes start and finish (a listener of its engine)."""

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self.emit = emit

    def node_started(self, name: str) -> None:
        self.emit(Event("node_started", [name], {name: "running"}))

    def node_finished(self, name: str, ok: bool) -> None:
        self.emit(Event("node_finished", [name], {name: "fresh" if ok else "error"}))
