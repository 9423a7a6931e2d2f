"""Versions, cache and execution of a graph. Knows nothing of IPython or widgets."""
from .engine import Engine, ExecutionReport, Listener
from .executors import DaskExecutor, Executor, LocalExecutor, ThreadExecutor

__all__ = ["Engine", "ExecutionReport", "Listener", "Executor", "LocalExecutor", "ThreadExecutor",
           "DaskExecutor"]
