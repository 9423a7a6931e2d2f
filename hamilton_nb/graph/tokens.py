"""Content tokens: a short string that changes whenever a value could change a result.

Everything a node can reach is tokenized by content, with its type: data (pandas,
numpy, polars, containers), user code (functions, their closures and the globals they
read, classes with their methods, bases and class attributes, wrappers such as
``partial``, ``lru_cache`` and bound methods) and plain objects (their class and their
attributes). Installed libraries count by their distribution version, not their code.

Where no sound token exists (a generator, an open file, an object whose state can't be
read), :class:`Untracked` is raised with the reason: the caller must then recompute
rather than trust any cached value. There is no identity fallback.

A :class:`Tokenizer` memoises by object identity for the life of one pass, so one global
read by twenty nodes is hashed once per execute, not twenty times.
"""
from __future__ import annotations

import copyreg
import datetime
import decimal
import enum
import fractions
import functools
import hashlib
import io
import logging
import pathlib
import pickle
import random
import re
import struct
import threading
import types
import uuid
from typing import Any

from .data_tokens import data_token, item_token, subclass_attributes
from .fingerprint import code_digest, digest
from .extensions import EXTENSIONS
from .process_state import file_stamp, library_version, looks_like_path, reader_state
from .reach import (MISSING, attribute_names, dynamic_lookup, global_chains, is_library_module,
                    is_user_class, is_user_function, past_library, path_constants, resolve)

_MAX_DEPTH = 200  # nesting read before giving up (well below Python's recursion limit)
SIMPLE = (type(None), bool, int, float, complex, str, bytes, type(Ellipsis))
_BY_REPR = (range, slice, datetime.date, datetime.time, datetime.timedelta, datetime.timezone,
            decimal.Decimal, fractions.Fraction, uuid.UUID, pathlib.PurePath)
_UNTRACKABLE = (types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType, io.IOBase,
                types.FrameType, types.TracebackType)
# Side channels: they can't change a computed value, whatever their state.
_SIDE_CHANNELS = (logging.Logger, logging.LoggerAdapter, logging.Handler, type(threading.Lock()),
                  type(threading.RLock()), threading.Event, threading.Condition, threading.Semaphore)
_SKIPPED_CLASS_ATTRS = {"__dict__", "__weakref__", "__doc__", "__module__", "__qualname__",
                        "__annotations__", "__firstlineno__", "__static_attributes__", "__slotnames__",
                        "__parameters__", "__orig_bases__", "__abstractmethods__", "_abc_impl"}


RANDOM_STATE = ("which is a random generator: its state moves on every draw, so no two executes "
                "read the same thing (seed a generator inside the function, or pass a seed as an input, "
                "to make the node reproducible and cacheable)")


_DYNAMIC = ("looks names up while it runs (`{}`), so what it reads can't be seen; name the globals "
            "it needs, or pass them as inputs")
TO_INPUT = "; pass what the node needs from it as an input instead"


class Untracked(Exception):
    """No sound content token exists for a value; ``reason`` says which and why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _bytes_hash(data) -> str:
    """Hash of a buffer. SHA-1 runs in hardware on current CPUs (2–3× BLAKE2 on large arrays); a
    content fingerprint needs no more."""
    return hashlib.sha1(data).hexdigest()


def _user_code_held(attributes: dict) -> dict:
    """The attributes of a library function that hold user functions (directly, or in a registry
    such as singledispatch's), as plain dicts; its other attributes are the library's own."""
    held = {}
    for name, value in attributes.items():
        items = value.values() if isinstance(value, (dict, types.MappingProxyType)) else (value,)
        if any(isinstance(item, types.FunctionType) and is_user_function(item) for item in items):
            held[name] = dict(value) if isinstance(value, types.MappingProxyType) else value
    return held


def _module_of(obj: Any) -> str | None:
    return getattr(obj, "__module__", None)


class Tokenizer:
    """Tokens for one pass over the graph (one execute, one status): each object once."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, str]] = {}  # id -> (object kept alive, token)
        self._active: set[int] = set()  # objects being tokenized (cycles)
        self.reads_code = False  # a user function or class was read: its code can change behind a value

    # ---- entry points ------------------------------------------------------------------------
    def token(self, obj: Any) -> str:
        """Content token of ``obj``; raises :class:`Untracked`."""
        if isinstance(obj, SIMPLE):
            if isinstance(obj, (float, complex)) and obj != obj:  # every NaN reprs as 'nan': its bits
                parts = (obj.real, obj.imag) if isinstance(obj, complex) else (obj,)
                return f"{type(obj).__name__}:nan:{struct.pack(f'<{len(parts)}d', *parts).hex()}"
            return f"{type(obj).__name__}:{obj!r}"
        key = id(obj)
        found = self._memo.get(key)
        if found is not None:
            return found[1]
        if key in self._active:  # a cycle: the enclosing object's token covers the rest
            return f"cycle:{type(obj).__qualname__}"
        if len(self._active) > _MAX_DEPTH:
            raise Untracked(f"which nests objects more than {_MAX_DEPTH} deep{TO_INPUT}")
        self._active.add(key)
        try:
            token = self._token(obj)
        except (Untracked, KeyboardInterrupt):
            raise
        except Exception as exc:  # a property that raises, a broken __reduce__: say so, never crash
            raise Untracked(f"which holds a {type(obj).__qualname__} that can't be read "
                            f"({type(exc).__name__}: {exc}){TO_INPUT}") from None
        finally:
            self._active.discard(key)
        self._memo[key] = (obj, token)
        return token

    def function_reach(self, fn: Any) -> str:
        """Everything a function reads besides its own code: defaults, closure, the globals and
        attribute chains it loads (each by content), and what it wraps."""
        parts = [self.token(getattr(fn, "__defaults__", None)),
                 self.token(getattr(fn, "__kwdefaults__", None))]
        for index, cell in enumerate(getattr(fn, "__closure__", None) or ()):
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell
                parts.append("<empty>")
                continue
            parts.append(self._named(contents, f"a variable it closes over (#{index})"))
        namespace = getattr(fn, "__globals__", {})
        code = getattr(fn, "__code__", None)
        for chain in global_chains(code) if code is not None else ():
            used, obj = resolve(chain, namespace)
            if obj is MISSING:
                continue
            deeper = past_library(chain, used, obj)  # os.environ, np.random.normal, …
            for reached in (obj, deeper):
                lookup = dynamic_lookup(reached)
                if lookup is not None:
                    raise Untracked(_DYNAMIC.format(lookup))
            if deeper is not MISSING:
                parts.append(self._library_state(".".join(chain), deeper))
            name = ".".join(used)
            parts.append(name + "=" + self._named(obj, f"`{name}`"))
            if isinstance(obj, str) and looks_like_path(obj):
                parts.append(file_stamp(obj) or "")
        if code is not None:
            parts.extend(filter(None, map(file_stamp, path_constants(code))))
            used_names = attribute_names(code)
            for name in EXTENSIONS.names & used_names:
                parts.append(f".{name}=" + self._named(EXTENSIONS.objects(name), f"`.{name}` (user code on a library class)"))
        extra = {k: v for k, v in getattr(fn, "__dict__", {}).items() if not k.startswith("__hamilton")}
        if extra:
            parts.append(self._named(extra, "an attribute set on it"))
        return digest(*parts)

    def _library_state(self, name: str, obj: Any) -> str:
        """Token of state reached inside a library. State it can't read (attrs' thread-local repr
        guard) counts by the library's version, as all library code does; a random generator
        never does."""
        try:
            return name + "=" + self.token(obj)
        except Untracked as exc:
            if exc.reason == RANDOM_STATE:
                raise Untracked(f"reads `{name}`, {exc.reason}") from None
            return name + "=library state"

    def _named(self, obj: Any, label: str) -> str:
        """Token of a value the caller knows by ``label``: an Untracked reason names it."""
        try:
            return self.token(obj)
        except Untracked as exc:
            if exc.reason.startswith("reads "):
                raise
            raise Untracked(f"reads {label}, {exc.reason}") from None

    # ---- by kind ---------------------------------------------------------------------------------
    def _token(self, obj: Any) -> str:
        kind = type(obj)
        if kind in (tuple, list) or kind in (set, frozenset) or kind is dict:
            return self._container(obj, kind)
        module = kind.__module__ or ""
        if module.startswith(("pandas", "numpy", "polars")):
            return self._data(obj, module)
        if isinstance(obj, types.FunctionType):
            return self._function(obj)
        if isinstance(obj, type):
            return self._class(obj)
        if isinstance(obj, types.ModuleType):
            return self._module(obj)
        if isinstance(obj, types.MethodType):
            owner = self.token(obj.__self__)  # first: a method of a random generator is untracked
            return digest("method", self.token(obj.__func__), owner)
        if isinstance(obj, (types.BuiltinFunctionType, types.MethodWrapperType,
                            types.WrapperDescriptorType, types.MethodDescriptorType)) or _is_compiled_function(kind):
            owner = getattr(obj, "__self__", None)
            name = getattr(obj, "__qualname__", getattr(obj, "__name__", "?"))
            if owner is None or isinstance(owner, (types.ModuleType, type)):
                where = (owner.__name__ if isinstance(owner, types.ModuleType)
                         else _module_of(owner if owner is not None else obj) or "builtins")
                return f"builtin:{where}.{name}:{library_version(where or 'builtins')}"
            return digest("bound builtin", name, self.token(owner))
        if isinstance(obj, functools.partial):
            return digest("partial", self.token(obj.func), self.token(obj.args), self.token(obj.keywords),
                          self.token(vars(obj)))
        if isinstance(obj, _BY_REPR) or isinstance(obj, re.Pattern):
            return f"{kind.__qualname__}:{obj!r}"
        if isinstance(obj, enum.Enum):
            return digest("enum", self.token(kind), repr(obj.name))
        if isinstance(obj, (staticmethod, classmethod)):
            return digest(kind.__name__, self.token(obj.__func__))
        if isinstance(obj, property):
            return digest("property", self.token(obj.fget), self.token(obj.fset), self.token(obj.fdel))
        if isinstance(obj, _SIDE_CHANNELS):
            return f"side channel:{kind.__qualname__}"
        if isinstance(obj, random.Random):
            raise Untracked(RANDOM_STATE)
        if isinstance(obj, _UNTRACKABLE):
            raise Untracked(f"which is a {kind.__name__}: its state can't be read without consuming it{TO_INPUT}")
        if isinstance(obj, (tuple, list, set, frozenset, dict)):  # subclasses: contents and attributes
            return digest(self._container(obj, kind), self.token(kind), self._state(obj))
        wrapped = getattr(obj, "__wrapped__", MISSING)  # functools.lru_cache, cache, other wrappers
        if wrapped is not MISSING and callable(obj) and not isinstance(wrapped, types.ModuleType):
            return digest("wrapper", self.token(kind), self.token(wrapped))
        if isinstance(obj, (memoryview, bytearray)):
            return digest(kind.__name__, _bytes_hash(bytes(obj)))
        return digest("object", self.token(kind), self._state(obj))

    def _container(self, obj: Any, kind: type) -> str:
        token = self.token
        if kind is dict or isinstance(obj, (dict, types.MappingProxyType)):
            items = [f"{item_token(k, token)}={item_token(v, token)}" for k, v in obj.items()]
            return digest("dict", *items)
        if isinstance(obj, (set, frozenset)):
            return digest(kind.__name__, *sorted(item_token(item, token) for item in obj))
        return digest(kind.__name__, *(item_token(item, token) for item in obj))

    def _function(self, fn: types.FunctionType) -> str:
        if not is_user_function(fn) and not self._closes_over_user_code(fn):
            token = f"libfn:{fn.__module__}.{fn.__qualname__}:{library_version(fn.__module__ or 'builtins')}"
            state = reader_state(fn)  # os.getenv reads the environment
            if state is not None:
                return digest(token, self.token(state))
            held = _user_code_held(vars(fn))  # a singledispatch registry, a wrapper of user code
            return digest(token, self.token(held)) if held else token
        self.reads_code = True
        return digest("function", fn.__qualname__, code_digest(fn.__code__), self.function_reach(fn),
                      self.token(getattr(fn, "__wrapped__", None)))

    @staticmethod
    def _closes_over_user_code(fn: types.FunctionType) -> bool:
        """Library-made closures (``np.vectorize``-style helpers, decorators) can hold user code."""
        for cell in fn.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:
                continue
            if isinstance(contents, types.FunctionType) and is_user_function(contents) or \
                    isinstance(contents, type) and is_user_class(contents):
                return True
        return False

    def _class(self, cls: type) -> str:
        if not is_user_class(cls):
            return f"libclass:{cls.__module__}.{cls.__qualname__}:{library_version(cls.__module__)}"
        self.reads_code = True
        parts = [f"class:{cls.__module__}.{cls.__qualname__}"]
        if is_user_class(type(cls)):  # a metaclass can serve attributes (``__getattr__``)
            parts.append("metaclass=" + self.token(type(cls)))
        for base in cls.__mro__:
            if base is object:
                continue
            if not is_user_class(base):
                parts.append(self.token(base))
                continue
            for name, value in base.__dict__.items():
                if name in _SKIPPED_CLASS_ATTRS:
                    continue
                try:
                    parts.append(f"{base.__qualname__}.{name}={self.token(value)}")
                except Untracked as exc:
                    raise Untracked(f"whose class `{cls.__qualname__}` has attribute `{name}` {exc.reason}") \
                        from None
        return digest(*parts)

    def _module(self, module: types.ModuleType) -> str:
        if is_library_module(module.__name__):
            return f"module:{module.__name__}:{library_version(module.__name__)}"
        parts = [f"usermodule:{module.__name__}"]
        for name, value in sorted(vars(module).items()):
            if name.startswith("__") or isinstance(value, types.ModuleType):
                continue
            defined_elsewhere = (isinstance(value, (types.FunctionType, type))
                                 and value.__module__ != module.__name__)
            if not defined_elsewhere:
                parts.append(f"{name}={self.token(value)}")
        return digest(*parts)

    def _state(self, obj: Any) -> str:
        """An instance's state: its attributes, or what pickling it would save."""
        attributes = getattr(obj, "__dict__", None)
        slots = [name for cls in type(obj).__mro__ for name in getattr(cls, "__slots__", ())
                 if isinstance(name, str) and name not in ("__dict__", "__weakref__")]
        data = data_token(obj, self.token)  # a user subclass of a DataFrame, an ndarray, …
        if data is not None:
            return digest(data, self.token(subclass_attributes(obj)))
        if attributes or slots:
            own = digest(self.token(dict(attributes or {})),
                         *(f"{name}={item_token(getattr(obj, name, None), self.token)}" for name in slots))
            if not _holds_native_state(type(obj)):
                return own
            return digest(own, self._reduced(obj))  # a subclass of deque, str, …: its contents too
        if isinstance(obj, types.MappingProxyType):
            return self._container(obj, dict)
        return self._reduced(obj)

    def _reduced(self, obj: Any) -> str:
        """What pickling ``obj`` would save: the callable, its arguments, the state, and the items
        it would append or set (a deque's or an ``OrderedDict``'s contents travel there)."""
        reducer = copyreg.dispatch_table.get(type(obj))
        try:
            reduced = reducer(obj) if reducer else obj.__reduce_ex__(4)
        except Exception:
            reduced = None
        if isinstance(reduced, tuple) and len(reduced) >= 2:
            call, args, state, items, pairs = reduced[:5] + (None,) * (5 - len(reduced[:5]))
            try:
                return digest("reduced", self.token(call), self.token(args), self.token(state),
                              self.token(None if items is None else list(items)),
                              self.token(None if pairs is None else list(pairs)))
            except Untracked:
                pass
        try:
            return digest("pickle", _bytes_hash(pickle.dumps(obj, protocol=5)))
        except Exception:
            raise Untracked(f"which holds a {type(obj).__qualname__} whose state can't be read{TO_INPUT}") from None

    # ---- data ------------------------------------------------------------------------------------
    def _data(self, obj: Any, module: str) -> str:
        if module.startswith("numpy"):
            import numpy as np

            if isinstance(obj, (np.random.Generator, np.random.RandomState)):
                raise Untracked(RANDOM_STATE)
        found = data_token(obj, self.token)
        if found is not None:
            return found
        return digest("object", self.token(type(obj)), self._state(obj))


def _is_compiled_function(kind: type) -> bool:
    """Functions compiled by Cython (numpy's random methods, much of pandas): library code."""
    return kind.__name__ in ("cython_function_or_method", "fused_cython_function")


def _holds_native_state(kind: type) -> bool:
    """Whether instances of ``kind`` keep state outside ``__dict__`` and slots: a base written
    in C other than ``object`` (``deque``, ``str``, ``BaseException``, …)."""
    return any(not base.__flags__ & _HEAPTYPE for base in kind.__mro__ if base is not object)


_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: set on classes defined in Python
