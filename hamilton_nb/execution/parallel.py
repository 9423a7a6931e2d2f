"""How the nodes of a parallel block run (see :mod:`hamilton_nb.graph.parallel`).

``P`` is computed as the list of its items, each branch node as the list of its per-item values
(:class:`~.branches.Branches`, which also carries one key per item), ``C`` with that list. Every item is a
unit of caching: a branch node's value for one item is keyed by the node's version with the
block left out (its code, what it reaches, its ordinary inputs) and the keys of the per-item
values it reads, which start from the item's content token. Changing one item recomputes that
item's branch; editing a branch function recomputes every branch. The threads executor runs
the items to compute as tasks of their own (:meth:`BranchCall.items`); on Dask each item is a
task of its own too, with the same keys (:mod:`.dask_branches`).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..graph.value_tokens import value_token
from . import sharing
from .branches import Branches, item_key, run_item


class ExpandCall:
    """``P``: the generator (or iterable) it returns, as the list of its items."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, **kwargs: Any) -> Branches:
        items = list(self.fn(**kwargs))
        return Branches(items, (f"item:{value_token(item)}" for item in items))


class BranchCall:
    """A branch node: its function called once per item, reusing the values of unchanged items.

    ``static`` gives the node's version with the block left out (read when the call starts);
    ``store`` keeps, per node, the item values of the last call (bounded by the number of items).
    Called, it computes the items one after another; an executor that runs them elsewhere (the
    threads executor) takes the :meth:`items` to compute and hands their values to ``finish``."""

    def __init__(self, name: str, fn: Callable, fans: tuple, block: str,
                 static: Callable[[], str] | None, store: dict | None) -> None:
        self.name, self.fn, self.fans, self.block = name, fn, fans, block
        self.static, self.store = static, store
        self.__wrapped__ = fn

    def __call__(self, **kwargs: Any) -> Branches:
        work = self.items(kwargs)
        return work.finish({i: work.compute(i) for i in work.todo})

    def items(self, kwargs: dict) -> "ItemWork":
        """This call's items: which to compute (unchanged ones reuse their last value)."""
        kwargs = dict(kwargs)
        per_item = {param: kwargs.pop(param) for param in self.fans}
        sizes = {len(values) for values in per_item.values()}
        count = sizes.pop() if sizes else 0
        static = self.static() if self.static is not None else None
        keep = self.store is not None and static is not None and not static.startswith("untracked:")
        known = self.store.get(self.name, {}) if self.store is not None and static is not None else {}
        keys = [item_key(self.name, static, self.fans, per_item, i) for i in range(count)]
        return ItemWork(self, kwargs, per_item, keys, known, keep)

    def __reduce__(self):
        """Shipped to a Dask worker: each item its own task there, reusing the items of the node's
        previous value (:mod:`.dask_branches`); the version is read here, where it is known."""
        from .dask_branches import RemoteBranchCall

        static = self.static() if self.static is not None else None
        return RemoteBranchCall, (self.name, self.fn, self.fans, self.block, static)


class ItemWork:
    """The items of one branch node call: ``todo`` lists the indexes to compute (each one with
    :meth:`compute`, on any thread); :meth:`finish` assembles the node's value on the caller's."""

    def __init__(self, call: BranchCall, fixed: dict, per_item: dict, keys: list[str], known: dict,
                 keep: bool) -> None:
        self.call, self.fixed, self.per_item, self.keys, self.known, self.keep = call, fixed, per_item, keys, known, keep
        self.todo = [i for i, key in enumerate(keys) if key not in known]

    def compute(self, i: int) -> Any:
        call = self.call
        return run_item(call.fn, call.block, i, self.fixed, {p: self.per_item[p][i] for p in call.fans})

    def finish(self, computed: dict[int, Any]) -> Branches:
        values = [computed[i] if i in computed else self.known[key] for i, key in enumerate(self.keys)]
        if self.keep:
            self.call.store[self.call.name] = dict(zip(self.keys, values))
        return Branches(values, self.keys)


class CollectCall:
    """``C``: its ``Collect[...]`` parameter receives the branch values as a plain list."""

    def __init__(self, fn: Callable, fans: tuple) -> None:
        self.fn, self.fans = fn, fans
        self.__wrapped__ = fn

    def __call__(self, **kwargs: Any) -> Any:
        for param in self.fans:
            kwargs[param] = [sharing.handout(value) for value in kwargs[param]]
        return self.fn(**kwargs)


class Blocks:
    """What the block nodes of one engine share: versions with the block left out, item values."""

    def __init__(self, versions: Any) -> None:
        self.versions = versions
        self.store: dict[str, dict[str, Any]] = {}

    def wrap(self, node: Any, role: Any) -> Callable:
        if role.kind == "expand":
            return ExpandCall(node.callable)
        if role.kind == "collect":
            return CollectCall(node.callable, role.fans)
        name, fans, versions = node.name, role.fans, self.versions
        static = (lambda: versions.version_without(name, fans)) if versions is not None else None
        return BranchCall(name, node.callable, fans, role.block, static, self.store if versions is not None else None)

    def forget(self, keep: Iterable[str]) -> None:
        """Drop the item values of nodes that are no longer branch nodes."""
        for name in [n for n in self.store if n not in set(keep)]:
            del self.store[name]


def refuse_branch_outputs(graph: Any, roles: dict, outputs: Iterable[str]) -> None:
    """A branch node has one value per item, not one value: it cannot be an output (nor can it in
    Apache Hamilton); its Collect node gives them all."""
    from ..errors import InputError
    from ..graph.build import where

    for name in outputs:
        role = roles.get(name)
        if role is not None and role.kind == "branch":
            collectors = sorted(n for n, r in roles.items() if r.kind == "collect" and r.block == role.block)
            raise InputError(
                f"`{name}` ({where(graph.nodes[name].module)}) runs once per item of the parallel block of "
                f"`{role.block}`, so it has no single value to return.\n"
                f"Fix: ask for {', '.join(f'`{c}`' for c in collectors) or 'a node with a Collect[...] parameter'} "
                f"(its Collect[...] parameter receives every item's `{name}`), or add "
                f"`def all_{name}({name}: Collect[...]) -> list: return list({name})` and ask for that.")
