"""The uncertainty of a held-out bound: a bootstrap over held-out rows, combined with the spread of
independent reports.

A pooled held-out bound is a function of the critic's scores on report rows. With all-pairs
negatives a row's joint score and its off-diagonal pairs share the row, so the bootstrap resamples
rows, not pairs: within each evaluation block, B rows are drawn with replacement, and the bound is
recomputed with a row drawn c_i times weighing c_i and a pair (i, j) c_i c_j (the same as indexing
S by the drawn rows and dropping pairs of one original row with itself). Two-sample scores
resample the P rows and the Q rows on their own.

The bootstrap measures the evaluation noise of fixed critics. Critics trained on other rows or
from other seeds differ too; :func:`standard_error` adds that part, estimated from the spread of
the independent reports beyond what the bootstrap explains.

What an estimate and its standard error support, every estimator reports the same way
(:class:`EstimateResults`, :class:`MIResults`): the estimate, a one-sided lower confidence bound and
an interval, in nats or bits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import torch
from scipy.stats import norm
from sklearn.exceptions import NotFittedError
from torch import Tensor

from ._validation import Real, validate_params
from .bounds import Bound, PairWeights, PooledValue, Scores

__all__ = [
    "UNITS",
    "EstimateResults",
    "MIResults",
    "bootstrap_values",
    "lower_confidence_bound",
    "normal_interval",
    "resample_weights",
    "standard_error",
    "to_units",
]

UNITS = {"nats": 1.0, "bits": 1.0 / math.log(2.0)}


def _counts(n: int, draws: int, generator: torch.Generator, like: Tensor) -> Tensor:
    """How often each of n rows is drawn in each of ``draws`` resamples of n rows, shape (draws, n)."""
    index = torch.randint(n, (draws, n), generator=generator).to(like.device)
    return torch.zeros(draws, n, dtype=like.dtype, device=like.device).scatter_add_(
        1, index, torch.ones(draws, n, dtype=like.dtype, device=like.device)
    )


def resample_weights(block: Scores, draws: int, generator: torch.Generator) -> Scores:
    """The block with bootstrap weights for ``draws`` resamples of its rows.

    With a score matrix, a row drawn c_i times weighs c_i on the diagonal and pair (i, j) weighs
    c_i c_j: the rows and columns of S are resampled together, and no pair of one original row with
    itself enters the marginal set. Without one (two samples), each set is resampled on its own.

    Parameters
    ----------
    block : Scores
        One evaluation block's scores.
    draws : int
        Number of resamples.
    generator : torch.Generator
        Source of the draws.

    Returns
    -------
    Scores
        The block with ``joint_weight`` (draws, B) and ``marginal_weight`` (a PairWeights, or
        (draws, n) for two samples).
    """
    if block.matrix is None:
        return replace(
            block,
            joint_weight=_counts(block.joint.numel(), draws, generator, block.joint),
            marginal_weight=_counts(block.marginal.numel(), draws, generator, block.marginal),
        )
    counts = _counts(block.matrix.shape[0], draws, generator, block.matrix)
    return replace(block, joint_weight=counts, marginal_weight=PairWeights([counts]))


def bootstrap_values(bound: Bound, blocks: Iterable[Scores], n_draws: int, generator: torch.Generator) -> Tensor:
    """The pooled bound on bootstrap resamples of the blocks' rows, in one pass over the blocks
    (each block's resampling weights for all draws at once, pooled with :class:`PooledValue`; a
    generator of blocks keeps one in memory at a time).

    Parameters
    ----------
    bound : Bound
        The bound whose pooled value is resampled.
    blocks : iterable of Scores
        A critic's scores on evaluation blocks.
    n_draws : int
        Number of resamples.
    generator : torch.Generator
        Source of the draws.

    Returns
    -------
    Tensor of shape (n_draws,)
    """
    pooled = PooledValue(bound)
    with torch.no_grad():
        for block in blocks:
            pooled.add(resample_weights(block, n_draws, generator))
    return pooled.value()


def standard_error(
    reports: Sequence[float], weights: Sequence[float], draws: np.ndarray, groups: Sequence[int] | None = None
) -> dict[str, float]:
    """Standard error of the weighted mean of K reports, grouped into G independent trainings.

    ``draws`` (n_draws, K): bootstrap draws of each report. Evaluation part: se_boot = sd of the
    weighted mean over draws. Training part: reports of one group share a critic's training (the two
    held-out halves of a fold), so the trainings' spread is read from the G group means m_g (weights
    W_g = sum of the group's w_k): their variance beyond the bootstrap's, s_m^2 - mean_g var(m_g*)
    (floored at 0), enters the mean as sum_g W_g^2. The total is
    sqrt(se_boot^2 + max(0, s_m^2 - mean_g var(m_g*)) * sum_g W_g^2). One group: no training part.

    Parameters
    ----------
    reports : sequence of float
        The K reports.
    weights : sequence of float
        Their weights (report rows).
    draws : ndarray of shape (n_draws, K)
        Bootstrap draws of each report.
    groups : sequence of int or None
        The training (fold) of each report; None: every report its own.

    Returns
    -------
    dict
        ``se``, ``se_bootstrap`` and ``se_training``.
    """
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    draws = np.asarray(draws, dtype=float)
    reports = np.asarray(reports, dtype=float)
    se_boot = float(np.std(draws @ w, ddof=1))
    groups = np.arange(len(reports)) if groups is None else np.asarray(groups)
    labels = list(dict.fromkeys(groups.tolist()))
    group_weight = np.array([w[groups == g].sum() for g in labels])
    means = np.array([reports[groups == g] @ w[groups == g] for g in labels]) / group_weight
    mean_draws = np.stack([draws[:, groups == g] @ w[groups == g] for g in labels], axis=1) / group_weight
    training = 0.0
    if len(labels) > 1:
        between = float(np.var(means, ddof=1))
        within = float(np.mean(np.var(mean_draws, axis=0, ddof=1)))
        training = max(0.0, between - within) * float(np.sum(group_weight**2))
    return {"se": math.sqrt(se_boot**2 + training), "se_bootstrap": se_boot, "se_training": math.sqrt(training)}


def normal_interval(estimate: float, se: float, level: float) -> tuple[float, float]:
    """estimate -/+ z_{(1 + level) / 2} se.

    Parameters
    ----------
    estimate, se : float
        The estimate and its standard error.
    level : float
        Coverage in (0, 1).

    Returns
    -------
    (float, float)
        The interval's ends.
    """
    half = float(norm.ppf(0.5 + level / 2)) * se
    return estimate - half, estimate + half


def lower_confidence_bound(estimate: float, se: float, level: float, floor: float = -math.inf) -> float:
    """max(floor, estimate - z_level se): one-sided, below the estimate's expectation with
    probability ``level`` when the estimate is normal with standard error ``se``. For a held-out
    lower bound, whose expectation is at most the truth, it is a lower confidence bound on the
    truth; ``floor`` is a value the truth cannot be below (0 for MI).

    Parameters
    ----------
    estimate, se : float
        The estimate and its standard error.
    level : float
        Confidence in (0, 1).
    floor : float
        The smallest value the quantity can take.

    Returns
    -------
    float
    """
    return max(floor, estimate - float(norm.ppf(level)) * se)


def to_units(value: float, units: str) -> float:
    """A value in nats converted to ``units``.

    Parameters
    ----------
    value : float
        In nats.
    units : {"nats", "bits"}
        The units wanted.

    Returns
    -------
    float
    """
    if units not in UNITS:
        raise ValueError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
    return value * UNITS[units]


def _level(owner: str, level: float) -> None:
    validate_params(owner, {"level": [Real(0, 1, "neither")]}, {"level": level})


class EstimateResults:
    """What a fitted estimate reports, the same for every estimator: :meth:`estimate`, :meth:`lower`
    and :meth:`interval`, in nats or bits.

    An estimator sets ``estimate_`` (nats), ``se_`` and ``reach_`` (the most a lower bound from its
    rows can show; inf where nothing caps it) when it fits, and says its :meth:`_floor`.
    """

    def _check_fitted(self) -> None:
        if not hasattr(self, "estimate_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def _floor(self) -> float:
        """The quantity's value for independent samples (or equal distributions): 0 unless said."""
        return 0.0

    def estimate(self, units: str = "nats") -> float:
        """The held-out estimate, ``estimate_``, in ``"nats"`` or ``"bits"``."""
        self._check_fitted()
        return to_units(self.estimate_, units)

    def interval(self, level: float = 0.95, units: str = "nats") -> tuple[float, float]:
        """estimate -/+ z se: an interval for the estimator's *expectation at this n*, not for the
        quantity (a held-out lower bound's whole interval can sit below the truth; see :meth:`lower`)."""
        self._check_fitted()
        _level("interval", level)
        low, high = normal_interval(self.estimate_, self.se_, level)
        return to_units(low, units), to_units(high, units)

    def lower(self, level: float = 0.95, units: str = "nats") -> float:
        """A one-sided lower confidence bound L on the quantity: it is at least L at ``level``
        (``max(floor, estimate - z_level se)``, where the estimate is a held-out lower bound), and at
        most ``reach_`` (MINE: log of one report's rows, the most a lower bound from them can show,
        McAllester & Stratos 2020; log(batch_size) for InfoNCE)."""
        self._check_fitted()
        _level("lower", level)
        return to_units(min(lower_confidence_bound(self.estimate_, self.se_, level, self._floor()), self.reach_), units)


class MIResults(EstimateResults):
    """:class:`EstimateResults` under the names of mutual information: ``mi``, ``mi_lower``, ``mi_interval``."""

    def mi(self, units: str = "nats") -> float:
        """The held-out estimate of the (conditional) MI in ``"nats"`` or ``"bits"`` (:meth:`estimate`)."""
        return self.estimate(units)

    def mi_lower(self, level: float = 0.95, units: str = "nats") -> float:
        """L such that the MI is at least L with confidence ``level`` (:meth:`lower`): at least 0, at
        most ``reach_``."""
        return self.lower(level, units)

    def mi_interval(self, level: float = 0.95, units: str = "nats") -> tuple[float, float]:
        """An interval for the estimator's expectation at this n, not for the MI (:meth:`interval`)."""
        return self.interval(level, units)
