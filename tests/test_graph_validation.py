"""Functions → nodes, and every mistake the graph rejects when it is built."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from hamilton_nb import driver
from hamilton_nb.errors import GraphError
from hamilton_nb.function_modifiers.nodes import nodes_from_functions
from hamilton_nb.graph import FunctionGraph, functions_of_module


def names(dr) -> set[str]:
    return {v["name"] for v in dr.list_available_variables()}


def build_error(*modules) -> str:
    with pytest.raises(GraphError) as info:
        driver.Driver({}, *modules)
    return str(info.value)


# ---- which functions become nodes ----------------------------------------------------------

def test_public_functions_of_the_module_are_nodes_and_their_parameters_inputs(make_module):
    make_module("helpers", """
        def shared_helper(x: int) -> int:
            return x
    """)
    features = make_module("features", """
        import math
        from math import sqrt
        from helpers import shared_helper
        import helpers

        LIMIT = 3

        def _clip(x):
            return min(x, LIMIT)

        def clipped(x: int) -> int:
            return _clip(x)

        def root(clipped: int) -> float:
            return sqrt(clipped) + shared_helper(0) + math.floor(0.5)

        alias_of_root = root
    """)
    dr = driver.Driver({"x": 9}, features)
    assert names(dr) == {"x", "clipped", "root"}
    assert dr.what_is_upstream_of("root") == ["clipped", "x"]
    assert dr.raw_execute(["clipped", "root"]) == {"clipped": 3, "root": 3 ** 0.5}


def test_functions_wrapped_by_a_decorator_keep_their_signature(make_module):
    mod = make_module("wrapped", '''
        import functools

        def _logged(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)
            return wrapper

        @_logged
        def doubled(spend: int, factor: int = 2) -> int:
            """Twice the spend."""
            return spend * factor
    ''')
    dr = driver.Driver({"spend": 4}, mod)
    assert dr.what_is_upstream_of("doubled") == ["factor", "spend"]
    assert dr.raw_execute(["doubled"]) == {"doubled": 8}
    assert [v["doc"] for v in dr.list_available_variables() if v["name"] == "doubled"] == ["Twice the spend."]


def test_docstring_is_the_node_doc(make_module):
    mod = make_module("documented", '''
        def spend(raw: int) -> int:
            """Weekly spend.

            In dollars.
            """
            return raw

        def undocumented(spend: int) -> int:
            return spend
    ''')
    docs = {v["name"]: v["doc"] for v in driver.Driver({}, mod).list_available_variables()}
    assert docs["spend"] == "Weekly spend.\n\nIn dollars."
    assert docs["undocumented"] == ""


def test_string_annotations_are_resolved(make_module):
    mod = make_module("future_hints", """
        from __future__ import annotations
        import pandas as pd

        def doubled(spend: pd.Series) -> pd.Series:
            return spend * 2

        def total(doubled: pd.Series) -> int:
            return int(doubled.sum())
    """)
    dr = driver.Driver({"spend": pd.Series([1, 2])}, mod)
    assert dr.raw_execute(["total"]) == {"total": 6}


def test_string_annotations_still_type_check(make_module):
    mod = make_module("future_mismatch", """
        from __future__ import annotations
        import pandas as pd

        def spend() -> int:
            return 1

        def doubled(spend: pd.Series) -> pd.Series:
            return spend * 2
    """)
    assert "expects spend: pd.Series" in build_error(mod)


# ---- missing or unusable signatures ---------------------------------------------------------

@pytest.mark.parametrize("source, param", [
    ("def spend_per_signup(spend, signups: int) -> float: ...", "`spend`"),
    ("def spend_per_signup(spend: int, signups) -> float: ...", "`signups`"),
    ("def spend_per_signup(spend: int, *, signups) -> float: ...", "`signups`"),
    ("def spend_per_signup(spend: int, signups: int): ...", "return type"),
])
def test_missing_annotation_names_function_parameter_and_fix(make_module, source, param):
    message = build_error(make_module("hints", source))
    assert "`spend_per_signup`" in message and "module `hints`" in message
    assert param in message
    assert "Fix: annotate" in message


def test_unresolvable_string_annotation_is_reported(make_module):
    mod = make_module("bad_hint", """
        from __future__ import annotations

        def spend(raw: NotImported) -> int:
            return raw
    """)
    message = build_error(mod)
    assert "`spend` in module `bad_hint`" in message and "NotImported" in message
    assert "Fix: import" in message


@pytest.mark.parametrize("source, words", [
    ("async def spend(raw: int) -> int:\n    return raw", ["async", "Fix:"]),
    ("def spend(raw: int) -> int:\n    yield raw", ["generator", "Fix:"]),
    ("def spend(*raw: int) -> int:\n    return 1", ["*args", "Fix:"]),
    ("def spend(**raw: int) -> int:\n    return 1", ["**kwargs", "Fix:"]),
    ("def spend(raw: int, /) -> int:\n    return raw", ["positional-only", "Fix:"]),
])
def test_functions_that_cannot_be_nodes_are_rejected(make_module, source, words):
    message = build_error(make_module("odd", source))
    assert "`spend`" in message and "module `odd`" in message
    assert all(word in message for word in words)


# ---- duplicates, cycles ---------------------------------------------------------------------

def test_duplicate_names_across_modules_name_both_origins(make_module):
    first = make_module("marketing", "def spend(raw: int) -> int:\n    return raw")
    second = make_module("finance", "def spend(raw: int) -> int:\n    return raw * 2")
    message = build_error(first, second)
    assert "`spend`" in message
    assert "module `marketing`" in message and "module `finance`" in message
    assert "Fix: rename" in message


def _spelled_cycles(*nodes: str) -> set[str]:
    """Every rotation of ``nodes`` written ``a → b → c → a``."""
    return {" → ".join(nodes[i:] + nodes[:i] + nodes[i:i + 1]) for i in range(len(nodes))}


def test_cycle_is_spelled_out_at_build_time(make_module, calls):
    mod = make_module("loop", """
        from modules import calls

        def a(c: int) -> int:
            calls.hit()
            return c

        def b(a: int) -> int:
            calls.hit()
            return a

        def c(b: int) -> int:
            calls.hit()
            return b

        def fine(x: int) -> int:
            calls.hit()
            return x
    """)
    message = build_error(mod)  # at construction: nothing ran, no RecursionError later
    assert any(spelled in message for spelled in _spelled_cycles("a", "b", "c")), message
    assert "fine" not in message
    assert "module `loop`" in message and "Fix:" in message
    assert calls == []


def test_cycle_across_modules_names_each_module(make_module):
    one = make_module("one", "def a(c: int) -> int:\n    return c\n\ndef b(a: int) -> int:\n    return a")
    two = make_module("two", "def c(b: int) -> int:\n    return b")
    message = build_error(one, two)
    assert any(spelled in message for spelled in _spelled_cycles("a", "b", "c")), message
    assert "`one`" in message and "`two`" in message


def test_self_dependency(make_module):
    message = build_error(make_module("selfish", "def spend(spend: int) -> int:\n    return spend"))
    assert "`spend`" in message and "module `selfish`" in message
    assert "depends on itself" in message and "Fix:" in message


# ---- edge types -----------------------------------------------------------------------------

def test_type_mismatch_message(make_module):
    mod = make_module("seed", """
        import pandas as pd

        def spend() -> int:
            return 1

        def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
            return spend / signups
    """)
    message = build_error(mod)
    plain = re.sub(r" \(module `seed`\)", "", message).replace("`", "")
    assert "spend_per_signup expects spend: pd.Series but spend returns int" in plain
    assert "module `seed`" in message and "Fix:" in message


def test_type_mismatch_across_modules_names_both(make_module):
    producer = make_module("producer", "def spend() -> int:\n    return 1")
    consumer = make_module("consumer", """
        import pandas as pd

        def doubled(spend: pd.Series) -> pd.Series:
            return spend * 2
    """)
    for order in [(producer, consumer), (consumer, producer)]:
        message = build_error(*order)
        assert "`doubled` (module `consumer`)" in message
        assert "`spend` (module `producer`) returns int" in message


def test_conflicting_hints_for_one_external_input(make_module):
    mod = make_module("conflict", """
        import pandas as pd

        def doubled(spend: pd.Series) -> pd.Series:
            return spend * 2

        def label(spend: str) -> str:
            return spend.upper()
    """)
    message = build_error(mod)
    assert "`spend`" in message and "`doubled` (module `conflict`)" in message and "`label`" in message
    assert "pd.Series" in message and "str" in message and "Fix:" in message


# ---- a rejected change changes nothing --------------------------------------------------------

def test_rejected_module_leaves_the_graph_as_it_was(make_module):
    graph = FunctionGraph()
    good = make_module("good", "def a(x: int) -> int:\n    return x\n\ndef b(a: int) -> int:\n    return a")
    bad = make_module("bad", "def x(b: int) -> int:\n    return b")  # closes x → a → b → x
    graph.replace_module("good", nodes_from_functions(functions_of_module(good), "good"))
    before = (set(graph.nodes), set(graph.dag.edges), dict(graph.modules))
    with pytest.raises(GraphError, match="Cycle"):
        graph.replace_module("bad", nodes_from_functions(functions_of_module(bad), "bad"))
    assert (set(graph.nodes), set(graph.dag.edges), dict(graph.modules)) == before
    assert graph.topological_order() == ["x", "a", "b"]
