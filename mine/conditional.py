"""Conditional mutual information I(X; Y | Z), and tests of independence, on MINE's loop.

:class:`ConditionalMI` estimates it by the chain rule, I(X; Y | Z) = I(X; (Y, Z)) - I(X; Z): two
MINE fits on the same rows, folds and seeds (held-out reports, normal scores per column, the same
diagnostics), the second subtracted from the first. Per-column normal scores keep the quantity: it
is unchanged by an invertible map of X, of Y and of Z separately.

What the number is: a difference of two held-out lower bounds, so it is *not* itself a lower bound
(the second fit's shortfall is added back); its standard error adds the two fits' as if
independent (an upper bound on the difference's when, as here, the two are positively correlated).
The direct bound of DESIGN.md (joint triples against x locally permuted within z, a KL bound) was
measured against it on CCMI's Model I and read far lower (docs: "Conditional MI"), so it is not a
method here; the local permutation serves :func:`conditional_independence_test`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer
from torch import nn

from . import persistence
from ._validation import Boolean, Instance, Integer, Options, Real, validate_params
from .diagnostics import shared_columns
from .estimator import MINE, to_units
from .inputs import as_2d_float
from .knn import local_permutation
from .preprocessing import NormalScores
from .uncertainty import lower_confidence_bound, normal_interval

__all__ = ["ConditionalMI", "IndependenceTest", "MeanOfY", "conditional_independence_test", "independence_test"]

METHODS = ("chain",)
NEIGHBOURS = ("z", "regression")


def check_triple(x: ArrayLike, y: ArrayLike, z: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and z as 2-D float arrays with the same number of rows (clear errors otherwise).

    Parameters
    ----------
    x, y, z : array_like of shape (n,) or (n, d)
        Joint draws of (X, Y, Z), row by row.

    Returns
    -------
    (ndarray, ndarray, ndarray)
    """
    arrays = [as_2d_float(a, name) for a, name in ((x, "x"), (y, "y"), (z, "z"))]
    rows = [len(a) for a in arrays]
    if len(set(rows)) != 1:
        raise ValueError(
            f"x, y and z must have the same number of rows (samples), got {rows[0]}, {rows[1]} and {rows[2]}"
        )
    return arrays[0], arrays[1], arrays[2]


def _refuse_copies(x: np.ndarray, other: np.ndarray, name: str, why: str) -> None:
    """A ValueError naming the columns of ``other`` that copy a column of x, saying ``why``."""
    copies = shared_columns(x, other)
    if copies:
        pairs = ", ".join(f"{i}, {j}" for i, j in copies[:5])
        raise ValueError(
            f"{name} holds a copy of x (x column, {name} column: {pairs}): {why}; drop the copy from {name}"
        )


class ConditionalMI(BaseEstimator):
    """I(X; Y | Z) in nats, by the chain rule on two MINE fits.

    Parameters
    ----------
    estimator : MINE or None
        The settings of both fits (cloned; None: ``MINE()``). Its ``random_state`` seeds both, so they
        split the rows alike; None draws one seed for the two.
    method : {"chain"}
        I(X; (Y, Z)) - I(X; Z).
    random_state : int or None
        Seed of both fits (overrides the estimator's; None: the estimator's, or one drawn for both).

    Attributes
    ----------
    estimate_, se_ : float
        The estimate in nats and its standard error.
    joint_, given_ : MINE
        The fits of I(X; (Y, Z)) and of I(X; Z).

    Examples
    --------
    >>> import numpy as np
    >>> from mine import MINE, ConditionalMI
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(2000, 1))
    >>> x = z + rng.normal(size=(2000, 1))
    >>> y = x + z + rng.normal(size=(2000, 1))     # given z, corr(x, y) = 1/sqrt(2)
    >>> cmi = ConditionalMI(MINE(max_steps=300, random_state=0)).fit(x, y, z)   # truth 1/2 log 2
    """

    _parameter_constraints: dict = {
        "estimator": [Instance(MINE), None],
        "method": [Options(METHODS)],
        "random_state": [Integer(0), None],
    }

    def __init__(self, estimator: MINE | None = None, method: str = "chain", random_state: int | None = None):
        self.estimator = estimator
        self.method = method
        self.random_state = random_state

    def fit(self, x: ArrayLike, y: ArrayLike, z: ArrayLike) -> ConditionalMI:
        """Fit both terms on the rows (x_i, y_i, z_i). Returns self."""
        validate_params("ConditionalMI", self._parameter_constraints, self.get_params(deep=False))
        x, y, z = check_triple(x, y, z)
        _refuse_copies(
            x, z, "z", "given Z, X is known and I(X; Y | Z) = 0, while both terms of the chain rule are infinite"
        )
        _refuse_copies(x, y, "y", "I(X; Y | Z) of continuous data is then infinite, which no estimate can show")
        base = clone(self.estimator) if self.estimator is not None else MINE()
        if self.random_state is not None:
            base.set_params(random_state=self.random_state)
        if base.random_state is None:  # one seed for both fits: the same folds
            base.set_params(random_state=int(np.random.SeedSequence().generate_state(1)[0] >> 1))
        self.joint_ = clone(base).fit(x, np.hstack([y, z]))
        self.given_ = clone(base).fit(x, z)
        self.estimate_ = self.joint_.estimate_ - self.given_.estimate_
        self.se_ = math.hypot(self.joint_.se_, self.given_.se_)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "estimate_"):
            raise NotFittedError("this ConditionalMI is not fitted yet; call fit first")

    def save(self, path) -> None:
        """Write the parameters, the estimate and both fits (as :meth:`MINE.save`) to ``path``."""
        self._check_fitted()
        params = {"method": self.method, "random_state": self.random_state}
        fits = {"joint": persistence.state_of(self.joint_), "given": persistence.state_of(self.given_)}
        fitted = {"estimate_": self.estimate_, "se_": self.se_}
        torch.save({"class": type(self).__name__, "params": params, "fitted": fitted, **fits}, path)

    @classmethod
    def load(cls, path, critic: nn.Module | None = None) -> ConditionalMI:
        """Rebuild a ConditionalMI written by :meth:`save` (``critic``: a user's module, as for MINE)."""
        state = persistence.read(path, cls)
        joint = persistence.from_state(MINE, state["joint"], path, critic)
        est = cls(estimator=clone(joint), **state["params"])
        est.joint_, est.given_ = joint, persistence.from_state(MINE, state["given"], path, critic)
        for name, value in state["fitted"].items():
            setattr(est, name, value)
        return est

    def mi(self, units: str = "nats") -> float:
        """The estimate of I(X; Y | Z) in ``"nats"`` or ``"bits"``."""
        self._check_fitted()
        return to_units(self.estimate_, units)

    def mi_lower(self, level: float = 0.95, units: str = "nats") -> float:
        """max(0, estimate - z_level se): a lower confidence bound only as far as the two fits'
        shortfalls cancel (the chain rule's difference is not itself a lower bound)."""
        self._check_fitted()
        validate_params("mi_lower", {"level": [Real(0, 1, "neither")]}, {"level": level})
        return to_units(lower_confidence_bound(self.estimate_, self.se_, level, 0.0), units)

    def mi_interval(self, level: float = 0.95, units: str = "nats") -> tuple[float, float]:
        """estimate -/+ z se: the spread of the estimate at this n."""
        self._check_fitted()
        validate_params("mi_interval", {"level": [Real(0, 1, "neither")]}, {"level": level})
        low, high = normal_interval(self.estimate_, self.se_, level)
        return to_units(low, units), to_units(high, units)


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
    estimator = MINE(**params)
    estimator._null_draws = int(n_permutations)
    estimator.fit(x, z)
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
    validate_params(
        "conditional_independence_test",
        {
            "n_permutations": [Integer(1)],
            "k": [Integer(1)],
            "test_fraction": [Real(0, 1, "neither")],
            "neighbours": [Options(NEIGHBOURS)],
            "mean_correction": [Boolean],
        },
        {
            "n_permutations": n_permutations,
            "k": k,
            "test_fraction": test_fraction,
            "neighbours": neighbours,
            "mean_correction": mean_correction,
        },
    )
    x, y, z = check_triple(x, y, z)
    rng = np.random.RandomState(random_state)
    order = rng.permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    test, train = order[:n_test], order[n_test:]
    seed = int(rng.randint(2**31 - 1)) if random_state is None else random_state
    fitted = ConditionalMI(estimator, random_state=seed).fit(x[train], y[train], z[train])
    x_t, y_t, z_t = x[test], y[test], z[test]
    given = fitted.given_.evaluate(x_t, z_t)  # I(X; Z)'s critics: the same on every null draw

    def statistic(y_rows: np.ndarray) -> float:
        return fitted.joint_.evaluate(x_t, np.hstack([y_rows, z_t])) - given

    mean_of_y = MeanOfY(y[train], z[train])
    mean = mean_of_y.predict(z_t)
    space = z_t if neighbours == "z" else mean

    def redrawn(rows: np.ndarray) -> np.ndarray:
        return mean_of_y.shifted(y_t, mean, rows) if mean_correction else y_t[rows]

    observed = statistic(y_t)
    null = np.array([statistic(redrawn(local_permutation(space, k, rng))) for _ in range(n_permutations)])
    p_value = (1 + int(np.count_nonzero(null >= observed))) / (1 + n_permutations)
    return IndependenceTest(float(observed), p_value, null, fitted)
