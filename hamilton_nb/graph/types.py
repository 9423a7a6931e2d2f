"""Type hints as the contract between nodes: can a produced type feed a parameter?"""
from __future__ import annotations

import collections.abc
import numbers
import types
import typing
from typing import Any

from .parallel import element

_NUMERIC_TOWER = {float: (int,), complex: (int, float)}
_UNION_TYPES = (typing.Union, types.UnionType)
# numpy scalars are not Python ints/floats; check numbers by their ABCs at run time.
_RUNTIME_NUMBERS = {int: numbers.Integral, float: numbers.Real, complex: numbers.Complex}


def _is_union(tp) -> bool:
    return typing.get_origin(tp) in _UNION_TYPES


def _origin(tp):
    return typing.get_origin(tp) or tp


def _normalized(tp):
    """``Annotated[T, ...]`` → ``T`` (metadata does not change what a value is); ``None`` → NoneType;
    ``Parallelizable[T]`` / ``Collect[T]`` → ``T`` (what one branch of a parallel block sees)."""
    if tp is None:
        return type(None)
    tp = element(tp)
    return typing.get_args(tp)[0] if typing.get_origin(tp) is typing.Annotated else tp


def describe(tp) -> str:
    """A short, familiar spelling of a type (``pd.Series`` rather than the full path)."""
    if tp is Any:
        return "Any"
    if isinstance(tp, type) and not typing.get_args(tp):
        module = tp.__module__
        if module.startswith("pandas"):
            return f"pd.{tp.__qualname__}"
        if module.startswith("numpy"):
            return f"np.{tp.__qualname__}"
        if module == "builtins":
            return tp.__qualname__
        return f"{module}.{tp.__qualname__}"
    return repr(tp).replace("typing.", "")


def is_compatible(produced, expected) -> bool:
    """True when a value annotated ``produced`` may be passed where ``expected`` is annotated.

    Subclasses, the numeric tower (int → float), unions on either side, ``Any`` and
    parametrised generics (compared by their origin, then their arguments) are accepted.
    """
    produced, expected = _normalized(produced), _normalized(expected)
    if produced is expected or expected is Any or produced is Any:
        return True
    if _is_union(produced):  # split the producer first: each of its options must fit
        return all(is_compatible(option, expected) for option in typing.get_args(produced))
    if _is_union(expected):
        return any(is_compatible(produced, option) for option in typing.get_args(expected))
    if isinstance(expected, typing.TypeVar) or isinstance(produced, typing.TypeVar):
        return True
    p_origin, e_origin = _origin(produced), _origin(expected)
    if not (isinstance(p_origin, type) and isinstance(e_origin, type)):
        return produced == expected
    if not (issubclass(p_origin, e_origin)
            or any(issubclass(p_origin, t) for t in _NUMERIC_TOWER.get(e_origin, ()))):
        return False
    p_args, e_args = typing.get_args(produced), typing.get_args(expected)
    if not p_args or not e_args or len(p_args) != len(e_args):
        return True
    return all(is_compatible(p, e) for p, e in zip(p_args, e_args))


def runtime_check_type(tp):
    """The class (or tuple of classes) to ``isinstance``-check a value against, or None."""
    if tp is Any or tp is None or isinstance(tp, typing.TypeVar):
        return None
    if _is_union(tp):
        parts = [runtime_check_type(option) for option in typing.get_args(tp)]
        if any(part is None for part in parts):
            return None
        flat: list[type] = []
        for part in parts:
            flat.extend(part if isinstance(part, tuple) else (part,))
        return tuple(flat)
    origin = _origin(tp)
    if origin is type(None):
        return type(None)
    if not isinstance(origin, type):
        return None
    if origin is collections.abc.Callable:
        return None
    return _RUNTIME_NUMBERS.get(origin, origin)
