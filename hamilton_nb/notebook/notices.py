"""What the engine notes, said the notebook's way: warnings as a calm line, changes with their cell.

A ``warn`` data-quality check or a value that contradicts its type hint is logged as a warning
(the ``hamilton_nb`` logger), which a script prints to stderr. In a notebook stderr is drawn as an
error box, yet nothing failed: the value is computed and kept. So while the extension is loaded,
warnings are printed to stdout as one "⚠" line; errors still go to stderr. Logging is otherwise
untouched (records still reach the handlers a user or a test configured).
"""
from __future__ import annotations

import logging
import sys

from ..execution.diff.log import locate_changes_with

logger = logging.getLogger("hamilton_nb")


class WarningLine(logging.Handler):
    """Warnings as ``⚠ message`` on stdout; errors as logging would print them without a handler."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            if not logging.getLogger().handlers:  # what Python does for a logger without handlers
                logging.lastResort.handle(record)
            return
        try:
            print(f"⚠ {record.getMessage()}", file=sys.stdout, flush=True)
        except Exception:  # a bad message must not break the execute that logged it
            self.handleError(record)


def install(shell) -> None:
    """Warnings as a line; changes noted with the number of the cell they happen in."""
    remove(shell)
    logger.addHandler(WarningLine())
    magics = shell.magics_manager.registry["HamiltonMagics"]
    locate_changes_with(lambda: f"in cell [{magics._cell_number()}]")


def remove(shell) -> None:
    for handler in [h for h in logger.handlers if isinstance(h, WarningLine)]:
        logger.removeHandler(handler)
    locate_changes_with(None)
