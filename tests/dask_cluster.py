"""A real ``LocalCluster`` for the Dask tests: 2 single-threaded workers, closed afterwards; and
what the workers import themselves."""
from __future__ import annotations

import contextlib
import sys


@contextlib.contextmanager
def local_client(processes: bool):
    """A client (not the default one) of a fresh 2-worker ``LocalCluster``; worker processes
    (``processes=True``) or threads in this process."""
    import distributed

    if processes:
        main = sys.modules["__main__"]
        if not hasattr(main, "__spec__"):  # an IPython shell's namespace module (spawning reads it)
            main.__spec__ = None
    cluster = distributed.LocalCluster(n_workers=2, processes=processes, threads_per_worker=1,
                                       dashboard_address=":0")
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def workers_import(client, path, *names: str) -> None:
    """The workers put ``path`` on their ``sys.path`` and import ``names`` themselves, as workers
    started with it on their ``PYTHONPATH`` do when a task pickled by reference first needs them."""
    def load(path=str(path), names=names):
        import importlib
        import sys

        if path not in sys.path:
            sys.path.insert(0, path)
        for name in names:
            importlib.import_module(name)

    client.run(load)


def on_workers(client, name: str, expression: str) -> list:
    """``expression`` evaluated on each worker with the workers' own import of module ``name``."""
    def evaluate(name=name, expression=expression):
        import sys

        return eval(expression, {name: sys.modules[name]})

    return list(client.run(evaluate).values())
