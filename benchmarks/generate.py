"""Generate the seed-scale feature module used by the benchmarks (as source text).

1000 feature functions over 5 weekly inputs (spend, signups, visits, price, weeks), every
parameter and return annotated ``pd.Series``. The graph mixes

* deep chains: 12 chains of 25 nodes, each step reading the previous step (depth 25+);
* wide fan-out: the remaining nodes read 1–3 earlier nodes (inputs, a recent window, or
  anything earlier), so early nodes feed many later ones;

with rolling / shift / diff / ewm / ratio / difference / blend operations — what a
forecasting feature module looks like. Everything is deterministic for a given seed.

One mid-graph function with few descendants (≤ 1% of nodes) is singled out as the *edit
target*: :func:`generate` returns it separately (``edit_source(k)`` gives its k-th edit), so a
benchmark can register it as its own one-function cell and re-register it alone.

Run ``python benchmarks/generate.py [PATH]`` to write the full module to a file and print the
graph's shape.
"""
from __future__ import annotations

import dataclasses
import random
import re
import sys
from typing import Callable

import numpy as np
import pandas as pd

INPUTS = ("spend", "signups", "visits", "price", "weeks")
N_FEATURES = 1000
N_ROWS = 1000
N_CHAINS, CHAIN_LENGTH = 12, 25
HEADER = "import numpy as np\nimport pandas as pd\n\n"


# Unary operations on one Series: (name, template). ``{a}`` is the argument, ``{w}`` a window.
UNARY = [
    ("rollmean", "{a}.rolling({w}, min_periods=1).mean()"),
    ("rollmax", "{a}.rolling({w}, min_periods=1).max()"),
    ("rollstd", "{a}.rolling({w}, min_periods=2).std()"),
    ("shift", "{a}.shift({k})"),
    ("diff", "{a}.diff({k})"),
    ("ewm", "{a}.ewm(span={w}, adjust=False).mean()"),
    ("log1p", "np.log1p({a}.abs())"),
    ("zscore", "({a} - {a}.rolling({w}, min_periods=1).mean()) / ({a}.rolling({w}, min_periods=2).std() + 1.0)"),
    ("fill", "{a}.ffill().fillna(0.0)"),
]
BINARY = [
    ("ratio", "{a} / ({b}.abs() + 1.0)"),
    ("delta", "{a} - {b}"),
    ("avg", "({a} + {b}) / 2.0"),
    ("max", "{a}.where({a} > {b}, {b})"),
    ("lagratio", "{a} / ({b}.shift({k}).abs() + 1.0)"),
]
TERNARY = [
    ("blend", "0.5 * {a} + 0.3 * {b} + 0.2 * {c}"),
    ("spread", "({a} - {b}) / ({c}.abs() + 1.0)"),
]


@dataclasses.dataclass
class Feature:
    name: str
    deps: list[str]
    op: str
    expr: str  # body expression with parameter names filled in


@dataclasses.dataclass
class Generated:
    features: list[Feature]           # in generation (= a topological) order
    edit_target: str                  # the function re-registered alone
    edit_window: int                  # its ewm span in the original source
    n_nodes: int                      # functions + external inputs
    n_edges: int
    max_depth: int
    edit_downstream: int              # descendants of the edit target

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def function_source(self, feature: Feature, expr: str | None = None) -> str:
        params = ", ".join(f"{d}: pd.Series" for d in feature.deps)
        return (f"def {feature.name}({params}) -> pd.Series:\n"
                f'    """{feature.op} of {", ".join(feature.deps)}."""\n'
                f"    return {expr or feature.expr}\n")

    def full_source(self) -> str:
        """All 1000 functions as one module/cell."""
        return HEADER + "\n\n".join(self.function_source(f) for f in self.features)

    def features_source(self) -> str:
        """The 999 functions other than the edit target (the big cell)."""
        return HEADER + "\n\n".join(self.function_source(f) for f in self.features
                                    if f.name != self.edit_target)

    def edit_source(self, k: int = 0) -> str:
        """The edit target alone; ``k > 0`` changes its ewm span (a real code edit)."""
        feature = next(f for f in self.features if f.name == self.edit_target)
        expr = feature.expr.replace(f"span={self.edit_window}", f"span={self.edit_window + k}")
        return HEADER + self.function_source(feature, expr)


def make_inputs(n_rows: int = N_ROWS, seed: int = 0) -> dict[str, pd.Series]:
    """Weekly series on a shared DatetimeIndex."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2005-01-02", periods=n_rows, freq="W-SUN", name="week")
    trend = np.linspace(1.0, 3.0, n_rows)
    season = 1.0 + 0.3 * np.sin(np.arange(n_rows) * 2 * np.pi / 52)
    spend = 1000 * trend * season * rng.lognormal(0, 0.2, n_rows)
    signups = spend / 20 * rng.lognormal(0, 0.3, n_rows)
    visits = signups * 15 * rng.lognormal(0, 0.2, n_rows)
    price = 9.99 + np.cumsum(rng.normal(0, 0.05, n_rows))
    weeks = np.arange(n_rows, dtype="float64")
    data = dict(spend=spend, signups=signups, visits=visits, price=price, weeks=weeks)
    return {name: pd.Series(values, index=index, name=name) for name, values in data.items()}


def generate(seed: int = 7, n_features: int = N_FEATURES, max_downstream: int | None = None) -> Generated:
    """A feature module; the edit target has at most ``max_downstream`` (default 1%) descendants."""
    rng = random.Random(seed)
    names: list[str] = []
    depth: dict[str, int] = {name: 0 for name in INPUTS}
    features: list[Feature] = []
    chain_len = max(2, min(CHAIN_LENGTH, n_features // (2 * N_CHAINS)))
    chains = [[] for _ in range(N_CHAINS)]  # names of each chain's nodes so far

    def pick_earlier() -> str:
        r = rng.random()
        if r < 0.35 or not names:
            return rng.choice(INPUTS)
        if r < 0.80:
            return rng.choice(names[-40:])
        return rng.choice(names)

    for i in range(n_features):
        open_chains = [c for c in chains if len(c) < chain_len]
        # Spread chain steps over the whole module so chains interleave with fan-out nodes.
        remaining = n_features - i
        steps_left = sum(chain_len - len(c) for c in open_chains)
        if open_chains and rng.random() < max(0.3, steps_left / max(remaining, 1)):
            chain = rng.choice(open_chains)
            first = chain[-1] if chain else rng.choice(INPUTS)
            deps = [first] + ([pick_earlier()] if rng.random() < 0.3 else [])
        else:
            chain = None
            arity = rng.choices((1, 2, 3), weights=(4, 4, 2))[0]
            deps = [pick_earlier() for _ in range(arity)]
        deps = list(dict.fromkeys(deps))  # distinct parameters
        w, k = rng.choice((2, 3, 4, 6, 8, 12, 26, 52)), rng.choice((1, 2, 4, 52))
        if len(deps) == 1:
            op, template = rng.choice(UNARY)
            expr = template.format(a=deps[0], w=w, k=k)
        elif len(deps) == 2:
            op, template = rng.choice(BINARY)
            expr = template.format(a=deps[0], b=deps[1], w=w, k=k)
        else:
            op, template = rng.choice(TERNARY)
            expr = template.format(a=deps[0], b=deps[1], c=deps[2])
        name = f"{op}_{i:04d}"
        features.append(Feature(name, deps, op, expr))
        names.append(name)
        depth[name] = 1 + max(depth[d] for d in deps)
        if chain is not None:
            chain.append(name)

    # Descendant counts, to pick a mid-graph edit target with ≤ 1% of nodes downstream.
    consumers: dict[str, list[str]] = {n: [] for n in (*INPUTS, *names)}
    for f in features:
        for d in f.deps:
            consumers[d].append(f.name)

    def descendants(name: str) -> set[str]:
        seen, stack = set(), [name]
        while stack:
            for c in consumers[stack.pop()]:
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        return seen

    limit = max_downstream or max(1, n_features // 100)
    mid = range(int(0.4 * n_features), int(0.7 * n_features))
    candidates = []
    for i in mid:
        f = features[i]
        n_down = len(descendants(f.name))
        if 1 <= n_down <= limit:
            candidates.append((n_down, depth[f.name], i))
    if not candidates:
        raise RuntimeError("no mid-graph node with ≤ 1% downstream; change the seed")
    n_down, _, index = max(candidates)
    target = features[index]
    window = 13  # make the target an ewm so an edit can change its span
    old_name, target.op, target.name = target.name, "ewm", f"ewm_{index:04d}"
    for f in features:
        if old_name in f.deps:
            f.deps = [target.name if d == old_name else d for d in f.deps]
            f.expr = re.sub(rf"\b{old_name}\b", target.name, f.expr)
    target.expr = f"{target.deps[0]}.ewm(span={window}, adjust=False).mean()"
    if len(target.deps) > 1:
        target.expr = f"({target.expr}) / ({target.deps[1]}.abs() + 1.0)"
    n_edges = sum(len(f.deps) for f in features)
    used_inputs = {d for f in features for d in f.deps if d in INPUTS}
    return Generated(features, target.name, window, n_features + len(used_inputs), n_edges,
                     max(depth.values()), n_down)


def load(source: str, namespace: dict | None = None) -> dict[str, Callable]:
    """Plain ``exec`` of generated source; returns the namespace."""
    namespace = {} if namespace is None else namespace
    exec(compile(source, "<generated features>", "exec"), namespace)
    return namespace


if __name__ == "__main__":
    g = generate()
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as fh:
            fh.write(g.full_source())
    print(f"{len(g.features)} functions, {g.n_nodes} nodes, {g.n_edges} edges, max depth {g.max_depth}; "
          f"edit target {g.edit_target} ({g.edit_downstream} downstream)")
