"""Per-column maps that leave MI unchanged, fitted on training rows only.

I(f(X); g(Z)) = I(X; Z) for invertible f and g, so an estimator may map each column before the
critic sees it. The maps are scikit-learn transformers:

- ``"quantile"``: each column to normal scores through its empirical distribution function
  (:class:`NormalScores`): strictly increasing, so MI is unchanged, and whatever the column's
  scale, tails or outliers, the critic sees values in about [-3.5, 3.5]. A held-out value beyond
  the training range maps to the nearest end. Tied values (a discrete column) map to one score
  each: still injective on the values, but rows that tie stay tied.
- ``"standard"``: centre and scale each column (``StandardScaler``; a constant column keeps scale 1).
  Linear, so one outlier or a heavy tail sets the scale for every other row.
- ``"none"``: the data as they are.

A divergence D(P || Q) is invariant only to a map shared by both samples, which the two-sample
source arranges by fitting one transformer on both.

A fitted transformer is saved as plain data (its class, parameters and fitted arrays as tensors),
so that ``torch.load(..., weights_only=True)`` reads it back without unpickling code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.stats import norm
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array, check_random_state

__all__ = ["PREPROCESSORS", "NormalScores", "fit_preprocessor", "transformer_from_state", "transformer_state"]

MAX_QUANTILES = 1000
QUANTILE_SUBSAMPLE = 100_000


class NormalScores(TransformerMixin, BaseEstimator):
    """Each column to normal scores through its empirical distribution function.

    fit: the column's quantiles q_k at probabilities p_k = (k + 1/2) / m, k = 0..m-1, m = min(n_quantiles,
    n) (on at most ``subsample`` rows), and when m < n its minimum and maximum at 1/2n and
    1 - 1/2n. transform: x -> Phi^-1(F(x)), F the piecewise-linear interpolation of (q_k, p_k):
    strictly increasing over the training range, scores from Phi^-1(1/2n) to Phi^-1(1 - 1/2n)
    (about +-3.5 for n = 5,000), and a value beyond the training range maps to the nearest end. A value that
    fills several quantiles (ties) takes the mean of their scores. This follows scikit-learn's
    ``QuantileTransformer(output_distribution="normal")``, without its absolute tolerance of 1e-7
    (a column at scale 1e-300 maps as at scale 1) and without stretching the ends to +-5.2, which
    makes the training extremes outliers of their own.

    Parameters
    ----------
    n_quantiles : int
        Most quantiles per column.
    subsample : int
        Most rows the quantiles are computed from.
    random_state : int
        Seed of that subsample.
    """

    def __init__(self, n_quantiles: int = 1000, subsample: int = 100_000, random_state: int = 0):
        self.n_quantiles = n_quantiles
        self.subsample = subsample
        self.random_state = random_state

    def fit(self, X, y=None):
        """Learn each column's quantiles (at most ``n_quantiles``, from at most ``subsample`` rows)."""
        X = check_array(X, dtype=np.float64)
        # a power of two per column (exact, increasing) brings the largest magnitude to [0.5, 1):
        # subnormal values (1e-320) would make the interpolation divide by rounded-off zeros
        self.exponents_ = np.frexp(np.max(np.abs(X), axis=0))[1]
        if X.shape[0] > self.subsample:
            rows = check_random_state(self.random_state).choice(X.shape[0], self.subsample, replace=False)
            X = X[np.sort(rows)]
        X = np.ldexp(X, -self.exponents_)
        n = X.shape[0]
        m = min(self.n_quantiles, n)
        probabilities = (np.arange(m) + 0.5) / m
        if m < n:  # the sample's extremes as the end knots, so the map stays injective out to them
            probabilities = np.concatenate([[0.5 / n], probabilities, [1 - 0.5 / n]])
            quantiles = np.concatenate(
                [X.min(axis=0)[None], np.quantile(X, probabilities[1:-1], axis=0), X.max(axis=0)[None]]
            )
        else:
            quantiles = np.quantile(X, probabilities, axis=0)
        self.quantiles_ = quantiles  # (knots, d)
        self.references_ = norm.ppf(probabilities)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Normal scores Phi^-1(F_n(x)) per column, F_n interpolated linearly between the quantiles."""
        X = check_array(X, dtype=np.float64)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} columns, got {X.shape[1]}")
        X = np.ldexp(X, -self.exponents_)
        out = np.empty_like(X)
        for j in range(X.shape[1]):
            # a value that fills several quantiles (ties) takes the mean of their scores
            knots, which = np.unique(self.quantiles_[:, j], return_inverse=True)
            scores = np.bincount(which, weights=self.references_) / np.bincount(which)
            out[:, j] = np.interp(X[:, j], knots, scores)
        return out

    def inverse_transform(self, S):
        """The data values of normal scores, x = F_n^-1(Phi(s)) per column: the inverse of
        ``transform`` over the training range (a tied value's score maps back to it; a score beyond
        the ends maps to the smallest or largest training quantile)."""
        S = check_array(S, dtype=np.float64)
        if S.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} columns, got {S.shape[1]}")
        return np.ldexp(scaled_values(S, self.references_, self.quantiles_), self.exponents_)


def scaled_values(scores: np.ndarray, references: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Per column j, the values of normal scores by the fitted knots: np.interp(s_j, references,
    quantiles[:, j]), in the fit's scaled units (each column divided by 2^exponent; multiply back
    with ``np.ldexp`` for the data's own)."""
    columns = [np.interp(scores[:, j], references, quantiles[:, j]) for j in range(scores.shape[1])]
    return np.stack(columns, axis=1) if columns else np.empty_like(scores, dtype=np.float64)


def _quantile(n_rows: int) -> NormalScores:
    return NormalScores(n_quantiles=MAX_QUANTILES, subsample=QUANTILE_SUBSAMPLE, random_state=0)


PREPROCESSORS: dict[str, Callable[[int], TransformerMixin]] = {
    "quantile": _quantile,
    "standard": lambda n_rows: StandardScaler(),
    "none": lambda n_rows: StandardScaler(with_mean=False, with_std=False),
}
_CLASSES = {cls.__name__: cls for cls in (StandardScaler, NormalScores)}


def fit_preprocessor(kind: str, data: np.ndarray) -> TransformerMixin:
    """A per-column transformer by name, fitted on ``data``.

    Parameters
    ----------
    kind : {"quantile", "standard", "none"}
        The map (``PREPROCESSORS``).
    data : ndarray of shape (n, d)
        The training rows it is fitted on.

    Returns
    -------
    TransformerMixin
        The fitted transformer.
    """
    if kind not in PREPROCESSORS:
        raise ValueError(f"unknown preprocessing {kind!r}; valid: {', '.join(PREPROCESSORS)}")
    return PREPROCESSORS[kind](data.shape[0]).fit(data)


def _plain(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, np.generic):
        return value.item()
    return value


def transformer_state(transformer: TransformerMixin) -> dict:
    """A fitted transformer as plain data: class name, parameters, fitted attributes."""
    fitted = {k: _plain(v) for k, v in vars(transformer).items() if k.endswith("_") and not k.startswith("_")}
    return {"class": type(transformer).__name__, "params": transformer.get_params(), "fitted": fitted}


def transformer_from_state(state: dict) -> TransformerMixin:
    """Rebuild a transformer written by :func:`transformer_state`."""
    if state["class"] not in _CLASSES:
        raise ValueError(f"cannot rebuild a {state['class']}; known: {', '.join(_CLASSES)}")
    transformer = _CLASSES[state["class"]](**state["params"])
    for name, value in state["fitted"].items():
        setattr(transformer, name, value.numpy() if isinstance(value, torch.Tensor) else value)
    return transformer
