"""An executor from its name: ``"local"``, ``"threads"`` or ``"dask"`` (one shared Dask client)."""
from __future__ import annotations

from .dask_executor import DaskExecutor
from .executors import Executor, LocalExecutor, ThreadExecutor
from .optional import require

EXECUTORS = ("local", "threads", "dask")
_LOCAL = LocalExecutor()
_DEFAULT_DASK: Executor | None = None


def resolve(executor: "str | Executor | None") -> Executor:
    """``"local"`` | ``"threads"`` | ``"dask"`` | an :class:`Executor` → an executor instance."""
    if executor is None or executor == "local":
        return _LOCAL
    if isinstance(executor, Executor):
        return executor
    if executor == "threads":
        return ThreadExecutor()
    if executor == "dask":
        global _DEFAULT_DASK
        require("distributed", "dask", "The Dask executor")
        if _DEFAULT_DASK is None:
            _DEFAULT_DASK = DaskExecutor()
        return _DEFAULT_DASK
    raise ValueError(f"executor must be one of {', '.join(map(repr, EXECUTORS))} or an Executor "
                     f"instance, not {executor!r}")
