"""Where a session's values are kept: the memory budget and the persistent cache on disk."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError
from ..execution.cache import MemoryInfo
from ..execution.sizes import parse_size
from .events import Event

if TYPE_CHECKING:  # pragma: no cover
    from ..execution import Engine


class Storage:
    """Part of :class:`~hamilton_nb.session.session.Session`: memory and disk."""

    engine: "Engine"

    @property
    def memory_budget(self) -> int:
        """Bytes of values kept in memory at most; set an int or a size such as "4GB"."""
        return self.engine.cache.budget

    @memory_budget.setter
    def memory_budget(self, value: int | str) -> None:
        self.set_memory_budget(value)

    def set_memory_budget(self, size: int | str) -> list[str]:
        """Bound the values kept in memory (``"4GB"``, ``"500MB"`` or bytes); returns the nodes
        evicted to fit. Evicted values come back from the persistent cache when it is on."""

        try:
            nbytes = parse_size(size)
        except ValueError as exc:
            raise InputError(f"Memory budget: {exc}.\nFix: give a size such as 4GB or 500MB.") from None
        evicted = self.engine.set_memory_budget(nbytes)
        self._publish_states()
        return evicted

    def memory_info(self):
        """Bytes of values in memory, the budget, which nodes were evicted, and what a Dask
        cluster keeps."""

        cache = self.engine.cache
        states = self.engine.known_states()
        evicted = [n for n in cache.evicted if states.get(n) == "evicted"]
        remote = cache.remote()
        return MemoryInfo(cache.nbytes, cache.budget, len(cache) - len(remote), evicted,
                          self.engine.persistent is not None, sum(r.nbytes for r in remote), len(remote))

    def enable_persistent_cache(self, dir: str | None = None, max_bytes: int | str | None = None):
        """Keep computed values on disk (default ``./.hamilton_cache``), keyed by node version.

        After a kernel restart, re-running the cells and executing loads fresh values instead
        of recomputing them. ``max_bytes`` (e.g. ``"2GB"``) bounds the directory; least
        recently used entries are evicted. Non-tabular values are pickled: use a trusted directory.
        """
        from pathlib import Path

        from ..execution.persistent import PersistentCache

        directory = Path(dir) if dir else Path.cwd() / ".hamilton_cache"
        limit = parse_size(max_bytes) if max_bytes is not None else None
        if self.engine.persistent is not None:
            self.engine.persistent.close()
        self.engine.persistent = PersistentCache(directory, max_bytes=limit)
        return self.engine.persistent

    def disable_persistent_cache(self) -> None:
        """Stop reading and writing the on-disk cache (pending writes are finished first)."""
        if self.engine.persistent is not None:
            self.engine.persistent.close()
            self.engine.persistent = None

    def _persistent_store(self):
        if self.engine.persistent is None:
            raise InputError("The persistent cache is off.\n"
                             "Fix: `%hamilton_cache on [DIR]` (`session.enable_persistent_cache()`).")
        return self.engine.persistent

    def cache_info(self):
        """Entries, size and hit rate of the persistent cache (waits for pending writes)."""
        store = self._persistent_store()
        store.flush()
        return store.info()

    def clear_persistent_cache(self) -> int:
        """Delete every entry of the persistent cache, and forget the values in memory too (what
        "clear the cache" means to a user: the next execute recomputes). Returns how many
        entries were removed from disk."""
        removed = self._persistent_store().clear()
        self.engine.reset_cache()
        self._publish_states(Event("reset"))
        return removed
