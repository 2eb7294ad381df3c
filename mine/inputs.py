"""What the user passed, and whether it is valid data: one place for the library and the command line.

- What it is: :func:`is_lazy_array` (storage read a slice at a time: memory maps, h5py/zarr
  datasets), :func:`is_batches` (a DataLoader, a Dataset or another iterable of batches), else an
  array-like in memory (numpy, torch, pandas, lists).
- Whether it is valid: numeric and real (:func:`check_numeric_dtype`), one or two dimensions with
  rows and columns (:func:`check_shape`, :func:`as_columns`), finite (:func:`check_finite`, which names the first bad
  row). :func:`as_2d_float` applies them to arrays in memory, :func:`check_lazy_array` to storage
  (scanned in chunks), :func:`as_arrays` to a batch of a stream or a dataset; the command line's
  file reader (:mod:`mine.datafiles`) applies :func:`check_finite`'s row finder to parsed cells.
- Names: :func:`column_names`, scikit-learn's ``feature_names_in_`` rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_array

__all__ = [
    "SCAN_ROWS",
    "as_2d_float",
    "as_columns",
    "as_arrays",
    "as_rows",
    "check_aligned",
    "check_finite",
    "check_lazy_array",
    "check_numeric_dtype",
    "check_paired",
    "check_shape",
    "column_names",
    "first_non_finite_row",
    "is_batches",
    "is_lazy_array",
]

SCAN_ROWS = 65_536  # rows per read when storage is scanned for NaN


# --- what it is ------------------------------------------------------------------------------------
def is_lazy_array(data) -> bool:
    """True for storage read a slice at a time: a ``np.memmap`` or an array-like that is not a numpy
    array, tensor or pandas object but has ``shape``, ``dtype``, ``ndim`` and row slicing (h5py, zarr)."""
    if isinstance(data, np.memmap):
        return True
    if isinstance(data, (np.ndarray, torch.Tensor, list, tuple)) or hasattr(data, "to_numpy"):
        return False
    return all(hasattr(data, a) for a in ("shape", "dtype", "ndim", "__getitem__"))


def is_batches(data) -> bool:
    """True for data given as batches: a DataLoader, a torch Dataset, or an iterable that is not an
    array, tensor, list, tuple or pandas object (a generator, an iterator)."""
    from torch.utils.data import DataLoader, Dataset

    if isinstance(data, (DataLoader, Dataset)):
        return True
    if isinstance(data, (np.ndarray, torch.Tensor, list, tuple, str, bytes)) or hasattr(data, "to_numpy"):
        return False
    return hasattr(data, "__iter__") and not is_lazy_array(data)


def column_names(data) -> np.ndarray | None:
    """A DataFrame's column names when all are strings (scikit-learn's ``feature_names_in_`` rule), else None."""
    columns = getattr(data, "columns", None)
    if columns is None or not all(isinstance(c, str) for c in columns):
        return None
    return np.asarray(columns, dtype=object)


# --- whether it is valid -----------------------------------------------------------------------------
def check_numeric_dtype(dtype, name: str) -> None:
    """A TypeError unless ``dtype`` is a real number or bool dtype.

    Parameters
    ----------
    dtype : numpy dtype-like
        The data's dtype.
    name : str
        What the data is called in the message.
    """
    dtype = np.dtype(dtype)
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_):
        raise TypeError(f"{name} must be numeric, got an array of dtype {dtype}")
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{name} must be real-valued, got complex dtype {dtype}")


def check_shape(shape: tuple[int, ...], name: str) -> None:
    """A ValueError unless ``shape`` is (n,) or (n, d) with n and d at least 1.

    Parameters
    ----------
    shape : tuple of int
        The data's shape.
    name : str
        What the data is called in the message.
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) not in (1, 2):
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, d), got a {len(shape)}-D array of shape {shape}")
    if 0 in shape:
        raise ValueError(f"{name} is empty (shape {shape})")


def as_columns(array: np.ndarray, name: str) -> np.ndarray:
    """A 1-D array as one column, a 2-D one as it is (:func:`check_shape` first).

    Parameters
    ----------
    array : ndarray
        The data.
    name : str
        What the data is called in the message.

    Returns
    -------
    ndarray of shape (n, d)
    """
    check_shape(array.shape, name)
    return array[:, None] if array.ndim == 1 else array


def first_non_finite_row(array: np.ndarray) -> int | None:
    """The position of the first row holding a NaN or an infinity (None: every value is finite)."""
    finite = np.isfinite(array).reshape(len(array), -1).all(axis=1)
    return None if finite.all() else int(np.argmin(finite))


def check_finite(array: np.ndarray, name: str, row_numbers: np.ndarray | None = None, start: int = 0) -> None:
    """A ValueError naming the first row of ``array`` with a NaN or an infinity.

    Parameters
    ----------
    array : ndarray of shape (n, ...)
        The data (or a chunk of it).
    name : str
        What the data is called in the message.
    row_numbers : ndarray or None
        The row numbers of ``array``'s rows in the user's data (a subset read by index).
    start : int
        The row number of ``array``'s first row, when ``row_numbers`` is None (a chunk).
    """
    first = first_non_finite_row(array)
    if first is None:
        return
    row = int(row_numbers[first]) if row_numbers is not None else start + first
    raise ValueError(f"{name} contains NaN or infinite values (first in row {row})")


def as_2d_float(data, name: str) -> np.ndarray:
    """A numeric 1-D or 2-D input in memory (array, tensor, list, Series, DataFrame) as a float64
    array of shape (n, d); clear errors otherwise.

    Parameters
    ----------
    data : array_like
        The input.
    name : str
        What the input is called in messages.

    Returns
    -------
    ndarray of shape (n, d)
    """
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
    check_numeric_dtype(array.dtype, name)
    array = as_columns(array, name)
    check_finite(array, name)
    return check_array(array, dtype=np.float64, input_name=name)


def check_lazy_array(data, name: str):
    """A memory-mapped or lazily sliced array checked without a full copy: numeric, real, 1-D or
    2-D, not empty, and finite (scanned ``SCAN_ROWS`` rows at a time).

    Parameters
    ----------
    data : array-like read a slice at a time
        ``np.memmap``, an h5py or zarr dataset.
    name : str
        What the input is called in messages.

    Returns
    -------
    The input as it is.
    """
    check_numeric_dtype(data.dtype, name)
    check_shape(data.shape, name)
    for start in range(0, data.shape[0], SCAN_ROWS):
        check_finite(np.asarray(data[start : start + SCAN_ROWS]), name, start=start)
    return data


def as_rows(data, name: str):
    """``check_lazy_array`` for storage read a slice at a time, else ``as_2d_float``.

    Parameters
    ----------
    data : array_like or storage read a slice at a time
        The input, and ``name`` its name in messages.
    name : str

    Returns
    -------
    The storage as it is, or a float64 array of shape (n, d).
    """
    return check_lazy_array(data, name) if is_lazy_array(data) else as_2d_float(data, name)


def check_aligned(inputs: Mapping[str, Any], lazy: bool = True) -> tuple:
    """Validate inputs whose rows are joint samples: each valid, all with the same number of rows.

    Parameters
    ----------
    inputs : mapping of str to array_like
        The inputs by the names messages call them, e.g. ``{"x": x, "z": z}``.
    lazy : bool
        Storage read a slice at a time is checked in chunks and returned as it is (:func:`as_rows`);
        False: every input is read into memory (:func:`as_2d_float`).

    Returns
    -------
    tuple
        The inputs in order, validated.
    """
    arrays = tuple(as_rows(a, name) if lazy else as_2d_float(a, name) for name, a in inputs.items())
    rows = [a.shape[0] for a in arrays]
    if len(set(rows)) > 1:
        names, counts = list(inputs), [str(n) for n in rows]
        raise ValueError(f"{_listed(names)} must have the same number of rows (samples), got {_listed(counts)}")
    return arrays


def _listed(words: list[str]) -> str:
    """ "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def check_paired(x, z, x_name: str = "x", z_name: str = "z") -> tuple:
    """:func:`check_aligned` of two inputs, x and z (storage read lazily returned as it is).

    Parameters
    ----------
    x, z : array_like
        The paired inputs.
    x_name, z_name : str
        What they are called in messages.

    Returns
    -------
    (x, z) as :func:`as_rows` returns them.
    """
    return check_aligned({x_name: x, z_name: z})


def as_arrays(batch, n_arrays: int, where: str, row_numbers: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """A batch (of a stream or a dataset) as ``n_arrays`` 2-D numeric arrays with the same number of
    rows, all finite; errors name ``where`` and the row (its number in ``row_numbers`` when given).

    Parameters
    ----------
    batch : tuple, list, dict, array or tensor
        What the stream or the dataset's collate function gave.
    n_arrays : int
        Arrays expected: 2 for (x, z), 1 for samples.
    where : str
        What the batch is called in messages.
    row_numbers : ndarray or None
        The row numbers the batch was read from.

    Returns
    -------
    tuple of ndarray of shape (B, d)
    """
    if isinstance(batch, dict):
        batch = tuple(batch.values())
    if isinstance(batch, (torch.Tensor, np.ndarray)) and n_arrays == 1:
        batch = (batch,)
    if not isinstance(batch, (tuple, list)) or len(batch) != n_arrays:
        got = f"{len(batch)} parts" if isinstance(batch, (tuple, list)) else f"a {type(batch).__name__}"
        raise ValueError(
            f"each batch must hold {n_arrays} part(s) ({'(x, z)' if n_arrays == 2 else 'samples'}), got {got}"
        )
    out = []
    for part in batch:
        array = part.detach().cpu().numpy() if isinstance(part, torch.Tensor) else np.asarray(part)
        check_numeric_dtype(array.dtype, f"the parts of {where}")
        out.append(array[:, None] if array.ndim == 1 else array.reshape(array.shape[0], -1))
    if len({a.shape[0] for a in out}) != 1:
        raise ValueError(f"the parts of a batch must have the same number of rows, got {[a.shape[0] for a in out]}")
    for array in out:
        check_finite(array, where, row_numbers=row_numbers)
    return tuple(out)
