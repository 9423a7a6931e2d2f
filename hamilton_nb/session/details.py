"""Everything about one node, as text and HTML: what ``%hamilton_show`` and the widget's panel show."""
from __future__ import annotations

import dataclasses
import html
import inspect
from typing import Any

import pandas as pd

from ..execution.remote import Remote
from ..graph.types import describe
from .pictures import table_head, value_picture_html

LINEAGE_SHOWN = 20  # names of upstream/downstream nodes shown before "… and N more"


@dataclasses.dataclass
class NodeDetails:
    """Everything about one node; renders as text and HTML."""

    session: Any  # the Session it describes
    name: str

    def _held(self) -> tuple[bool, Any]:
        """(whether there is a value, the value or its handle): the bound input or the cached result."""
        engine, node = self.session.engine, self.session.graph.get(self.name)
        if node.is_external_input:
            return True, engine.inputs.get(self.name, engine.config.get(self.name))
        entry = engine.cache.get(self.name)
        return (True, entry.value) if entry else (False, None)

    def _look(self) -> tuple[str, str]:
        """(preview text, picture or table head as HTML) of the value, made where the value is:
        a value kept on a cluster is not brought here to be shown."""
        has, value = self._held()
        if not has:
            return "", ""
        if not isinstance(value, Remote):
            return look(value)
        if not value.alive():
            return "(its Dask cluster is gone: the next execute that needs it computes it again)", ""
        return value.apply(look)

    def fields(self, looked: tuple[str, str] | None = None) -> dict[str, Any]:
        """Every field, by name (``looked``: the value's preview and picture, when made already)."""
        graph, engine = self.session.graph, self.session.engine
        node = graph.get(self.name)
        state = engine.states()[self.name]  # brings versions up to date (globals, bindings, lost values)
        entry = engine.cache.get(self.name)
        params = ", ".join(f"{p}: {describe(d.type)}" + ("" if d.required else " = …")
                           for p, d in node.dependencies.items())
        try:
            source = inspect.getsource(node.function) if node.function else ""
        except (OSError, TypeError):
            source = ""
        error = engine.errors.get(self.name)
        warnings = engine.warnings.get(self.name, [])
        return {
            "name": node.name,
            "signature": f"{node.name}({params}) -> {describe(node.type)}",
            "module": node.module or "(external input)",
            "state": state,
            "doc": node.doc,
            "tags": dict(node.tags),
            "upstream": sorted(graph.upstream_of(self.name)),
            "downstream": sorted(graph.downstream_of(self.name)),
            "last compute (ms)": round(entry.seconds * 1000, 3) if entry else None,
            "value": self._value_text(state, entry is not None or node.is_external_input, entry, looked),
            "error": error[1] if error else "",
            "tracking": engine.tracking(self.name),
            "checks": "\n".join([f"warning: {w}" for w in warnings] + [f"check: {c}" for c in node.checks]),
            "source": source.rstrip(),
        }

    def _value_text(self, state: str, has: bool, entry: Any, looked: tuple[str, str] | None) -> str:
        if not has:
            return ("(evicted: the next execute that needs it loads it from the persistent cache or computes it "
                    "again)") if state == "evicted" else "(not computed)"
        text = "" if state in ("fresh", "input", "untracked") else "(out of date: from before the last change)\n"
        if entry is not None and isinstance(entry.value, Remote):
            text += "(kept on the Dask cluster)\n"
        return text + (looked or self._look())[0]

    def _shown(self, looked: tuple[str, str] | None = None):
        """(field, text) for every field that has something to say; long lineages cut short."""
        for key, value in self.fields(looked).items():
            if value in ("", [], {}, None):
                continue
            if isinstance(value, list):
                more = f" … and {len(value) - LINEAGE_SHOWN} more" if len(value) > LINEAGE_SHOWN else ""
                yield key, ", ".join(value[:LINEAGE_SHOWN]) + more
            else:
                yield key, str(value)

    def __repr__(self) -> str:
        return "\n".join(f"{key}: " + ("\n    " + text.replace("\n", "\n    ") if "\n" in text else text)
                         for key, text in self._shown())

    def _repr_html_(self) -> str:
        """A table of the fields; the value also as a picture (a Series) or a table head (a DataFrame)."""
        rows = []
        looked = self._look()
        for key, text in self._shown(looked):
            text = html.escape(text)
            cell = f"<pre style='margin:0;white-space:pre;overflow-x:auto'>{text}</pre>" if "\n" in text else text
            if key == "signature":
                cell = text = unbroken_signature(text)
            if key == "value":
                picture = looked[1]
                if picture.startswith("<table"):  # a DataFrame: its summary line, then the table head
                    lines = text.split("\n")
                    summary = lines[:next(i for i, line in enumerate(lines) if line.startswith("pd.DataFrame")) + 1]
                    cell = "".join(f"<div>{line}</div>" for line in summary) + picture
                else:
                    cell = picture + cell
            th = "<th style='text-align:left;vertical-align:top;white-space:nowrap'"
            td = "<td style='text-align:left;overflow-wrap:normal;word-break:normal'"
            if cell != text:  # a block (picture, table, code): the full width, under its name
                rows.append(f"<tr>{th} colspan='2'>{key}</th></tr><tr>{td} colspan='2'>{cell}</td></tr>")
            else:
                rows.append(f"<tr>{th}>{key}</th>{td}>{cell}</td></tr>")
        return "<table>" + "".join(rows) + "</table>"


def unbroken_signature(text: str) -> str:
    """An escaped signature that wraps only between parameters: never inside ``-> pd.Series``
    or ``name: type`` (a browser may break after any hyphen)."""
    head, arrow, returned = text.rpartition(" -&gt; ")
    if not arrow:
        return text
    name, _, params = head.partition("(")
    keep = "<span style='white-space:nowrap'>{}</span>".format
    parts = [keep(p) for p in params[:-1].split(", ")] if params[:-1] else []
    return f"{name}(<wbr>" + ", ".join(parts) + ") " + keep(f"-&gt; {returned}")


def look(value: Any) -> tuple[str, str]:
    """(preview text, HTML picture — a table head for a DataFrame) of a value."""
    if isinstance(value, pd.DataFrame):
        return preview(value), table_head(value)
    return preview(value), value_picture_html(value)


def preview(value: Any, rows: int = 5) -> str:
    """A short description of a value: head, dtype, length and nulls for pandas objects."""
    if isinstance(value, pd.Series):
        return (f"pd.Series dtype={value.dtype} length={len(value)} nulls={int(value.isna().sum())}\n"
                + value.head(rows).to_string())
    if isinstance(value, pd.DataFrame):
        return (f"pd.DataFrame {value.shape[0]} rows × {value.shape[1]} columns, "
                f"nulls={int(value.isna().sum().sum())}\n" + value.head(rows).to_string())
    text = repr(value)
    return text if len(text) < 300 else text[:300] + " …"
