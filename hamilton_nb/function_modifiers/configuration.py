"""``@config.when…``: alternative implementations of one node, chosen by the config.

Name the implementations ``name__suffix``; the suffix is dropped, so ``@config.when(region="us")
def spend__us`` and ``@config.when(region="uk") def spend__uk`` both define ``spend``. A key
missing from the config compares as ``None``. Several ``@config`` decorators on one function
must all hold.
"""
from __future__ import annotations

from typing import Any, Callable, Collection, Mapping

from .base import CONFIG, InvalidDecoratorError, Modifier


def _groups(decorator: str, pairs: Mapping[str, Any]) -> dict[str, Collection[Any]]:
    for key, options in pairs.items():
        if isinstance(options, (str, bytes)) or not isinstance(options, Collection):
            raise InvalidDecoratorError(
                f"{decorator}({key}={options!r}): expects a list of values for each key.\n"
                f"Fix: write {decorator}({key}=[{options!r}, ...]).")
    return dict(pairs)


class config(Modifier):
    """Include the function only when ``resolves(config)`` is true.

    Prefer the named forms: ``config.when(key=value)``, ``config.when_not(key=value)``,
    ``config.when_in(key=[v1, v2])``, ``config.when_not_in(key=[v1, v2])``.
    """

    stage = CONFIG

    def __init__(self, resolves: Callable[[Mapping[str, Any]], bool], target_name: str | None = None,
                 config_used: list[str] | None = None, *, _label: str = "@config"):
        if not callable(resolves):
            raise InvalidDecoratorError(
                f"@config(...) expects a function of the config dict, got {resolves!r}.\n"
                "Fix: use @config.when(key=value) (or when_not / when_in / when_not_in).")
        if target_name is not None and not (isinstance(target_name, str) and target_name.isidentifier()):
            raise InvalidDecoratorError(
                f"{_label}: name={target_name!r} must be the node's name, a valid identifier.\n"
                "Fix: e.g. @config.when(name=\"spend\", region=\"us\"), or leave name out to use the "
                "function's name without its __suffix.")
        self.resolves = resolves
        self.target_name = target_name
        self.config_keys = tuple(config_used or ())
        self.decorator = _label

    def active(self, configuration: Mapping[str, Any]) -> bool:
        return bool(self.resolves(configuration))

    def __repr__(self) -> str:
        return self.decorator

    @staticmethod
    def _broken(error: InvalidDecoratorError) -> "config":
        """A decorator that reports ``error`` (naming the function) when it is applied."""
        broken = config(lambda c: False)
        broken._misuse = error
        return broken

    @staticmethod
    def when(name: str | None = None, **key_values: Any) -> "config":
        """Active when ``config[key] == value`` for every pair; ``name`` names the node (default:
        the function's name without its ``__suffix``)."""
        label = "@config.when(" + ", ".join(f"{k}={v!r}" for k, v in key_values.items()) + ")"
        return config(lambda c: all(c.get(k) == v for k, v in key_values.items()), target_name=name,
                      config_used=list(key_values), _label=label)

    @staticmethod
    def when_not(name: str | None = None, **key_values: Any) -> "config":
        """Active when ``config[key] != value`` for every pair (``name``: as for :meth:`when`)."""
        label = "@config.when_not(" + ", ".join(f"{k}={v!r}" for k, v in key_values.items()) + ")"
        return config(lambda c: all(c.get(k) != v for k, v in key_values.items()), target_name=name,
                      config_used=list(key_values), _label=label)

    @staticmethod
    def when_in(name: str | None = None, **key_options: Collection[Any]) -> "config":
        """Active when ``config[key]`` is one of the listed values, for every key (``name``: as for
        :meth:`when`)."""
        return config._membership("@config.when_in", key_options, inside=True, name=name)

    @staticmethod
    def when_not_in(**key_options: Collection[Any]) -> "config":
        """Active when ``config[key]`` is none of the listed values, for every key (as in Apache
        Hamilton, ``name`` here is a config key, not the node's name)."""
        return config._membership("@config.when_not_in", key_options, inside=False, name=None)

    @staticmethod
    def _membership(label: str, key_options: dict[str, Collection[Any]], inside: bool,
                    name: str | None) -> "config":
        try:
            groups = _groups(label, key_options)
        except InvalidDecoratorError as exc:
            return config._broken(exc)
        label = f"{label}(" + ", ".join(f"{k}={v!r}" for k, v in groups.items()) + ")"
        return config(lambda c: all((c.get(k) in v) == inside for k, v in groups.items()), target_name=name,
                      config_used=list(groups), _label=label)
