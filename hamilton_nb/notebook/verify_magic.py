"""``%hamilton_verify``: cached values computed again, aside, and compared with what is cached."""
from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ..session import get_session


def print_pending(session) -> None:
    """Print what idle mode (or a value loaded from disk) found since it was last shown."""
    for report in session.verification.take_pending():
        print(report)


@magics_class
class VerifyMagics(Magics):
    """``%hamilton_verify``; tells idle verification when cells run (no slice runs during one)."""

    def __init__(self, shell):
        super().__init__(shell)
        shell.events.register("pre_run_cell", self._cell_started)
        shell.events.register("post_run_cell", self._cell_finished)

    def _cell_started(self, info=None) -> None:
        get_session().verification.cell_started()

    def _cell_finished(self, result=None) -> None:
        get_session().verification.cell_finished()

    @magic_arguments()
    @argument("nodes", nargs="*", help="Nodes to verify.")
    @argument("--all", action="store_true", help="Verify every node with a cached value.")
    @argument("--idle", nargs="?", const="on", choices=["on", "off"],
              help="on (default) | off: verify cached nodes between cells, a few at a time.")
    @line_magic
    def hamilton_verify(self, line: str):
        """Compute cached nodes again from their cached inputs and compare with the cached values.

        A node's version covers what its code names and reaches; state it reads some other way
        (``os.environ``, library options, the global random state, a file it opens) is invisible
        to it. This is the safety net: each node named (or ``--all``) is computed again, aside,
        from its *cached* inputs, and compared strictly with its cached value (dtype, index,
        values; missing equals missing). Nothing is stored. When a value differs, or the node
        now raises, it and everything downstream become stale, so the next execute recomputes
        them, and the output says which state hamilton_nb could not see. Untracked nodes, data
        loaders and stale nodes are skipped (they are recomputed anyway), and so are values kept
        on a Dask cluster. Prints one line per node (a summary for many) and the cost per node.

        ``--idle`` (in a Jupyter kernel) keeps verifying between cells: a few cached nodes at a
        time, at most 50 ms per slice and 10% of the time, never while a cell runs; what it
        finds is shown by the next ``%hamilton_status`` or ``%hamilton_verify``. ``--idle off``
        stops it. With no arguments: what background verification found, and its status.
        Python twins: ``get_session().verify(nodes, all=False)``, ``.verify_idle(True/False)``.

        Example::

            %hamilton_verify spend_per_signup
            %hamilton_verify --all
        """
        args = parse_argstring(self.hamilton_verify, line)
        session = get_session()
        print_pending(session)
        if args.idle:
            print(session.verify_idle(args.idle == "on"))
        if args.nodes or args.all:
            print(session.verify(args.nodes, all=args.all))
        elif not args.idle:
            verification = session.verification
            print(verification.status())
            if verification.loaded.checked or verification.loaded.skipped:
                print(verification.loaded)
            print("Name nodes to verify, or `--all`.")


def unload(ipython) -> None:
    magics = ipython.magics_manager.registry.get("VerifyMagics")
    if magics is not None:
        ipython.events.unregister("pre_run_cell", magics._cell_started)
        ipython.events.unregister("post_run_cell", magics._cell_finished)
