"""Apache Hamilton's ``@mutate`` on a name defined twice in one module: two steps, as Apache
Hamilton runs them. The same definition applied again (its decorator ran again on a target
that survived) is still refused: a step never applies twice."""
from __future__ import annotations

import pandas as pd
import pytest

from apache_hamilton import hamilton_base, hamilton_driver, marks
from hamilton_nb import driver
from hamilton_nb.errors import GraphError
from ipython_shell import ip  # noqa: F401  (ip is a fixture)

pytestmark = marks("hamilton")

TWO_DEFINITIONS = '''
import pandas as pd
from hamilton.function_modifiers import mutate, value


def prices() -> pd.Series:
    return pd.Series([10.0, 20.0, 30.0])


def volumes() -> pd.Series:
    return pd.Series([1.0, 2.0, 3.0])


@mutate(prices, step_size=value(1.0))
def shifted(x: pd.Series, step_size: float) -> pd.Series:
    return x + step_size


@mutate(volumes)
def scaled(x: pd.Series) -> pd.Series:
    return x * 10


@mutate(prices, step_size=value(5.0))
def shifted(x: pd.Series, step_size: float) -> pd.Series:  # noqa: F811  (a second step, on purpose)
    return x * step_size


def revenue(prices: pd.Series, volumes: pd.Series) -> pd.Series:
    return prices * volumes
'''


def test_a_mutate_name_defined_twice_gives_apache_hamiltons_nodes_and_values(make_module):
    theirs = hamilton_driver.Driver({}, make_module("twice_apache", TWO_DEFINITIONS),
                                    adapter=hamilton_base.SimplePythonGraphAdapter(hamilton_base.DictResult()))
    names = [v.name for v in theirs.list_available_variables() if not v.is_external_input]
    expected = theirs.execute(names)
    dr = driver.Driver({}, make_module("twice_ours", TWO_DEFINITIONS), result="dict")
    assert {v["name"] for v in dr.list_available_variables()} == set(names)
    actual = dr.execute(names)
    for name in names:
        pd.testing.assert_series_equal(actual[name], expected[name], obj=name)
    assert actual["prices"].tolist() == [55.0, 105.0, 155.0]  # (x + 1) * 5: both steps, in order


def test_the_same_mutate_definition_run_again_is_refused(make_module):
    with pytest.raises(GraphError, match="ran again"):
        driver.Driver({}, make_module("again", '''
            import pandas as pd
            from hamilton.function_modifiers import mutate

            def prices() -> pd.Series:
                return pd.Series([10.0, 20.0])

            STEP = compile("@mutate(prices)\\ndef _plus_one(x: pd.Series) -> pd.Series:\\n    return x + 1\\n",
                           __file__, "exec")
            exec(STEP)
            exec(STEP)  # the same cell run again, its target kept
        '''))


def test_a_cell_with_two_definitions_runs_and_reruns_to_the_same_values(ip):
    ip.ns["__name__"] = "__main__"  # as in a real notebook (Apache Hamilton looks functions' module up)
    ip.ok("%%hamilton twice\n" + TWO_DEFINITIONS)
    first = ip.ok("%hamilton_execute prices revenue").value
    assert first["prices"].tolist() == [55.0, 105.0, 155.0]
    ip.ok("%%hamilton twice\n" + TWO_DEFINITIONS)  # re-run: each step still applies once
    pd.testing.assert_frame_equal(ip.ok("%hamilton_execute prices revenue").value, first)
