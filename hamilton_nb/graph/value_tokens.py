"""Content tokens of whole values handed to the graph: decorator arguments, bound inputs, loaded data."""
from __future__ import annotations

import uuid
from typing import Any

from .tokens import Tokenizer, Untracked


def value_token(obj: Any) -> str:
    """Content token of a value (see :mod:`hamilton_nb.graph.tokens`): a decorator argument, a
    bound input, loaded data. One with no sound token gets an ``untracked:`` token of its own,
    so whatever depends on it counts as changed every time it is read."""
    return bound_token(obj)[0]


def bound_token(obj: Any) -> tuple[str, bool]:
    """:func:`value_token`, and whether the value carries user code (an instance of a notebook
    class, a function): that code can be edited after binding, so such a value is re-read."""
    tokenizer = Tokenizer()
    try:
        return tokenizer.token(obj), tokenizer.reads_code
    except Untracked:
        return f"untracked:{id(obj)}:{uuid.uuid4().hex}", True
