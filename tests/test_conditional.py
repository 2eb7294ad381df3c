"""ConditionalMI: I(X; Y | Z) by the chain rule on two MINE fits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _triples import triple
from sklearn.base import clone

from mine import MINE, ConditionalMI

FAST = MINE(max_steps=600, hidden=(64, 64), batch_size=128, lr=1e-3, random_state=0)


def test_chain_rule_meets_the_truth_and_reads_zero_under_conditional_independence():
    # seeds 0-2 read 0.317, 0.346, 0.341 (se 0.024-0.039) and -0.003, -0.005, -0.001 under
    # independence: 4 standard errors either side
    cmi = ConditionalMI(FAST).fit(*triple(0))
    assert abs(cmi.mi() - 0.5 * math.log(2)) < 4 * cmi.se_
    null = ConditionalMI(FAST).fit(*triple(0, dependent=False))
    assert abs(null.mi()) < 4 * null.se_ and null.mi_lower() == 0.0


def test_both_terms_share_rows_folds_and_seed():
    x, y, z = triple(1, n=600)
    cmi = ConditionalMI(clone(FAST).set_params(max_steps=20, eval_every=10)).fit(x, y, z)
    assert cmi.joint_.x_dim_ == 1 and cmi.joint_.z_dim_ == 2 and cmi.given_.z_dim_ == 1
    assert cmi.estimate_ == cmi.joint_.estimate_ - cmi.given_.estimate_
    assert cmi.se_ == pytest.approx(math.hypot(cmi.joint_.se_, cmi.given_.se_))
    assert [f.n_train for f in cmi.joint_.folds_] == [f.n_train for f in cmi.given_.folds_]
    unseeded = ConditionalMI(MINE(max_steps=20, eval_every=10, hidden=(8,), batch_size=64)).fit(x, y, z)
    assert unseeded.joint_.random_state == unseeded.given_.random_state is not None
    assert cmi.mi("bits") == pytest.approx(cmi.mi() / math.log(2))
    assert cmi.mi_lower(units="bits") == pytest.approx(cmi.mi_lower() / math.log(2))
    assert cmi.get_params()["estimator__lr"] == 1e-3
    seeded = ConditionalMI(clone(FAST).set_params(max_steps=20, eval_every=10), random_state=5).fit(x, y, z)
    assert seeded.joint_.random_state == seeded.given_.random_state == 5


@pytest.mark.parametrize(
    "args,message",
    [
        (
            (np.zeros((10, 1)), np.zeros((10, 1)), np.zeros((9, 1))),
            "same number of rows \\(samples\\), got 10, 10 and 9",
        ),
        ((np.zeros((10, 1)), np.full((10, 1), np.nan), np.zeros((10, 1))), "y contains NaN"),
        ((np.arange(10.0), np.zeros(10), np.c_[np.ones(10), np.arange(10.0)]), "z holds a copy of x .*: 0, 1"),
    ],
)
def test_bad_triples_are_named(args, message):
    with pytest.raises(ValueError, match=message):
        ConditionalMI(FAST).fit(*args)


def test_a_copy_of_x_is_a_warning_where_the_quantity_is_infinite_and_an_error_where_it_is_zero():
    """The rule for copied columns (mine.diagnostics.data_findings), in both estimators: a copy of x in
    y makes I(X; Y | Z) infinite (as one in z makes I(X; Z)), a warning with a finite estimate, said
    once; a copy in z makes I(X; Y | Z) zero while both chain-rule terms are infinite, an error."""
    x, y, z = triple(6, n=600)
    small = clone(FAST).set_params(max_steps=20, eval_every=10)
    infinite = "x and y share 1 identical column.*I\\(X; Y \\| Z\\) of continuous data with a copy is infinite"
    with pytest.warns(UserWarning, match=infinite) as caught:
        cmi = ConditionalMI(small).fit(x, np.hstack([y, x]), z)
    assert np.isfinite(cmi.mi()) and sum("identical column" in str(w.message) for w in caught) == 1
    with pytest.warns(UserWarning, match="x and z share 1 identical column.*the MI of continuous data"):
        MINE(**small.get_params()).fit(x, np.hstack([z, x]))
    with pytest.raises(ValueError, match="z holds a copy of x .*I\\(X; Y \\| Z\\) = 0"):
        ConditionalMI(small).fit(x, y, np.hstack([z, x]))


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="ConditionalMI: method must be one of 'chain'"):
        ConditionalMI(method="direct").fit(*triple(0, n=100))


def test_conditional_mi_saves_and_loads(tmp_path):
    x, y, z = triple(2, n=800)
    cmi = ConditionalMI(clone(FAST).set_params(max_steps=60, eval_every=20)).fit(x, y, z)
    cmi.save(tmp_path / "cmi.pt")
    loaded = ConditionalMI.load(tmp_path / "cmi.pt")
    assert loaded.mi() == cmi.mi() and loaded.se_ == cmi.se_ and loaded.mi_lower() == cmi.mi_lower()
    joint = np.hstack([y, z])
    assert loaded.joint_.evaluate(x, joint) == cmi.joint_.evaluate(x, joint)
    assert loaded.given_.evaluate(x, z) == cmi.given_.evaluate(x, z)
    assert loaded.estimator.get_params()["lr"] == 1e-3
    with pytest.raises(ValueError, match="holds a ConditionalMI, not a MINE"):
        MINE.load(tmp_path / "cmi.pt")
    with pytest.raises(ValueError, match="holds a MINE, not a ConditionalMI"):
        cmi.joint_.save(tmp_path / "mine.pt")
        ConditionalMI.load(tmp_path / "mine.pt")
