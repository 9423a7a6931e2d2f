"""Plans: which steps an execute runs, in which order, and which of them an edit touched.

A plan is kept per request (outputs and overridden nodes). It remembers the names whose
version or cached value changed since it last ran (``dirty``): the next execute looks at
those steps only, so its cost follows what changed, not the size of the graph.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable

from ..graph import FunctionGraph
from ..graph.fingerprint import digest
from ..graph.parallel import roles
from ..graph.types import runtime_check_type
from .parallel import Blocks


@dataclasses.dataclass(frozen=True)
class Step:
    """One node as the executors see it: what to call, with which arguments, what to check."""

    name: str
    callable: Callable
    args: tuple  # (param, dependency node, required)
    check: Any  # a runtime type for isinstance, or None
    type: Any
    quality_checks: tuple = ()  # ``@check_output`` validators: check(value) -> (passed, message)
    checks_token: str = ""  # what the checks' verdict depends on: re-check a cached value when it changes


def step_for(graph: FunctionGraph, name: str, blocks: Blocks | None = None) -> Step:
    """The step of node ``name``; a node of a parallel block runs through its block wrapper
    (``blocks`` shares item values across executes)."""
    node = graph.nodes[name]
    args = tuple((param, dep.node, dep.required) for param, dep in node.dependencies.items())
    checks_token = digest(*(check.token for check in node.checks)) if node.checks else ""
    role = roles(graph).get(name)
    if role is not None and role.kind != "invalid":  # an invalid one is refused when a plan needs it
        call = (blocks or Blocks(None)).wrap(node, role)
        if role.kind != "collect":  # a list of per-item values
            return Step(name, call, args, None, node.type, (), "")
        return Step(name, call, args, runtime_check_type(node.type), node.type, node.checks, checks_token)
    return Step(name, node.callable, args, runtime_check_type(node.type), node.type, node.checks, checks_token)


def closure(graph: FunctionGraph, outputs: Iterable[str], overridden: frozenset) -> tuple[list[str], list[str]]:
    """(external inputs, nodes to compute) for ``outputs`` in dependency order: their upstream,
    cut at overridden nodes."""
    dag = graph.dag
    for name in outputs:
        if name not in dag:
            raise graph.unknown(name, "output")
    needed, stack = set(), list(outputs)
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        needed.add(name)
        if name not in overridden:
            stack.extend(dag.predecessors(name))
    order = [n for n in graph.topological_order() if n in needed and n not in overridden]
    return [n for n in order if n not in graph.nodes], [n for n in order if n in graph.nodes]


class Plan:
    """The steps for one request, kept up to date across edits that keep the graph's shape."""

    def __init__(self, inputs: list[str], steps: list[Step], generation: int, structure: int) -> None:
        self.inputs = inputs
        self.steps = steps
        self.names = [step.name for step in steps]
        self.position = {name: i for i, name in enumerate(self.names)}
        self.generation, self.structure = generation, structure
        self.dirty: set[str] = set(self.names)  # a new plan looks at every step once

    def replace(self, steps: Iterable[Step]) -> None:
        """Edited nodes (same names and edges): swap in their new steps."""
        for step in steps:
            i = self.position.get(step.name)
            if i is not None:
                self.steps[i] = step

    def take_dirty(self) -> list[Step]:
        """The steps to look at now (and forget that they were dirty), in dependency order."""
        if len(self.dirty) * 4 >= len(self.names):
            names = self.dirty
            picked = [step for step in self.steps if step.name in names]
        else:
            position = self.position
            picked = [self.steps[i] for i in sorted(position[n] for n in self.dirty if n in position)]
        self.dirty = set()
        return picked
