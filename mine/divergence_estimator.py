"""DivergenceEstimator: D_f(P || Q) from samples of P and of Q on the fitting loop MINE uses
(:mod:`mine.estimator`'s scikit-learn face, :func:`mine.fitting.cross_fit`)."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any

from numpy.typing import ArrayLike
from torch import nn

from ._validation import Instance, Options
from .bounds import Bound, get_bound
from .critics import ScalarCritic
from .divergences import Divergence
from .estimator import VariationalEstimator
from .sources import Source, two_sample_source

__all__ = ["DivergenceEstimator", "divergence"]


class DivergenceEstimator(VariationalEstimator):
    """Two-sample estimate of D_f(P || Q) from samples of P and of Q (variational divergence
    minimisation, Nowozin et al. 2016).

    A network V(x) is trained to maximise E_P[g_f(V)] - E_Q[f*(g_f(V))] with f, f* and g_f read
    from :mod:`mine.divergences`; the estimate is that bound on held-out samples of both (cross-
    fitted in ``folds`` parts of each sample). P and Q may have different sizes. Both samples go
    through one shared per-column map (a divergence is invariant only to a common map).

    The estimate is ``estimate_`` (nats), ``estimate(units)``, with ``se_`` and ``interval(level)``.

    Parameters
    ----------
    divergence : str or Divergence
        A row of the table (``mine.divergences.available_divergences()``).
    divergence_params : dict or None
        Its parameters, e.g. ``{"alpha": 2}``.
    critic : str or nn.Module
        "mlp" or a user module mapping (B, d) -> (B,).
    hidden, activation, dropout, batch_size, lr, weight_decay, weight_average, max_steps, folds,
    heldout_fraction, eval_every, patience, preprocessing, device, dtype, random_state, verbose
        As in :class:`MINE`; ``batch_size`` rows of each sample per step, and one per-column map
        fitted on both samples.
    """

    _parameter_constraints: dict = {
        **VariationalEstimator._parameter_constraints,
        "divergence": [Instance(str), Instance(Divergence)],
        "divergence_params": [Instance(dict), None],
        "critic": [Options(("mlp",)), Instance(nn.Module)],
    }

    def __init__(
        self,
        divergence: str = "kl",
        divergence_params: dict | None = None,
        critic: str | nn.Module = "mlp",
        hidden: Sequence[int] = (256, 256),
        activation: str = "elu",
        dropout: float = 0.0,
        batch_size: int = 256,
        lr: float = 2e-4,
        weight_decay: float = 0.0,
        weight_average: float = 0.0,
        max_steps: int = 5000,
        folds: int = 2,
        heldout_fraction: float = 0.2,
        eval_every: int = 50,
        patience: int = 10,
        preprocessing: str = "quantile",
        device: str = "cpu",
        dtype: str = "float32",
        random_state: int | None = None,
        verbose: bool = False,
    ):
        self._store(locals())

    DIMS = ("dim_",)
    NAMES = ("feature_names_in_", "q_feature_names_in_")

    def _bound(self) -> Bound:
        """The f-dual bound of ``divergence`` (no moving average)."""
        return get_bound("f", divergence=self.divergence, divergence_params=self.divergence_params)

    def _source(self, p_samples, q_samples) -> Source:
        return two_sample_source(p_samples, q_samples)

    def _new_critic(self, dims: tuple[int, ...]) -> nn.Module:
        """A scalar critic V(x), or a copy of the user's module."""
        if isinstance(self.critic, nn.Module):
            return copy.deepcopy(self.critic)
        return ScalarCritic(dims[0], self.hidden, self.activation, self.dropout)

    def fit(self, p_samples: ArrayLike, q_samples: ArrayLike) -> DivergenceEstimator:
        """Train V on samples of P and of Q (arrays, tensors or DataFrames; (n,) or (n, d))."""
        self._start()
        source = self._source(p_samples, q_samples)
        self._describe_inputs(source, p_samples, q_samples)
        return self._fit(source)

    def value(self, units: str = "nats") -> float:
        """Deprecated: use :meth:`estimate` (``value`` names a bound's function of scores)."""
        warnings.warn("DivergenceEstimator.value() is deprecated; use estimate()", FutureWarning, stacklevel=2)
        return self.estimate(units)


def divergence(
    p_samples: ArrayLike, q_samples: ArrayLike, kind: str = "kl", units: str = "nats", **params: Any
) -> float:
    """One call: ``DivergenceEstimator(divergence=kind, **params).fit(p, q).estimate(units)``.

    Parameters
    ----------
    p_samples, q_samples : array_like of shape (n_p, d) and (n_q, d)
        Samples of P and of Q (arrays, tensors, Series or DataFrames).
    kind : str
        A row of the f-divergence table (``mine.divergences.available_divergences()``).
    units : {"nats", "bits"}
        Units of the result.
    **params
        Any parameter of :class:`DivergenceEstimator`.

    Returns
    -------
    float
        The held-out lower bound on D_f(P || Q).
    """
    return DivergenceEstimator(divergence=kind, **params).fit(p_samples, q_samples).estimate(units)
