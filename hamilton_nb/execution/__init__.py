"""Versions, cache and execution of a graph. Knows nothing of IPython or widgets."""
from .engine import Engine, ExecutionReport, Listener

__all__ = ["Engine", "ExecutionReport", "Listener"]
