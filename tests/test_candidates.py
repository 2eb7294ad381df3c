"""The candidate registry (:mod:`mine.candidates`): a family of this file's own is offered, can win,
is labelled, saved and loaded, with no edit anywhere else; what each family is offered on."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from mine import MINE
from mine.candidates import (
    CandidateCritic,
    GaussianCritic,
    TrainingRows,
    candidate_families,
    fit_candidates,
    kind_of,
    label_of,
    register_candidate,
    unregister_candidate,
)
from mine.preprocessing import NormalScores

SMALL = dict(max_steps=20, eval_every=10, hidden=(16,), batch_size=64, random_state=0)
BUILT_IN = ["gaussian", "student_t", "data_scale"]


class SquaredX(CandidateCritic):
    """A toy family: the Gaussian critic of (x^2, z), which sees a dependence of z on x^2 that no
    monotone map of each column (the copula's critics) can see."""

    family = "squared_x"

    def __init__(self, inner: GaussianCritic):
        super().__init__()
        self.inner = inner

    @classmethod
    def applies(cls, rows: TrainingRows) -> bool:
        return rows.x.shape[1] == rows.z.shape[1] == 1

    @classmethod
    def fit(cls, rows: TrainingRows) -> list[SquaredX]:
        return [cls(inner) for inner in GaussianCritic.at_ranks(rows.x**2, rows.z, [1])]

    @classmethod
    def from_state(cls, state: dict) -> SquaredX:
        return cls(GaussianCritic.from_state({k.removeprefix("inner."): v for k, v in state.items()}))

    @property
    def label(self) -> str:
        return "gaussian of x squared"

    def forward(self, x, z):
        return self.inner(x**2, z)

    def pair_scores(self, x, z):
        return self.inner.pair_scores(x**2, z)


@pytest.fixture
def squared_x():
    register_candidate(SquaredX)
    yield SquaredX
    unregister_candidate("squared_x")


def parabola(n: int, seed: int = 0):
    """z = x^2 + noise: no monotone map of each column makes this Gaussian (corr of ranks about 0)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1))
    return x, x**2 + 0.3 * rng.normal(size=(n, 1))


def test_a_family_registered_here_is_offered_wins_is_labelled_saved_and_loaded(squared_x, tmp_path):
    """2,000 rows of the parabola, 20 network steps: the built-in families see little of it (the t
    copula's radius some) and a short network less; the toy critic wins every half's selection.
    Registered after the built-in families, it is offered last."""
    assert candidate_families() == [*BUILT_IN, "squared_x"]
    x, z = parabola(2000)
    est = MINE(**SMALL).fit(x, z)
    assert est.candidates_ == (*BUILT_IN, "squared_x")
    assert est.chosen_ == [["squared_x", "squared_x"]] * 2
    assert [f.chosen for f in est.folds_] == [["gaussian of x squared"] * 2] * 2
    without = MINE(**SMALL, candidates=BUILT_IN).fit(x, z)
    assert "squared_x" not in {k for fold in without.chosen_ for k in fold}
    assert est.mi() > without.mi() + 0.3  # seed 0: 0.53 against 0.09, standard errors 0.02 and 0.01
    est.save(tmp_path / "toy.pt")
    loaded = MINE.load(tmp_path / "toy.pt")
    assert isinstance(loaded.critic_, SquaredX) and loaded.chosen_ == est.chosen_
    assert loaded.evaluate(x, z) == est.evaluate(x, z)
    unregister_candidate("squared_x")
    with pytest.raises(ValueError, match="no candidate family 'squared_x' is registered"):
        MINE.load(tmp_path / "toy.pt")
    register_candidate(SquaredX)  # for the fixture to remove


def test_a_family_that_does_not_apply_is_not_fitted(squared_x):
    """What is offered, not what won: the toy family applies to one column a side only."""
    rng = np.random.default_rng(1)
    x, z = rng.normal(size=(300, 2)), rng.normal(size=(300, 1))
    one = TrainingRows.of(x[:, :1], z)
    two = TrainingRows.of(x, z)
    assert [kind_of(c) for c in fit_candidates(["gaussian", "squared_x"], one, torch.device("cpu"))] == [
        "gaussian",
        "squared_x",
    ]
    assert [kind_of(c) for c in fit_candidates(["gaussian", "squared_x"], two, torch.device("cpu"))] == ["gaussian"]


def test_what_the_built_in_families_are_offered_on():
    """Gaussian: any fold, one critic per rank (1, 2, 3 for 3 x 4 columns); t copula: folds of normal
    scores, at rank 0 and the same ranks, where a t copula fits (heavy joint tails); data scale: folds
    of normal scores, per rank."""
    from mine.gaussian import sample_student_t

    x, z = sample_student_t(1500, 0.5, 3, nu=1.0, random_state=0)
    z = np.hstack([z, np.random.default_rng(0).normal(size=(1500, 1))])
    maps = (NormalScores().fit(x), NormalScores().fit(z))
    scores = TrainingRows.of(maps[0].transform(x), maps[1].transform(z), maps)
    offered = [(kind_of(c), c.rank) for c in fit_candidates(BUILT_IN, scores, torch.device("cpu"))]
    assert offered == [
        *(("gaussian", k) for k in (1, 2, 3)),
        *(("student_t", k) for k in (0, 1, 2, 3)),
        *(("data_scale", k) for k in (1, 2, 3)),
    ]
    raw = TrainingRows.of(x, z)  # no maps: not normal scores
    assert [(kind_of(c), c.rank) for c in fit_candidates(BUILT_IN, raw, torch.device("cpu"))] == offered[:3]


def test_labels_and_kinds_of_what_a_half_kept():
    critic = torch.nn.Linear(1, 1)
    assert (kind_of(None), label_of(None)) == ("constant", "constant")
    assert (kind_of(critic), label_of(critic)) == ("network", "network")
    gaussian = GaussianCritic.fit(TrainingRows.of(*parabola(100)))[0]
    assert (kind_of(gaussian), label_of(gaussian)) == ("gaussian", "gaussian rank 1")


def test_the_registry_takes_candidate_families_only():
    with pytest.raises(TypeError, match="subclass of CandidateCritic"):
        register_candidate(torch.nn.Linear)

    class Nameless(CandidateCritic):
        pass

    with pytest.raises(ValueError, match="Nameless.family must be a non-empty string"):
        register_candidate(Nameless)
    with pytest.raises(ValueError, match="no candidate family 'copula' is registered; registered: gaussian"):
        unregister_candidate("copula")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="candidates must be one of .* or a list of distinct names among"):
            MINE(**SMALL, candidates=["squared_x"]).fit(*parabola(300))
