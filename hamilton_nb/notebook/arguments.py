"""Reading what magics are given: a variable, a JSON object, ``name=value`` pairs, a DataFrame."""
from __future__ import annotations

import ast
import json
from typing import Any

from ..errors import InputError


def _evaluate(expression: str, namespace: dict, what: str) -> Any:
    """A notebook variable, a Python literal, or an expression over notebook variables."""
    try:
        return eval(expression, namespace)
    except NameError as exc:
        raise InputError(f"{what}: `{expression}` is not defined in the notebook ({exc}).\n"
                         "Fix: define that variable first, or check its spelling.") from None
    except SyntaxError:
        raise InputError(f"{what}: cannot read `{expression}`.\n"
                         "Fix: use a variable name, a Python literal, or JSON.") from None


def _split_top_level(text: str) -> list[str]:
    """Split on spaces outside brackets and quotes: ``x=pd.Series([1, 2]) region='U S'`` is two items.

    Quotes are kept, so ``region='US'`` evaluates to a string.
    """
    items, current, depth, quote = [], [], 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char.isspace() and depth <= 0:
            if current:
                items.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        items.append("".join(current))
    return items


def mapping(text: str, namespace: dict, what: str) -> dict[str, Any]:
    """``a=1 b=var`` pairs, a dict/DataFrame variable, or a JSON object."""
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()  # a quoted argument, e.g. -c '{"a": true}'
    if not text:
        return {}
    if text.startswith("{"):
        try:
            found = json.loads(text)
        except json.JSONDecodeError as exc:
            try:
                found = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise InputError(f"{what}: malformed JSON ({exc.msg} at character {exc.pos}).\n"
                                 'Fix: write e.g. {"key": "value"} with double quotes.') from None
        if not isinstance(found, dict):
            raise InputError(f"{what}: expected a JSON object, got {type(found).__name__}.")
        return found
    values: dict[str, Any] = {}
    for token in _split_top_level(text):
        if "=" in token:
            key, _, expression = token.partition("=")
            values[key.strip()] = _evaluate(expression, namespace, what)
        else:
            value = _evaluate(token, namespace, what)
            if hasattr(value, "columns") and hasattr(value, "__getitem__"):  # a DataFrame
                values.update({str(c): value[c] for c in value.columns})
            elif isinstance(value, dict):
                values.update(value)
            else:
                raise InputError(f"{what}: `{token}` is a {type(value).__name__}; give `name={token}`, "
                                 "a dict or a DataFrame variable.")
    return values
