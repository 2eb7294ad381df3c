"""The tests of independence: independence_test (permutation null) and conditional_independence_test
(local permutation of y given z, moved by its predicted mean)."""

from __future__ import annotations

import numpy as np
import pytest
from _triples import triple
from sklearn.base import clone

from mine import MINE, ConditionalMI
from mine.independence import MeanOfY
from mine.knn import local_permutation

FAST = MINE(max_steps=600, hidden=(64, 64), batch_size=128, lr=1e-3, random_state=0)


def test_independence_test_permutes_held_out_rows_without_changing_the_estimate():
    import mine

    rng = np.random.default_rng(0)
    small = dict(max_steps=300, hidden=(32, 32), batch_size=64, lr=1e-3, random_state=0)
    x, z = rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2))
    independent = mine.independence_test(x, z, n_permutations=99, **small)
    assert len(independent.null) == 99 and independent.p_value > 0.05  # seed 0 reads p = 0.91
    assert independent.statistic == MINE(**small).fit(x, z).mi()  # the null draws use their own stream
    dependent = mine.independence_test(x, 0.3 * x + rng.normal(size=(1000, 2)), n_permutations=99, **small)
    assert dependent.p_value == 1 / 100 and dependent.statistic > dependent.null.max()
    with pytest.raises(ValueError, match="n_permutations must be an integer >= 1"):
        mine.independence_test(x, z, n_permutations=0)


def test_conditional_independence_test_keeps_z_and_rejects_dependence_given_z():
    import mine

    small = MINE(max_steps=300, hidden=(32, 32), batch_size=64, lr=1e-3)
    rng = np.random.default_rng(3)
    z = rng.integers(3, size=(1200, 1)).astype(float)  # discrete Z: the local permutation is exact
    x = z + rng.normal(size=(1200, 1))
    y = z**2 + rng.normal(size=(1200, 1))
    null = mine.conditional_independence_test(x, y, z, n_permutations=49, estimator=small, random_state=0)
    assert len(null.null) == 49 and isinstance(null.estimator, ConditionalMI)
    assert null.p_value > 0.01  # uniform under the null (a 1% chance to fail a new seed); seed 0: 0.04
    dependent = mine.conditional_independence_test(
        x, y + x, z, n_permutations=49, estimator=small, random_state=0
    )  # given z, corr(x, y) = 1/sqrt 2: 0.35 nats
    assert dependent.p_value == 1 / 50 and dependent.statistic > dependent.null.max()
    by_prediction = mine.conditional_independence_test(
        x, y + x, z, n_permutations=49, estimator=small, random_state=0, neighbours="regression"
    )
    assert by_prediction.p_value == 1 / 50 and by_prediction.statistic == dependent.statistic  # same fit
    with pytest.raises(ValueError, match="neighbours must be one of 'z', 'regression'"):
        mine.conditional_independence_test(x, y, z, neighbours="nearest")
    with pytest.raises(ValueError, match="test_fraction must be a number in \\(0, 1\\), got 1.0"):
        mine.conditional_independence_test(x, y, z, test_fraction=1.0)
    with pytest.raises(ValueError, match="same number of rows"):
        mine.conditional_independence_test(x, y[:-1], z)


def test_the_null_redraws_y_and_leaves_the_second_term_as_observed(monkeypatch):
    """The null moves y only: I(X; Z)'s critics (which never see y) are evaluated once, on the test
    rows as they are, and I(X; (Y, Z))'s once per permutation plus the observed rows."""
    import mine

    x, y, z = triple(4, n=600, dependent=False)
    seen = []
    evaluate = MINE.evaluate

    def recording(self, first, second, units="nats"):
        seen.append((np.array(first, copy=True), np.array(second, copy=True)))
        return evaluate(self, first, second, units)

    monkeypatch.setattr(MINE, "evaluate", recording)
    small = clone(FAST).set_params(max_steps=20, eval_every=10)
    test = mine.conditional_independence_test(x, y, z, n_permutations=9, estimator=small, random_state=0)
    given = [s for s in seen if s[1].shape[1] == 1]
    joint = [s for s in seen if s[1].shape[1] == 2]
    assert len(given) == 1 and len(joint) == 10 and len(test.null) == 9
    x_test, z_test = given[0]
    for x_rows, yz_rows in joint:
        assert np.array_equal(x_rows, x_test) and np.array_equal(yz_rows[:, 1:], z_test)
    assert sum(not np.array_equal(j[1], joint[0][1]) for j in joint[1:]) == 9  # y moved on every draw


@pytest.mark.parametrize("neighbours", ["z", "regression"])
def test_the_null_is_unchanged_by_the_scale_of_y(neighbours):
    """y * 1e300 gives the same neighbours, mean correction and null (the mean of y is fitted to its
    normal scores); trees fitted to y as given once overflowed their squared errors and chose
    arbitrary neighbours (p 0.55 against 0.10 in a hostile run)."""
    import mine

    x, y, z = triple(5, n=600, dependent=False)
    z = np.hstack([z, np.random.default_rng(5).normal(size=(600, 6))])
    small = clone(FAST).set_params(max_steps=20, eval_every=10)
    kwargs = dict(n_permutations=19, estimator=small, random_state=0, neighbours=neighbours)
    plain = mine.conditional_independence_test(x, y, z, **kwargs)
    huge = mine.conditional_independence_test(x, y * 1e300, z, **kwargs)
    assert np.isfinite(huge.null).all() and huge.p_value == plain.p_value
    np.testing.assert_allclose(huge.null, plain.null, atol=1e-3)


def test_the_mean_correction_gives_a_redrawn_y_its_own_rows_mean():
    """Redrawn from anywhere (a full permutation, the extreme of far neighbours), y = z + e/2 moved by
    the predicted mean's difference keeps slope 1 on its new row's z and residual sd 1/2; unmoved,
    its slope is 0. Tolerances: the slope's sampling sd is 0.5 / sqrt(1000) = 0.016 and the fitted
    mean adds up to 0.045 (seeds 0-4), so 0.1; the residual sd within 10%."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2000, 1))
    y = z + 0.5 * rng.normal(size=(2000, 1))
    mean_of_y = MeanOfY(y[1000:], z[1000:])
    z_test, y_test, order = z[:1000], y[:1000], rng.permutation(1000)
    moved = mean_of_y.shifted(y_test, mean_of_y.predict(z_test), order)
    assert abs(np.polyfit(z_test[:, 0], moved[:, 0], 1)[0] - 1) < 0.1
    assert abs(np.std(moved - z_test) - 0.5) < 0.05
    assert abs(np.polyfit(z_test[:, 0], y_test[order, 0], 1)[0]) < 0.1


def test_the_mean_correction_leaves_rows_redrawn_within_their_z_value():
    """With a discrete Z the neighbours share z, so the redrawn y is exactly y[order] (exactness)."""
    rng = np.random.default_rng(1)
    z = rng.integers(4, size=(600, 1)).astype(float)
    y = z**2 + rng.standard_t(3, size=(600, 2))
    mean_of_y = MeanOfY(y[300:], z[300:])
    order = local_permutation(z[:300], 5, 0)
    assert np.array_equal(z[:300][order], z[:300])
    assert np.array_equal(mean_of_y.shifted(y[:300], mean_of_y.predict(z[:300]), order), y[:300][order])
