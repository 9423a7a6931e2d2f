"""The Dask executor: each stale node a ``dask.distributed`` task, branches across workers.

Dask is optional (``pip install 'hamilton_nb[dask]'``) and imported only when used. The
contract is the one in :mod:`.executors`: only stale nodes are submitted, values come back
through ``run.store``, failures name the node and show the user's frames.
"""
from __future__ import annotations

import os
import pickle
import sys
import sysconfig
import time
import traceback
import uuid
from typing import Any, Iterable

from ..errors import HamiltonError
from . import sharing
from .cache import nbytes_of
from .executors import Executor, _Waiting, require
from .interrupts import CtrlC

_INLINE_BYTES = 64 * 2 ** 10  # values below this travel with the tasks instead of being scattered first

class Computed:
    """A node's value and its compute seconds, as a Dask task returns them."""

    __slots__ = ("value", "seconds")

    def __init__(self, value: Any, seconds: float) -> None:
        self.value, self.seconds = value, seconds

    def __reduce__(self):
        return Computed, (self.value, self.seconds)


class _ByValue:
    """A function pickled by value (cloudpickle) that unpickles as the function itself."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def __reduce__(self):
        import cloudpickle

        return cloudpickle.loads, (self.payload,)


class RemoteNodeError(Exception):
    """Raised on a worker when a node fails; carries what the client needs to report it.

    ``error`` is the user's exception (or a stand-in when it cannot be pickled), ``frames``
    the user's traceback frames as (filename, lineno, function) — formatted on the client,
    whose line cache knows notebook cells — and ``mutated`` the parameter a node rebound.
    """

    def __init__(self, node: str, error: BaseException | None, frames: list, mutated: str | None = None):
        super().__init__(node, error, frames, mutated)
        self.node, self.error, self.frames, self.mutated = node, error, frames, mutated

    def __str__(self) -> str:
        return f"node `{self.node}` failed: {self.error!r}"


def run_remote(fn, node: str, kwargs: dict) -> Computed:
    """The Dask task of one node (runs on a worker).

    Upstream values arrive as :class:`Computed`; they are sealed read-only before the call,
    as locally, because other tasks on this worker share them.
    """
    args = {param: value.value if type(value) is Computed else value for param, value in kwargs.items()}
    guards = {param: sharing.seal(value) for param, value in args.items()}
    handed = {param: sharing.handout(value) for param, value in args.items()}
    t0 = time.perf_counter()
    try:
        value = fn(**handed)
    except Exception as exc:
        frames = [(f.filename, f.lineno, f.name) for f in
                  traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__.tb_next),
                                                 lookup_lines=False)]
        try:
            pickle.dumps(exc)
            error = exc
        except Exception:
            error = RuntimeError(f"{type(exc).__name__}: {exc}")
        raise RemoteNodeError(node, error, frames) from None
    seconds = time.perf_counter() - t0
    for param, guard in guards.items():
        if guard is not None and sharing.tampered(args[param], guard):
            sharing.undo(args[param], guard)
            raise RemoteNodeError(node, None, [], mutated=param)
    return Computed(value, seconds)


def _code_objects(fn: Any, depth: int = 2) -> Iterable:
    """Code objects a node may run: the function, what it wraps, closures and global helpers."""
    seen: set[int] = set()
    stack = [(fn, depth)]
    while stack:
        obj, level = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        code = getattr(obj, "__code__", None)
        if code is None:
            continue
        yield code
        yield from (c for c in code.co_consts if hasattr(c, "co_lines"))  # nested functions
        if level <= 0:
            continue
        wrapped = getattr(obj, "__wrapped__", None)
        if wrapped is not None:
            stack.append((wrapped, level))
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                stack.append((cell.cell_contents, level - 1))
            except ValueError:
                pass
        globs = getattr(obj, "__globals__", {})
        for name in code.co_names:
            if callable(globs.get(name)):
                stack.append((globs[name], level - 1))


def _format_remote(error: RemoteNodeError, *functions: Any) -> str:
    """The user's traceback of a worker failure, with file names and source lines from here.

    Functions shipped by value run on workers as ``<dynamic-code>``; their frames are mapped
    back to the file (or notebook cell) they were defined in.
    """
    codes = [c for fn in functions if fn is not None for c in _code_objects(fn)]
    frames = []
    for filename, lineno, name in error.frames:
        if filename == "<dynamic-code>":
            for code in codes:
                if code.co_name == name and any(line == lineno for _, _, line in code.co_lines()):
                    filename = code.co_filename
                    break
        frames.append(traceback.FrameSummary(filename, lineno, name))
    exc = error.error
    text = "Traceback (most recent call last):\n" if frames else ""
    text += "".join(traceback.StackSummary.from_list(frames).format())
    return text + "".join(traceback.format_exception_only(type(exc), exc))


def _installed(module: Any) -> bool:
    """Is ``module`` part of Python or an installed package (so workers import it by name)?"""
    path = getattr(module, "__file__", None)
    if not path:
        return True
    path = os.path.realpath(path)
    roots = {os.path.realpath(sysconfig.get_paths()[key]) for key in ("stdlib", "purelib", "platlib")}
    return any(path.startswith(root + os.sep) for root in roots)


class DaskExecutor(Executor):
    """Each stale node a ``dask.distributed`` task; independent branches run across workers.

    ``client`` is used when given; otherwise the current default client (``distributed.Client``
    made earlier in the process); otherwise a ``LocalCluster`` is started on first use (with
    ``cluster_kwargs``; one single-threaded worker process per core by default) and closed by
    :meth:`close` or at exit.

    Inputs and fresh cached values the stale nodes need are scattered once per execute; the
    futures of computed values stay on the cluster (one per node), so a later execute after an
    edit reuses them instead of sending them again. Computed values are gathered to the client
    and cached like local ones. The code of node functions from modules that are not installed
    packages (scripts next to yours, notebook cells) is shipped by value (``ship_code``), so
    workers need only ``hamilton_nb`` and the libraries the nodes import.
    """

    name = "dask"

    def __init__(self, client: Any = None, *, ship_code: bool = True, **cluster_kwargs: Any) -> None:
        require("distributed", "dask", "The Dask executor")
        self.client = client
        self.ship_code = ship_code
        self.cluster_kwargs = cluster_kwargs
        self._own: tuple | None = None  # (client, cluster) this executor started
        self._remote: dict[str, tuple] = {}  # name -> (version, future) kept on the cluster

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
        self._remote.clear()
        if self._own is not None:
            client, cluster = self._own
            self._own = None
            client.close()
            cluster.close()

    # ---- running -------------------------------------------------------------------------------
    def _shippable(self, engine, step) -> Any:
        """``step.callable``, or a by-value pickle of it when workers could not import its module."""
        fn = step.callable
        if not self.ship_code:
            return fn
        node = engine.graph.nodes.get(step.name)
        modules = []
        for candidate in (fn, getattr(node, "function", None)):
            name = getattr(candidate, "__module__", None)
            module = sys.modules.get(name) if name else None
            if module is not None and name != "__main__" and name.split(".")[0] != "hamilton_nb" \
                    and not _installed(module) and module not in modules:
                modules.append(module)
        if not modules:
            return fn
        import cloudpickle

        registered = set(cloudpickle.list_registry_pickle_by_value())
        added = [m for m in modules if m.__name__ not in registered]
        for module in added:
            cloudpickle.register_pickle_by_value(module)
        try:
            return _ByValue(cloudpickle.dumps(fn))
        finally:
            for module in added:
                cloudpickle.unregister_pickle_by_value(module)

    def run(self, run) -> None:
        stale = run.stale()
        if not stale:
            return
        engine, values, memo, report = run.engine, run.values, run.memo, run.report
        distributed = require("distributed", "dask", "The Dask executor")
        client = self.get_client()
        names = {step.name for step in stale}
        # What the stale steps read that is not computed now: on the cluster already, or scattered.
        needed = {dep for step in stale for _, dep, _ in step.args if dep in values and dep not in names}
        remote: dict[str, Any] = {}
        send = []
        for dep in needed:
            if nbytes_of(values[dep]) < _INLINE_BYTES:  # small (a seed, a setting): goes inside the tasks
                remote[dep] = values[dep]
                continue
            known = self._remote.get(dep)
            if known is not None and known[0] == memo.get(dep) and known[1].client is client \
                    and known[1].status == "finished":
                remote[dep] = known[1]
            else:
                send.append(dep)
        waiting = _Waiting(stale)
        futures: dict[str, Any] = {}
        by_key: dict[str, Any] = {}
        ctrl_c = CtrlC().start()
        try:
            if send:
                for dep, future in zip(send, client.scatter([values[dep] for dep in send], hash=False,
                                                                  broadcast=True)):
                    remote[dep] = future
                    self._remote[dep] = (memo.get(dep), future)
            for step in stale:  # dependency order: upstream futures exist before their consumers
                kwargs = {param: futures[dep] if dep in futures else remote[dep]
                          for param, dep, _ in step.args if dep in futures or dep in remote}
                future = client.submit(run_remote, self._shippable(engine, step), step.name, kwargs,
                                       key=f"{step.name}-{uuid.uuid4().hex}", pure=False)
                futures[step.name] = future
                by_key[future.key] = step
            for step in waiting.ready:
                run.started(step.name)
            finished = distributed.as_completed(list(futures.values()), with_results=True,
                                                raise_errors=False, loop=client.loop)
            for batch in finished.batches():
                ctrl_c.check()
                for future, result in batch:
                    step = by_key[future.key]
                    name = step.name
                    if future.status != "finished":
                        self._raise(run, step, result, waiting)
                    run.store(step, result.value, result.seconds)
                    self._remote[name] = (memo[name], future)
                    for ready in waiting.done(name):
                        if ready.name not in report.computed:  # a batch may hold a child before its parent
                            run.started(ready.name)
        except KeyboardInterrupt:
            running = [step.name for step in stale if step.name in engine.running]
            self._cancel(client, futures, names, report)
            run.abandon(names)
            raise run.interrupted(running) from None
        finally:
            ctrl_c.stop()
            self._cancel(client, futures, names, report)
            run.abandon(names)

    @staticmethod
    def _cancel(client, futures, names, report) -> None:
        outstanding = [f for n, f in futures.items() if n not in report.computed and not f.done()]
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
            node = run.engine.graph.nodes[step.name]
            run.fail(step, exc.error, user_tb=_format_remote(exc, step.callable, node.function))
        self._remote.clear()  # the cluster may have lost data (a worker died): send again next time
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
