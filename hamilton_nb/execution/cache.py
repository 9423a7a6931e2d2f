"""Computed values by node name, each stored with the version it was computed at.

The cache holds at most ``budget`` bytes of values. Past it, the least recently used values
are evicted: their node is remembered as *evicted* (with the version the value had), so the
status can say so, and the next execute that needs one loads it from the persistent cache
when that is on, or computes it again.
"""
from __future__ import annotations

import dataclasses
from collections import OrderedDict
import os
import sys
from typing import Any, Container, Iterator

import numpy as np
import pandas as pd

from .remote import Remote
from .sizes import format_size

DEFAULT_BUDGET_FRACTION = 0.5  # of physical memory
OLDER_VERSIONS = 2  # earlier values kept per node, so switching back (config US → UK → US) is free
OLDER_FRACTION = 4  # earlier values use at most 1/4 of the budget, and are evicted first


@dataclasses.dataclass(slots=True)
class Entry:
    version: str
    value: Any
    seconds: float
    guard: tuple | None = None  # see execution.sharing
    nbytes: int = 0


def nbytes_of(value: Any) -> int:
    """Bytes of a value's data (pandas/numpy/polars buffers; containers summed; else sys.getsizeof).

    Indexes are not counted: the outputs of a graph share one. A value kept on a cluster
    (:class:`~.remote.Remote`) holds nothing here.
    """
    if isinstance(value, Remote):
        return 0
    if isinstance(value, (pd.Series, np.ndarray)):
        return int(value.nbytes)
    if isinstance(value, pd.DataFrame):
        return sum(int(block.values.nbytes) for block in value._mgr.blocks)
    estimated = getattr(value, "estimated_size", None)  # polars
    if callable(estimated) and type(value).__module__.startswith("polars"):
        return int(estimated())
    kind = type(value)
    if kind is dict or kind is list or kind is tuple:
        items = list(value.values() if kind is dict else value)
        sample = items[:100]  # long containers: scaled up from their first items
        inner = sum(nbytes_of(item) for item in sample) * len(items) // max(1, len(sample))
        return sys.getsizeof(value) + inner
    try:
        return sys.getsizeof(value)
    except TypeError:
        return 0


def physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def default_budget() -> int:
    """Half the machine's physical memory (8 GB when it cannot be read)."""
    total = physical_memory()
    return int(total * DEFAULT_BUDGET_FRACTION) if total else 8 * 2 ** 30


class ValueCache:
    """In-memory cache; a value is only ever served when its version matches.

    Entries are kept in least-recently-used order (``touch`` on every reuse). A value replaced by
    one of another version is kept a while as an *earlier* version (at most ``OLDER_VERSIONS`` per
    node, within a quarter of the budget): asking for that version again restores it instead of
    recomputing.
    """

    def __init__(self, budget: int | None = None) -> None:
        self._entries: dict[str, Entry] = {}
        self.budget = default_budget() if budget is None else int(budget)
        self.nbytes = 0  # current and earlier values
        self.evicted: dict[str, str] = {}  # node -> version of the value that was evicted
        self._older: OrderedDict[tuple[str, str], Entry] = OrderedDict()  # (node, version), oldest first
        self._older_nbytes = 0
        self._remote: set[str] = set()  # nodes whose current value is kept on a cluster

    def get(self, name: str) -> Entry | None:
        return self._entries.get(name)

    def touch(self, name: str) -> None:
        """``name`` was just used: it goes last in the eviction order."""
        entry = self._entries.pop(name, None)
        if entry is not None:
            self._entries[name] = entry

    def put(self, name: str, version: str, value: Any, seconds: float, guard: tuple | None = None) -> None:
        previous = self._entries.pop(name, None)
        if previous is not None:
            if previous.version != version:
                self._keep_older(name, previous)
            else:
                self.nbytes -= previous.nbytes
        self._drop_older(name, version)
        entry = self._entries[name] = Entry(version, value, seconds, guard, nbytes_of(value))
        self.nbytes += entry.nbytes
        self.evicted.pop(name, None)
        self._where(name, entry)

    def restore(self, name: str, version: str) -> Entry | None:
        """Make the earlier value of ``name`` at ``version`` current again (the current one becomes
        an earlier one); None when it is not kept, or was kept on a cluster that went away."""
        entry = self._older.pop((name, version), None)
        if entry is None:
            return None
        self._older_nbytes -= _held(entry)
        if isinstance(entry.value, Remote) and not entry.value.alive():
            return None
        previous = self._entries.pop(name, None)
        if previous is not None:
            self._keep_older(name, previous)
        self._entries[name] = entry
        self.evicted.pop(name, None)
        self._where(name, entry)
        return entry

    def _where(self, name: str, entry: Entry) -> None:
        if isinstance(entry.value, Remote):
            self._remote.add(name)
        else:
            self._remote.discard(name)

    def _keep_older(self, name: str, entry: Entry) -> None:
        self._older[(name, entry.version)] = entry  # its bytes stay counted
        self._older_nbytes += _held(entry)
        mine = [key for key in self._older if key[0] == name]
        for key in mine[:-OLDER_VERSIONS]:
            self._drop_older(*key)
        while self._older and self._older_nbytes > self.budget // OLDER_FRACTION:
            self._drop_older(*next(iter(self._older)))

    def _drop_older(self, name: str, version: str | None = None) -> None:
        keys = [(name, version)] if version is not None else [key for key in self._older if key[0] == name]
        for key in keys:
            entry = self._older.pop(key, None)
            if entry is not None:
                self._older_nbytes -= _held(entry)
                self.nbytes -= entry.nbytes

    def discard(self, name: str) -> None:
        self._remote.discard(name)
        entry = self._entries.pop(name, None)
        if entry is not None:
            self.nbytes -= entry.nbytes
        self._drop_older(name)
        self.evicted.pop(name, None)

    def evict(self, keep: Container[str] = ()) -> list[str]:
        """Evict least recently used values until the cache fits its budget; never ``keep``."""
        if self.nbytes <= self.budget:
            return []
        while self._older and self.nbytes > self.budget:  # earlier versions go first
            self._drop_older(*next(iter(self._older)))
        gone = []
        for name in list(self._entries):
            if self.nbytes <= self.budget:
                break
            if name in keep or not self._entries[name].nbytes:  # nothing to gain here (kept on a cluster)
                continue
            entry = self._entries.pop(name)
            self.nbytes -= entry.nbytes
            self.evicted[name] = entry.version
            gone.append(name)
        return gone

    def lost(self, name: str) -> None:
        """The value of ``name`` can no longer be reached (its cluster went away): evicted."""
        self._remote.discard(name)
        entry = self._entries.pop(name, None)
        if entry is not None:
            self.nbytes -= entry.nbytes
            self.evicted[name] = entry.version
        self._drop_older(name)

    def remote(self) -> list[Remote]:
        """The current values kept on a cluster rather than here."""
        return [self._entries[name].value for name in self._remote]

    def find_lost(self) -> list[str]:
        """Nodes whose value was kept on a cluster that no longer has it: now evicted."""
        gone = [name for name in self._remote if not self._entries[name].value.alive()]
        for name in gone:
            self.lost(name)
        return gone

    def clear(self) -> None:
        self._remote.clear()
        self._entries.clear()
        self._older.clear()
        self._older_nbytes = 0
        self.evicted.clear()
        self.nbytes = 0

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def _held(entry: Entry) -> int:
    """Bytes an entry's value holds, here or on a cluster (what earlier versions are bounded by)."""
    return entry.value.nbytes if isinstance(entry.value, Remote) else entry.nbytes


@dataclasses.dataclass
class MemoryInfo:
    """What the in-memory cache holds, against its budget."""

    nbytes: int
    budget: int
    entries: int
    evicted: list[str]
    persistent: bool  # evicted values come back from disk
    remote_nbytes: int = 0  # values kept on a cluster (not in this process, not in the budget)
    remote_entries: int = 0

    def __str__(self) -> str:
        used = f"{format_size(self.nbytes)} of {format_size(self.budget)} in memory ({_values(self.entries)}"
        used += f", {100 * self.nbytes / self.budget:.0f}% of the budget)" if self.budget else ")"
        if self.remote_entries:
            used += f"; {format_size(self.remote_nbytes)} kept on the Dask cluster ({_values(self.remote_entries)})"
        if not self.evicted:
            return used + "; nothing evicted."
        shown = ", ".join(self.evicted[:10]) + (" …" if len(self.evicted) > 10 else "")
        back = "loaded from the persistent cache" if self.persistent else "computed again"
        return (f"{used}; {len(self.evicted)} evicted (least recently used; {back} when needed): "
                f"{shown}")


def _values(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"


@dataclasses.dataclass
class CacheInfo:
    """What ``%hamilton_cache info`` shows. Hits and misses count this session's look-ups."""

    directory: str
    entries: int
    bytes: int
    max_bytes: int | None
    hits: int
    misses: int
    writes: int
    pending: int
    evictions: int
    corrupt: int

    @property
    def hit_rate(self) -> float | None:
        looked = self.hits + self.misses
        return self.hits / looked if looked else None

    def __str__(self) -> str:
        limit = format_size(self.max_bytes) if self.max_bytes else "no limit"
        rate = f"{self.hit_rate:.0%}" if self.hit_rate is not None else "n/a"
        lines = [f"persistent cache: {self.directory}",
                 f"  entries   {self.entries} ({format_size(self.bytes)}; limit {limit})",
                 f"  hit rate  {rate} ({self.hits} loaded from disk, {self.misses} missed this session)",
                 f"  writes    {self.writes}" + (f" ({self.pending} pending)" if self.pending else "")]
        if self.evictions or self.corrupt:
            lines.append(f"  evicted   {self.evictions}; corrupted entries dropped: {self.corrupt}")
        return "\n".join(lines)
