"""The Gaussian copula's critic as a candidate of the held-out selection (``MINE(candidates=...)``)."""

import numpy as np
import pytest

from mine import MINE
from mine.candidates import GaussianCritic
from mine.gaussian import mi_correlated

QUICK = dict(max_steps=100, eval_every=50, random_state=0)


def sparse_pair(n: int, dim: int, informative: int = 2, rho: float = 0.8, seed: int = 0):
    """dim x dim columns, the MI in ``informative`` coordinate pairs, the rest independent noise."""
    rng = np.random.RandomState(seed)
    x, z = rng.standard_normal((n, dim)), rng.standard_normal((n, dim))
    z[:, :informative] = rho * x[:, :informative] + np.sqrt(1 - rho**2) * z[:, :informative]
    return x, z


def test_the_gaussian_critic_finds_mi_hidden_in_two_of_25_column_pairs():
    """4,000 rows, 1.022 nats in 2 of 25 pairs, under a cube of every column (normal scores undo
    it). The held-out DV of the exact critic on 1,000 report rows has a standard deviation of about
    0.03 nats here, so 0.1 is three of them; a 100-step network reads far lower, and the network
    alone (candidates=None) must read lower than the Gaussian candidate."""
    x, z = sparse_pair(4000, 25)
    truth = float(mi_correlated(0.8, 2))
    with_gaussian = MINE(**QUICK).fit(x**3, z**3)
    assert with_gaussian.mi() == pytest.approx(truth, abs=0.1)
    assert with_gaussian.chosen_ == [["gaussian", "gaussian"]] * 2
    network_only = MINE(**QUICK, candidates=None).fit(x**3, z**3)
    assert network_only.candidates_ == () and {k for f in network_only.chosen_ for k in f} <= {"network", "constant"}
    assert network_only.mi() < with_gaussian.mi() - 0.1
    assert with_gaussian.mi_lower() <= truth


def test_the_gaussian_candidates_do_not_invent_dependence_in_independent_columns():
    """10 x 10 independent columns, 2,000 rows: each half picks the best of its candidates, which
    the other half reports: a critic fitted to noise scores at most about 0 there (the report's
    standard deviation is about 0.01 nats at 500 rows), so 0.03 would be three of them."""
    x, z = sparse_pair(2000, 10, informative=0)
    est = MINE(**QUICK).fit(x, z)
    assert est.mi() < 0.03


def test_a_gaussian_choice_survives_save_and_load(tmp_path):
    x, z = sparse_pair(1500, 3)
    est = MINE(**QUICK).fit(x, z)
    assert any(isinstance(c, GaussianCritic) for f in est.folds_ for c in f.critics)
    est.save(tmp_path / "g.pt")
    loaded = MINE.load(tmp_path / "g.pt")
    assert loaded.chosen_ == est.chosen_ and [f.chosen for f in loaded.folds_] == [f.chosen for f in est.folds_]
    assert loaded.evaluate(x, z) == pytest.approx(est.evaluate(x, z), rel=1e-6)


def test_candidates_auto_offers_every_family_for_dv_with_a_built_in_critic_on_normal_scores_only():
    from mine.critics import SeparableCritic

    x, z = sparse_pair(600, 2)
    every = ("gaussian", "student_t", "data_scale")

    def offered(**params):  # what the fit offered, whatever won
        return (
            MINE(max_steps=10, eval_every=10, hidden=(8,), batch_size=64, random_state=0, **params)
            .fit(x, z)
            .candidates_
        )

    assert offered() == every
    assert offered(bound="nwj") == offered(bound="infonce") == offered(preprocessing="standard") == ()
    assert offered(critic=SeparableCritic(2, 2, (8,))) == ()
    assert offered(bound="infonce", candidates="all") == every
    assert offered(candidates="student_t") == ("student_t",) and offered(candidates=["data_scale", "gaussian"]) == (
        "data_scale",
        "gaussian",
    )
    assert offered(candidates="none") == offered(candidates=None) == ()
    nwj = MINE(bound="nwj", **QUICK).fit(x, z)
    assert {k for f in nwj.chosen_ for k in f} <= {"network", "constant"}
    with pytest.raises(ValueError, match="candidates='all' needs a bound whose best critic .*dv, infonce, js, smile"):
        MINE(bound="nwj", candidates="all", **QUICK).fit(x, z)
    for bad in ("yes", True, ["gaussian", "gaussian"], [], ["copula"]):
        with pytest.raises(ValueError, match="MINE: candidates must be one of 'auto', 'all', 'none', 'gaussian'"):
            MINE(candidates=bad, **QUICK).fit(x, z)
    with pytest.raises(TypeError, match="'gaussian_critic' is no longer a parameter; pass candidates"):
        MINE(gaussian_critic=False)


def test_the_lower_bound_never_claims_more_than_log_n_of_its_report_rows():
    """10 + 10 columns at 6 nats on 600 rows: each report has 150 rows, and no lower bound from 150
    rows can show more than log 150 = 5.01 nats (McAllester & Stratos 2020); the exact Gaussian
    critic's DV estimate can pass it (its log-mean over so few pairs can read high), L must not."""
    import math
    import warnings

    from mine.gaussian import rho_for_mi, sample_correlated

    x, z = sample_correlated(600, float(rho_for_mi(6.0, 10)), 10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MINE(**QUICK).fit(x, z)
    assert est.reach_ == pytest.approx(math.log(150))
    assert est.mi() > est.reach_  # the case the ceiling is for
    from mine.uncertainty import lower_confidence_bound

    uncapped = lower_confidence_bound(est.mi(), est.se_, 0.95, 0.0)
    assert est.mi_lower() == est.lower() == pytest.approx(min(uncapped, math.log(150)))
    assert est.mi_lower() <= math.log(150)
