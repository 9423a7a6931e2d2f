"""A branch node of a parallel block on Dask: one task per item, reusing unchanged items.

The node's own task (see :mod:`.dask_tasks`) receives the per-item values it reads and its
previous value (a :class:`~.branches.Branches` carrying one key per item). Items whose key is
unchanged take their previous value; every other item is its own Dask task, submitted from the
node's task (which leaves the worker's thread pool meanwhile), so a block of many items spreads
over the workers and changing one item recomputes one. The keys are the ones the local path
computes (:func:`~.branches.item_key`), so the values are the same.
"""
from __future__ import annotations

import uuid
from typing import Any, Callable

from .cache import nbytes_of
from .branches import Branches, item_key, run_item

_INLINE_BYTES = 64 * 2 ** 10  # items below this travel inside their task


class RemoteBranchCall:
    """What a branch node's Dask task calls: ``static`` is the node's version with the block left
    out, read on the client when the task was made (None: nothing is reused)."""

    def __init__(self, name: str, fn: Callable, fans: tuple, block: str, static: str | None,
                 previous: Any = None) -> None:
        self.name, self.fn, self.fans, self.block, self.static = name, fn, fans, block, static
        self.previous = previous
        self.__wrapped__ = fn

    def reusing(self, previous: Any) -> "RemoteBranchCall":
        """The same call, reusing the items of the node's ``previous`` value."""
        return RemoteBranchCall(self.name, self.fn, self.fans, self.block, self.static, previous)

    def __call__(self, **kwargs: Any) -> Branches:
        per_item = {param: kwargs.pop(param) for param in self.fans}
        sizes = {len(values) for values in per_item.values()}
        count = sizes.pop() if sizes else 0
        reuse = self.static is not None and not self.static.startswith("untracked:")
        previous = self.previous
        known = dict(zip(previous.keys, previous)) if reuse and isinstance(previous, Branches) else {}
        keys = [item_key(self.name, self.static, self.fans, per_item, i) for i in range(count)]
        missing = [i for i, key in enumerate(keys) if key not in known]
        computed = dict(zip(missing, self._compute(missing, kwargs, per_item)))
        values = [computed[i] if i in computed else known[key] for i, key in enumerate(keys)]
        return Branches(values, keys)

    def _compute(self, missing: list[int], fixed: dict, per_item: dict) -> list:
        items = [{param: per_item[param][i] for param in self.fans} for i in missing]
        client = _worker_client() if len(missing) > 1 else None
        if client is None:
            return [run_item(self.fn, self.block, i, fixed, item) for i, item in zip(missing, items)]
        with client as c:  # leaves the thread pool while the item tasks run (no deadlock)
            fn, shared = c.scatter([self.fn, fixed], hash=False, broadcast=True)  # sent once, not per item
            big = [i for i, item in enumerate(items) if nbytes_of(item) >= _INLINE_BYTES]
            placed = list(items)  # small items travel inside their task; big ones are spread first
            for i, future in zip(big, c.scatter([items[i] for i in big], hash=False) if big else ()):
                placed[i] = future
            run, n = uuid.uuid4().hex, len(missing)
            futures = c.map(run_item, [fn] * n, [self.block] * n, missing, [shared] * n, placed, pure=False,
                            key=[f"{self.name}-item-{i}-{run}" for i in missing])
            return c.gather(futures)


def _worker_client() -> Any:
    """``distributed.worker_client()`` when running in a Dask worker, else None (computed inline)."""
    try:
        from distributed import get_worker, worker_client

        get_worker()
    except (ImportError, ValueError):
        return None
    return worker_client()
