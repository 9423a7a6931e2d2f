"""The live session graph: named modules (cells) of functions, inputs, config, values; node
states and events to observers. Imports nothing of the notebook layer (see :mod:`.frontends`).

Its names are imported on first use, so ``import hamilton_nb`` stays cheap.
"""
from __future__ import annotations

_NAMES = {"Session": ".session", "get_session": ".session", "Event": ".events", "Registration": ".events"}
__all__ = list(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        import importlib

        return getattr(importlib.import_module(_NAMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
