"""A real ``LocalCluster`` for the Dask tests: 2 single-threaded workers, closed afterwards."""
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
