"""Fingerprints: what a node's value can depend on, as short stable strings.

A function's *code fingerprint* hashes its bytecode and constants — so docstrings,
comments, formatting and type-hint spelling, which cannot change a value, do not
count — plus its defaults and closure values. The globals it reads (constants,
helper functions, data) are fingerprinted separately by :class:`GlobalsProbe`,
because they can change after registration, in any notebook cell.
"""
from __future__ import annotations

import hashlib
import pickle
import sys
import types
from typing import Any, Callable

_MISSING = object()
_SIMPLE = (type(None), bool, int, float, complex, str, bytes)
_HAS_DOCSTRING_FLAG = getattr(__import__("inspect"), "CO_HAS_DOCSTRING", 0)
_code_cache: dict[types.CodeType, str] = {}


def digest(*parts: str) -> str:
    """A short, stable hash of strings (stable across processes, unlike ``hash``)."""
    return hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _code_parts(code: types.CodeType, is_function_body: bool) -> list[str]:
    consts = code.co_consts
    if is_function_body and (sys.version_info < (3, 14) or code.co_flags & _HAS_DOCSTRING_FLAG):
        consts = consts[1:]  # slot 0 holds the docstring (or None): not part of the value
    parts = [code.co_code.hex(), repr(code.co_names), repr(code.co_varnames),
             repr(code.co_freevars), repr(code.co_cellvars)]
    for const in consts:
        if isinstance(const, types.CodeType):
            parts.extend(_code_parts(const, is_function_body=const.co_flags & 0x02 == 0x02
                                     and const.co_name not in ("<lambda>", "<genexpr>", "<listcomp>",
                                                               "<dictcomp>", "<setcomp>")))
        else:
            parts.append(f"{type(const).__name__}:{const!r}")
    return parts


def code_digest(code: types.CodeType) -> str:
    """Fingerprint of a code object alone (memoised: code objects are immutable)."""
    found = _code_cache.get(code)
    if found is None:
        found = _code_cache[code] = digest(*_code_parts(code, is_function_body=True))
    return found


def function_fingerprint(fn: Callable) -> str:
    """Code + defaults + closure values of ``fn`` (not the globals it reads)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return digest("callable", repr(fn))
    parts = [code_digest(code), value_token(getattr(fn, "__defaults__", None)),
             value_token(getattr(fn, "__kwdefaults__", None))]
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            parts.append(value_token(cell.cell_contents))
        except ValueError:  # empty cell
            parts.append("<empty>")
    return digest(*parts)


def global_names(code: types.CodeType) -> tuple[str, ...]:
    """Every name the code (and nested code) may look up globally; a safe superset."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.update(global_names(const))
    return tuple(sorted(names))


def data_token(obj: Any) -> str:
    """Content hash of data values (pandas, numpy, polars), falling back to pickle."""
    module = type(obj).__module__
    try:
        if module.startswith("pandas"):
            import pandas as pd

            hashed = pd.util.hash_pandas_object(obj, index=True).to_numpy()
            shape = [type(obj).__name__, repr(getattr(obj, "dtypes", getattr(obj, "dtype", None))),
                     repr(getattr(obj, "name", None)), repr(list(getattr(obj, "columns", [])))]
            return digest(*shape, hashlib.blake2b(hashed.tobytes(), digest_size=12).hexdigest())
        if module.startswith("numpy") and hasattr(obj, "tobytes"):
            return digest("ndarray", str(obj.dtype), repr(obj.shape),
                          hashlib.blake2b(obj.tobytes(), digest_size=12).hexdigest())
        if module.startswith("polars") and hasattr(obj, "hash"):
            hashed = obj.hash().to_numpy() if hasattr(obj, "name") else obj.hash_rows().to_numpy()
            return digest("polars", repr(getattr(obj, "schema", getattr(obj, "dtype", ""))),
                          hashlib.blake2b(hashed.tobytes(), digest_size=12).hexdigest())
        return digest("pickle", hashlib.blake2b(pickle.dumps(obj, protocol=5), digest_size=12).hexdigest())
    except Exception:  # unhashable and unpicklable: identity is the best we can do
        return f"id:{type(obj).__qualname__}:{id(obj)}"


def value_token(obj: Any, _seen: frozenset = frozenset()) -> str:
    """A token that changes when ``obj`` changes in a way that can change a result."""
    if isinstance(obj, _SIMPLE):
        return f"{type(obj).__name__}:{obj!r}"
    if isinstance(obj, (tuple, list, set, frozenset)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        return digest(type(obj).__name__, *(value_token(item, _seen) for item in items))
    if isinstance(obj, dict):
        return digest("dict", *(f"{k!r}={value_token(v, _seen)}" for k, v in obj.items()))
    if isinstance(obj, types.FunctionType):
        if id(obj) in _seen:
            return f"recursive:{obj.__qualname__}"
        seen = _seen | {id(obj)}
        return digest("function", function_fingerprint(obj),
                      GlobalsProbe(obj).token(GlobalsProbe(obj).snapshot(), seen))
    if isinstance(obj, (types.ModuleType, types.BuiltinFunctionType)):
        return ""
    if isinstance(obj, type):
        return f"type:{obj.__module__}.{obj.__qualname__}"
    return data_token(obj)


def _is_volatile(obj: Any) -> bool:
    """Values whose content can change without rebinding the name (re-token each time)."""
    return not isinstance(obj, (_SIMPLE, tuple, frozenset, types.ModuleType, type,
                                types.BuiltinFunctionType)) or (
        isinstance(obj, tuple) and any(_is_volatile(item) for item in obj))


class GlobalsProbe:
    """Watches the globals a function may read; cheap when nothing was rebound."""

    __slots__ = ("namespace", "names")

    def __init__(self, fn: Callable):
        code = getattr(fn, "__code__", None)
        self.namespace: dict = getattr(fn, "__globals__", {})
        self.names = global_names(code) if code is not None else ()

    def snapshot(self) -> tuple:
        ns = self.namespace
        return tuple(ns.get(name, _MISSING) for name in self.names)

    def unchanged_since(self, old: tuple, new: tuple) -> bool:
        """True when every name is bound to the same object and none of them is mutable."""
        return all(a is b and (b is _MISSING or not _is_volatile(b)) for a, b in zip(old, new))

    def token(self, snapshot: tuple, _seen: frozenset = frozenset()) -> str:
        parts = [f"{name}={value_token(value, _seen)}" for name, value in zip(self.names, snapshot)
                 if value is not _MISSING]
        return digest(*parts) if parts else ""
