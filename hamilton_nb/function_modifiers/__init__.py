"""Hamilton-compatible function modifiers: port code by changing only the import.

``from hamilton.function_modifiers import …`` → ``from hamilton_nb.function_modifiers import …``.
Each decorator records itself on the function and returns the *same* function, so decorated
functions remain ordinary, callable, unit-testable functions; the graph layer turns them into
nodes (``base.resolve``).
"""
from .base import InvalidDecoratorError, InvalidDecoratorException, MissingColumnError, MissingFieldError
from .checks import check_output
from .configuration import config
from .expanders import extract_columns, extract_fields
from .parameterize import parameterize, parameterize_sources, parameterize_values, source, value
from .tags import tag

__all__ = ["InvalidDecoratorError", "InvalidDecoratorException", "MissingColumnError", "MissingFieldError",
           "check_output", "config", "extract_columns", "extract_fields", "parameterize",
           "parameterize_sources", "parameterize_values", "source", "tag", "value"]
