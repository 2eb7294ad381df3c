"""Input checks shared by the estimators: turn arrays, tensors and DataFrames into 2-D floats."""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.utils import check_array

__all__ = ["as_2d_float", "check_paired", "check_positive_int", "check_fraction", "resolve_dtype"]


def as_2d_float(data, name: str) -> np.ndarray:
    """A numeric 1-D or 2-D input as a float64 array of shape (n, d); clear errors otherwise."""
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    if hasattr(data, "to_numpy") and hasattr(data, "dtypes"):  # a pandas DataFrame
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
        raise ValueError(
            f"{name} must be 1-D (n,) or 2-D (n, d), got a {array.ndim}-D array of shape {array.shape}"
        )
    if array.ndim == 1:
        array = array[:, None]
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if not np.all(np.isfinite(array)):
        n_bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains NaN or infinite values ({n_bad} entries)")
    return check_array(array, dtype=np.float64, input_name=name)


def check_paired(x, z, x_name: str = "x", z_name: str = "z") -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of inputs whose rows are joint samples: same number of rows."""
    x = as_2d_float(x, x_name)
    z = as_2d_float(z, z_name)
    if x.shape[0] != z.shape[0]:
        raise ValueError(
            f"{x_name} and {z_name} must have the same number of rows (samples), "
            f"got {x.shape[0]} and {z.shape[0]}"
        )
    return x, z


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_fraction(value, name: str) -> float:
    if not isinstance(value, numbers.Real) or not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def resolve_dtype(dtype) -> torch.dtype:
    """'float32' / 'float64' (or the torch/numpy dtypes) -> a torch floating dtype."""
    table = {"float32": torch.float32, "float64": torch.float64}
    if isinstance(dtype, torch.dtype) and dtype in table.values():
        return dtype
    key = np.dtype(dtype).name if not isinstance(dtype, (str, torch.dtype)) else str(dtype).replace("torch.", "")
    if key not in table:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return table[key]
