"""Parameter checks: one layer, used by every estimator, config and regulariser (data checks live
in :mod:`mine.inputs`).

Parameters, in the style of scikit-learn's ``_parameter_constraints``: a class declares, per
parameter, a list of constraints (:class:`Real`, :class:`Integer`, :class:`Options`,
:class:`Instance`, :class:`PositiveInts`, ``None``); a value is valid when it satisfies one of them.
:func:`validate_params` checks them all and raises :class:`InvalidParameterError` (a ``ValueError``
and a ``TypeError``) naming the owner, the parameter, the value and what is valid. Unlike
scikit-learn's (private) validators, a bool is never a number, NaN is in no interval, and numpy
scalars are numbers.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "Boolean",
    "Instance",
    "Integer",
    "InvalidParameterError",
    "OptionList",
    "Options",
    "PositiveInts",
    "Real",
    "renamed_parameters",
    "resolve_device",
    "resolve_dtype",
    "validate_params",
]


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter with a value outside what it accepts."""


def _is_number(value, kind: type) -> bool:
    return isinstance(value, kind) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Real:
    """A real number (int, float or numpy scalar; not bool, not NaN) in an interval.

    ``closed``: which ends belong to it, "both", "left", "right" or "neither".
    """

    low: float = -math.inf
    high: float = math.inf
    closed: str = "both"

    def accepts(self, value) -> bool:
        if not _is_number(value, numbers.Real) or math.isnan(value):
            return False
        above = value >= self.low if self.closed in ("both", "left") else value > self.low
        below = value <= self.high if self.closed in ("both", "right") else value < self.high
        return bool(above and below)

    def describe(self) -> str:
        left = "[" if self.closed in ("both", "left") and math.isfinite(self.low) else "("
        right = "]" if self.closed in ("both", "right") and math.isfinite(self.high) else ")"
        return f"a number in {left}{self.low:g}, {self.high:g}{right}"


@dataclass(frozen=True)
class Integer:
    """An integer (Python or numpy; not bool) with ``low <= value <= high``."""

    low: int | None = None
    high: int | None = None

    def accepts(self, value) -> bool:
        return (
            _is_number(value, numbers.Integral)
            and (self.low is None or value >= self.low)
            and (self.high is None or value <= self.high)
        )

    def describe(self) -> str:
        if self.high is None:
            return "an integer" + (f" >= {self.low}" if self.low is not None else "")
        return f"an integer in [{self.low}, {self.high}]"


@dataclass(frozen=True)
class Options:
    """One of a set of strings; ``values`` may be a callable that returns the current set, for
    registries users extend."""

    values: Iterable[str] | Callable[[], Iterable[str]]

    def current(self) -> list[str]:
        """The valid strings now (a registry's names may grow)."""
        return list(self.values() if callable(self.values) else self.values)

    def accepts(self, value) -> bool:
        return isinstance(value, str) and value in self.current()

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.current())


@dataclass(frozen=True)
class Instance:
    """An instance of a type (bool only where ``bool`` is the type)."""

    kind: type

    def accepts(self, value) -> bool:
        if self.kind is not bool and isinstance(value, (bool, np.bool_)):
            return False
        return isinstance(value, self.kind)

    def describe(self) -> str:
        return f"a {self.kind.__name__}"


Boolean = Instance(bool)


@dataclass(frozen=True)
class OptionList:
    """A non-empty list or tuple of distinct strings, each one of ``values`` (as for :class:`Options`,
    a set or a callable that returns the current set)."""

    values: Iterable[str] | Callable[[], Iterable[str]]

    def accepts(self, value) -> bool:
        if not isinstance(value, (list, tuple)) or not value or len(set(map(str, value))) != len(value):
            return False
        return all(Options(self.values).accepts(v) for v in value)

    def describe(self) -> str:
        return "a list of distinct names among " + ", ".join(repr(v) for v in Options(self.values).current())


@dataclass(frozen=True)
class PositiveInts:
    """A non-empty sequence of positive integers (layer widths)."""

    def accepts(self, value) -> bool:
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            return False
        items = list(value)
        return bool(items) and all(Integer(1).accepts(v) for v in items)

    def describe(self) -> str:
        return "a non-empty sequence of positive integers"


def _shown(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def validate_params(owner: str, constraints: Mapping[str, list], params: Mapping[str, object]) -> None:
    """Check every declared parameter of ``owner``; raise on the first one no constraint accepts.

    ``constraints[name]`` is a list of constraint objects or ``None`` (None is a valid value).
    """
    for name, allowed in constraints.items():
        value = params[name]
        if any(value is None if c is None else c.accepts(value) for c in allowed):
            continue
        valid = " or ".join("None" if c is None else c.describe() for c in allowed)
        raise InvalidParameterError(f"{owner}: {name} must be {valid}, got {_shown(value)}")


def renamed_parameters(renamed: Mapping[str, str]) -> Callable:
    """A decorator of an estimator's ``__init__``: a parameter passed under an old name of
    ``renamed`` (old name -> what to pass instead) is a TypeError that says so. The signature
    scikit-learn reads (``get_params``, ``clone``) stays ``__init__``'s own."""

    def decorate(init: Callable) -> Callable:
        @functools.wraps(init)
        def checked(self, *args, **kwargs):
            for old in renamed.keys() & kwargs.keys():
                raise TypeError(f"{type(self).__name__}: {old!r} is no longer a parameter; {renamed[old]}")
            init(self, *args, **kwargs)

        return checked

    return decorate


# --- resolved values -----------------------------------------------------------------------------
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_dtype(dtype) -> torch.dtype:
    """'float32' / 'float64' (or the torch/numpy dtypes) -> a torch floating dtype."""
    if isinstance(dtype, torch.dtype) and dtype in DTYPES.values():
        return dtype
    try:
        key = str(dtype).replace("torch.", "") if isinstance(dtype, (str, torch.dtype)) else np.dtype(dtype).name
    except TypeError:
        key = None
    if key not in DTYPES:
        raise InvalidParameterError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return DTYPES[key]


def resolve_device(device) -> torch.device:
    """'auto' (CUDA when present, else CPU), a device name or a torch.device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise InvalidParameterError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}") from None
