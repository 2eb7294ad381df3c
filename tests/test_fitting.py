"""The fitting loop on its own (mine.fitting): a scripted critic whose held-out value at every step
is known, so the selection across halves, the stopping rule and the ends of training are checked
against values written in the test, not against another run."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from mine import MINE
from mine.bounds import get_bound
from mine.critics import all_pair_scores
from mine.fitting import (
    BestStep,
    FitPlan,
    HeldOutHalf,
    Patience,
    Schedule,
    cross_fit,
    train_fold,
)
from mine.gaussian import sample_correlated
from mine.sources import PairedSource, paired_source

ROWS = 24  # rows of each held-out half; blocks of at most 256 rows: one block each


class ScriptedCritic(nn.Module):
    """On rows whose x is h, a critic that has taken t training steps scores every joint pair
    ``script[h][t]`` and every other pair 0, so its DV (and NWJ + 1) there is exactly ``script[h][t]``.
    A training step moves one weight (Adam has a gradient) and counts itself in a buffer, which the
    selected state keeps."""

    def __init__(self, script):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros((), dtype=torch.float64))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))
        self.register_buffer("script", torch.tensor(script, dtype=torch.float64))

    def forward(self, x, z):
        eye = torch.eye(x.shape[0], dtype=x.dtype)
        if self.training:
            self.steps += 1
            return self.weight * eye
        return self.script[x[0, 0].long(), self.steps].to(x.dtype) * eye


def rows(label: int, n: int = ROWS) -> PairedSource:
    """n paired rows whose x column is ``label`` (the script row the critic reads)."""
    return PairedSource(torch.full((n, 1), float(label), dtype=torch.float64), torch.randn(n, 1, dtype=torch.float64))


class FiniteStream:
    """A training source that gives ``n`` batches and ends (as a stream of batches does)."""

    n_rows = None  # unknown, as a stream's

    def __init__(self, n: int):
        self.n = n

    def rows_per_batch(self, size: int) -> int:
        return size

    def batches(self, size, generator):
        return iter([(torch.full((8, 1), 2.0, dtype=torch.float64), torch.randn(8, 1, dtype=torch.float64))] * self.n)

    def scores(self, critic, batch, generator=None):
        return all_pair_scores(critic, *batch)


def plan_for(script, max_steps: int, eval_every: int = 1, patience: int = 100) -> FitPlan:
    return FitPlan(
        bound=get_bound("dv"),
        new_critic=lambda: ScriptedCritic(script),
        schedule=Schedule(max_steps, eval_every, patience),
        batch_size=8,
        lr=1e-3,
        dtype=torch.float64,
    )


def halves(first: int = 0, second: int = 1) -> tuple[HeldOutHalf, HeldOutHalf]:
    return tuple(HeldOutHalf.of(rows(label), 10_000, np.random.RandomState(0)) for label in (first, second))


def fit_script(script, max_steps: int, train=None, held_out=None, **schedule):
    plan = plan_for(script, max_steps, **schedule)
    return train_fold(plan, train if train is not None else rows(2, 64), held_out or halves(), seed=0)


def test_each_half_reports_the_step_the_other_half_chose():
    half_0 = [0.0, 0.1, 0.5, 0.3, 0.2, 0.2, 0.1]  # best at step 2
    half_1 = [0.0, 0.2, 0.1, 0.6, 0.1, 0.4, 0.0]  # best at step 3
    fold = fit_script([half_0, half_1], max_steps=6)
    assert fold.best_steps == [2, 3]
    assert fold.reports == pytest.approx([half_1[2], half_0[3]], abs=1e-12)  # each on the other half
    assert fold.report_rows == [ROWS, ROWS]
    assert [row["step"] for row in fold.history] == [1, 2, 3, 4, 5, 6]
    assert [row["half_0"] for row in fold.history] == pytest.approx(half_0[1:], abs=1e-12)
    assert [int(c.steps) for c in fold.critics] == [2, 3]  # the selected states, restored
    assert fold.estimate == pytest.approx((0.1 + 0.3) / 2)
    assert not fold.stopped_early and fold.n_steps == 6


def test_a_tie_keeps_the_earlier_step_and_no_gain_over_the_floor_keeps_the_constant_critic():
    fold = fit_script([[0.0, 0.4, 0.4, 0.4], [0.0, -0.1, -0.2, 0.0]], max_steps=3)
    assert fold.best_steps == [1, 0]
    assert fold.critics[1] is None and fold.reports[1] == 0.0  # DV's floor: T = const gives 0
    assert fold.reports[0] == pytest.approx(-0.1, abs=1e-12)  # half 0's step 1 on half 1
    assert not fold.collapsed  # half 0 chose a trained step


def test_scores_that_stay_constant_mark_the_fold_collapsed():
    fold = fit_script([[0.0] * 5, [0.0] * 5], max_steps=4)
    assert fold.collapsed and fold.critics == [None, None] and fold.reports == [0.0, 0.0]


def test_patience_counts_evaluations_on_both_halves_together():
    # the mean of the halves peaks at step 4 (eval_every 2): two evaluations without a gain stop it
    up_down = [0.0, 0.1, 0.2, 0.3, 0.5, 0.4, 0.45, 0.3, 0.3, 0.7, 0.8]
    fold = fit_script([up_down, up_down], max_steps=10, eval_every=2, patience=2)
    assert [row["step"] for row in fold.history] == [2, 4, 6, 8]
    assert fold.stopped_early and fold.n_steps == 8 and fold.best_steps == [4, 4]


def test_patience_rule_alone():
    rule = Patience(2)
    assert [rule.should_stop(v) for v in (1.0, 0.5, 2.0, 2.0, 1.0)] == [False, False, False, False, True]


def test_best_step_keeps_a_copy_of_the_critic():
    critic = nn.Linear(1, 1)
    best = BestStep(floor=0.0)
    best.consider(-1.0, 1, critic)
    assert best.step == 0 and best.critic is None
    best.consider(0.5, 2, critic, other_value=0.4)
    with torch.no_grad():
        critic.weight.fill_(7.0)
    assert best.step == 2 and float(best.critic.weight) != 7.0 and best.other_value == 0.4


def test_the_last_step_is_evaluated_when_max_steps_is_off_the_interval():
    fold = fit_script([[0.1 * t for t in range(8)]] * 2, max_steps=7, eval_every=3)
    assert [row["step"] for row in fold.history] == [3, 6, 7]
    assert fold.best_steps == [7, 7]


def test_a_stream_that_ends_is_evaluated_at_its_last_step():
    fold = fit_script([[0.1 * t for t in range(101)]] * 2, max_steps=100, train=FiniteStream(5), eval_every=2)
    assert [row["step"] for row in fold.history] == [2, 4, 5]
    assert fold.n_steps == 5 and not fold.stopped_early
    assert fold.n_train == 5 * 8  # the rows its batches took


def test_a_stream_with_no_batch_is_an_error():
    with pytest.raises(ValueError, match="too few samples: the stream gave no training batch of 8 rows"):
        fit_script([[0.0] * 3] * 2, max_steps=2, train=FiniteStream(0))


def test_a_non_finite_value_stops_training_with_the_step():
    with pytest.raises(FloatingPointError, match="became NaN or infinite by step 2.*lr=0.0001"):
        fit_script([[0.0, 0.1, math.nan, 0.2]] * 2, max_steps=3)


def test_a_subsampled_half_is_reported_on_all_its_rows():
    # the selection rows of each half read script rows 0 and 1; all rows of each half read rows 2 and 3
    script = [[0.0, 0.5, 0.1], [0.0, 0.1, 0.6], [0.0, 0.01, 0.02], [0.0, 0.03, 0.04]]
    subsampled = tuple(HeldOutHalf(rows(label + 2, 50), rows(label), False) for label in (0, 1))
    fold = fit_script(script, max_steps=2, train=rows(0, 64), held_out=subsampled)
    assert fold.best_steps == [1, 2]
    assert fold.reports == pytest.approx([script[3][1], script[2][2]], abs=1e-12)
    assert fold.report_rows == [50, 50]


def test_held_out_half_subsamples_only_what_is_larger_than_the_selection_rows():
    small = HeldOutHalf.of(rows(0, 30), 30, np.random.RandomState(0))
    assert small.selection_is_every_row and small.selection is small.rows
    large = HeldOutHalf.of(rows(0, 31), 30, np.random.RandomState(0))
    assert not large.selection_is_every_row and large.selection.n_rows == 30 and large.rows.n_rows == 31


def test_cross_fit_is_what_the_estimator_reports():
    x, z = sample_correlated(600, rho=0.8, dim=1, random_state=0)
    params = dict(max_steps=40, eval_every=10, batch_size=64, hidden=(16,), critic="separable", random_state=0)
    est = MINE(**params).fit(x, z)
    result = cross_fit(est._plan(), paired_source(x, z), np.random.RandomState(0))
    assert result.estimate == est.estimate_ and result.uncertainty == est.uncertainty_
    assert [f.best_steps for f in result.folds] == [f.best_steps for f in est.folds_]


class WeightCritic(nn.Module):
    """S = w I on every batch: DV's gradient raises w, and the held-out DV is w itself."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, x, z):
        return self.weight * torch.eye(x.shape[0], dtype=x.dtype)


def test_a_weight_average_is_what_is_evaluated():
    def run(decay):
        plan = FitPlan(
            get_bound("dv"), WeightCritic, Schedule(6, 1, 100), 8, 0.1, weight_average=decay, dtype=torch.float64
        )
        return [row["half_0"] for row in train_fold(plan, rows(2, 64), halves(), seed=0).history]

    live, averaged = run(0.0), run(0.9)
    assert live == sorted(live) and live[-1] > live[0]  # w climbs
    expected = [live[0]]
    for w in live[1:]:
        expected.append(0.9 * expected[-1] + 0.1 * w)
    assert averaged == pytest.approx(expected, rel=1e-9)
