"""Inputs a plan needs: which are missing (and who needs them), and whether a bound one has the
type its consumers ask for."""
from __future__ import annotations

from typing import Any, Callable, Container, Iterable, Mapping, Sequence

from ..errors import InputError
from ..graph import FunctionGraph
from ..graph.build import where
from ..graph.types import describe, runtime_check_type
from .plans import Step


def missing_inputs(outputs: Sequence[str], needed_inputs: Iterable[str], steps: list[Step],
                   supplied: Container[str]) -> dict[str, list[str]]:
    """Unsupplied inputs this plan cannot do without, each with the nodes that need it."""
    missing = {}
    for name in needed_inputs:
        if name in supplied:
            continue
        needers = sorted(step.name for step in steps
                         if any(dep == name and required for _, dep, required in step.args))
        if needers or name in outputs:
            missing[name] = needers  # empty: asked for directly
    return missing


def supply_as_inputs(names: Sequence[str]) -> str:
    """How to supply ``names`` when the caller's surface has no way of its own."""
    return "pass them as inputs, e.g. `execute(..., inputs={" + ", ".join(f"{n!r}: ..." for n in names) + "})`."


def missing_error(missing: Mapping[str, list[str]], fix: Callable[[Sequence[str]], str] = supply_as_inputs,
                  removed: Mapping[str, str | None] = {}) -> InputError:
    """Missing inputs, and which of them were functions an edit ``removed`` (name -> its module);
    ``fix`` says how the caller's surface supplies them."""
    lines = [f"  {name}  (needed by {', '.join(needers)})" if needers else f"  {name}  (requested)"
             for name, needers in missing.items()]
    lines += [f"  `{name}` was a function in {where(removed[name])}, since removed: define it again, "
              "or supply it as an input" for name in missing if name in removed]
    return InputError("Missing inputs:\n" + "\n".join(lines) + f"\nFix: {fix(list(missing))}")


def check_input_type(graph: FunctionGraph, name: str, value: Any) -> None:
    """A clear error when a bound input is not of the type its consumers' hints ask for."""
    if name not in graph.dag:
        return
    expected = graph.input_type(name)
    check = runtime_check_type(expected)
    if check is not None and not isinstance(value, check):
        consumers = ", ".join(sorted(graph.consumers_of(name)))
        raise InputError(f"Input `{name}` is of type {type(value).__name__}, but {consumers} "
                         f"expect{'s' if ',' not in consumers else ''} {describe(expected)}.\n"
                         f"Fix: pass a {describe(expected)} for `{name}`.")
