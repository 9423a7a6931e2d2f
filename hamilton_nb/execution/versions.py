"""Versions: a node's version = hash(code, everything it reaches, versions of its inputs).

External inputs (and overridden nodes) are versioned by hashing their data once, when
bound. Intermediates are versioned from the graph alone, never by hashing their values,
so checking 1000 nodes for staleness costs microseconds. Versions are memoised and
invalidated only downstream of what changed.

What a node *reaches* (its closure, defaults, the globals and attribute chains it loads,
followed into helpers, classes, wrappers and user modules) is re-read before every
execute: by identity when the objects can't change in place, by content otherwise. A
node reaching something with no sound content token is *untracked*: its version is new
at every execute (so it and everything downstream recompute), it is never persisted, and
the reason is kept for display.
"""
from __future__ import annotations

import operator
import os
import sys
import types
import uuid
from typing import Any, Callable, Iterable

from ..graph import FunctionGraph
from ..graph.fingerprint import code_digest, digest
from ..graph.extensions import EXTENSIONS
from ..graph.process_state import is_state_reader, looks_like_path, settings_token
from ..graph.reach import (MISSING, attribute_names, global_chains, is_library_module, is_user_class,
                           is_user_function, past_library, path_constants, resolve)
from ..graph.tokens import SIMPLE, Tokenizer, Untracked

UNBOUND = None  # version of an input nobody supplied
UNTRACKED = "untracked:"  # prefix of versions that must never be trusted across executes


def is_untracked(version: str | None) -> bool:
    return version is not None and UNTRACKED in version


def _stable(obj: Any) -> bool:
    """True when an object can't change in place in a way that changes what it computes."""
    if isinstance(obj, str):
        return not looks_like_path(obj)  # a path names a file, which can change
    if isinstance(obj, SIMPLE) or obj is MISSING or isinstance(obj, types.CodeType):
        return True
    if isinstance(obj, (tuple, frozenset)):
        return all(_stable(item) for item in obj)
    if isinstance(obj, types.ModuleType):
        return is_library_module(obj.__name__)
    if isinstance(obj, types.FunctionType):
        return not is_user_function(obj) and not obj.__closure__ and not is_state_reader(obj)
    if isinstance(obj, type):
        return not is_user_class(obj)
    if isinstance(obj, types.BuiltinFunctionType):
        owner = getattr(obj, "__self__", None)
        return owner is None or isinstance(owner, types.ModuleType)
    return False


class Reach:
    """What one node function reaches, read cheaply: the objects, compared by identity first."""

    __slots__ = ("fn", "chains", "names", "live", "only_code")

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        code = getattr(fn, "__code__", None)
        self.chains = global_chains(code) if code is not None else ()
        self.names = attribute_names(code) if code is not None else frozenset()
        # Reads what can change with no global rebound: process state (os.environ, np.random), a
        # file its code names, user code on a library class. Re-read before every execute.
        self.live = code is not None and (
            bool(self.names & EXTENSIONS.names)
            or any(os.path.isfile(path) for path in path_constants(code))
            or any(past_library(chain, *resolve(chain, fn.__globals__)) is not MISSING
                    for chain in self.chains if len(chain) > 1))
        # Reaches nothing but its own code (most feature functions): versioned by the code alone.
        self.only_code = code is not None and not (self.chains or fn.__defaults__ or fn.__kwdefaults__
                                                   or fn.__closure__ or fn.__dict__ or self.live)

    def snapshot(self) -> tuple:
        """The objects the function reaches first: compared by identity, this is the cheap check
        that runs for every node before every execute."""
        fn = self.fn
        objects: list[Any] = [fn.__code__, fn.__defaults__, fn.__kwdefaults__] if hasattr(fn, "__code__") else [fn]
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                objects.append(cell.cell_contents)
            except ValueError:
                objects.append(MISSING)
        attributes = getattr(fn, "__dict__", None)
        if attributes:
            objects.extend(value for key, value in attributes.items() if not key.startswith("__hamilton"))
        namespace = getattr(fn, "__globals__", {})
        get = namespace.get
        for chain in self.chains:
            root = get(chain[0], MISSING)
            if len(chain) > 1 and (type(root) is types.ModuleType or root is MISSING):
                root = resolve(chain, namespace)[1]  # into user modules (reloads rebind their attributes)
            objects.append(root)
        return tuple(objects)

    def is_stable(self, snapshot: tuple) -> bool:
        """True when none of the objects can change in place (then identity says it all)."""
        return not self.live and all(_stable(obj) for obj in snapshot)

    def token(self, tokenizer: Tokenizer) -> str:
        fn = self.fn
        code = getattr(fn, "__code__", None)
        if code is None:
            return digest(repr(fn), tokenizer.function_reach(fn))
        if self.only_code:
            return code_digest(code)
        return digest(code_digest(code), tokenizer.function_reach(fn))

    def outdated_instances(self, snapshot: tuple) -> list[str]:
        """Globals holding instances of a class that has since been redefined (a re-run class cell)."""
        notes = []
        namespace = getattr(self.fn, "__globals__", {})
        for chain, obj in zip(self.chains, snapshot[-len(self.chains):] if self.chains else ()):
            cls = type(obj)
            if isinstance(obj, type) or not is_user_class(cls) or "." in cls.__qualname__:
                continue
            current = namespace.get(cls.__qualname__)
            if current is None or current is cls:
                current = getattr(sys.modules.get(cls.__module__), cls.__qualname__, None)
            if isinstance(current, type) and current is not cls:
                notes.append(f"`{chain[0]}` is an instance of an earlier definition of class "
                             f"`{cls.__qualname__}`: re-run the cell that creates it to use the current one")
        return notes


class Versioner:
    def __init__(self, graph: FunctionGraph) -> None:
        self.graph = graph
        self._memo: dict[str, str | None] = {}
        self._bindings: dict[str, str] = {}  # input/override name -> token of its value
        self._reach: dict[str, tuple[Reach, tuple, str, bool]] = {}  # node -> (reach, snapshot, token, stable)
        self.untracked: dict[str, str] = {}  # node -> why its reach has no sound token
        self.notes: dict[str, list[str]] = {}  # node -> things the user should know (outdated instances)
        self.tracking_revision = 0  # changes whenever ``untracked`` or ``notes`` do
        # What :meth:`refresh_reach` looks at. Most nodes reach only globals that can't change in
        # place (modules, library functions, constants): those are indexed by (namespace, name),
        # so one identity check per distinct global covers all its readers. The others are re-read
        # one by one.
        self._one_by_one: set[str] = set()
        self._readers: dict[tuple[int, str], set[str]] = {}
        self._seen: dict[tuple[int, str], tuple[dict, Any]] = {}  # -> (namespace, object last seen)
        self._keys: dict[str, list[tuple[int, str]]] = {}  # node -> its index keys
        self._rebuild: set[str] = set()  # nodes to read afresh (user code on a library class moved)
        self._settings = settings_token()  # library settings every value is computed under
        self._run = uuid.uuid4().hex  # untracked versions are unique to this process…
        self._epoch = 0  # …and to one execute
        # told the versions forgotten when a re-read finds that what a node reaches was edited
        # (a global, a helper): to the engine an edit like any other
        self.on_edit: Callable[[dict[str, str | None]], None] | None = None

    # ---- invalidation -----------------------------------------------------------------
    def invalidate(self, names: Iterable[str]) -> dict[str, str | None]:
        """Forget versions of ``names`` and everything downstream; returns the forgotten versions."""
        dag = self.graph.dag
        gone = set(names)
        frontier = [n for n in gone if n in dag]
        while frontier:  # one walk from all of them (not one per name)
            nxt = []
            for name in frontier:
                for child in dag.successors(name):
                    if child not in gone:
                        gone.add(child)
                        nxt.append(child)
            frontier = nxt
        return {name: self._memo.pop(name, None) for name in gone}

    def graph_changed(self, touched: Iterable[str]) -> dict[str, str | None]:
        touched = list(touched)
        for name in touched:
            self._reach.pop(name, None)
            self._unindex(name)
            self.untracked.pop(name, None)
            self.notes.pop(name, None)
        return self.invalidate(touched)

    def bind(self, name: str, token: str | None) -> None:
        """Record the token of the value an input/override has now; invalidate if it differs."""
        if token is None:
            if self._bindings.pop(name, None) is not None:
                self.invalidate([name])
        elif self._bindings.get(name) != token:
            self._bindings[name] = token
            self.invalidate([name])

    def new_execute(self) -> None:
        """Untracked nodes get a new version for every execute (so they, and what they feed, rerun)."""
        self._epoch += 1
        if self.untracked:
            self.invalidate(list(self.untracked))

    def refresh_reach(self) -> dict[str, str | None]:
        """Re-read what every node reaches, at the cost of what may have changed: the nodes read one
        by one, and the readers of an indexed global now bound to another object."""
        forgotten: dict[str, str | None] = {}
        settings = settings_token()
        if settings != self._settings:  # a pandas option, numpy's error state, the decimal context
            self._settings = settings
            forgotten.update(self.invalidate(list(self.graph.nodes)))
            if forgotten and self.on_edit is not None:
                self.on_edit(forgotten)
        suspects = set(self._one_by_one)
        extended = EXTENSIONS.refresh()
        if extended:
            self._rebuild.update(name for name, known in self._reach.items() if known[0].names & extended)
            suspects.update(self._rebuild)
        moved = []
        for key, (namespace, seen) in self._seen.items():
            current = namespace.get(key[1], MISSING)
            if current is not seen:
                suspects.update(self._readers[key])
                moved.append((key, namespace, current))
        if suspects:
            forgotten.update(self.refresh_globals(suspects))
        for key, namespace, current in moved:  # every reader has now read the new object
            if key in self._seen:
                self._seen[key] = (namespace, current)
        return forgotten

    def _index(self, name: str, reach: Reach, snapshot: tuple, stable: bool) -> None:
        """File ``name`` under the globals it reads, or among the nodes read one by one."""
        self._unindex(name)
        fn = reach.fn
        namespace = getattr(fn, "__globals__", None)
        by_identity = (stable and namespace is not None and "__file__" not in namespace  # a cell, not a file
                       # (autoreload swaps code in place) …
                       and not getattr(fn, "__closure__", None) and not getattr(fn, "__dict__", None)
                       # … and no chain followed into a user module
                       and all(len(chain) == 1 or obj is namespace.get(chain[0], MISSING)
                               for chain, obj in zip(reach.chains, snapshot[len(snapshot) - len(reach.chains):]))
                       and all(chain[0] != "<import>" for chain in reach.chains))
        if not by_identity:
            self._one_by_one.add(name)
            return
        keys = self._keys[name] = []
        for chain in reach.chains:
            key = (id(namespace), chain[0])
            keys.append(key)
            self._readers.setdefault(key, set()).add(name)
            # A global already watched keeps the object its readers last saw: if one reader reads a
            # new object first (a re-run cell), the next look still finds the others out of date.
            self._seen.setdefault(key, (namespace, namespace.get(chain[0], MISSING)))

    def _unindex(self, name: str) -> None:
        self._one_by_one.discard(name)
        for key in self._keys.pop(name, ()):
            readers = self._readers.get(key)
            if readers is not None:
                readers.discard(name)
                if not readers:
                    del self._readers[key]
                    self._seen.pop(key, None)

    def refresh_globals(self, names: Iterable[str]) -> dict[str, str | None]:
        """Re-read what ``names`` reach (helpers, classes, constants, data, modules); invalidate those
        that changed. Returns the forgotten versions, as :meth:`invalidate` does."""
        nodes = self.graph.nodes
        changed, edited = [], []
        tokenizer = None
        for name in names:
            node = nodes.get(name)
            if node is None or node.function is None:
                continue
            known = self._reach.get(name)
            same_function = known is not None and known[0].fn is node.function and name not in self._rebuild
            self._rebuild.discard(name)
            reach = known[0] if same_function else Reach(node.function)  # a re-run cell: new objects
            if reach.only_code:  # nothing to re-read: the code is the whole version
                if same_function:
                    continue
                token = code_digest(node.function.__code__)
                if self.untracked.pop(name, None) is not None or self.notes.pop(name, None) is not None:
                    self.tracking_revision += 1
                self._unindex(name)
                self._reach[name] = (reach, (), token, True)
                if known is not None and token != known[2]:
                    changed.append(name)
                    edited.append(name)
                continue
            snapshot = reach.snapshot()
            if same_function and known[3] and len(snapshot) == len(known[1]) \
                    and all(map(operator.is_, snapshot, known[1])):
                continue
            tokenizer = tokenizer or Tokenizer()
            before = (self.untracked.get(name), self.notes.get(name))
            try:
                token = reach.token(tokenizer)
                was_untracked = self.untracked.pop(name, None) is not None
            except Untracked as exc:
                token, was_untracked = UNTRACKED, True
                self.untracked[name] = exc.reason
            notes = reach.outdated_instances(snapshot)
            if notes:
                self.notes[name] = notes
            else:
                self.notes.pop(name, None)
            if before != (self.untracked.get(name), self.notes.get(name)):
                self.tracking_revision += 1
            stable = reach.is_stable(snapshot)
            self._reach[name] = (reach, snapshot, token, stable)
            self._index(name, reach, snapshot, stable)
            # A first read has no version to forget (graph_changed forgot it); otherwise only a
            # different content (or an untracked one) changes the version.
            if known is not None and (token != known[2] or was_untracked):
                changed.append(name)
                if token != known[2]:  # an untracked node read again is no edit
                    edited.append(name)
        if not changed:
            return {}
        forgotten = self.invalidate(changed)
        if edited and self.on_edit is not None:
            self.on_edit(forgotten)
        return forgotten

    # ---- reading ----------------------------------------------------------------------
    def known(self, name: str) -> str | None:
        """The memoised version of ``name`` (None when not computed since the last change)."""
        return self._memo.get(name)

    def globals_token(self, name: str) -> str:
        """The token of what ``name`` reaches, as last re-read ("" before its first read)."""
        known = self._reach.get(name)
        return known[2] if known is not None else ""

    def version(self, name: str) -> str | None:
        found = self._memo.get(name, False)
        if found is not False:
            return found
        self.compute(self.graph.upstream_of(name) | {name})
        return self._memo[name]

    def untracked_reason(self, name: str) -> str | None:
        """Why ``name`` is recomputed at every execute: its own reach, or an untracked ancestor."""
        if name in self.untracked:
            return self.untracked[name]
        if not is_untracked(self._memo.get(name)):
            return None
        sources = sorted(n for n in self.graph.upstream_of(name) if n in self.untracked)
        return f"depends on untracked `{sources[0]}`" if sources else None

    def compute(self, names: Iterable[str]) -> None:
        """Fill in versions for ``names`` in topological order (ancestors they leave out are
        computed on the way)."""
        missing = [n for n in names if n not in self._memo]
        if not missing:
            return
        position = self.graph.topological_position()
        missing.sort(key=lambda n: position.get(n, -1))  # names outside the graph are inputs
        nodes, memo = self.graph.nodes, self._memo
        for name in missing:
            node = nodes.get(name)
            binding = self._bindings.get(name)
            if binding is not None and (node is None or binding.startswith("override:")):
                memo[name] = binding
                continue
            if node is None:
                memo[name] = UNBOUND
                continue
            if name not in self._reach:
                self.refresh_globals([name])
            reach_token = self._reach[name][2] if name in self._reach else ""
            untracked = reach_token == UNTRACKED
            parts = [node.fingerprint, reach_token, self._settings]
            if untracked:
                parts.append(f"{self._run}:{self._epoch}")
            for param, dep in node.dependencies.items():
                if dep.node not in memo:  # ``names`` left out an ancestor (a new input): never guess UNBOUND
                    self.compute(self.graph.upstream_of(dep.node) | {dep.node})
                dep_version = memo.get(dep.node)
                if dep_version is None and dep.required:
                    memo[name] = UNBOUND
                    break
                untracked = untracked or is_untracked(dep_version)
                parts.append(f"{param}={dep_version}")
            else:
                version = digest(*parts)
                memo[name] = UNTRACKED + version if untracked else version

    def version_without(self, name: str, params: Iterable[str]) -> str:
        """The version of node ``name`` (computed) with the inputs of ``params`` left out: what
        one item's value of a parallel branch node depends on besides that item."""
        node, memo = self.graph.nodes[name], self._memo
        reach_token = self._reach[name][2] if name in self._reach else ""
        parts, untracked = [node.fingerprint, reach_token, self._settings], reach_token == UNTRACKED
        for param, dep in node.dependencies.items():
            if param not in params:
                dep_version = memo.get(dep.node)
                untracked = untracked or is_untracked(dep_version)
                parts.append(f"{param}={dep_version}")
        if untracked:
            return UNTRACKED + digest(*parts, f"{self._run}:{self._epoch}")
        return digest(*parts)
