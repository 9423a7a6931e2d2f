"""What the Apache Hamilton comparison tests share: its Driver when installed, and the marks
that skip them (with how to install it) when not."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("HAMILTON_TELEMETRY_ENABLED", "false")  # never phone home from tests
try:
    from hamilton import base as hamilton_base
    from hamilton import driver as hamilton_driver
except ImportError:  # pragma: no cover - depends on the environment
    hamilton_base = hamilton_driver = None

HAMILTON_IMPORT = "from hamilton.function_modifiers import"
OUR_IMPORT = "from hamilton_nb.function_modifiers import"


def marks(extra: str) -> list:
    """The ``pytestmark`` of a module comparing with Apache Hamilton (installed by ``extra``)."""
    return [
        pytest.mark.skipif(hamilton_driver is None,
                           reason=f"Apache Hamilton is not installed (pip install -e '.[{extra}]')"),
        pytest.mark.filterwarnings("ignore::DeprecationWarning"),
        pytest.mark.filterwarnings("ignore::FutureWarning"),
    ]
