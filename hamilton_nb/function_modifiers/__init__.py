"""Hamilton-compatible function modifiers, without needing Apache Hamilton.

``from hamilton.function_modifiers import …`` → ``from hamilton_nb.function_modifiers import …``
gives the same nodes and values. (Code that keeps Apache Hamilton's import works too, with the
``hamilton`` extra: Apache Hamilton resolves its own decorators, see ``graph.apache``.)
Each decorator records itself on the function and returns the *same* function, so decorated
functions remain ordinary, callable, unit-testable functions; :mod:`.nodes` turns them into nodes.
"""
from .base import InvalidDecoratorError, InvalidDecoratorException, MissingColumnError, MissingFieldError
from .checks import check_output, check_output_custom
from .configuration import config
from .expanders import extract_columns, extract_fields, unpack_fields
from .loaders import dataloader, datasaver, load_from, save_to
from .macros import does, hamilton_exclude
from .parameterize import (ParameterizedExtract, group, inject, parameterize, parameterize_extract_columns,
                           parameterize_sources, parameterize_values, source, value)
from .tags import tag, tag_outputs

__all__ = ["InvalidDecoratorError", "InvalidDecoratorException", "MissingColumnError", "MissingFieldError",
           "ParameterizedExtract", "check_output", "check_output_custom", "config", "dataloader", "datasaver",
           "does", "extract_columns", "extract_fields", "group", "hamilton_exclude", "inject", "load_from",
           "parameterize", "parameterize_extract_columns", "parameterize_sources", "parameterize_values",
           "save_to", "source", "tag", "tag_outputs", "unpack_fields", "value"]
