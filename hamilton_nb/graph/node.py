"""A node: one named output, how to compute it, and what it needs."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping


@dataclasses.dataclass(frozen=True)
class Dependency:
    """One input of a node: the upstream node it comes from and the type it must have."""

    node: str
    type: Any
    required: bool = True


@dataclasses.dataclass(frozen=True, eq=False)
class Node:
    """A value object: ``callable(**{dep.node: value})`` computes ``name``.

    ``function`` is the user's function it came from (for source, docs and
    fingerprints); ``fingerprint`` covers that function's code plus whatever a
    modifier added (decorator arguments, the selected implementation).
    """

    name: str
    callable: Callable[..., Any]
    type: Any
    dependencies: Mapping[str, Dependency]
    doc: str = ""
    tags: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    module: str = ""
    function: Callable | None = None
    fingerprint: str = ""
    is_external_input: bool = False
    # Data-quality checks (``@check_output``) the engine runs on each freshly computed value.
    # Each is a callable ``check(value) -> (passed: bool, message: str)`` with attributes
    # ``importance`` ("warn" | "fail") and ``description`` (e.g. "range=(0, 1)").
    checks: tuple = ()

    def __repr__(self) -> str:
        return f"<Node {self.name} from {self.module or 'inputs'}>"


def external_input(name: str, type_: Any, consumers: list[str]) -> Node:
    """A node whose value must be supplied by the caller (config or inputs)."""
    return Node(name=name, callable=_never_called, type=type_, dependencies={},
                doc=f"External input, used by {', '.join(sorted(consumers))}.",
                is_external_input=True)


def _never_called(**_: Any) -> Any:  # pragma: no cover - inputs are never computed
    raise RuntimeError("external inputs are supplied, not computed")
