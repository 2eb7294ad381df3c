"""The Gaussian critic as a candidate of the held-out selection (``MINE(gaussian_critic=...)``)."""

import numpy as np
import pytest

from mine import MINE
from mine.critics import GaussianCritic
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
    alone (gaussian_critic=False) must read lower than the Gaussian candidate."""
    x, z = sparse_pair(4000, 25)
    truth = float(mi_correlated(0.8, 2))
    with_gaussian = MINE(**QUICK).fit(x**3, z**3)
    assert with_gaussian.mi() == pytest.approx(truth, abs=0.1)
    assert all(kind.startswith("gaussian rank") for f in with_gaussian.folds_ for kind in f.chosen)
    network_only = MINE(**QUICK, gaussian_critic=False).fit(x**3, z**3)
    assert all(not kind.startswith("gaussian") for f in network_only.folds_ for kind in f.chosen)
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
    assert [f.chosen for f in loaded.folds_] == [f.chosen for f in est.folds_]
    assert loaded.evaluate(x, z) == pytest.approx(est.evaluate(x, z), rel=1e-6)


def test_gaussian_critic_auto_is_on_for_dv_with_a_built_in_critic_only():
    import torch

    assert MINE()._start().gaussian_critic is True
    assert MINE(bound="nwj")._start().gaussian_critic is False
    assert MINE(bound="infonce")._start().gaussian_critic is False
    assert MINE(critic=torch.nn.Bilinear(1, 1, 1))._start().gaussian_critic is False
    assert MINE(bound="infonce", gaussian_critic=True)._start().gaussian_critic is True
    x, z = sparse_pair(600, 2)
    nwj = MINE(bound="nwj", **QUICK).fit(x, z)
    assert all(not kind.startswith("gaussian") for f in nwj.folds_ for kind in f.chosen)
    with pytest.raises(ValueError, match="gaussian_critic=True needs a bound"):
        MINE(bound="nwj", gaussian_critic=True, **QUICK).fit(x, z)
    with pytest.raises(ValueError, match="gaussian_critic"):
        MINE(gaussian_critic="yes", **QUICK).fit(x, z)


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
