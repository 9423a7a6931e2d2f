"""The table ``%hamilton_status`` shows: the session's status frame, whose HTML names each node.

It stays a DataFrame (``rows = %hamilton_status`` can be filtered as before) and its text is the
frame's own; only its HTML differs: each name cell carries ``data-hamilton-node``, which the
notebook extension makes a link to the defining cell (no guessing at which column holds names).
"""
from __future__ import annotations

import html
import re

import pandas as pd

_ROW = re.compile(r"(<tr>\s*<th>[^<]*</th>\s*)<td>([^<]*)</td>")


class StatusTable(pd.DataFrame):
    """A status frame whose HTML marks each row's node name (see the module docstring)."""

    @property
    def _constructor(self):
        return pd.DataFrame  # a filtered or sliced table is a plain frame again

    def _repr_html_(self) -> str | None:
        found = super()._repr_html_()
        if found is None or list(self.columns[:1]) != ["node"]:
            return found
        return _ROW.sub(lambda m: f'{m.group(1)}<td data-hamilton-node="{html.escape(html.unescape(m.group(2)))}">'
                                  f"{m.group(2)}</td>", found)
