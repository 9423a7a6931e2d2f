"""Plans remembered per request: the inputs and steps of ``outputs``, kept across body edits.

A body edit (same names and edges) keeps a plan: only the edited nodes' steps are renewed.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterable, Sequence

from ..errors import InputError
from ..graph import FunctionGraph
from ..graph.parallel import check as check_block, roles
from .cache import ValueCache
from .check_book import CheckBook
from .feed import ChangeFeed
from .parallel import Blocks, refuse_branch_outputs
from .plans import Plan, Step, closure, step_for
from .versions import Versioner

MAX_PLANS = 16  # requests remembered with their plan


class Planner:
    def __init__(self, graph: FunctionGraph, versions: Versioner, cache: ValueCache, checks: CheckBook,
                 feed: ChangeFeed, unknown: Callable[[str, str], InputError]) -> None:
        self.graph, self.cache, self.checks, self.feed, self.unknown = graph, cache, checks, feed, unknown
        self.plans: OrderedDict[tuple, Plan] = OrderedDict()  # (outputs, overrides) -> plan
        self.steps: dict[str, tuple[Any, Step, Any]] = {}  # node name -> (node, its step, its block role)
        self.blocks = Blocks(versions)  # item values of parallel branch nodes
        self._position: tuple[int, dict[str, int]] = (-1, {})
        feed.subscribe(forgotten=self.dirty)

    def dirty(self, names: list[str]) -> None:
        """Every plan looks at ``names`` again at its next execute."""
        for plan in self.plans.values():
            plan.dirty.update(names)

    def sort_by_order(self, names: list[str]) -> list[str]:
        """``names`` in graph (dependency) order; the position table is kept until the shape changes."""
        graph = self.graph
        if self._position[0] != graph.structure:
            self._position = (graph.structure, {n: i for i, n in enumerate(graph.topological_order())})
        position = self._position[1]
        return sorted(names, key=lambda name: position.get(name, -1))

    def plan_for(self, outputs: Sequence[str], overrides: Iterable[str] = ()) -> Plan:
        """The (memoised) plan of ``outputs``: inputs needed and steps in dependency order."""
        graph = self.graph
        key = (tuple(outputs), frozenset(overrides))
        plan = self.plans.get(key)
        if plan is not None and plan.generation == graph.generation:
            self.plans.move_to_end(key)
            return plan
        if plan is not None and plan.structure == graph.structure:  # an edit we were not told of
            plan.replace([self.step(n) for n in plan.names])
            plan.generation = graph.generation
            plan.dirty.update(plan.names)
            self.plans.move_to_end(key)
            return plan
        for name in outputs:
            if name not in graph.dag:
                raise self.unknown(name, "output")
        parallel_roles = roles(graph)
        if parallel_roles:
            refuse_branch_outputs(graph, parallel_roles, outputs)
            self.blocks.forget(n for n, r in parallel_roles.items() if r.kind == "branch")
        inputs, names = closure(graph, outputs, key[1])
        for name in names if parallel_roles else ():
            check_block(parallel_roles.get(name))
        new = Plan(inputs, [self.step(name) for name in names], graph.generation, graph.structure)
        self.plans[key] = new
        self.plans.move_to_end(key)
        while len(self.plans) > MAX_PLANS:
            self.plans.popitem(last=False)
        return new

    def renew(self, names: Iterable[str]) -> None:
        """Nodes re-defined by an edit (re-run cells make new function objects even when
        unchanged): plans of the same shape take their new steps."""
        graph = self.graph
        edited = [self.step(n) for n in names if n in graph.nodes]
        for plan in self.plans.values():
            if plan.structure == graph.structure and plan.generation != graph.generation:
                plan.replace(edited)
                plan.generation = graph.generation

    def step(self, name: str) -> Step:
        """The step of node ``name`` (memoised while the node and its block role are the same)."""
        node = self.graph.nodes[name]
        cached = self.steps.get(name)
        role = roles(self.graph).get(name)
        if cached is not None and cached[0] is node and cached[2] == role:
            return cached[1]
        step = step_for(self.graph, name, self.blocks)
        self.steps[name] = (node, step, role)
        if self.checks.checked.get(name, "") != step.checks_token and name in self.cache:
            self.checks.recheck.add(name)  # edited checks: run them on the cached value at the next execute
            self.feed.forgotten([name])
        return step

    def known_step(self, name: str) -> Step:
        """The step of ``name`` as last planned, or made now (without touching plans)."""
        known, node = self.steps.get(name), self.graph.nodes[name]
        return known[1] if known is not None and known[0] is node else step_for(self.graph, name)
