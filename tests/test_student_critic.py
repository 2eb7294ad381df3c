"""The t-copula critic (:class:`mine.candidates.StudentCritic`) and its fit (:func:`mine.copulas.fit_t_copula`)."""

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_t, norm, rankdata
from scipy.stats import t as student_t

from mine import MINE
from mine.candidates import StudentCritic
from mine.copulas import canonical_pairs_of_covariance, fit_t_copula, student_t_scores
from mine.gaussian import mi_student_t, sample_correlated, sample_student_t


def normal_scores(columns: np.ndarray) -> np.ndarray:
    return norm.ppf(rankdata(columns, axis=0) / (len(columns) + 1))


def test_student_t_scores_are_the_t_quantiles_of_the_normal_scores_into_the_tails():
    g = np.array([-7.0, -2.0, 0.0, 0.3, 5.0, 7.0])
    for nu in (1.0, 2.5, 30.0):
        upper_tail = student_t.isf(norm.sf(g), nu)  # scipy's each way from its precise side
        expected = np.where(g > 0, upper_tail, student_t.ppf(norm.cdf(g), nu))
        np.testing.assert_allclose(student_t_scores(g, nu), expected, rtol=1e-6)
    assert student_t_scores(np.array([8.0]), 1.0)[0] == pytest.approx(1 / np.tan(np.pi * norm.sf(8.0)), rel=1e-6)


def test_the_critic_is_the_log_density_ratio_of_the_t_copula_at_every_rank():
    """With P's canonical pairs the critic must equal log t_d(s; P) - log t_dx(s_x; P_xx) -
    log t_dz(s_z; P_zz) on t scores s (scipy's multivariate t); the margins' univariate t densities
    cancel. At rank k < 3 it is the same ratio for P with the pairs past k set to 0. The tolerance
    1e-6 is the whitening's ridge (1e-9 of the mean eigenvalue: 1e-9 off at rank 0) amplified by
    the joint P's conditioning (smallest eigenvalue 0.06 here) at ranks 1 and 2."""
    rng = np.random.RandomState(0)
    d_x, d_z, nu = 3, 2, 2.5
    a = rng.standard_normal((d_x + d_z, d_x + d_z + 2))
    scatter = a @ a.T
    correlation = scatter / np.sqrt(np.outer(np.diag(scatter), np.diag(scatter)))
    pairs = canonical_pairs_of_covariance(correlation, d_x)
    g = rng.standard_normal((6, d_x + d_z)) * 1.5
    s = student_t_scores(g, nu)
    for k in (0, 1, 2):
        # P with only the first k canonical correlations kept: P_xz = P_xx D_x diag(rho) D_z^T P_zz
        kept = (
            correlation[:d_x, :d_x]
            @ pairs.directions_x[:, :k]
            @ np.diag(pairs.rho[:k])
            @ pairs.directions_z[:, :k].T
            @ correlation[d_x:, d_x:]
        )
        p_k = correlation.copy()
        p_k[:d_x, d_x:], p_k[d_x:, :d_x] = kept, kept.T
        joint = multivariate_t(np.zeros(d_x + d_z), p_k, df=nu)
        side_x = multivariate_t(np.zeros(d_x), correlation[:d_x, :d_x], df=nu)
        side_z = multivariate_t(np.zeros(d_z), correlation[d_x:, d_x:], df=nu)
        expected = np.array(
            [
                [joint.logpdf(np.concatenate([sx, sz])) - side_x.logpdf(sx) - side_z.logpdf(sz) for sz in s[:, d_x:]]
                for sx in s[:, :d_x]
            ]
        )
        critic = StudentCritic(
            nu,
            *(torch.from_numpy(m) for m in (pairs.whiten_x, pairs.whiten_z)),
            *(torch.from_numpy(m) for m in (pairs.directions_x[:, :k], pairs.directions_z[:, :k], pairs.rho[:k])),
        )
        gx, gz = torch.from_numpy(g[:, :d_x]), torch.from_numpy(g[:, d_x:])
        np.testing.assert_allclose(critic(gx, gz).numpy(), expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(critic.pair_scores(gx, gz).numpy(), np.diagonal(expected), rtol=1e-6, atol=1e-6)
        restored = StudentCritic.from_state(critic.state_dict())
        torch.testing.assert_close(restored(gx, gz), critic(gx, gz))


@pytest.mark.parametrize("nu", [1.0, 2.0, 3.0])
def test_the_profile_likelihood_finds_the_degrees_of_freedom_and_the_gaussian_copula(nu):
    """5 x 5 columns at rho 0.6, 4,000 rows: the profile log-likelihood of the right nu exceeds its
    neighbours on the grid by tens of nats at this n, so the exact grid value must come out; on
    Gaussian rows the Gaussian copula (inf) must."""
    x, z = sample_student_t(4000, 0.6, 5, nu, random_state=0)
    chosen, correlation = fit_t_copula(normal_scores(np.hstack([x, z])))
    assert chosen == nu
    assert np.diag(correlation) == pytest.approx(1.0)
    assert np.diag(correlation[:5, 5:]).mean() == pytest.approx(0.6, abs=0.03)
    x, z = sample_correlated(4000, 0.6, 5, random_state=0)
    assert np.isinf(fit_t_copula(normal_scores(np.hstack([x, z])))[0])


def test_the_fitted_critic_reads_the_mi_of_a_t_pair_with_no_correlation():
    """nu = 1, rho = 0, 2 x 2: all 0.432 nats sit in the shared radius, which no Gaussian critic
    sees (its MI is 0 here). The fitted critic's mean score on 10,000 fresh pairs estimates E_p[T]
    = I for the exact ratio; its standard error is about 0.007 here, so 0.03 is four of them."""
    x, z = sample_student_t(20000, 0.0, 2, 1.0, random_state=1)
    g = torch.from_numpy(normal_scores(np.hstack([x, z])))
    critics = StudentCritic.at_ranks(g[:10000, :2], g[:10000, 2:], [0, 2])
    assert [c.rank for c in critics] == [0, 2] and all(float(c.nu) == 1.0 for c in critics)
    for critic in critics:
        assert float(critic.pair_scores(g[10000:, :2], g[10000:, 2:]).mean()) == pytest.approx(
            mi_student_t(0.0, 2, 1.0), abs=0.03
        )
    x, z = sample_correlated(3000, 0.5, 2, random_state=1)
    g = torch.from_numpy(normal_scores(np.hstack([x, z])))
    assert StudentCritic.at_ranks(g[:, :2], g[:, 2:], [0, 2]) == []  # Gaussian rows: no t candidates


def test_mine_selects_the_t_critic_on_heavy_joint_tails_and_keeps_it_through_save_and_load(tmp_path):
    """Student-t nu = 1 2 x 2 (0.432 nats, none of it correlation), 4,000 rows, 100 network steps:
    a half's report of the exact critic on 1,000 rows has a standard deviation of about 0.02, the
    mean of four about 0.01, so 0.06 leaves room for the fitted nu's and P's error; the network
    alone reads far lower in 100 steps."""
    x, z = sample_student_t(4000, 0.0, 2, 1.0, random_state=2)
    est = MINE(max_steps=100, eval_every=50, random_state=0).fit(x, z)
    assert est.chosen_ == [["student_t", "student_t"]] * 2
    assert est.mi() == pytest.approx(mi_student_t(0.0, 2, 1.0), abs=0.06)
    assert est.mi_lower() <= mi_student_t(0.0, 2, 1.0)
    est.save(tmp_path / "t.pt")
    loaded = MINE.load(tmp_path / "t.pt")
    assert loaded.chosen_ == est.chosen_ and [f.chosen for f in loaded.folds_] == [f.chosen for f in est.folds_]
    assert loaded.evaluate(x, z) == pytest.approx(est.evaluate(x, z), rel=1e-6)


def test_every_family_on_standardised_heavy_tails_fits_no_t_candidate_and_ends_finite():
    """candidates="all" with preprocessing="standard": a t-copula critic needs normal scores
    (sinh(3 z) standardised puts rows 40 standard deviations out, whose t scores overflow), so the
    t family does not apply to these folds, only the Gaussian one is fitted (what is offered:
    test_candidates.py), and the fit ends with a finite estimate."""
    x, z = sample_correlated(2000, 0.6, 2, random_state=0)
    est = MINE(preprocessing="standard", candidates="all", max_steps=50, eval_every=50, random_state=0)
    est.fit(np.sinh(3 * x), np.sinh(3 * z))
    assert np.isfinite(est.mi())
    assert "student_t" not in {kind for fold in est.chosen_ for kind in fold}


def test_a_constant_column_leaves_the_t_copula_undefined_and_the_fit_goes_on():
    """A constant column's normal scores have no spread, so no t copula (nor its correlation) is
    defined: the profile returns the Gaussian copula, the identity in that column, instead of a
    Cholesky failure; MINE with such a column in z then ends with a finite estimate (it raised
    "array must not contain infs or NaNs" from the t-copula fit)."""
    x, z = sample_student_t(2000, 0.6, 2, 2, random_state=0)
    rows = np.hstack([normal_scores(np.hstack([x, z])), np.zeros((2000, 1))])
    nu, correlation = fit_t_copula(rows)
    assert np.isinf(nu)
    assert correlation[-1] == pytest.approx(np.eye(5)[-1])
    assert np.all(np.isfinite(correlation))
    est = MINE(max_steps=50, eval_every=50, random_state=0)
    with pytest.warns(UserWarning, match="tied values"):
        est.fit(x, np.hstack([z, np.ones((2000, 1))]))
    assert np.isfinite(est.mi())
