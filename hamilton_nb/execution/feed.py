"""The change feed: who hears that a node's state or version may have changed.

The state book and the plans subscribe to it; progress listeners hear nodes start and finish.
Everything that can change a state (an edit, a binding, a stored or evicted value) reports here.
"""
from __future__ import annotations

from typing import Callable, Iterable

from .report import Listener

Names = Callable[[list[str]], None]


class ChangeFeed:
    def __init__(self) -> None:
        self.listeners: list[Listener] = []
        self.running: set[str] = set()
        self._on_changed: list[Names] = []
        self._on_forgotten: list[Names] = []

    def subscribe(self, changed: Names | None = None, forgotten: Names | None = None) -> None:
        """``changed``: states of these names may differ; ``forgotten``: their versions were
        forgotten (computed again when next looked at)."""
        if changed is not None:
            self._on_changed.append(changed)
        if forgotten is not None:
            self._on_forgotten.append(forgotten)

    def changed(self, names: Iterable[str]) -> None:
        """The state (value, error, running) of ``names`` may have changed."""
        names = list(names)
        for callback in self._on_changed:
            callback(names)

    def forgotten(self, names: Iterable[str]) -> None:
        """The versions of ``names`` were forgotten: plans and states look at them again."""
        names = list(names)
        for callback in self._on_forgotten:
            callback(names)
