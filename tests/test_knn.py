"""KSG (Kraskov et al. 2004, algorithm 1) against scikit-learn and against the analytic MI."""

import numpy as np
import pytest
from sklearn.feature_selection import mutual_info_regression

import mine
from mine.gaussian import mi_correlated, sample_correlated


def _one_d_pairs():
    for rho in (0.0, 0.3, 0.6, 0.9, 0.99):
        x, z = sample_correlated(2000, rho, 1, random_state=1)
        yield f"gauss-rho{rho}", x, 7.0 * z + 3.0  # a scale and shift of z: standardization matters
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 3000)
    yield "sine", x, np.sin(x) + 0.1 * rng.normal(size=3000)


@pytest.mark.parametrize("name,x,z", list(_one_d_pairs()), ids=[p[0] for p in _one_d_pairs()])
def test_ksg_matches_scikit_learn_on_one_d_pairs(name, x, z):
    # scikit-learn scales both variables to unit variance and adds noise of ~1e-10 relative size
    # (to break ties) before the same algorithm; it clips the result at 0
    ours = mine.ksg(x, z, k=3, preprocessing="standard")
    theirs = mutual_info_regression(np.reshape(x, (-1, 1)), np.ravel(z), n_neighbors=3, random_state=0)[0]
    assert abs(max(ours, 0.0) - theirs) < 0.02


def test_ksg_is_close_to_the_truth_in_one_dimension():
    # over 30 data seeds at n = 2,000 the estimate at rho = 0.9 has sd 0.023 and bias +0.010;
    # at n = 5,000 the sd scales to ~0.015, so 0.06 nats is 4 sd around a small bias
    x, z = sample_correlated(5000, 0.9, 1, random_state=0)
    assert abs(mine.ksg(x, z) - mi_correlated(0.9)) < 0.06


def test_ksg_of_independent_data_is_near_zero():
    # sd 0.0137 over 30 seeds at n = 2,000: 0.055 is 4 sd
    x, z = sample_correlated(2000, 0.0, 1, random_state=3)
    assert abs(mine.ksg(x, z)) < 0.055


def test_ksg_underestimates_strong_dependence_in_ten_dimensions():
    # the known failure the sweep benchmark shows: 10-D at rho = 0.7 is 3.37 nats, far beyond what
    # 3 neighbours among 2,000 points resolve
    x, z = sample_correlated(2000, 0.7, 10, random_state=0)
    assert mine.ksg(x, z) < 0.7 * mi_correlated(0.7, 10)


def test_ksg_is_symmetric_and_ignores_row_order():
    x, z = sample_correlated(500, 0.6, 2, random_state=0)
    order = np.random.default_rng(0).permutation(500)
    value = mine.ksg(x, z)
    assert mine.ksg(z, x) == pytest.approx(value, abs=1e-12)
    assert mine.ksg(x[order], z[order]) == pytest.approx(value, abs=1e-12)


def test_ksg_without_standardization_depends_on_scale():
    x, z = sample_correlated(1000, 0.6, 1, random_state=0)
    standard = mine.ksg(x, z, preprocessing="standard")
    assert mine.ksg(x, 100 * z, preprocessing="standard") == pytest.approx(standard, abs=1e-9)
    assert mine.ksg(x, 100 * z, preprocessing="none") != pytest.approx(mine.ksg(x, z, preprocessing="none"), abs=1e-3)


def test_ksg_with_normal_scores_is_immune_to_outliers_and_scale():
    # the quantile map depends only on ranks, up to its linear interpolation between 1,000 quantiles,
    # so a strictly increasing map of a column moves the estimate by little (here 2e-4 nats)
    x, z = sample_correlated(2000, 0.9, 1, random_state=0)
    clean = mine.ksg(x, z)
    outlier = x.copy()
    outlier[3, 0] = 1e9
    assert mine.ksg(outlier, z) == pytest.approx(clean, abs=0.005)
    assert mine.ksg(x * 1e300, np.sinh(4 * z)) == pytest.approx(clean, abs=0.005)
    assert mine.ksg(outlier, z, preprocessing="standard") < 0.5 * clean  # what standardizing does


@pytest.mark.parametrize(
    "x,z,k,message",
    [
        (np.zeros((10, 1)), np.zeros((9, 1)), 3, "same number of rows"),
        (np.ones((10, 1)), np.ones((10, 1)), 3, "duplicates"),
        (
            np.random.default_rng(0).normal(size=(3, 1)),
            np.random.default_rng(1).normal(size=(3, 1)),
            3,
            "too few samples",
        ),
        (np.random.default_rng(0).normal(size=(10, 1)), np.random.default_rng(1).normal(size=(10, 1)), 0, "k must"),
        (np.array([[0.0], [np.nan], [1.0], [2.0], [3.0]]), np.zeros((5, 1)), 1, "NaN"),
    ],
)
def test_ksg_rejects_bad_input(x, z, k, message):
    with pytest.raises(ValueError, match=message):
        mine.ksg(x, z, k=k)


def test_conditional_ksg_reads_gaussian_cmi_and_zero_under_conditional_independence():
    """Frenzel-Pompe on 3,000 rows of a 1 + 1 + 2-D Gaussian: truth 0.511 nats. Over seeds 0-2 it
    read 0.483, 0.509, 0.479 (k-NN's small downward bias), so 0.06 allows that bias and twice the
    spread; conditionally independent data read -0.015 to 0.000."""
    from mine.gaussian import cmi_from_covariance

    rng = np.random.RandomState(0)
    n = 3000
    z = rng.standard_normal((n, 2))
    x = z[:, :1] + rng.standard_normal((n, 1))
    y = 0.8 * x + z[:, 1:] + 0.6 * rng.standard_normal((n, 1))
    mix = np.array([[1, 0, 1, 0], [0.8, 0.6, 0.8, 1], [0, 0, 1, 0], [0, 0, 0, 1.0]])  # x, y, z from noises
    truth = cmi_from_covariance(mix @ mix.T, 1, 1)
    assert mine.knn.ksg_conditional(x, y, z) == pytest.approx(truth, abs=0.06)
    # monotone maps of each part: normal scores first (interpolated between 1,000 quantiles, so to 1e-3)
    assert mine.knn.ksg_conditional(np.exp(x), y**3, np.sinh(z)) == pytest.approx(
        mine.knn.ksg_conditional(x, y, z), abs=1e-3
    )
    x0, y0 = z[:, :1] + rng.standard_normal((n, 1)), z[:, :1] - z[:, 1:] + rng.standard_normal((n, 1))
    assert abs(mine.knn.ksg_conditional(x0, y0, z)) < 0.03
    with pytest.raises(ValueError, match="x and y and z must have the same number of rows"):
        mine.knn.ksg_conditional(x, y[:10], z)


def test_local_permutation_moves_rows_among_their_neighbours_in_z():
    from mine.knn import local_permutation

    rng = np.random.RandomState(0)
    z = rng.normal(size=(3000, 2))
    order = local_permutation(z, k=5, random_state=1)
    assert order.shape == (3000,) and order.min() >= 0 and order.max() < 3000
    assert len(np.unique(order)) > 0.85 * 3000  # a neighbour is reused only when all k are taken
    plain = rng.permutation(3000)
    # the 5 nearest of 3,000 in 2-D sit about 0.03 away in each column against 1.1 for any row
    assert np.abs(z[order] - z).mean() < 0.1 * np.abs(z[plain] - z).mean()
    assert np.array_equal(order, local_permutation(z, k=5, random_state=1))
    assert np.array_equal(local_permutation(z, k=1, random_state=1), np.arange(3000))  # its own nearest
    labels = rng.randint(4, size=(3000, 1)).astype(float)
    within = local_permutation(labels, k=5, random_state=2)
    assert np.array_equal(labels[within], labels) and np.mean(within != np.arange(3000)) > 0.7


def test_local_permutation_checks_its_input():
    from mine.knn import local_permutation

    with pytest.raises(ValueError, match="needs more than 5 samples, got 5"):
        local_permutation(np.zeros((5, 1)), k=5)
    with pytest.raises(ValueError, match="k must be an integer"):
        local_permutation(np.zeros((50, 1)), k=0)
    with pytest.raises(ValueError, match="NaN"):
        local_permutation(np.full((50, 1), np.nan))
