"""Fitting copulas to rows (:mod:`mine.copulas`): canonical pairs (the t copula's profile and scores are
tested with its critic, test_student_critic.py)."""

import numpy as np
import pytest

from mine.copulas import canonical_correlations
from mine.gaussian import mi_from_covariance, sample_correlated


def test_canonical_correlations_give_the_gaussian_mi_and_ignore_linear_maps_of_each_side():
    """-1/2 sum log(1 - rho^2) is the MI of the Gaussian with the rows' covariance, and invertible
    linear maps of x and of z leave the canonical correlations as they are."""
    x, z = sample_correlated(3000, 0.6, 3, random_state=1)
    z = np.column_stack([z, np.random.RandomState(2).standard_normal(3000)])  # a noise column on one side
    pairs = canonical_correlations(x, z)
    assert pairs.rho.shape == (3,) and np.all(np.diff(pairs.rho) <= 0)
    sample_mi = mi_from_covariance(np.cov(np.hstack([x, z]), rowvar=False), 3)
    # the ridge (1e-9 of the mean eigenvalue) moves each rho^2 by about 1e-9 of itself
    assert -0.5 * np.log1p(-(pairs.rho**2)).sum() == pytest.approx(sample_mi, rel=1e-7)
    rng = np.random.RandomState(3)
    mixed = canonical_correlations(x @ rng.standard_normal((3, 3)) + 5, z @ rng.standard_normal((4, 4)) - 2)
    np.testing.assert_allclose(mixed.rho, pairs.rho, rtol=1e-6)
    a = (x - pairs.mean_x) @ pairs.directions_x
    b = (z - pairs.mean_z) @ pairs.directions_z
    np.testing.assert_allclose(
        np.corrcoef(a.T, b.T), np.block([[np.eye(3), np.diag(pairs.rho)], [np.diag(pairs.rho), np.eye(3)]]), atol=1e-6
    )
    with pytest.raises(ValueError, match="same number of rows"):
        canonical_correlations(x, z[:10])
