"""The value of a block node: one value per item, each with its key (shared by the local and Dask paths)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..graph.fingerprint import digest
from . import sharing


class Branches(list):
    """The per-item values of a block node, in item order, with the key of each."""

    def __init__(self, values: Iterable[Any] = (), keys: Iterable[str] = ()) -> None:
        super().__init__(values)
        self.keys = list(keys)


class BranchFailed(Exception):
    """A branch node raised for one item; the original exception is its cause."""


def item_key(name: str, static: str | None, fans: tuple, per_item: dict, i: int) -> str:
    """The key of item ``i`` of branch node ``name``: its version with the block left out and the
    keys of the per-item values it reads (which start from the item's content token)."""
    return digest(name, static or "", *(f"{p}={per_item[p].keys[i]}" for p in fans))


def run_item(fn: Callable, block: str, index: int, fixed: dict, per_item: dict) -> Any:
    """Item ``index`` of a branch node: ``fn`` on the node's ordinary arguments and that item's
    values (handed out so the item stays as it was)."""
    args = {**fixed, **{param: sharing.handout(value) for param, value in per_item.items()}}
    try:
        return fn(**args)
    except Exception as exc:
        raise BranchFailed(f"for item {index} of the parallel block of `{block}`: "
                           f"{type(exc).__name__}: {exc}") from exc
