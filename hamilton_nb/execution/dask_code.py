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

_LOCK = threading.Lock()  # cloudpickle's by-value registry is process-wide: one pickle changes it at a time


class _UserCodePickler(cloudpickle.Pickler):
    """A cloudpickle pickler that sends every user module it meets by value."""

    def __init__(self, file, registered: set[str], **kwargs: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL, **kwargs)
        self.registered = registered  # by value already (the user's own registrations)
        self.added: list[types.ModuleType] = []  # registered here; unregistered after
        self.whole: list[types.ModuleType] = []  # user modules pickled whole (globals and all)
        self._seen: set[str] = set()

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.ModuleType):
            name = obj.__name__
            if obj not in self.whole and name not in self.registered and not is_library_module(name):
                self.whole.append(obj)
        elif isinstance(obj, (type, types.FunctionType)):
            name = getattr(obj, "__module__", None)
        else:
            name = None
        if isinstance(name, str) and name not in self._seen:
            self._seen.add(name)
            module = sys.modules.get(name)
            if module is not None and name != "__main__" and name not in self.registered \
                    and not is_library_module(name):
                cloudpickle.register_pickle_by_value(module)
                self.added.append(module)
        return super().reducer_override(obj)


def _pickled(obj: Any, sink: Any, **kwargs: Any) -> list[types.ModuleType]:
    """Pickle ``obj`` into ``sink``; the user modules it reached (sent by value)."""
    with _LOCK:
        pickler = _UserCodePickler(sink, set(cloudpickle.list_registry_pickle_by_value()), **kwargs)
        try:
            pickler.dump(obj)
        except Exception as exc:
            raise _refusal(exc, pickler.whole) from exc
        finally:
            for module in pickler.added:
                cloudpickle.unregister_pickle_by_value(module)
        return pickler.added


def dumps(obj: Any) -> bytes:
    """``obj`` pickled with the user code it reaches by value (for ``cloudpickle.loads``)."""
    buffer = io.BytesIO()
    _pickled(obj, buffer)
    return buffer.getvalue()


class _Discard:
    def write(self, data: Any) -> int:
        return len(data)


def reaches_user_code(value: Any) -> bool:
    """Does pickling ``value`` reach a user module (an instance of a class defined in one, say)?

    Pickled into nothing, its large buffers (arrays, frames) out of band: the cost is that of
    walking its objects, not of copying its data.
    """
    try:
        return bool(_pickled(value, _Discard(), buffer_callback=lambda buffer: False))
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
