"""Computed values by node name, each stored with the version it was computed at."""
from __future__ import annotations

import dataclasses
from typing import Any, Iterator


@dataclasses.dataclass(slots=True)
class Entry:
    version: str
    value: Any
    seconds: float
    guard: tuple | None = None  # see execution.sharing


class ValueCache:
    """In-memory cache; a value is only ever served when its version matches."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def get(self, name: str) -> Entry | None:
        return self._entries.get(name)

    def put(self, name: str, version: str, value: Any, seconds: float, guard: tuple | None = None) -> None:
        self._entries[name] = Entry(version, value, seconds, guard)

    def discard(self, name: str) -> None:
        self._entries.pop(name, None)

    def clear(self) -> None:
        self._entries.clear()

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
