"""A call log the example functions write to with ``calls.hit()``.

``hit`` writes through a logger, a side channel that can't change a value, so recording a
call never makes a caller's version change — reading a mutable global directly would, by
design.
"""
import logging
import sys

log: list[str] = []


class _Recorder(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.append(record.getMessage())


_channel = logging.getLogger("hamilton_nb.example_calls")
_channel.propagate = False
_channel.setLevel(logging.INFO)
_channel.addHandler(_Recorder())


def hit() -> None:
    """Record that the calling function ran."""
    _channel.info(sys._getframe(1).f_code.co_name)
