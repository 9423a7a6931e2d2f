"""A call log the example functions write to with ``calls.hit()``.

``hit`` reaches the log through ``sys.modules`` (an installed module, versioned rather than
read), so recording a call never makes a caller's version change — reading a mutable global
directly would, by design.
"""
import sys

log: list[str] = []


def hit() -> None:
    """Record that the calling function ran."""
    sys.modules[__name__].log.append(sys._getframe(1).f_code.co_name)
