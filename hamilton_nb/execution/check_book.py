"""What checks said about the cached values: errors, warnings, in-place changes, and which
values must have their (edited) checks run again."""
from __future__ import annotations

import dataclasses
from typing import Any

from . import inplace


@dataclasses.dataclass
class CheckBook:
    strict_types: bool = False  # True: a value that contradicts its return type hint is an error
    errors: dict[str, tuple[str | None, str]] = dataclasses.field(default_factory=dict)  # node -> (version, message)
    warnings: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # node -> failed "warn" checks
    changed_in_place: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)  # node -> {input: note}
    checked: dict[str, str] = dataclasses.field(default_factory=dict)  # node -> checks_token its value passed
    recheck: set[str] = dataclasses.field(default_factory=set)  # checks edited since the value was checked
    what_if: frozenset[str] = frozenset()  # nodes this execute computes from overrides
    read_changed: dict[str, str] = dataclasses.field(default_factory=dict)  # node -> note: it read a changed value
    read_changed_key: tuple = ()  # (request, versions) the read_changed notes were made for

    def forget(self, name: str) -> list[str]:
        """Drop what is known of a node that left the graph; returns the nodes whose notes changed."""
        self.errors.pop(name, None)
        self.warnings.pop(name, None)
        return inplace.forget(self.warnings, self.changed_in_place, name)

    def clear_values(self) -> None:
        """Every cached value is gone: so are their errors and check marks."""
        self.errors.clear()
        self.checked.clear()
        self.recheck.clear()


def verdict_of(value: Any, check: Any, quality_checks: tuple) -> tuple[str | None, list[tuple[bool, str]]]:
    """What a value's checks say, computed where the value is: (the value's type name when it
    contradicts the runtime type ``check``, else None; (passed, message) of each quality check)."""
    wrong_type = type(value).__name__ if check is not None and not isinstance(value, check) else None
    return wrong_type, [quality_check(value) for quality_check in quality_checks]
