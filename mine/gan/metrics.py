"""Mode-coverage metrics for generators of data with known modes.

For a Gaussian mixture (VEEGAN / PacGAN protocol): each sample goes to its nearest centre; it is
*high quality* when it lies within 3 standard deviations of that centre; a mode is *captured* when
at least ``min_count`` high-quality samples landed on it; and the KL divergence
KL(p_gen || p_true) = sum_k p_gen(k) log(p_gen(k) / p_true(k)) compares the histogram of
high-quality samples over modes with the mixture's weights (uniform here).

For labelled samples (stacked digits, where a classifier assigns each image its mode): modes
captured out of ``n_modes`` and the KL of the label histogram to uniform.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree
from scipy.stats import entropy

__all__ = ["label_coverage", "mode_coverage"]


def _kl_to_uniform(counts: np.ndarray) -> float:
    """KL(counts / total || uniform) in nats; inf when nothing was counted."""
    return float(entropy(counts, np.ones(len(counts)))) if counts.sum() > 0 else math.inf


def mode_coverage(samples, centers, std: float, min_count: int | None = None, n_std: float = 3.0) -> dict:
    """Modes captured, share of high-quality samples and KL(p_gen || uniform) over the modes.

    Parameters
    ----------
    samples : array_like of shape (n, d)
        Generated samples.
    centers : array_like of shape (K, d)
        The modes' centres.
    std : float
        The modes' standard deviation; a sample within ``n_std * std`` of its nearest centre is
        high quality and counts for that mode.
    min_count : int or None
        Samples a mode needs to count as captured (default a fifth of the uniform share n / K;
        PacGAN: 20 of 2,500 samples over 25 modes).
    n_std : float
        The high-quality radius in standard deviations.

    Returns
    -------
    dict
        ``modes`` (captured), ``n_modes`` (K), ``high_quality`` (share), ``kl`` (to the uniform mode
        histogram), ``min_count`` and ``counts`` (high-quality samples per mode).
    """
    samples = np.asarray(samples, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f"samples must have shape (n, {centers.shape[1]}), got {samples.shape}")
    if not np.all(np.isfinite(samples)):
        raise ValueError("samples contain NaN or infinite values")
    n, k = len(samples), len(centers)
    if n == 0:
        raise ValueError("no samples")
    min_count = max(1, int(round(0.2 * n / k))) if min_count is None else int(min_count)
    distance, nearest = cKDTree(centers).query(samples)
    good = distance <= n_std * std
    counts = np.bincount(nearest[good], minlength=k)
    return {
        "modes": int(np.count_nonzero(counts >= min_count)),
        "n_modes": k,
        "high_quality": float(good.mean()),
        "kl": _kl_to_uniform(counts),
        "min_count": min_count,
        "counts": counts.tolist(),
    }


def label_coverage(labels, n_modes: int, min_count: int = 1) -> dict:
    """Modes captured and KL(p_gen || uniform) from mode labels.

    Parameters
    ----------
    labels : array_like of shape (n,)
        The mode of each generated sample, integers in [0, n_modes).
    n_modes : int
        Number of modes.
    min_count : int
        Samples a mode needs to count as captured.

    Returns
    -------
    dict
        ``modes`` (captured), ``n_modes`` and ``kl``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= n_modes:
        raise ValueError(f"labels must lie in [0, {n_modes}), got {labels.min()}..{labels.max()}")
    counts = np.bincount(labels, minlength=n_modes)
    return {"modes": int(np.count_nonzero(counts >= min_count)), "n_modes": n_modes, "kl": _kl_to_uniform(counts)}
