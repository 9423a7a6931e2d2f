"""What the executes since the last edit changed, with each changed node's previous value (bounded)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .compare import Comparison, size_of

DEFAULT_MAX_BYTES = 512 * 2**20  # previous values kept for diffs, in all

_where_now: Callable[[], str] = lambda: ""  # noqa: E731


def locate_changes_with(where_now: Callable[[], str] | None) -> None:
    """Say where changes happen from now on (a notebook: ``lambda: "in cell [7]"``), so that why a
    node was recomputed can name the cell of the edit; None: nowhere."""
    global _where_now
    _where_now = where_now or (lambda: "")


class ChangeLog:
    """What the executes since the last edit recomputed and changed, and each changed node's
    previous value (bounded)."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.changed: dict[str, str] = {}  # nodes recomputed since the last edit with a new value -> how
        self.outcome: dict[str, Comparison] = {}  # each node's last recompute, while not edited since
        self.recent: dict[str, object] = {}  # node -> the execute that recomputed it since the last edit
        self.made: dict[str, tuple] = {}  # node -> what its cached value was made from (see .why)
        self.why: dict[str, tuple] = {}  # node -> (version its last recompute replaced, the causes of it)
        self.where: dict[str, str] = {}  # node, input or config -> where it last changed ("in cell [7]")
        self._previous: dict[str, tuple[Any, int]] = {}  # name -> (value before, its bytes); oldest first
        self._bytes = 0

    def record(self, name: str, old: Any, comparison: Comparison, run: object,
               why: tuple = (None, ())) -> Comparison:
        """``name`` was recomputed in ``run`` (an execute) and ``comparison`` says how its value
        compares with ``old``; ``why``: (the version replaced, the causes). Remember that, and
        keep ``old`` if it changed."""
        self._release(name)
        self.why[name] = why
        self.outcome[name] = comparison
        self.recent[name] = run
        if comparison.same:
            self.changed.pop(name, None)
        else:
            self.changed[name] = comparison.detail
            size = size_of(old)
            if size <= self.max_bytes:
                self._previous[name] = (old, size)
                self._bytes += size
                while self._bytes > self.max_bytes:  # the oldest previous values go first
                    self._release(next(iter(self._previous)))
        return comparison

    def earlier(self, names: Iterable[str], run: object) -> dict[str, tuple[Comparison, object]]:
        """Those of ``names`` that an execute other than ``run`` recomputed since the last edit:
        name -> (how its value compares with the one before, that execute)."""
        recent, outcome = self.recent, self.outcome
        return {n: (outcome[n], recent[n]) for n in names
                if n in recent and recent[n] is not run and n in outcome}

    def noted(self, names: Iterable[str]) -> None:
        """``names`` (edited nodes, rebound inputs, config) change here and now: remember where."""
        where = _where_now()
        for name in names:
            if where:
                self.where[name] = where
            else:
                self.where.pop(name, None)

    def previous(self, name: str) -> tuple[bool, Any]:
        """(True, the value before its last recompute) if kept, else (False, None)."""
        found = self._previous.get(name)
        return (True, found[0]) if found is not None else (False, None)

    def edited(self, names: Iterable[str] = ()) -> None:
        """Something was edited: the marks of the executes before are outdated; ``names`` lose their
        previous values (their cached value is about to be replaced, and becomes the next previous one)."""
        self.changed = {}
        self.recent = {}
        for name in names:
            self._release(name)
            self.outcome.pop(name, None)

    def forget(self, names: Iterable[str] = ()) -> None:
        """The values of ``names`` are gone: so is what they were made from."""
        names = list(names)
        self.edited(names)
        for name in names:
            self.made.pop(name, None)
            self.why.pop(name, None)

    def clear(self) -> None:
        self.__init__(self.max_bytes)

    @property
    def nbytes(self) -> int:
        """Memory held by previous values (what diffs cost)."""
        return self._bytes

    def _release(self, name: str) -> None:
        found = self._previous.pop(name, None)
        if found is not None:
            self._bytes -= found[1]
