"""``Driver``: the seed's API over the same graph and engine the notebook uses."""
from __future__ import annotations

import types
from typing import Any, Mapping, Sequence


from ..graph import functions_of_module
from ..session import frontends
from ..session.session import Session

_RESULTS = ("dataframe", "dict", "polars")


class Driver:
    """Build a validated graph from modules; execute requested outputs.

    ``config`` holds configuration and inputs alike (as in Hamilton). Pass
    ``result="dict"`` to get ``{name: value}`` instead of a DataFrame, or ``result="polars"``
    for a polars DataFrame. Values are cached by version, so executing again recomputes only
    what changed. ``executor`` says where nodes run: ``"local"`` (default), ``"threads"``,
    ``"dask"`` or an :class:`~hamilton_nb.execution.executors.Executor` such as
    ``DaskExecutor(client)``. A value that contradicts its return type hint is logged and
    reported as a warning (as Apache Hamilton does not check them at run time);
    ``strict_types=True`` makes it an error.
    """

    def __init__(self, config: Mapping[str, Any] | None, *modules: types.ModuleType,
                 result: str = "dataframe", executor: Any = "local", strict_types: bool = False) -> None:
        if result not in _RESULTS:
            raise ValueError(f"result must be one of {_RESULTS}, not {result!r}")
        if result == "polars":
            from ..execution.optional import require

            require("polars", "polars", "A polars result")
        self.config = dict(config or {})
        self.result = result
        self.session = Session()
        self.session.executor = executor
        self.session.strict_types = strict_types
        self.session.set_config(self.config)
        for module in modules:
            self.session.register_functions(module.__name__, functions_of_module(module))
        self.graph = self.session.graph
        self.engine = self.session.engine
        self.engine.missing_fix = _pass_to_driver
        # A script keeps no previous values for diffs (memory stays flat across executes);
        # ``last_report`` still says which recomputed nodes changed value.
        self.engine.changes.max_bytes = 0

    def execute(self, final_vars: Sequence[str], overrides: Mapping[str, Any] | None = None,
                display_graph: bool = False, inputs: Mapping[str, Any] | None = None) -> Any:
        """Compute ``final_vars`` (and only what they need) → DataFrame, or dict with ``result="dict"``."""
        with frontends.progress(self.engine):  # inside IPython: long runs show progress
            out = self.session.execute(list(final_vars), inputs=inputs, overrides=overrides, result=self.result)
        if display_graph:
            self.display_graph(final_vars)
        return out

    def raw_execute(self, final_vars: Sequence[str], overrides: Mapping[str, Any] | None = None,
                    inputs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Like :meth:`execute` but always a ``{name: value}`` dict."""
        return self.engine.execute(list(final_vars), inputs=inputs, overrides=overrides, result="dict")

    @property
    def last_report(self):
        """Which nodes the last execute computed (with seconds) and which it reused."""
        return self.engine.last_report

    @property
    def warnings(self) -> dict[str, list[str]]:
        """Nodes whose cached value failed a ``warn`` check or its return type hint, that changed a
        value in place, or whose value would differ in Apache Hamilton because of such a change →
        what happened; and the same for values the last execute computed from overrides (not
        cached, so marked)."""
        found = {name: list(notes) for name, notes in self.engine.warnings.items()}
        report = self.engine.last_report
        for name, notes in (report.what_if_warnings.items() if report is not None else ()):
            found.setdefault(name, []).extend(f"computed from overrides: {note}" for note in notes)
        return found

    @property
    def executor(self):
        """Where nodes run (settable: "local", "threads", "dask" or an Executor)."""
        return self.session.executor

    @executor.setter
    def executor(self, value: Any) -> None:
        self.session.executor = value

    # ---- introspection ----------------------------------------------------------------------
    def list_available_variables(self, tag_filter: Mapping[str, Any] | None = None) -> list[dict]:
        """Every node and external input: name, type, doc, tags, origin, is_external_input."""
        found = []
        for name in self.graph.topological_order():
            node = self.graph.get(name)
            if tag_filter and not _matches(node.tags, tag_filter):
                continue
            found.append({"name": name, "type": node.type, "doc": node.doc, "tags": dict(node.tags),
                          "origin": node.module, "is_external_input": node.is_external_input})
        return found

    def what_is_upstream_of(self, *node_names: str) -> list[str]:
        return sorted(self.graph.upstream_of(*node_names))

    def what_is_downstream_of(self, *node_names: str) -> list[str]:
        return sorted(self.graph.downstream_of(*node_names))

    def what_is_the_path_between(self, upstream_node_name: str, downstream_node_name: str) -> list[str]:
        return sorted(self.graph.path_between(upstream_node_name, downstream_node_name))

    def validate_execution(self, final_vars: Sequence[str], overrides: Mapping[str, Any] | None = None,
                           inputs: Mapping[str, Any] | None = None) -> None:
        """Raise the error :meth:`execute` would raise for missing/unknown names, without computing."""
        overrides = dict(overrides or {})
        for name in overrides:
            if name not in self.graph.dag:
                raise self.graph.unknown(name, "override")
        supplied = {**self.config, **(inputs or {}), **overrides}
        # As in execute, supplied values no node consumes may be asked for: they pass through.
        outputs = [n for n in final_vars if n in self.graph.dag or n not in supplied]
        needed, steps = self.engine.plan(outputs, overrides)
        missing = self.engine.missing_inputs(outputs, needed, steps, supplied)
        if missing:
            raise self.engine.missing_error(missing)

    def display_graph(self, final_vars: Sequence[str] | None = None):
        """Show the graph (of ``final_vars`` and what they need): a widget in a notebook, text elsewhere."""
        return frontends.show_graph(self.session, list(final_vars) if final_vars else None)

    def display_all_functions(self):
        """Show the whole graph."""
        return self.display_graph(None)


def _pass_to_driver(names: Sequence[str]) -> str:
    """How a script supplies missing inputs: the Driver's config, or ``inputs=`` of one execute."""
    shown = ", ".join(f"{n!r}: ..." for n in names)
    return (f"pass them in `execute(..., inputs={{{shown}}})`, or in the config the driver is built with "
            f"(`Driver({{{shown}}}, module)` / `Builder().with_config({{{shown}}})`).")


def _matches(tags: Mapping[str, Any], tag_filter: Mapping[str, Any]) -> bool:
    for key, wanted in tag_filter.items():
        if key not in tags:
            return False
        if wanted is None:
            continue
        options = wanted if isinstance(wanted, (list, tuple, set)) else [wanted]
        if tags[key] not in options:
            return False
    return True


__all__ = ["Driver"]
