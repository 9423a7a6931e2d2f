"""A call log the example functions write to with ``calls.hit()``.

Functions read it through this module object, which never makes their version change
(reading a mutable global directly would, by design).
"""
import sys

log: list[str] = []


def hit() -> None:
    """Record that the calling function ran."""
    log.append(sys._getframe(1).f_code.co_name)
