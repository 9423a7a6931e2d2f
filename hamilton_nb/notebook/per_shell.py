"""One observer of each kind per IPython shell (live outputs, the front-end link): made and
installed on first use, uninstalled when the extension is unloaded."""
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
