"""A result on screen: what it shows, how to compute it again, and how it looks when stale (its
banner, its old values dimmed column by column) or live (what its last update recomputed)."""
from __future__ import annotations

import dataclasses
import html
from typing import Any, Mapping, Sequence

from ..execution.result_stamp import ResultStamp

# Markers around what a stale redraw adds, so tools comparing outputs can strip it
# (notebooks/nbval_sanitize.cfg does, for the tutorials).
BANNER_START, BANNER_END, OLD_END = "<!--hamilton-nb:stale-->", "<!--/hamilton-nb:stale-->", "<!--hamilton-nb:old-->"
STALE_PREFIX = "⚠ stale: "
MAX_REASONS = 4  # causes a banner names; the rest are counted


@dataclasses.dataclass
class Request:
    """How to compute a shown result again."""

    outputs: list[str]
    all: bool = False
    inputs: Mapping[str, Any] | None = None
    overrides: Mapping[str, Any] | None = None
    result: str = "dataframe"
    node: str | None = None  # set for ``%hamilton_show NODE``


@dataclasses.dataclass
class Shown:
    """One output on screen: its display id, what it shows and what that was computed from."""

    display_id: str
    cell_id: str | None
    request: Request
    stamp: ResultStamp
    bundle: tuple[dict, dict]  # (data, metadata) of the values it shows
    live: bool
    reasons: tuple[str, ...] = ()  # what the banner on screen names (empty: none)
    stale_outputs: tuple[str, ...] = ()  # which of its outputs the banner says are old
    error: str = ""  # a live output's failed update, shown above its last good values
    failed_at: tuple = ()  # the versions that update failed at; retried once they change
    updated: str = ""  # a live output's last update: what triggered it and what it recomputed
    was_live: bool = False  # stopped by `%hamilton_live off`: its cell has `--live` already
    columns: tuple[str, ...] = ()  # a shown frame's columns, in order (to dim only the stale ones)
    index_levels: int = 1  # header cells before a frame's first column in each row of its table


def render(shown: Shown) -> tuple[dict, dict]:
    """The mime bundle of ``shown`` as it is now: its values, under a banner when stale or failing."""
    data, metadata = shown.bundle
    text = data.get("text/plain", "")
    page = data.get("text/html")
    if not shown.reasons and not shown.error:
        if not shown.live:
            return dict(data), dict(metadata)
        note = (f"● live: {shown.updated} (follows edits; `%hamilton_live off` stops)" if shown.updated
                else "● live: follows edits (`%hamilton_live off` stops)")
        out = {"text/plain": f"{note}\n{text}"}
        if page is not None:
            out["text/html"] = (f"<div style='font-size:smaller;color:#2e7d32'>{html.escape(note)}</div>"
                                + page)
        return out, {}
    if shown.error:
        headline = f"could not update ({shown.error.splitlines()[0]})"
        detail = shown.error
    else:
        shown_reasons = list(shown.reasons[:MAX_REASONS])
        if len(shown.reasons) > MAX_REASONS:
            shown_reasons.append(f"{len(shown.reasons) - MAX_REASONS} more changes")
        headline = "; ".join(shown_reasons)
        detail = ""
    old = [n for n in shown.stale_outputs if n in shown.stamp.outputs]
    partial = not (shown.error or not old or len(old) == len(shown.stamp.outputs) or shown.request.node)
    if not partial:
        tail = "the values below are from before that change"
    else:
        tail = (f"{names(old)} below {'is' if len(old) == 1 else 'are'} from before that change; "
                f"the other columns are current")
    hint = "re-run this cell, or fix the error" if shown.error else \
        "re-run this cell" if shown.request.node else \
        "re-run this cell to update it; it has `--live`, so it follows edits again" if shown.was_live else \
        "re-run this cell, or add `--live` to keep it current"
    out = {"text/plain": f"{STALE_PREFIX}{headline} — {tail} ({hint}).\n{text}"}
    # theme colours (a warm tint of the page; its text colour); the fallbacks where there is no theme
    banner = (f"{BANNER_START}<style>.hamilton-stale code {{ color: inherit; background: rgba(128,128,128,.18); }}"
              f"</style><div class='hamilton-stale' style='background:#fff3cd;background:color-mix(in srgb, var(--jp-warn-color2, "
              f"#ffb74d) 25%, var(--jp-layout-color0, #fff));border-left:4px solid var(--jp-warn-color1, #e0a800);"
              f"padding:4px 8px;margin:2px 0 4px 0;font-family:sans-serif;color:var(--jp-content-font-color1, "
              f"#533f03)'><b>⚠ stale</b>: {_code(headline)} — "
              f"{_code(tail)} <span style='opacity:.75'>({_code(hint)})</span>"
              + (f"<pre style='margin:4px 0 0 0;white-space:pre-wrap'>{html.escape(detail)}</pre>" if detail else "")
              + "</div>" + _old_values(shown, old if partial else ()) + BANNER_END)
    out["text/html"] = banner + (page if page is not None else f"<pre>{html.escape(text)}</pre>") \
        + f"{OLD_END}</div>"
    return out, {}


def table_shape(value: Any) -> dict:
    """A frame's flat column names and index depth, which its HTML table lays out in that order."""
    columns, index = getattr(value, "columns", None), getattr(value, "index", None)
    if columns is None or index is None or getattr(columns, "nlevels", 1) != 1:
        return {}
    return {"columns": tuple(map(str, columns)), "index_levels": int(getattr(index, "nlevels", 1))}


def _old_values(shown: Shown, old: Sequence[str]) -> str:
    """Where the values below the banner start: only the stale columns of a frame are dimmed
    (the others are current), else all of it."""
    positions = [shown.columns.index(name) for name in old if name in shown.columns]
    if not positions or len(positions) != len(old):
        return "<div style='opacity:0.5' title='old values'>"
    scope = f"hamilton-old-{shown.display_id[:12]}"
    cells = ", ".join(f".{scope} tr > :nth-child({shown.index_levels + p + 1})" for p in positions)
    return (f"<style>{cells} {{ opacity: .45; }}</style>"
            f"<div class='{scope}' title='the dimmed columns are from before the change'>")


def trigger(reasons: Sequence[str], cell: int | None) -> str:
    """``the edit of `a` (cell [12])``: what a live update followed, from the causes a banner names."""
    edited = [r.split("`")[1] for r in reasons if r.startswith("`") and " changed in " in r]
    if edited and len(edited) == len(reasons):
        what = f"the edit of {names(edited)}"
    else:
        shown = list(reasons[:MAX_REASONS]) + ([f"{len(reasons) - MAX_REASONS} more changes"]
                                               if len(reasons) > MAX_REASONS else [])
        what = "; ".join(shown)
    return what + (f" (cell [{cell}])" if cell is not None else "")


def facts(report) -> str:
    """What a live update recomputed: ``1 recomputed: 1 changed (x: 6 of 6 rows differ, max |Δ| 990), 0 same``,
    counting what other live outputs recomputed of its nodes after the same change."""
    recomputed = len(report.changed) + len(report.same) + len(report.earlier)
    new = len(report.computed) - len(report.changed) - len(report.same)
    if not recomputed:
        return f"{new} computed" if new else "nothing to recompute"
    return report.since_edit() + (f", {new} computed for the first time" if new else "")


def names(names: Sequence[str], shown: int = 5) -> str:
    """`a`, `b`, `c` … and N more."""
    listed = ", ".join(f"`{n}`" for n in names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _code(text: str) -> str:
    """Escape ``text`` for HTML, showing `names` as code."""
    parts = html.escape(text).split("`")
    return "".join(f"<code style='white-space:nowrap'>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
