"""IPython magics: a thin layer over :class:`hamilton_nb.session.Session`."""
from __future__ import annotations

import contextlib

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ..errors import InputError
from ..session import get_session
from . import frontend_comm, live, notices, verify_magic
from .arguments import mapping
from .bound import bound_line
from .status_table import StatusTable


@magics_class
class HamiltonMagics(Magics):
    """Magics for building and executing a live Hamilton graph in a notebook."""

    def __init__(self, shell):
        super().__init__(shell)
        self.cell_id: str | None = None
        self.raw_cell: str | None = None
        shell.events.register("pre_run_cell", self._remember_cell_id)

    def _remember_cell_id(self, info) -> None:
        self.cell_id = getattr(info, "cell_id", None)
        self.raw_cell = getattr(info, "raw_cell", None)

    def _cell_number(self) -> int:
        """The ``n`` of ``In[n]`` IPython gave the running cell (its counter may already point at the
        next one), so tracebacks can say ``Cell In[n]``."""
        count = self.shell.execution_count
        compiler, raw = self.shell.compile, self.raw_cell
        try:
            transformed = self.shell.transform_cell(raw)
            for number in (count - 1, count):
                found = compiler._filename_map.get(compiler.get_code_name(raw, transformed, number))
                if found is not None:
                    return found
        except Exception:  # another IPython: its counter is the best guess
            pass
        return count

    @property
    def session(self):
        return get_session()

    @magic_arguments()
    @argument("module", nargs="?", help="Module name for this cell's functions (default: one per "
              "notebook cell, named after its first function, e.g. `cell_avg_3wk_spend`).")
    @argument("-c", "--config", help="Config to set first: a variable name or JSON object.")
    @argument("--display", action="store_true", help="Show the graph after registering.")
    @cell_magic
    def hamilton(self, line: str, cell: str):
        """Register the functions defined in this cell as one module of the session graph.

        The cell runs in the notebook namespace, so its functions stay callable. Running
        the cell again replaces the module: functions removed from the cell leave the
        graph, and only nodes whose code (or inputs) changed become stale. If anything is
        wrong (syntax, missing type hints, cycles, duplicates), nothing changes.

        Example::

            %%hamilton features
            def avg_3wk_spend(spend: pd.Series) -> pd.Series:
                return spend.rolling(3).mean()
        """
        args = parse_argstring(self.hamilton, line)
        session = self.session
        config = mapping(args.config, self.shell.user_ns, "-c/--config") if args.config else None
        filename = self.shell.compile.cache(cell, self._cell_number(), raw_code=cell) \
            if hasattr(self.shell, "compile") else None
        registration = session.register_cell(cell, args.module, self.shell.user_ns, filename=filename,
                                             config=config, cell_id=None if args.module else self.cell_id)
        print(registration)
        if args.display:
            return self._graph([], None, 1, None, static=False)

    @magic_arguments()
    @argument("columns", nargs="*", help="Outputs to compute.")
    @argument("--all", action="store_true", help="Compute every node.")
    @argument("-i", "--inputs", help="Inputs for this execution: variable name or JSON.")
    @argument("-o", "--overrides", help="Node values to use instead of computing: variable or JSON.")
    @argument("--out", help="Also store the result in this notebook variable.")
    @argument("--dict", action="store_true", help="Return {name: value} instead of a DataFrame.")
    @argument("-v", "--verbose", action="store_true",
              help="Report computed vs cached nodes, and which recomputed nodes changed value.")
    @argument("--executor", choices=["local", "threads", "dask"],
              help="Where nodes run this time (default: the session's, `get_session().executor`).")
    @argument("--polars", action="store_true", help="Return a polars DataFrame.")
    @argument("--result", choices=["dataframe", "dict", "polars"], help="Result type (default dataframe).")
    @argument("--no-progress", action="store_true", help="No progress bar for long runs.")
    @argument("--live", action="store_true",
              help="Keep the shown result current: recompute and redraw it after every change.")
    @line_magic
    def hamilton_execute(self, line: str):
        """Compute the named outputs and return them as a DataFrame.

        Only nodes whose version changed since they were last computed (code, inputs,
        config, globals they read) run again; the rest come from the cache. Runs computing
        more than 20 nodes (or taking over a second) show a progress bar. ``-v`` reports what
        ran, the slowest nodes, and which recomputed nodes changed value (``%hamilton_diff``
        shows how).

        A result the cell displays stays tied to the nodes it shows: when a later cell makes
        any of them stale, it is redrawn in place under a banner naming what changed (its old
        values dimmed). With ``--live`` it is recomputed and redrawn instead, right after the
        cell that changed something; ``%hamilton_live off`` stops that. ``df = %hamilton_execute``
        and ``--out`` give the plain value, which nothing redraws.

        ``--executor threads`` runs independent nodes in parallel threads; ``--executor dask``
        runs them as Dask tasks (the default ``distributed.Client``, else a local cluster).
        ``--polars`` returns a polars DataFrame.
        """
        args = parse_argstring(self.hamilton_execute, line)
        ns = self.shell.user_ns
        inputs = mapping(args.inputs, ns, "-i/--inputs") if args.inputs else None
        overrides = mapping(args.overrides, ns, "-o/--overrides") if args.overrides else None
        kind = args.result or ("polars" if args.polars else "dict" if args.dict else "dataframe")
        with contextlib.ExitStack() as stack:
            if not args.no_progress:
                from . import progress

                stack.enter_context(progress.attached(self.session.engine))
            result = self.session.execute(args.columns, all=args.all, inputs=inputs, overrides=overrides,
                                          result=kind, executor=args.executor)
        if args.verbose:
            print(self.session.last_report.summary())
        if args.out:
            ns[args.out] = result
        outputs = self.session.last_report.outputs
        live.offer(result, outputs, all=args.all, inputs=inputs, overrides=overrides, result=kind,
                   live=args.live)
        return result

    @magic_arguments()
    @argument("action", nargs="?", choices=["off", "status"], default="status",
              help="off: stop every live output; status (default): what is tracked.")
    @line_magic
    def hamilton_live(self, line: str):
        """Live outputs: ``%hamilton_live off`` stops every ``%hamilton_execute --live`` output.

        Stopped outputs stay on screen and, like every shown result, get a stale banner when
        a later change makes them out of date; re-running a cell that has ``--live`` makes its
        output live again. ``%hamilton_live`` alone says what is tracked.
        Python twin: ``get_session().stop_live()``.
        """
        args = parse_argstring(self.hamilton_live, line)
        if args.action == "off":
            stopped = self.session.stop_live()
            print(f"Stopped {stopped} live output{'' if stopped == 1 else 's'}.")
        else:
            found = live.tracker(self.shell)
            print(found.summary() if found is not None and found.can_update
                  else "Outputs are tracked in notebooks (a Jupyter kernel) only.")

    @magic_arguments()
    @argument("values", nargs="*", help="name=variable pairs, a dict or a DataFrame variable, or JSON.")
    @argument("--drop", nargs="+", metavar="NAME", help="Forget these inputs.")
    @line_magic
    def hamilton_inputs(self, line: str):
        """Bind external inputs: ``spend=spend_series``, a DataFrame (its columns), a dict or JSON.

        Values are snapshotted when bound; run this again after changing them. With no
        arguments, shows the current inputs.
        """
        args = parse_argstring(self.hamilton_inputs, line)
        if args.drop:
            self.session.remove_inputs(*args.drop)
        values = mapping(" ".join(args.values), self.shell.user_ns, "%hamilton_inputs")
        if values:
            before = self.session.engine.stale_nodes()
            self.session.set_inputs(values)
            print(bound_line(values, [n for n in self.session.graph.topological_order()
                                      if n in self.session.engine.stale_nodes() - before]))
        if not values and not args.drop:
            return {k: type(v).__name__ for k, v in self.session.inputs.items()}

    @magic_arguments()
    @argument("values", nargs="*", help="key=value pairs, a dict variable, or a JSON object.")
    @line_magic
    def hamilton_config(self, line: str):
        """Set configuration (also usable as inputs); functions using ``@config.when`` re-resolve.

        With no arguments, shows the current config.
        """
        args = parse_argstring(self.hamilton_config, line)
        values = mapping(" ".join(args.values), self.shell.user_ns, "%hamilton_config")
        if values:
            stale = self.session.set_config(values)
            print(f"config: {', '.join(values)} set" + (f"; now stale: {', '.join(stale)}" if stale else ""))
        else:
            return self.session.config

    @magic_arguments()
    @argument("--state", choices=["input", "fresh", "stale", "untracked", "not computed", "evicted", "running",
                                  "error"],
              type=lambda text: text.strip("'\"").replace("-", " ").replace("_", " "),
              help="Only nodes in this state ('not computed' may be written not-computed).")
    @argument("--module", help="Only nodes of this module.")
    @line_magic
    def hamilton_status(self, line: str):
        """Table of nodes: module, state (input/fresh/stale/untracked/not computed/running/error), type,
        timing, tags, failed data-quality warnings, and tracking (why a node is untracked, or what to
        re-run)."""
        args = parse_argstring(self.hamilton_status, line)
        verify_magic.print_pending(self.session)  # what idle verification found since
        return StatusTable(self.session.status(state=args.state, module=args.module))

    @magic_arguments()
    @argument("node", help="Node name.")
    @line_magic
    def hamilton_show(self, line: str):
        """Doc, signature, source, lineage, state and a value preview of one node.

        Like a shown result, it gets a banner when a later change makes the node stale.
        """
        args = parse_argstring(self.hamilton_show, line)
        details = self.session.show(args.node)
        live.offer(details, [details.name], node=details.name)
        return details

    @magic_arguments()
    @argument("node", help="Node name.")
    @line_magic
    def hamilton_diff(self, line: str):
        """What the last recompute of a node changed: its previous and current value side by side.

        Shows the rows that differ (before, after and the change) and summary statistics
        before and after, and why the node was recomputed (the edit, rebound input, config or
        global behind it, with the cell it happened in). After each execute, ``-v`` says which recomputed nodes changed
        value and which came out the same; this shows one of them in full. One previous
        value is kept per changed node, until that node is edited again (at most 512 MB in
        all, the oldest going first). Python twin: ``get_session().diff(node)``.

        Example::

            %hamilton_diff spend_per_signup
        """
        args = parse_argstring(self.hamilton_diff, line)
        return self.session.diff(args.node)

    @magic_arguments()
    @argument("name", help="A module (cell) name or a single node.")
    @line_magic
    def hamilton_drop(self, line: str):
        """Remove a module, or one node, from the session graph."""
        args = parse_argstring(self.hamilton_drop, line)
        change = self.session.drop(args.name)
        print(f"Removed: {', '.join(change.removed) or 'nothing'}")

    @magic_arguments()
    @argument("--cache", action="store_true", help="Only forget computed values.")
    @line_magic
    def hamilton_reset(self, line: str):
        """Start over: forget modules, inputs, config and values (``--cache``: only values)."""
        args = parse_argstring(self.hamilton_reset, line)
        self.session.reset(cache_only=args.cache)

    @magic_arguments()
    @argument("nodes", nargs="*", help="Show only these nodes (and what connects them).")
    @argument("--focus", help="Show the neighbourhood of this node.")
    @argument("--hops", type=int, default=1, help="Neighbourhood size for --focus.")
    @argument("--module", help="Show only this module.")
    @argument("--static", action="store_true", help="Text/HTML picture instead of the widget.")
    @line_magic
    def hamilton_graph(self, line: str):
        """Show the session graph: a live widget, or a static picture with --static."""
        args = parse_argstring(self.hamilton_graph, line)
        return self._graph(args.nodes, args.focus, args.hops, args.module, args.static)

    def _graph(self, nodes, focus, hops, module, static):
        from . import render

        return render.show(self.session, nodes=nodes, focus=focus, hops=hops, module=module, static=static)

    # ---- export, import, persistent cache ------------------------------------------------------
    @magic_arguments()
    @argument("path", help="The .py file to write (e.g. features.py).")
    @argument("--module", action="append", metavar="M", help="Export only this module (repeatable).")
    @argument("--force", action="store_true", help="Overwrite the file if it exists.")
    @line_magic
    def hamilton_export(self, line: str):
        """Write the session's functions to one importable Python module.

        The module gets a header docstring, the imports the functions use, the constants and
        helper functions they read, and the functions themselves (decorators included) in
        dependency order, so ``driver.Driver(config, module)`` computes the same columns.
        ``--module M`` (repeatable) exports only those modules. An existing file is never
        overwritten without ``--force``.

        Example::

            %hamilton_export features.py
            %hamilton_export features.py --module cleaning --module features --force
        """
        args = parse_argstring(self.hamilton_export, line)
        print(self.session.export(_unquote(args.path), modules=args.module, force=args.force))

    @magic_arguments()
    @argument("target", help="An importable module name (pkg.features) or a path to a .py file.")
    @argument("--as", dest="as_name", metavar="NAME", help="Session module name (default: the module's name).")
    @line_magic
    def hamilton_import(self, line: str):
        """Add a module's functions to the session graph as one named module.

        The file is read afresh each time: after editing it, import it again and only the
        functions that changed (and what depends on them) become stale. Its public functions
        become nodes, exactly as for a ``%%hamilton`` cell. A module inside a package imports
        with its package (relative imports work, by path too), and edited sibling modules of
        the same package are read again with it.

        Example::

            %hamilton_import features
            %hamilton_import ../src/cleaning.py --as cleaning
        """
        args = parse_argstring(self.hamilton_import, line)
        print(self.session.import_module(_unquote(args.target), as_name=args.as_name))

    @magic_arguments()
    @argument("action", choices=["on", "off", "clear", "info", "memory"], help="on | off | clear | info | memory")
    @argument("dir", nargs="?", help="With `on`: the cache directory (default .hamilton_cache/ here). "
                                     "With `memory`: the new memory budget, e.g. 4GB.")
    @argument("--max-size", help="With `on`: size limit, e.g. 500MB or 2GB (least recently used go first).")
    @line_magic
    def hamilton_cache(self, line: str):
        """Keep computed values on disk so a kernel restart does not cost a recomputation.

        ``on [DIR] [--max-size 2GB]``: from now on, values are written to DIR (default
        ``.hamilton_cache/`` beside the notebook), keyed by node version; after a restart,
        re-run the cells and ``%hamilton_execute`` loads fresh values instead of computing
        them. Stale entries are never loaded. ``off`` stops using it, ``clear`` deletes its
        entries (and forgets the values in memory), ``info`` shows entries, size and hit rate.

        pandas and polars values are stored in Arrow IPC (feather) format; other values are
        pickled, and loading a pickle can run code: only use a cache directory you trust.

        ``memory [SIZE]``: values kept in memory, against the memory budget (default: half the
        machine's RAM); with SIZE (e.g. ``4GB``), set the budget. Past it, the least recently
        used values are evicted (state ``evicted`` in ``%hamilton_status``); an execute that
        needs one again loads it from the persistent cache when it is on, else recomputes it.
        Python: ``session.set_memory_budget("4GB")``, ``session.memory_info()``.
        """
        args = parse_argstring(self.hamilton_cache, line)
        session = self.session
        if args.action == "memory":
            if args.max_size:
                raise InputError("`%hamilton_cache memory` takes a size, not --max-size.\n"
                                 "Fix: `%hamilton_cache memory 4GB`.")
            if args.dir:
                evicted = session.set_memory_budget(_unquote(args.dir))
                if evicted:
                    print(f"Evicted {len(evicted)} value(s) to fit the new budget.")
            print(session.memory_info())
            return
        if args.action != "on" and (args.dir or args.max_size):
            raise InputError(f"`%hamilton_cache {args.action}` takes no directory or --max-size.\n"
                             "Fix: `%hamilton_cache on DIR --max-size 2GB`.")
        if args.action == "on":
            try:
                store = session.enable_persistent_cache(_unquote(args.dir) if args.dir else None,
                                                        max_bytes=args.max_size)
            except ValueError as exc:
                raise InputError(f"--max-size: {exc}.") from None
            info = store.info()
            print(f"Persistent cache on: {info.directory} ({info.entries} entries)")
        elif args.action == "off":
            session.disable_persistent_cache()
            print("Persistent cache off (the files stay on disk).")
        elif args.action == "clear":
            print(f"Removed {session.clear_persistent_cache()} entries from disk, and the values in memory: "
                  "the next execute recomputes.")
        else:
            print(session.cache_info())


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"" else text


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(HamiltonMagics, verify_magic.VerifyMagics)
    notices.install(ipython)  # warnings as a calm line; why a node recomputed names the cell
    live.tracker(ipython)
    frontend_comm.install(ipython)  # after the tracker: badges follow the refreshed outputs


def unload_ipython_extension(ipython) -> None:
    magics = ipython.magics_manager.registry.get("HamiltonMagics")
    if magics is not None:
        ipython.events.unregister("pre_run_cell", magics._remember_cell_id)
    verify_magic.unload(ipython)
    notices.remove(ipython)
    frontend_comm.remove(ipython)
    live.remove(ipython)
