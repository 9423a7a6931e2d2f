"""One observer of each kind per IPython shell (live outputs, the front-end link): made and
installed on first use, following every cell, uninstalled when the extension is unloaded."""
from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


class PerShell(Generic[T]):
    """``make(shell, get_session)`` builds one; it has ``shell``, ``install()`` and ``uninstall()``."""

    def __init__(self, make: Callable[[Any, Callable[[], Any]], T]) -> None:
        self._make = make
        self._found: dict[int, T] = {}

    def get(self, shell: Any) -> T:
        """The one of ``shell``, installed on first use."""
        found = self._found.get(id(shell))
        if found is None or found.shell is not shell:
            from ..session import get_session

            found = self._found[id(shell)] = self._make(shell, get_session)
            found.install()
        return found

    def peek(self, shell: Any) -> T | None:
        """The one of ``shell`` if it exists, without making it."""
        found = self._found.get(id(shell))
        return found if found is not None and found.shell is shell else None

    def remove(self, shell: Any) -> None:
        found = self._found.pop(id(shell), None)
        if found is not None:
            found.uninstall()


def follow_cells(observer: Any) -> None:
    """Have ``observer.pre_run_cell`` and ``observer.post_run_cell`` called around every cell."""
    observer.shell.events.register("pre_run_cell", observer.pre_run_cell)
    observer.shell.events.register("post_run_cell", observer.post_run_cell)


def unfollow_cells(observer: Any) -> None:
    for event, callback in (("pre_run_cell", observer.pre_run_cell), ("post_run_cell", observer.post_run_cell)):
        try:
            observer.shell.events.unregister(event, callback)
        except ValueError:  # never followed, or already let go
            pass
