"""Decorated functions in ``%%hamilton`` cells, typed into a real IPython shell (issue 5).

Edits to decorator arguments recompute exactly the affected nodes; ``%hamilton_config``
swaps ``@config.when`` implementations and makes exactly their downstream stale.
Node bodies count their calls with ``calls.hit()`` (see ipython_shell.py).
"""
from __future__ import annotations

import pytest

from hamilton_nb.errors import GraphError
from ipython_shell import ip  # noqa: F401  (ip is a fixture)

IMPORTS = """
import pandas as pd
from hamilton_nb.function_modifiers import (check_output, config, extract_columns, parameterize,
    parameterize_values, source, tag, value)
spend = pd.Series([10.0, 10, 20, 40, 40, 50])
signups = pd.Series([1.0, 10, 50, 100, 200, 400])
"""


def computed(out: str) -> set[str]:
    return {line.split()[1] for line in out.splitlines() if line.strip().startswith("computed ")}


def parameterized_cell(a: int, b: int, doc: str = "Spend times {factor}.") -> str:
    return f'''
%%hamilton features
@parameterize(spend_a={{"factor": value({a})}}, spend_b={{"factor": value({b})}},
              signups_a={{"series": source("signups"), "factor": value({a})}})
def scaled(series: pd.Series, factor: int) -> pd.Series:
    """{doc}"""
    calls.hit()
    return series * factor

def total_a(spend_a: pd.Series, signups_a: pd.Series) -> pd.Series:
    calls.hit()
    return spend_a + signups_a

def total_b(spend_b: pd.Series) -> pd.Series:
    calls.hit()
    return spend_b
'''


@pytest.fixture
def notebook(ip):  # noqa: F811
    ip.ok(IMPORTS)
    ip.ok("%hamilton_inputs series=spend signups=signups")
    return ip


def test_editing_a_value_recomputes_exactly_the_outputs_that_use_it(notebook):
    notebook.ok(parameterized_cell(2, 3))
    first = notebook.ok("%hamilton_execute total_a total_b -v")
    assert computed(first.out) == {"spend_a", "spend_b", "signups_a", "total_a", "total_b"}

    edit = notebook.ok(parameterized_cell(2, 4))
    assert "changed: spend_b" in edit.out and "now stale: " in edit.out
    assert notebook.states()["total_a"] == "fresh" and notebook.states()["total_b"] == "stale"
    calls = notebook.counted("%hamilton_execute total_a total_b")
    assert calls == {"scaled": 1, "total_b": 1}
    assert notebook.ok("%hamilton_execute total_b").value["total_b"].tolist() == [40.0, 40, 80, 160, 160, 200]


def test_editing_the_docstring_template_recomputes_nothing(notebook):
    notebook.ok(parameterized_cell(2, 3))
    notebook.ok("%hamilton_execute total_a total_b")
    notebook.ok(parameterized_cell(2, 3, doc="{output_name}: {series} times {factor}."))
    assert notebook.counted("%hamilton_execute total_a total_b") == {}
    shown = repr(notebook.ok("%hamilton_show signups_a").value)
    assert "signups_a: signups times 2." in shown and "def scaled" in shown


def test_decorated_functions_stay_callable_in_the_notebook(notebook):
    notebook.ok(parameterized_cell(2, 3))
    assert notebook.ok("scaled(pd.Series([1, 2]), 10).tolist()").value == [10, 20]


EXTRACT = '''
%%hamilton frames
@extract_columns({columns})
def multiples(spend: pd.Series) -> pd.DataFrame:
    calls.hit()
    return pd.DataFrame({{"double": spend * 2, "triple": spend * {k}}})

def six_times(double: pd.Series, triple: pd.Series) -> pd.Series:
    calls.hit()
    return double + triple

def unrelated(signups: pd.Series) -> pd.Series:
    calls.hit()
    return signups
'''


def test_extracted_columns_recompute_only_what_an_edit_touches(notebook):
    notebook.ok("%hamilton_inputs spend=spend")
    notebook.ok(EXTRACT.format(columns='"double", "triple"', k=3))
    notebook.ok("%hamilton_execute six_times unrelated")
    # a new column to extract: only that column node runs (the frame is still fresh)
    notebook.ok(EXTRACT.format(columns='"double", "triple", ("quad", "not produced")', k=3))
    assert notebook.counted("%hamilton_execute six_times unrelated") == {}
    # editing the function body: the frame, both columns and their consumer, nothing else
    notebook.ok(EXTRACT.format(columns='"double", "triple"', k=4))
    states = notebook.states()
    assert [states[n] for n in ("multiples", "double", "triple", "six_times", "unrelated")] == \
        ["stale", "stale", "stale", "stale", "fresh"]
    ran = notebook.ok("%hamilton_execute six_times unrelated -v")
    assert computed(ran.out) == {"multiples", "double", "triple", "six_times"}


def test_a_missing_column_fails_with_the_function_and_column_named(notebook):
    notebook.ok("%hamilton_inputs spend=spend")
    notebook.ok(EXTRACT.format(columns='"double", "quad"', k=3))
    ran = notebook.run("%hamilton_execute quad")
    assert ran.error is not None
    message = str(ran.error)
    assert "`multiples`" in message and "'quad'" in message and "Fix:" in message


CONFIGURED = '''
%%hamilton regions
@config.when(region="us")
def adjusted__us(spend: pd.Series) -> pd.Series:
    calls.hit()
    return spend * 1.1

@config.when_not(region="us")
def adjusted__other(spend: pd.Series) -> pd.Series:
    calls.hit()
    return spend * 0.9

def per_signup(adjusted: pd.Series, signups: pd.Series) -> pd.Series:
    calls.hit()
    return adjusted / signups

def unrelated(signups: pd.Series) -> pd.Series:
    calls.hit()
    return signups * 2
'''


def test_config_changes_swap_implementations_and_stale_exactly_downstream(notebook):
    notebook.ok("%hamilton_inputs spend=spend")
    notebook.ok('%hamilton_config {"region": "us"}')
    notebook.ok(CONFIGURED)
    assert notebook.counted("%hamilton_execute per_signup unrelated") == \
        {"adjusted__us": 1, "per_signup": 1, "unrelated": 1}

    notebook.ok('%hamilton_config {"region": "uk"}')
    states = notebook.states()
    assert (states["adjusted"], states["per_signup"], states["unrelated"]) == ("stale", "stale", "fresh")
    assert notebook.counted("%hamilton_execute per_signup unrelated") == {"adjusted__other": 1, "per_signup": 1}

    notebook.ok('%hamilton_config {"region": "fr"}')  # the same implementation stays active
    assert notebook.states()["per_signup"] == "fresh"
    assert notebook.counted("%hamilton_execute per_signup unrelated") == {}

    shown = repr(notebook.ok("%hamilton_show adjusted").value)
    assert "def adjusted__other" in shown


def test_a_config_that_activates_two_implementations_is_refused_and_changes_nothing(notebook):
    notebook.ok('%hamilton_config {"region": "us"}')
    notebook.ok('''
%%hamilton clash
@config.when(region="us")
def thing__us() -> int:
    return 1

@config.when_in(region=["uk", "fr"])
def thing__eu() -> int:
    return 2

@config.when(region="fr")
def thing__fr() -> int:
    return 3
''')
    ran = notebook.fails('%hamilton_config {"region": "fr"}', GraphError)
    assert "`thing__eu` and `thing__fr`" in str(ran.error) and "Fix:" in str(ran.error)
    assert notebook.ok("%hamilton_config").value == {"region": "us"}
    assert notebook.ok("%hamilton_execute thing").value["thing"].tolist() == [1]


def test_tags_show_in_the_status_table(notebook):
    notebook.ok('''
%%hamilton tagged
@tag(owner="growth")
def tagged(spend: pd.Series) -> pd.Series:
    return spend
''')
    table = notebook.ok("%hamilton_status").value.set_index("node")
    assert table.loc["tagged", "tags"] == "owner=growth"


def test_a_misused_decorator_rejects_the_cell_and_keeps_the_old_one(notebook):
    notebook.ok(parameterized_cell(2, 3))
    broken = parameterized_cell(2, 3).replace('"factor": value(3)', '"facter": value(3)')
    ran = notebook.fails(broken, GraphError)
    assert "`facter`" in str(ran.error) and "`scaled`" in str(ran.error)
    assert notebook.ok("%hamilton_execute total_b").value["total_b"].tolist() == [30.0, 30, 60, 120, 120, 150]



def test_a_failing_warn_check_marks_the_node_in_status(notebook):
    notebook.ok("%hamilton_inputs spend=spend")
    notebook.ok('''
%%hamilton checked
@check_output(range=(0, 30), importance="warn")
def capped(spend: pd.Series) -> pd.Series:
    return spend
''')
    notebook.ok("%hamilton_execute capped")
    row = notebook.ok("%hamilton_status").value.set_index("node").loc["capped"]
    assert "range=(0, 30)" in row["checks"]
