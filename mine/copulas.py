"""Fitting copulas to rows: the canonical pairs of two blocks of columns (the Gaussian copula's
correlation, seen through canonical correlation analysis) and the t copula by profile likelihood.

The closed-form critics (:mod:`mine.candidates`) are fitted with these; ground truth and samplers
live in :mod:`mine.gaussian`. NumPy and SciPy only, in float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, solve_triangular
from scipy.special import gammaln, ndtr, stdtrit
from sklearn.utils import check_random_state

__all__ = [
    "FLAT_SPREAD",
    "T_COPULA_NUS",
    "CanonicalPairs",
    "canonical_correlations",
    "canonical_pairs_of_covariance",
    "fit_t_copula",
    "student_t_correlation",
    "student_t_scores",
    "t_copula_log_likelihood",
]


@dataclass(frozen=True)
class CanonicalPairs:
    """Canonical correlation analysis of two blocks of columns: a = (x - mean_x) @ directions_x and
    b = (z - mean_z) @ directions_z have unit variance, a_k is uncorrelated with a_l and b_l (l != k),
    and corr(a_k, b_k) = rho_k, in decreasing order. The Gaussian with the rows' covariance has
    I(X; Z) = -1/2 sum_k log(1 - rho_k^2).

    Parameters
    ----------
    mean_x, mean_z : ndarray of shape (d_x,), (d_z,)
        The columns' means.
    directions_x, directions_z : ndarray of shape (d_x, k), (d_z, k)
        The canonical directions, k = min(d_x, d_z).
    rho : ndarray of shape (k,)
        The canonical correlations, in [0, 1], decreasing.
    whiten_x, whiten_z : ndarray of shape (d_x, d_x), (d_z, d_z)
        S_xx^(-1/2) and S_zz^(-1/2): |(x - mean_x) @ whiten_x|^2 is x's squared Mahalanobis norm.
    """

    mean_x: np.ndarray
    mean_z: np.ndarray
    directions_x: np.ndarray
    directions_z: np.ndarray
    rho: np.ndarray
    whiten_x: np.ndarray
    whiten_z: np.ndarray

    def first(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The first k pairs: ``directions_x[:, :k]``, ``directions_z[:, :k]``, ``rho[:k]``."""
        return self.directions_x[:, :k], self.directions_z[:, :k], self.rho[:k]


def _inverse_sqrt(cov: np.ndarray, ridge: float) -> np.ndarray:
    """S^(-1/2) of a covariance, its eigenvalues raised by ``ridge`` times their mean."""
    values, vectors = np.linalg.eigh(cov)
    values = np.maximum(values, 0.0) + ridge * max(float(np.mean(values)), np.finfo(float).tiny)
    return (vectors / np.sqrt(values)) @ vectors.T


def canonical_correlations(x, z, ridge: float = 1e-9) -> CanonicalPairs:
    """The canonical pairs of the rows of x (n, d_x) and z (n, d_z), min(d_x, d_z) of them.

    With W_x = S_xx^(-1/2), W_z = S_zz^(-1/2) and U diag(rho) V^T the SVD of W_x S_xz W_z:
    directions_x = W_x U, directions_z = W_z V (a ridge of ``ridge`` times the mean eigenvalue keeps
    a constant or repeated column from dividing by zero).

    Parameters
    ----------
    x, z : array_like of shape (n, d_x), (n, d_z)
        Paired rows (n >= 2).
    ridge : float
        Relative ridge on each block's covariance.

    Returns
    -------
    CanonicalPairs
    """
    x, z = np.asarray(x, dtype=np.float64), np.asarray(z, dtype=np.float64)
    if x.ndim != 2 or z.ndim != 2 or len(x) != len(z) or len(x) < 2:
        raise ValueError(f"x and z must be 2-D with the same number of rows (at least 2), got {x.shape} and {z.shape}")
    joint = np.hstack([x, z])
    return canonical_pairs_of_covariance(np.cov(joint, rowvar=False), x.shape[1], joint.mean(axis=0), ridge)


def canonical_pairs_of_covariance(cov, x_dim: int, mean=None, ridge: float = 1e-9) -> CanonicalPairs:
    """The canonical pairs of a joint covariance (or scatter, or correlation) of [X; Z], X the first
    ``x_dim`` coordinates: :func:`canonical_correlations` from the matrix instead of the rows.

    Parameters
    ----------
    cov : array_like of shape (d, d)
        Symmetric positive semi-definite matrix of [X; Z].
    x_dim : int
        How many leading coordinates are X (1 <= x_dim < d).
    mean : array_like of shape (d,) or None
        The joint mean (zeros when None).
    ridge : float
        Relative ridge on each block.

    Returns
    -------
    CanonicalPairs
    """
    cov = np.asarray(cov, dtype=np.float64)
    d = cov.shape[0]
    if not 0 < x_dim < d:
        raise ValueError(f"x_dim must be between 1 and {d - 1}, got {x_dim}")
    mean = np.zeros(d) if mean is None else np.asarray(mean, dtype=np.float64)
    wx, wz = _inverse_sqrt(cov[:x_dim, :x_dim], ridge), _inverse_sqrt(cov[x_dim:, x_dim:], ridge)
    u, rho, vt = np.linalg.svd(wx @ cov[:x_dim, x_dim:] @ wz, full_matrices=False)
    return CanonicalPairs(mean[:x_dim], mean[x_dim:], wx @ u, wz @ vt.T, np.clip(rho, 0.0, 1.0), wx, wz)


T_COPULA_NUS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0, 20.0, 50.0)


def student_t_scores(normal_scores, nu: float) -> np.ndarray:
    """Per-column Student-t scores of normal scores g: s = F_nu^(-1)(Phi(g)), computed as
    -sign(g) F_nu^(-1)(Phi(-|g|)) so that the tails keep their precision.

    Parameters
    ----------
    normal_scores : array_like
        Any shape.
    nu : float
        Degrees of freedom (> 0).

    Returns
    -------
    ndarray of the input's shape, float64
    """
    g = np.asarray(normal_scores, dtype=np.float64)
    return -np.sign(g) * stdtrit(nu, ndtr(-np.abs(g)))


def _mahalanobis(s: np.ndarray, correlation: np.ndarray) -> tuple[np.ndarray, float]:
    """Each row's s_i' P^(-1) s_i and log det P, through a Cholesky factor of P."""
    factor, lower = cho_factor(correlation, lower=True)
    y = solve_triangular(factor, s.T, lower=True)
    return (y**2).sum(axis=0), 2.0 * float(np.log(np.diag(factor)).sum())


FLAT_SPREAD = 1e-8  # a column of normal scores with a smaller standard deviation is constant


def _to_correlation(scatter: np.ndarray, ridge: float = 1e-9) -> np.ndarray:
    scale = np.sqrt(np.diag(scatter))
    correlation = scatter / np.outer(scale, scale)
    return (correlation + ridge * np.eye(len(correlation))) / (1.0 + ridge)


def student_t_correlation(s, nu: float, iterations: int = 100, tol: float = 1e-7) -> np.ndarray:
    """The correlation matrix P of a centred multivariate t with ``nu`` degrees of freedom fitted to
    rows s (n, d) by its EM fixed point: w_i = (nu + d) / (nu + s_i' P^(-1) s_i),
    P <- sum_i w_i s_i s_i' / n, rescaled to a unit diagonal after each step.

    Parameters
    ----------
    s : array_like of shape (n, d)
        Rows (Student-t scores of a copula).
    nu : float
        Degrees of freedom (> 0).
    iterations, tol : int, float
        At most this many steps; stop when no entry of P moves by more than ``tol``.

    Returns
    -------
    ndarray of shape (d, d)
    """
    s = np.asarray(s, dtype=np.float64)
    n, d = s.shape
    correlation = _to_correlation(s.T @ s / n)
    for _ in range(iterations):
        distance, _ = _mahalanobis(s, correlation)
        weights = (nu + d) / (nu + distance)
        updated = _to_correlation((s * weights[:, None]).T @ s / n)
        moved = float(np.abs(updated - correlation).max())
        correlation = updated
        if moved < tol:
            break
    return correlation


def t_copula_log_likelihood(s, correlation, nu: float) -> float:
    """Mean log density of the t copula with correlation P and ``nu`` degrees of freedom at rows of
    Student-t scores s (n, d): log t_d(s_i; P, nu) - sum_j log t_1(s_ij; nu), with
    log t_d(s; P, nu) = lgamma((nu + d)/2) - lgamma(nu/2) - d/2 log(nu pi) - 1/2 log det P
    - (nu + d)/2 log(1 + s' P^(-1) s / nu). nu = inf is the Gaussian copula.

    Parameters
    ----------
    s : array_like of shape (n, d)
        Student-t scores (normal scores when nu is inf).
    correlation : array_like of shape (d, d)
        P, positive definite with a unit diagonal.
    nu : float
        Degrees of freedom (> 0, or inf).

    Returns
    -------
    float
        The mean over rows, in nats.
    """
    s = np.asarray(s, dtype=np.float64)
    d = s.shape[1]
    distance, logdet = _mahalanobis(s, np.asarray(correlation, dtype=np.float64))
    if np.isinf(nu):
        return float(np.mean(-0.5 * logdet - 0.5 * (distance - (s**2).sum(axis=1))))

    def log_t(k, quadratic):
        normaliser = gammaln((nu + k) / 2) - gammaln(nu / 2) - k / 2 * np.log(nu * np.pi)
        return normaliser - (nu + k) / 2 * np.log1p(quadratic / nu)

    joint = log_t(d, distance) - 0.5 * logdet
    margins = log_t(1, s**2).sum(axis=1)
    return float(np.mean(joint - margins))


def fit_t_copula(normal_scores, nus=T_COPULA_NUS, max_rows: int = 2000, random_state=0) -> tuple[float, np.ndarray]:
    """The t copula of rows of per-column normal scores g (n, d) by profile likelihood: for each nu
    of ``nus`` the correlation :func:`student_t_correlation` of the t scores, and the nu whose copula
    has the largest :func:`t_copula_log_likelihood`, the Gaussian copula (nu = inf, the normal
    scores' correlation) among them. The profile is computed on at most ``max_rows`` rows (drawn
    with ``random_state``); the chosen copula's correlation on all rows. A column without spread (a
    constant one) leaves every t copula undefined: the Gaussian copula is returned, its correlation
    the identity in that column.

    Parameters
    ----------
    normal_scores : array_like of shape (n, d)
        Rows, each column normal scores (``preprocessing="quantile"``).
    nus : sequence of float
        The degrees of freedom tried.
    max_rows : int
        Rows used for the profile.
    random_state : int, RandomState or None
        Which rows.

    Returns
    -------
    nu : float
        The chosen degrees of freedom (inf: the Gaussian copula fits best).
    correlation : ndarray of shape (d, d)
    """
    g = np.asarray(normal_scores, dtype=np.float64)
    if g.ndim != 2 or len(g) < 2:
        raise ValueError(f"normal_scores must be 2-D with at least 2 rows, got shape {g.shape}")
    flat = g.std(axis=0) <= FLAT_SPREAD
    if flat.any():
        correlation, kept = np.eye(g.shape[1]), np.flatnonzero(~flat)
        correlation[np.ix_(kept, kept)] = _to_correlation(g[:, kept].T @ g[:, kept] / len(g))
        return np.inf, correlation
    rows = g
    if len(g) > max_rows:
        rows = g[check_random_state(random_state).choice(len(g), max_rows, replace=False)]
    best_nu = np.inf
    best = t_copula_log_likelihood(rows, _to_correlation(rows.T @ rows / len(rows)), np.inf)
    for nu in nus:
        s = student_t_scores(rows, nu)
        value = t_copula_log_likelihood(s, student_t_correlation(s, nu), nu)
        if value > best:
            best_nu, best = float(nu), value
    if np.isinf(best_nu):
        return best_nu, _to_correlation(g.T @ g / len(g))
    return best_nu, student_t_correlation(student_t_scores(g, best_nu), best_nu)
