"""Shown results that know when they are stale, and live ones that follow edits.

A result of ``%hamilton_execute`` (or ``%hamilton_show``) that a cell displays is published
with a display id and remembered with the stamp of what it was computed from. After every
cell, each remembered output is compared with the session: a stale one is redrawn in place
with a banner naming what changed (its old values still there, dimmed); a live one is
recomputed (only what is stale) and redrawn. Redrawing uses the front end's display-update
messages, so JupyterLab, Notebook 7 and VS Code need no extension, and a saved notebook
keeps what the last update showed.

Only values a cell actually displays are tracked: ``df = %hamilton_execute ...`` stays a
plain DataFrame that nothing watches. The registry is bounded, and a re-run cell's earlier
outputs (which the front end clears) stop being tracked.
"""
from __future__ import annotations

import collections
import dataclasses
import html
import logging
import uuid
from typing import Any, Callable, Mapping, Sequence

from ..execution.report import abbreviate
from ..execution.result_stamp import ResultStamp, changes, reread_globals, stamp

logger = logging.getLogger("hamilton_nb")

MAX_TRACKED = 64  # outputs a notebook keeps watching; the oldest are let go first
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


class Tracker:
    """Watches the outputs one IPython shell has displayed; see the module docstring."""

    def __init__(self, shell, session_getter: Callable[[], Any]) -> None:
        self.shell = shell
        self.session = session_getter
        self.shown: collections.OrderedDict[str, Shown] = collections.OrderedDict()
        self._pending: dict[int, tuple[Any, Request, bool]] = {}  # id(value) -> (value, request, live)
        self._cell_id: str | None = None
        self._cell_number: int | None = None  # the execution count of the cell that just ran
        self._live_computed: dict[str, None] = {}  # what live outputs computed after this cell

    # ---- installation ---------------------------------------------------------------------
    def install(self) -> None:
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.shell.events.register("post_run_cell", self.post_run_cell)

    def uninstall(self) -> None:
        for event, callback in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
            try:
                self.shell.events.unregister(event, callback)
            except ValueError:
                pass
        self._release_pending()

    @property
    def can_update(self) -> bool:
        """Front ends behind a kernel redraw outputs by display id; a terminal would only print again."""
        return type(self.shell.display_pub).__name__ == "ZMQDisplayPublisher"

    # ---- a cell displays a result -----------------------------------------------------------
    def offer(self, value: Any, request: Request, live: bool = False) -> None:
        """``value`` was just computed for ``request``: if this cell displays it, track it.

        Nothing happens yet: IPython formats a cell's displayed value through its formatters,
        where a printer registered for this one object publishes it with a display id. An
        assigned value (``df = %hamilton_execute ...``) is never displayed, so never tracked.
        """
        if value is None or not self.can_update:
            return
        self._pending[id(value)] = (value, request, live)  # held until the cell ends, so the id stays unique
        self.shell.display_formatter.ipython_display_formatter.singleton_printers[id(value)] = self._publish_new

    def _publish_new(self, value: Any) -> None:
        printers = self.shell.display_formatter.ipython_display_formatter.singleton_printers
        printers.pop(id(value), None)  # shown once; formatting it below must not come back here
        _, request, live = self._pending.pop(id(value))
        data, metadata = self.shell.display_formatter.format(value)
        try:
            session = self.session()
            shown = Shown(display_id=uuid.uuid4().hex, cell_id=self._cell_id, request=request,
                          stamp=stamp(session, request.outputs, request.inputs, request.overrides),
                          bundle=(data, metadata), live=live, **_table_shape(value))
        except Exception:  # the value is still shown, untracked
            logger.exception("hamilton_nb: could not track this output")
            self.shell.display_pub.publish(data, metadata)
            return
        if not live:
            shown.request = _without_values(request)
        self._remember(shown)
        self._publish(shown, update=False)

    def _remember(self, shown: Shown) -> None:
        self.shown[shown.display_id] = shown
        while len(self.shown) > MAX_TRACKED:
            self.shown.popitem(last=False)

    # ---- after every cell -------------------------------------------------------------------
    def pre_run_cell(self, info) -> None:
        self._cell_id = getattr(info, "cell_id", None)
        if self._cell_id:  # the front end clears a re-run cell's outputs
            for key in [k for k, s in self.shown.items() if s.cell_id == self._cell_id]:
                del self.shown[key]

    def post_run_cell(self, result=None) -> None:
        self._release_pending()
        self._cell_number = getattr(result, "execution_count", None)
        self._live_computed = {}
        try:
            self.refresh()
            if self._live_computed:
                print(self._after_live(self.session()))
        except Exception:  # a display must never break the user's cell
            logger.exception("hamilton_nb: could not refresh the outputs on screen")

    def _after_live(self, session) -> str:
        """The line under a cell's own output (its edit receipt) saying what live outputs then
        recomputed, and what is stale after that: the counts the graph shows."""
        computed = list(self._live_computed)
        states = session.known_states
        stale = [n for n, state in states.items() if state == "stale"]
        if len(stale) > 1:
            stale = session.engine.sort_by_order(stale)
        line = f"{len(computed)} recomputed by live outputs ({abbreviate(computed)}); {len(stale)} stale now"
        return line + (f" ({abbreviate(stale)})" if stale else "")

    def _release_pending(self) -> None:
        printers = self.shell.display_formatter.ipython_display_formatter.singleton_printers
        for key in self._pending:
            printers.pop(key, None)
        self._pending.clear()

    def refresh(self) -> None:
        """Redraw every tracked output whose state changed: live ones first (recomputed), then
        the stale banners of the others."""
        if not self.shown:
            return
        session = self.session()
        reread_globals(session, [shown.stamp for shown in self.shown.values()])
        for shown in sorted(self.shown.values(), key=lambda s: not s.live):
            try:
                self._refresh_one(session, shown)
            except KeyboardInterrupt:  # Ctrl-C during a live update: leave the others for the next cell
                return
            except Exception:
                logger.exception("hamilton_nb: could not refresh an output on screen")

    def _refresh_one(self, session, shown: Shown) -> None:
        found = changes(session, shown.stamp)
        reasons, outputs = found.reasons, found.outputs
        if shown.request.all and not reasons:
            added = [n for n in session.graph.nodes if n not in shown.stamp.versions]
            reasons = (f"new node{'s' if len(added) > 1 else ''}: {_names(added)}",) if added else ()
            outputs = shown.stamp.outputs if added else ()
        if shown.live and reasons:
            self._recompute(session, shown, reasons)
        elif (reasons, outputs) != (shown.reasons, shown.stale_outputs) or (shown.error and not reasons):
            shown.reasons, shown.stale_outputs, shown.error = reasons, outputs, ""
            self._publish(shown, update=True)

    def _recompute(self, session, shown: Shown, reasons: tuple[str, ...]) -> None:
        request = shown.request
        attempt = _signature(session, shown.stamp)
        if shown.error and attempt == shown.failed_at:
            return  # nothing changed since the last failed update: don't run it again
        try:
            value = session.execute(request.outputs, all=request.all, inputs=request.inputs,
                                    overrides=request.overrides, result=request.result)
            outputs = session.last_report.outputs
            data, metadata = self.shell.display_formatter.format(value)
            new_stamp = stamp(session, outputs, request.inputs, request.overrides)
        except (Exception, KeyboardInterrupt) as exc:  # shown in the output; the causing cell carries on
            message = str(exc).strip() or type(exc).__name__
            shown.failed_at = attempt
            if (reasons, message) != (shown.reasons, shown.error):
                shown.reasons, shown.error = reasons, message
                self._publish(shown, update=True)
            if isinstance(exc, KeyboardInterrupt):
                raise
            return
        report = session.last_report
        report.by = "a live output"  # how the next `-v` and this output's note name it
        self._live_computed.update(dict.fromkeys(report.computed))
        shown.updated = f"updated after {_trigger(reasons, self._cell_number)}: {_facts(report)}"
        shown.bundle, shown.stamp, shown.error = (data, metadata), new_stamp, ""
        shown.reasons, shown.stale_outputs = (), ()
        shown.request = dataclasses.replace(request, outputs=outputs)
        self._publish(shown, update=True)

    # ---- live outputs -----------------------------------------------------------------------
    def stop_live(self) -> int:
        """Stop every live output (they stay on screen and get stale banners from now on)."""
        stopped = [s for s in self.shown.values() if s.live]
        for shown in stopped:
            shown.live, shown.error = False, ""  # a failed update is now just a stale output
            shown.was_live, shown.updated = True, ""
            shown.request = _without_values(shown.request)
            self._publish(shown, update=True)
        return len(stopped)

    def summary(self) -> str:
        live = [s for s in self.shown.values() if s.live]
        stale = [s for s in self.shown.values() if s.reasons]
        lines = [f"{len(self.shown)} output{'s' if len(self.shown) != 1 else ''} on screen tracked, "
                 f"{len(live)} live, {len(stale)} marked stale"]
        lines += [f"  live: {', '.join(s.request.outputs) or '(all)'}" for s in live]
        return "\n".join(lines)

    # ---- drawing ----------------------------------------------------------------------------
    def _publish(self, shown: Shown, update: bool) -> None:
        data, metadata = render(shown)
        self.shell.display_pub.publish(data, metadata, transient={"display_id": shown.display_id}, update=update)


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
        tail = (f"{_names(old)} below {'is' if len(old) == 1 else 'are'} from before that change; "
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


def _table_shape(value: Any) -> dict:
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


def _trigger(reasons: Sequence[str], cell: int | None) -> str:
    """``the edit of `a` (cell [12])``: what a live update followed, from the causes a banner names."""
    edited = [r.split("`")[1] for r in reasons if r.startswith("`") and " changed in " in r]
    if edited and len(edited) == len(reasons):
        what = f"the edit of {_names(edited)}"
    else:
        shown = list(reasons[:MAX_REASONS]) + ([f"{len(reasons) - MAX_REASONS} more changes"]
                                               if len(reasons) > MAX_REASONS else [])
        what = "; ".join(shown)
    return what + (f" (cell [{cell}])" if cell is not None else "")


def _facts(report) -> str:
    """What a live update recomputed: ``1 recomputed: 1 changed (x: 6 of 6 rows differ, max |Δ| 990), 0 same``,
    counting what other live outputs recomputed of its nodes after the same change."""
    recomputed = len(report.changed) + len(report.same) + len(report.earlier)
    new = len(report.computed) - len(report.changed) - len(report.same)
    if not recomputed:
        return f"{new} computed" if new else "nothing to recompute"
    return report.since_edit() + (f", {new} computed for the first time" if new else "")


def _without_values(request: Request) -> Request:
    """What a non-live output keeps: its stamp has the tokens of its call inputs, so their values
    (which may be large) can go."""
    return dataclasses.replace(request, inputs=None, overrides=None)


def _signature(session, result: ResultStamp) -> tuple:
    """The versions the outputs of ``result`` have now: they change whenever anything they depend on does."""
    present = [n for n in result.outputs if n in session.graph.dag]
    return tuple(session.engine.versions_of(present, result.bindings).items())


def _names(names: Sequence[str], shown: int = 5) -> str:
    """`a`, `b`, `c` … and N more."""
    listed = ", ".join(f"`{n}`" for n in names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _code(text: str) -> str:
    """Escape ``text`` for HTML, showing `names` as code."""
    parts = html.escape(text).split("`")
    return "".join(f"<code style='white-space:nowrap'>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


# ---- one tracker per shell ------------------------------------------------------------------
_TRACKERS: dict[int, Tracker] = {}


def tracker(shell=None) -> Tracker | None:
    """The tracker of ``shell`` (default: the running IPython), installed on first use."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return None
        shell = get_ipython()
        if shell is None:
            return None
    found = _TRACKERS.get(id(shell))
    if found is None or found.shell is not shell:
        from ..session import get_session

        found = _TRACKERS[id(shell)] = Tracker(shell, get_session)
        found.install()
    return found


def remove(shell) -> None:
    found = _TRACKERS.pop(id(shell), None)
    if found is not None:
        found.uninstall()


def offer(value: Any, outputs: Sequence[str], *, all: bool = False, inputs=None, overrides=None,
          result: str = "dataframe", live: bool = False, node: str | None = None) -> None:
    """Track ``value`` if the running cell displays it (no-op outside a notebook kernel)."""
    found = tracker()
    if found is not None:
        found.offer(value, Request(list(outputs), all, inputs, overrides, result, node), live)


def stop_live() -> int:
    found = tracker()
    return found.stop_live() if found is not None else 0
