"""Ground truth: analytic mutual information and KL divergence of Gaussians (and of multivariate
Student-t pairs), and samplers.

Every estimator in this package is checked against these closed forms. Fitting a copula to rows
(what the closed-form critics do) is :mod:`mine.copulas`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from scipy.special import digamma, gammaln
from sklearn.utils import check_random_state

__all__ = [
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
