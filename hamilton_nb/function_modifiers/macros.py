"""``@does`` (another function computes the node) and ``@hamilton_exclude`` (not a node at all)."""
from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Mapping

from ..graph import fingerprint as fp
from ..graph.value_tokens import value_token
from ..graph.build import function_node
from ..graph.node import Node
from ..graph.watch import watching
from .base import CONFIG, EXPAND, Context, InvalidDecoratorError, Modifier


class _Replaced:
    """A ``@does`` node's callable: the replacing function, given the decorated function's inputs
    (renamed by the argument mapping, defaults of the decorated function filled in)."""

    def __init__(self, replacing: Callable, mapping: Mapping[str, str], defaults: Mapping[str, Any]):
        self.replacing, self.defaults = replacing, dict(defaults)
        self.renames = {original: new for new, original in mapping.items()}

    def __call__(self, **kwargs: Any) -> Any:
        given = {**self.defaults, **kwargs}
        return self.replacing(**{self.renames.get(k, k): v for k, v in given.items()})

    def __repr__(self) -> str:
        return f"<does {getattr(self.replacing, '__name__', self.replacing)!r}>"


class does(Modifier):
    """``@does(replacing_function, **argument_mapping)``: the node keeps the decorated function's
    name, inputs, type and doc, but ``replacing_function`` computes it (e.g. one ``sum(**series)``
    shared by many nodes). ``argument_mapping`` maps the replacing function's parameter names to
    the decorated function's. The replacing function's code is part of the node's version.
    """

    stage = EXPAND
    decorator = "@does"

    def __init__(self, replacing_function: Callable, **argument_mapping: str):
        if not callable(replacing_function):
            raise InvalidDecoratorError(f"@does({replacing_function!r}): expects the function that computes "
                                        "the node.\nFix: e.g. @does(_sum_all), with `def _sum_all(**values)`.")
        bad = {k: v for k, v in argument_mapping.items() if not isinstance(v, str)}
        if bad:
            raise InvalidDecoratorError(f"@does: the argument mapping must map names to names, got {bad!r}.\n"
                                        "Fix: e.g. @does(_ratio, numerator=\"spend\") passes `spend` as "
                                        "`numerator`.")
        self.replacing = replacing_function
        self.mapping = dict(argument_mapping)
        self.decorator = f"@does({getattr(replacing_function, '__name__', replacing_function)})"

    def __repr__(self) -> str:
        return self.decorator

    def expand(self, ctx: Context) -> list[Node]:
        base = function_node(ctx.fn, ctx.module, name=ctx.name)
        unknown = [p for p in self.mapping.values() if p not in base.dependencies]
        if unknown:
            raise ctx.error(self.decorator, f"the argument mapping names {', '.join(map(repr, unknown))}, "
                            f"which `{ctx.fn.__name__}` does not take.",
                            "map the replacing function's parameters to parameters of the decorated function.")
        self._check_signature(base, ctx)
        signature = inspect.signature(ctx.fn)
        defaults = {p: signature.parameters[p].default for p, dep in base.dependencies.items()
                    if not dep.required}
        return [dataclasses.replace(
            base, callable=_Replaced(self.replacing, self.mapping, defaults),
            function=watching(ctx.fn, [self.replacing]),  # what the replacing function reads counts too
            fingerprint=fp.digest(base.fingerprint, "does", value_token(self.replacing),
                                  *sorted(f"{k}={v}" for k, v in self.mapping.items())))]

    def _check_signature(self, base: Node, ctx: Context) -> None:
        try:
            params = inspect.signature(self.replacing).parameters
        except (TypeError, ValueError):
            return  # a builtin without a signature: calling it will tell
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return
        renames = {original: new for new, original in self.mapping.items()}
        passed = {renames.get(p, p) for p in base.dependencies}
        unknown = sorted(passed - set(params))
        missing = sorted(n for n, p in params.items() if p.default is p.empty
                         and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n not in passed)
        if unknown or missing:
            problem = "; ".join(filter(None, [
                f"it would pass {', '.join(map(repr, unknown))}, which the replacing function does not take"
                if unknown else "",
                f"the replacing function needs {', '.join(map(repr, missing))}, which nothing passes"
                if missing else ""]))
            raise ctx.error(self.decorator, problem + ".",
                            "make the parameters match, map them with @does(fn, its_param=\"our_param\"), "
                            "or give the replacing function a **kwargs parameter.")


class _Excluded(Modifier):
    """``@hamilton_exclude``: keep a public function out of the graph (a helper, a ``@does`` or
    ``pipe`` step), without renaming it with a leading ``_``."""

    stage = CONFIG
    decorator = "@hamilton_exclude"
    config_keys = ()

    def active(self, config: Mapping[str, Any]) -> bool:
        return False

    def __repr__(self) -> str:
        return self.decorator


hamilton_exclude = _Excluded()
