"""Input and parameter checks: one layer, used by every estimator, config and regulariser.

Data: :func:`as_2d_float` and :func:`check_paired` turn arrays, tensors, Series and DataFrames into
2-D float64 arrays with clear errors (scikit-learn's ``check_array`` inside).

Parameters, in the style of scikit-learn's ``_parameter_constraints``: a class declares, per
parameter, a list of constraints (:class:`Real`, :class:`Integer`, :class:`Options`,
:class:`Instance`, :class:`PositiveInts`, ``None``); a value is valid when it satisfies one of them.
:func:`validate_params` checks them all and raises :class:`InvalidParameterError` (a ``ValueError``
and a ``TypeError``) naming the owner, the parameter, the value and what is valid. Unlike
scikit-learn's (private) validators, a bool is never a number, NaN is in no interval, and numpy
scalars are numbers.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.utils import check_array

__all__ = [
    "Boolean",
    "Instance",
    "Integer",
    "InvalidParameterError",
    "Options",
    "PositiveInts",
    "Real",
    "as_2d_float",
    "check_paired",
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

    def _current(self) -> list[str]:
        return list(self.values() if callable(self.values) else self.values)

    def accepts(self, value) -> bool:
        return isinstance(value, str) and value in self._current()

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self._current())


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


# --- data ------------------------------------------------------------------------------------------
def as_2d_float(data, name: str) -> np.ndarray:
    """A numeric 1-D or 2-D input as a float64 array of shape (n, d); clear errors otherwise."""
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    if hasattr(data, "to_numpy") and getattr(data, "ndim", None) == 2 and hasattr(data, "dtypes"):  # DataFrame
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        bad = [str(d) for d in data.dtypes if not (is_numeric_dtype(d) or is_bool_dtype(d))]
        if bad:
            raise TypeError(f"{name} has non-numeric columns (dtypes: {', '.join(sorted(set(bad)))})")
        data = data.to_numpy()
    elif hasattr(data, "to_numpy") and hasattr(data, "dtype"):  # a pandas Series
        data = data.to_numpy()
    array = np.asarray(data)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be numeric, got an array of dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real-valued, got complex dtype {array.dtype}")
    if array.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, d), got a {array.ndim}-D array of shape {array.shape}")
    if array.ndim == 1:
        array = array[:, None]
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if not np.all(np.isfinite(array)):
        n_bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains NaN or infinite values ({n_bad} entries)")
    return check_array(array, dtype=np.float64, input_name=name)


SCAN_ROWS = 65_536  # rows per read when storage is scanned for NaN


def is_lazy_array(data) -> bool:
    """True for storage read a slice at a time: a ``np.memmap`` or an array-like that is not a numpy
    array, tensor or pandas object but has ``shape``, ``dtype``, ``ndim`` and row slicing (h5py, zarr)."""
    if isinstance(data, np.memmap):
        return True
    if isinstance(data, (np.ndarray, torch.Tensor, list, tuple)) or hasattr(data, "to_numpy"):
        return False
    return all(hasattr(data, a) for a in ("shape", "dtype", "ndim", "__getitem__"))


def check_lazy_array(data, name: str):
    """A memory-mapped or lazily sliced array checked without a full copy: numeric, real, 1-D or
    2-D, not empty, and finite (scanned ``SCAN_ROWS`` rows at a time). Returned as it is."""
    dtype = np.dtype(data.dtype)
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_) or np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{name} must be real and numeric, got an array of dtype {dtype}")
    if data.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, d), got a {data.ndim}-D array of shape {data.shape}")
    if data.shape[0] == 0 or (data.ndim == 2 and data.shape[1] == 0):
        raise ValueError(f"{name} is empty (shape {tuple(data.shape)})")
    for start in range(0, data.shape[0], SCAN_ROWS):
        chunk = np.asarray(data[start : start + SCAN_ROWS])
        finite = np.isfinite(chunk)
        if not finite.all():
            row = start + int(np.argmin(finite.reshape(len(chunk), -1).all(axis=1)))
            raise ValueError(f"{name} contains NaN or infinite values (first in row {row})")
    return data


def as_rows(data, name: str):
    """``check_lazy_array`` for storage read a slice at a time, else ``as_2d_float``."""
    return check_lazy_array(data, name) if is_lazy_array(data) else as_2d_float(data, name)


def check_paired(x, z, x_name: str = "x", z_name: str = "z") -> tuple:
    """Validate a pair of inputs whose rows are joint samples: same number of rows (memory-mapped
    inputs are checked in chunks and returned as they are, see :func:`as_rows`)."""
    x = as_rows(x, x_name)
    z = as_rows(z, z_name)
    if x.shape[0] != z.shape[0]:
        raise ValueError(
            f"{x_name} and {z_name} must have the same number of rows (samples), got {x.shape[0]} and {z.shape[0]}"
        )
    return x, z
