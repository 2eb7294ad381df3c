"""The Gaussian critic on the data's own scale (:class:`mine.candidates.DataScaleCritic`)."""

import numpy as np
import pytest
import torch
from sklearn.preprocessing import StandardScaler

from mine import MINE
from mine.candidates import DataScaleCritic, GaussianCritic, TrainingRows, fit_candidates
from mine.preprocessing import NormalScores


def test_normal_scores_invert_back_to_the_data_over_the_training_range():
    """Heavy tails, ties and a column at 1e-300: transform then inverse_transform returns every
    training value to rounding (the map is piecewise linear and increasing between knots); a
    score past the ends returns the extreme training value."""
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.standard_t(2, 3000), np.round(rng.normal(size=3000)), rng.uniform(size=3000) * 1e-300])
    scores = NormalScores().fit(x)
    back = scores.inverse_transform(scores.transform(x))
    np.testing.assert_allclose(back, x, rtol=1e-12, atol=0)
    ends = scores.inverse_transform(np.array([[-50.0, -50.0, 50.0]]))
    assert ends[0, 0] == x[:, 0].min() and ends[0, 1] == x[:, 1].min() and ends[0, 2] == x[:, 2].max()
    with pytest.raises(ValueError, match="expected 3 columns"):
        scores.inverse_transform(np.zeros((2, 2)))


def linear_pair(n: int, seed: int = 0):
    """X ~ N(0, 1), Z uniform (2 columns), Y = X + Z_1 + 0.1 e: X given (Y, Z) is Gaussian with a
    linear mean, so the Gaussian critic of the data values is exact; I(X; (Y, Z)) = 1/2 log 101."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=(n, 1)), rng.uniform(-0.5, 0.5, size=(n, 2))
    y = x + z[:, :1] + 0.1 * rng.normal(size=(n, 1))
    return x, np.hstack([y, z]), 0.5 * np.log(101)


def test_mine_reads_a_linear_model_with_uniform_inputs_through_the_data_scale_critic(tmp_path):
    """4,000 rows, 100 network steps: normal scores bend the linear relation (the uniform column's
    scores are not linear in its values), so the copula's Gaussian critic falls short; the data
    scale's is exact. A report on 1,000 rows of the exact critic at 2.3 nats has a standard
    deviation of about 0.03 (the DV variance grows with e^I), the mean of four about 0.02, so 0.08
    is four of them."""
    x, yz, truth = linear_pair(4000)
    est = MINE(max_steps=100, eval_every=50, random_state=0).fit(x, yz)
    assert est.chosen_ == [["data_scale", "data_scale"]] * 2
    assert est.mi() == pytest.approx(truth, abs=0.08)
    assert est.mi_lower() <= truth
    est.save(tmp_path / "d.pt")
    loaded = MINE.load(tmp_path / "d.pt")
    assert isinstance(loaded.folds_[0].critics[0], DataScaleCritic)
    assert loaded.evaluate(x, yz) == pytest.approx(est.evaluate(x, yz), rel=1e-6)


def test_data_scale_candidates_only_with_normal_scores_and_values_that_overflow_are_fine():
    """The candidates offered: one data-scale Gaussian critic per rank where the fold's maps are
    normal scores of these columns, none with other maps (a standard scaler has no quantile tables
    to invert) or none at all. Values near the float64 limit: the tables hold each column divided
    by a power of two, so the data scale's critic is fitted and chosen as at scale 1."""
    x, yz, _ = linear_pair(1500)
    maps = (NormalScores().fit(x), NormalScores().fit(yz))
    scores = (torch.from_numpy(maps[0].transform(x)), torch.from_numpy(maps[1].transform(yz)))
    families = ["gaussian", "data_scale"]

    def offered(fold_maps):
        return [type(c) for c in fit_candidates(families, TrainingRows(*scores, fold_maps), torch.device("cpu"))]

    assert offered(maps) == [GaussianCritic, DataScaleCritic]  # rank 1 each (x has one column)
    for other in [(), (StandardScaler().fit(x), StandardScaler().fit(yz)), maps[::-1]]:
        assert offered(other) == [GaussianCritic]
    huge = MINE(max_steps=50, eval_every=50, random_state=0).fit(x * 1e300, yz * 1e300)
    plain = MINE(max_steps=50, eval_every=50, random_state=0).fit(x, yz)
    assert huge.chosen_ == [["data_scale", "data_scale"]] * 2
    assert huge.mi() == pytest.approx(plain.mi(), abs=1e-6)
