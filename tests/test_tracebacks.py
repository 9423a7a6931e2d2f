"""A failing node's traceback reads like IPython's own: ``Cell In[n], line k``, the user's frames."""
from __future__ import annotations

import re

import pandas as pd
import pytest

import hamilton_nb
from hamilton_nb import driver
from hamilton_nb.errors import NodeExecutionError
from ipython_shell import ip  # noqa: F401  (ip is a fixture)

FAILING = '''
%%hamilton risky
def _ratio(a, b):
    return a.iloc[b]

def picked(x: pd.Series) -> pd.Series:
    return _ratio(x, 10)

def broken(x: pd.Series) -> pd.Series:
    y = x + 1
    return y / undefined_name
'''


@pytest.fixture
def failing(ip):
    ip.ok(FAILING)
    ip.ok("%hamilton_inputs x=pd.Series([1.0, 2.0])")
    return ip


def test_frames_in_cells_are_labelled_as_ipython_labels_them(failing):
    out = failing.fails("%hamilton_execute broken", NodeExecutionError).out
    assert re.search(r"^  Cell In\[\d+\], line 9, in broken\n    return y / undefined_name$", out, re.M)
    assert "<ipython-input" not in out and 'File "' not in out
    assert "NameError: name 'undefined_name' is not defined" in out


def test_library_frames_under_the_users_are_folded_into_one_line(failing):
    out = failing.fails("%hamilton_execute picked", NodeExecutionError).out
    frames = [line for line in out.splitlines() if line.startswith("  ") and not line.startswith("    ")]
    assert re.fullmatch(r"  Cell In\[\d+\], line 5, in picked", frames[0])
    assert re.fullmatch(r"  Cell In\[\d+\], line 2, in _ratio", frames[1])
    assert re.fullmatch(r"  … \d+ frames? in pandas", frames[2]) and len(frames) == 3
    assert out.rstrip().endswith("IndexError: single positional indexer is out-of-bounds")


def test_the_error_text_is_labelled_too(failing):
    with pytest.raises(NodeExecutionError) as caught:  # e.g. printed by the widget's Execute button
        hamilton_nb.get_session().execute(["broken"])
    assert re.search(r"Cell In\[\d+\], line 9, in broken", str(caught.value))


def test_files_outside_cells_keep_their_paths(ip, make_module):
    module = make_module("failing_module", '''
        import pandas as pd

        def boom(x: pd.Series) -> pd.Series:
            return x / nothing_here
    ''')
    dr = driver.Driver({"x": pd.Series([1.0])}, module)
    with pytest.raises(NodeExecutionError) as caught:
        dr.execute(["boom"])
    assert re.search(r'File ".*failing_module\.py", line 5, in boom', str(caught.value))
