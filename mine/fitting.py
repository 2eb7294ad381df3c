"""The fitting loop as functions: data in, a result out.

:func:`train_fold` trains one critic on a fold's training rows. Every ``eval_every`` steps it
evaluates the bound on both halves of the fold's held-out rows; each half keeps the step where its
value was best (:class:`BestStep`), and that step's critic is reported on the *other* half, so no
reported number is computed on the rows that chose it. Training stops when the whole held-out part
has not improved for ``patience`` evaluations (:class:`Patience`), at ``max_steps``, or when a
stream of batches ends. :func:`cross_fit` splits a source into folds, trains each and pools the
reports with their uncertainty.

Nothing here knows scikit-learn or prints: the estimators (:mod:`mine.estimator`) turn parameters
into a :class:`FitPlan`, call :func:`cross_fit`, and emit what :mod:`mine.diagnostics` finds.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from .bounds import Bound, PooledValue
from .candidates import fit_candidates, label_of
from .diagnostics import collapsed_training_error
from .distributed import all_reduce_pooled, can_pool, check_same, world
from .sources import Maps, Source
from .training import CriticTrainer, ShardedCritic
from .uncertainty import bootstrap_values, standard_error

__all__ = [
    "EVAL_BLOCK_ROWS",
    "N_BOOTSTRAP",
    "SELECTION_ROWS",
    "BestStep",
    "CrossFit",
    "FitPlan",
    "FoldResult",
    "HeldOutHalf",
    "Patience",
    "Schedule",
    "check_processes",
    "cross_fit",
    "evaluate",
    "evaluate_folds",
    "evaluation_blocks",
    "train_fold",
]

EVAL_BLOCK_ROWS = 256  # rows per evaluation block of a pooled bound (all-pairs scoring costs B^2 calls)
SELECTION_ROWS = 10_000  # at most this many rows of a held-out half are evaluated during training
N_BOOTSTRAP = 200  # draws per report: the standard error to about 5%


class Progress(Protocol):
    """What the loop tells a progress bar (tqdm's interface)."""

    total: float

    def update(self, n: float = 1) -> Any: ...

    def set_postfix(self, **values: Any) -> Any: ...


@dataclass(frozen=True)
class Schedule:
    """When the loop evaluates and when it stops.

    Parameters
    ----------
    max_steps : int
        The most training steps.
    eval_every : int
        Evaluate the held-out halves every ``eval_every`` steps (and at the last step).
    patience : int
        Stop after this many evaluations without a gain on the whole held-out part.
    """

    max_steps: int
    eval_every: int
    patience: int


@dataclass(frozen=True)
class FitPlan:
    """Everything a cross-fit needs besides the rows.

    Parameters
    ----------
    bound : Bound
        What training maximises and what is reported.
    new_critic : callable
        Returns a fresh, untrained critic (called under the fold's seed).
    schedule : Schedule
        Steps, evaluation interval, patience.
    batch_size : int
        Rows per training batch (the global batch with several processes).
    lr, weight_decay : float
        Adam's learning rate and weight decay.
    ema_rate : float or None
        Rate of the moving average in DV's gradient correction (None or 0: none).
    weight_average : float
        Decay of an exponential moving average of the critic's weights, which is evaluated,
        selected and reported instead of the last weights (0: none).
    folds : int
        Cross-fitting folds (1: one held-out part of ``heldout_fraction``).
    heldout_fraction : float
        Share held out when ``folds`` is 1.
    preprocessing : str
        The kind of per-column map fitted on each training part (a name of :mod:`mine.preprocessing`).
    dtype, device : torch.dtype, torch.device
        Precision and place of the critic and the rows.
    candidates : tuple of str
        The candidate families (:mod:`mine.candidates`) fitted on each fold's training rows and
        offered to each half's selection beside the trained steps (empty: the network alone).
    """

    bound: Bound
    new_critic: Callable[[], nn.Module]
    schedule: Schedule
    batch_size: int
    lr: float
    weight_decay: float = 0.0
    ema_rate: float | None = None
    weight_average: float = 0.0
    folds: int = 2
    heldout_fraction: float = 0.2
    preprocessing: str = "quantile"
    dtype: torch.dtype = torch.float32
    device: torch.device = torch.device("cpu")
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeldOutHalf:
    """One half of a fold's held-out rows: all of them (``rows``, where the other half's choice is
    reported) and those evaluated during training (``selection``, at most ``SELECTION_ROWS`` in
    memory). ``selection_is_every_row``: the two are the same rows, so a value computed while
    training is already the report.

    Parameters
    ----------
    rows : Source
        Every row of the half, prepared.
    selection : Source
        The rows evaluated every ``eval_every`` steps.
    selection_is_every_row : bool
        Whether ``selection`` holds every row of ``rows``, in memory.
    """

    rows: Source
    selection: Source
    selection_is_every_row: bool

    @classmethod
    def of(cls, rows: Source, max_rows: int, rng: np.random.RandomState) -> HeldOutHalf:
        """The half's rows with at most ``max_rows`` of them in memory for selection (drawn with
        ``rng`` only when the rows are read lazily or there are more)."""
        if rows.in_memory(max_rows):
            return cls(rows, rows, True)
        return cls(rows, rows.subsample(max_rows, rng), False)


@dataclass
class FoldResult:
    """One fold: the per-column maps fitted on its training part and, for each half of its held-out
    part, the critic state that half selected, reported on the other half (honest selection).

    Parameters
    ----------
    critics : list of nn.Module or None
        ``critics[h]``: the state with the best value on half h (None: the constant critic).
    maps : tuple
        The per-column maps fitted on the training rows (:meth:`mine.sources.Source.fit_maps`).
    reports : list of float
        ``reports[h]``: ``critics[h]`` on the other half.
    report_rows : list of int
        Rows of the half each report is computed on.
    n_train, n_heldout : int
        Training and held-out rows.
    best_steps : list of int
        The step each half selected (0: the constant critic or a candidate).
    chosen : list of str
        What each half selected, in words (:func:`mine.candidates.label_of`): "constant", "network"
        or a candidate's label ("gaussian rank k", "student-t rank k (nu=v)", ...).
    n_steps : int
        Training steps taken.
    stopped_early : bool
        Whether the patience rule ended training.
    collapsed : bool
        Whether the critic's scores became constant with no trained step selected.
    history : list of dict
        Per evaluation: fold, step, train, heldout, half_0, half_1.
    """

    critics: list[nn.Module | None]
    maps: Maps
    reports: list[float]
    report_rows: list[int]
    n_train: int
    n_heldout: int
    best_steps: list[int] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)
    n_steps: int = 0
    stopped_early: bool = False
    collapsed: bool = False
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def estimate(self) -> float:
        """The fold's reports weighted by their rows."""
        return float(np.average(self.reports, weights=self.report_rows))

    def summary(self) -> dict[str, Any]:
        """The plain-data fields (what ``save`` writes next to the weights and the maps)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("critics", "maps")}


@dataclass
class CrossFit:
    """The folds of a fit and what they give together.

    Parameters
    ----------
    folds : list of FoldResult
        One per fold.
    estimate : float
        Every report weighted by its rows.
    uncertainty : dict
        ``se``, ``se_bootstrap``, ``se_training`` (:func:`mine.uncertainty.standard_error`).
    null : ndarray or None
        With ``n_permutations``: the estimate recomputed on each permutation of the second input's
        held-out rows (the same critics, pooled the same way).
    """

    folds: list[FoldResult]
    estimate: float
    uncertainty: dict[str, float]
    null: np.ndarray | None = None


class BestStep:
    """The best evaluation of one selection half so far: its value, step, a copy of the critic and
    that critic's value on the other half (``other_value``, when it was computed with it).

    It starts at step 0 with the constant critic (None), whose bound is ``floor`` exactly (0 for
    MI: T = const gives DV = 0): a critic is chosen only if it beats it on the selection rows.
    """

    def __init__(self, floor: float):
        self.value, self.step, self.critic, self.other_value = floor, 0, None, None

    def consider(self, value: float, step: int, critic: nn.Module, other_value: float | None = None) -> None:
        """Keep a copy of ``critic`` when ``value`` beats the best so far (a tie keeps the earlier)."""
        if value > self.value:
            self.value, self.step, self.other_value = value, step, other_value
            self.critic = copy.deepcopy(critic)


class Patience:
    """The stopping rule: stop after ``patience`` evaluations in a row without a new best value."""

    def __init__(self, patience: int):
        self.patience, self.best, self.without_gain = patience, -math.inf, 0

    def should_stop(self, value: float) -> bool:
        """Record an evaluation; whether training should stop now."""
        if value > self.best:
            self.best, self.without_gain = value, 0
            return False
        self.without_gain += 1
        return self.without_gain >= self.patience


@contextlib.contextmanager
def _evaluating(critic: nn.Module):
    """The critic in eval mode without gradients, its training mode restored after."""
    was_training = critic.training
    critic.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        critic.train(was_training)


def evaluation_blocks(source: Source, bound: Bound, batch_size: int, shard: bool = False) -> Sequence:
    """Evaluation blocks of ``source``: InfoNCE is defined per batch, so its blocks are batches; the
    other bounds pool all blocks' scores, so their blocks stop at ``EVAL_BLOCK_ROWS`` rows (all-pairs
    scoring costs B^2 critic calls per block: a concat critic at B = 1,024 would need gigabytes).
    With several processes and ``shard`` (inside a fit) each rank gets its share of the blocks, when
    the bound pools.

    Parameters
    ----------
    source : Source
        Prepared rows.
    bound : Bound
        The bound evaluated on the blocks.
    batch_size : int
        The training batch.
    shard : bool
        Only this rank's share of the blocks.

    Returns
    -------
    A list of blocks, or a re-iterable of blocks read lazily.
    """
    rows = batch_size if bound.needs_matrix else min(batch_size, EVAL_BLOCK_ROWS)
    return source.blocks(rows, world() if shard and can_pool(bound) else (0, 1))


def evaluate(
    critic: nn.Module,
    source: Source,
    bound: Bound,
    blocks: Sequence,
    across_ranks: bool = False,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """The bound on evaluation blocks, every block's scores pooled. ``across_ranks`` (inside a fit,
    with blocks from ``evaluation_blocks(shard=True)``): the ranks' pooled sums added. After a fit
    nothing is collective, so one rank alone may evaluate.

    Parameters
    ----------
    critic : nn.Module
        The critic, put in eval mode without gradients while it scores.
    source : Source
        Prepared rows.
    bound : Bound
        What is computed from the scores.
    blocks : sequence
        From :func:`evaluation_blocks`.
    across_ranks : bool
        Add the ranks' pooled sums.
    device : torch.device or str
        Where the sums are reduced.

    Returns
    -------
    Tensor
        The pooled bound.
    """
    pooled = PooledValue(bound)
    with _evaluating(critic):
        for block in blocks:
            pooled.add(source.eval_scores(critic, block))
    if across_ranks and can_pool(bound):
        all_reduce_pooled(pooled, device)
    return pooled.value()


def _scores_constant(critic: nn.Module, source: Source, bound: Bound, batch_size: int) -> bool:
    """Whether the critic gives every pair of ``source``'s first evaluation block the same score,
    |max S - min S| <= 1e-6 (1 + max |S|): a critic whose units died. The block is read whole on
    every rank (the same rows and weights), so all ranks agree."""
    with _evaluating(critic):
        scores = source.eval_scores(critic, evaluation_blocks(source, bound, batch_size)[0])
    values = torch.cat([scores.joint.flatten(), scores.marginal.flatten()])
    if not bool(torch.isfinite(values).all()):
        return False  # the NaN check reports non-finite values
    return float(values.max() - values.min()) <= 1e-6 * (1 + float(values.abs().max()))


class _Evaluations:
    """The loop's evaluations of one fold: both halves' values, the best step of each, the stopping
    rule and the history."""

    def __init__(self, plan: FitPlan, halves: Sequence[HeldOutHalf], fold: int):
        self.plan, self.halves, self.fold = plan, halves, fold
        self.blocks = [evaluation_blocks(half.selection, plan.bound, plan.batch_size, shard=True) for half in halves]
        self.sizes = [half.selection.n_rows for half in halves]
        self.best = (BestStep(plan.bound.floor), BestStep(plan.bound.floor))
        self.patience = Patience(plan.schedule.patience)
        self.history: list[dict[str, float]] = []

    def _values(self, critic: nn.Module) -> list[float]:
        plan = self.plan
        return [
            float(evaluate(critic, half.selection, plan.bound, blocks, across_ranks=True, device=plan.device))
            for half, blocks in zip(self.halves, self.blocks)
        ]

    def offer(self, candidates: Sequence[nn.Module]) -> None:
        """Fixed critics (no training) each half may select at step 0; the stopping rule ignores them."""
        for candidate in candidates:
            values = self._values(candidate)
            if all(math.isfinite(v) for v in values):
                for h, best in enumerate(self.best):
                    best.consider(values[h], 0, candidate, values[1 - h])

    def record(self, critic: nn.Module, step: int, train_value: float) -> bool:
        """Evaluate ``critic`` at ``step`` on both halves, update each half's best step and the
        history; whether the stopping rule says stop."""
        plan = self.plan
        values = self._values(critic)
        if not all(math.isfinite(v) for v in (*values, train_value)):
            raise FloatingPointError(
                f"training diverged: the {plan.bound.name} estimate became NaN or infinite by "
                f"step {step}; try a smaller learning rate (lr={plan.lr:g}, e.g. lr={plan.lr / 10:g})"
            )
        heldout = float(np.average(values, weights=self.sizes))
        self.history.append(
            {
                "fold": self.fold,
                "step": step,
                "train": train_value,
                "heldout": heldout,
                "half_0": values[0],
                "half_1": values[1],
            }
        )
        for h, best in enumerate(self.best):
            best.consider(values[h], step, critic, values[1 - h])
        return self.patience.should_stop(heldout)

    def report(self, h: int) -> tuple[nn.Module | None, float]:
        """Half h's chosen critic (None: the constant one) and its value on the other half."""
        best, other, plan = self.best[h], self.halves[1 - h], self.plan
        if best.critic is None:
            return None, plan.bound.floor
        chosen = best.critic
        if other.selection_is_every_row:  # computed when it was considered
            return chosen, best.other_value
        blocks = evaluation_blocks(other.rows, plan.bound, plan.batch_size, shard=True)
        return chosen, float(evaluate(chosen, other.rows, plan.bound, blocks, across_ranks=True, device=plan.device))

    def result(self, critic: nn.Module, train: Source, steps: int, stopped_early: bool, maps: Maps) -> FoldResult:
        """The fold's result after ``steps`` steps: each half's choice reported on the other half, or
        the constant critic everywhere when no half chose a trained step and the scores of
        ``critic`` became constant (collapsed: an error, even where a candidate was chosen)."""
        plan, halves = self.plan, self.halves
        collapsed = all(best.step == 0 for best in self.best) and _scores_constant(
            critic, halves[0].selection, plan.bound, plan.batch_size
        )
        chosen = [(None, plan.bound.floor)] * 2 if collapsed else [self.report(h) for h in (0, 1)]
        n_train = train.n_rows if train.n_rows is not None else steps * train.rows_per_batch(plan.batch_size)
        return FoldResult(
            critics=[chosen_critic for chosen_critic, _ in chosen],
            maps=maps,
            reports=[report for _, report in chosen],
            report_rows=[half.rows.n_rows for half in halves[::-1]],
            n_train=n_train,
            n_heldout=sum(half.rows.n_rows for half in halves),
            best_steps=[best.step for best in self.best],
            chosen=[label_of(chosen_critic) for chosen_critic, _ in chosen],
            n_steps=steps,
            stopped_early=stopped_early,
            collapsed=collapsed,
            history=self.history,
        )


def _update_average(average: AveragedModel, critic: nn.Module) -> None:
    """One step of the weights' moving average; buffers (running statistics, counters) follow the
    live critic's instead of being averaged."""
    average.update_parameters(critic)
    with torch.no_grad():
        for kept, live in zip(average.module.buffers(), critic.buffers()):
            kept.copy_(live)


def train_fold(
    plan: FitPlan,
    train: Source,
    halves: tuple[HeldOutHalf, HeldOutHalf],
    seed: int,
    fold: int = 0,
    progress: Progress | None = None,
    maps: Maps = (),
) -> FoldResult:
    """Train one critic on ``train`` (prepared rows) and report it honestly on ``halves``.

    The critic is ``plan.new_critic()`` under ``torch.manual_seed(seed)``, batches are drawn with a
    generator seeded by ``seed``. Before the first step each half considers the candidates of
    ``plan.candidates`` fitted on ``train`` (:mod:`mine.candidates`), as step 0. Evaluations happen
    every ``eval_every`` steps, at ``max_steps`` and where a stream of batches ends; each half keeps
    its best step (:class:`BestStep`) and the other half reports it; :class:`Patience` on the
    rows-weighted mean of both halves stops early.

    Parameters
    ----------
    plan : FitPlan
        Bound, critic factory, schedule and optimiser settings.
    train, halves : Source, (HeldOutHalf, HeldOutHalf)
        Training rows and the held-out halves, prepared (a stream's ``n_train``: the rows it gave).
    seed, fold : int
        Seed of the initial weights and of the batches; the fold's number in the history.
    progress : tqdm-like or None
        Told of every step and evaluation.
    maps : tuple
        The per-column maps ``train`` was prepared with (:meth:`~mine.sources.Source.fit_maps`): what
        candidates that read the data's own values invert, kept in the result.

    Returns
    -------
    FoldResult
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        critic = plan.new_critic().to(device=plan.device, dtype=plan.dtype)
    generator = torch.Generator().manual_seed(seed)
    scorer = ShardedCritic(critic) if world()[1] > 1 else critic  # each rank scores its shard
    trainer = CriticTrainer(scorer, plan.bound, plan.lr, plan.weight_decay, plan.ema_rate)
    average = (
        AveragedModel(critic, multi_avg_fn=get_ema_multi_avg_fn(plan.weight_average)) if plan.weight_average else None
    )
    evaluated = critic if average is None else average.module  # what is evaluated, selected, reported
    evaluations = _Evaluations(plan, halves, fold)
    if plan.candidates:
        evaluations.offer(fit_candidates(plan.candidates, train.training_rows(maps), plan.device))
    max_steps, every = plan.schedule.max_steps, plan.schedule.eval_every

    train_sum = torch.zeros((), dtype=plan.dtype, device=plan.device)
    train_count, step, stopped_early = 0, 0, False
    for step, batch in enumerate(islice(train.batches(plan.batch_size, generator), max_steps), start=1):
        train_sum += trainer.step(train.scores(scorer, batch, generator))
        if average is not None:
            _update_average(average, critic)
        train_count += 1
        if progress is not None:
            progress.update(1)
        if step % every and step != max_steps:
            continue
        stopped_early = evaluations.record(evaluated, step, float(train_sum) / train_count)
        train_sum.zero_()
        train_count = 0
        if stopped_early:
            break
        if progress is not None:
            progress.set_postfix(fold=fold, heldout=f"{evaluations.history[-1]['heldout']:.4f}")
    if step == 0:
        raise ValueError(f"too few samples: the stream gave no training batch of {plan.batch_size} rows")
    if train_count:  # a stream ended between evaluations: evaluate its last step
        stopped_early = evaluations.record(evaluated, step, float(train_sum) / train_count)

    return evaluations.result(evaluated, train, step, stopped_early, maps)


def check_processes(source: Source, batch_size: int) -> None:
    """With several processes (:mod:`mine.distributed`): the same rows on every rank, a batch that
    splits evenly over the ranks, and no stream (a stream's batches differ between ranks).

    Parameters
    ----------
    source : Source
        The fit's rows.
    batch_size : int
        The global batch.
    """
    size = world()[1]
    if size == 1:
        return
    if source.streaming:
        raise ValueError(
            "a stream of batches cannot be shared across processes: pass every process the same arrays, "
            "memory-mapped arrays or map-style Dataset"
        )
    if batch_size % size:
        raise ValueError(f"batch_size={batch_size} is the global batch and must split evenly over the {size} processes")
    check_same(source.fingerprint(1000), "the rows (count, or checksum of the first 1,000)")


def _bootstrap(plan: FitPlan, critic: nn.Module | None, source: Source, generator: torch.Generator) -> np.ndarray:
    """Bootstrap draws of a critic's pooled bound on a source (rows resampled within blocks); the
    constant critic (None) has the floor on every draw."""
    if critic is None:
        return np.full(N_BOOTSTRAP, plan.bound.floor)
    critic.eval()
    with torch.no_grad():  # one block's scores in memory at a time
        blocks = (source.eval_scores(critic, b) for b in evaluation_blocks(source, plan.bound, plan.batch_size))
        return bootstrap_values(plan.bound, blocks, N_BOOTSTRAP, generator).cpu().numpy()


def _permutation_null(
    plan: FitPlan, critic: nn.Module | None, rows: Source, draws: int, generator: torch.Generator
) -> np.ndarray:
    """A report recomputed ``draws`` times with the second input's rows permuted: under independence
    the joint pairs of held-out rows are exchangeable with permuted ones, and the critic never saw
    these rows, so the observed report is one more draw of the same law (the constant critic: the
    floor every time)."""
    if critic is None:
        return np.full(draws, plan.bound.floor)
    values = np.empty(draws)
    for d in range(draws):
        permuted = rows.shuffled(torch.randperm(rows.n_rows, generator=generator))
        values[d] = float(
            evaluate(critic, permuted, plan.bound, evaluation_blocks(permuted, plan.bound, plan.batch_size))
        )
    return values


def cross_fit(
    plan: FitPlan,
    source: Source,
    rng: np.random.RandomState,
    progress: Progress | None = None,
    n_permutations: int = 0,
) -> CrossFit:
    """Train one critic per fold of ``source`` and pool the folds' cross-selected reports, weighted
    by their rows, with a standard error (a bootstrap over report rows and the reports' spread).

    ``rng`` draws, in this order: the folds (``Source.split``), one seed per fold, the halving of
    each held-out part, and the bootstrap's seed; each fold's seed then draws the rows it selects
    on when a half is read lazily or is larger than ``SELECTION_ROWS``.

    Parameters
    ----------
    plan : FitPlan
        What to train and how.
    source : Source
        The rows (paired samples or two samples), not yet preprocessed.
    rng : RandomState
        The fit's random state (the same on every rank with several processes).
    progress : tqdm-like or None
        A bar of ``max_steps`` per fold; its total shrinks when a fold stops early.
    n_permutations : int
        Permutations of each report's rows for a null distribution of the estimate (0: none; rows in
        memory only).

    Returns
    -------
    CrossFit
    """
    check_processes(source, plan.batch_size)
    splits = source.split(plan.folds, plan.heldout_fraction, rng, min_train=plan.batch_size, min_heldout=4)
    seeds = rng.randint(0, 2**31 - 1, size=len(splits))
    halvings = [heldout.split(2, 0.5, rng)[0] for _, heldout in splits]
    bootstrap = torch.Generator().manual_seed(int(rng.randint(0, 2**31 - 1)))
    folds: list[FoldResult] = []
    draws, nulls = [], []
    for k, ((train, _), halving, seed) in enumerate(zip(splits, halvings, seeds)):
        maps = train.fit_maps(plan.preprocessing)
        rows = [part.prepared(maps, plan.dtype, plan.device) for part in halving]
        selection_rng = np.random.RandomState(int(seed))  # draws the selection rows of a large half
        halves = tuple(HeldOutHalf.of(part, SELECTION_ROWS, selection_rng) for part in rows)
        prepared = train.prepared(maps, plan.dtype, plan.device)
        fold = train_fold(plan, prepared, halves, int(seed), k, progress, maps)
        if fold.collapsed:
            raise collapsed_training_error(fold.history[-1]["heldout"], plan.bound.floor, plan.lr)
        folds.append(fold)
        if progress is not None:
            progress.total -= plan.schedule.max_steps - fold.n_steps  # early stop: shrink the bar
        draws += [_bootstrap(plan, critic, rows[1 - h], bootstrap) for h, critic in enumerate(fold.critics)]
        if n_permutations:  # its own stream: the estimate's draws are the same with or without a test
            orders = torch.Generator().manual_seed(int(seed) + 1)
            nulls += [
                _permutation_null(plan, c, rows[1 - h], n_permutations, orders) for h, c in enumerate(fold.critics)
            ]
    reports = [r for f in folds for r in f.reports]
    rows_of_reports = [n for f in folds for n in f.report_rows]
    fold_of_report = [k for k, f in enumerate(folds) for _ in f.reports]  # a fold's halves share its training
    uncertainty = standard_error(reports, rows_of_reports, np.stack(draws, axis=1), fold_of_report)
    null = np.average(np.stack(nulls, axis=1), axis=1, weights=rows_of_reports) if nulls else None
    return CrossFit(folds, float(np.average(reports, weights=rows_of_reports)), uncertainty, null)


def evaluate_folds(plan: FitPlan, folds: Sequence[FoldResult], source: Source) -> float:
    """Every selected critic of ``folds`` on new rows (``source``, not yet preprocessed) with its
    fold's maps, averaged; the constant critic counts as the bound's floor.

    Parameters
    ----------
    plan : FitPlan
        The fit's bound, batch size, dtype and device.
    folds : sequence of FoldResult
        The fitted folds.
    source : Source
        The new rows.

    Returns
    -------
    float
    """
    values = []
    for fold in folds:
        prepared = source.prepared(fold.maps, plan.dtype, plan.device)
        blocks = evaluation_blocks(prepared, plan.bound, plan.batch_size)
        values += [
            plan.bound.floor if critic is None else float(evaluate(critic, prepared, plan.bound, blocks))
            for critic in fold.critics
        ]
    return float(np.mean(values))
