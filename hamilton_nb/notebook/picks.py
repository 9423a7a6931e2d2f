"""A node picked in a graph widget, told to whoever follows picks (the front-end link scrolls the
notebook to its cell). A leaf module, so the widget needs no import of the link."""
from __future__ import annotations

import logging
from typing import Callable

logger = logging.getLogger("hamilton_nb")

followers: list[Callable[[str], None]] = []


def picked(name: str | None) -> None:
    """Tell every follower; a failing one never breaks the widget."""
    for follower in list(followers):
        try:
            if name:
                follower(name)
        except Exception:
            logger.exception("hamilton_nb: a follower of picked nodes failed")
