"""Optional dependencies (Dask, polars): imported when used, or an error naming the extra to install."""
from __future__ import annotations

import importlib
from typing import Any

from ..errors import MissingDependency


def require(module: str, extra: str, what: str) -> Any:
    """Import an optional dependency, or explain which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(f"{what} needs `{module}`, which is not installed.\n"
                                f"Fix: pip install 'hamilton_nb[{extra}]'") from None
