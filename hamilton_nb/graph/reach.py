"""What a function can reach: the global names it loads, followed through attribute chains.

``mylib.f(x)`` reads ``mylib`` *and* ``mylib.f``; ``x.mean()`` reads no global called
``mean``. Reading the bytecode (rather than ``co_names``, which mixes globals with
attribute names) gives exactly the chains a function loads, so a reloaded user module
or ``settings.K = 5`` is seen, and an unrelated global named like a method is not.
"""
from __future__ import annotations

import builtins
import dis
import os
import sys
import sysconfig
import types
from typing import Any

from .process_state import is_state_reader, looks_like_path

_GLOBAL_LOADS = {"LOAD_GLOBAL", "LOAD_NAME"}
_ATTR_LOADS = {"LOAD_ATTR", "LOAD_METHOD"}
# Opcodes that start a chain: code without any of them (most feature functions, which only call
# methods of their arguments) needs no instruction-by-instruction reading.
_STARTS = frozenset(dis.opmap[name] for name in (*_GLOBAL_LOADS, "IMPORT_NAME") if name in dis.opmap)
_chains: dict[types.CodeType, tuple[tuple[str, ...], ...]] = {}
MISSING = object()


_GLOBAL, _ATTR, _IMPORT, _OTHER = range(4)
_KIND = {dis.opmap[name]: kind for kind, names in ((_GLOBAL, _GLOBAL_LOADS), (_ATTR, _ATTR_LOADS),
                                                    (_IMPORT, ("IMPORT_NAME",)))
         for name in names if name in dis.opmap}
# How an instruction's argument indexes co_names: LOAD_GLOBAL (3.11+) and LOAD_ATTR (3.12+)
# keep a flag in the lowest bit.
_SHIFT = {dis.opmap["LOAD_GLOBAL"]: 1 if sys.version_info >= (3, 11) else 0,
          dis.opmap["LOAD_ATTR"]: 1 if sys.version_info >= (3, 12) else 0}
_CACHE = dis.opmap.get("CACHE", -1)
_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]


def _name_loads(code: types.CodeType):
    """(kind, name) for every instruction, read straight from the bytecode: what
    ``dis.get_instructions`` gives for these opcodes, at a fraction of its cost. Cache slots
    and EXTENDED_ARG prefixes are skipped; every other instruction ends a chain."""
    raw, names, kinds, shift = code.co_code, code.co_names, _KIND, _SHIFT
    extended = 0
    for i in range(0, len(raw), 2):
        op = raw[i]
        if op == _CACHE:
            continue
        if op == _EXTENDED_ARG:
            extended = (extended | raw[i + 1]) << 8
            continue
        arg, extended = extended | raw[i + 1], 0
        kind = kinds.get(op, _OTHER)
        yield kind, (names[arg >> shift.get(op, 0)] if kind != _OTHER else None)


def global_chains(code: types.CodeType) -> tuple[tuple[str, ...], ...]:
    """Every ``name.attr.attr`` chain the code (and its nested code) loads from globals.

    Local imports count too: ``import mylib`` inside a function is the chain ``(<import>, mylib)``.
    """
    found = _chains.get(code)
    if found is not None:
        return found
    nested = [const for const in code.co_consts if isinstance(const, types.CodeType)]
    if not nested and _STARTS.isdisjoint(code.co_code[::2]):  # every instruction is two bytes
        found = _chains[code] = ()
        return found
    chains: set[tuple[str, ...]] = set()
    current: list[str] | None = None
    for op, name in _name_loads(code):
        if current is not None and op == _ATTR:
            current.append(name)
            continue
        if current is not None:
            chains.add(tuple(current))
            current = None
        if op == _GLOBAL:
            current = [name]
        elif op == _IMPORT:
            current = ["<import>", name]
    if current is not None:
        chains.add(tuple(current))
    for const in nested:
        chains.update(global_chains(const))
    found = _chains[code] = tuple(sorted(chains))
    return found


# ---- user code vs installed libraries ------------------------------------------------------------

def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    dirs.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(sorted(d.rstrip("/") + "/" for d in dirs))


_LIBRARY_DIRS = _library_dirs()
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # hamilton_nb itself
_FRAMEWORK = ("hamilton_nb", "hamilton")  # this package and Apache Hamilton: versioned, not read
_is_library_memo: dict[str, bool] = {}


def is_library_module(name: str | None) -> bool:
    """True for the standard library and installed packages (versioned, not read); False for the
    notebook (``__main__``) and user modules (files outside those directories)."""
    if not name:
        return True
    found = _is_library_memo.get(name)
    if found is not None:
        return found
    top = name.partition(".")[0]
    module = sys.modules.get(name) or sys.modules.get(top)
    if name == "__main__" or top.startswith("__main__"):
        found = False
    elif top in _FRAMEWORK or top in sys.builtin_module_names or module is None:
        found = True
    else:
        path = getattr(module, "__file__", None)
        found = path is None or path.startswith(_LIBRARY_DIRS)
    if name != "__main__" and module is not None:
        _is_library_memo[name] = found  # a module's location does not change while it is loaded
    return found


def is_library_file(filename: str) -> bool:
    return filename.startswith(_LIBRARY_DIRS) or filename.startswith("<frozen ")


def is_user_function(fn: Any) -> bool:
    """Defined in the notebook or a user module (judged by where its code lives: a cell run
    without a module name still counts as the notebook's)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    filename = code.co_filename
    if is_library_file(filename) or filename.startswith(_PACKAGE_DIR):
        return False
    if filename.startswith("<"):  # generated code (attrs' methods): the module it runs in decides
        name = getattr(fn, "__globals__", {}).get("__name__")
        if isinstance(name, str) and name in sys.modules and name != "__main__" and is_library_module(name):
            return False
    return True


_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: made by a class statement, not built into Python


def is_user_class(cls: type) -> bool:
    if not is_library_module(cls.__module__):
        return True
    if cls.__module__ == "builtins" and cls.__flags__ & _HEAP_TYPE:
        return True  # a class statement run where no ``__name__`` was set (exec'd code)
    for value in vars(cls).values():
        fn = getattr(value, "__func__", None) or getattr(value, "fget", None) or value
        if isinstance(fn, types.FunctionType):
            return is_user_function(fn)
    return False


def resolve(chain: tuple[str, ...], namespace: dict) -> tuple[tuple[str, ...], Any]:
    """The object a chain reaches (followed only through user modules), and the chain used."""
    if chain[0] == "<import>":
        module = sys.modules.get(chain[1], MISSING)
        return chain[:2], module
    root = namespace.get(chain[0], MISSING)
    if root is MISSING:
        root = getattr(builtins, chain[0], MISSING)
    obj, used = root, 1
    for attr in chain[1:]:
        if not isinstance(obj, types.ModuleType) or is_library_module(obj.__name__):
            break
        obj = getattr(obj, attr, MISSING)
        used += 1
    return chain[:used], obj


def attribute_names(code: types.CodeType) -> frozenset[str]:
    """Every name the code (and its nested code) uses, attributes included: what a library class
    could serve through an accessor or a patched method (``spend.fx``, ``spend.double()``)."""
    found = _names.get(code)
    if found is None:
        names = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names.update(attribute_names(const))
        found = _names[code] = frozenset(names)
    return found


_names: dict[types.CodeType, frozenset[str]] = {}
_DYNAMIC_BUILTINS = ("eval", "exec", "globals", "vars", "locals", "__import__", "compile")


def _dynamic_lookups() -> dict[int, tuple[Any, str]]:
    import importlib

    found = {id(getattr(builtins, name)): (getattr(builtins, name), name) for name in _DYNAMIC_BUILTINS}
    found[id(importlib.import_module)] = (importlib.import_module, "importlib.import_module")
    found[id(sys.modules)] = (sys.modules, "sys.modules")
    return found


_DYNAMIC = _dynamic_lookups()


def dynamic_lookup(obj: Any) -> str | None:
    """The name of a way to look code or data up by a name built at run time (``eval``,
    ``globals()``, ``importlib.import_module``), or None: what such code reads can't be seen."""
    found = _DYNAMIC.get(id(obj))
    return found[1] if found is not None and found[0] is obj else None


def is_plain_library_object(obj: Any) -> bool:
    """Library code as installed (a module, a class, a function, a ufunc): versioned by the
    library's version. Anything else reached inside a library (its state, user code put there, a
    function that reads process state) is read by content."""
    if isinstance(obj, (int, float, str, bytes, bool, type(None), types.ModuleType)):
        return True
    if isinstance(obj, type):
        return not is_user_class(obj)
    if is_state_reader(obj):
        return False
    if isinstance(obj, types.FunctionType):
        return not is_user_function(obj)
    if any(obj is stream for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)):
        return True  # printing to them can't change a value
    if callable(obj) and not isinstance(obj, types.MethodType):
        owner = getattr(obj, "__self__", None)  # a builtin bound to an instance reads its state
        return owner is None or isinstance(owner, types.ModuleType)
    return False


def beyond_library(module: types.ModuleType, attrs: tuple[str, ...]) -> Any:
    """What ``module.attr.attr…`` reaches when it is not plain library code: state such as
    ``os.environ`` or ``np.random.normal`` (a method of the global generator), or user code put
    on a library module. MISSING otherwise."""
    obj: Any = module
    for attr in attrs:
        obj = getattr(obj, attr, MISSING)
        if obj is MISSING:
            return MISSING
        if not isinstance(obj, types.ModuleType):
            break
    return MISSING if is_plain_library_object(obj) and dynamic_lookup(obj) is None else obj


def path_constants(code: types.CodeType) -> tuple[str, ...]:
    """String constants of the code (and its nested code) that could name a file:
    ``pd.read_csv("data.csv")`` reads whatever that file holds when it runs."""
    found = _paths.get(code)
    if found is None:
        paths = [c for c in code.co_consts if isinstance(c, str) and looks_like_path(c)]
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                paths.extend(path_constants(const))
        found = _paths[code] = tuple(dict.fromkeys(paths))
    return found


_paths: dict[types.CodeType, tuple[str, ...]] = {}


def past_library(chain: tuple[str, ...], used: tuple[str, ...], obj: Any) -> Any:
    """What ``chain`` reaches past the library module :func:`resolve` stopped at (``used``,
    ``obj``) when that is state or user code (:func:`beyond_library`); MISSING otherwise."""
    if len(used) < len(chain) and isinstance(obj, types.ModuleType) and chain[0] != "<import>":
        return beyond_library(obj, chain[len(used):])
    return MISSING
