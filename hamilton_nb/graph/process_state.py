"""Process state a node can read without naming it as a global: the rule, in one place.

* **Library settings** that change how libraries compute — pandas options (all but
  ``display.*``), numpy's floating-point error state, the decimal context — are part of every
  node's version (:func:`settings_token`). Changing one makes every value computed under the old
  setting stale; they change rarely, and no code names them where they take effect.
* **Environment variables and global random state** are read where code names them:
  ``os.environ``, ``os.getenv``, ``pd.get_option``/``pd.options`` (display options included)
  are tracked by content (:func:`reader_state`); the global random generators of numpy and
  ``random`` make a node untracked (their state moves on every draw).
* **Files** named by a string in a node's code, or by a string global it reads, are tracked by
  their size and modification time (:func:`file_stamp`).

Whatever code reaches only inside a library (a pandas method that reads an option you never
name, say) is what ``%hamilton_verify`` exists for.
"""
from __future__ import annotations

import decimal
import functools
import importlib.metadata
import os
import sys
from stat import S_ISREG
from typing import Any

from .fingerprint import digest


def settings_token() -> str:
    """Library settings every computation runs under (only libraries already imported)."""
    context = decimal.getcontext()  # its flags record what happened, not how to compute: left out
    parts = [repr((context.prec, context.rounding, context.Emin, context.Emax, context.clamp)),
             repr(sorted(t.__name__ for t, on in context.traps.items() if on))]
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        parts.append(repr(sorted(numpy.geterr().items())))
    config = sys.modules.get("pandas._config.config")
    if config is not None:
        options = getattr(config, "_global_config", {})
        parts.append(repr({k: v for k, v in options.items() if k != "display"}))
    return digest(*parts)


def _all_pandas_options() -> Any:
    config = sys.modules.get("pandas._config.config")
    return repr(getattr(config, "_global_config", None))


def _environment() -> Any:
    return dict(os.environ)


def _readers() -> dict[int, tuple[Any, Any]]:
    """id of a library callable -> (the callable, what reads the state it reads)."""
    found: dict[int, tuple[Any, Any]] = {}
    for fn in (os.getenv, getattr(os, "getenvb", None)):
        if fn is not None:
            found[id(fn)] = (fn, _environment)
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        for name in ("get_option", "describe_option", "option_context", "options"):
            fn = getattr(pandas, name, None)
            if fn is not None:
                found[id(fn)] = (fn, _all_pandas_options)
    return found


_cache: dict[bool, dict[int, tuple[Any, Any]]] = {}


def _reader(obj: Any) -> Any:
    key = "pandas" in sys.modules  # pandas' readers join once it is imported
    readers = _cache.get(key)
    if readers is None:
        readers = _cache[key] = _readers()
    found = readers.get(id(obj))
    return found[1] if found is not None and found[0] is obj else None


def is_state_reader(obj: Any) -> bool:
    return _reader(obj) is not None


def reader_state(obj: Any) -> Any:
    """The state a library callable reads without naming it (``os.getenv`` → the environment),
    or None for anything else. The caller tokenizes what it returns."""
    read = _reader(obj)
    return None if read is None else read()


def looks_like_path(text: str) -> bool:
    """A string that could name a file (checked on disk only when it does)."""
    if not 0 < len(text) < 1024 or "\n" in text or "\x00" in text or text.startswith(("http:", "https:")):
        return False
    if "/" in text or os.sep in text:
        return True
    return "." in text[-8:] and " " not in text  # "data.csv"; not a sentence (a docstring)


def file_stamp(text: str) -> str | None:
    """Size and modification time of the file ``text`` names, or None when it names none."""
    try:
        stat = os.stat(text)
    except (OSError, ValueError):
        return None
    if not S_ISREG(stat.st_mode):
        return None
    return f"file:{os.path.abspath(text)}:{stat.st_size}:{stat.st_mtime_ns}"


@functools.lru_cache(maxsize=None)
def library_version(module_name: str) -> str:
    """The version of the installed package a module belongs to: its ``__version__``, its
    distribution's version, or (neither known) the size and time of its file — never a scan of
    every installed distribution, which costs a second."""
    top = module_name.partition(".")[0]
    module = sys.modules.get(top)
    version = getattr(module, "__version__", None)
    if isinstance(version, str):
        return f"{top}=={version}"
    if top in sys.stdlib_module_names or top in sys.builtin_module_names:
        return f"python=={sys.version.split()[0]}"
    try:
        return f"{top}=={importlib.metadata.version(top)}"
    except Exception:
        pass
    try:
        stat = os.stat(module.__file__)
        return f"{top}@{stat.st_size}:{stat.st_mtime_ns}"
    except (OSError, TypeError, AttributeError):
        return f"{top}==unknown"
