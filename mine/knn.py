"""k-nearest-neighbour estimators: KSG for I(X; Z) (Kraskov, Stoegbauer & Grassberger 2004,
algorithm 1) and its conditional form for I(X; Y | Z) (Frenzel & Pompe 2007).

Non-parametric baselines for the neural estimators: no training, good in low dimensions, biased
towards zero as the dimension or the MI grows (an estimate is limited by what k neighbours among
N samples can resolve).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree
from scipy.special import digamma
from scipy.stats import rankdata
from sklearn.utils import check_array

from ._validation import Integer, Options, validate_params
from .preprocessing import PREPROCESSORS, fit_preprocessor

__all__ = ["ksg", "ksg_conditional", "local_permutation"]


def _columns(data: ArrayLike, name: str) -> np.ndarray:
    """Finite numeric data of shape (n,) or (n, d) as float64 columns (scikit-learn's checks: the
    estimators' own, :mod:`mine.inputs`, sit in a layer above this baseline)."""
    array = check_array(np.asarray(data), ensure_2d=False, dtype="numeric", input_name=name)
    return np.asarray(array, dtype=np.float64).reshape(len(array), -1)


def _prepared(arrays: dict[str, ArrayLike], k: int, preprocessing: str, owner: str) -> list[np.ndarray]:
    """The inputs checked (finite, numeric, the same rows), k and the preprocessing checked, and each
    input mapped by its own per-column preprocessing (which leaves the (conditional) MI unchanged)."""
    columns = [_columns(a, name) for name, a in arrays.items()]
    if len({len(c) for c in columns}) != 1:
        names, rows = " and ".join(arrays), " and ".join(str(len(c)) for c in columns)
        raise ValueError(f"{names} must have the same number of rows (samples), got {rows}")
    validate_params(
        owner, {"k": [Integer(1)], "preprocessing": [Options(PREPROCESSORS)]}, {"k": k, "preprocessing": preprocessing}
    )
    if len(columns[0]) <= k:
        raise ValueError(f"too few samples: {owner} with k={k} needs more than {k} samples, got {len(columns[0])}")
    return [fit_preprocessor(preprocessing, c).transform(c) for c in columns]


def _kth_neighbour_radius(joint: np.ndarray, k: int, workers: int, names: str) -> np.ndarray:
    """Max-norm distance from every sample to its k-th neighbour in ``joint``; duplicates are an error."""
    radius = cKDTree(joint).query(joint, k=k + 1, p=np.inf, workers=workers)[0][:, k]  # the nearest is itself
    if np.any(radius == 0):
        repeated = int(np.count_nonzero(radius == 0))
        raise ValueError(
            f"{repeated} samples have {k} or more exact duplicates in {names}; KSG needs continuous data "
            "(add a little noise to discrete or rounded columns)"
        )
    return radius


def _counts_within(part: np.ndarray, radius: np.ndarray, workers: int) -> np.ndarray:
    """For every sample, the samples strictly within ``radius`` of it in ``part`` (itself included)."""
    return cKDTree(part).query_ball_point(part, np.nextafter(radius, 0), p=np.inf, return_length=True, workers=workers)


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
    x, z = _prepared({"x": x, "z": z}, k, preprocessing, "ksg")
    radius = _kth_neighbour_radius(np.hstack([x, z]), k, workers, "(x, z)")
    n_x, n_z = (_counts_within(part, radius, workers) for part in (x, z))  # each n(i) + 1
    return float(digamma(k) + digamma(len(x)) - np.mean(digamma(n_x) + digamma(n_z)))


def ksg_conditional(
    x: ArrayLike, y: ArrayLike, z: ArrayLike, k: int = 3, preprocessing: str = "quantile", workers: int = 1
) -> float:
    """I(X; Y | Z) in nats by the Frenzel-Pompe estimator (KSG's algorithm 1 conditioned on Z).

    I = psi(k) - mean_i [psi(n_xz(i) + 1) + psi(n_yz(i) + 1) - psi(n_z(i) + 1)], where eps_i is the
    max-norm distance from sample i to its k-th neighbour in the (x, y, z) space and n_xz, n_yz,
    n_z count the other samples strictly within eps_i in those subspaces.

    Parameters
    ----------
    x, y, z : array_like of shape (n,) or (n, d)
        Joint draws of (X, Y, Z), row by row.
    k : int
        Neighbours.
    preprocessing : {"quantile", "standard", "none"}
        Per-column map applied to each of x, y and z first (conditional MI is unchanged by an
        invertible map of each).
    workers : int
        Threads for the KD-tree queries (-1: all cores).

    Returns
    -------
    float
        The estimate in nats (not clipped at 0).
    """
    x, y, z = _prepared({"x": x, "y": y, "z": z}, k, preprocessing, "ksg_conditional")
    radius = _kth_neighbour_radius(np.hstack([x, y, z]), k, workers, "(x, y, z)")
    n_xz, n_yz, n_z = (_counts_within(part, radius, workers) for part in (np.hstack([x, z]), np.hstack([y, z]), z))
    return float(digamma(k) - np.mean(digamma(n_xz) + digamma(n_yz) - digamma(n_z)))


def local_permutation(
    z: ArrayLike, k: int = 5, random_state: np.random.RandomState | int | None = None, workers: int = 1
) -> np.ndarray:
    """A row order pi that moves each row only among its neighbours in z: x[pi] drawn this way keeps
    X's relation to Z and breaks any relation to Y given Z (Runge 2018's restricted permutation).

    For the rows in random order, pi[i] is a not-yet-used row among the k nearest neighbours of z_i
    (max norm on per-column ranks, the row itself included), tried in random order; when all k are
    used, a random one of them (so pi may repeat a few rows). Exact ties in z (a discrete Z) are
    neighbours at distance 0, so rows then move within their z value.

    Parameters
    ----------
    z : array_like of shape (n,) or (n, d)
        The conditioning variable.
    k : int
        Neighbours to draw from (the more, the closer to a plain permutation).
    random_state : RandomState, int or None
        The draws.
    workers : int
        Threads of the neighbour search (-1: all cores).

    Returns
    -------
    ndarray of int, shape (n,)
    """
    validate_params("local_permutation", {"k": [Integer(1)]}, {"k": k})
    z = _columns(z, "z")
    n = len(z)
    if n <= k:
        raise ValueError(f"too few samples: local_permutation with k={k} needs more than {k} samples, got {n}")
    rng = random_state if isinstance(random_state, np.random.RandomState) else np.random.RandomState(random_state)
    ranks = rankdata(z, axis=0) / n + rng.uniform(0, 1e-3 / n, z.shape)  # tied rows: ties broken at random
    neighbours = cKDTree(ranks).query(ranks, k=list(range(1, k + 1)), p=np.inf, workers=workers)[1]
    neighbours = np.take_along_axis(neighbours, rng.rand(n, k).argsort(axis=1), axis=1)  # tried in random order
    order, used = np.empty(n, dtype=np.int64), np.zeros(n, dtype=bool)
    for i in rng.permutation(n):
        free = neighbours[i][~used[neighbours[i]]]
        order[i] = free[0] if len(free) else neighbours[i, rng.randint(k)]
        used[order[i]] = True
    return order
