"""How a node's details and a failed check read: a signature that never breaks inside a type or
the arrow, and numbers at a readable precision."""
from __future__ import annotations

import re

import pandas as pd

from hamilton_nb.function_modifiers.checks import _series_range
from test_graph_view import small_session


def test_the_signature_wraps_only_between_parameters():
    session = small_session()
    page = session.show("score")._repr_html_()
    row = re.search(r"<th[^>]*>signature</th><td[^>]*>(.*?)</td>", page).group(1)
    assert re.sub(r"<[^>]+>", "", row) == "score(spend_zscore: pd.Series, spend_per_signup: pd.Series) -&gt; pd.Series"
    unbreakable = re.findall(r"<span style='white-space:nowrap'>(.*?)</span>", row)
    assert unbreakable == ["spend_zscore: pd.Series", "spend_per_signup: pd.Series", "-&gt; pd.Series"]
    assert "score(<wbr>" in row and ") <span" in row  # where it may wrap: after "(" and before the arrow


def test_a_failed_range_check_shows_numbers_at_six_digits():
    ok, message = _series_range((0, 1))(pd.Series([0.123456789012, 2.718281828459045, 1 / 3]))
    assert not ok
    assert message == "1 of 3 values are outside [0, 1] (NaN counts as outside); min=0.123457, max=2.71828"


def test_hamilton_inputs_says_what_it_bound_and_what_turned_stale():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    import hamilton_nb
    from test_graph_view import FEATURES, MODEL, SIGNUPS, SPEND

    shell = InteractiveShell.instance()
    hamilton_nb.load_ipython_extension(shell)
    shell.run_cell("%hamilton_reset")
    shell.user_ns.update(spend_series=SPEND, signups_series=SIGNUPS)
    shell.run_cell("%%hamilton features\n" + FEATURES)
    shell.run_cell("%%hamilton model\n" + MODEL)
    with capture_output() as first:
        shell.run_cell("%hamilton_inputs spend=spend_series signups=signups_series")
    assert first.stdout.strip() == "inputs bound: spend (Series, 6 rows), signups (Series, 6 rows)"
    shell.run_cell("%hamilton_execute score")
    shell.user_ns["more_spend"] = SPEND * 2
    with capture_output() as again:
        shell.run_cell("%hamilton_inputs spend=more_spend")
    assert again.stdout.strip() == ("inputs bound: spend (Series, 6 rows); now stale: avg_3wk_spend, "
                                    "spend_per_signup, spend_zscore, score")
