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
    pure-Python nodes run no faster than locally. Listeners and the cache are only touched on
    the calling thread.
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
        inflight: dict[cf.Future, Any] = {}
        pool = cf.ThreadPoolExecutor(self.max_workers, thread_name_prefix="hamilton_nb")

        def submit() -> None:
            while queue and len(inflight) < self.max_workers:
                step = queue.pop(0)
                kwargs = run.arguments(step)
                run.started(step.name)
                inflight[pool.submit(_call, step.callable, kwargs)] = step

        wait_for_running = True
        ctrl_c = CtrlC().start()
        try:
            submit()
            while inflight:
                # A timeout, so Ctrl-C (handled between bytecodes) is not held up by a long node.
                done, _ = cf.wait(list(inflight), timeout=0.1, return_when=cf.FIRST_COMPLETED)
                ctrl_c.check()
                for future in done:
                    step = inflight.pop(future)
                    error = future.exception()
                    if isinstance(error, KeyboardInterrupt):
                        raise error
                    if error is not None:
                        raise error
                    ok, payload, seconds, user_tb = future.result()
                    if not ok:
                        run.restore(step)
                        run.fail(step, payload, user_tb=user_tb)
                    run.store(step, payload, seconds)
                    queue.extend(waiting.done(step.name))
                submit()
        except KeyboardInterrupt:
            wait_for_running = False
            names = [step.name for step in inflight.values()]
            run.abandon(names)
            raise run.interrupted(names) from None
        finally:
            ctrl_c.stop()
            for future in inflight:
                future.cancel()
            run.abandon([step.name for step in inflight.values()])
            # After an error, let running nodes finish so nothing runs behind the caller's back;
            # after Ctrl-C, return at once (their results are discarded).
            pool.shutdown(wait=wait_for_running, cancel_futures=True)
