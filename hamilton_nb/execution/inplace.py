"""In-place changes a node makes to the values it received, said aloud.

A node receives copy-on-write shallow copies of DataFrames and rebuilt dicts, lists and sets
(see :mod:`.sharing`), so ``frame["b"] = ...`` inside a node never reaches the cached
``frame``: downstream nodes and results see ``frame`` as its function returned it. Apache
Hamilton passes the object itself, so there the change shows upstream. hamilton_nb keeps its
deterministic value, and says so on both nodes.

Detection is cheap: when a value is handed out, :func:`mark` remembers the handed copy's
pandas manager, axes and block arrays (or a shallow copy of a container); after the node ran,
:func:`touched` compares identities only. Data is compared only when something was touched,
to say what changed (:func:`describe`) — and to stay quiet when nothing really did. Other
objects (and what containers hold) got a :func:`.replicas.replica`, compared with the cached
value after the node ran (:func:`.replicas.difference`). One that could not be copied was handed
out itself: its content token before and after says whether the node changed the cached value
(:func:`shared_changes`).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..graph.value_tokens import value_token
from .replicas import difference, is_immutable

WATCHED = (pd.DataFrame, dict, list, set)
DEEP = "deep"  # the mark of a replica: compared with the original after the node ran


class Shared:
    """The mark of a value handed out itself (it can't be copied): its content token before the
    call, or None when it has no sound token (a change can't be seen)."""

    __slots__ = ("token",)

    def __init__(self, value: Any) -> None:
        token = value_token(value)
        self.token = None if token.startswith("untracked:") else token


def watch(handed: dict[str, Any], originals: Any) -> list[tuple[str, Any, Any]]:
    """(param, value, :func:`mark`) of each handed-out value a node could change in place unseen
    (Series and arrays are sealed read-only: a write raises, a rebinding is undone);
    ``originals``: param → the value as cached (a mapping, or a function that makes one)."""
    found = []
    for param, value in handed.items():
        kind = type(value)
        if kind is pd.Series or kind is np.ndarray or is_immutable(value):
            continue
        if callable(originals):
            originals = originals()
        if value is originals.get(param) and kind is not pd.DataFrame:
            found.append((param, value, Shared(value)))
        else:
            found.append((param, value, mark(value) if kind in WATCHED else DEEP))
    return found


def changes(watched: list, originals: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(param, what changed, how to write it) for each watched value the node changed in place;
    ``originals``: param → the value handed out (as cached)."""
    found = []
    for param, value, marked in watched:
        if param not in originals or isinstance(marked, Shared):
            continue
        original = originals[param]
        if marked is DEEP or not touched(value, marked):
            if marked is not DEEP and type(value) is pd.DataFrame:
                continue
            what = difference(original, value, param)
            if what is not None:
                found.append((param, what, _object_fix(original)))
            continue
        described = describe(original, value)
        if described is not None:
            found.append((param, *described))
    return found


def shared_changes(watched: list) -> list[tuple[str, bool | None]]:
    """(param, changed) of each value handed out itself: True when the node changed the cached
    value in place, None when that can't be known (it has no content token)."""
    found = []
    for param, value, marked in watched:
        if isinstance(marked, Shared):
            if marked.token is None:
                found.append((param, None))
            elif value_token(value) != marked.token:
                found.append((param, True))
    return found


def _object_fix(original: Any) -> str:
    import dataclasses

    if dataclasses.is_dataclass(original) and not isinstance(original, type):
        return "a new object (`dataclasses.replace({param}, ...)`, or changes made on `copy.deepcopy({param})`)"
    return "a new object (changes made on `copy.deepcopy({param})`)"


def mark(value: Any) -> Any:
    """What :func:`touched` compares a handed-out ``value`` with after the node ran."""
    kind = type(value)
    if kind is pd.DataFrame:
        mgr = value._mgr
        return mgr, mgr.axes[0], mgr.axes[1], tuple(block.values for block in mgr.blocks)
    return kind(value)  # dict, list, set: a shallow copy


def touched(value: Any, marked: Any) -> bool:
    """Whether the node may have changed the ``value`` it received in place (identities only)."""
    if type(value) is pd.DataFrame:
        mgr = value._mgr
        if mgr is not marked[0] or mgr.axes[0] is not marked[1] or mgr.axes[1] is not marked[2]:
            return True
        blocks = marked[3]
        return len(mgr.blocks) != len(blocks) or any(b.values is not v for b, v in zip(mgr.blocks, blocks))
    if type(value) is dict:
        return len(value) != len(marked) or any(value.get(k, marked) is not v for k, v in marked.items())
    if type(value) is list:
        return len(value) != len(marked) or any(a is not b for a, b in zip(value, marked))
    return value != marked


def _names(items: list) -> str:
    shown = ", ".join(f"`{item}`" for item in items[:3])
    return shown + (f" and {len(items) - 3} more" if len(items) > 3 else "")


def _plural(word: str, items: list) -> str:
    return word if len(items) == 1 else word + "s"


def describe(original: Any, value: Any) -> tuple[str, str] | None:
    """(what changed, how to write it without changing the input — ``{param}`` stands for
    the parameter), or None when the value the node received still equals ``original`` (it was
    touched, but nothing really changed)."""
    if isinstance(original, pd.DataFrame):
        return _describe_frame(original, value)
    if isinstance(original, dict):
        added = [k for k in value if k not in original]
        removed = [k for k in original if k not in value]
        replaced = [k for k in original if k in value and value[k] is not original[k] and not _same(value[k], original[k])]
        parts = [f"{_plural('key', keys)} {_names(keys)} {verb}"
                 for keys, verb in ((added, "added"), (removed, "removed"), (replaced, "replaced")) if keys]
        return ("; ".join(parts), "a new dict (`{**{param}, key: ...}`)") if parts else None
    if isinstance(original, (list, set)):
        if _same(list(value) if isinstance(value, list) else value, original):
            return None
        kind = type(original).__name__
        what = f"{len(original)} → {len(value)} items" if len(value) != len(original) else "items replaced"
        return what, "a new list (`{param} + [...]`)" if kind == "list" else "a new set (`{param} | {...}`)"
    return None


def _same(a: Any, b: Any) -> bool:
    try:
        if isinstance(a, (pd.Series, pd.DataFrame)):
            return type(a) is type(b) and a.equals(b)
        return bool(a == b)
    except Exception:
        return False


def _describe_frame(original: pd.DataFrame, value: pd.DataFrame) -> tuple[str, str] | None:
    old, new = list(original.columns), list(value.columns)
    added = [c for c in new if c not in old]
    removed = [c for c in old if c not in new]
    parts = []
    if added:
        parts.append(f"{_plural('column', added)} {_names(added)} added")
    if removed:
        parts.append(f"{_plural('column', removed)} {_names(removed)} removed")
    rows = not value.index.equals(original.index) or value.index.dtype != original.index.dtype
    if rows:
        parts.append("rows or index changed")
    else:
        written = []
        for column in (c for c in new if c in old):
            try:
                if not value[column].equals(original[column]):
                    written.append(column)
            except Exception:  # duplicate column names: compared as a whole below
                written = [] if value.equals(original) else ["…"]
                break
        if written:
            parts.append(f"values of {_plural('column', written)} {_names(written)} written")
    if not parts:
        return None
    if added and not removed and not rows:
        fix = f"`{{param}}.assign({added[0]}=...)`" if str(added[0]).isidentifier() else "`{param}.assign(...)`"
    elif removed and not added and not rows:
        fix = f"`{{param}}.drop(columns={removed[:3]!r})`"
    elif parts[-1].startswith("values") and not rows:
        fix = "`{param}.assign(...)`"
    else:
        fix = "changes made on `{param}.copy()`"
    fix = f"a new frame ({fix})"
    return "; ".join(parts), fix


def notes(changer: str, param: str, dep: str, what: str, fix: str, *, dep_is_node: bool) -> tuple[str, str]:
    """(the note on the node ``changer``, the note on the value ``dep`` it changed in place)."""
    kept = f"as `{dep}()` returned it" if dep_is_node else "as it was passed in"
    alias = f" (`{dep}`)" if param != dep else ""
    changer_note = (f"`{changer}` changes its input `{param}`{alias} in place ({what}); hamilton_nb "
                    f"keeps `{dep}` {kept} for every other node and result, while Apache Hamilton would "
                    f"show the change; return {fix.replace('{param}', param)} to make the intent explicit")
    dep_note = (f"`{dep}` was changed in place by `{changer}` ({what}); hamilton_nb keeps `{dep}` {kept}, "
                "while Apache Hamilton would show the change")
    return changer_note, dep_note


def forget(warnings: dict[str, list[str]], left: dict[str, dict[str, str]], changer: str) -> list[str]:
    """Take back the notes ``changer`` left on the values it changed (it ran again, or is gone);
    returns the names whose notes changed."""
    touched_names = []
    for dep, note in left.pop(changer, {}).items():
        found = warnings.get(dep)
        if found and note in found:
            found.remove(note)
            if not found:
                del warnings[dep]
            touched_names.append(dep)
    return touched_names


def shared_notes(changer: str, param: str, dep: str, type_name: str, changed: bool | None) -> str:
    """What is said when a value that can't be copied was handed to ``changer`` itself: it changed
    it in place (``changed``, an error) or it can't be checked (None, a warning)."""
    alias = f" (`{dep}`)" if param != dep else ""
    if changed:
        return (f"`{changer}` changed its input `{param}`{alias} in place, and `{dep}` (a {type_name}) can't be "
                f"copied, so the change reached `{dep}` itself: its value is dropped (computed again at the "
                f"next execute) and `{changer}` is not kept.\nFix: leave `{param}` as it is and return a new "
                f"object, or make `{dep}` return something that can be copied (no open files, generators or "
                "connections inside).")
    return (f"`{changer}` received `{dep}` itself: a {type_name} that can't be copied or compared, so hamilton_nb "
            f"can't tell whether `{changer}` changes it in place; `{dep}` is computed again at the next execute "
            f"to be safe, but nodes reading it after `{changer}` in one execute may see such a change (make "
            f"`{dep}` return something that can be copied)")
