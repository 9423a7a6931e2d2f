"""The line ``%hamilton_inputs`` prints: what it bound, and what that made stale."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

SHOWN = 8  # names listed before "… and N more"


def _what(value: Any) -> str:
    kind = type(value).__name__
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and shape:
        return f"{kind}, {shape[0]} rows" + (f" × {shape[1]} columns" if len(shape) > 1 else "")
    return kind


def _listed(items: Sequence[str]) -> str:
    more = f" … and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def bound_line(values: Mapping[str, Any], stale: Sequence[str]) -> str:
    """``inputs bound: spend (Series, 6 rows), signups (Series, 6 rows); now stale: score``"""
    line = "inputs bound: " + _listed([f"{name} ({_what(value)})" for name, value in values.items()])
    return line + (f"; now stale: {_listed(list(stale))}" if stale else "")
