"""The fitting loop and the estimators built on it: MINE for I(X; Z), DivergenceEstimator for D(P || Q).

``_VariationalEstimator`` owns what every estimator shares: parameter validation (once, when
``fit`` starts), the fitting loop (per fold: fit the preprocessing on the training part, train a
critic with :class:`~mine.training.CriticTrainer`, evaluate on the held-out part every
``eval_every`` steps, stop early, restore the best critic), the combined estimate, and save/load.
A subclass says which data source its inputs make (:mod:`mine.sources`), which critic it builds and
which bound it uses.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils import check_random_state
from torch import nn
from tqdm.auto import tqdm

from ._validation import (
    DTYPES,
    Boolean,
    Instance,
    Integer,
    Options,
    PositiveInts,
    Real,
    resolve_device,
    resolve_dtype,
    validate_params,
)
from .bounds import Bound, PooledValue, available_bounds, bound_parameters, get_bound
from .critics import ACTIVATIONS, CRITICS, ScalarCritic, build_critic
from .distributed import (
    ShardedCritic,
    all_reduce_pooled,
    can_pool,
    check_same,
    common_seed,
    is_main_process,
    world,
)
from .divergences import Divergence
from .preprocessing import PREPROCESSORS, transformer_from_state, transformer_state
from .sources import (
    NEGATIVES,
    PairedSource,
    Source,
    TwoSampleSource,
    paired_source,
    shared_columns,
    tied_columns,
    two_sample_source,
)
from .training import CriticTrainer
from .uncertainty import bootstrap_values, normal_interval, standard_error

__all__ = ["MINE", "DivergenceEstimator", "ImplausibleEstimateError", "divergence", "mutual_information"]

UNITS = {"nats": 1.0, "bits": 1.0 / math.log(2.0)}
EVAL_BLOCK_ROWS = 256
SELECTION_ROWS = 10_000  # at most this many rows of a held-out half are evaluated during training
FAILED_TRAINING_NATS = 1.0  # a half whose best trained value stays this far below the floor: an error
LOG_N_WARNING = 0.8  # warn when a DV/NWJ-type estimate passes this share of log(rows of one report)
N_BOOTSTRAP = 200  # draws per report: the standard error to about 5%
POSITIVE = Real(0, math.inf, "neither")


class ImplausibleEstimateError(FloatingPointError):
    """A fit whose held-out estimate cannot be right (far below the value for independent data)."""


def _to_units(value: float, units: str) -> float:
    if units not in UNITS:
        raise ValueError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
    return value * UNITS[units]


@dataclass
class _Fold:
    """One fold: the preprocessing fitted on its training part and, for each half of its held-out
    part, the critic state that half selected, reported on the other half (honest selection)."""

    critics: list[nn.Module | None]  # critics[h]: the state with the best value on half h (None: constant)
    preprocessing: tuple
    reports: list[float]  # reports[h]: critics[h] on the other half
    report_rows: list[int]  # rows of the half each report is computed on
    n_train: int
    n_heldout: int
    best_steps: list[int] = field(default_factory=list)
    n_steps: int = 0
    stopped_early: bool = False
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def estimate(self) -> float:
        """The fold's reports weighted by their rows."""
        return float(np.average(self.reports, weights=self.report_rows))

    def summary(self) -> dict[str, Any]:
        """The plain-data fields (what save() writes next to the weights and the preprocessing)."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("critics", "preprocessing")
        }


class _Selection:
    """Early-stopping bookkeeping for one selection half: best value, its step and state, staleness.

    It starts at step 0 with the constant critic (no state), whose bound is ``floor`` exactly (0 for
    MI: T = const gives DV = 0): a trained step is chosen only if it beats it on the selection rows.
    """

    def __init__(self, floor: float):
        self.value, self.step, self.state, self.stale = floor, 0, None, 0

    def offer(self, value: float, step: int, critic: nn.Module) -> None:
        if value > self.value:
            self.value, self.step, self.stale = value, step, 0
            self.state = copy.deepcopy(critic.state_dict())
        else:
            self.stale += 1


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


def column_names(data) -> np.ndarray | None:
    """A DataFrame's column names when all are strings (scikit-learn's ``feature_names_in_`` rule), else None."""
    columns = getattr(data, "columns", None)
    if columns is None or not all(isinstance(c, str) for c in columns):
        return None
    return np.asarray(columns, dtype=object)


class _VariationalEstimator(BaseEstimator):
    """Shared machinery; a subclass provides ``_source``, ``_new_critic`` and ``_bound``."""

    # every parameter the two estimators share; a subclass adds its own
    _parameter_constraints: dict = {
        "hidden": [PositiveInts()],
        "activation": [Options(ACTIVATIONS)],
        "batch_size": [Integer(2)],
        "lr": [POSITIVE],
        "weight_decay": [Real(0)],
        "max_steps": [Integer(1)],
        "folds": [Integer(1)],
        "heldout_fraction": [Real(0, 1, "neither")],
        "eval_every": [Integer(1)],
        "patience": [Integer(1)],
        "preprocessing": [Options(PREPROCESSORS)],
        "device": [Instance(str), Instance(torch.device)],
        "dtype": [Options(DTYPES), Instance(torch.dtype)],
        "random_state": [Integer(0), Instance(np.random.RandomState), None],
        "verbose": [Boolean],
    }

    # --- what a subclass provides --------------------------------------------------------------
    def _new_critic(self) -> nn.Module:
        raise NotImplementedError

    def _bound(self) -> Bound:
        raise NotImplementedError

    # --- validation: every parameter, once, when fit starts ----------------------------------------
    def _validate(self) -> None:
        """Check every parameter; set the resolved ``bound_``, ``dtype_``, ``device_``."""
        validate_params(type(self).__name__, self._parameter_constraints, self.get_params(deep=False))
        self.dtype_ = resolve_dtype(self.dtype)
        self.device_ = resolve_device(self.device)
        self.bound_ = self._bound()

    # --- the fitting loop ---------------------------------------------------------------------------
    def _blocks(self, source: Source, shard: bool = False) -> list[tuple[torch.Tensor, ...]]:
        """Evaluation blocks: InfoNCE is defined per batch, so its blocks are batches; the other bounds
        pool all blocks' scores, so their blocks stop at ``EVAL_BLOCK_ROWS`` rows (all-pairs scoring
        costs B^2 critic calls per block: a concat critic at B = 1,024 would need gigabytes). With
        several processes and ``shard`` (inside fit) each rank gets its share of the blocks, when
        the bound pools."""
        rows = self.batch_size if self.bound_.needs_matrix else min(self.batch_size, EVAL_BLOCK_ROWS)
        return source.blocks(rows, world() if shard and can_pool(self.bound_) else (0, 1))

    def _evaluate(self, critic: nn.Module, source: Source, blocks, across_ranks: bool = False) -> torch.Tensor:
        """The bound on evaluation blocks, every block's scores pooled; ``across_ranks`` (inside fit,
        with blocks from ``_blocks(shard=True)``): the ranks' pooled sums added. After fit nothing
        is collective, so one rank alone may call ``evaluate``."""
        pooled = PooledValue(self.bound_)
        with _evaluating(critic):
            for block in blocks:
                pooled.add(source.eval_scores(critic, block))
        if across_ranks and can_pool(self.bound_):
            all_reduce_pooled(pooled, self.device_)
        return pooled.value()

    def _train_fold(
        self,
        train: Source,
        reported: tuple[Source, Source],
        selecting: tuple[Source, Source],
        preprocessing: tuple,
        seed: int,
        bar: tqdm,
        fold: int,
    ) -> _Fold:
        """Train one critic. Every ``eval_every`` steps the bound is evaluated on both halves of the
        held-out part (``selecting``: at most ``SELECTION_ROWS`` rows of each, in memory); each half
        selects its best step, and that state is reported on the other half (``reported``: all its
        rows, streamed in blocks when they are read lazily), so no reported number is computed on
        the rows that chose it. Training stops when the held-out part has not improved for
        ``patience`` evaluations."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            critic = self._new_critic().to(device=self.device_, dtype=self.dtype_)
        generator = torch.Generator().manual_seed(seed)
        # ema_rate is MINE's; a two-sample f-bound has no moving-average-corrected objective
        # several processes: each scores its shard of the global batch (mine.distributed)
        scorer = ShardedCritic(critic) if world()[1] > 1 else critic
        trainer = CriticTrainer(scorer, self.bound_, self.lr, self.weight_decay, getattr(self, "ema_rate", None))
        batches = train.batches(self.batch_size, generator)
        blocks = [self._blocks(half, shard=True) for half in selecting]
        sizes = [half.n_rows for half in selecting]

        history: list[dict[str, float]] = []
        floor = self.bound_.floor
        selections = (_Selection(floor), _Selection(floor))
        best_heldout, stale = -math.inf, 0  # the stopping rule: the whole held-out part
        values_at: dict[int, list[float]] = {}
        train_sum = torch.zeros((), dtype=self.dtype_, device=self.device_)
        train_count, step, stopped_early = 0, 0, False
        for step in range(1, self.max_steps + 1):
            batch = next(batches, None)  # None: a stream that ended
            if batch is None:
                step -= 1
                if step == 0:
                    raise ValueError(f"too few samples: the stream gave no training batch of {self.batch_size} rows")
                if not train_count:  # the last step was evaluated
                    break
            else:
                train_sum += trainer.step(train.scores(scorer, batch, generator))
                train_count += 1
                bar.update(1)
                if step % self.eval_every and step != self.max_steps:
                    continue
            values = [float(self._evaluate(critic, half, b, across_ranks=True)) for half, b in zip(selecting, blocks)]
            train_value = float(train_sum) / train_count
            if not all(math.isfinite(v) for v in (*values, train_value)):
                raise FloatingPointError(
                    f"training diverged: the {self.bound_.name} estimate became NaN or infinite by "
                    f"step {step}; try a smaller learning rate (lr={self.lr:g}, e.g. lr={self.lr / 10:g})"
                )
            heldout_value = float(np.average(values, weights=sizes))
            history.append(
                {
                    "fold": fold,
                    "step": step,
                    "train": train_value,
                    "heldout": heldout_value,
                    "half_0": values[0],
                    "half_1": values[1],
                }
            )
            values_at[step] = values
            train_sum.zero_()
            train_count = 0
            for selection, value in zip(selections, values):
                selection.offer(value, step, critic)
            if heldout_value > best_heldout:
                best_heldout, stale = heldout_value, 0
            else:
                stale += 1
                if stale >= self.patience:
                    stopped_early = True
                    break
            bar.set_postfix(fold=fold, heldout=f"{heldout_value:.4f}")
            if batch is None:
                break
        if all(selection.state is None for selection in selections) and self._scores_constant(critic, selecting[0]):
            raise ImplausibleEstimateError(
                f"training collapsed: the critic's scores became constant (dead units; the last held-out "
                f"value was {history[-1]['heldout']:.4g}), so no trained critic beat the constant one and the "
                f"estimate would read {floor:g} whatever the data. Likely cause: a learning rate too high "
                f"(lr={self.lr:g}; try lr={self.lr / 10:g})"
            )
        critics, reports = [], []
        for h, selection in enumerate(selections):
            chosen = None
            if selection.state is not None:
                chosen = copy.deepcopy(critic)
                chosen.load_state_dict(selection.state)
            critics.append(chosen)
            other = reported[1 - h]
            if chosen is None:
                reports.append(floor)
            elif other is selecting[1 - h]:  # every row was evaluated during training
                reports.append(values_at[selection.step][1 - h])
            else:
                reports.append(float(self._evaluate(chosen, other, self._blocks(other, shard=True), across_ranks=True)))
        return _Fold(
            critics=critics,
            preprocessing=preprocessing,
            reports=reports,
            report_rows=[half.n_rows for half in reported[::-1]],
            n_train=train.n_rows,
            n_heldout=sum(half.n_rows for half in reported),
            best_steps=[s.step for s in selections],
            n_steps=step,
            stopped_early=stopped_early,
            history=history,
        )

    def _scores_constant(self, critic: nn.Module, source: Source) -> bool:
        """Whether the critic gives every pair of ``source``'s first evaluation block the same score,
        |max S - min S| <= 1e-6 (1 + max |S|): a critic whose units died. The block is read whole on
        every rank (the same rows and weights), so all ranks agree."""
        with _evaluating(critic):
            scores = source.eval_scores(critic, self._blocks(source)[0])
        values = torch.cat([scores.joint.flatten(), scores.marginal.flatten()])
        if not bool(torch.isfinite(values).all()):
            return False  # the NaN check reports non-finite values
        return float(values.max() - values.min()) <= 1e-6 * (1 + float(values.abs().max()))

    def _fit(self, source: Source) -> None:
        """Train one critic per fold of ``source``; the estimate is every fold's cross-selected reports
        weighted by their rows, with a standard error (bootstrap over report rows and the reports'
        spread)."""
        self._check_processes(source)
        distributed = world()[1] > 1
        rng = check_random_state(common_seed() if distributed and self.random_state is None else self.random_state)
        splits = source.split(self.folds, self.heldout_fraction, rng, min_train=self.batch_size, min_heldout=4)
        seeds = rng.randint(0, 2**31 - 1, size=len(splits))
        halves = [heldout.split(2, 0.5, rng)[0] for _, heldout in splits]
        bootstrap = torch.Generator().manual_seed(int(rng.randint(0, 2**31 - 1)))
        self.folds_: list[_Fold] = []
        draws = []
        with tqdm(
            total=self.max_steps * len(splits),
            disable=not self.verbose or not is_main_process(),
            desc=type(self).__name__,
            leave=False,
        ) as bar:
            for k, ((train, _), pair, seed) in enumerate(zip(splits, halves, seeds)):
                preprocessing = train.fit_preprocessing(self.preprocessing)
                prepared = tuple(half.prepared(preprocessing, self.dtype_, self.device_) for half in pair)
                sample = np.random.RandomState(int(seed))
                selecting = tuple(half.subsample(SELECTION_ROWS, sample) for half in prepared)
                fold = self._train_fold(
                    train.prepared(preprocessing, self.dtype_, self.device_),
                    prepared,
                    selecting,
                    preprocessing,
                    int(seed),
                    bar,
                    k,
                )
                self.folds_.append(fold)
                bar.total -= self.max_steps - fold.n_steps  # early stop: shrink the bar
                for h, chosen in enumerate(fold.critics):
                    draws.append(self._bootstrap(chosen, prepared[1 - h], bootstrap))
        reports = [r for f in self.folds_ for r in f.reports]
        rows = [n for f in self.folds_ for n in f.report_rows]
        self.estimate_ = float(np.average(reports, weights=rows))
        folds = [k for k, f in enumerate(self.folds_) for _ in f.reports]  # a fold's halves share its training
        self.uncertainty_ = standard_error(reports, rows, np.stack(draws, axis=1), folds)
        self.se_ = self.uncertainty_["se"]
        self.cap_ = math.log(self.batch_size) if self.bound_.needs_matrix else math.inf
        self.n_heldout_ = sum(f.n_heldout for f in self.folds_)
        self._check_estimate()

    def _check_processes(self, source: Source) -> None:
        """With several processes (``mine.distributed``): the same rows on every rank, a batch that
        splits evenly over the ranks, and no stream (a stream's batches differ between ranks)."""
        size = world()[1]
        if size == 1:
            return
        if source.streaming:
            raise ValueError(
                "a stream of batches cannot be shared across processes: pass every process the same arrays, "
                "memory-mapped arrays or map-style Dataset"
            )
        if self.batch_size % size:
            raise ValueError(
                f"batch_size={self.batch_size} is the global batch and must split evenly over the {size} processes"
            )
        checksum = [float(np.asarray(a[:1000], dtype=np.float64).sum()) for g in source.groups for a in g.resident()]
        check_same([len(g) for g in source.groups] + checksum, "the rows (count, or checksum of the first 1,000)")

    def _check_estimate(self) -> None:
        """Errors for nonsense, warnings for numbers to read with care (after the estimate is known)."""
        floor, se = self.bound_.floor, self.se_
        # the constant critic (the floor) stands in only for critics that hover about it: a half whose
        # best trained value is still far below it saw a training that failed, not independent data
        best_trained = min(max(row[f"half_{h}"] for row in f.history) for f in self.folds_ for h in (0, 1))
        if self.estimate_ < floor - max(0.1, 4 * se) or best_trained < floor - FAILED_TRAINING_NATS:
            value, what = (
                (self.estimate_, "held-out estimate")
                if self.estimate_ < floor - max(0.1, 4 * se)
                else (best_trained, "best held-out value of a trained critic")
            )
            causes = [f"a learning rate too high (lr={self.lr:g}; try lr={self.lr / 10:g})"]
            if self.preprocessing != "quantile":
                causes.insert(
                    0, f"outliers or heavy tails (preprocessing={self.preprocessing!r}; 'quantile' is immune to them)"
                )
            raise ImplausibleEstimateError(
                f"the {what} is {value:.4g} nats, far below {floor:g}, the value for independent data "
                f"(standard error {se:.2g}): the critic does not generalise to held-out rows. Likely "
                f"cause: {' or '.join(causes)}"
            )
        if any(not f.stopped_early and f.n_steps in f.best_steps for f in self.folds_):
            warnings.warn(
                f"training was still improving at max_steps={self.max_steps} (a selected step is the last "
                "one): the estimate may be low; raise max_steps",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _bootstrap(self, critic: nn.Module | None, source: Source, generator: torch.Generator) -> np.ndarray:
        """Bootstrap draws of a critic's pooled bound on a source (rows resampled within blocks); the
        constant critic (None) has the floor on every draw."""
        if critic is None:
            return np.full(N_BOOTSTRAP, self.bound_.floor)
        critic.eval()
        with torch.no_grad():  # one block's scores in memory at a time
            blocks = (source.eval_scores(critic, b) for b in self._blocks(source))
            return bootstrap_values(self.bound_, blocks, N_BOOTSTRAP, generator).cpu().numpy()

    def _evaluate_new(self, source: Source) -> float:
        """Every selected critic on new data with its fold's preprocessing, averaged."""
        values = []
        for f in self.folds_:
            prepared = source.prepared(f.preprocessing, self.dtype_, self.device_)
            blocks = self._blocks(prepared)
            values += [
                self.bound_.floor if critic is None else float(self._evaluate(critic, prepared, blocks))
                for critic in f.critics
            ]
        return float(np.mean(values))

    def _set_feature_names(self, first, second, n_first: int) -> None:
        """scikit-learn's input attributes: ``n_features_in_`` (columns of the first input) and, from
        DataFrames with string column names, ``feature_names_in_`` (and the second input's names)."""
        self.n_features_in_ = n_first
        for attribute, data in (("feature_names_in_", first), (self._second_names, second)):
            names = column_names(data)
            if names is not None:
                setattr(self, attribute, names)
            elif hasattr(self, attribute):
                delattr(self, attribute)

    def score(self, first: ArrayLike, second: ArrayLike) -> float:
        """The fitted critics' held-out bound on new data in nats (higher is better), for scikit-learn's
        model selection: ``GridSearchCV(MINE(), {"lr": [...]}, cv=2).fit(x, z)`` compares settings by
        the bound their critics reach on the rows each split held out."""
        return self.evaluate(first, second)

    # --- fitted state --------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "estimate_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def estimate(self, units: str = "nats") -> float:
        """The held-out estimate, ``estimate_``, in ``"nats"`` or ``"bits"``."""
        self._check_fitted()
        return _to_units(self.estimate_, units)

    def interval(self, level: float = 0.95, units: str = "nats") -> tuple[float, float]:
        """A normal interval estimate -/+ z se at ``level``: the uncertainty of the held-out bound's
        estimate (a lower bound: at high MI the whole interval can sit below the truth)."""
        self._check_fitted()
        validate_params("interval", {"level": [Real(0, 1, "neither")]}, {"level": level})
        low, high = normal_interval(self.estimate_, self.se_, level)
        return _to_units(low, units), _to_units(high, units)

    @property
    def critic_(self) -> nn.Module | None:
        """The first trained critic that a held-out half selected (``folds_[k].critics`` for all of
        them); None when no trained step beat the constant critic anywhere."""
        self._check_fitted()
        return next((c for f in self.folds_ for c in f.critics if c is not None), None)

    @property
    def history_(self) -> list[dict[str, float]]:
        """Per evaluation: fold, step, mean training-batch estimate, held-out estimate (nats)."""
        self._check_fitted()
        return [row for f in self.folds_ for row in f.history]

    def plot_history(self, ax=None, units: str = "nats"):
        """Training curves (matplotlib, an optional dependency): per fold the mean training-batch
        estimate and the held-out estimate over steps, each half's selected step marked, and the final
        estimate with its 95% interval. Returns the matplotlib Axes."""
        self._check_fitted()
        from .plotting import plot_history

        return plot_history(self, ax=ax, units=units)

    # --- persistence ---------------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write parameters, every fold's critic weights, preprocessing and summary to ``path``."""
        self._check_fitted()
        params = self.get_params()
        if isinstance(params.get("critic"), nn.Module):
            params["critic"] = None  # a user's module is passed again to load()
        folds = [
            {
                "critic_states": [None if c is None else c.state_dict() for c in f.critics],
                "preprocessing": [[transformer_state(t) for t in group] for group in f.preprocessing],
                **f.summary(),
            }
            for f in self.folds_
        ]
        fitted = {
            k: v
            for k, v in vars(self).items()
            if k.endswith("_") and isinstance(v, (int, float, bool, str, tuple, list, dict)) and k != "folds_"
        }
        torch.save({"class": type(self).__name__, "params": params, "fitted": fitted, "folds": folds}, path)

    @classmethod
    def load(cls, path, critic: nn.Module | None = None):
        """Rebuild an estimator written by :meth:`save` (pass ``critic`` for a user's module)."""
        try:
            state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise ValueError(f"no such file: {path}") from None
        except Exception as err:  # empty, truncated, a directory, a foreign or unsafe pickle
            reason = str(err).splitlines()[0].split(". ")[0] if str(err) else type(err).__name__
            raise ValueError(f"{path} is not a file written by {cls.__name__}.save ({reason})") from None
        if not isinstance(state, dict) or "class" not in state:
            raise ValueError(f"{path} is not a file written by {cls.__name__}.save (no estimator in it)")
        if state["class"] != cls.__name__:
            raise ValueError(f"{path} holds a {state['class']}, not a {cls.__name__}")
        params = dict(state["params"])
        if "critic" in params and params["critic"] is None:
            if critic is None:
                raise ValueError("this estimator was fitted with a user critic: pass it as critic=")
            params["critic"] = critic
        est = cls(**params)
        est._validate()
        for name, value in state["fitted"].items():
            setattr(est, name, value)
        est.folds_ = []
        for fold in state["folds"]:
            if "critic_states" not in fold:
                raise ValueError(f"{path} was written by an older version of mine; fit the estimator again")
            modules = []
            for weights in fold.pop("critic_states"):
                if weights is None:  # the constant critic
                    modules.append(None)
                    continue
                module = copy.deepcopy(critic) if critic is not None else est._new_critic()
                try:
                    module.load_state_dict(weights)
                except RuntimeError as error:  # parameters renamed or reshaped since it was saved
                    first = str(error).splitlines()[0]
                    raise ValueError(
                        f"{path}: its critic's weights do not fit this version's critic ({first}); "
                        "it was written by another version of mine: fit the estimator again"
                    ) from None
                modules.append(module.to(device=est.device_, dtype=est.dtype_))
            groups = fold.pop("preprocessing")
            preprocessing = tuple(tuple(transformer_from_state(t) for t in group) for group in groups)
            est.folds_.append(_Fold(critics=modules, preprocessing=preprocessing, **fold))
        return est


class MINE(_VariationalEstimator):
    """Mutual Information Neural Estimation of I(X; Z) in nats.

    A statistics network T(x, z) is trained to maximise a variational lower bound on
    I(X; Z) = KL(P_XZ || P_X P_Z); the estimate is that bound evaluated on held-out samples with
    the critic that scored best there (early stopping). By default the samples are cross-fitted
    in two folds: a critic trained on each half is evaluated on the other, so every sample counts
    in the held-out estimate and none is scored by a critic that saw it.

    Parameters
    ----------
    bound : str
        The bound: "dv" (MINE, Donsker-Varadhan with the moving-average gradient correction), "nwj"
        (MINE-f), "infonce" (capped at log batch_size), "js" or "smile" (trained on Jensen-Shannon,
        reported by DV; SMILE clips at smile_tau), "f" (f-information of divergence).
    critic : str or nn.Module
        The statistics network: "cosine" (S = s cos(g(x), h(z)), unit-length embeddings times a
        learnable temperature s; tracks high MI with DV), "separable" (S = g(x) h(z)^T),
        "concat" (an MLP on [x; z]) or a module following the protocol of :mod:`mine.critics`.
    hidden : sequence of int
        Hidden layer widths of the built-in critics.
    activation : str
        Activation of the built-in critics' hidden layers.
    embed_dim : int
        Embedding size of the separable and cosine critics.
    negatives : str
        Training negatives: "all" B(B-1) off-diagonal pairs of a batch, or "shuffle" B pairs with z
        deranged (MINE paper).
    batch_size : int
        Rows per training batch (and per evaluation block for InfoNCE).
    lr : float
        Adam's learning rate.
    weight_decay : float
        Adam's weight decay.
    ema_rate : float or None
        Rate of the moving average in the DV gradient correction (0 or None turns it off).
    smile_tau : float
        Clipping threshold of the SMILE bound.
    divergence : str
        The f-divergence of bound "f", a row of :mod:`mine.divergences`.
    divergence_params : dict or None
        Parameters of that divergence, e.g. {"alpha": 2}.
    max_steps : int
        The most training steps per fold.
    folds : int
        Cross-fitting folds; 1 trains once and holds out heldout_fraction of the samples.
    heldout_fraction : float
        Share of the samples held out when folds is 1.
    eval_every : int
        Evaluate on the held-out part every eval_every steps.
    patience : int
        Stop after patience evaluations without improvement and keep the best critic.
    preprocessing : str
        Per-column map fitted on each training part, which leaves MI unchanged: "quantile" (normal
        scores through the empirical distribution function: immune to scale, heavy tails and
        outliers), "standard" (centre and scale) or "none".
    device : str
        Where to train: "cpu", "cuda", "cuda:N" or "auto" (CUDA when present).
    dtype : str
        Precision of the critic and the data: "float32" or "float64".
    random_state : int or None
        Seed of the split, the initial weights and the batches (None: a fresh seed every fit).
    verbose : bool
        Show a progress bar.

    Attributes
    ----------
    estimate_ : float
        The held-out estimate in nats; ``mi(units)`` (or ``estimate(units)``) converts it.
    folds_ : list
        Per fold: critic, preprocessing, estimate, steps, history.
    bound_, dtype_, device_ : the resolved bound, torch dtype and device.
    cap_ : float
        The largest value the bound can report: log(batch_size) for InfoNCE, else inf.
    critic_ : nn.Module
        The first fold's trained critic (on preprocessed inputs).
    history_ : list of dict
        Per evaluation: fold, step, mean training-batch estimate, held-out estimate.
    se_ : float
        Standard error of the estimate (``mi_interval`` gives an interval).
    n_features_in_ : int
        Columns of x.
    feature_names_in_, z_feature_names_in_ : ndarray of str
        Column names of x and of z, when they were DataFrames with string column names.

    Examples
    --------
    >>> from mine import MINE
    >>> from mine.gaussian import sample_correlated
    >>> x, z = sample_correlated(2000, rho=0.9, dim=1, random_state=0)
    >>> est = MINE(max_steps=300, random_state=0).fit(x, z)
    >>> 0.5 < est.mi() < 1.0   # the truth is 0.830 nats
    True
    >>> GridSearchCV(MINE(max_steps=300), {"lr": [1e-4, 1e-3]}, cv=2).fit(x, z)  # doctest: +SKIP
    """

    _second_names = "z_feature_names_in_"
    _parameter_constraints: dict = {
        **_VariationalEstimator._parameter_constraints,
        "bound": [Options(lambda: available_bounds(aliases=True))],
        "critic": [Options(CRITICS), Instance(nn.Module)],
        "embed_dim": [Integer(1)],
        "negatives": [Options(NEGATIVES)],
        "ema_rate": [Real(0, 1), None],
        "smile_tau": [POSITIVE],
        "divergence": [Instance(str), Instance(Divergence)],
        "divergence_params": [Instance(dict), None],
    }

    def __init__(
        self,
        bound: str = "dv",
        critic: str | nn.Module = "cosine",
        hidden: Sequence[int] = (256, 256),
        activation: str = "elu",
        embed_dim: int = 32,
        negatives: str = "all",
        batch_size: int = 256,
        lr: float = 2e-4,
        weight_decay: float = 0.0,
        ema_rate: float | None = 0.01,
        smile_tau: float = 5.0,
        divergence: str = "kl",
        divergence_params: dict | None = None,
        max_steps: int = 5000,
        folds: int = 2,
        heldout_fraction: float = 0.2,
        eval_every: int = 50,
        patience: int = 10,
        preprocessing: str = "quantile",
        device: str = "cpu",
        dtype: str = "float32",
        random_state: int | None = None,
        verbose: bool = False,
    ):
        self.bound = bound
        self.critic = critic
        self.hidden = hidden
        self.activation = activation
        self.embed_dim = embed_dim
        self.negatives = negatives
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.ema_rate = ema_rate
        self.smile_tau = smile_tau
        self.divergence = divergence
        self.divergence_params = divergence_params
        self.max_steps = max_steps
        self.folds = folds
        self.heldout_fraction = heldout_fraction
        self.eval_every = eval_every
        self.patience = patience
        self.preprocessing = preprocessing
        self.device = device
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    def _bound(self) -> Bound:
        """The bound named by ``bound``, built with those of this estimator's parameters it takes."""
        bound = get_bound(self.bound, **{p: getattr(self, p) for p in bound_parameters(self.bound) if hasattr(self, p)})
        if bound.needs_matrix and self.negatives != "all":
            raise ValueError(f"bound {bound.name!r} needs negatives='all', got negatives={self.negatives!r}")
        return bound

    def _new_critic(self) -> nn.Module:
        if isinstance(self.critic, nn.Module):
            return copy.deepcopy(self.critic)
        return build_critic(self.critic, self.x_dim_, self.z_dim_, self.hidden, self.activation, self.embed_dim)

    def _source(self, x, z=None) -> PairedSource:
        return paired_source(x, z, self.negatives)

    def fit(self, x: ArrayLike, z: ArrayLike | None = None) -> MINE:
        """Train the statistics network(s) on paired samples (rows of x and z are joint draws).

        x, z : arrays, tensors, Series or DataFrames of shape (n,) or (n, d), memory-mapped arrays
        included (read a batch at a time). Or x a DataLoader, a Dataset or an iterable of (x, z)
        batches and z None: a map-style dataset is split and batched by index as arrays are; an
        iterable is a stream whose first 10,000 rows are held out (docs: "Larger data"). Returns self.
        """
        self._validate()
        source = self._source(x, z)
        self.x_dim_, self.z_dim_ = source.dims
        self.n_samples_ = source.n_rows
        loader_batch = getattr(x, "batch_size", None) if z is None else None
        if loader_batch is not None and loader_batch != self.batch_size and not source.streaming:
            warnings.warn(
                f"the DataLoader's batch_size={loader_batch} is not used: MINE splits its dataset into training "
                f"and held-out rows and batches them itself (batch_size={self.batch_size})",
                stacklevel=2,
            )
        self._set_feature_names(x, z, self.x_dim_)
        resident = source.groups[0].resident()  # all rows, or a sample of rows read lazily
        sampled = f" on a sample of {len(resident[0])} rows" if source.lazy else ""
        copies = shared_columns(*resident)
        if copies:
            warnings.warn(
                f"x and z share {len(copies)} identical column(s){sampled} (x column, z column: "
                f"{', '.join(f'{i}, {j}' for i, j in copies[:5])}): the MI of continuous data with a "
                "copy is infinite, and any finite estimate only says how much these samples can show",
                stacklevel=2,
            )
        for name, data in zip("xz", resident):
            ties = tied_columns(data)
            if ties:
                warnings.warn(
                    f"{name} has columns with many tied values (column: distinct values of {len(data)} rows: "
                    f"{', '.join(f'{j}: {k}' for j, k in ties[:5])}): discrete or rounded data. Tied rows stay "
                    "tied under any preprocessing; the MI of discrete data is finite and a critic for "
                    "continuous data may not find all of it",
                    stacklevel=2,
                )
        del resident
        self._fit(source)
        if source.streaming:  # rows read from the stream: held out, then trained on
            self.n_samples_ = sum(f.n_heldout + f.n_train for f in self.folds_)
        if self.estimate_ > 0.9 * self.cap_:
            warnings.warn(
                f"the InfoNCE estimate {self.estimate_:.3f} nats is near its cap log(batch_size) = "
                f"{self.cap_:.3f}; the true MI may be larger (raise batch_size)",
                stacklevel=2,
            )
        rows = min(n for f in self.folds_ for n in f.report_rows)
        if not self.bound_.needs_matrix and self.estimate_ > LOG_N_WARNING * math.log(rows):
            warnings.warn(
                f"the estimate {self.estimate_:.3f} nats is near log({rows}) = {math.log(rows):.3f}, the most a "
                f"lower bound from the {rows} held-out rows of one report can show (McAllester & Stratos "
                "2020); the true MI may be larger (add data)",
                stacklevel=2,
            )
        return self

    def mi(self, units: str = "nats") -> float:
        """The held-out estimate of I(X; Z) in ``"nats"`` or ``"bits"`` (the same as :meth:`estimate`)."""
        return self.estimate(units)

    def mi_interval(self, level: float = 0.95, units: str = "nats") -> tuple[float, float]:
        """An interval for the estimate of I(X; Z) (the same as :meth:`interval`)."""
        return self.interval(level, units)

    def evaluate(self, x: ArrayLike, z: ArrayLike, units: str = "nats") -> float:
        """The fitted critics' bound on new paired samples (each fold's critic, averaged)."""
        self._check_fitted()
        source = self._source(x, z)
        if source.dims != (self.x_dim_, self.z_dim_):
            raise ValueError(
                f"expected x with {self.x_dim_} and z with {self.z_dim_} columns as in fit, "
                f"got {source.dims[0]} and {source.dims[1]}"
            )
        if source.n_rows < 2:
            raise ValueError("evaluate needs at least 2 samples")
        return _to_units(self._evaluate_new(source), units)


class DivergenceEstimator(_VariationalEstimator):
    """Two-sample estimate of D_f(P || Q) from samples of P and of Q (variational divergence
    minimisation, Nowozin et al. 2016).

    A network V(x) is trained to maximise E_P[g_f(V)] - E_Q[f*(g_f(V))] with f, f* and g_f read
    from :mod:`mine.divergences`; the estimate is that bound on held-out samples of both (cross-
    fitted in ``folds`` parts of each sample). P and Q may have different sizes. Both samples go
    through one shared per-column map (a divergence is invariant only to a common map).

    The estimate is ``estimate_`` (nats), ``estimate(units)``, with ``se_`` and ``interval(level)``.

    Parameters
    ----------
    divergence : str or Divergence
        A row of the table (``mine.divergences.available_divergences()``).
    divergence_params : dict or None
        Its parameters, e.g. ``{"alpha": 2}``.
    critic : str or nn.Module
        "mlp" or a user module mapping (B, d) -> (B,).
    hidden, activation, batch_size, lr, weight_decay, max_steps, folds, heldout_fraction, eval_every,
    patience, preprocessing, device, dtype, random_state, verbose
        As in :class:`MINE`; ``batch_size`` rows of each sample per step, and one per-column map
        fitted on both samples.
    """

    _second_names = "q_feature_names_in_"
    _parameter_constraints: dict = {
        **_VariationalEstimator._parameter_constraints,
        "divergence": [Instance(str), Instance(Divergence)],
        "divergence_params": [Instance(dict), None],
        "critic": [Options(("mlp",)), Instance(nn.Module)],
    }

    def __init__(
        self,
        divergence: str = "kl",
        divergence_params: dict | None = None,
        critic: str | nn.Module = "mlp",
        hidden: Sequence[int] = (256, 256),
        activation: str = "elu",
        batch_size: int = 256,
        lr: float = 2e-4,
        weight_decay: float = 0.0,
        max_steps: int = 5000,
        folds: int = 2,
        heldout_fraction: float = 0.2,
        eval_every: int = 50,
        patience: int = 10,
        preprocessing: str = "quantile",
        device: str = "cpu",
        dtype: str = "float32",
        random_state: int | None = None,
        verbose: bool = False,
    ):
        self.divergence = divergence
        self.divergence_params = divergence_params
        self.critic = critic
        self.hidden = hidden
        self.activation = activation
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_steps = max_steps
        self.folds = folds
        self.heldout_fraction = heldout_fraction
        self.eval_every = eval_every
        self.patience = patience
        self.preprocessing = preprocessing
        self.device = device
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    def _bound(self) -> Bound:
        return get_bound("f", divergence=self.divergence, divergence_params=self.divergence_params)

    def _new_critic(self) -> nn.Module:
        if isinstance(self.critic, nn.Module):
            return copy.deepcopy(self.critic)
        return ScalarCritic(self.dim_, self.hidden, self.activation)

    @staticmethod
    def _source(p_samples, q_samples) -> TwoSampleSource:
        return two_sample_source(p_samples, q_samples)

    def fit(self, p_samples: ArrayLike, q_samples: ArrayLike) -> DivergenceEstimator:
        """Train V on samples of P and of Q (arrays, tensors or DataFrames; (n,) or (n, d))."""
        self._validate()
        source = self._source(p_samples, q_samples)
        self.dim_ = source.dim
        self._set_feature_names(p_samples, q_samples, self.dim_)
        self._fit(source)
        return self

    def value(self, units: str = "nats") -> float:
        """Deprecated: use :meth:`estimate` (``value`` names a bound's function of scores)."""
        warnings.warn("DivergenceEstimator.value() is deprecated; use estimate()", FutureWarning, stacklevel=2)
        return self.estimate(units)

    def evaluate(self, p_samples: ArrayLike, q_samples: ArrayLike, units: str = "nats") -> float:
        """The fitted critics' bound on new samples of P and Q (folds averaged)."""
        self._check_fitted()
        source = self._source(p_samples, q_samples)
        if source.dim != self.dim_:
            raise ValueError(f"expected {self.dim_} columns as in fit, got {source.dim}")
        return _to_units(self._evaluate_new(source), units)


def divergence(
    p_samples: ArrayLike, q_samples: ArrayLike, kind: str = "kl", units: str = "nats", **params: Any
) -> float:
    """One call: ``DivergenceEstimator(divergence=kind, **params).fit(p, q).estimate(units)``.

    Parameters
    ----------
    p_samples, q_samples : array_like of shape (n_p, d) and (n_q, d)
        Samples of P and of Q (arrays, tensors, Series or DataFrames).
    kind : str
        A row of the f-divergence table (``mine.divergences.available_divergences()``).
    units : {"nats", "bits"}
        Units of the result.
    **params
        Any parameter of :class:`DivergenceEstimator`.

    Returns
    -------
    float
        The held-out lower bound on D_f(P || Q).
    """
    return DivergenceEstimator(divergence=kind, **params).fit(p_samples, q_samples).estimate(units)


def mutual_information(x: ArrayLike, z: ArrayLike, units: str = "nats", **params: Any) -> float:
    """One call: ``MINE(**params).fit(x, z).mi(units)``.

    Parameters
    ----------
    x, z : array_like of shape (n,) or (n, d)
        Paired samples: row i of x and row i of z are one joint draw.
    units : {"nats", "bits"}
        Units of the result.
    **params
        Any parameter of :class:`MINE`.

    Returns
    -------
    float
        The held-out estimate of I(X; Z).
    """
    return MINE(**params).fit(x, z).mi(units)
