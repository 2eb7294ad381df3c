import numpy as np
import pytest
import torch

from mine import gaussian as g


@pytest.mark.parametrize("rho,dim", [(0.5, 1), (0.9, 1), (-0.3, 4), (0.99, 10)])
def test_mi_from_covariance_matches_componentwise_formula(rho, dim):
    cov = g.correlated_covariance(rho, dim)
    assert g.mi_from_covariance(cov, dim) == pytest.approx(-dim / 2 * np.log(1 - rho**2), rel=1e-12)
    assert g.mi_correlated(rho, dim) == pytest.approx(g.mi_from_covariance(cov, dim), rel=1e-12)


def test_known_values_of_the_issue():
    assert g.mi_correlated(0.5) == pytest.approx(0.1438410362, abs=1e-9)
    assert g.mi_correlated(0.9) == pytest.approx(0.8303656, abs=1e-6)


def test_mi_from_general_covariance_against_entropy_formula():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 5))
    cov = a @ a.T + 0.5 * np.eye(5)
    # I = H(X) + H(Z) - H(X, Z), Gaussian entropy 1/2 log det(2 pi e S)
    h = lambda s: 0.5 * np.log(np.linalg.det(2 * np.pi * np.e * s))  # noqa: E731
    expected = h(cov[:2, :2]) + h(cov[2:, 2:]) - h(cov)
    assert g.mi_from_covariance(cov, 2) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("mi,dim", [(0.0, 1), (0.1438, 1), (2.0, 10), (5.0, 10), (10.0, 20)])
def test_rho_for_mi_inverts_mi_correlated(mi, dim):
    assert g.mi_correlated(g.rho_for_mi(mi, dim), dim) == pytest.approx(mi, abs=1e-10)


def test_vectorised_over_rho():
    rhos = np.linspace(-0.99, 0.99, 7)
    np.testing.assert_allclose(g.mi_correlated(rhos, 3), [g.mi_correlated(r, 3) for r in rhos])


def test_sampler_correlation_and_repeatability():
    x, z = g.sample_correlated(200_000, 0.7, 3, random_state=1)
    corr = [np.corrcoef(x[:, k], z[:, k])[0, 1] for k in range(3)]
    # the sample correlation's standard error is (1 - rho^2)/sqrt(n) = 1.1e-3: 5 sigma
    np.testing.assert_allclose(corr, 0.7, atol=6e-3)
    x2, _ = g.sample_correlated(10, 0.7, 3, random_state=1)
    np.testing.assert_array_equal(x2, g.sample_correlated(10, 0.7, 3, random_state=1)[0])


def test_torch_sampler():
    gen = torch.Generator().manual_seed(0)
    x, z = g.sample_correlated_torch(100_000, -0.6, 2, generator=gen, dtype=torch.float64)
    assert x.dtype == torch.float64 and z.shape == (100_000, 2)
    corr = np.corrcoef(x[:, 0].numpy(), z[:, 0].numpy())[0, 1]
    assert corr == pytest.approx(-0.6, abs=0.01)  # 5 standard errors of 0.002


def test_kl_gaussians_closed_form_and_monte_carlo():
    assert g.kl_gaussians([0, 0], np.eye(2), [0, 0], np.eye(2)) == pytest.approx(0.0, abs=1e-12)
    # 1-D: log(s1/s0) + (s0^2 + (m0 - m1)^2) / (2 s1^2) - 1/2
    assert g.kl_gaussians(1.0, 4.0, -1.0, 9.0) == pytest.approx(np.log(3 / 2) + (4 + 4) / 18 - 0.5)
    mp, cp = np.array([0.5, -1.0]), np.array([[1.0, 0.3], [0.3, 0.5]])
    mq, cq = np.array([0.0, 0.0]), np.array([[2.0, -0.4], [-0.4, 1.0]])
    rng = np.random.default_rng(0)
    s = rng.multivariate_normal(mp, cp, size=400_000)

    def logpdf(x, m, c):
        d = x - m
        return -0.5 * (np.einsum("ij,jk,ik->i", d, np.linalg.inv(c), d) + np.log(np.linalg.det(2 * np.pi * c)))

    ratio = logpdf(s, mp, cp) - logpdf(s, mq, cq)
    kl = g.kl_gaussians(mp, cp, mq, cq)
    assert ratio.mean() == pytest.approx(kl, abs=5 * ratio.std() / np.sqrt(len(ratio)))


def test_staircase():
    steps = g.mi_staircase((2, 4), 3)
    np.testing.assert_array_equal(steps, [2, 2, 2, 4, 4, 4])


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: g.mi_correlated(1.0), "strictly between -1 and 1"),
        (lambda: g.mi_correlated(0.5, 0), "positive integer"),
        (lambda: g.rho_for_mi(-1.0), "non-negative"),
        (lambda: g.mi_from_covariance(np.eye(3)[:2], 1), "square"),
        (lambda: g.mi_from_covariance(-np.eye(2), 1), "positive definite"),
        (lambda: g.kl_gaussians([0, 0], np.eye(2), [0], np.eye(1)), "shapes"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_staircase_batches_follow_the_true_mi_of_each_level():
    from mine.gaussian import mi_correlated, mi_staircase, staircase_batches

    batches = list(
        staircase_batches(
            (1.0, 3.0), steps_per_level=5, batch_size=4000, dim=3, generator=torch.Generator().manual_seed(0)
        )
    )
    assert len(batches) == 10 and batches[0][0].shape == (4000, 3)
    truth = mi_staircase((1.0, 3.0), 5)
    for t, (x, z) in enumerate(batches):
        # the empirical correlation gives the MI back: at n = 4,000 the MI computed from r has an sd
        # of 0.033 (1 nat) and 0.044 (3 nats) by the delta method, so 0.25 is over 5 sd
        r = float(torch.corrcoef(torch.stack([x[:, 0], z[:, 0]]))[0, 1])
        assert abs(mi_correlated(r, 3) - truth[t]) < 0.25
    with pytest.raises(ValueError, match="steps_per_level"):
        staircase_batches((1.0,), steps_per_level=0)


def test_student_t_mi_matches_the_published_check_and_tends_to_the_gaussian():
    # REFERENCES.md: nu = 1, m = n = 2, identity dispersion gives c = 0.432 nats
    assert g.mi_student_t(0.0, 2, 1.0) == pytest.approx(0.432, abs=5e-4)
    assert g.mi_student_t(0.5, 3, 1e6) == pytest.approx(g.mi_correlated(0.5, 3), abs=1e-5)
    assert g.mi_student_t(0.5, 3, 2.0) > g.mi_correlated(0.5, 3)
    x, z = g.sample_student_t(20_000, 0.0, 2, 1.0, random_state=0)
    assert x.shape == z.shape == (20_000, 2)
    assert np.median(np.abs(x)) == pytest.approx(1.0, rel=0.05)  # Cauchy marginals: median |x| = 1
    import mine

    # KSG on normal scores finds the tail dependence of an uncorrelated pair (sd ~0.02 at this n)
    assert mine.ksg(x, z) == pytest.approx(g.mi_student_t(0.0, 2, 1.0), abs=0.06)


def test_conditional_mi_of_gaussians_follows_the_chain_rule_and_ignores_maps_of_each_part():
    import numpy as np

    from mine.gaussian import cmi_from_covariance, mi_from_covariance

    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    cov = a @ a.T + np.eye(6)  # X: 2 columns, Y: 1, Z: 3
    xz = [0, 1, 3, 4, 5]
    # I(X; Y | Z) = I(X; (Y, Z)) - I(X; Z)
    chain = mi_from_covariance(cov, 2) - mi_from_covariance(cov[np.ix_(xz, xz)], 2)
    assert cmi_from_covariance(cov, 2, 1) == pytest.approx(chain, rel=1e-10)
    # invertible linear maps of X, of Y and of Z separately (block diagonal) leave it unchanged
    blocks = np.zeros((6, 6))
    blocks[:2, :2], blocks[2, 2], blocks[3:, 3:] = rng.normal(size=(2, 2)), -3.0, rng.normal(size=(3, 3))
    assert cmi_from_covariance(blocks @ cov @ blocks.T, 2, 1) == pytest.approx(cmi_from_covariance(cov, 2, 1))
    # with no Z it is the MI; X = Z + e, Y = Z + e' is independent given Z
    assert cmi_from_covariance(cov[:3, :3], 2, 1) == pytest.approx(mi_from_covariance(cov[:3, :3], 2))
    mix = np.array([[1.0, 0, 1], [0, 1, 1], [0, 0, 1]])  # rows x, y, z from (e, e', z)
    assert cmi_from_covariance(mix @ mix.T, 1, 1) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="x_dim and y_dim must be at least 1"):
        cmi_from_covariance(cov, 4, 3)
