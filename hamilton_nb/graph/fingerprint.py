"""Fingerprints: what a node's value can depend on, as short stable strings.

A function's *code fingerprint* hashes its bytecode and constants — so docstrings,
comments, formatting and type-hint spelling, which cannot change a value, do not
count. Everything else it reads (defaults, closure, constants, helpers, data) can change
after registration, in any notebook cell, so it is read before every execute instead
(:mod:`hamilton_nb.graph.reach`, :mod:`hamilton_nb.graph.tokens`); values are read by
:mod:`hamilton_nb.graph.value_tokens`.
"""
from __future__ import annotations

import hashlib
import sys
import types
from typing import Callable

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
    """The code of ``fn`` alone. What it reads (defaults, closure, globals, helpers) is read
    again before every execute: see :mod:`hamilton_nb.graph.reach`."""
    code = getattr(fn, "__code__", None)
    return code_digest(code) if code is not None else digest("callable", repr(fn))
