"""Values that stay where they were computed (a Dask cluster), and the one way to bring them here.

An executor that keeps values elsewhere stores a :class:`Remote` in the cache instead of the
value: a handle with the value's size and type. The engine passes handles between nodes that run
in the same place, and brings a value here (:func:`fetch_into`) only where it is used here: the
outputs a user asked for, a node run by a local executor, ``%hamilton_show``. Anything that only
needs a small answer about a value (its checks, a comparison, a preview) is computed where the
value is, with :meth:`Remote.apply`.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from . import sharing
from .sizes import format_size


class Remote:
    """A handle on a value kept elsewhere; subclasses say how to reach it."""

    __slots__ = ("nbytes", "type_name")

    def __init__(self, nbytes: int, type_name: str) -> None:
        self.nbytes, self.type_name = nbytes, type_name

    def alive(self) -> bool:
        """Can the value still be reached (its cluster is up and holds it)?"""
        raise NotImplementedError

    def apply(self, function: Callable, *args: Any) -> Any:
        """``function(value, *args)`` computed where the value is; only the answer travels."""
        raise NotImplementedError

    @classmethod
    def fetch_many(cls, handles: list["Remote"]) -> list[Any]:
        """The values of ``handles`` (all of this class), brought here in one go."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.type_name} of {format_size(self.nbytes)}, kept on the cluster>"


def is_remote(value: Any) -> bool:
    return isinstance(value, Remote)


def fetch(value: Any) -> Any:
    """``value`` itself, or the value a handle stands for (sealed read-only, like cached values)."""
    if not isinstance(value, Remote):
        return value
    local = type(value).fetch_many([value])[0]
    sharing.seal(local)
    return local


def fetch_into(values: dict[str, Any], names: Iterable[str]) -> None:
    """Replace the handles among ``values[names]`` by their values, one transfer per kind of handle."""
    handles: dict[type, list[str]] = {}
    for name in names:
        if isinstance(values.get(name), Remote):
            handles.setdefault(type(values[name]), []).append(name)
    for kind, found in handles.items():
        for name, local in zip(found, kind.fetch_many([values[name] for name in found])):
            sharing.seal(local)
            values[name] = local
