"""User code travels to the Dask workers as this process has it, never as a worker imported it.

cloudpickle pickles a function, class or module *by reference* (its module and name) whenever
its module can be imported, and a worker then runs its own import of that module: an older copy
when the file was edited and ``importlib.reload``-ed here after the worker imported it, or none
at all when the worker cannot import it. Here every *user* module (the notebook, files next to
it, editable installs: anything but Python and installed libraries, see
:func:`~hamilton_nb.graph.reach.is_library_module`) that a pickle reaches is pickled by value:
the node's function, its globals and closures, helper modules they import (transitively),
classes and their instances, values. Installed libraries (and ``hamilton_nb``) still go by
reference: workers import their own.

The modules are registered with cloudpickle while the pickler meets them and unregistered
when it is done; a module the user registered stays registered.
"""
from __future__ import annotations

import io
import pickle
import sys
import threading
import types
from typing import Any

import cloudpickle

from ..errors import HamiltonError
from ..graph.reach import is_library_module
from .dask_tasks import ByValue, shared_module

_LOCK = threading.Lock()  # cloudpickle's by-value registry is process-wide: one pickle changes it at a time


class Modules(dict):
    """User modules pickled whole, once for all the tasks of one execute: name -> (the pickle of
    its globals, the names of the user modules those refer to). Pickling a module by value
    costs ~0.2 ms a function it holds; a helper module that many nodes call is paid for once."""


class _Pickling:
    """What one pickle (and the modules it pickles whole) registered and met."""

    def __init__(self, modules: Modules | None) -> None:
        self.modules = modules
        self.registered = set(cloudpickle.list_registry_pickle_by_value())  # the user's own: left alone
        self.added: dict[str, types.ModuleType] = {}  # registered here; unregistered after
        self.whole: list[types.ModuleType] = []  # user modules pickled whole (globals and all)
        self.seen: set[str] = set()

    def note(self, name: Any) -> None:
        """A function, class or module of module ``name`` is pickled: by value if it is user code."""
        if isinstance(name, str) and name not in self.seen:
            self.seen.add(name)
            module = sys.modules.get(name)
            if module is not None and name != "__main__" and name not in self.registered \
                    and not is_library_module(name):
                cloudpickle.register_pickle_by_value(module)
                self.added[name] = module

    def shares(self, module: types.ModuleType) -> bool:
        """Is ``module`` pickled once, apart (rather than inside each pickle that reaches it)?"""
        name = module.__name__
        self.note(name)
        return self.modules is not None and name in self.added and sys.modules.get(name) is module

    def pickle_whole(self, module: types.ModuleType) -> None:
        name = module.__name__
        if name in self.modules:
            return
        self.modules[name] = None  # under way: a module that refers back to it gets its name
        self.whole.append(module)
        state = dict(vars(module))
        state.pop("__builtins__", None)  # set again where it is opened
        buffer = io.BytesIO()
        pickler = _SharingPickler(buffer, self)
        pickler.dump(state)
        self.modules[name] = (buffer.getvalue(), frozenset(pickler.refs))


class _UserCodePickler(cloudpickle.Pickler):
    """A cloudpickle pickler that sends every user module it meets by value."""

    def __init__(self, file, pickling: _Pickling, **kwargs: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL, **kwargs)
        self.pickling = pickling

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.ModuleType):
            self.pickling.note(obj.__name__)
            if obj.__name__ in self.pickling.added and obj not in self.pickling.whole:
                self.pickling.whole.append(obj)
        elif isinstance(obj, (type, types.FunctionType)):
            self.pickling.note(getattr(obj, "__module__", None))
        return super().reducer_override(obj)


class _SharingPickler(_UserCodePickler):
    """...that refers to user modules by name, each pickled once in ``pickling.modules``."""

    def __init__(self, file, pickling: _Pickling) -> None:
        super().__init__(file, pickling)
        self.refs: set[str] = set()

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is types.ModuleType and self.pickling.shares(obj):
            self.pickling.pickle_whole(obj)
            self.refs.add(obj.__name__)
            return shared_module, (obj.__name__,)
        return super().reducer_override(obj)


def _pickled(obj: Any, sink: Any, modules: Modules | None = None, **kwargs: Any) -> _Pickling:
    """Pickle ``obj`` into ``sink``; what it reached (the user modules sent by value)."""
    with _LOCK:
        pickling = _Pickling(modules)
        try:
            if modules is None:
                _UserCodePickler(sink, pickling, **kwargs).dump(obj)
            else:
                pickler = _SharingPickler(sink, pickling)
                pickler.dump(obj)
                pickling.refs = pickler.refs
        except Exception as exc:
            raise _refusal(exc, pickling.whole) from exc
        finally:
            for module in pickling.added.values():
                cloudpickle.unregister_pickle_by_value(module)
        return pickling


def dumps(obj: Any, modules: Modules | None = None) -> ByValue:
    """``obj`` pickled with the user code it reaches by value, to be :func:`~.dask_tasks.opened`
    on a worker. With ``modules`` (one for all the pickles of an execute), the user modules it
    reaches are pickled once there and the result carries the ones it needs."""
    buffer = io.BytesIO()
    pickling = _pickled(obj, buffer, modules)
    if modules is None:
        return ByValue(buffer.getvalue())
    needed, todo = {}, list(pickling.refs)
    while todo:
        name = todo.pop()
        if name not in needed:
            needed[name] = modules[name][0]
            todo.extend(modules[name][1])
    return ByValue(buffer.getvalue(), needed)


class _Discard:
    def write(self, data: Any) -> int:
        return len(data)


def reaches_user_code(value: Any) -> bool:
    """Does pickling ``value`` reach a user module (an instance of a class defined in one, say)?

    Pickled into nothing, its large buffers (arrays, frames) out of band: the cost is that of
    walking its objects, not of copying its data.
    """
    try:
        return bool(_pickled(value, _Discard(), buffer_callback=lambda buffer: False).added)
    except CodeNotSent:  # Dask may have a serializer of its own for it: left to Dask, as before
        return False


class CodeNotSent(HamiltonError):
    """Code a Dask task needs could not be pickled, so the workers cannot run it as it is here."""


def _refusal(exc: Exception, modules: list[types.ModuleType]) -> HamiltonError:
    """Name what could not be pickled: a global of a user module, when that is where it is."""
    reason = f"{type(exc).__name__}: {exc}"
    for module in modules:  # still registered: their globals pickle as they did just now
        for name, value in vars(module).items():
            if name.startswith("__") or isinstance(value, types.ModuleType):
                continue
            try:
                cloudpickle.dumps(value)
            except Exception as inner:
                reason = f"{type(inner).__name__}: {inner}"
                return CodeNotSent(
                    f"the user module `{module.__name__}` cannot be sent to the Dask workers: its global "
                    f"`{name}` cannot be pickled ({reason}).\n"
                    f"Code from user modules is sent by value so that the workers run it exactly as this "
                    f"process has it (their own import of `{module.__name__}` may be an older copy), and "
                    f"that sends the module's globals too.\n"
                    f"Fix: create `{name}` inside the function that uses it (or move it to a module of its "
                    f"own that the node does not reach), or run these nodes with another executor "
                    f"(`--executor local` / `threads`). `DaskExecutor(ship_code=False)` leaves the module "
                    f"to the workers' own import: right only while their copy is the same as this one.")
    return CodeNotSent(
        f"the code of this node cannot be sent to the Dask workers: {reason}.\n"
        "Fix: create the object that cannot be pickled inside the function that uses it, or run these "
        "nodes with another executor (`--executor local` / `threads`).")
