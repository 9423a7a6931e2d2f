"""User code put on library classes: pandas and polars accessors (``spend.fx.scaled()``) and
methods patched onto them (``pd.Series.double = ...``).

Such code runs through an attribute of an argument, never through a name the node's code
loads as a global, so reading globals can't see it. The index below lists, by attribute name,
the user code found on the classes data flows through (Series, DataFrame, Index and their
bases; polars' DataFrame, Series, LazyFrame and Expr). A function whose code uses one of these
names reads that code, by content, as part of its version.

Watching is cheap: one identity comparison per class attribute per refresh, and a class is
re-read only when one of its attributes was added, removed or rebound.
"""
from __future__ import annotations

import operator
import sys
import types
from typing import Any

from .reach import is_user_class, is_user_function

_WATCHED = {
    "pandas": ("Series", "DataFrame", "Index", "DatetimeIndex", "MultiIndex", "CategoricalIndex"),
    "polars": ("DataFrame", "Series", "LazyFrame", "Expr"),
}


def _is_user_code(value: Any) -> bool:
    if isinstance(value, types.FunctionType):
        return is_user_function(value)
    if isinstance(value, type):
        return is_user_class(value)
    if isinstance(value, (staticmethod, classmethod)):
        return _is_user_code(value.__func__)
    if isinstance(value, property):
        return any(_is_user_code(f) for f in (value.fget, value.fset, value.fdel) if f is not None)
    attributes = getattr(value, "__dict__", None)  # an accessor descriptor holding a user class
    return isinstance(attributes, dict) and any(
        isinstance(v, (type, types.FunctionType)) and _is_user_code(v) for v in attributes.values())


class ExtensionIndex:
    """Attribute name -> the user code library classes serve under it."""

    def __init__(self) -> None:
        self._seen: dict[type, tuple] = {}  # class -> its attribute values when last read
        self._found: dict[type, dict[str, Any]] = {}  # class -> {name: user code}
        self.names: frozenset[str] = frozenset()
        self._watched: tuple[tuple, list[type]] = ((), [])

    def _classes(self) -> list[type]:
        """The watched classes and their library bases (worked out again only when pandas or
        polars is first imported)."""
        key = tuple(id(sys.modules.get(name)) for name in _WATCHED)
        if self._watched[0] != key:
            self._watched = (key, self._find_classes())
        return self._watched[1]

    def _find_classes(self) -> list[type]:
        classes: dict[type, None] = {}
        for module_name, names in _WATCHED.items():
            module = sys.modules.get(module_name)
            if module is None:
                continue
            for name in names:
                cls = getattr(module, name, None)
                if isinstance(cls, type):
                    classes.update(dict.fromkeys(k for k in cls.__mro__ if k is not object))
        return list(classes)

    def refresh(self) -> frozenset[str]:
        """Re-read the classes whose attributes changed; returns the names whose code changed."""
        changed: set[str] = set()
        for cls in self._classes():
            values = tuple(cls.__dict__.values())
            seen = self._seen.get(cls)
            if seen is not None and len(seen) == len(values) and all(map(operator.is_, seen, values)):
                continue
            self._seen[cls] = values
            found = {name: value for name, value in cls.__dict__.items() if _is_user_code(value)}
            before = self._found.get(cls, {})
            changed.update(n for n in found.keys() | before.keys() if found.get(n) is not before.get(n))
            if found:
                self._found[cls] = found
            else:
                self._found.pop(cls, None)
        if changed:
            self.names = frozenset(n for found in self._found.values() for n in found)
        return frozenset(changed)

    def objects(self, name: str) -> list[Any]:
        """The user code served under ``name``, class by class (in a stable order)."""
        return [found[name] for cls, found in sorted(self._found.items(), key=lambda kv: kv[0].__qualname__)
                if name in found]


EXTENSIONS = ExtensionIndex()
