"""What runs on the Dask workers for a node, and what comes back to the client.

A node's task (:func:`run_remote`) calls the node, seals its value, runs its checks, compares
it with its previous value and writes it to the persistent cache, all where the value is; it
returns a :class:`Computed`. The value stays there: the client keeps an :class:`OnCluster`
handle and learns the :class:`Outcome` through a second, tiny task (:func:`outcome_of`); an
output asked for comes back whole, value and outcome.
A failure comes back as a :class:`RemoteNodeError`, formatted on the client
(:func:`format_remote`), whose line cache knows notebook cells.
"""
from __future__ import annotations

import builtins
import collections
import pickle
import threading
import time
import types
import traceback
from typing import Any, Iterable

from ..graph.reach import is_library_module, is_user_class
from . import inplace, sharing
from .cache import nbytes_of
from .diff import compare
from .entry_file import write_entry
from .remote import Remote
from .check_book import verdict_of


class Outcome:
    """What the client learns of a computed node: everything but the value."""

    __slots__ = ("seconds", "nbytes", "type_name", "verdict", "comparison", "written", "in_place")

    def __init__(self, seconds: float, nbytes: int, type_name: str, verdict: tuple, comparison: Any,
                 written: Any, in_place: list | None = None) -> None:
        self.seconds, self.nbytes, self.type_name = seconds, nbytes, type_name
        self.verdict, self.comparison, self.written, self.in_place = verdict, comparison, written, in_place

    def __reduce__(self):
        return Outcome, (self.seconds, self.nbytes, self.type_name, self.verdict, self.comparison, self.written,
                         self.in_place)


class Computed:
    """A node's value and its :class:`Outcome`, as a node's Dask task returns them."""

    __slots__ = ("value", "outcome")

    def __init__(self, value: Any, outcome: Outcome) -> None:
        self.value, self.outcome = value, outcome

    def __reduce__(self):
        return Computed, (self.value, self.outcome)


def value_of(result: Any) -> Any:
    return result.value if type(result) is Computed else result


def outcome_of(computed: Computed) -> Outcome:
    """The second task of a node (runs next to the first): its outcome without the value."""
    return computed.outcome


def _applied(computed: Any, function, *args: Any) -> Any:
    return function(value_of(computed), *args)


class OnCluster(Remote):
    """A node's value kept on the Dask cluster: the future of its task."""

    __slots__ = ("future",)

    def __init__(self, future: Any, nbytes: int, type_name: str) -> None:
        super().__init__(nbytes, type_name)
        self.future = future

    def alive(self) -> bool:
        return self.future.status == "finished"

    def apply(self, function, *args: Any) -> Any:
        return self.future.client.submit(_applied, self.future, function, *args, pure=False).result()

    @classmethod
    def fetch_many(cls, handles: list["OnCluster"]) -> list[Any]:
        by_client: dict[int, tuple[Any, list[int]]] = {}
        for i, handle in enumerate(handles):
            by_client.setdefault(id(handle.future.client), (handle.future.client, []))[1].append(i)
        values: list[Any] = [None] * len(handles)
        for client, positions in by_client.values():
            for i, result in zip(positions, client.gather([handles[i].future for i in positions])):
                values[i] = value_of(result)
        return values


class ByValue:
    """A pickle made on the client with the user code it reaches by value (:mod:`.dask_code`),
    opened on the worker by the task that reads it (:func:`opened`). ``modules``: the user
    modules it refers to by name, pickled apart (name -> the pickle of their globals).

    It stays bytes until then: Dask's scheduler unpickles the tasks it is given and pickles
    them again for the workers, with cloudpickle's rules and not ours (by reference for a module
    it can import: the worker's own copy of it).
    """

    __slots__ = ("payload", "modules")

    def __init__(self, payload: bytes, modules: dict[str, bytes] | None = None) -> None:
        self.payload, self.modules = payload, modules

    def __reduce__(self):
        return ByValue, (self.payload, self.modules)


class _Opening:
    """Opens a :class:`ByValue`; each module it names is made once, from its pickled globals."""

    def __init__(self, modules: dict[str, bytes], made: dict[str, types.ModuleType]) -> None:
        self.modules, self.made = modules, made

    def load(self, payload: bytes) -> Any:
        previous = getattr(_OPENING, "current", None)
        _OPENING.current = self
        try:
            return pickle.loads(payload)
        finally:
            _OPENING.current = previous

    def module(self, name: str) -> types.ModuleType:
        module = self.made.get(name)
        if module is None:  # made before it is filled: modules may refer to each other
            module = self.made[name] = types.ModuleType(name)
            module.__dict__.update(self.load(self.modules[name]))
            module.__dict__["__builtins__"] = builtins.__dict__
        return module


_OPENING = threading.local()  # the opening under way in this thread


def shared_module(name: str) -> types.ModuleType:
    """A user module a :class:`ByValue` refers to by name (what its pickle calls)."""
    return _OPENING.current.module(name)


# A worker's modules made from pickles, by all the pickles they came with (a module's own pickle
# names the modules it refers to, whose content may differ): the tasks of an execute share the
# modules they reach, as the nodes share them on the client, each unpickled once, not per task.
_MADE: "collections.OrderedDict[tuple, dict]" = collections.OrderedDict()
_MADE_KEPT = 32


def opened(value: Any) -> Any:
    """A task's code or value as it was pickled, when it came as a :class:`ByValue`."""
    if type(value) is not ByValue:
        return value
    import cloudpickle  # noqa: F401  (what the pickle calls to rebuild functions and classes)

    if not value.modules:
        return _Opening({}, {}).load(value.payload)
    key = tuple(sorted(value.modules.items()))
    made = _MADE.get(key)
    if made is not None:
        _MADE.move_to_end(key)
        return _Opening(value.modules, made).load(value.payload)
    made = {}
    opened_value = _Opening(value.modules, made).load(value.payload)
    _MADE[key] = made
    while len(_MADE) > _MADE_KEPT:
        _MADE.popitem(last=False)
    return opened_value


class RemoteNodeError(Exception):
    """Raised on a worker when a node fails; carries what the client needs to report it.

    ``error`` is the user's exception (or a stand-in when it cannot be pickled), ``frames``
    the user's traceback frames as (filename, lineno, function) — formatted on the client,
    whose line cache knows notebook cells — ``mutated`` the parameter a node rebound, and
    ``shared`` one it changed in place that could not be copied (its value there is changed).
    """

    def __init__(self, node: str, error: BaseException | None, frames: list, mutated: str | None = None,
                 shared: str | None = None):
        super().__init__(node, error, frames, mutated, shared)
        self.node, self.error, self.frames, self.mutated, self.shared = node, error, frames, mutated, shared

    def __str__(self) -> str:
        return f"node `{self.node}` failed: {self.error!r}"


def run_remote(task: tuple, node: str, kwargs: dict, previous: tuple, persist: tuple | None) -> Computed:
    """The Dask task of one node (runs on a worker).

    ``task`` is (the node's callable, its type and quality checks), usually as a
    :class:`ByValue`, as are values holding user code. Upstream values arrive as
    :class:`Computed`; they are sealed read-only before the call, as locally, because other
    tasks on this worker share them. ``previous`` is () or (the node's previous value,). The
    checks, the comparison with the previous value and the write to the persistent cache
    (``persist``: its file and size limit) run here, where the value is.
    """
    fn, checks = opened(task)
    if previous and hasattr(fn, "reusing"):  # a branch node: reuses the items of its previous value
        fn = fn.reusing(value_of(opened(previous[0])))
    args = {param: value_of(opened(value)) for param, value in kwargs.items()}
    guards = {param: sharing.seal(value) for param, value in args.items()}
    handed = {param: sharing.handout(value) for param, value in args.items()}
    watched = inplace.watch(handed, args)
    t0 = time.perf_counter()
    try:
        value = fn(**handed)
    except Exception as exc:
        frames = [(f.filename, f.lineno, f.name) for f in
                  traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__.tb_next),
                                                 lookup_lines=False)]
        try:
            pickle.dumps(exc)
            error = exc
        except Exception:
            error = RuntimeError(f"{type(exc).__name__}: {exc}")
        changed = [param for param, was in inplace.shared_changes(watched) if was] if watched else []
        raise RemoteNodeError(node, error, frames, shared=changed[0] if changed else None) from None
    seconds = time.perf_counter() - t0
    for param, guard in guards.items():
        if guard is not None and sharing.tampered(args[param], guard):
            sharing.undo(args[param], guard)
            raise RemoteNodeError(node, None, [], mutated=param)
    for param, changed in inplace.shared_changes(watched) if watched else ():
        if changed:  # the worker's copy of an upstream value that can't be copied: changed for its readers
            raise RemoteNodeError(node, None, [], shared=param)
    in_place = inplace.changes(watched, args) if watched else None
    sharing.seal(value)
    comparison = compare(value_of(opened(previous[0])), value) if previous else None
    written = None
    if persist is not None:
        try:
            written = write_entry(value, persist[0], seconds, persist[1])
        except Exception as exc:  # reported by the client, which knows where the cache is
            written = exc
    outcome = Outcome(seconds, nbytes_of(value), type(value).__name__, verdict_of(value, *checks), comparison,
                      written, in_place)
    return Computed(value, outcome)


def _code_objects(fn: Any, depth: int = 2) -> Iterable:
    """Code objects a node may run: the function, what it wraps, closures, global helpers and the
    functions and classes of user modules it names."""
    seen: set[int] = set()
    stack = [(fn, depth)]
    while stack:
        obj, level = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        code = getattr(obj, "__code__", None)
        if code is None:
            if isinstance(obj, type) and is_user_class(obj):  # its methods
                stack.extend((getattr(v, "__func__", v), level) for v in vars(obj).values())
            continue
        yield code
        yield from (c for c in code.co_consts if hasattr(c, "co_lines"))  # nested functions
        if level <= 0:
            continue
        wrapped = getattr(obj, "__wrapped__", None)
        if wrapped is not None:
            stack.append((wrapped, level))
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                stack.append((cell.cell_contents, level - 1))
            except ValueError:
                pass
        globs = getattr(obj, "__globals__", {})
        for name in code.co_names:
            found = globs.get(name)
            if isinstance(found, types.ModuleType) and not is_library_module(found.__name__):
                stack.extend((v, level - 1) for v in vars(found).values() if callable(v))  # mylib.f
            elif callable(found):
                stack.append((found, level - 1))


def format_remote(error: RemoteNodeError, *functions: Any) -> str:
    """The user's traceback of a worker failure, with file names and source lines from here.

    Functions shipped by value run on workers as ``<dynamic-code>``; their frames are mapped
    back to the file (or notebook cell) they were defined in.
    """
    codes = [c for fn in functions if fn is not None for c in _code_objects(fn)]
    frames = []
    for filename, lineno, name in error.frames:
        if filename == "<dynamic-code>":
            for code in codes:
                if code.co_name == name and any(line == lineno for _, _, line in code.co_lines()):
                    filename = code.co_filename
                    break
        frames.append(traceback.FrameSummary(filename, lineno, name))
    exc = error.error
    text = "Traceback (most recent call last):\n" if frames else ""
    text += "".join(traceback.StackSummary.from_list(frames).format())
    return text + "".join(traceback.format_exception_only(type(exc), exc))
