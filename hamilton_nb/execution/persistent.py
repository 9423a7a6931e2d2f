"""A persistent value store: computed values on disk, keyed by node name + version.

A kernel restart loses the in-memory cache, not the work: with a store enabled the engine
looks a missed node up here by ``(name, version)`` before computing it, and writes what it
computes. Versions hash code, globals, config and inputs, and are stable across processes,
so an entry is loaded only when the node would compute exactly that value again; an edited
node has a new version and simply misses (stale entries are never loaded).

One file per entry, encoded by :mod:`.codec` (Arrow IPC for pandas, polars' IPC, else
pickle — loading a pickle can run code: **only enable a cache directory you trust**).

Safety: an entry file is written atomically and checked when read (:mod:`.entry_file`); a
damaged one is reported once (a logging warning naming the node and the file), removed, and the
node is recomputed. Writes run on a background thread by default (the hot loop only enqueues);
``flush`` waits for them, and they are flushed at interpreter exit.

Least-recently-used eviction keeps the directory under ``max_bytes``: a hit sets the file's
modification time, eviction removes the oldest files first.
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import os
import queue
import re
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from .cache import CacheInfo
from .codec import Unstorable, decode
from .entry_file import BadEntry, is_abandoned_temp, read_entry, write_entry
from .remote import Remote

logger = logging.getLogger("hamilton_nb")

SUFFIX = ".hnbc"


def _environment() -> str:
    """What every stored value also depends on: the Python and data-library versions (a value
    computed under pandas 2 is not served under pandas 3, whether or not a node names pandas)."""
    import sys

    from ..graph.process_state import library_version

    return "|".join([sys.version, *(library_version(name) for name in ("numpy", "pandas", "pyarrow", "hamilton_nb"))])
_QUIET = 0.02  # seconds without new values before the background writer starts writing


_STORES: "weakref.WeakSet[PersistentCache]" = weakref.WeakSet()


@atexit.register
def flush_all() -> None:
    """Finish the pending writes of every store (at exit, and before a Dask cluster closes)."""
    for store in list(_STORES):
        store.flush(timeout=60)


class PersistentCache:
    """Values on disk by ``(node name, version)``; see the module docstring.

    ``background=False`` writes synchronously inside :meth:`save` (tests, scripts that exit
    abruptly). ``max_bytes`` bounds the directory (least recently used entries go first).
    """

    def __init__(self, directory: str | os.PathLike, max_bytes: int | None = None,
                 background: bool = True) -> None:
        self.directory = Path(directory).expanduser().resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_bytes) if max_bytes else None
        self.background = background
        self.hits = self.misses = self.writes = self.evictions = self.corrupt = 0
        self._reported: set[str] = set()
        self._unstorable: set[str] = set()
        self._interned: dict = {}
        self._prefixes: dict[str, str] = {}
        self._environment = _environment()
        self._last_save = 0.0
        self._pending: dict[tuple[str, str], tuple[Any, float]] = {}
        self._queue: queue.SimpleQueue | None = None
        self._queued = self._done = 0  # jobs handed to / finished by the writer thread
        self._lock = threading.Lock()  # bytes counter, clock, eviction
        self._last_ns = 0
        self._flushing = False
        self._known: set[str] = set()  # entry paths seen on disk (a miss costs no system call)
        self._scanned = (0.0, None)     # (when, directory mtime) of the last listing
        self._bytes = self._scan_and_clean()
        _STORES.add(self)

    # ---- naming -------------------------------------------------------------------------
    def path_for(self, name: str, version: str) -> Path:
        return Path(self._path(name, version))

    def _path(self, name: str, version: str) -> str:
        prefix = self._prefixes.get(name)
        if prefix is None:
            safe = re.sub(r"[^A-Za-z0-9_]", "_", name)[:60]
            tag = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
            prefix = self._prefixes[name] = os.path.join(str(self.directory), f"{safe}-{tag}.")
        return prefix + hashlib.blake2b(f"{version}|{self._environment}".encode(), digest_size=12).hexdigest() + SUFFIX

    def _entries(self) -> list[os.DirEntry]:
        try:
            return [e for e in os.scandir(self.directory) if e.name.endswith(SUFFIX) and e.is_file()]
        except FileNotFoundError:
            return []

    def _scan_and_clean(self) -> int:
        """Total size of entries; removes temporary files left by killed writers."""
        total = 0
        known = set()
        mtime = os.stat(self.directory).st_mtime_ns
        for entry in os.scandir(self.directory):
            if entry.name.endswith(SUFFIX):
                known.add(entry.path)
                total += entry.stat().st_size
            elif is_abandoned_temp(entry.name):
                try:
                    os.unlink(entry.path)
                except OSError:
                    pass
        self._known = known
        self._scanned = (time.monotonic(), mtime)
        return total

    def _maybe_rescan(self) -> bool:
        """After a miss: has another process added entries since the last listing? (≤ once a second)"""
        when, mtime = self._scanned
        now = time.monotonic()
        if now - when < 1.0:
            return False
        try:
            current = os.stat(self.directory).st_mtime_ns
        except OSError:
            return False
        if current == mtime:
            self._scanned = (now, mtime)
            return False
        with self._lock:
            self._bytes = self._scan_and_clean()
        return True

    def _now_ns(self) -> int:
        """A strictly increasing clock for access times (file systems stamp coarsely)."""
        with self._lock:
            self._last_ns = max(time.time_ns(), self._last_ns + 1000)
            return self._last_ns

    # ---- reading ------------------------------------------------------------------------
    def load(self, name: str, version: str | None) -> tuple[Any, float] | None:
        """``(value, compute seconds)`` stored for exactly this version, or None."""
        if version is None:
            return None
        pending = self._pending.get((name, version))
        if pending is not None:
            self.hits += 1
            return pending
        path = self._path(name, version)
        if path not in self._known and not (self._maybe_rescan() and path in self._known):
            self.misses += 1
            return None
        try:
            with open(path, "rb", buffering=0) as fh:
                data = fh.readall()
        except FileNotFoundError:
            self._known.discard(path)
            self.misses += 1
            return None
        except OSError as exc:
            self._bad(name, path, f"cannot be read ({exc})", remove=False)
            return None
        try:
            kind, payload, seconds = read_entry(data)
        except BadEntry as exc:
            return self._bad(name, path, str(exc))
        try:
            value = decode(kind, payload, self._interned)
        except Exception as exc:
            return self._bad(name, path, f"cannot be decoded ({type(exc).__name__}: {exc})")
        try:
            ns = self._now_ns()
            os.utime(path, ns=(ns, ns))  # least-recently-used bookkeeping
        except OSError:
            pass
        self.hits += 1
        return value, seconds

    def _bad(self, name: str, path: str, problem: str, remove: bool = True) -> None:
        self.misses += 1
        key = str(path)
        if key not in self._reported:
            self._reported.add(key)
            self.corrupt += 1
            logger.warning("hamilton_nb persistent cache: the entry for `%s` (%s) %s; it was %s and `%s` "
                           "will be recomputed.", name, path, problem,
                           "removed" if remove else "ignored", name)
        if remove:
            try:
                self._known.discard(path)
                size = os.stat(path).st_size
                os.unlink(path)
                with self._lock:
                    self._bytes -= size
            except OSError:
                pass
        return None

    # ---- writing ------------------------------------------------------------------------
    def save(self, name: str, version: str | None, value: Any, seconds: float = 0.0) -> None:
        """Store ``value`` as ``name`` at ``version`` (in the background by default)."""
        if version is None:
            return
        if not self.background:
            self._write(name, version, value, seconds)
            return
        if self._queue is None:
            self._start_writer()
        self._pending[(name, version)] = (value, seconds)
        self._last_save = time.monotonic()
        self._queued += 1
        self._queue.put((name, version, value, seconds))

    def _start_writer(self) -> None:
        with self._lock:
            if self._queue is not None:
                return
            self._queue = queue.SimpleQueue()
            thread = threading.Thread(target=self._writer, args=(weakref.ref(self), self._queue),
                                      name="hamilton_nb-cache-writer", daemon=True)
            thread.start()

    @staticmethod
    def _writer(ref: "weakref.ref[PersistentCache]", jobs: queue.SimpleQueue) -> None:
        while True:
            job = jobs.get()
            store = None
            try:
                if job is None:
                    return
                store = ref()
                if store is None:
                    return
                name, version, value, seconds = job
                # Write-behind: while values keep coming (a run in progress) let the run have
                # the interpreter; write when it pauses (a slow node, or the run is over).
                while time.monotonic() - store._last_save < _QUIET and not store._flushing:
                    time.sleep(_QUIET / 2)
                try:
                    store._write(name, version, value, seconds)
                finally:
                    store._pending.pop((name, version), None)
                del value, job
            except Exception:  # never let the writer die; _write reports its own failures
                logger.debug("hamilton_nb persistent cache writer failed", exc_info=True)
            finally:
                if store is not None:
                    store._done += 1
                del store

    def _write(self, name: str, version: str, value: Any, seconds: float) -> None:
        """Write one entry; a value kept on a Dask cluster is written by the worker holding it."""
        path = self._path(name, version)
        remote = isinstance(value, Remote)
        try:
            if remote:
                written = value.apply(write_entry, path, seconds, self.max_bytes)
            else:
                written = write_entry(value, path, seconds, self.max_bytes)
        except Exception as exc:  # reported below, never raised: a value that can't be stored stays in memory
            written = exc
        self.written(name, version, written, value.type_name if remote else type(value).__name__)

    def written(self, name: str, version: str, written: "int | BaseException", type_name: str) -> None:
        """Record what :func:`write_entry` did for ``name`` (here, or on the worker that computed it):
        the size written, 0 when too large to keep, or the exception it raised (reported once)."""
        if isinstance(written, Unstorable):
            if name not in self._unstorable:
                self._unstorable.add(name)
                logger.warning("hamilton_nb persistent cache: cannot store `%s` (a %s): %s; it stays in "
                               "memory only.", name, type_name, written)
            return
        if isinstance(written, BaseException):
            if "write" not in self._reported:
                self._reported.add("write")
                logger.warning("hamilton_nb persistent cache: cannot write to %s (%s: %s); those values are "
                               "not stored on disk.", self.directory, type(written).__name__, written)
            return
        if not written:
            return  # larger than the whole cache: not worth evicting everything for
        self._known.add(self._path(name, version))
        with self._lock:
            self.writes += 1
            self._bytes += written  # an overwritten entry counts twice until the next eviction scan
            over = self.max_bytes is not None and self._bytes > self.max_bytes
        if over:
            self.evict()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued value is on disk; False if ``timeout`` ran out first."""
        if self._queue is None:
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        self._flushing = True
        try:
            while self._done < self._queued:
                if deadline is not None and time.monotonic() > deadline:
                    return False
                time.sleep(0.002)
        finally:
            self._flushing = False
        return True

    def close(self) -> None:
        """Flush and stop the writer thread."""
        self.flush()
        if self._queue is not None:
            self._queue.put(None)
            self._queue = None
        _STORES.discard(self)

    # ---- housekeeping -------------------------------------------------------------------
    def evict(self, max_bytes: int | None = None) -> int:
        """Remove least recently used entries until the directory fits ``max_bytes``."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        with self._lock:
            files = []
            for entry in self._entries():
                try:
                    stat = entry.stat()
                except FileNotFoundError:
                    continue
                files.append((stat.st_mtime_ns, stat.st_size, entry.path))
            total = sum(size for _, size, _ in files)
            removed = 0
            if limit is not None:
                for _, size, path in sorted(files):
                    if total <= limit:
                        break
                    try:
                        os.unlink(path)
                    except OSError:
                        continue
                    self._known.discard(path)
                    total -= size
                    removed += 1
            self._bytes = total
            self.evictions += removed
            return removed

    def discard(self, name: str, version: str | None) -> bool:
        """Remove the entry of ``name`` at ``version`` (a value found wrong), after pending writes;
        True if there was one."""
        if version is None:
            return False
        self.flush()
        path = self._path(name, version)
        self._known.discard(path)
        try:
            size = os.stat(path).st_size
            os.unlink(path)
        except OSError:
            return False
        with self._lock:
            self._bytes -= size
        return True

    def clear(self) -> int:
        """Remove every entry (waits for pending writes first); returns how many were removed."""
        self.flush()
        removed = 0
        with self._lock:
            for entry in self._entries():
                try:
                    os.unlink(entry.path)
                    removed += 1
                except OSError:
                    pass
            self._bytes = 0
            self._known.clear()
        self._interned.clear()
        return removed

    def info(self) -> CacheInfo:
        sizes = []
        for entry in self._entries():
            try:
                sizes.append(entry.stat().st_size)
            except FileNotFoundError:
                pass
        return CacheInfo(str(self.directory), len(sizes), sum(sizes), self.max_bytes, self.hits, self.misses,
                         self.writes, self._queued - self._done, self.evictions, self.corrupt)

    def __repr__(self) -> str:
        return f"<PersistentCache {self.directory}>"
