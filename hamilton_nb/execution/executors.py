"""Executors: how the stale steps of a plan are computed — in-process, on threads, or on Dask.

The engine decides *what* runs (the plan, versions, which cached values are fresh) and what
happens to a result (checks, sealing, the cache, errors). An executor only decides *where and
in which order* the stale steps run::

    executor.run(run)

``run`` is an :class:`~hamilton_nb.execution.run.Run`: its steps are in dependency order;
``run.stale()`` reuses fresh cached values and returns the steps to compute; each computed
value goes through ``run.store`` (type check, data-quality checks, sealed, cached with its
version), a failing node raises ``NodeExecutionError`` through ``run.fail``, and Ctrl-C raises
``run.interrupted(...)`` after cancelling what is still queued.

:func:`hamilton_nb.execution.choice.resolve` turns a name into one; Dask is imported only when used.
"""
from __future__ import annotations

import concurrent.futures as cf
import os
import time
import traceback
from typing import TYPE_CHECKING, Any

from .interrupts import CtrlC
from .parallel import BranchCall

if TYPE_CHECKING:  # pragma: no cover
    from .run import Run

class Executor:
    """Runs the stale steps of a plan. Subclasses implement :meth:`run`."""

    name = "executor"

    def run(self, run: "Run") -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (threads, a cluster this executor started)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class LocalExecutor(Executor):
    """One node after another in this process: the fastest choice for cheap nodes (the default)."""

    name = "local"

    def run(self, run) -> None:
        clock = time.perf_counter
        for step in run.steps:
            if run.reuse(step):
                continue
            name = step.name
            kwargs = run.arguments(step)
            run.started(name)
            t0 = clock()
            try:
                value = step.callable(**kwargs)
            except Exception as exc:
                run.restore(step)
                run.fail(step, exc)
            except BaseException as exc:
                run.restore(step)
                run.abandon([name])
                if isinstance(exc, KeyboardInterrupt):
                    raise run.interrupted([name], _user_traceback(exc)) from None
                raise
            run.store(step, value, clock() - t0)


# ---- shared by the parallel executors --------------------------------------------------------
class _Waiting:
    """Which stale steps still wait for stale dependencies; who becomes ready when one finishes."""

    def __init__(self, stale: list) -> None:
        names = {step.name for step in stale}
        self.steps = {step.name: step for step in stale}
        self.pending: dict[str, int] = {}
        self.children: dict[str, list[str]] = {name: [] for name in names}
        self.ready: list = []
        for step in stale:
            deps = {dep for _, dep, _ in step.args if dep in names}
            self.pending[step.name] = len(deps)
            for dep in deps:
                self.children[dep].append(step.name)
            if not deps:
                self.ready.append(step)

    def done(self, name: str) -> list:
        """``name`` finished: the steps that can run now."""
        ready = []
        for child in self.children[name]:
            self.pending[child] -= 1
            if self.pending[child] == 0:
                ready.append(self.steps[child])
        return ready


def _user_traceback(exc: BaseException, skip: int = 1) -> str:
    """The traceback of ``exc`` without the executor's own frame(s)."""
    tb = exc.__traceback__
    for _ in range(skip):
        tb = tb.tb_next if tb is not None else None
    return "".join(traceback.format_exception(type(exc), exc, tb))


# ---- threads -------------------------------------------------------------------------------------
def _call(fn, kwargs):
    """Run one node on a pool thread: (True, value, seconds, "") or (False, exc, 0, user traceback)."""
    t0 = time.perf_counter()
    try:
        value = fn(**kwargs)
    except Exception as exc:
        return False, exc, 0.0, _user_traceback(exc)
    return True, value, time.perf_counter() - t0, ""


class ThreadExecutor(Executor):
    """Independent stale nodes in parallel on a thread pool (``concurrent.futures``).

    Pays off when nodes release the GIL (numpy/pandas number crunching on large arrays, I/O);
    pure-Python nodes run no faster than locally. Each item of a parallel block's branch node is
    a task of its own. Listeners, the cache and item reuse are only touched on the calling thread.
    """

    name = "threads"

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers or min(32, (os.cpu_count() or 1) + 2)

    def __repr__(self) -> str:
        return f"<ThreadExecutor max_workers={self.max_workers}>"

    def run(self, run) -> None:
        stale = run.stale()
        if not stale:
            return
        waiting = _Waiting(stale)
        queue = list(waiting.ready)
        inflight: dict[cf.Future, tuple] = {}  # future -> (step, its items or None, item index)
        items: dict[str, _Items] = {}  # branch node -> its items still computing
        pool = cf.ThreadPoolExecutor(self.max_workers, thread_name_prefix="hamilton_nb")

        def submit() -> None:
            while queue and len(inflight) < self.max_workers:
                step = queue[0]
                if step.name in items:  # a branch node's items, one task each
                    work = items[step.name]
                    i = work.todo.pop()
                    inflight[pool.submit(_call, work.work.compute, {"i": i})] = (step, work, i)
                    if not work.todo:
                        queue.pop(0)
                    continue
                queue.pop(0)
                kwargs = run.arguments(step)
                run.started(step.name)
                if isinstance(step.callable, BranchCall):
                    work = _Items(step.callable.items(kwargs))
                    if work.todo:
                        items[step.name] = work
                        queue.insert(0, step)
                    else:
                        finished(step, work)
                    continue
                inflight[pool.submit(_call, step.callable, kwargs)] = (step, None, 0)

        def finished(step, work: "_Items") -> None:
            items.pop(step.name, None)
            run.store(step, work.work.finish(work.computed), work.seconds)
            queue.extend(waiting.done(step.name))

        wait_for_running = True
        ctrl_c = CtrlC().start()
        try:
            submit()
            while inflight:
                # A timeout, so Ctrl-C (handled between bytecodes) is not held up by a long node.
                done, _ = cf.wait(list(inflight), timeout=0.1, return_when=cf.FIRST_COMPLETED)
                ctrl_c.check()
                for future in done:
                    step, work, i = inflight.pop(future)
                    error = future.exception()
                    if error is not None:
                        raise error
                    ok, payload, seconds, user_tb = future.result()
                    if not ok:
                        run.restore(step)
                        run.fail(step, payload, user_tb=user_tb)
                    if work is None:
                        run.store(step, payload, seconds)
                        queue.extend(waiting.done(step.name))
                    elif work.done(i, payload, seconds) and step.name not in _names(inflight):
                        finished(step, work)
                submit()
        except KeyboardInterrupt:
            wait_for_running = False
            names = _names(inflight)
            run.abandon(names)
            raise run.interrupted(names) from None
        finally:
            ctrl_c.stop()
            for future in inflight:
                future.cancel()
            run.abandon(_names(inflight))
            # After an error, let running nodes finish so nothing runs behind the caller's back;
            # after Ctrl-C, return at once (their results are discarded).
            pool.shutdown(wait=wait_for_running, cancel_futures=True)


class _Items:
    """A branch node's items on the pool (see :class:`~.parallel.ItemWork`): what is left to
    submit, what came back, and the computing time they took together."""

    def __init__(self, work: Any) -> None:
        self.work, self.todo = work, list(reversed(work.todo))
        self.computed: dict[int, Any] = {}
        self.seconds = 0.0

    def done(self, i: int, value: Any, seconds: float) -> bool:
        """Item ``i`` came back; whether every item has been submitted."""
        self.computed[i] = value
        self.seconds += seconds
        return not self.todo


def _names(inflight: dict) -> list[str]:
    return list(dict.fromkeys(step.name for step, _, _ in inflight.values()))
