"""The Kraskov-Stoegbauer-Grassberger k-nearest-neighbour MI estimator (KSG 2004, algorithm 1).

A non-parametric baseline for the neural estimators: no training, good in low dimensions, biased
towards zero as the dimension or the MI grows (its estimate is limited by what k neighbours among
N samples can resolve).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree
from scipy.special import digamma
from sklearn.utils import check_array

from ._validation import Integer, Options, validate_params
from .preprocessing import PREPROCESSORS, fit_preprocessor

__all__ = ["ksg"]


def _columns(data: ArrayLike, name: str) -> np.ndarray:
    """Finite numeric data of shape (n,) or (n, d) as float64 columns (scikit-learn's checks: the
    estimators' own, :mod:`mine.inputs`, sit in a layer above this baseline)."""
    array = check_array(np.asarray(data), ensure_2d=False, dtype="numeric", input_name=name)
    return np.asarray(array, dtype=np.float64).reshape(len(array), -1)


def ksg(x: ArrayLike, z: ArrayLike, k: int = 3, preprocessing: str = "quantile", workers: int = 1) -> float:
    """I(X; Z) in nats by KSG algorithm 1 (max-norm in every space).

    I = psi(k) + psi(N) - mean_i [psi(n_x(i) + 1) + psi(n_z(i) + 1)], where eps_i is the distance
    from sample i to its k-th neighbour in the joint space and n_x(i), n_z(i) count the other
    samples strictly within eps_i of it in the x and z spaces.

    Parameters
    ----------
    x, z : array_like of shape (n,) or (n, d)
        Paired samples whose rows are joint draws.
    k : int
        Neighbours (3 is the usual choice: low bias, moderate variance).
    preprocessing : {"quantile", "standard", "none"}
        Per-column map applied first, which leaves MI unchanged (the max-norm is not scale
        invariant): "quantile" (normal scores: immune to scale, heavy tails and outliers),
        "standard" (unit variance, as scikit-learn's ``mutual_info_regression``) or "none".
    workers : int
        Threads for the KD-tree queries (-1: all cores).

    Returns
    -------
    float
        The estimate in nats; it can be slightly negative for independent data and is not clipped.
    """
    x, z = (_columns(a, name) for a, name in ((x, "x"), (z, "z")))
    if len(x) != len(z):
        raise ValueError(f"x and z must have the same number of rows (samples), got {len(x)} and {len(z)}")
    n = x.shape[0]
    validate_params(
        "ksg", {"k": [Integer(1)], "preprocessing": [Options(PREPROCESSORS)]}, {"k": k, "preprocessing": preprocessing}
    )
    if n <= k:
        raise ValueError(f"too few samples: KSG with k={k} needs more than {k} samples, got {n}")
    x, z = fit_preprocessor(preprocessing, x).transform(x), fit_preprocessor(preprocessing, z).transform(z)
    joint = np.hstack([x, z])
    # k + 1 neighbours: the nearest is the point itself
    radius = cKDTree(joint).query(joint, k=k + 1, p=np.inf, workers=workers)[0][:, k]
    if np.any(radius == 0):
        repeated = int(np.count_nonzero(radius == 0))
        raise ValueError(
            f"{repeated} samples have {k} or more exact duplicates in (x, z); KSG needs continuous data "
            "(add a little noise to discrete or rounded columns)"
        )
    strictly_within = np.nextafter(radius, 0)
    counts = [
        cKDTree(part).query_ball_point(part, strictly_within, p=np.inf, return_length=True, workers=workers)
        for part in (x, z)
    ]  # each count includes the point itself: n_x(i) + 1
    return float(digamma(k) + digamma(n) - np.mean(digamma(counts[0]) + digamma(counts[1])))
