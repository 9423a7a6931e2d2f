"""Ctrl-C that is never lost while nodes run elsewhere (threads, a Dask cluster).

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be when the signal
is handled. If that is inside a finaliser or a weakref callback (garbage collection, a
thread pool's clean-up), the exception is printed as "ignored" and the press is gone: the
execute would wait for every running node instead of stopping. While a parallel executor
waits, :class:`CtrlC` also *remembers* the press, and the wait loop asks it after every
poll, so a swallowed exception still stops the run.
"""
from __future__ import annotations

import signal
import threading


class CtrlC:
    """``with CtrlC() as ctrl_c: ... ctrl_c.check()`` (or ``start()``/``stop()``): ``check`` raises
    KeyboardInterrupt once Ctrl-C was pressed."""

    def __init__(self) -> None:
        self.pressed = False
        self._previous = None

    def start(self) -> "CtrlC":
        # Only where Python's own handler is active (not when an application installed its own).
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def stop(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def __enter__(self) -> "CtrlC":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handle(self, signum, frame) -> None:
        self.pressed = True
        raise KeyboardInterrupt

    def check(self) -> None:
        """Raise KeyboardInterrupt if Ctrl-C was pressed (even if its first exception was swallowed)."""
        if self.pressed:
            raise KeyboardInterrupt
