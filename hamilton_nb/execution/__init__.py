"""Versions, cache and execution of a graph. Knows nothing of IPython or widgets."""
from .engine import Engine, Listener
from .report import ExecutionReport
from .dask_executor import DaskExecutor
from .executors import Executor, LocalExecutor, ThreadExecutor

__all__ = ["Engine", "ExecutionReport", "Listener", "Executor", "LocalExecutor", "ThreadExecutor",
           "DaskExecutor"]
