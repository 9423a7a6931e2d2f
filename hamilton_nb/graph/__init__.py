"""Functions → validated DAG. Knows nothing of IPython, widgets or execution."""
from .build import candidate_functions, functions_of_module
from .dag import ChangeSet, FunctionGraph
from .node import Dependency, Node

__all__ = ["ChangeSet", "Dependency", "FunctionGraph", "Node", "candidate_functions",
           "functions_of_module"]
