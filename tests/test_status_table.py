"""``%hamilton_status``'s table: its HTML names each node for the notebook extension; its text and
what a filter returns are the plain frame's."""
from __future__ import annotations

import re

import pandas as pd

from hamilton_nb.notebook.status_table import StatusTable
from hamilton_nb.session import Session

CELL = '''
def total(spend: int) -> int:
    return spend + 1

def doubled(total: int) -> int:
    return total * 2
'''


def status() -> pd.DataFrame:
    session = Session()
    session.register_cell(CELL, "shop", {})
    return session.status()


def test_each_name_cell_carries_its_node():
    table = StatusTable(status())
    marked = re.findall(r'<td data-hamilton-node="([^"]+)">([^<]+)</td>', table._repr_html_())
    assert marked == [("spend", "spend"), ("total", "total"), ("doubled", "doubled")]
    assert table._repr_html_().count("data-hamilton-node") == 3  # only the name column


def test_its_text_and_its_filters_are_the_plain_frames():
    plain = status()
    table = StatusTable(plain)
    assert repr(table) == repr(plain)
    stale = table.loc[table.state == "not computed"]
    assert type(stale) is pd.DataFrame and "data-hamilton-node" not in stale._repr_html_()
