"""Variational lower bounds on I(X; Z) as pure functions of critic scores.

Scores come from a critic as the B x B matrix S[i, j] = T(x_i, z_j): the diagonal scores joint
samples (P_XZ), the off-diagonal ones samples of the product of marginals (P_X P_Z). Most bounds
need only those two sets, so they take a :class:`Scores` pair; the same functions therefore serve
all-pairs negatives, shuffled negatives and two-sample problems. InfoNCE needs the full rows.

All log-means go through ``torch.logsumexp``; nothing is exponentiated and then logged.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import torch
from torch import Tensor

from ._validation import Real, validate_params
from .divergences import Divergence, get_divergence

__all__ = [
    "Bound",
    "MovingAverage",
    "PairWeights",
    "PooledValue",
    "Scores",
    "dv",
    "dv_ema_surrogate",
    "dv_terms",
    "available_bounds",
    "bound_parameters",
    "f_bound",
    "f_divergence_bound",
    "f_divergence_terms",
    "get_bound",
    "infonce",
    "js_objective",
    "log_mean_exp",
    "nwj",
    "off_diagonal",
    "pooled_value",
    "register_bound",
    "smile",
    "smile_terms",
    "weighted_mean",
]


@dataclass(frozen=True)
class Scores:
    """Critic scores on joint samples and on product-of-marginals samples.

    ``matrix`` is the full score matrix when the negatives are all pairs of a batch (its diagonal
    is ``joint``, its off-diagonal ``marginal``); ``None`` for shuffled negatives or two samples.
    ``joint_weight`` and ``marginal_weight``, when given, weight the means of every bound (shape
    (..., n): a leading dimension evaluates many weightings at once, as the bootstrap does; the
    marginal weights of all-pairs scores may be a :class:`PairWeights`).

    Parameters
    ----------
    joint : Tensor
        Scores of joint samples (the diagonal of S).
    marginal : Tensor
        Scores of product-of-marginals samples (the off-diagonal of S, or shuffled pairs, or Q samples).
    matrix : Tensor or None
        The full score matrix S, when the negatives are all pairs.
    joint_weight, marginal_weight : Tensor, PairWeights or None
        Weights of the means (bootstrap).
    """

    joint: Tensor
    marginal: Tensor
    matrix: Tensor | None = None
    joint_weight: Tensor | None = None
    marginal_weight: Tensor | None = None

    @classmethod
    def from_matrix(cls, matrix: Tensor) -> Scores:
        """Split S into its diagonal and its B(B-1) off-diagonal entries, exactly.

        The off-diagonal entries, row by row, are the flattened matrix without its first entry cut
        into B - 1 rows of B + 1 whose last entry is the next diagonal one: a strided view, so no
        boolean mask (whose indexing costs more than a separable critic's forward pass at large B).
        """
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
            raise ValueError(f"a score matrix must be square with B >= 2, got {tuple(matrix.shape)}")
        return cls(joint=matrix.diagonal(), marginal=off_diagonal(matrix), matrix=matrix)


def off_diagonal(matrix: Tensor) -> Tensor:
    """The B(B-1) off-diagonal entries of (..., B, B) matrices, row by row, shape (..., B(B-1)).

    The flattened matrix without its first entry, cut into B - 1 rows of B + 1 whose last entry is
    the next diagonal one: a strided view, no boolean mask (whose indexing costs more than a
    separable critic's forward pass at large B).
    """
    b, lead = matrix.shape[-1], matrix.shape[:-2]
    return matrix.reshape(*lead, b * b)[..., 1:].reshape(*lead, b - 1, b + 1)[..., :-1].reshape(*lead, -1)


class PairWeights:
    """Weights c_i c_j on the off-diagonal pairs (i != j) of score blocks, kept as each block's row
    weights c of shape (draws, n_b): what a bootstrap that resamples rows gives the marginal scores.

    ``w @ v``, for v the blocks' off-diagonal scores concatenated (as ``off_diagonal`` orders them),
    is sum_b sum_{i != j} c_i c_j V_ij = sum_b ((C_b V_b) * C_b).sum(-1) with V_b's diagonal zero:
    one matrix product per block instead of a (draws, sum_b n_b (n_b - 1)) weight tensor.
    ``w.sum(-1)`` is sum_b (sum_i c_i)^2 - sum_i c_i^2.
    """

    def __init__(self, counts: Sequence[Tensor]):
        self.counts = tuple(counts)

    def __matmul__(self, values: Tensor) -> Tensor:
        total, start = 0, 0
        for c in self.counts:
            n = c.shape[-1]
            matrix = values.new_zeros(n, n)
            matrix.view(-1)[1:].view(n - 1, n + 1)[:, :-1] = values[start : start + n * (n - 1)].view(n - 1, n)
            total = total + ((c @ matrix) * c).sum(-1)
            start += n * (n - 1)
        if start != values.shape[-1]:
            raise ValueError(f"pair weights cover {start} off-diagonal scores, got {values.shape[-1]}")
        return total

    def sum(self, dim: int = -1) -> Tensor:
        """The total weight per draw."""
        return sum(c.sum(-1) ** 2 - (c**2).sum(-1) for c in self.counts)

    @staticmethod
    def cat(weights: Sequence[PairWeights]) -> PairWeights:
        """The weights of several blocks' pairs, in order (as the scores are concatenated)."""
        return PairWeights([c for w in weights for c in w.counts])


def _cat_weights(weights: Sequence) -> Tensor | PairWeights:
    if isinstance(weights[0], PairWeights):
        return PairWeights.cat(weights)
    return torch.cat(list(weights), -1)


def weighted_mean(t: Tensor, weight: Tensor | None = None) -> Tensor:
    """mean(t), or sum(w t) / sum(w) over the last dimension for weights w of shape (..., n).

    Parameters
    ----------
    t : Tensor
        Values, shape (n,).
    weight : Tensor, PairWeights or None
        Weights of shape (..., n) (None: equal).

    Returns
    -------
    Tensor
        A scalar, or one mean per row of weights.
    """
    if weight is None:
        return t.mean()
    return (weight @ t) / weight.sum(-1)


def log_mean_exp(t: Tensor, weight: Tensor | None = None) -> Tensor:
    """log mean exp(t) over all entries, as logsumexp(t) - log n; with weights w (..., n) on a 1-D t,
    m + log(w . exp(t - m)) - log sum(w), m = max t (one matrix-vector product for all weightings).

    Parameters
    ----------
    t : Tensor
        Values.
    weight : Tensor, PairWeights or None
        Weights of shape (..., n) (None: equal).

    Returns
    -------
    Tensor
        A scalar, or one value per row of weights.
    """
    if weight is None:
        return torch.logsumexp(t.reshape(-1), dim=0) - math.log(t.numel())
    top = t.max()
    return top + torch.log(weight @ torch.exp(t - top)) - torch.log(weight.sum(-1))


def dv(scores: Scores) -> Tensor:
    """Donsker-Varadhan (MINE): I_DV = mean_P T - log mean_Q exp T. Tight at T = log dP/dQ + c."""
    return weighted_mean(scores.joint, scores.joint_weight) - log_mean_exp(scores.marginal, scores.marginal_weight)


def f_divergence_bound(scores: Scores, divergence: str | Divergence = "kl", **params) -> Tensor:
    """Variational bound on D_f(P || Q) of the f-GAN table: mean_P g_f(V) - mean_Q f*(g_f(V)).

    The scores are the raw outputs V; g_f and f* come from :mod:`mine.divergences`.

    Parameters
    ----------
    scores : Scores
        Raw critic outputs V on P (joint) and Q (marginal) samples.
    divergence : str or Divergence
        A row of the table.
    **params
        Its parameters.

    Returns
    -------
    Tensor
        The bound (a scalar).
    """
    joint, marginal, _ = f_divergence_terms(scores, divergence, **params)
    return weighted_mean(joint, scores.joint_weight) - weighted_mean(marginal, scores.marginal_weight)


def nwj(scores: Scores) -> Tensor:
    """Dual f-divergence bound for KL (NWJ, MINE-f): mean_P T - mean_Q exp(T - 1).

    The KL row of the f-divergence table. Never above DV for the same scores; tight only at
    T = 1 + log dP/dQ.
    """
    return f_divergence_bound(scores, "kl")


def infonce(scores: Scores) -> Tensor:
    """InfoNCE: mean_i [S_ii - log mean_j exp S_ij], the row including its positive.

    Never above log B for a batch of B: an estimator built on it cannot report more than log B.
    """
    if scores.matrix is None:
        raise ValueError("InfoNCE needs the full score matrix (negatives='all')")
    rows = scores.joint - torch.logsumexp(scores.matrix, dim=1)
    return weighted_mean(rows, scores.joint_weight) + math.log(scores.matrix.shape[1])


def js_objective(scores: Scores) -> Tensor:
    """Jensen-Shannon training objective: mean_P[-softplus(-T)] - mean_Q[softplus(T)].

    The GAN row of the f-divergence table (g_f(v) = -softplus(-v), f*(g_f(v)) = softplus(v)), as
    NWJ is its KL row. Its optimum is T = log dP/dQ, so the same critic is then reported through DV.
    """
    return f_divergence_bound(scores, "gan")


def smile(scores: Scores, tau: float = 5.0) -> Tensor:
    """SMILE (Song & Ermon 2020): DV with marginal scores clipped to [-tau, tau].

    Parameters
    ----------
    scores : Scores
        Critic scores.
    tau : float
        Clipping threshold.

    Returns
    -------
    Tensor
        The SMILE estimate (a scalar).
    """
    return dv(replace(scores, marginal=scores.marginal.clamp(-tau, tau), matrix=None))


# --- the bounds as sums over rows, for pooling blocks one at a time ----------------------------------
# terms(scores) = (a, b, log): the bound is mean a(joint) - log mean exp b(marginal) when log, else
# mean a(joint) - mean b(marginal); each mean over all blocks, so running sums pool them exactly
def dv_terms(scores: Scores) -> tuple[Tensor, Tensor, bool]:
    """DV (and JS, reported by DV) as sums: a = T on joint pairs, b = T on marginal pairs, log-mean-exp."""
    return scores.joint, scores.marginal, True


def smile_terms(scores: Scores, tau: float = 5.0) -> tuple[Tensor, Tensor, bool]:
    """SMILE as sums: DV's terms with the marginal scores clipped to [-tau, tau].

    Parameters
    ----------
    scores : Scores
        Critic scores.
    tau : float
        Clipping threshold.

    Returns
    -------
    (Tensor, Tensor, bool)
        Joint terms, marginal terms, True (log-mean-exp of the marginal terms).
    """
    return scores.joint, scores.marginal.clamp(-tau, tau), True


def f_divergence_terms(scores: Scores, divergence: str | Divergence = "kl", **params) -> tuple[Tensor, Tensor, bool]:
    """The f-GAN dual bound as sums: a = g_f(V) on P, b = f*(g_f(V)) on Q, plain means.

    Parameters
    ----------
    scores : Scores
        Raw critic outputs V on P (joint) and Q (marginal) samples.
    divergence : str or Divergence
        A row of the table.
    **params
        Its parameters.

    Returns
    -------
    (Tensor, Tensor, bool)
        Joint terms, marginal terms, False (plain means).
    """
    div = get_divergence(divergence, **params)
    return div.activation(scores.joint), div.conjugate_of_activation(scores.marginal), False


class MovingAverage:
    """Exponential moving average of the batch mean of exp(T) on marginal samples, in log-space.

    m <- (1 - rate) m + rate * mean_Q exp(T), seeded with the first batch (MINE reference code:
    rate 0.01). Stored as log m so that it cannot overflow. The caller owns this object.
    """

    def __init__(self, rate: float = 0.01):
        validate_params("MovingAverage", {"rate": [Real(0, 1, "right")]}, {"rate": rate})
        self.rate = float(rate)
        self.log_value: Tensor | None = None

    def update(self, log_batch_mean: Tensor) -> Tensor:
        """Fold in log mean_Q exp(T) of a new batch; return the detached log m."""
        new = log_batch_mean.detach()
        if self.log_value is None or self.rate == 1.0:
            self.log_value = new
        else:
            self.log_value = torch.logaddexp(self.log_value + math.log1p(-self.rate), new + math.log(self.rate))
        return self.log_value


def dv_ema_surrogate(scores: Scores, average: MovingAverage) -> Tensor:
    """Training surrogate for DV whose gradient uses the moving average m in the denominator.

    mean_P T - (log m + mean_Q exp(T) / m - 1), with m detached. Its gradient is
    E_P[grad T] - E_Q[exp(T) grad T] / m (the MINE correction), and since log y <= log m + y/m - 1
    its value never exceeds DV. Note ``log(mean_Q exp T / m)`` would keep the biased gradient.

    Parameters
    ----------
    scores : Scores
        A training batch's scores.
    average : MovingAverage
        The running average, updated by this call.

    Returns
    -------
    Tensor
        The surrogate (a scalar) to maximise.
    """
    log_batch_mean = log_mean_exp(scores.marginal)
    log_m = average.update(log_batch_mean)
    return scores.joint.mean() - (log_m + torch.exp(log_batch_mean - log_m) - 1.0)


@dataclass(frozen=True)
class Bound:
    """A bound as the estimator uses it: what is reported and what training maximises.

    ``value(scores)`` is the number reported; ``objective(scores)`` is what training maximises
    (the same function for most bounds; the JS objective for "js" and "smile").
    ``corrected_objective(scores, average)``, where present, is the objective whose gradient uses
    a :class:`MovingAverage` (only DV has one: MINE's bias correction); a trainer keeps an average
    only for such a bound. ``needs_matrix``: the bound reads whole rows of S (InfoNCE).
    ``floor``: the quantity's value where P = Q (independence for MI): 0, except f(1) for an
    f-divergence whose f(1) is not 0 (the GAN row, -log 4); an estimate far below it is nonsense.
    ``terms``, where present, writes ``value`` as sums over rows (``dv_terms``), so that
    :class:`PooledValue` pools evaluation blocks one at a time. ``ratio_critic``: the bound's best
    critic is the log density ratio log p(x, z) / (p(x) p(z)) plus any constant, so a closed-form
    ratio critic (:mod:`mine.candidates`) may stand in for a trained one (DV and InfoNCE are
    unchanged by a constant added to every score; JS and SMILE are reported by DV; NWJ's best
    critic is 1 + log ratio, exactly).

    Parameters
    ----------
    name : str
        The registry name.
    value : callable
        Scores -> the reported value.
    objective : callable
        Scores -> what training maximises.
    corrected_objective : callable or None
        (Scores, MovingAverage) -> the objective with MINE's gradient correction (DV only).
    needs_matrix : bool
        The bound reads whole rows of S (InfoNCE).
    description : str
        One line for reports.
    floor : float
        The value where P = Q.
    terms : callable or None
        Scores -> (a, b, log): ``value`` is mean a - (log mean exp b if log else mean b).
    ratio_critic : bool
        A log density ratio plus a constant is a best critic.
    """

    name: str
    value: Callable[[Scores], Tensor]
    objective: Callable[[Scores], Tensor]
    corrected_objective: Callable[[Scores, MovingAverage], Tensor] | None = None
    needs_matrix: bool = False
    description: str = ""
    floor: float = 0.0
    terms: Callable[[Scores], tuple[Tensor, Tensor, bool]] | None = None
    ratio_critic: bool = False


# --- the registry --------------------------------------------------------------------------------
# factories return a Bound from keyword parameters; module-level functions and partials only, so
# that fitted estimators pickle
_REGISTRY: dict[str, Callable[..., Bound]] = {}
_ALIASES: dict[str, str] = {}


def register_bound(name: str, factory: Callable[..., Bound], aliases: tuple[str, ...] = ()) -> None:
    """Add a bound to the registry.

    Parameters
    ----------
    name : str
        The name estimators and ``get_bound`` accept (case-insensitive).
    factory : callable
        ``factory(**params)`` returns the :class:`Bound`; its keyword parameters are the bound's
        parameters (an estimator passes those of its own parameters with the same names).
    aliases : tuple of str
        Other names for it.

    Examples
    --------
    ``register_bound("tuba", lambda: Bound("tuba", value=tuba, objective=tuba))``
    """
    key = name.lower()
    _REGISTRY[key] = factory
    for alias in aliases:
        _ALIASES[alias.lower()] = key


def available_bounds(aliases: bool = False) -> list[str]:
    """The registered bound names in registration order (and their aliases when asked)."""
    return list(_REGISTRY) + (list(_ALIASES) if aliases else [])


def _key(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"bound must be a string, got {type(name).__name__}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _REGISTRY:
        raise ValueError(f"unknown bound {name!r}; valid bounds: {', '.join(available_bounds(aliases=True))}")
    return key


def bound_parameters(name: str) -> tuple[str, ...]:
    """The keyword parameters a bound takes, e.g. ``("smile_tau",)`` for "smile"."""
    return tuple(inspect.signature(_REGISTRY[_key(name)]).parameters)


def get_bound(name: str, **params) -> Bound:
    """A bound by name or alias, built with its parameters, e.g. ``get_bound("smile", smile_tau=1)``.

    Parameters
    ----------
    name : str
        A registered name or alias (``available_bounds(aliases=True)``). ``"f"`` is the dual bound
        of a row of :mod:`mine.divergences` (``divergence``, ``divergence_params``): on the score
        matrix of paired samples, the f-information.
    **params
        The bound's parameters (``bound_parameters(name)``).

    Returns
    -------
    Bound
        Its value, training objective and, for DV, the moving-average-corrected objective.
    """
    key = _key(name)
    unknown = set(params) - set(bound_parameters(key))
    if unknown:
        takes = ", ".join(bound_parameters(key)) or "none"
        raise TypeError(f"bound {key!r} takes no parameter {', '.join(sorted(unknown))} (its parameters: {takes})")
    return _REGISTRY[key](**params)


def _dv_bound() -> Bound:
    return Bound(
        "dv",
        dv,
        dv,
        corrected_objective=dv_ema_surrogate,
        description="Donsker-Varadhan (MINE)",
        terms=dv_terms,
        ratio_critic=True,
    )


def _nwj_bound() -> Bound:
    return Bound("nwj", nwj, nwj, description="dual f-divergence (MINE-f)", terms=f_divergence_terms)


def _infonce_bound() -> Bound:
    return Bound(
        "infonce",
        infonce,
        infonce,
        needs_matrix=True,
        description="InfoNCE, capped at log(batch size)",
        ratio_critic=True,
    )


def _js_bound() -> Bound:
    return Bound("js", dv, js_objective, description="trained on JS, reported by DV", terms=dv_terms, ratio_critic=True)


def _smile_bound(smile_tau: float = 5.0) -> Bound:
    validate_params("bound 'smile'", {"smile_tau": [Real(0, math.inf, "neither")]}, {"smile_tau": smile_tau})
    return Bound(
        "smile",
        partial(smile, tau=float(smile_tau)),
        js_objective,
        description=f"SMILE (tau={smile_tau:g}), trained on JS",
        terms=partial(smile_terms, tau=float(smile_tau)),
        ratio_critic=True,
    )


def f_bound(divergence: str | Divergence = "kl", divergence_params: dict | None = None) -> Bound:
    """The f-GAN dual bound of a row of the divergence table, trained and reported as it is.

    Parameters
    ----------
    divergence : str or Divergence
        A row of the table.
    divergence_params : dict or None
        Its parameters, e.g. ``{"alpha": 2}``.

    Returns
    -------
    Bound
    """
    params = dict(divergence_params or {})
    div = get_divergence(divergence, **params)  # fails early on an unknown name or bad params
    key = divergence if isinstance(divergence, str) else div
    value = partial(f_divergence_bound, divergence=key, **params)
    return Bound(
        "f",
        value,
        value,
        description=f"dual f-divergence bound, {div.name}{params or ''}",
        floor=div.f_at_one,
        terms=partial(f_divergence_terms, divergence=key, **params),
    )


register_bound("dv", _dv_bound, aliases=("mine",))
register_bound("nwj", _nwj_bound, aliases=("mine-f",))
register_bound("infonce", _infonce_bound, aliases=("nce",))
register_bound("js", _js_bound)
register_bound("smile", _smile_bound)
register_bound("f", f_bound)


def _sum(t: Tensor, weight) -> Tensor:
    """sum_i t_i, or sum_i w_i t_i for each row of weights (..., n)."""
    return t.sum() if weight is None else weight @ t


def _total(t: Tensor, weight) -> Tensor:
    """The number of terms, or the total weight per row of weights."""
    return t.new_tensor(float(t.numel())) if weight is None else weight.sum(-1)


class PooledValue:
    """A bound over score blocks added one at a time, as if all blocks' scores were pooled.

    For a bound with ``terms`` (a, b, log) the running sums are sum w a, sum w, and sum w' b or,
    for log-mean-exp, s = sum w' exp(b - m) with the largest b so far as the shift m (rescaled by
    exp(m_old - m) when m grows); the value is sum w a / sum w - (m + log s - log sum w') or
    - sum w' b / sum w'. Pooling before the log avoids the downward bias of averaging per-block
    logs, and only one block is in memory at a time. InfoNCE, defined per batch, averages the
    blocks' values weighted by their rows. A bound without ``terms`` keeps the blocks and pools
    them at the end. Weights (bootstrap) carry a leading dimension: one value per weighting.

    Parameters
    ----------
    bound : Bound
        The bound to pool.
    """

    def __init__(self, bound: Bound):
        self.bound = bound
        self.sums: dict[str, Tensor] = {}
        self.shift: Tensor | None = None  # m, the largest marginal term so far (log-mean-exp only)
        self.log = False
        self.kept: list[Scores] = []

    def _add(self, name: str, value: Tensor) -> None:
        self.sums[name] = self.sums[name] + value if name in self.sums else value

    def add(self, scores: Scores) -> PooledValue:
        """Fold in one block's scores; returns self."""
        if self.bound.needs_matrix:
            rows = _total(scores.joint, scores.joint_weight)
            self._add("joint", self.bound.value(scores) * rows)
            self._add("joint_weight", rows)
            return self
        if self.bound.terms is None:
            self.kept.append(scores)
            return self
        joint, marginal, self.log = self.bound.terms(scores)
        self._add("joint", _sum(joint, scores.joint_weight))
        self._add("joint_weight", _total(joint, scores.joint_weight))
        self._add("marginal_weight", _total(marginal, scores.marginal_weight))
        if not self.log:
            self._add("marginal", _sum(marginal, scores.marginal_weight))
            return self
        top = marginal.detach().max()
        if self.shift is not None and "marginal" in self.sums:
            top = torch.maximum(top, self.shift)
            self.sums["marginal"] = self.sums["marginal"] * torch.exp(self.shift - top)
        self.shift = top
        self._add("marginal", _sum(torch.exp(marginal - top), scores.marginal_weight))
        return self

    def value(self) -> Tensor:
        """The pooled value (one per weighting when the scores carry bootstrap weights)."""
        if self.kept:
            return _pool_kept(self.bound, self.kept)
        if not self.sums:
            raise ValueError("no score blocks to pool")
        joint = self.sums["joint"] / self.sums["joint_weight"]
        if self.bound.needs_matrix:
            return joint
        if self.log:
            return joint - (self.shift + torch.log(self.sums["marginal"]) - torch.log(self.sums["marginal_weight"]))
        return joint - self.sums["marginal"] / self.sums["marginal_weight"]


def _pool_kept(bound: Bound, blocks: Sequence[Scores]) -> Tensor:
    """A bound without terms: every block's scores concatenated, then the bound once."""
    joint = torch.cat([b.joint.reshape(-1) for b in blocks])
    marginal = torch.cat([b.marginal.reshape(-1) for b in blocks])
    if blocks[0].joint_weight is None:
        return bound.value(Scores(joint, marginal))
    return bound.value(
        Scores(
            joint,
            marginal,
            joint_weight=torch.cat([b.joint_weight for b in blocks], -1),
            marginal_weight=_cat_weights([b.marginal_weight for b in blocks]),
        )
    )


def pooled_value(bound: Bound, blocks: Iterable[Scores]) -> Tensor:
    """The bound's value over many score blocks (e.g. a held-out set evaluated in blocks), pooled
    as one set (:class:`PooledValue`); ``blocks`` may be a generator, so that one block at a time
    is in memory.

    Parameters
    ----------
    bound : Bound
        The bound.
    blocks : iterable of Scores
        Scores of the evaluation blocks.

    Returns
    -------
    Tensor
        The pooled value (one per weighting when the scores carry bootstrap weights).
    """
    pooled = PooledValue(bound)
    for block in blocks:
        pooled.add(block)
    return pooled.value()
