"""The scikit-learn face of the fitting loop, and MINE, its estimator of I(X; Z).

An estimator checks its parameters when ``fit`` starts, hands :func:`mine.fitting.cross_fit` an
:class:`EstimatorTask` (its source, critic and bound) and a :class:`~mine.fitting.FitPlan` (its
parameters), keeps the result as fitted attributes and emits what :mod:`mine.diagnostics` finds.
Save/load: :mod:`mine.persistence`; two samples: :mod:`mine.divergence_estimator`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from torch import nn
from tqdm.auto import tqdm

from . import diagnostics, persistence
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
from .bounds import Bound, available_bounds, bound_parameters, get_bound
from .critics import ACTIVATIONS, CRITICS, build_critic
from .diagnostics import ImplausibleEstimateError
from .distributed import common_seed, is_main_process, world
from .divergences import Divergence
from .fitting import FitPlan, Schedule, cross_fit, evaluate_folds
from .inputs import column_names
from .preprocessing import PREPROCESSORS
from .sources import NEGATIVES, Source, paired_source
from .uncertainty import lower_confidence_bound, normal_interval

__all__ = ["MINE", "EstimatorTask", "ImplausibleEstimateError", "mutual_information"]

UNITS = {"nats": 1.0, "bits": 1.0 / math.log(2.0)}
POSITIVE = Real(0, math.inf, "neither")


def to_units(value: float, units: str) -> float:
    if units not in UNITS:
        raise ValueError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
    return value * UNITS[units]


@dataclass(frozen=True)
class EstimatorTask:
    """All that differs between estimators, handed to the loop.

    Parameters
    ----------
    make_source, make_critic : callable
        ``make_source(first, second)``: the inputs as a Source; ``make_critic(dims)``: a fresh critic.
    bound : Bound
        Trained and reported; ``ema_rate`` (None: none) corrects DV's gradient.
    ema_rate : float or None
    dims_attributes, name_attributes : tuple of str
        Fitted attributes for the source's dims and for the inputs' column names.
    min_rows : int
        The fewest rows ``evaluate`` accepts.
    gaussian_critic : bool
        Offer the Gaussian critics of each fold's training rows to the selection.
    """

    make_source: Callable[[Any, Any], Source]
    make_critic: Callable[[tuple[int, ...]], nn.Module]
    bound: Bound
    ema_rate: float | None
    dims_attributes: tuple[str, ...]
    name_attributes: tuple[str, str]
    min_rows: int = 1
    gaussian_critic: bool = False


class _VariationalEstimator(BaseEstimator):
    """What both estimators share: parameters, the fit around :func:`~mine.fitting.cross_fit`,
    estimates and intervals, evaluation on new data, save/load. A subclass provides ``_task()``."""

    _null_draws = 0  # permutations of held-out rows for mine.independence_test (not a parameter)
    _parameter_constraints: dict = {
        "hidden": [PositiveInts()],
        "activation": [Options(ACTIVATIONS)],
        "dropout": [Real(0, 1, "left")],
        "batch_size": [Integer(2)],
        "lr": [POSITIVE],
        "weight_decay": [Real(0)],
        "weight_average": [Real(0, 1, "left")],
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

    def _store(self, params: dict[str, Any]) -> None:
        """``__init__``'s only job (scikit-learn's rule): keep each parameter under its own name."""
        for name in self._get_param_names():
            setattr(self, name, params[name])

    def _task(self) -> EstimatorTask:
        """The source, critic and bound of this estimator (parameters already checked)."""
        raise NotImplementedError

    def _start(self) -> EstimatorTask:
        """Check every parameter; set the resolved ``dtype_``, ``device_``, ``bound_``; the task."""
        validate_params(type(self).__name__, self._parameter_constraints, self.get_params(deep=False))
        self.dtype_ = resolve_dtype(self.dtype)
        self.device_ = resolve_device(self.device)
        task = self._task()
        self.bound_ = task.bound
        return task

    def _plan(self, task: EstimatorTask) -> FitPlan:
        """The loop's settings from this estimator's parameters (after fit set the dims)."""
        dims = tuple(getattr(self, a) for a in task.dims_attributes)
        names = ("batch_size", "lr", "weight_decay", "weight_average", "folds", "heldout_fraction", "preprocessing")
        loop = {"schedule": Schedule(self.max_steps, self.eval_every, self.patience), "ema_rate": task.ema_rate}
        loop["gaussian_critic"] = task.gaussian_critic
        loop |= {"dtype": self.dtype_, "device": self.device_, **{name: getattr(self, name) for name in names}}
        return FitPlan(task.bound, lambda: task.make_critic(dims), **loop)

    def _describe_inputs(self, task: EstimatorTask, source: Source, first, second) -> None:
        """The dims, ``n_features_in_`` and the inputs' column names (scikit-learn's rule)."""
        for attribute, n in zip(task.dims_attributes, source.dims):
            setattr(self, attribute, n)
        self.n_features_in_ = source.dims[0]
        for attribute, data in zip(task.name_attributes, (first, second)):
            names = column_names(data)
            if names is not None:
                setattr(self, attribute, names)
            elif hasattr(self, attribute):
                delattr(self, attribute)

    def _fit(self, task: EstimatorTask, source: Source) -> None:
        """Cross-fit; estimate, uncertainty, folds as fitted attributes; errors and warnings."""
        shared = world()[1] > 1 and self.random_state is None  # several processes draw one seed
        rng = check_random_state(common_seed() if shared else self.random_state)
        hidden = not self.verbose or not is_main_process()
        total = self.max_steps * (1 if source.streaming else self.folds)
        with tqdm(total=total, disable=hidden, desc=type(self).__name__, leave=False) as bar:
            result = cross_fit(self._plan(task), source, rng, bar, self._null_draws)
        self.folds_, self.estimate_, self.uncertainty_ = result.folds, result.estimate, result.uncertainty
        self.se_, self.null_ = self.uncertainty_["se"], result.null  # null_: see independence_test
        self.cap_ = math.log(self.batch_size) if self.bound_.needs_matrix else math.inf
        self.n_heldout_ = sum(f.n_heldout for f in self.folds_)
        floor, lr = self.bound_.floor, self.lr
        diagnostics.check_plausible(self.folds_, self.estimate_, self.se_, floor, lr, self.preprocessing)
        found = diagnostics.convergence_findings(self.folds_, self.max_steps)
        nothing = self.lower() <= floor  # nothing found: the lower confidence bound is the floor
        diagnostics.emit(
            found + diagnostics.unfound_findings(nothing, self.folds_, sum(source.dims), floor), stacklevel=3
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "estimate_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def estimate(self, units: str = "nats") -> float:
        """The held-out estimate, ``estimate_``, in ``"nats"`` or ``"bits"``."""
        self._check_fitted()
        return to_units(self.estimate_, units)

    def interval(self, level: float = 0.95, units: str = "nats") -> tuple[float, float]:
        """estimate -/+ z se: an interval for the estimator's *expectation at this n*, a lower bound
        on the truth (at high MI the whole interval can sit below the truth; see :meth:`lower`)."""
        self._check_fitted()
        validate_params("interval", {"level": [Real(0, 1, "neither")]}, {"level": level})
        low, high = normal_interval(self.estimate_, self.se_, level)
        return to_units(low, units), to_units(high, units)

    def lower(self, level: float = 0.95, units: str = "nats") -> float:
        """A one-sided lower confidence bound L on the quantity: it is at least L at ``level``
        (``max(floor, estimate - z_level se)``; the estimate is a held-out lower bound), and at most
        ``reach_`` where a fit sets it (MINE: log of one report's rows, the most a lower bound from
        them can show, McAllester & Stratos 2020; log(batch_size) for InfoNCE)."""
        self._check_fitted()
        validate_params("lower", {"level": [Real(0, 1, "neither")]}, {"level": level})
        lower = lower_confidence_bound(self.estimate_, self.se_, level, self.bound_.floor)
        return to_units(min(lower, getattr(self, "reach_", math.inf)), units)

    def evaluate(self, first: ArrayLike, second: ArrayLike, units: str = "nats") -> float:
        """The fitted critics' bound on new data (each fold's selected critics with that fold's
        preprocessing, averaged): x and z for MINE, samples of P and Q for DivergenceEstimator."""
        self._check_fitted()
        task = self._task()
        source = task.make_source(first, second)
        expected = tuple(getattr(self, a) for a in task.dims_attributes)
        if source.dims != expected:
            what = " and ".join(map(str, expected))
            raise ValueError(
                f"expected inputs with {what} columns as in fit, got {' and '.join(map(str, source.dims))}"
            )
        if source.n_rows < task.min_rows:
            raise ValueError(f"evaluate needs at least {task.min_rows} samples")
        return to_units(evaluate_folds(self._plan(task), self.folds_, source), units)

    def score(self, first: ArrayLike, second: ArrayLike) -> float:
        """The fitted critics' held-out bound on new data in nats (higher is better), for scikit-learn's
        model selection: ``GridSearchCV(MINE(), {"lr": [...]}, cv=2).fit(x, z)`` compares settings by
        the bound their critics reach on the rows each split held out."""
        return self.evaluate(first, second)

    @property
    def critic_(self) -> nn.Module | None:
        """The first selected critic (``folds_[k].critics``: all); None when none beat the constant one."""
        self._check_fitted()
        return next((c for f in self.folds_ for c in f.critics if c is not None), None)

    @property
    def history_(self) -> list[dict[str, float]]:
        """Per evaluation: fold, step, mean training-batch estimate, held-out estimate (nats)."""
        self._check_fitted()
        return [row for f in self.folds_ for row in f.history]

    def plot_history(self, ax=None, units: str = "nats"):
        """Per fold the training and held-out curves, the selected steps, the estimate and its 95%
        interval (matplotlib, optional). Returns the matplotlib Axes."""
        self._check_fitted()
        from .plotting import plot_history

        return plot_history(self, ax=ax, units=units)

    def save(self, path) -> None:
        """Write parameters, every fold's critic weights, preprocessing and summary to ``path``."""
        self._check_fitted()
        persistence.save(self, path)

    @classmethod
    def load(cls, path, critic: nn.Module | None = None):
        """Rebuild an estimator written by :meth:`save` (pass ``critic`` for a user's module)."""
        return persistence.load(cls, path, critic)


class MINE(_VariationalEstimator):
    """Mutual Information Neural Estimation of I(X; Z) in nats.

    A statistics network T(x, z) is trained to maximise a variational lower bound on
    I(X; Z) = KL(P_XZ || P_X P_Z). By default the samples are cross-fitted in two folds: a critic is
    trained on each half, and the other half is split in two; each of those halves picks the
    training step (early stopping) that the other one reports, so the estimate is that bound on
    rows that neither trained the critic nor chose it (:mod:`mine.fitting`).

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
    hidden, activation : sequence of int, str
        Hidden layer widths and their activation, for the built-in critics.
    dropout : float
        Dropout after each hidden activation of the built-in critics, in training only.
    embed_dim : int
        Embedding size of the separable and cosine critics.
    gaussian_critic : "auto" or bool
        Also offer each held-out half the closed-form critics of the training rows' normal scores:
        the Gaussian copula's at ranks 1..min(d_x, d_z) (:class:`~mine.critics.GaussianCritic`;
        exact for any Gaussian copula) and, where a t copula fits the training rows better, the t
        copula's at ranks 0..min(d_x, d_z) (:class:`~mine.critics.StudentCritic`; exact for monotone
        maps of a multivariate t, heavy joint tails), selected and reported like a training step.
        "auto": with bound "dv", a built-in critic and "quantile" preprocessing.
    negatives : str
        Training negatives: "all" B(B-1) off-diagonal pairs of a batch, or "shuffle" B pairs with z
        deranged (MINE paper).
    batch_size : int
        Rows per training batch (and per evaluation block for InfoNCE).
    lr, weight_decay : float
        Adam's learning rate and weight decay.
    weight_average : float
        Decay of a moving average of the critic's weights, evaluated instead of the last (0: off).
    ema_rate : float or None
        Rate of the moving average in the DV gradient correction (0 or None turns it off).
    smile_tau : float
        Clipping threshold of the SMILE bound.
    divergence, divergence_params : str, dict or None
        The f-divergence of bound "f" (a row of :mod:`mine.divergences`) and its parameters.
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
    estimate_, se_ : float
        The held-out estimate in nats (``mi(units)`` converts it) and its standard error.
    folds_ : list of FoldResult
        Per fold: selected critics, preprocessing, reports, steps, history (:mod:`mine.fitting`).
    bound_, dtype_, device_, cap_ : the resolved bound, dtype and device; the most the bound can
        report (log(batch_size) for InfoNCE, else inf).
    critic_, history_ : the first selected critic; per evaluation fold, step, train and held-out values.
    n_features_in_, feature_names_in_, z_feature_names_in_ : columns of x; names of x's and z's
        columns (DataFrames with string column names).

    Examples
    --------
    >>> from mine import MINE
    >>> from mine.gaussian import sample_correlated
    >>> x, z = sample_correlated(2000, rho=0.9, dim=1, random_state=0)
    >>> est = MINE(max_steps=300, random_state=0).fit(x, z)
    >>> 0.5 < est.mi() < 1.0   # the truth is 0.830 nats
    True
    """

    _parameter_constraints: dict = {
        **_VariationalEstimator._parameter_constraints,
        "bound": [Options(lambda: available_bounds(aliases=True))],
        "critic": [Options(CRITICS), Instance(nn.Module)],
        "embed_dim": [Integer(1)],
        "gaussian_critic": [Options(["auto"]), Boolean],
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
        dropout: float = 0.0,
        embed_dim: int = 32,
        gaussian_critic: str | bool = "auto",
        negatives: str = "all",
        batch_size: int = 256,
        lr: float = 2e-4,
        weight_decay: float = 0.0,
        weight_average: float = 0.0,
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
        self._store(locals())

    def _task(self) -> EstimatorTask:
        """Paired rows, the critic named by ``critic``, the bound named by ``bound`` (built with those
        of this estimator's parameters it takes)."""
        bound = get_bound(self.bound, **{p: getattr(self, p) for p in bound_parameters(self.bound) if hasattr(self, p)})
        if bound.needs_matrix and self.negatives != "all":
            raise ValueError(f"bound {bound.name!r} needs negatives='all', got negatives={self.negatives!r}")

        def make_critic(dims: tuple[int, ...]) -> nn.Module:
            if isinstance(self.critic, nn.Module):
                return copy.deepcopy(self.critic)
            return build_critic(self.critic, *dims, self.hidden, self.activation, self.embed_dim, self.dropout)

        gaussian = self.gaussian_critic
        if gaussian is True and bound.name not in ("dv", "infonce", "js", "smile"):
            raise ValueError(
                "gaussian_critic=True needs a bound whose best critic is log p(x,z)/p(x)p(z) plus a "
                f"constant (dv, infonce, js, smile), not {bound.name!r}"
            )
        return EstimatorTask(
            gaussian_critic=self._gaussian_auto(bound) if gaussian == "auto" else gaussian,
            make_source=lambda x, z: paired_source(x, z, self.negatives),
            make_critic=make_critic,
            bound=bound,
            ema_rate=self.ema_rate,
            dims_attributes=("x_dim_", "z_dim_"),
            name_attributes=("feature_names_in_", "z_feature_names_in_"),
            min_rows=2,
        )

    def _gaussian_auto(self, bound: Bound) -> bool:
        """Normal scores bound the Gaussian critic's inputs; raw or standardized outliers would not."""
        return bound.name == "dv" and isinstance(self.critic, str) and self.preprocessing == "quantile"

    def fit(self, x: ArrayLike, z: ArrayLike | None = None) -> MINE:
        """Train the statistics network(s) on paired samples (rows of x and z are joint draws).

        x, z : arrays, tensors, Series or DataFrames of shape (n,) or (n, d), memory-mapped arrays
        included (read a batch at a time). Or x a DataLoader, a Dataset or an iterable of (x, z)
        batches and z None: a map-style dataset is split and batched by index as arrays are; an
        iterable is a stream whose first 10,000 rows are held out (docs: "Larger data"). Returns self.
        """
        task = self._start()
        source = task.make_source(x, z)
        self._describe_inputs(task, source, x, z)
        loader_batch = getattr(x, "batch_size", None) if z is None else None
        in_memory = source.groups[0].in_memory_sample()  # all rows, or a sample of rows read lazily
        diagnostics.emit(diagnostics.loader_findings(loader_batch, self.batch_size, source.streaming), stacklevel=2)
        diagnostics.emit(diagnostics.data_findings(*in_memory, sampled=source.lazy), stacklevel=2)
        del in_memory
        self._fit(task, source)
        streamed = sum(f.n_heldout + f.n_train for f in self.folds_)  # a stream's rows: held out, then trained on
        self.n_samples_ = streamed if source.n_rows is None else source.n_rows
        found = diagnostics.cap_findings(self.estimate_, self.cap_)
        report_rows = min(n for f in self.folds_ for n in f.report_rows)
        self.reach_ = self.cap_ if self.bound_.needs_matrix else math.log(report_rows)  # mi_lower's ceiling
        if not self.bound_.needs_matrix:
            found += diagnostics.log_n_findings(self.estimate_, report_rows)
        diagnostics.emit(found, stacklevel=2)
        return self

    def mi(self, units: str = "nats") -> float:
        """The held-out estimate of I(X; Z) in ``"nats"`` or ``"bits"`` (the same as :meth:`estimate`)."""
        return self.estimate(units)

    def mi_lower(self, level: float = 0.95, units: str = "nats") -> float:
        """L such that I(X; Z) >= L with confidence ``level``: :meth:`lower`, at least 0 and at most
        ``reach_`` (past log n of a report's rows DV's estimate can read high)."""
        return self.lower(level, units)

    def mi_interval(self, level: float = 0.95, units: str = "nats") -> tuple[float, float]:
        """An interval for the estimator's expectation at this n, not for I(X; Z) (:meth:`interval`)."""
        return self.interval(level, units)


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
