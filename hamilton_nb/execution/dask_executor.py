"""The Dask executor: each stale node a ``dask.distributed`` task, branches across workers.

Dask is optional (``pip install 'hamilton_nb[dask]'``) and imported only when used. The
contract is the one in :mod:`.executors`: only stale nodes are submitted, their results go
through ``run.store``, failures name the node and show the user's frames.

Computed values stay on the cluster: the cache holds a handle (:class:`~.dask_tasks.OnCluster`)
and only what the user asks for is gathered; :mod:`.dask_tasks` is what runs on the workers.
"""
from __future__ import annotations

import os
import sys
import traceback
import uuid
from typing import Any

from ..errors import HamiltonError
from . import dask_code
from .cache import nbytes_of
from .dask_tasks import (Computed, OnCluster, Outcome, RemoteNodeError, format_remote, outcome_of,
                         run_remote)
from .executors import Executor, _Waiting
from .optional import require
from .interrupts import CtrlC
from .remote import fetch
from .versions import UNBOUND

_INLINE_BYTES = 64 * 2 ** 10  # values below this travel with the tasks instead of being scattered first


class DaskExecutor(Executor):
    """Each stale node a ``dask.distributed`` task; independent branches run across workers.

    ``client`` is used when given; otherwise the current default client (``distributed.Client``
    made earlier in the process); otherwise a ``LocalCluster`` is started on first use (with
    ``cluster_kwargs``; one single-threaded worker process per core by default) and closed by
    :meth:`close` or at exit.

    Computed values stay on the cluster; the cache holds their futures (:class:`OnCluster`)
    and an execute gathers only its outputs, so intermediates never pass through this process.
    An output computed now comes back with its outcome and is cached here like a local value
    (its future is kept, so the tasks that read it still find it on the cluster).
    Values the stale nodes need that are here (inputs, values computed locally) are scattered
    once and their futures kept, so a later execute reuses them. User code (notebook cells,
    scripts and modules next to yours, editable installs: everything but Python and installed
    libraries) that a task reaches, transitively, is shipped by value (``ship_code``), so the
    workers run it exactly as this process has it — after an edit and ``importlib.reload``
    too — and need only ``hamilton_nb`` and the libraries the nodes import. ``ship_code=False``
    leaves pickling to Dask (by reference for importable modules: the workers' own copy).
    """

    name = "dask"

    def __init__(self, client: Any = None, *, ship_code: bool = True, **cluster_kwargs: Any) -> None:
        require("distributed", "dask", "The Dask executor")
        self.client = client
        self.ship_code = ship_code
        self.cluster_kwargs = cluster_kwargs
        self._own: tuple | None = None  # (client, cluster) this executor started
        self._sent: dict[str, tuple] = {}  # name -> (version, future) of a value scattered from here
        self._shipped: dict[str, tuple] = {}  # name -> (step, version, what its task runs)

    def __repr__(self) -> str:
        return f"<DaskExecutor client={self.client or (self._own and self._own[0])}>"

    # ---- the client --------------------------------------------------------------------------
    def get_client(self) -> Any:
        distributed = require("distributed", "dask", "The Dask executor")
        if self.client is not None:
            return self.client
        if self._own is not None:
            return self._own[0]
        try:
            return distributed.default_client()
        except ValueError:
            pass
        kwargs = {"n_workers": os.cpu_count() or 1, "threads_per_worker": 1, "processes": True,
                  "dashboard_address": ":0", **self.cluster_kwargs}
        main = sys.modules.get("__main__")
        if main is not None and not hasattr(main, "__spec__"):
            main.__spec__ = None  # IPython's namespace module: spawning worker processes reads it
        if kwargs.get("processes", True):
            _refuse_in_a_worker_import()
        try:
            cluster = _local_cluster(distributed, kwargs)
        except RuntimeError as exc:
            script = getattr(main, "__file__", None)
            if kwargs.get("processes", True) and script and "failed to start" in str(exc):
                raise HamiltonError(_unguarded_script(script)) from None
            raise
        client = distributed.Client(cluster, set_as_default=False)
        self._own = (client, cluster)
        import atexit

        atexit.register(self.close)
        return client

    def close(self) -> None:
        self._sent.clear()
        self._shipped.clear()
        if self._own is not None:
            from .persistent import flush_all

            flush_all()  # persistent-cache writes of values kept on the cluster need it up
            client, cluster = self._own
            self._own = None
            client.close()
            cluster.close()

    # ---- running -------------------------------------------------------------------------------
    def _shippable(self, step, version: str, modules: dask_code.Modules) -> Any:
        """What a node's task runs: (its callable, its checks), pickled with the user code they
        reach by value (:mod:`.dask_code`). A pickle by value holds that code and the globals it
        reads, so it is kept only while the node's version (which covers them) stays the same."""
        if version is UNBOUND:  # says nothing of the globals: pickled afresh
            return self._ship(step, modules)
        known = self._shipped.get(step.name)
        if known is not None and known[0] is step and known[1] == version:
            return known[2]
        task = self._ship(step, modules)
        self._shipped[step.name] = (step, version, task)
        return task

    def _ship(self, step, modules: dask_code.Modules) -> Any:
        task = (step.callable, (step.check, step.quality_checks))
        if not self.ship_code:
            return task
        try:
            return dask_code.dumps(task, modules)  # pickled here once per version, not by Dask at every submit
        except dask_code.CodeNotSent as exc:
            raise dask_code.CodeNotSent(f"node `{step.name}` cannot run on the Dask workers: {exc}") from None

    def _portable(self, value: Any) -> Any:
        """A value for the workers: as it is, or pickled here with the user code it reaches (an
        instance of a class from a user module) by value, so they don't read it with their own."""
        if self.ship_code and dask_code.reaches_user_code(value):
            return dask_code.dumps(value)
        return value

    def run(self, run) -> None:
        stale = run.stale()
        if not stale:
            return
        values, memo, report = run.values, run.memo, run.report
        distributed = require("distributed", "dask", "The Dask executor")
        client = self.get_client()
        names = {step.name for step in stale}
        send: dict[str, tuple[Any, Any]] = {}  # name -> (value, version) to scatter
        # What the stale steps read that is not computed now, and the values they replace.
        placed = {dep: self._place(client, dep, values[dep], memo.get(dep), send)
                  for step in stale for _, dep, _ in step.args if dep in values and dep not in names}
        previous = {}
        for step in stale:
            entry = run.previous(step)
            if entry is not None:
                previous[step.name] = self._place(client, step.name, entry.value, entry.version, send)
        waiting = _Waiting(stale)
        modules = dask_code.Modules()  # user modules the tasks reach: each pickled once for them all
        futures: dict[str, Any] = {}
        outcomes: dict[str, Any] = {}
        by_key: dict[str, Any] = {}
        ctrl_c = CtrlC().start()
        try:
            if send:
                scattered = client.scatter([value for value, _ in send.values()], hash=False, broadcast=True)
                for (name, (_, version)), future in zip(send.items(), scattered):
                    self._sent[name] = (version, future)
                    placed[name] = future
                    if name in previous:
                        previous[name] = future
            for step in stale:  # dependency order: upstream futures exist before their consumers
                kwargs = {param: futures[dep] if dep in futures else placed[dep]
                          for param, dep, _ in step.args if dep in futures or dep in placed}
                before = (previous[step.name],) if step.name in previous else ()
                key = f"{step.name}-{uuid.uuid4().hex}"
                task = self._shippable(step, memo[step.name], modules)
                future = client.submit(run_remote, task, step.name, kwargs, before, run.persist_to(step), key=key,
                                       pure=False)
                futures[step.name] = future
                # An output comes here anyway: its value with its outcome. Others: the outcome only.
                outcomes[step.name] = future if step.name in run.wanted else \
                    client.submit(outcome_of, future, key=f"{key}-outcome", pure=False)
                by_key[outcomes[step.name].key] = step
            for step in waiting.ready:
                run.started(step.name)
            finished = distributed.as_completed(list(outcomes.values()), with_results=True,
                                                raise_errors=False, loop=client.loop)
            for batch in finished.batches():
                ctrl_c.check()
                for future, result in batch:
                    step = by_key[future.key]
                    name = step.name
                    if future.status != "finished":
                        self._store_finished(run, stale, futures, outcomes)
                        self._raise(run, step, result, waiting)
                    if name in report.computed:
                        continue
                    self._store(run, step, futures[name], result)
                    for ready in waiting.done(name):
                        if ready.name not in report.computed:  # a batch may hold a child before its parent
                            run.started(ready.name)
        except KeyboardInterrupt:
            running = [step.name for step in stale if step.name in run.running]
            self._cancel(client, futures, outcomes, report)
            run.abandon(names)
            raise run.interrupted(running) from None
        finally:
            ctrl_c.stop()
            self._cancel(client, futures, outcomes, report)
            run.abandon(names)

    def _store(self, run, step, future, result: "Outcome | Computed") -> None:
        """Store a node that finished: a handle on its value, or the value itself (an output),
        whose future is kept so later tasks read it on the cluster."""
        if type(result) is Computed:
            value, outcome = result.value, result.outcome
            self._sent[step.name] = (run.memo[step.name], future)
        else:
            value, outcome = OnCluster(future, result.nbytes, result.type_name), result
        run.store(step, value, outcome.seconds, verdict=outcome.verdict, comparison=outcome.comparison,
                  written=outcome.written, in_place=outcome.in_place)

    def _store_finished(self, run, stale, futures, outcomes) -> None:
        """Before a failure is reported: cache every node that finished (a node's outcome may
        come back after the failure of a node below it)."""
        for step in stale:
            if step.name not in run.report.computed and futures[step.name].status == "finished":
                try:
                    outcome = outcomes[step.name].result()  # its value is there: comes at once
                except Exception:  # pragma: no cover - the worker holding it died meanwhile
                    continue
                self._store(run, step, futures[step.name], outcome)

    def _place(self, client, name: str, value: Any, version: Any, send: dict) -> Any:
        """What a task is given for a value: its future when the cluster has it, the value itself
        when small (a seed, a setting: it travels inside the task); else it goes in ``send``
        (scattered once, its future then kept for later executes) and None is returned for now."""
        if isinstance(value, OnCluster) and value.future.client is client and value.alive():
            return value.future
        value = fetch(value)  # kept by another cluster: through here
        if nbytes_of(value) < _INLINE_BYTES:
            return self._portable(value)
        known = self._sent.get(name)
        if known is not None and known[0] == version and known[1].client is client and known[1].status == "finished":
            return known[1]
        send[name] = (self._portable(value), version)
        return None

    @staticmethod
    def _cancel(client, futures, outcomes, report) -> None:
        outstanding = [f for n, f in (*futures.items(), *outcomes.items())
                       if n not in report.computed and not f.done()]
        if outstanding:
            try:
                client.cancel(outstanding)
            except Exception:  # pragma: no cover - the cluster may be gone
                pass

    def _raise(self, run, step, result, waiting) -> None:
        """Report a failed task as the local path would (``NodeExecutionError``)."""
        exc = result[1] if isinstance(result, tuple) and len(result) == 3 else result
        if isinstance(exc, RemoteNodeError):
            step = waiting.steps.get(exc.node, step)  # a task downstream of it may report first
            if exc.mutated:
                run.fail(step, None, mutated=exc.mutated)
            if exc.shared and exc.error is None:
                run.fail(step, None, shared=exc.shared)
            node = run.graph.nodes[step.name]
            run.fail(step, exc.error, user_tb=format_remote(exc, step.callable, node.function), shared=exc.shared)
        self._sent.clear()  # the cluster may have lost data (a worker died): send again next time
        if not isinstance(exc, BaseException):
            exc = RuntimeError(f"the Dask task failed: {exc!r}")
        run.fail(step, exc, user_tb="".join(traceback.format_exception_only(type(exc), exc)))


def _unguarded_script(script: str) -> str:
    return (f"Dask could not start its worker processes for {os.path.basename(script)}. Each worker process "
            "imports the script again; code outside `if __name__ == \"__main__\":` then runs again in the "
            "worker and tries to start another cluster, so the workers fail (\"Nanny failed to start\").\n"
            "Fix: put the script's top-level code under `if __name__ == \"__main__\":`, or run the workers as "
            "threads: `DaskExecutor(processes=False)`.")


def _refuse_in_a_worker_import() -> None:
    """In a worker process importing the user's script, starting a cluster would recurse: stop."""
    import multiprocessing

    main = sys.modules.get("__main__")
    if multiprocessing.parent_process() is not None and getattr(main, "__name__", "") == "__mp_main__":
        raise HamiltonError(_unguarded_script(getattr(main, "__file__", None) or "the script"))


_TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def _local_cluster(distributed, kwargs: dict) -> Any:
    """A ``LocalCluster`` whose workers keep freed memory for reuse.

    Dask's nanny makes glibc return memory to the OS from 64 kB up, which suits long-lived
    workers with big partitions; feature nodes allocate and free many arrays of that very
    size, and paid ~15% per node for it here. Only Dask's default is changed, never a
    setting of the user's.
    """
    import dask

    if dask.config.get(_TRIM_KEY, None) in (None, 65536, "65536"):
        with dask.config.set({_TRIM_KEY: 16 * 2**20}):
            return distributed.LocalCluster(**kwargs)
    return distributed.LocalCluster(**kwargs)
