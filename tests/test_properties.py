"""The central promise, as a property: incremental results always equal a from-scratch run.

Hypothesis draws a random DAG of Series and scalar nodes spread over a few ``%%hamilton``
modules, then a random sequence of edits: change a body, change only a docstring/comment,
add, remove (re-run the cell, or ``drop``), rename, move between modules, change input
data, change config (read as an input, and read by ``@config.when``), change a global
constant / a helper / a mutable global a node reads, override a node or an input. After
every step the live session's ``execute`` must equal a brand-new session built from the
current code and inputs, and the nodes it recomputed must be exactly those whose
*model signature* — a pure description of what the value depends on, kept by the test,
never read from the engine — differs from the signature they were last computed at.

A few hundred examples run in ``make test``. The long run::

    HAMILTON_NB_PROPERTY_EXAMPLES=2000 .venv/bin/python -m pytest tests/test_properties.py
"""
from __future__ import annotations

import dataclasses
import os
import textwrap
import warnings
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hamilton_nb.session import Session

try:
    from hamilton_nb.function_modifiers import config as _config  # noqa: F401
    HAVE_CONFIG_WHEN = True
except ImportError:  # written concurrently; without it the @config.when edits are skipped
    HAVE_CONFIG_WHEN = False

EXAMPLES = int(os.environ.get("HAMILTON_NB_PROPERTY_EXAMPLES", "300"))
settings.register_profile("hamilton_nb", max_examples=EXAMPLES, deadline=None, derandomize=False,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SERIES_INPUTS, SCALAR_INPUTS, CONFIG_INPUTS = ("in0", "in1"), ("s0",), ("cfg0",)
INPUTS = SERIES_INPUTS + SCALAR_INPUTS + CONFIG_INPUTS
# a constant, a mutable list (mutated in place), a helper reading C1, a method of a notebook
# class (edited by re-running the class cell, or by setting a class attribute), a partial; code
# and state reached without being named: a singledispatch helper (redefined, or given a new
# .register), an environment variable, a pandas accessor (re-registered, or reading a changed
# global), the order of a categorical's categories
READS = ("C0", "W", "_h0", "scaler", "times", "_disp", "env", "acc", "cat")
ENV = "HAMILTON_NB_PROPERTY_E"
ACCESSOR = {"factor": 1}  # what the accessor's method reads


def register_accessor(variant: int) -> None:
    """A new accessor class, as re-running its cell makes (process-wide, like pandas' registry)."""
    class Fx:
        def __init__(self, series):
            self._series = series

        def scaled(self):
            return self._series * ACCESSOR["factor"] + variant

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "registration of accessor ... is overriding ..."
        pd.api.extensions.register_series_accessor("hnbfx")(Fx)
MODULES = ("m0", "m1", "m2", "m3")
N = 5  # rows


# ---- the model ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Fn:
    name: str
    kind: str  # "series" | "scalar"
    params: dict[str, str]  # parameter -> its kind, in order
    k: int
    module: str
    reads: tuple[str, ...] = ()
    alt: bool = False  # two @config.when(mode=…) implementations
    doc: int = 0  # docstring / comment variant: never part of the value


@dataclasses.dataclass
class World:
    """The code, globals, inputs and config a notebook would hold; renders cells from it."""

    fns: dict[str, Fn]
    inputs: dict[str, Any]
    config: dict[str, Any]
    globals: dict[str, Any]  # C0, C1, W0 (W[0]), H (the helper's factor), S/K (the class), P (the partial)
    counter: int = 0
    reads: tuple[str, ...] = READS  # the globals and state functions may read

    def kind_of(self, name: str) -> str:
        if name in self.fns:
            return self.fns[name].kind
        return "series" if name in SERIES_INPUTS else "scalar"

    def consumers(self, name: str) -> list[Fn]:
        return [f for f in self.fns.values() if name in f.params]

    # -- what a value depends on: a pure description, independent of the engine --
    def global_value(self, read: str) -> tuple:
        g = self.globals
        return {"C0": ("C0", g["C0"]), "W": ("W", g["W0"]), "_h0": ("_h0", g["H"], g["C1"]),
                "scaler": ("scaler", g["S"], g["K"]), "times": ("times", g["P"]), "_disp": ("_disp", g["G"], g.get("GREG")),
                "env": ("env", g["E"]), "acc": ("acc", g["A"], g["AV"]), "cat": ("cat", g["CAT"])}[read]

    def signature(self, name: str, overrides: dict[str, Any], memo: dict) -> tuple:
        if name in memo:
            return memo[name]
        if name in overrides:
            found = ("override", _plain(overrides[name]))
        elif name not in self.fns:
            source = self.config if name in CONFIG_INPUTS else self.inputs
            found = ("input", _plain(source[name]))
        else:
            fn = self.fns[name]
            found = (fn.kind, tuple(fn.params), self.effective_k(fn), tuple(self.global_value(r) for r in fn.reads),
                     tuple(self.signature(p, overrides, memo) for p in fn.params))
        memo[name] = found
        return found

    def effective_k(self, fn: Fn) -> int:
        return fn.k + 100 if fn.alt and self.config["mode"] == "b" else fn.k

    # -- rendering cells --
    def module_source(self, module: str) -> str:
        return "\n\n".join(self.fn_source(f) for f in self.fns.values() if f.module == module)

    def fn_source(self, fn: Fn) -> str:
        if not fn.alt:
            return _def(fn, fn.name, fn.k)
        return ('@config.when(mode="a")\n' + _def(fn, f"{fn.name}__a", fn.k) + "\n\n"
                '@config.when(mode="b")\n' + _def(fn, f"{fn.name}__b", fn.k + 100))

    @property
    def modules(self) -> list[str]:
        return sorted({f.module for f in self.fns.values()})

    def setup_code(self) -> str:
        g = self.globals
        return textwrap.dedent(f"""\
            import pandas as pd
            {"from hamilton_nb.function_modifiers import config" if HAVE_CONFIG_WHEN else ""}
            C0 = {g["C0"]!r}
            C1 = {g["C1"]!r}
            W = [{g["W0"]!r}]
            def _h0(x):
                return x * {g["H"]!r} + C1
            import os
            CAT = pd.Series(pd.Categorical(["a", "b"], categories={list(g["CAT"])!r}))
            """) + self.class_code() + self.partial_code() + self.dispatch_code()

    def dispatch_code(self) -> str:
        return (f"import functools\n@functools.singledispatch\ndef _disp(v):\n"
                f"    return v * {self.globals['G']!r}\n")

    def class_code(self) -> str:
        return (f"class Scaler:\n    k = {self.globals['K']!r}\n    def transform(self, v):\n"
                f"        return v * {self.globals['S']!r} + self.k\nscaler = Scaler()\n")

    def partial_code(self) -> str:
        return f"import functools\ndef _mul(v, by):\n    return v * by * {self.globals['P']!r}\ntimes = functools.partial(_mul, by=2)\n"


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return ("series", tuple(value.index), tuple(value.tolist()))
    return (type(value).__name__, value)


def _def(fn: Fn, name: str, k: int) -> str:
    hint = {"series": "pd.Series", "scalar": "float"}
    params = ", ".join(f"{p}: {hint[kind]}" for p, kind in fn.params.items())
    if fn.kind == "series":
        expr = f"({' + '.join(fn.params)}) * {k}"
    else:
        terms = [f"{p}.sum()" if kind == "series" else p for p, kind in fn.params.items()]
        expr = f"float({' + '.join(terms)}) * {k}"
    expr += "".join({"C0": " + C0", "W": " + W[0]", "_h0": " + _h0(2.0)", "scaler": " + scaler.transform(1.0)",
                     "times": " + times(1.0)", "_disp": " + _disp(1.0)", "env": f" + float(os.environ['{ENV}'])",
                     "acc": " + pd.Series([1.0]).hnbfx.scaled().iloc[0]",
                     "cat": " + float(CAT.cat.codes.iloc[0])"}[r] for r in fn.reads)
    doc = f'    """Doc version {fn.doc} of {fn.name}."""\n' if fn.doc % 3 else ""
    comment = f"    # comment {fn.doc}\n" if fn.doc % 2 else ""
    blank = "\n" * (fn.doc % 4 == 3)
    return f"def {name}({params}) -> {hint[fn.kind]}:\n{doc}{comment}{blank}    return {expr}\n"


# ---- strategies --------------------------------------------------------------------------------

values = st.integers(-3, 3).map(float)
series_values = st.lists(values, min_size=N, max_size=N).map(lambda v: pd.Series(v, index=range(N)))


def draw_params(data, world: World, kind: str, candidates: list[str]) -> dict[str, str]:
    series = [c for c in candidates if world.kind_of(c) == "series"]
    chosen = data.draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3, unique=True))
    if kind == "series" and not any(c in series for c in chosen):
        chosen.append(data.draw(st.sampled_from(series)))
    return {c: world.kind_of(c) for c in chosen}


def new_fn(data, world: World, candidates: list[str], module: str | None = None) -> Fn:
    world.counter += 1
    kind = data.draw(st.sampled_from(["series", "series", "scalar"]))
    return Fn(name=f"n{world.counter}", kind=kind, params=draw_params(data, world, kind, candidates),
              k=data.draw(st.integers(-2, 3)), module=module or data.draw(st.sampled_from(MODULES[:3])),
              reads=tuple(data.draw(st.lists(st.sampled_from(world.reads), max_size=2, unique=True))),
              alt=HAVE_CONFIG_WHEN and data.draw(st.booleans()))


def initial_world(data, reads: tuple[str, ...] = READS) -> World:
    world = World(reads=reads, fns={}, inputs={"in0": data.draw(series_values), "in1": data.draw(series_values),
                                  "s0": data.draw(values)},
                  config={"cfg0": data.draw(values), "mode": data.draw(st.sampled_from("ab"))},
                  globals={"C0": data.draw(st.integers(0, 3)), "C1": data.draw(st.integers(0, 3)),
                           "W0": data.draw(st.integers(0, 3)), "H": data.draw(st.integers(1, 3)),
                           "S": data.draw(st.integers(1, 3)), "K": data.draw(st.integers(0, 2)),
                           "P": data.draw(st.integers(1, 3)), "G": data.draw(st.integers(1, 3)),
                           "E": data.draw(st.integers(0, 3)), "A": data.draw(st.integers(1, 3)),
                           "AV": data.draw(st.integers(0, 2)), "CAT": data.draw(st.sampled_from(["ab", "ba"]))})
    os.environ[ENV] = str(world.globals["E"])  # process-wide, like pandas' accessor registry
    ACCESSOR["factor"] = world.globals["A"]
    register_accessor(world.globals["AV"])
    for _ in range(data.draw(st.integers(1, 8), label="nodes")):
        fn = new_fn(data, world, [*INPUTS, *world.fns])
        world.fns[fn.name] = fn
    return world


# ---- driving a notebook ------------------------------------------------------------------------

class Notebook:
    """The live session plus the notebook namespace its cells run in."""

    def __init__(self, world: World, executor: Any = None):
        self.session = Session()
        if executor is not None:
            self.session.executor = executor
        self.ns: dict[str, Any] = {}
        exec(world.setup_code(), self.ns)
        self.session.set_config(world.config)
        for module in world.modules:
            self.session.register_cell(world.module_source(module), module, self.ns)
        self.session.set_inputs(world.inputs)

    def rerun(self, world: World, modules, empty_by_dropping: bool = True) -> list[str]:
        """Re-run the cells of ``modules`` (in this order); empty ones are dropped, or re-run with
        no functions left. Returns the nodes dropped."""
        dropped = []
        for module in dict.fromkeys(modules):
            if module in world.modules:
                self.session.register_cell(world.module_source(module), module, self.ns)
            elif module in self.session.graph.modules:
                if empty_by_dropping:
                    dropped.extend(self.session.drop(module).removed)
                else:  # the emptied cell run again: its module empties, values go at the next execute
                    self.session.register_cell("# nothing left here\n", module, self.ns)
        return dropped


def from_scratch(world: World, outputs, overrides, result):
    notebook = Notebook(world)
    return notebook.session.execute(outputs, overrides=overrides, result=result)


def assert_same(live, fresh) -> None:
    if isinstance(fresh, pd.DataFrame):
        pd.testing.assert_frame_equal(live, fresh, check_exact=True)
    else:
        assert live.keys() == fresh.keys()
        for name in fresh:
            if isinstance(fresh[name], pd.Series):
                pd.testing.assert_series_equal(live[name], fresh[name], check_exact=True)
            else:
                assert live[name] == fresh[name] or (live[name] != live[name] and fresh[name] != fresh[name])


# ---- edits: each mutates the world and the live notebook the way a user would -----------------

def edit_body(data, world, nb):
    fn = data.draw(st.sampled_from(sorted(world.fns)))
    world.fns[fn].k += data.draw(st.sampled_from([-2, -1, 1, 2]))
    return nb.rerun(world, [world.fns[fn].module])


def edit_doc(data, world, nb):
    fn = world.fns[data.draw(st.sampled_from(sorted(world.fns)))]
    fn.doc += data.draw(st.integers(1, 3))
    return nb.rerun(world, [fn.module])


def edit_add(data, world, nb):
    fn = new_fn(data, world, [*INPUTS, *world.fns], module=data.draw(st.sampled_from(MODULES)))
    world.fns[fn.name] = fn
    return nb.rerun(world, [fn.module])


def edit_remove(data, world, nb):
    if len(world.fns) < 2:
        return []
    name = data.draw(st.sampled_from(sorted(world.fns)))
    gone = world.fns.pop(name)
    replacement = "in0" if gone.kind == "series" else "s0"
    for consumer in world.consumers(name):
        consumer.params = {replacement if p == name else p: k for p, k in consumer.params.items()}
    touched = [gone.module, *(c.module for c in world.consumers(replacement))]
    dropped = []
    if data.draw(st.booleans(), label="with %hamilton_drop"):
        dropped = list(nb.session.drop(name).removed)
        if gone.module not in world.modules:
            touched.remove(gone.module)
    return dropped + nb.rerun(world, touched, empty_by_dropping=data.draw(st.booleans(), label="drop empty"))


def edit_rename(data, world, nb):
    name = data.draw(st.sampled_from(sorted(world.fns)))
    world.counter += 1
    new = f"n{world.counter}"
    fn = world.fns.pop(name)
    fn.name = new
    world.fns[new] = fn
    consumers = world.consumers(name)
    for consumer in consumers:
        consumer.params = {new if p == name else p: k for p, k in consumer.params.items()}
    return nb.rerun(world, [fn.module, *(c.module for c in consumers)])


def edit_move(data, world, nb):
    fn = world.fns[data.draw(st.sampled_from(sorted(world.fns)))]
    target = data.draw(st.sampled_from([m for m in MODULES if m != fn.module]))
    source, fn.module = fn.module, target
    return nb.rerun(world, [source, target])


def edit_input(data, world, nb):
    name = data.draw(st.sampled_from(SERIES_INPUTS + SCALAR_INPUTS))
    world.inputs[name] = data.draw(series_values if name in SERIES_INPUTS else values)
    nb.session.set_inputs({name: world.inputs[name]})
    return []


def edit_config(data, world, nb):
    key = data.draw(st.sampled_from(["cfg0", "mode"] if HAVE_CONFIG_WHEN else ["cfg0"]))
    world.config[key] = data.draw(values if key == "cfg0" else st.sampled_from("ab"))
    nb.session.set_config({key: world.config[key]})
    return []


def edit_global(data, world, nb):
    which = data.draw(st.sampled_from(["C0", "C1", "W0", "H"]))
    world.globals[which] = data.draw(st.integers(0, 3) if which != "H" else st.integers(1, 3))
    value = world.globals[which]
    if which == "W0":
        nb.ns["W"][0] = value  # mutated in place, not rebound
    elif which == "H":
        exec(f"def _h0(x):\n    return x * {value!r} + C1\n", nb.ns)
    else:
        nb.ns[which] = value
    return []


def edit_class(data, world, nb):
    """Re-run the class cell (a new method body) and the cell creating the instance, or set a
    class attribute in place."""
    if data.draw(st.booleans(), label="class attribute"):
        world.globals["K"] = data.draw(st.integers(0, 2))
        nb.ns["Scaler"].k = world.globals["K"]
    else:
        world.globals["S"] = data.draw(st.integers(1, 3))
        exec(world.class_code(), nb.ns)
    return []


def edit_partial(data, world, nb):
    """Redefine the function a ``functools.partial`` wraps, and the partial."""
    world.globals["P"] = data.draw(st.integers(1, 3))
    exec(world.partial_code(), nb.ns)
    return []


def edit_dispatch(data, world, nb):
    """Re-run the singledispatch cell, or register a new implementation for floats in place."""
    world.globals["G"] = data.draw(st.integers(1, 3))
    if data.draw(st.booleans(), label="register"):  # the registry holds one more implementation
        world.globals["GREG"] = world.globals["G"]
        exec(f"@_disp.register(float)\ndef _(v):\n    return v * {world.globals['G']!r}\n", nb.ns)
    else:  # a new singledispatch function: its registry starts afresh
        world.globals["GREG"] = None
        exec(world.dispatch_code(), nb.ns)
    return []


def edit_environment(data, world, nb):
    world.globals["E"] = data.draw(st.integers(0, 3))
    os.environ[ENV] = str(world.globals["E"])
    return []


def edit_accessor(data, world, nb):
    """Re-register the accessor (a re-run cell), or change the global its method reads."""
    if data.draw(st.booleans(), label="re-register"):
        world.globals["AV"] = data.draw(st.integers(0, 2))
        register_accessor(world.globals["AV"])
    else:
        world.globals["A"] = data.draw(st.integers(1, 3))
        ACCESSOR["factor"] = world.globals["A"]
    return []


def edit_categories(data, world, nb):
    """Reorder the categories: same values, other codes."""
    world.globals["CAT"] = data.draw(st.sampled_from(["ab", "ba"]))
    nb.ns["CAT"] = nb.ns["CAT"].cat.reorder_categories(list(world.globals["CAT"]))
    return []


EDITS = [edit_body, edit_doc, edit_add, edit_remove, edit_rename, edit_move, edit_input, edit_config,
         edit_global, edit_class, edit_partial, edit_dispatch, edit_environment, edit_accessor, edit_categories]


def draw_overrides(data, world) -> dict[str, Any]:
    if not data.draw(st.integers(0, 4), label="override?") == 0:
        return {}
    used = [i for i in SERIES_INPUTS + SCALAR_INPUTS if world.consumers(i)]  # unknown ones are rejected
    name = data.draw(st.sampled_from(sorted(world.fns) + used))
    return {name: data.draw(series_values if world.kind_of(name) == "series" else values)}


# ---- the property ------------------------------------------------------------------------------

def needed(world: World, outputs, overrides) -> set[str]:
    """Nodes the engine must have values for: the outputs' upstream, stopping at overrides."""
    found, stack = set(), list(outputs)
    while stack:
        name = stack.pop()
        if name in found or name in overrides or name not in world.fns:
            continue
        found.add(name)
        stack.extend(world.fns[name].params)
    return found


def from_override(world: World, name: str, overrides) -> bool:
    """Does ``name``'s value depend on an overridden node or input?"""
    fn = world.fns.get(name)
    return fn is not None and any(p in overrides or from_override(world, p, overrides) for p in fn.params)


@settings(settings.get_profile("hamilton_nb"))
@given(st.data())
def test_incremental_execute_equals_a_fresh_session_and_recomputes_exactly_what_changed(data):
    incremental_equals_fresh(data)


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("distributed")
    from dask_cluster import local_client

    with local_client(processes=False) as client:
        yield client


@settings(settings.get_profile("hamilton_nb"), max_examples=max(10, EXAMPLES // 10))
@given(data=st.data())
def test_the_same_with_values_kept_on_a_dask_cluster(dask_client, data):
    """Values kept on the workers, code pickled by value once per version, checks and
    comparisons run there: still exactly a fresh session's answer, and exactly the recomputes."""
    from hamilton_nb.execution import DaskExecutor

    incremental_equals_fresh(data, DaskExecutor(dask_client))


def incremental_equals_fresh(data, executor=None) -> None:
    # cloudpickle can't send a singledispatch function made in a notebook to workers (its
    # dispatch cache is a WeakKeyDictionary): the Dask variant leaves that read out
    world = initial_world(data, READS if executor is None else tuple(r for r in READS if r != "_disp"))
    notebook = Notebook(world, executor)
    cached: dict[str, tuple] = {}  # model of the value cache: node -> signature it was computed at
    older: dict[str, list] = {}  # node -> the (up to 2) signatures of earlier values kept, oldest first
    frames: dict[tuple, dict] = {}  # model of "same request, same versions → same answer"
    for _ in range(data.draw(st.integers(1, 8), label="steps")):
        # one edit, or two before the next execute (a global changed, then another cell re-run)
        for edit in data.draw(st.lists(st.sampled_from(EDITS), min_size=1, max_size=2), label="edits"):
            for name in edit(data, world, notebook):  # %hamilton_drop forgets values and results showing them
                cached.pop(name, None)
                older.pop(name, None)
                frames = {key: frame for key, frame in frames.items() if name not in frame}
        overrides = draw_overrides(data, world)
        names = sorted(world.fns)
        outputs = names if data.draw(st.booleans(), label="all?") else \
            data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
        result = data.draw(st.sampled_from(["dataframe", "dataframe", "dict"]))

        memo: dict = {}
        sig = {n: world.signature(n, overrides, memo) for n in needed(world, outputs, overrides)}
        frame_key = (tuple(outputs), result)
        wanted = {o: world.signature(o, overrides, memo) for o in outputs}
        if result == "dataframe" and frames.get(frame_key) == wanted:
            expected, restored = set(), set()
        else:
            differ = {n for n in sig if n not in overrides and cached.get(n) != sig[n]}
            restored = {n for n in differ if sig[n] in older.get(n, ())}  # an earlier value, kept
            expected = differ - restored

        event(f"{edit.__name__}: {'some' if expected else 'no'} recompute{', override' if overrides else ''}")
        live = notebook.session.execute(outputs, overrides=overrides, result=result)
        assert_same(live, from_scratch(world, outputs, overrides, result))
        assert set(notebook.session.last_report.computed) == expected, edit.__name__
        # a value computed from an override is a what-if: the node's own cached value stays
        for n in sorted(expected | restored):
            if from_override(world, n, overrides):
                continue
            kept = older.setdefault(n, [])
            if sig[n] in kept:
                kept.remove(sig[n])
            if n in cached:
                kept.append(cached[n])
            del kept[:-2]
            cached[n] = sig[n]
        if result == "dataframe":
            frames[frame_key] = wanted

        # states must agree with the model of the cache, for every node; overrides lasted one execute
        memo = {}
        want = {n: "not computed" if n not in cached else
                "fresh" if cached[n] == world.signature(n, {}, memo) else "stale" for n in world.fns}
        got = {n: s for n, s in notebook.session.states().items() if n in world.fns}
        assert got == want

        # verification: computing every cached node again from its cached inputs finds nothing
        # (and changes nothing: the next step's expectations rely on the cache as modelled)
        verified = notebook.session.verify(all=True)
        assert verified.mismatches == [], str(verified)


def test_config_when_edits_are_part_of_the_property():
    if not HAVE_CONFIG_WHEN:
        pytest.skip("hamilton_nb.function_modifiers.config is not importable: @config.when edits are off")


def test_a_dropped_node_stays_dropped_when_config_changes():
    if not HAVE_CONFIG_WHEN:
        pytest.skip("needs @config.when")
    session, ns = Session(), {}
    exec("import pandas as pd\nfrom hamilton_nb.function_modifiers import config", ns)
    session.set_config(mode="a")
    session.register_cell(textwrap.dedent('''
        @config.when(mode="a")
        def kept__a(y: pd.Series) -> pd.Series:
            return y

        def gone(y: pd.Series) -> pd.Series:
            return y
    '''), "m", ns)
    session.drop("gone")
    session.set_config(other=1)
    assert sorted(session.graph.nodes) == ["kept"]
