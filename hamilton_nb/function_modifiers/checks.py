"""``@check_output(...)``: data-quality checks that run after a node computes.

The checks travel on the node (``Node.checks``) as plain callables, so the engine runs them
without importing this package: ``passed, message = check(value)``, then ``check.importance``
("warn": log and record; "fail": raise) and ``check.description`` say what to do and report.

Checks (the argument names Apache Hamilton's default validators use):

=====================  ===========================  ==========================================
argument               applies to                   passes when
=====================  ===========================  ==========================================
``data_type=T``        pd.Series / int, float, str,  series dtype is a subtype of ``T``
                       bool                          (``np.issubdtype``) / ``isinstance(v, T)``
``range=(lo, hi)``     pd.Series / numbers           every value in ``[lo, hi]`` (NaN fails)
``values_in=[...]``    pd.Series / numbers, str      every non-NA value is one of them
``allow_nans=False``   pd.Series                     no NaN/NA
``max_fraction_nans``  pd.Series                     fraction of NA ≤ the bound
``max_standard_dev``   pd.Series                     ``series.std()`` ≤ the bound
``mean_in_range``      pd.Series                     ``lo ≤ series.mean() ≤ hi``
``allow_none=False``   anything                      value is not None
``contains``           str                           the substring(s) occur
``does_not_contain``   str                           the substring(s) do not occur
=====================  ===========================  ==========================================
"""
from __future__ import annotations

import dataclasses
import difflib
import numbers
import typing
from typing import Any, Callable

from ..graph import fingerprint as fp
from ..graph.value_tokens import value_token
from ..graph.node import Node
from ..graph.types import describe
from .base import TRANSFORM, Context, InvalidDecoratorError, Modifier

IMPORTANCE = ("warn", "fail")


@dataclasses.dataclass(frozen=True)
class Check:
    """One check on one node: ``check(value) -> (passed, message)``; never raises."""

    name: str
    argument: Any
    importance: str
    test: Callable[[Any], tuple[bool, str]] = dataclasses.field(repr=False)

    @property
    def token(self) -> str:
        """What the check's verdict depends on (its value's version aside)."""
        return f"{self.name}={value_token(self.argument)}:{self.importance}"

    @property
    def description(self) -> str:
        return f"{self.name}={self.argument!r}"

    def __call__(self, value: Any) -> tuple[bool, str]:
        try:
            passed, message = self.test(value)
        except Exception as exc:  # a check that cannot even run has failed
            return False, f"the check could not run on a {type(value).__name__}: {type(exc).__name__}: {exc}"
        return bool(passed), message

    def __str__(self) -> str:
        return f"{self.description} ({self.importance})"


# ---- what a check applies to ------------------------------------------------------------------
def _origin(tp: Any) -> Any:
    return typing.get_origin(tp) or tp


def _is_series(tp: Any) -> bool:
    origin = _origin(tp)
    return isinstance(origin, type) and any(
        k.__qualname__ == "Series" and k.__module__.startswith("pandas") for k in origin.__mro__)


def _is_number(tp: Any) -> bool:
    origin = _origin(tp)
    return isinstance(origin, type) and issubclass(origin, numbers.Real)


def _is_str(tp: Any) -> bool:
    origin = _origin(tp)
    return isinstance(origin, type) and issubclass(origin, str)


def _is_primitive(tp: Any) -> bool:
    return _is_number(tp) or _is_str(tp) or _origin(tp) is bool


# ---- the tests --------------------------------------------------------------------------------
def _series_dtype(data_type):
    def test(series):
        import numpy as np

        dtype = getattr(series.dtype, "type", series.dtype)
        try:
            ok = bool(np.issubdtype(dtype, data_type))
        except TypeError:
            ok = False
        return ok, f"dtype is {series.dtype}, expected a subtype of {getattr(data_type, '__name__', data_type)}"
    return test


def _primitive_type(data_type):
    return lambda v: (isinstance(v, data_type),
                      f"value is a {type(v).__name__}, expected {getattr(data_type, '__name__', data_type)}")


def _series_range(bounds):
    lo, hi = bounds

    def test(series):
        inside = series.between(lo, hi, inclusive="both")
        outside = int((~inside).sum())
        return outside == 0, (f"{outside} of {len(series)} values are outside [{lo}, {hi}] (NaN counts as "
                              f"outside); min={_number(series.min())}, max={_number(series.max())}")
    return test


def _number(value) -> str:
    """A float at six significant digits (a failed check's message stays readable)."""
    return f"{value:.6g}" if isinstance(value, float) or type(value).__name__.startswith("float") else str(value)


def _number_range(bounds):
    lo, hi = bounds
    return lambda v: (lo <= v <= hi, f"value {_number(v)} is {'inside' if lo <= v <= hi else 'outside'} [{lo}, {hi}]")


def _series_values_in(allowed):
    allowed = list(allowed)

    def test(series):
        bad = series[~(series.isin(allowed) | series.isna())]
        shown = ", ".join(map(repr, bad.unique()[:5]))
        return bad.empty, f"{len(bad)} values are not in {allowed!r}" + (f" (e.g. {shown})" if shown else "")
    return test


def _primitive_values_in(allowed):
    allowed = list(allowed)
    return lambda v: (v in allowed, f"value {v!r} is {'' if v in allowed else 'not '}one of {allowed!r}")


def _max_fraction_nans(bound):
    def test(series):
        n = len(series)
        nans = int(series.isna().sum())
        fraction = nans / n if n else 0.0
        return fraction <= bound, f"{nans} of {n} values are NaN ({fraction:.2%}; at most {bound:.2%} allowed)"
    return test


def _no_nans(_):
    return _max_fraction_nans(0.0)


def _max_std(bound):
    def test(series):
        std = series.std()
        return bool(std <= bound), f"standard deviation is {std} (at most {bound} allowed)"
    return test


def _mean_in_range(bounds):
    lo, hi = bounds

    def test(series):
        mean = series.mean()
        return bool(lo <= mean <= hi), f"mean is {mean} (expected within [{lo}, {hi}])"
    return test


def _allow_none(allowed):
    return lambda v: (allowed or v is not None, "value is None" if v is None else "value is not None")


def _substrings(wanted, present: bool):
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)

    def test(v):
        wrong = [w for w in wanted if (w in v) != present]
        verb = "does not contain" if present else "contains"
        return not wrong, f"string {verb} {wrong!r}" if wrong else "ok"
    return test


def _range_arg(name: str, arg: Any) -> None:
    if not (isinstance(arg, (tuple, list)) and len(arg) == 2 and arg[0] <= arg[1]):
        raise InvalidDecoratorError(f"@check_output({name}={arg!r}): expects a (low, high) pair with low ≤ high.\n"
                                    f"Fix: e.g. @check_output({name}=(0, 1)).")


def _fraction_arg(name: str, arg: Any) -> None:
    if not (isinstance(arg, numbers.Real) and 0 <= arg <= 1):
        raise InvalidDecoratorError(f"@check_output({name}={arg!r}): expects a fraction in [0, 1].\n"
                                    f"Fix: e.g. @check_output({name}=0.05).")


def _allow_nans_arg(name: str, arg: Any) -> None:
    if arg is not False:
        raise InvalidDecoratorError(
            f"@check_output({name}={arg!r}): only allow_nans=False checks anything.\n"
            "Fix: write allow_nans=False to forbid NaNs, max_fraction_nans=0.1 to bound them, or drop it.")


def _type_arg(name: str, arg: Any) -> None:
    if not isinstance(arg, type):
        raise InvalidDecoratorError(f"@check_output({name}={arg!r}): expects a type, e.g. np.float64 or int.\n"
                                    "Fix: pass the type itself, not an instance or a string.")


# argument -> (validate argument, [(applies to output type?, what it needs, make test)])
_CHECKS: dict[str, tuple[Callable | None, list[tuple[Callable, str, Callable]]]] = {
    "data_type": (_type_arg, [(_is_series, "pd.Series", _series_dtype),
                              (_is_primitive, "int/float/str/bool", _primitive_type)]),
    "range": (_range_arg, [(_is_series, "pd.Series", _series_range), (_is_number, "numbers", _number_range)]),
    "values_in": (None, [(_is_series, "pd.Series", _series_values_in),
                         (lambda t: _is_number(t) or _is_str(t), "numbers/str", _primitive_values_in)]),
    "allow_nans": (_allow_nans_arg, [(_is_series, "pd.Series", _no_nans)]),
    "max_fraction_nans": (_fraction_arg, [(_is_series, "pd.Series", _max_fraction_nans)]),
    "max_standard_dev": (None, [(_is_series, "pd.Series", _max_std)]),
    "mean_in_range": (_range_arg, [(_is_series, "pd.Series", _mean_in_range)]),
    "allow_none": (None, [(lambda t: True, "anything", _allow_none)]),
    "contains": (None, [(_is_str, "str", lambda w: _substrings(w, True))]),
    "does_not_contain": (None, [(_is_str, "str", lambda w: _substrings(w, False))]),
}


class check_output(Modifier):
    """``@check_output(range=(0, 1), allow_nans=False, importance="warn"|"fail")``.

    ``warn`` logs and marks the node (status, widget); ``fail`` stops execution with an error
    naming the node and the failed check. Editing check arguments re-runs the checks on the
    cached value at the next execute; the node itself is not recomputed.
    """

    stage = TRANSFORM
    decorator = "@check_output"

    def __init__(self, importance: str = "warn", default_validator_candidates: Any = None,
                 target_: Any = None, **checks: Any):
        if importance not in IMPORTANCE:
            raise InvalidDecoratorError(f"@check_output(importance={importance!r}): must be \"warn\" or \"fail\".\n"
                                        "Fix: importance=\"warn\" logs and marks the node; \"fail\" stops execution.")
        if default_validator_candidates is not None:
            raise InvalidDecoratorError("@check_output(default_validator_candidates=...) is not supported.\n"
                                        "Fix: drop it; use the built-in check arguments.")
        unknown = sorted(set(checks) - set(_CHECKS))
        if unknown or not checks:
            close = [m for u in unknown for m in difflib.get_close_matches(u, list(_CHECKS), n=1)]
            problem = (f"unknown check{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}"
                       + (f" (did you mean {', '.join(close)}?)" if close else "")) if unknown \
                else "no checks given"
            raise InvalidDecoratorError(f"@check_output: {problem}.\nFix: use any of: {', '.join(_CHECKS)}.")
        for name, arg in checks.items():
            validate = _CHECKS[name][0]
            if validate is not None:
                validate(name, arg)
        self.importance = importance
        self.checks = dict(checks)
        self.target = target_
        self.decorator = "@check_output(" + ", ".join(f"{k}={v!r}" for k, v in checks.items()) + ")"

    def __repr__(self) -> str:
        return self.decorator

    def transform(self, node: Node, ctx: Context) -> list[Node]:
        made = []
        for name, arg in self.checks.items():
            for applies, _, make in _CHECKS[name][1]:
                if applies(node.type):
                    made.append(Check(name, arg, self.importance, make(arg)))
                    break
            else:
                kinds = " or ".join(needs for _, needs, _ in _CHECKS[name][1])
                raise ctx.error(self.decorator,
                                f"check `{name}` applies to {kinds} outputs, but `{node.name}` returns "
                                f"{describe(node.type)}.",
                                f"drop `{name}`, or put @check_output on a function returning {kinds} "
                                "(with @extract_columns, put @check_output above it to check each column).")
        # Not part of the fingerprint: a check can't change the value, so editing its arguments
        # re-runs the check on the cached value instead of recomputing the node and its downstream.
        return [dataclasses.replace(node, checks=(*node.checks, *made))]


def _importance_of(validator: Any) -> str:
    level = getattr(validator, "importance", "warn")
    level = getattr(level, "value", level)  # Apache Hamilton's DataValidationLevel enum
    return str(level).lower()


def _custom_test(validator: Any) -> Callable[[Any], tuple[bool, str]]:
    def test(value):
        result = validator.validate(value)
        passes = getattr(result, "passes", result)
        return bool(passes), str(getattr(result, "message", "") or ("ok" if passes else "failed"))
    return test


class check_output_custom(Modifier):
    """``@check_output_custom(MyValidator(importance="warn"), ...)``: your own checks.

    A validator has ``validate(value)`` returning an object with ``passes`` and ``message``
    (Apache Hamilton's ``DataValidator`` subclasses work as they are), an ``importance``
    ("warn" or "fail") and optionally ``applies_to(type)`` and ``description()``. Its
    attributes are part of the node's version.
    """

    stage = TRANSFORM
    decorator = "@check_output_custom"

    def __init__(self, *validators: Any, target_: Any = None):
        bad = [v for v in validators if not callable(getattr(v, "validate", None))
               or _importance_of(v) not in IMPORTANCE]
        if bad or not validators:
            raise InvalidDecoratorError(
                f"@check_output_custom: {'no validators given' if not validators else f'{bad!r} are not validators'}"
                ".\nFix: pass objects with validate(value) -> result (with .passes and .message) and "
                "importance \"warn\" or \"fail\".")
        self.validators = validators
        self.target = target_
        self.decorator = "@check_output_custom(" + ", ".join(type(v).__name__ for v in validators) + ")"

    def __repr__(self) -> str:
        return self.decorator

    def transform(self, node: Node, ctx: Context) -> list[Node]:
        made = []
        for validator in self.validators:
            applies = getattr(validator, "applies_to", None)
            if callable(applies) and not applies(node.type):
                raise ctx.error(self.decorator, f"{type(validator).__name__} does not apply to `{node.name}`, "
                                f"which returns {describe(node.type)}.",
                                "use a validator for this type, or put the decorator on another function.")
            describe_fn = getattr(validator, "description", None)
            about = describe_fn() if callable(describe_fn) else type(validator).__name__
            made.append(Check(type(validator).__name__, about, _importance_of(validator), _custom_test(validator)))
        return [dataclasses.replace(node, checks=(*node.checks, *made),
                                    fingerprint=fp.digest(node.fingerprint, "check_output_custom",
                                                          value_token(list(self.validators))))]
