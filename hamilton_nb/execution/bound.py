"""Bound values: the session's inputs and config, as private copies, each with the token its
version is made of. A value that can't be copied, or that carries user code (a notebook
class's instance, a function), is read again before every execute instead."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from ..graph import FunctionGraph
from ..graph.value_tokens import bound_token, value_token
from . import bindings, sharing
from .diff import ChangeLog
from .versions import Versioner, is_untracked


def binding_token(value: Any, kind: str = "input") -> str:
    """The version of a bound value: its content token, or a one-off untracked version."""
    return f"{kind}:{value_token(value)}"


class BoundValues:
    """``inputs`` and ``config`` as bound; ``tokens`` holds each one's token, ``reread`` the names
    whose token is made again at every execute."""

    def __init__(self, graph: FunctionGraph, versions: Versioner, changes: ChangeLog,
                 changed: Callable[[Iterable[str]], None]) -> None:
        self.graph, self.versions, self.changes, self._changed = graph, versions, changes, changed
        self.inputs: dict[str, Any] = {}
        self.config: dict[str, Any] = {}
        self.tokens: dict[str, str] = {}
        self.reread: set[str] = set()
        self._overridden: set[str] = set()
        self._input_names: tuple[int, list[str]] = (-1, [])

    def set_inputs(self, values: Mapping[str, Any]) -> None:
        """Bind inputs (private copies); all are type-checked first, so a bad one binds nothing."""
        for name, value in values.items():
            bindings.check_input_type(self.graph, name, value)
        before = {name: self.tokens.get(name) for name in values}
        for name, value in values.items():
            self.inputs[name] = self._snapshot(name, value)
            self.tokens[name] = binding_token(self.inputs[name])
            self.versions.bind(name, self.tokens[name])
            self._changed([name])
        rebound = [name for name, token in before.items() if self.tokens[name] != token]
        if rebound:
            self.changes.edited()  # new data: the last execute's marks are outdated
            self.changes.noted(rebound)

    def remove_input(self, name: str) -> None:
        self.changes.edited()
        self.inputs.pop(name, None)
        self.reread.discard(name)
        if name in self.config:
            self.config[name] = self._snapshot(name, self.config[name])
            self.tokens[name] = binding_token(self.config[name])
        else:
            self.tokens.pop(name, None)
        self.versions.bind(name, self.tokens.get(name))
        self._changed([name])

    def set_config(self, config: Mapping[str, Any]) -> None:
        self.changes.edited()
        self.changes.noted(config)
        for name, value in config.items():
            if name in self.inputs:
                self.config[name] = sharing.own(value)[0]
                continue
            self.config[name] = self._snapshot(name, value)
            self.tokens[name] = binding_token(self.config[name])
            self.versions.bind(name, self.tokens[name])
            self._changed([name])

    def _snapshot(self, name: str, value: Any) -> Any:
        """A private deep copy of a bound value; one that can't be copied (or has no sound
        token) is re-read before every execute instead."""
        value, owned = sharing.own(value)
        token, carries_code = bound_token(value)
        if owned and not carries_code and not is_untracked(token):
            self.reread.discard(name)
        else:
            self.reread.add(name)
        return value

    def has(self, name: str) -> bool:
        return name in self.inputs or name in self.config

    def value(self, name: str) -> Any:
        """The bound value of ``name`` (an input wins over config of the same name)."""
        return self.inputs[name] if name in self.inputs else self.config[name]

    def changed_since_bound(self, name: str) -> bool:
        """Whether a re-read value no longer has the token it was last bound with."""
        return name in self.reread and binding_token(self.value(name)) != self.tokens.get(name)

    def bind(self, needed: Iterable[str], call_inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Values of the ``needed`` inputs for one execute (call inputs first, then bound ones),
        their versions bound; one with no value is left out (and its version unbound)."""
        versions = self.versions
        values: dict[str, Any] = {}
        for name in needed:
            if name in call_inputs:
                value = sharing.own(call_inputs[name])[0]
                versions.bind(name, binding_token(value))
            elif self.has(name):
                value = self.value(name)
                if name in self.reread:
                    self.tokens[name] = binding_token(value)
                versions.bind(name, self.tokens[name])
            else:
                versions.bind(name, None)
                continue
            bindings.check_input_type(self.graph, name, value)
            values[name] = value
        return values

    def bind_overrides(self, overrides: Mapping[str, Any], values: dict[str, Any]) -> None:
        """Overrides last one execute: the previous call's are unbound, these bound as overrides."""
        for name in self._overridden - set(overrides):
            if name not in values:
                self.versions.bind(name, None)
        for name, value in overrides.items():
            values[name] = sharing.own(value)[0]
            self.versions.bind(name, binding_token(values[name], "override"))
        self._overridden = set(overrides)

    def bind_all(self) -> None:
        """Bring every input's version up to date with the session's inputs and config (for
        states: what the next plain execute would reuse; overrides lasted one execute)."""
        for name in self._overridden:
            self.versions.bind(name, None)
        self._overridden = set()
        graph = self.graph
        if self._input_names[0] != graph.structure:
            self._input_names = (graph.structure, graph.input_names)
        for name in self._input_names[1]:
            if name in self.reread and self.has(name):
                self.tokens[name] = binding_token(self.value(name))
            self.versions.bind(name, self.tokens.get(name) if self.has(name) else None)
