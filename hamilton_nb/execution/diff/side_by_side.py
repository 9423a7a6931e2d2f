"""A node's value before and after its last recompute, side by side: what ``%hamilton_diff`` shows."""
from __future__ import annotations

import dataclasses
import html
from typing import Any

import numpy as np
import pandas as pd

from .compare import differing, polars_kind, polars_masks, polars_to_pandas, size_of
from ..remote import fetch

SHOWN_ROWS = 20
SHOWN_COLUMNS = 5


@dataclasses.dataclass
class ValueDiff:
    """``before`` / ``after`` values of ``name``; ``message`` instead when there is nothing to compare.

    ``rows`` holds every row that differs (before, after and, for numbers, the change),
    ``stats`` summary statistics before and after; the views show the first rows of each.
    """

    name: str
    before: Any = None
    after: Any = None
    detail: str = ""
    message: str = ""
    why: tuple[str, ...] = ()  # what made its last recompute happen (root causes)

    @classmethod
    def of(cls, engine: Any, name: str, state: str) -> "ValueDiff":
        """The diff of ``name`` as ``engine`` has it (``state``: its current state)."""
        entry = engine.cache.get(name)
        changes = engine.changes
        outcome = changes.outcome.get(name)
        if state == "input":
            return cls(name, message=f"`{name}` is an input, not computed: bind a new value and diff the "
                                     "nodes that read it.")
        if entry is None or state == "not computed":
            return cls(name, message=f"`{name}` has not been computed yet, so there is nothing to compare.\n"
                                     f"Execute it, edit something upstream, execute again, then diff.")
        if state == "stale":
            return cls(name, message=f"`{name}` is stale: its code, or something upstream, is not what its "
                                     f"cached value was computed from.\nExecute it, then `%hamilton_diff {name}` "
                                     "compares the new value with the one before.")
        why = changes.why.get(name, (None, ()))[1] if outcome is not None else ()
        because = f"\n{_because(why)}" if why else ""
        if outcome is None:
            return cls(name, message=f"`{name}` has no previous value: it has not been recomputed since it "
                                     "was first computed or last edited.\nEdit it or something upstream, "
                                     "execute, then diff.")
        if outcome.same:
            return cls(name, why=why, message=f"`{name}` was recomputed and its value is the same as before "
                                              f"(no difference to show).{because}")
        kept, before = changes.previous(name)
        if not kept and not changes.max_bytes:
            return cls(name, detail=outcome.detail, why=why,
                       message=f"`{name}` changed ({outcome.detail}); previous values are not kept here "
                               "(a Driver keeps none; `engine.changes.max_bytes` sets the room for them)."
                               + because)
        if not kept:
            return cls(name, detail=outcome.detail, why=why,
                       message=f"`{name}` changed ({outcome.detail}), but its previous value was not kept: "
                               f"previous values for diffs are limited to {changes.max_bytes / 2**20:.0f} MB "
                               f"in all, the oldest going first (this one: {size_of(entry.value) / 2**20:.1f} MB)."
                               + because)
        # a diff is asked for: the values are brought here
        return cls(name, fetch(before), fetch(entry.value), outcome.detail, why=why)

    # ---- the tables -------------------------------------------------------------------------
    @property
    def rows(self) -> pd.DataFrame | None:
        """Every row that differs: before and after (and Δ for numbers); None without a diff."""
        if self.message:
            return None
        before, after = _as_frame(self.before), _as_frame(self.after)
        if before is None or after is None:
            return pd.DataFrame({"before": [_short(self.before)], "after": [_short(self.after)]})
        before, after = _aligned(before, after)
        masks = polars_masks(self.before, self.after)  # polars says what differs (nulls, NaN as it has them)
        sides, changed = {}, np.zeros(len(after), dtype=bool)
        for column in dict.fromkeys([*before.columns, *after.columns]):
            b = before[column] if column in before else pd.Series(np.nan, index=after.index)
            a = after[column] if column in after else pd.Series(np.nan, index=before.index)
            differs = masks[column] if column in masks else differing(b.to_numpy(), a.to_numpy())
            if differs.any() or column not in before or column not in after:
                sides[column] = (b, a)
                changed |= differs
        if list(after.columns) == ["value"] and list(before.columns) == ["value"]:  # a Series
            b, a = sides.get("value", (before["value"], after["value"]))
            table = pd.DataFrame({"before": b, "after": a})
            if _numeric(b) and _numeric(a):
                table["Δ"] = a.astype(float) - b.astype(float)
            return table[changed]
        if not sides:  # only dtypes changed
            return after.iloc[0:0]
        table = pd.concat({(column, side): values for column, (b, a) in sides.items()
                           for side, values in (("before", b), ("after", a))}, axis=1)
        return table[changed]

    @property
    def stats(self) -> pd.DataFrame | None:
        """Summary statistics before and after (of the columns that changed, for a DataFrame)."""
        if self.message:
            return None
        before, after = _as_frame(self.before), _as_frame(self.after)
        if before is None or after is None:
            return None
        rows = self.rows
        columns = list(dict.fromkeys(c[0] for c in rows.columns)) if isinstance(rows.columns, pd.MultiIndex) \
            else ["value"]
        if not columns:  # only the dtype or the name changed
            columns = list(after.columns)
        parts = {}
        for column in columns[:SHOWN_COLUMNS]:
            for side, frame in (("before", before), ("after", after)):
                parts[(column, side)] = _summary(frame[column]) if column in frame else pd.Series(dtype=object)
        table = pd.DataFrame(parts)
        if columns == ["value"]:
            table.columns = [side for _, side in table.columns]
        return table

    # ---- views ------------------------------------------------------------------------------
    def _heading(self) -> str:
        return f"{self.name}: {self.detail}" if self.detail else self.name

    def __repr__(self) -> str:
        if self.message:
            return self.message
        parts = [self._heading()] + ([_because(self.why)] if self.why else [])
        rows = self.rows
        parts.append(f"\nRows that differ ({_first(len(rows))}):\n" + rows.head(SHOWN_ROWS).to_string())
        stats = self.stats
        if stats is not None:
            parts.append("\nSummary, before and after:\n" + stats.to_string())
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        if self.message:
            return f"<pre class='hamilton-diff'>{html.escape(self.message)}</pre>"
        rows = self.rows
        parts = [f"<div class='hamilton-diff'><p><b>{html.escape(self.name)}</b>"
                 + (f": {html.escape(self.detail)}" if self.detail else "") + "</p>",
                 f"<p class='hamilton-diff-why'>{_code(_because(self.why))}</p>" if self.why else "",
                 "<div style='display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start'>",
                 f"<div><p>Rows that differ ({_first(len(rows))})</p>{rows.head(SHOWN_ROWS).to_html()}</div>"]
        stats = self.stats
        if stats is not None:
            parts.append(f"<div><p>Summary, before and after</p>{stats.to_html()}</div>")
        parts.append("</div></div>")
        return "".join(parts)


def _because(why: tuple[str, ...]) -> str:
    """"Recomputed because `a` was edited (module `f`); input `b` was rebound"."""
    return "Recomputed because " + "; ".join(why) + "."


def _code(text: str) -> str:
    """Escaped, with `names` as code."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _first(count: int) -> str:
    return f"first {SHOWN_ROWS} of {count}" if count > SHOWN_ROWS else f"{count}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _numeric(series: pd.Series) -> bool:
    return series.dtype.kind in "iuf"


def _as_frame(value: Any) -> pd.DataFrame | None:
    """Series and 1-D arrays as one column named ``value``; DataFrames and 2-D arrays as they are
    (polars ones as pandas)."""
    if polars_kind(value) is not None:
        value = polars_to_pandas(value)
    if isinstance(value, pd.Series):
        return value.to_frame("value")
    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return pd.DataFrame({"value": value})
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return pd.DataFrame(value)
    return None


def _aligned(before: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both on one index: the same one, the union of unique indexes, or else by position."""
    if before.index.equals(after.index):
        return before, after
    if before.index.is_unique and after.index.is_unique:
        index = before.index.union(after.index, sort=False)
        return before.reindex(index), after.reindex(index)
    return before.reset_index(drop=True), after.reset_index(drop=True)


def _summary(series: pd.Series) -> pd.Series:
    """length, missing, and mean/std/min/median/max for numbers or unique/most common otherwise."""
    out: dict[str, Any] = {"length": len(series), "missing": int(series.isna().sum())}
    if _numeric(series):
        out.update(mean=series.mean(), std=series.std(), min=series.min(), median=series.median(),
                   max=series.max())
    else:
        counts = series.value_counts()
        out.update(unique=series.nunique(), most_common=counts.index[0] if len(counts) else None)
    return pd.Series(out, dtype=object)
