"""Data loaders are read again before each execute and versioned by the data they load.

A loader node (tagged ``hamilton.data_loader`` with metadata: ``@load_from``, ``@dataloader``,
Apache Hamilton's and ours) reads outside state — a file can change on disk while no code and
no input changed. So before each execute the loaders it needs run first, and each is bound,
like an input, to the hash of the data it loaded: what reads it is stale exactly when that
data changed, and reused otherwise. (Load metadata such as timestamps does not count.)
"""
from __future__ import annotations

import time
import traceback
from typing import Any

from ..errors import InputError, NodeExecutionError
from ..graph.build import where
from ..graph.value_tokens import value_token
from . import sharing

LOADED = "override:loaded:"  # a loader's version: fixed by its data, as an override's is


def is_loader(node: Any) -> bool:
    tags = node.tags
    return bool(tags.get("hamilton.data_loader")) and bool(tags.get("hamilton.data_loader.has_metadata"))


def data_part(value: Any) -> Any:
    """The data of a loader's ``(data, metadata)`` result."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict):
        return value[0]
    return value


def reload(engine: Any, steps: list, values: dict[str, Any]) -> dict[str, float]:
    """Run the loaders among ``steps`` now and bind each to its data's hash; {name: seconds}."""
    loaders = engine.loaders
    if not loaders:
        return {}
    nodes = engine.graph.nodes
    loaded = {}
    for step in steps:
        if step.name not in loaders:
            continue
        node = nodes[step.name]
        computed = [dep for _, dep, required in step.args if dep not in values and dep in nodes]
        if computed:
            raise InputError(
                f"Loader `{step.name}` ({where(node.module)}) takes {', '.join(f'`{d}`' for d in computed)} "
                "from other nodes; loaders are re-read before each execute (so a changed file is noticed), "
                "which needs their arguments from inputs, config or literals.\n"
                "Fix: pass the path (and other loader arguments) as value(...) or as an input/config value.")
        kwargs = {param: values[dep] for param, dep, _ in step.args if dep in values}
        started = time.perf_counter()
        try:
            value = step.callable(**kwargs)
        except Exception as exc:
            tb = exc.__traceback__.tb_next if exc.__traceback__ else None
            raise NodeExecutionError(
                f"Loader `{step.name}` ({where(node.module)}) could not load its data: "
                f"{type(exc).__name__}: {exc}\nFix: check the path and format it reads.",
                step.name, "".join(traceback.format_exception(type(exc), exc, tb))) from None
        version = f"{LOADED}{node.fingerprint}:{value_token(data_part(value))}"
        engine.versions.bind(step.name, version)
        seconds = loaded[step.name] = time.perf_counter() - started
        engine.cache.put(step.name, version, value, seconds, sharing.seal(value))
    return loaded
