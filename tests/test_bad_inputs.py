"""A catalog of mistakes typed into a real notebook: each one must be told clearly, and cost nothing.

Every case runs through the real magics in an IPython shell, on top of a small session
that has been computed once (``BASELINE``). Each asserts that

(a) what IPython shows names the function / cell, says how to fix it, and shows no
    hamilton_nb frames (errors render themselves via ``_render_traceback_``);
(b) the session is unchanged: modules, node fingerprints, states, cached values (their
    versions and the very objects), inputs, config, and the notebook's functions —
    except for the state change a case legitimately causes (a node that raised is "error").
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import types

import pytest

import hamilton_nb
from ipython_shell import ip  # noqa: F401  (fixture)

HAMILTON_DIR = os.path.dirname(hamilton_nb.__file__)

BASELINE = [
    """
    %%hamilton base
    def a(x: pd.Series) -> pd.Series:
        \"\"\"x plus one.\"\"\"
        return x + 1

    def b(a: pd.Series, scale: float = 2.0) -> pd.Series:
        return a * scale

    def total(b: pd.Series) -> float:
        return float(b.sum())
    """,
    """
    %%hamilton extra
    def c(b: pd.Series) -> pd.Series:
        return b - 1
    """,
    "x = pd.Series([1.0, 2.0, 3.0])",
    "%hamilton_inputs x=x",
    "%hamilton_execute a b total",
]


@dataclasses.dataclass
class Case:
    id: str
    cell: str
    says: tuple[str, ...]  # the message must contain all of these (names, what went wrong)
    hint: str = "Fix"  # … and this, the fix
    setup: tuple[str, ...] = ()
    changes: dict = dataclasses.field(default_factory=dict)  # node -> the state it may move to
    xfail: str | None = None


def hamilton(module_and_flags: str, body: str) -> str:
    return f"%%hamilton {module_and_flags}\n{body}"


LONG_CELL = "".join(f"def f{i}({'a' if i == 0 else f'f{i - 1}'}: pd.Series) -> pd.Series:\n"
                    f"    return {'a' if i == 0 else f'f{i - 1}'} + 1\n\n" for i in range(299)) + \
    "def f299(f298: pd.Series):\n    return f298\n"

CASES = [
    # ---- %%hamilton cells the graph rejects ----
    Case("syntax error in a new cell", hamilton("feat", "def c2(a: pd.Series) -> pd.Series:\n    return a +\n"),
         ("Syntax error", "feat", "line 2")),
    Case("syntax error re-running an existing cell", hamilton("base", "def a(x: pd.Series) -> pd.Series:\n"
                                                                      "    return x +\n"), ("Syntax error", "base")),
    Case("cycle within a cell", hamilton("loop", "def p(q: pd.Series) -> pd.Series:\n    return q\n\n"
                                                 "def q(p: pd.Series) -> pd.Series:\n    return p\n"),
         ("Cycle", "p → q", "loop")),
    Case("cycle across cells", hamilton("loop", "def scale(total: float) -> float:\n    return total\n"),
         ("Cycle", "scale", "total", "b", "base", "loop")),
    Case("self-dependency", hamilton("feat", "def s(s: pd.Series) -> pd.Series:\n    return s\n"),
         ("`s`", "itself", "feat")),
    Case("type mismatch with another cell", hamilton("feat", "def c2(total: pd.Series) -> pd.Series:\n"
                                                             "    return total\n"),
         ("Type mismatch", "c2", "total", "float", "feat", "base")),
    Case("re-run that breaks a consumer's types", hamilton("base", "def a(x: pd.Series) -> pd.Series:\n"
                                                                   "    return x + 1\n\n"
                                                                   "def b(a: pd.Series) -> float:\n"
                                                                   "    return float(a.sum())\n\n"
                                                                   "def total(b: pd.Series) -> float:\n"
                                                                   "    return float(b.sum())\n"),
         ("Type mismatch", "`b`", "base")),
    Case("missing parameter annotation", hamilton("feat", "def c2(a) -> pd.Series:\n    return a\n"),
         ("c2", "`a`", "no type hint", "feat")),
    Case("missing return annotation", hamilton("feat", "def c2(a: pd.Series):\n    return a\n"),
         ("c2", "return type hint", "feat")),
    Case("unresolvable string annotation", hamilton("feat", "def c2(a: 'Nope') -> pd.Series:\n    return a\n"),
         ("c2", "Nope")),
    Case("*args parameters", hamilton("feat", "def c2(*args: pd.Series) -> pd.Series:\n    return args[0]\n"),
         ("c2", "*args", "feat")),
    Case("decorator without functools.wraps", hamilton("feat", "@logged\ndef c2(a: pd.Series) -> pd.Series:\n"
                                                                "    return a\n"),
         ("Function `c2` in module `feat` is wrapped by `logged`", "wrapper(*args, **kwargs)",
          "`@functools.wraps(fn)` on the line above `def wrapper(...)`"),
         setup=("def logged(fn):\n    def wrapper(*args, **kwargs):\n        return fn(*args, **kwargs)\n"
                "    return wrapper",)),
    Case("duplicate name across cells", hamilton("feat", "def a(x: pd.Series) -> pd.Series:\n    return x\n"),
         ("`a`", "feat", "base")),
    Case("duplicate name within a cell", hamilton("feat", "def c2(a: pd.Series) -> pd.Series:\n    return a\n\n"
                                                          "def c2(b: pd.Series) -> pd.Series:\n    return b\n"),
         ("c2", "twice", "feat")),
    Case("function named like a bound input", hamilton("feat", "def x() -> pd.Series:\n"
                                                               "    return pd.Series([5.0, 6.0, 7.0])\n"),
         ("`x`", "input", "feat")),
    Case("lambda in a cell", hamilton("feat", "f = lambda a: a\n\ndef c2(a: pd.Series) -> pd.Series:\n    return a\n"),
         ("lambda", "`f`")),
    Case("async def in a cell", hamilton("feat", "async def c2(a: pd.Series) -> pd.Series:\n    return a\n"),
         ("c2", "async")),
    Case("generator in a cell", hamilton("feat", "def c2(a: pd.Series) -> pd.Series:\n    yield a\n"),
         ("c2", "generator")),
    Case("class in a cell", hamilton("feat", "class Thing:\n    pass\n\ndef c2(a: pd.Series) -> pd.Series:\n"
                                             "    return a\n"), ("Thing", "class")),
    Case("cell with no functions", hamilton("feat", "z = 1\n"), ("defines no functions",)),
    Case("very long cell, one mistake at the end", hamilton("long", LONG_CELL), ("f299", "return type hint", "long")),
    Case("unicode name with a type mismatch", hamilton("feat", "def größe(total: pd.Series) -> pd.Series:\n"
                                                               "    return total\n"), ("größe", "Type mismatch")),
    Case("function shadowing a Python builtin", hamilton("feat", "def sum(a: pd.Series) -> pd.Series:\n"
                                                                 "    return a\n"), ("`sum`", "builtin")),
    Case("function shadowing a notebook name", hamilton("feat", "def pd(a: pd.Series) -> pd.Series:\n"
                                                                "    return a\n"), ("`pd`", "feat")),
    Case("top-level statement that raises", hamilton("feat", "import nonexistent_module\n\n"
                                                             "def c2(a: pd.Series) -> pd.Series:\n    return a\n"),
         ("feat", "nonexistent_module")),
    Case("-c names an undefined variable", hamilton("feat -c nope", "def c2(a: pd.Series) -> pd.Series:\n"
                                                                    "    return a\n"), ("nope", "not defined")),
    Case("-c with malformed JSON", hamilton("feat -c '{a: 1}'", "def c2(a: pd.Series) -> pd.Series:\n"
                                                                "    return a\n"), ("malformed JSON",)),
    # ---- line magics ----
    Case("execute an unknown column", "%hamilton_execute totl", ("Unknown", "totl", "`total`"), hint="Did you mean"),
    Case("execute a misspelt unicode column", "%hamilton_execute grösse", ("grösse", "`größe`"),
         hint="Did you mean", setup=(hamilton("feat", "def größe(a: pd.Series) -> pd.Series:\n    return a\n"),)),
    Case("execute with nothing named", "%hamilton_execute", ("Nothing to execute",)),
    Case("missing inputs", "%hamilton_execute c2", ("Missing inputs", "y", "c2"),
         setup=(hamilton("feat", "def c2(y: pd.Series, a: pd.Series) -> pd.Series:\n    return y + a\n"),)),
    Case("input of the wrong type for one execute", "%hamilton_execute a -i x=5", ("`x`", "int", "pd.Series")),
    Case("input of the wrong type bound", "%hamilton_inputs x=5", ("`x`", "int", "pd.Series")),
    Case("-i names an undefined variable", "%hamilton_execute a -i x=nope", ("-i/--inputs", "nope", "not defined")),
    Case("-i is not a mapping", "%hamilton_execute a -i [1,2]", ("-i/--inputs", "list"), hint="a dict"),
    Case("-o names an undefined variable", "%hamilton_execute b -o a=nope", ("-o/--overrides", "nope")),
    Case("-o names an unknown node", "%hamilton_execute b -o zz=1", ("override", "zz")),
    Case("%hamilton_inputs names an undefined variable", "%hamilton_inputs x=nope", ("nope", "not defined")),
    Case("malformed JSON config", '%hamilton_config {"a": }', ("%hamilton_config", "malformed JSON")),
    Case("config that is not an object", "%hamilton_config [1]", ("%hamilton_config", "list"), hint="dict"),
    Case("a node that raises", "%hamilton_execute boom", ("`boom`", "feat", "NameError", "undefined_name"),
         setup=(hamilton("feat", "def boom(a: pd.Series) -> pd.Series:\n    return a / undefined_name\n"),),
         changes={"boom": "error"}),
    Case("a node that returns the wrong type (strict types)", "%hamilton_execute wrong",
         ("`wrong`", "feat", "returned a float"),
         setup=("import hamilton_nb\nhamilton_nb.get_session().strict_types = True",
                hamilton("feat", "def wrong(a: pd.Series) -> pd.Series:\n    return 1.0\n"),),
         changes={"wrong": "error"}),
    Case("a node that returns a Series on another index", "%hamilton_execute a shifted",
         ("`shifted`", "`a`", "indexes differ"),
         setup=(hamilton("feat", "def shifted(a: pd.Series) -> pd.Series:\n    return a.set_axis([10, 11, 12])\n"),),
         changes={"shifted": "fresh"}),
    Case("KeyboardInterrupt during execute", "%hamilton_execute halt", ("Interrupted", "`halt`", "feat"),
         setup=(hamilton("feat", "def halt(b: pd.Series) -> pd.Series:\n    raise KeyboardInterrupt\n"),)),
    Case("drop a module that does not exist", "%hamilton_drop nosuch", ("`nosuch`", "base")),
    Case("show an unknown node", "%hamilton_show totl", ("totl", "`total`"), hint="Did you mean"),
]


# ---- the snapshot: everything a bad input must leave alone --------------------------------------

def snapshot(notebook) -> dict:
    session = hamilton_nb.get_session()
    cache = session.engine.cache
    return {
        "modules": {m: list(names) for m, names in session.graph.modules.items()},
        "nodes": {n: (node.module, node.fingerprint) for n, node in session.graph.nodes.items()},
        "states": session.states(),
        "cache": {n: (cache.get(n).version, id(cache.get(n).value)) for n in cache},
        "inputs": {n: id(v) for n, v in session.inputs.items()},
        "config": repr(session.config),
        "functions": {k: v for k, v in notebook.ns.items() if isinstance(v, types.FunctionType)},
        "names": {k for k in notebook.ns if not k.startswith("_")},
    }


def shown_text_is_clear(ran, case: Case) -> None:
    out = ran.out
    assert ran.error is not None, f"no error for {case.id}:\n{out}"
    for text in case.says:
        assert text in out, f"{text!r} missing from:\n{out}"
    assert case.hint in out, f"no fix hint ({case.hint!r}) in:\n{out}"
    assert HAMILTON_DIR not in out and "run_line_magic" not in out and "run_cell_magic" not in out, \
        f"framework frames shown:\n{out}"


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(reason=c.xfail, strict=True)]
                                               if c.xfail else []) for c in CASES])
def test_bad_input_is_explained_and_changes_nothing(ip, case):  # noqa: F811
    for cell in (*BASELINE, *case.setup):
        ip.ok(cell)
    before = snapshot(ip)
    ran = ip.run(case.cell)
    shown_text_is_clear(ran, case)
    after = snapshot(ip)
    for node, state in case.changes.items():
        before["states"][node] = state
        if state == "fresh":  # it was computed, validly: its value is new
            before["cache"].pop(node, None)
            after["cache"].pop(node, None)
    assert after == before


def test_the_catalog_is_long_enough():
    assert len(CASES) >= 30


def test_magic_before_load_ext_says_it_is_unknown_and_changes_nothing(ip):  # noqa: F811
    for cell in BASELINE:
        ip.ok(cell)
    before = snapshot(ip)
    magics = ip.shell.magics_manager.magics
    saved = magics["cell"].pop("hamilton"), magics["line"].pop("hamilton_execute")
    errors = io.StringIO()  # IPython prints usage errors to stderr
    try:
        with contextlib.redirect_stderr(errors):
            cell = ip.run(hamilton("feat", "def c2(a: pd.Series) -> pd.Series:\n    return a\n"))
            line = ip.run("%hamilton_execute a")
    finally:
        magics["cell"]["hamilton"], magics["line"]["hamilton_execute"] = saved
    shown = errors.getvalue() + cell.out + line.out
    assert cell.error is not None and line.error is not None
    assert "`%%hamilton` not found" in shown and "`%hamilton_execute` not found" in shown
    assert HAMILTON_DIR not in shown
    assert snapshot(ip) == before


def test_interrupted_execute_finishes_on_the_next_run(ip):  # noqa: F811
    ip.ok("stop = [True]")
    for cell in BASELINE:
        ip.ok(cell)
    ip.ok(hamilton("feat", "def d(b: pd.Series) -> pd.Series:\n    return b + 1\n\n"
                           "def halt(d: pd.Series) -> pd.Series:\n"
                           "    if stop[0]:\n        raise KeyboardInterrupt\n    return d\n"))
    ran = ip.run("%hamilton_execute halt")
    assert isinstance(ran.error, KeyboardInterrupt)
    assert "`halt`" in ran.out and "1 node(s) finished" in ran.out
    states = hamilton_nb.get_session().states()
    assert states["d"] == "fresh" and states["halt"] != "fresh"
    ip.ok("stop[0] = False")
    frame = ip.ok("%hamilton_execute halt -v").value
    assert list(frame["halt"]) == [5.0, 7.0, 9.0]
    assert set(hamilton_nb.get_session().last_report.computed) == {"halt"}
