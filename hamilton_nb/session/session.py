"""The live session graph: named modules (cells) of functions, inputs, config, values.

Every change is validated before it is applied; on error nothing changes. Observers
(the graph widget, progress bars, live outputs) subscribe to events; the session imports no UI.
Where its values are kept is :mod:`.storage`; what it shows of itself, :mod:`.views`.
"""
from __future__ import annotations

import itertools
import logging
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..errors import GraphError, InputError
from ..execution import Engine, ExecutionReport
from ..execution.verification import Verification
from ..execution.verify import VerifyReport
from ..function_modifiers.nodes import nodes_from_functions
from ..graph import ChangeSet, FunctionGraph
from ..graph.build import MODIFIERS_ATTR, where
from . import cells, frontends
from .events import Event, Registration, Relay
from .storage import Storage
from .views import Views

logger = logging.getLogger("hamilton_nb")


def bind_in_notebook(names: Sequence[str]) -> str:
    """How a notebook supplies missing inputs: the magic, or the Python twin's ``inputs=``."""
    return (f"bind them, e.g. `%hamilton_inputs {' '.join(f'{n}=...' for n in names)}`, or pass them "
            "to one execute: `%hamilton_execute ... -i VARIABLE_OR_JSON` or `execute(..., inputs={...})`.")


class Session(Storage, Views):
    """Python twin of the magics; usable without IPython."""

    def __init__(self, memory_budget: int | str | None = None, verify: str | None = None) -> None:
        """``memory_budget`` bounds the values kept in memory (bytes or "4GB"; default: half the
        machine's RAM); past it the least recently used are evicted. ``verify="idle"``: see
        :meth:`verify_idle`."""
        from ..execution.sizes import parse_size

        self.graph = FunctionGraph()
        self.engine = Engine(self.graph, memory_budget=parse_size(memory_budget) if memory_budget else None)
        self.engine.missing_fix = bind_in_notebook
        self.functions: dict[str, list[Callable]] = {}
        self._dropped: dict[str, set[str]] = {}  # module -> nodes dropped one by one
        self._observers: list[Callable[[Event], None]] = []
        self._described: dict = {}  # node -> (node, module, type, tags) as the status table shows them
        self._status: tuple | None = None  # (revision, generation, status frame) last shown
        self._cell_counter = itertools.count(1)
        self._cell_modules: dict[str, str] = {}  # front-end cell id -> its module
        self._unnamed_sources: dict[str, tuple[str, str]] = {}  # unnamed cell's module -> its code, names blanked
        self.verification = Verification(self.engine, self._publish_states)
        if verify not in (None, "idle", "off"):
            raise ValueError(f'verify must be "idle", "off" or None, not {verify!r}')
        if verify == "idle":
            self.verify_idle(True)

    # ---- observers ------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on every change; returns an unsubscribe function."""
        if not self._observers:
            self.engine.listeners.append(Relay(self._emit))
            self.engine.state_changes()  # observers start from the current states
        self._observers.append(callback)
        return lambda: self.unsubscribe(callback)

    def unsubscribe(self, callback: Callable[[Event], None]) -> None:
        if callback in self._observers:
            self._observers.remove(callback)
        if not self._observers:
            self.engine.listeners[:] = [l for l in self.engine.listeners if not isinstance(l, Relay)]

    def _emit(self, event: Event) -> None:
        """Tell every observer; a failing observer (a display) must never break the user's cell."""
        for callback in list(self._observers):
            try:
                callback(event)
            except Exception:
                logger.exception("hamilton_nb: an observer of the session failed on a %s event", event.kind)

    def _publish_states(self, event: Event | None = None) -> None:
        """Tell observers about ``event`` (if any), then which node states it changed.

        States are computed once, before ``event`` goes out, so every observer reading
        :attr:`known_states` while handling it sees the new ones.
        """
        if not self._observers:
            return
        changed = self.engine.state_changes()
        if event is not None:
            self._emit(event)
        if changed:
            self._emit(Event("states", list(changed), changed))

    @property
    def known_states(self) -> dict[str, str]:
        """States as of the last change the session announced (cheap; for observers)."""
        return self.engine.known_states() if self._observers else self.engine.states()

    # ---- modules ----------------------------------------------------------------------------
    def register_functions(self, module: str, functions: Sequence[Callable]) -> Registration:
        """Make ``module`` consist of exactly ``functions`` (validated; all or nothing)."""
        nodes = nodes_from_functions(functions, module, self.engine.config)
        self._check_input_clash([node.name for node in nodes], module)
        before = {name: self.graph.nodes[name] for name in self.graph.modules.get(module, ())}
        change = self.graph.replace_module(module, nodes)
        self._dropped.pop(module, None)  # defining the functions again brings dropped nodes back
        # Unchanged nodes are re-checked: re-running the cell may have redefined helpers or constants.
        stale = [n for n in self.engine.graph_changed(change.touched, recheck=change.unchanged)
                 if n in self.graph.nodes]
        self.engine.removed.update({name: module for name in change.removed})  # values released at next execute
        for name in change.added:
            self.engine.removed.pop(name, None)
        retyped = [n for n in change.changed if before[n].fingerprint == self.graph.nodes[n].fingerprint
                   and n not in stale]
        if len(stale) > 1:  # graph order, so a cell's receipt reads the same on every run
            stale = self.engine.sort_by_order(stale)
        if functions:
            self.functions[module] = list(functions)
        else:
            self.functions.pop(module, None)
        self._publish_states(Event("graph", change.touched, module=module))
        return Registration(module, change, stale, retyped)

    def _check_input_clash(self, names: Iterable[str], module: str | None) -> None:
        for name in names:
            if name in self.engine.inputs:
                raise GraphError(
                    f"`{name}` in {where(module) if module else 'this %%hamilton cell'} has the same name as an input "
                    "bound with %hamilton_inputs, so one would hide the other.\n"
                    f"Fix: rename the function, or drop the input first (`%hamilton_inputs --drop {name}`).")

    def _resolve(self, module: str, functions: Sequence[Callable], config: Mapping[str, Any]) -> list:
        """The module's nodes under ``config``, without the ones dropped one by one."""
        dropped = self._dropped.get(module, ())
        return [n for n in nodes_from_functions(functions, module, config) if n.name not in dropped]

    def register_cell(self, source: str, module: str | None = None, namespace: dict | None = None,
                      filename: str | None = None, config: Mapping[str, Any] | None = None,
                      cell_id: str | None = None) -> Registration:
        """Run ``source`` in ``namespace`` and register the functions it defines as ``module``.

        Without a module name, a cell is known by its front-end ``cell_id`` (its module is named
        after its first function, and keeps that name); without one, by the module that owns
        most of its functions, or else by its code (a re-run of an unnamed cell whose only
        function was renamed, nothing else). A cell that now defines no functions empties its module.
        ``config`` is set first (``%%hamilton -c``). On any error the namespace, the config and
        the session are left as they were.
        """
        namespace = {} if namespace is None else namespace
        label = f"cell `{module}`" if module else "this %%hamilton cell"
        filename = filename or f"<hamilton cell {module or 'anonymous'}>"
        code = cells.compile_cell(source, label, filename)
        names = cells.defined_function_names(code, label)
        self._check_input_clash(names, module)
        public = [n for n in names if not n.startswith("_")]
        matched = None
        if module is None:
            module, matched = self._module_for_cell(cell_id, public, source)
        if not public and module not in self.graph.modules:
            raise GraphError(f"{label} defines no functions, so nothing was registered.\n"
                             "Fix: put `def` functions in %%hamilton cells; other code belongs in regular cells.")
        saved = cells.snapshot(namespace, code)
        old_config = self.config
        try:
            config_stale = self.set_config(config) if config else []
            functions = cells.run_cell(code, source, namespace, label, filename)
            registration = self.register_functions(module, functions)
            if config_stale:
                stale = set(registration.stale) | {n for n in config_stale if n in self.graph.nodes}
                registration.stale = [n for n in self.graph.topological_order() if n in stale]
        except BaseException:
            cells.restore(namespace, saved)
            if config:
                self._restore_config(old_config)
            raise
        if cell_id is not None:
            self._cell_modules[cell_id] = module
        elif module in self._unnamed_sources or matched is not None or module.startswith("cell_"):
            self._unnamed_sources[module] = (cells.without_names(source, public), source)
        registration.matched = matched
        return registration

    def _module_for_cell(self, cell_id: str | None, names: Sequence[str], source: str) -> tuple[str, str | None]:
        """(module, how it was matched) for a cell registered without a module name."""
        if cell_id is not None and cell_id in self._cell_modules:
            return self._cell_modules[cell_id], None
        if cell_id is None:
            owners = [(len(set(names) & set(self.graph.modules[m])), m) for m in self.graph.modules]
            best = max(owners, default=(0, ""))
            if best[0]:
                return best[1], None
            shape = cells.without_names(source, names)
            for module, (old_shape, _) in self._unnamed_sources.items():
                if module in self.graph.modules and old_shape == shape:
                    return module, "the same cell as before, its functions renamed"
        base = f"cell_{names[0]}" if names else f"cell_{next(self._cell_counter)}"
        candidate, taken = base, set(self.graph.modules) | set(self._cell_modules.values())
        for n in itertools.count(2):
            if candidate not in taken:
                return candidate, None
            candidate = f"{base}_{n}"

    def drop(self, name: str) -> ChangeSet:
        """Remove a module, or a single node from its module."""
        module = name if name in self.graph.modules else getattr(self.graph.nodes.get(name), "module", None)
        if name in self.graph.modules:
            change = self.graph.drop_module(name)
            self.functions.pop(name, None)
        elif name in self.graph.nodes:
            module = self.graph.nodes[name].module
            keep = [n for n in self.graph.modules[module] if n != name]
            nodes = [self.graph.nodes[n] for n in keep]
            change = self.graph.replace_module(module, nodes)
            self._dropped.setdefault(module, set()).add(name)  # stays dropped when config re-resolves
        else:
            raise InputError(f"`{name}` is neither a module nor a node of this session.\n"
                             f"Fix: modules are {', '.join(self.graph.modules) or '(none yet)'}; "
                             "see `%hamilton_status` for nodes.")
        self.engine.graph_changed(change.touched)
        self.engine.forget(change.removed)
        self.engine.removed.update({removed: module for removed in change.removed})
        self._publish_states(Event("graph", change.touched, module=name))
        return change

    def reset(self, cache_only: bool = False) -> None:
        """Forget computed values; without ``cache_only`` also modules, inputs and config."""
        if cache_only:
            self.engine.reset_cache()
        else:
            observers = self._observers
            listeners = self.engine.listeners
            persistent = self.engine.persistent  # the on-disk cache setting survives a reset
            executor = self.engine.executor  # so do the executor setting and the memory budget
            verification = self.verification  # and idle verification
            self.__init__(memory_budget=self.engine.cache.budget)
            self.verification = verification.renewed(self.engine)
            self.engine.persistent = persistent
            self.engine.executor = executor
            self._observers = observers
            self.engine.listeners.extend(listeners)
        self._publish_states(Event("reset"))

    # ---- inputs and config ------------------------------------------------------------------
    def set_inputs(self, values: Mapping[str, Any] | None = None, **more: Any) -> None:
        """Bind external inputs by name (pandas values are snapshotted: later edits need a re-bind)."""
        self.engine.set_inputs({**(values or {}), **more})
        self._publish_states()

    def remove_inputs(self, *names: str) -> None:
        for name in names:
            self.engine.remove_input(name)
        self._publish_states()

    @property
    def inputs(self) -> dict[str, Any]:
        return dict(self.engine.inputs)

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.engine.config)

    def set_config(self, values: Mapping[str, Any] | None = None, **more: Any) -> list[str]:
        """Set config; modules whose functions depend on config are resolved again. Returns the
        nodes the change made stale, in graph order."""
        updates = {**(values or {}), **more}
        old = dict(self.engine.config)
        stale_before = self.engine.stale_nodes()
        self.engine.set_config(updates)
        try:
            for module, functions in list(self.functions.items()):
                if any(getattr(fn, MODIFIERS_ATTR, None) for fn in functions):
                    nodes = self._resolve(module, functions, self.engine.config)
                    change = self.graph.replace_module(module, nodes)
                    self.engine.graph_changed(change.touched, recheck=change.unchanged)
        except GraphError:
            self._restore_config(old)
            raise
        self._publish_states(Event("graph", list(updates)))
        now_stale = self.engine.stale_nodes() - stale_before
        return [name for name in self.graph.topological_order() if name in now_stale]

    def _restore_config(self, old: Mapping[str, Any]) -> None:
        """Put the config back to ``old`` and resolve every module under it again."""
        self.engine.config.clear()
        self.engine.set_config(old)
        for module, functions in list(self.functions.items()):
            nodes = self._resolve(module, functions, old)
            change = self.graph.replace_module(module, nodes)
            self.engine.graph_changed(change.touched, recheck=change.unchanged)
        self._publish_states()

    # ---- executing --------------------------------------------------------------------------
    def execute(self, outputs: Sequence[str] | None = None, *, all: bool = False,
                inputs: Mapping[str, Any] | None = None, overrides: Mapping[str, Any] | None = None,
                result: str = "dataframe", executor: Any = None, live: bool = False) -> Any:
        """Requested outputs as a DataFrame (or dict, or ``result="polars"``); recomputes only stale
        nodes, with ``executor`` ("local", "threads", "dask" or an Executor; default
        :attr:`executor`).

        ``live=True``: when a notebook cell displays the result, it is recomputed and redrawn
        after every change (``%hamilton_execute --live``; :meth:`stop_live` stops)."""
        if all:
            outputs = [n for n in self.graph.topological_order() if n in self.graph.nodes]
        if not outputs:
            raise InputError("Nothing to execute: name the outputs you want, or use --all.\n"
                             f"Fix: e.g. `%hamilton_execute {' '.join(list(self.graph.nodes)[:2]) or 'my_column'}`.")
        try:
            for _ in range(2):  # again when a value loaded from disk turns out wrong (made stale)
                value = self.engine.execute(list(outputs), inputs=inputs, overrides=overrides, result=result,
                                            executor=executor)
                if not self.verification.after_execute(self.engine.last_report):
                    break
        finally:
            self._publish_states(Event("executed", list(outputs)))
        if live and (frontend := frontends.current()) is not None:
            frontend.offer(value, list(outputs), inputs=inputs, overrides=overrides, result=result, live=True)
        return value

    def stop_live(self) -> int:
        """Stop every live output in the notebook (``%hamilton_live off``); returns how many."""
        frontend = frontends.current()
        return frontend.stop_live() if frontend is not None else 0

    @property
    def last_report(self) -> ExecutionReport | None:
        return self.engine.last_report

    @property
    def executor(self):
        """Where nodes run by default: set "local", "threads", "dask" or an Executor instance."""
        return self.engine.executor

    @executor.setter
    def executor(self, value: Any) -> None:
        from ..execution.choice import resolve

        self.engine.executor = resolve(value)

    @property
    def strict_types(self) -> bool:
        """False (default): a value that contradicts its return type hint is a warning (status
        "checks" column, widget); True: it is an error, as a failed ``importance="fail"`` check."""
        return self.engine.checks.strict_types

    @strict_types.setter
    def strict_types(self, value: bool) -> None:
        self.engine.checks.strict_types = bool(value)

    # ---- verification -----------------------------------------------------------------------
    def verify(self, nodes: Sequence[str] | None = None, all: bool = False) -> VerifyReport:
        """Compute cached ``nodes`` (or ``all``) again from their cached inputs, aside, and compare
        with the cached values; mismatches and their descendants become stale (``%hamilton_verify``)."""
        return self.verification.run(nodes, all)

    def verify_idle(self, on: bool = True) -> str:
        """Between cells, verify cached nodes a few at a time (≤ 50 ms a slice, ≤ 10% of the time);
        needs a running event loop (a Jupyter kernel). Returns what it did."""
        return self.verification.set_idle(on)

    def export(self, path: str, modules: Sequence[str] | None = None, force: bool = False):
        """Write the functions (of ``modules``, default all) to one importable module at ``path``."""
        from .export import export_session

        return export_session(self, path, modules=modules, force=force)

    def import_module(self, module_or_path: Any, as_name: str | None = None) -> Registration:
        """Register a module's functions as session module ``as_name`` (default: its name).

        ``module_or_path`` is an importable name, a module object or a ``.py`` path. The file
        is read afresh every time, so importing again after editing it updates only what
        changed (and makes stale only what depends on that); edited modules of the same package
        that it imports are read again with it.
        """
        from .export import load_module
        from ..graph import functions_of_module

        module = load_module(module_or_path)
        return self.register_functions(as_name or module.__name__, functions_of_module(module))



_SESSION: Session | None = None


def get_session() -> Session:
    global _SESSION
    if _SESSION is None:
        _SESSION = Session()
    return _SESSION
