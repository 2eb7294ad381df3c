"""Ground truth: analytic mutual information and KL divergence of Gaussians (and of multivariate
Student-t pairs), and samplers.

Every estimator in this package is checked against these closed forms.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from scipy.linalg import cho_factor, solve_triangular
from scipy.special import digamma, gammaln, ndtr, stdtrit
from sklearn.utils import check_random_state

__all__ = [
    "CanonicalPairs",
    "canonical_correlations",
    "canonical_pairs_of_covariance",
    "fit_t_copula",
    "student_t_scores",
    "t_copula_log_likelihood",
    "cmi_from_covariance",
    "correlated_covariance",
    "kl_gaussians",
    "mi_correlated",
    "mi_from_covariance",
    "mi_staircase",
    "mi_student_t",
    "rho_for_mi",
    "sample_correlated",
    "sample_correlated_torch",
    "sample_student_t",
    "staircase_batches",
]


def _logdet_pd(matrix: np.ndarray, name: str) -> float:
    sign, logdet = np.linalg.slogdet(matrix)
    if sign <= 0:
        raise ValueError(f"{name} must be positive definite")
    return float(logdet)


def _check_cov(cov) -> np.ndarray:
    cov = np.asarray(cov, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"cov must be a square matrix, got shape {cov.shape}")
    if not np.allclose(cov, cov.T):
        raise ValueError("cov must be symmetric")
    return cov


def _check_rho(rho):
    rho = np.asarray(rho, dtype=np.float64)
    if np.any(~np.isfinite(rho)) or np.any(np.abs(rho) >= 1):
        raise ValueError(f"rho must lie strictly between -1 and 1, got {rho}")
    return rho


def _check_dim(dim: int) -> int:
    if int(dim) != dim or dim < 1:
        raise ValueError(f"dim must be a positive integer, got {dim!r}")
    return int(dim)


def mi_from_covariance(cov, x_dim: int) -> float:
    """I(X; Z) in nats of a jointly Gaussian (X, Z) whose first ``x_dim`` coordinates are X.

    I = 1/2 log(det S_x det S_z / det S).

    Parameters
    ----------
    cov : array_like of shape (d, d)
        Symmetric positive definite covariance of [X; Z].
    x_dim : int
        How many leading coordinates belong to X (1 <= x_dim < d).

    Returns
    -------
    float
        The MI in nats (0 when the off-diagonal blocks vanish).
    """
    cov = _check_cov(cov)
    if not 0 < x_dim < cov.shape[0]:
        raise ValueError(f"x_dim must be between 1 and {cov.shape[0] - 1}, got {x_dim}")
    full = _logdet_pd(cov, "cov")
    sx = _logdet_pd(cov[:x_dim, :x_dim], "the X block of cov")
    sz = _logdet_pd(cov[x_dim:, x_dim:], "the Z block of cov")
    return 0.5 * (sx + sz - full)


def cmi_from_covariance(cov, x_dim: int, y_dim: int) -> float:
    """I(X; Y | Z) in nats of a jointly Gaussian (X, Y, Z) whose coordinates are ordered X, Y, Z.

    I = 1/2 log(det S_xz det S_yz / (det S_z det S)), from the conditional covariances (Z may be
    empty: then it is ``mi_from_covariance``). Unchanged by an invertible map of X, of Y or of Z.

    Parameters
    ----------
    cov : array_like of shape (d, d)
        Symmetric positive definite covariance of [X; Y; Z].
    x_dim, y_dim : int
        How many leading coordinates are X, and how many after them Y (x_dim + y_dim <= d).

    Returns
    -------
    float
        The conditional MI in nats (0 when X and Y are independent given Z).
    """
    cov = _check_cov(cov)
    d = cov.shape[0]
    if x_dim < 1 or y_dim < 1 or x_dim + y_dim > d:
        raise ValueError(f"x_dim and y_dim must be at least 1 with x_dim + y_dim <= {d}, got {x_dim} and {y_dim}")
    x, y, z = np.arange(x_dim), np.arange(x_dim, x_dim + y_dim), np.arange(x_dim + y_dim, d)

    def logdet(index, name):
        return _logdet_pd(cov[np.ix_(index, index)], name) if len(index) else 0.0

    xz, yz = np.concatenate([x, z]), np.concatenate([y, z])
    return 0.5 * (
        logdet(xz, "the (X, Z) block")
        + logdet(yz, "the (Y, Z) block")
        - logdet(z, "the Z block")
        - logdet(np.arange(d), "cov")
    )


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


def mi_correlated(rho, dim: int = 1):
    """MI in nats of ``dim`` independent pairs (X_k, Z_k), each with correlation ``rho``.

    I = -dim/2 log(1 - rho^2).

    Parameters
    ----------
    rho : float or array_like
        Correlation of each pair, in (-1, 1).
    dim : int
        Number of pairs (the dimension of X and of Z).

    Returns
    -------
    float or ndarray
        The MI in nats, of the shape of ``rho``.
    """
    rho = _check_rho(rho)
    value = -0.5 * _check_dim(dim) * np.log1p(-(rho**2))
    return float(value) if value.ndim == 0 else value


def rho_for_mi(mi, dim: int = 1):
    """The inverse of :func:`mi_correlated`: rho = sqrt(1 - exp(-2 I / dim)) >= 0.

    Parameters
    ----------
    mi : float or array_like
        Target MI in nats, finite and non-negative.
    dim : int
        Dimension of X and of Z.

    Returns
    -------
    float or ndarray
        The componentwise correlation that gives ``mi``.
    """
    mi = np.asarray(mi, dtype=np.float64)
    if np.any(~np.isfinite(mi)) or np.any(mi < 0):
        raise ValueError(f"mi must be finite and non-negative, got {mi}")
    value = np.sqrt(-np.expm1(-2.0 * mi / _check_dim(dim)))
    return float(value) if value.ndim == 0 else value


def correlated_covariance(rho: float, dim: int = 1) -> np.ndarray:
    """Covariance of [X; Z] with X, Z ~ N(0, I_dim) and Cov(X_k, Z_k) = rho (2 dim x 2 dim).

    Parameters
    ----------
    rho : float
        Componentwise correlation.
    dim : int
        Dimension of X and of Z.

    Returns
    -------
    ndarray of shape (2 dim, 2 dim)
    """
    rho = float(_check_rho(rho))
    eye = np.eye(_check_dim(dim))
    return np.block([[eye, rho * eye], [rho * eye, eye]])


def mi_staircase(levels=(2.0, 4.0, 6.0, 8.0, 10.0), steps_per_level: int = 4000) -> np.ndarray:
    """The true MI at each training step of the Gaussian staircase (Poole et al. 2019).

    Parameters
    ----------
    levels : sequence of float
        True MI per level, in nats.
    steps_per_level : int
        Steps at each level.

    Returns
    -------
    ndarray of shape (len(levels) * steps_per_level,)
    """
    if steps_per_level < 1:
        raise ValueError(f"steps_per_level must be positive, got {steps_per_level}")
    return np.repeat(np.asarray(levels, dtype=np.float64), steps_per_level)


def sample_correlated(n: int, rho: float, dim: int = 1, random_state=None):
    """Draw n samples of X ~ N(0, I_dim), Z = rho X + sqrt(1 - rho^2) eps, eps ~ N(0, I_dim).

    Parameters
    ----------
    n : int
        Number of samples.
    rho : float
        Componentwise correlation, in (-1, 1).
    dim : int
        Dimension of X and of Z.
    random_state : int, RandomState or None
        Seed or generator (scikit-learn's convention).

    Returns
    -------
    x, z : ndarray of shape (n, dim)
        Joint draws; their MI is ``mi_correlated(rho, dim)``.
    """
    rho = float(_check_rho(rho))
    dim = _check_dim(dim)
    rng = check_random_state(random_state)
    x = rng.standard_normal((n, dim))
    z = rho * x + np.sqrt(1.0 - rho**2) * rng.standard_normal((n, dim))
    return x, z


def sample_correlated_torch(
    n: int,
    rho: float,
    dim: int = 1,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
):
    """Torch version of :func:`sample_correlated` (fresh samples per training step).

    Parameters
    ----------
    n : int
        Number of samples.
    rho : float
        Componentwise correlation.
    dim : int
        Dimension of X and of Z.
    generator : torch.Generator or None
        Source of the draws.
    dtype, device
        Of the tensors.

    Returns
    -------
    x, z : Tensor of shape (n, dim)
    """
    rho = float(_check_rho(rho))
    dim = _check_dim(dim)
    x = torch.randn(n, dim, generator=generator, dtype=dtype, device=device)
    eps = torch.randn(n, dim, generator=generator, dtype=dtype, device=device)
    return x, rho * x + (1.0 - rho**2) ** 0.5 * eps


def staircase_batches(
    levels=(2.0, 4.0, 6.0, 8.0, 10.0),
    steps_per_level: int = 4000,
    batch_size: int = 64,
    dim: int = 20,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Fresh batches (x, z) for every step of the Gaussian staircase: ``steps_per_level`` batches at
    each true MI in ``levels`` (nats), x, z each ``dim``-D with rho = :func:`rho_for_mi`; the true MI
    of step t is ``mi_staircase(levels, steps_per_level)[t]``.

    Parameters
    ----------
    levels : sequence of float
        True MI per level, in nats.
    steps_per_level : int
        Batches at each level.
    batch_size : int
        Rows per batch.
    dim : int
        Dimension of X and of Z.
    generator : torch.Generator or None
        Source of the draws.
    dtype : torch.dtype
        Of the tensors.

    Returns
    -------
    iterator of (Tensor, Tensor)
    """
    mi_staircase(levels, steps_per_level)  # checks the arguments before the first batch is asked for
    rhos = [float(rho_for_mi(level, dim)) for level in levels]
    return (
        sample_correlated_torch(batch_size, rho, dim, generator, dtype) for rho in rhos for _ in range(steps_per_level)
    )


def kl_gaussians(mean_p, cov_p, mean_q, cov_q) -> float:
    """KL(N(m_p, S_p) || N(m_q, S_q)) in nats.

    KL = 1/2 [tr(S_q^-1 S_p) + (m_q - m_p)^T S_q^-1 (m_q - m_p) - k + log det S_q - log det S_p].

    Parameters
    ----------
    mean_p, cov_p : array_like of shape (k,) and (k, k)
        Mean and covariance of P (a scalar each for k = 1).
    mean_q, cov_q : array_like of shape (k,) and (k, k)
        Mean and covariance of Q.

    Returns
    -------
    float
        KL(P || Q) in nats.
    """
    mean_p = np.atleast_1d(np.asarray(mean_p, dtype=np.float64))
    mean_q = np.atleast_1d(np.asarray(mean_q, dtype=np.float64))
    cov_p = np.atleast_2d(np.asarray(cov_p, dtype=np.float64))
    cov_q = np.atleast_2d(np.asarray(cov_q, dtype=np.float64))
    k = mean_p.shape[0]
    if mean_q.shape != (k,) or cov_p.shape != (k, k) or cov_q.shape != (k, k):
        raise ValueError(
            f"shapes do not match: means {mean_p.shape}, {mean_q.shape}, covariances {cov_p.shape}, {cov_q.shape}"
        )
    diff = mean_q - mean_p
    trace = np.trace(np.linalg.solve(cov_q, cov_p))
    mahalanobis = diff @ np.linalg.solve(cov_q, diff)
    logdets = _logdet_pd(cov_q, "cov_q") - _logdet_pd(cov_p, "cov_p")
    return 0.5 * float(trace + mahalanobis - k + logdets)


def _student_t_excess(nu: float, x_dim: int, z_dim: int) -> float:
    """c = f(nu) + f(nu + m + n) - f(nu + m) - f(nu + n), f(k) = log Gamma(k/2) - (k/2) psi(k/2)."""

    def f(k):
        return gammaln(k / 2) - (k / 2) * digamma(k / 2)

    return float(f(nu) + f(nu + x_dim + z_dim) - f(nu + x_dim) - f(nu + z_dim))


def mi_student_t(rho, dim: int = 1, nu: float = 1.0) -> float:
    """MI of a multivariate Student-t pair with nu degrees of freedom and the dispersion of
    :func:`sample_correlated`: the Gaussian MI plus c(nu, dim, dim) > 0 (dependence in the joint
    tails even at rho = 0; Czyz et al. 2023), c = f(nu) + f(nu + 2 dim) - 2 f(nu + dim) with
    f(k) = log Gamma(k/2) - (k/2) psi(k/2). nu = 1, dim = 2, rho = 0 gives 0.432 nats.

    Parameters
    ----------
    rho : float
        Componentwise correlation of the dispersion, in (-1, 1).
    dim : int
        Dimension of X and of Z.
    nu : float
        Degrees of freedom (> 0); the Gaussian MI is the limit nu -> inf.

    Returns
    -------
    float
        The MI in nats.
    """
    if not nu > 0:
        raise ValueError(f"nu must be positive, got {nu!r}")
    return float(mi_correlated(rho, dim)) + _student_t_excess(float(nu), _check_dim(dim), _check_dim(dim))


def sample_student_t(n: int, rho: float, dim: int = 1, nu: float = 1.0, random_state=None):
    """n draws of the Student-t pair: (x, z) of :func:`sample_correlated` divided by one
    sqrt(u / nu) per row, u ~ chi^2(nu).

    Parameters
    ----------
    n : int
        Number of samples.
    rho : float
        Componentwise correlation of the dispersion.
    dim : int
        Dimension of X and of Z.
    nu : float
        Degrees of freedom (> 0).
    random_state : int, RandomState or None
        Seed or generator.

    Returns
    -------
    x, z : ndarray of shape (n, dim)
        Joint draws; their MI is ``mi_student_t(rho, dim, nu)``.
    """
    if not nu > 0:
        raise ValueError(f"nu must be positive, got {nu!r}")
    rng = check_random_state(random_state)
    x, z = sample_correlated(n, rho, dim, random_state=rng)
    scale = np.sqrt(nu / rng.chisquare(nu, size=(n, 1)))
    return x * scale, z * scale


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
