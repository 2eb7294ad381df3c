"""Tests of independence on MINE's loop, results in scipy.stats' shape.

:func:`independence_test`: X independent of Z, MINE's held-out estimate against its permutation null
(the same critics on permuted held-out rows). :func:`conditional_independence_test`: X independent of
Y given Z, a held-out conditional MI (:class:`~mine.conditional.ConditionalMI`) against a local
permutation null that redraws y among neighbours in z, moved by y's predicted mean (:class:`MeanOfY`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer

from ._validation import Boolean, Integer, Options, Real, validate_params
from .conditional import ConditionalMI
from .estimator import MINE
from .inputs import check_aligned
from .knn import local_permutation
from .preprocessing import NormalScores

__all__ = ["IndependenceTest", "MeanOfY", "conditional_independence_test", "independence_test"]

NEIGHBOURS = ("z", "regression")


@dataclass(frozen=True)
class IndependenceTest:
    """The outcome of :func:`independence_test`.

    Parameters
    ----------
    statistic : float
        The held-out (conditional) MI estimate (nats).
    p_value : float
        (1 + #{null >= statistic}) / (1 + permutations).
    null : ndarray
        The statistic recomputed on permuted held-out rows, one value per permutation.
    estimator : MINE or ConditionalMI
        The fitted estimator (its ``mi_lower()``, ``se_``, ``history_``).
    """

    statistic: float
    p_value: float
    null: np.ndarray
    estimator: MINE | ConditionalMI


def independence_test(x: ArrayLike, z: ArrayLike, n_permutations: int = 199, **params: Any) -> IndependenceTest:
    """A permutation test of X independent of Z with MINE's held-out estimate as the statistic.

    The critics are trained and selected on rows other than those each report is computed on, so
    under independence a report's joint pairs are exchangeable with pairs whose z rows are permuted:
    recomputing every report with the same critics on ``n_permutations`` permutations gives the
    null distribution, and p = (1 + #{null >= observed}) / (1 + n_permutations) is exact at any
    sample size (no refitting: a permutation costs one evaluation pass).

    Parameters
    ----------
    x, z : array_like of shape (n,) or (n, d)
        Paired samples (in memory).
    n_permutations : int
        Null draws; the smallest attainable p-value is 1 / (1 + n_permutations).
    **params
        Parameters of :class:`MINE`.

    Returns
    -------
    IndependenceTest
    """
    validate_params("independence_test", {"n_permutations": [Integer(1)]}, {"n_permutations": n_permutations})
    estimator = MINE(**params).fit(x, z, n_permutations=int(n_permutations))
    null = np.asarray(estimator.null_)
    p_value = (1 + int(np.count_nonzero(null >= estimator.estimate_))) / (1 + len(null))
    return IndependenceTest(estimator.estimate_, p_value, null, estimator)


class MeanOfY:
    """E[s(y) | z] per column of y, s the normal scores of y's columns: cubic splines (5 knots at
    the quantiles) on the normal scores of each column of z, summed, with a ridge penalty chosen by
    leave-one-out error (an additive model: smooth where trees are piecewise constant, so the
    difference of its predictions between two close rows is close to the difference of the true
    means). Scores keep any scale of y and z (1e300, 1e-300) and a heavy tail from steering it.

    ``shifted(y, mean, order)``: y[order] moved by the predicted mean's difference between each
    row and the row it is redrawn from, m(z_i) - m(z_order[i]) (``mean`` = ``predict(z)``), in
    score units and mapped back through y's scores (nearest-neighbour matching with a regression
    bias correction, Abadie and Imbens 2011); a row redrawn from its own z value (a discrete Z) is
    not moved.

    Parameters
    ----------
    y_train, z_train : ndarray of shape (n, d_y) and (n, d_z)
        The rows the scores and the regression are fitted on (the test's training rows).
    """

    def __init__(self, y_train: np.ndarray, z_train: np.ndarray):
        self.y_scores = NormalScores().fit(y_train)
        self.z_scores = NormalScores().fit(z_train)
        self.model = make_pipeline(
            SplineTransformer(n_knots=5, knots="quantile"),
            RidgeCV(alphas=np.logspace(-3, 3, 13), alpha_per_target=True),
        ).fit(self.z_scores.transform(z_train), self.y_scores.transform(y_train))

    def predict(self, z: np.ndarray) -> np.ndarray:
        """The predicted mean scores of y at z, shape (n, columns of y)."""
        return self.model.predict(self.z_scores.transform(z)).reshape(len(z), -1)

    def shifted(self, y: np.ndarray, mean: np.ndarray, order: np.ndarray) -> np.ndarray:
        """y[order] + (F^-1(s(y[order]) + m - m[order]) - F^-1(s(y[order]))), m = ``mean`` (predict's)."""
        moved = y[order]
        scores = self.y_scores.transform(moved)
        step = self.y_scores.inverse_transform(scores + (mean - mean[order])) - self.y_scores.inverse_transform(scores)
        return moved + step


def conditional_independence_test(
    x: ArrayLike,
    y: ArrayLike,
    z: ArrayLike,
    n_permutations: int = 199,
    k: int = 5,
    test_fraction: float = 0.5,
    estimator: MINE | None = None,
    random_state: int | None = None,
    neighbours: str = "z",
    mean_correction: bool = True,
) -> IndependenceTest:
    """A local-permutation test of X independent of Y given Z, with a held-out CMI as the statistic.

    :class:`ConditionalMI` is fitted on ``1 - test_fraction`` of the rows; the statistic is its two
    critics' I(X; (Y, Z)) - I(X; Z) on the other rows. The null redraws y among each test row's k
    nearest neighbours in z (:func:`mine.knn.local_permutation`): that keeps Y's relation to Z and
    breaks a relation to X given Z, so under conditional independence the permuted test rows are
    (close to) new draws of the same law, and the critics never saw them. Redrawing y, not x, leaves
    the second term exactly as observed (its critic never sees y): the null compares the first
    critic with itself. A neighbour's z is close to, not equal to, the row's own, so its y carries
    a slightly different mean; with ``mean_correction`` the redrawn y is moved by the difference of
    y's predicted mean between the two rows (:class:`MeanOfY`, fitted on the training rows), which
    the first critic would otherwise read as a lost relation of (y, z) and the null as a smaller
    statistic. p = (1 + #{null >= observed}) / (1 + n_permutations). Exact for a discrete Z (rows
    move within their z value, unmoved); for a continuous Z as good as the neighbours are close
    and the correction right (Runge 2018; Abadie and Imbens 2011).

    Parameters
    ----------
    x, y, z : array_like of shape (n,) or (n, d)
        Joint draws (in memory).
    n_permutations : int
        Null draws; the smallest attainable p-value is 1 / (1 + n_permutations).
    k : int
        Neighbours in z each row's y is redrawn from.
    test_fraction : float
        Share of the rows the statistic and its null are computed on.
    estimator : MINE or None
        Settings of the fits (see :class:`ConditionalMI`).
    random_state : int or None
        Seed of the split, the fits and the permutations.
    neighbours : {"z", "regression"}
        Where the neighbours are found: in z (per-column ranks), or in y's predicted mean
        (:class:`MeanOfY`), right when Y depends on Z through its mean plus noise that does not
        depend on Z (measured: the docs' "Conditional MI" page).
    mean_correction : bool
        Move each redrawn y by the difference of its predicted mean between the two rows.

    Returns
    -------
    IndependenceTest
        ``estimator`` is the fitted :class:`ConditionalMI`.
    """
    checks = {
        "n_permutations": [Integer(1)],
        "k": [Integer(1)],
        "test_fraction": [Real(0, 1, "neither")],
        "neighbours": [Options(NEIGHBOURS)],
        "mean_correction": [Boolean],
    }
    given = dict(n_permutations=n_permutations, k=k, test_fraction=test_fraction, neighbours=neighbours)
    validate_params("conditional_independence_test", checks, {**given, "mean_correction": mean_correction})
    x, y, z = check_aligned({"x": x, "y": y, "z": z}, lazy=False)
    rng = np.random.RandomState(random_state)
    order = rng.permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    test, train = order[:n_test], order[n_test:]
    seed = int(rng.randint(2**31 - 1)) if random_state is None else random_state
    fitted = ConditionalMI(estimator, random_state=seed).fit(x[train], y[train], z[train])
    rows, mean_of_y = (x[test], y[test], z[test]), MeanOfY(y[train], z[train])
    observed, null = _local_null(fitted, rows, mean_of_y, mean_correction, n_permutations, k, neighbours == "z", rng)
    p_value = (1 + int(np.count_nonzero(null >= observed))) / (1 + n_permutations)
    return IndependenceTest(float(observed), p_value, null, fitted)


def _local_null(
    fitted: ConditionalMI,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    mean_of_y: MeanOfY,
    mean_correction: bool,
    n_permutations: int,
    k: int,
    in_z: bool,
    rng: np.random.RandomState,
) -> tuple[float, np.ndarray]:
    """The statistic on the test rows (x, y, z) and on ``n_permutations`` redraws of y among each
    row's k neighbours (in z, or in y's predicted mean ``in_z`` False), each moved by the predicted
    mean's difference with ``mean_correction``."""
    x_t, y_t, z_t = rows
    given = fitted.given_.evaluate(x_t, z_t)  # I(X; Z)'s critics: the same on every null draw

    def statistic(y_rows: np.ndarray) -> float:
        return fitted.joint_.evaluate(x_t, np.hstack([y_rows, z_t])) - given

    mean = mean_of_y.predict(z_t)
    space = z_t if in_z else mean

    def redrawn(order: np.ndarray) -> np.ndarray:
        return mean_of_y.shifted(y_t, mean, order) if mean_correction else y_t[order]

    observed = statistic(y_t)
    return observed, np.array([statistic(redrawn(local_permutation(space, k, rng))) for _ in range(n_permutations)])
