"""The scikit-learn face of the fitting loop, and MINE, its estimator of I(X; Z): parameters checked
when ``fit`` starts, inputs made a validated :class:`~mine.sources.Source`, :func:`~mine.fitting.cross_fit`
run with a :class:`~mine.fitting.FitPlan`, the result kept as fitted attributes, what
:mod:`mine.diagnostics` finds emitted. Two samples: :mod:`mine.divergence_estimator`."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from torch import nn
from tqdm.auto import tqdm

from . import diagnostics, persistence
from ._validation import (
    DTYPES,
    Boolean,
    Instance,
    Integer,
    OptionList,
    Options,
    PositiveInts,
    Real,
    renamed_parameters,
    resolve_device,
    resolve_dtype,
    validate_params,
)
from .bounds import Bound, available_bounds, bound_parameters, get_bound
from .candidates import candidate_families, kind_of, offered_families
from .critics import ACTIVATIONS, CRITICS, build_critic
from .diagnostics import ImplausibleEstimateError
from .distributed import common_seed, is_main_process, world
from .divergences import Divergence
from .fitting import FitPlan, Schedule, cross_fit, evaluate_folds
from .inputs import column_names
from .preprocessing import PREPROCESSORS
from .sources import NEGATIVES, Source, paired_source
from .uncertainty import UNITS, EstimateResults, MIResults, to_units

__all__ = ["MINE", "UNITS", "ImplausibleEstimateError", "mutual_information", "to_units"]

POSITIVE = Real(0, math.inf, "neither")
LOOP_PARAMETERS = ("batch_size", "lr", "weight_decay", "weight_average", "folds", "heldout_fraction", "preprocessing")


class VariationalEstimator(EstimateResults, persistence.Saved, BaseEstimator):
    """What both estimators share: parameters, the fit, evaluation on new data, save/load. A subclass
    gives ``_bound()`` (trained and reported), ``_source(first, second)`` (its inputs validated),
    ``_new_critic(dims)``, ``DIMS`` and ``NAMES`` (fitted attributes of the dims and of the column
    names) and, where it has them, ``_families()`` (candidates offered), ``_reach(rows)`` (the most
    :meth:`lower` claims) and ``_estimate_findings(rows)`` (warnings about its estimate)."""

    DIMS: ClassVar[tuple[str, ...]] = ()
    NAMES: ClassVar[tuple[str, str]] = ("feature_names_in_", "second_feature_names_in_")
    MIN_ROWS: ClassVar[int] = 1  # the fewest rows evaluate accepts
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

    def _bound(self) -> Bound: ...
    def _source(self, first, second) -> Source: ...
    def _new_critic(self, dims: tuple[int, ...]) -> nn.Module: ...

    def _families(self) -> tuple[str, ...]:
        return ()

    def _ema_rate(self) -> float | None:
        return None

    def _reach(self, report_rows: int) -> float:
        return math.inf

    def _estimate_findings(self, report_rows: int) -> list[diagnostics.Finding]:
        return []

    def _floor(self) -> float:
        return self.bound_.floor

    def _start(self) -> None:
        """Check every parameter; set the resolved ``dtype_``, ``device_``, ``bound_``, ``candidates_``."""
        validate_params(type(self).__name__, self._parameter_constraints, self.get_params(deep=False))
        self.dtype_ = resolve_dtype(self.dtype)
        self.device_ = resolve_device(self.device)
        self.bound_ = self._bound()
        self.candidates_ = self._families()

    def _plan(self) -> FitPlan:
        """The loop's settings from this estimator's parameters (after fit set the dims)."""
        return FitPlan(
            self.bound_,
            partial(self._new_critic, self.dims_),
            Schedule(self.max_steps, self.eval_every, self.patience),
            ema_rate=self._ema_rate(),
            dtype=self.dtype_,
            device=self.device_,
            candidates=self.candidates_,
            **{name: getattr(self, name) for name in LOOP_PARAMETERS},
        )

    def _describe_inputs(self, source: Source, first=None, second=None) -> None:
        """The dims (``dims_`` and by name), ``n_features_in_`` and the inputs' column names."""
        self.dims_ = source.dims
        for attribute, n in zip(self.DIMS, source.dims):
            setattr(self, attribute, n)
        self.n_features_in_ = source.dims[0]
        for attribute, data in zip(self.NAMES, (first, second)):
            names = column_names(data)
            if names is not None:
                setattr(self, attribute, names)
            elif hasattr(self, attribute):
                delattr(self, attribute)

    def fit_source(self, source: Source, n_permutations: int = 0):
        """Fit on a :class:`~mine.sources.Source` whose rows are validated and checked already (how
        :class:`~mine.conditional.ConditionalMI` fits its two terms on one checked triple); ``fit``
        is this after it has validated and checked its inputs. Returns self."""
        self._start()
        self._describe_inputs(source)
        return self._fit(source, n_permutations)

    def _fit(self, source: Source, n_permutations: int = 0):
        """Cross-fit; estimate, uncertainty, folds as fitted attributes; errors and warnings."""
        shared = world()[1] > 1 and self.random_state is None  # several processes draw one seed
        rng = check_random_state(common_seed() if shared else self.random_state)
        hidden = not self.verbose or not is_main_process()
        total = self.max_steps * (1 if source.streaming else self.folds)
        with tqdm(total=total, disable=hidden, desc=type(self).__name__, leave=False) as bar:
            result = cross_fit(self._plan(), source, rng, bar, n_permutations)
        self.folds_, self.estimate_, self.uncertainty_ = result.folds, result.estimate, result.uncertainty
        self.se_, self.null_ = self.uncertainty_["se"], result.null  # null_: see independence_test
        self.cap_ = math.log(self.batch_size) if self.bound_.needs_matrix else math.inf
        self.n_heldout_ = sum(f.n_heldout for f in self.folds_)
        streamed = sum(f.n_heldout + f.n_train for f in self.folds_)  # a stream's rows: held out, then trained on
        self.n_samples_ = streamed if source.n_rows is None else source.n_rows
        report_rows = min(n for f in self.folds_ for n in f.report_rows)
        self.reach_ = self._reach(report_rows)
        floor, lr = self.bound_.floor, self.lr
        diagnostics.check_plausible(self.folds_, self.estimate_, self.se_, floor, lr, self.preprocessing)
        found = diagnostics.convergence_findings(self.folds_, self.max_steps)
        nothing = self.lower() <= floor  # nothing found: the lower confidence bound is the floor
        found += diagnostics.unfound_findings(nothing, self.folds_, sum(source.dims), floor)
        diagnostics.emit(found + self._estimate_findings(report_rows), stacklevel=3)
        return self

    def evaluate(self, first: ArrayLike, second: ArrayLike, units: str = "nats") -> float:
        """The fitted critics' bound on new data (each fold's selected critics with that fold's
        maps, averaged): x and z for MINE, samples of P and Q for DivergenceEstimator."""
        self._check_fitted()
        source = self._source(first, second)
        if source.dims != self.dims_:
            what = " and ".join(map(str, self.dims_))
            raise ValueError(
                f"expected inputs with {what} columns as in fit, got {' and '.join(map(str, source.dims))}"
            )
        if source.n_rows < self.MIN_ROWS:
            raise ValueError(f"evaluate needs at least {self.MIN_ROWS} samples")
        return to_units(evaluate_folds(self._plan(), self.folds_, source), units)

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
    def chosen_(self) -> list[list[str]]:
        """Per fold, what each held-out half kept: "constant", "network" or a candidate family's name
        (``folds_[k].chosen``: the same in words, with ranks)."""
        self._check_fitted()
        return [[kind_of(c) for c in f.critics] for f in self.folds_]

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


class MINE(MIResults, VariationalEstimator):
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
    candidates : "auto", "all", "none", None, str or list of str
        The candidate families (:mod:`mine.candidates`) whose critics, fitted on each fold's training
        rows with no training, each held-out half may select beside the network's steps, reported
        like a step: "gaussian" (the Gaussian copula's; exact for any Gaussian copula), "student_t"
        (the t copula's, where it fits better; heavy joint tails), "data_scale" (the Gaussian of the
        data's own values; linear relations), and any family registered. "auto": every registered
        family with bound "dv", a built-in critic and "quantile" preprocessing, else none; "all":
        every registered family; a name or a list of names: those; "none" or None: the network alone.
        Other than "auto", they need a bound whose best critic is a log density ratio (dv, infonce,
        js, smile).
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
        Per fold: selected critics, maps, reports, steps, history (:mod:`mine.fitting`).
    bound_, dtype_, device_, cap_, candidates_ : the resolved bound, dtype and device; the most the
        bound can report (log(batch_size) for InfoNCE, else inf); the candidate families offered.
    reach_ : float
        The most ``mi_lower`` claims: log of one report's rows (past it a lower bound from them
        proves nothing more), or ``cap_`` for InfoNCE.
    critic_, history_, chosen_ : the first selected critic; per evaluation fold, step, train and
        held-out values; per fold, what each held-out half kept ("constant", "network" or a family).
    x_dim_, z_dim_, dims_, n_features_in_ : columns of x and of z (both: ``dims_``); of x.
    feature_names_in_, z_feature_names_in_ : names of x's and z's columns (string-named DataFrames).

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
        **VariationalEstimator._parameter_constraints,
        "bound": [Options(lambda: available_bounds(aliases=True))],
        "critic": [Options(CRITICS), Instance(nn.Module)],
        "embed_dim": [Integer(1)],
        "candidates": [
            Options(lambda: ["auto", "all", "none", *candidate_families()]),
            OptionList(candidate_families),
            None,
        ],
        "negatives": [Options(NEGATIVES)],
        "ema_rate": [Real(0, 1), None],
        "smile_tau": [POSITIVE],
        "divergence": [Instance(str), Instance(Divergence)],
        "divergence_params": [Instance(dict), None],
    }
    DIMS = ("x_dim_", "z_dim_")
    NAMES = ("feature_names_in_", "z_feature_names_in_")
    MIN_ROWS = 2

    @renamed_parameters(
        {"gaussian_critic": "pass candidates: 'auto' (the default), None (was False) or 'all' (was True)"}
    )
    def __init__(
        self,
        bound: str = "dv",
        critic: str | nn.Module = "cosine",
        hidden: Sequence[int] = (256, 256),
        activation: str = "elu",
        dropout: float = 0.0,
        embed_dim: int = 32,
        candidates: str | Sequence[str] | None = "auto",
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

    def _bound(self) -> Bound:
        """The bound named by ``bound``, built with those of this estimator's parameters it takes."""
        bound = get_bound(self.bound, **{p: getattr(self, p) for p in bound_parameters(self.bound) if hasattr(self, p)})
        if bound.needs_matrix and self.negatives != "all":
            raise ValueError(f"bound {bound.name!r} needs negatives='all', got negatives={self.negatives!r}")
        return bound

    def _source(self, x, z) -> Source:
        return paired_source(x, z, self.negatives)

    def _new_critic(self, dims: tuple[int, ...]) -> nn.Module:
        if isinstance(self.critic, nn.Module):
            return copy.deepcopy(self.critic)
        return build_critic(self.critic, *dims, self.hidden, self.activation, self.embed_dim, self.dropout)

    def _families(self) -> tuple[str, ...]:
        builtin = isinstance(self.critic, str)
        return offered_families(self.candidates, self.bound_, builtin, self.preprocessing == "quantile")

    def fit(self, x: ArrayLike, z: ArrayLike | None = None, *, n_permutations: int = 0) -> MINE:
        """Train the statistics network(s) on paired samples (rows of x and z are joint draws).

        x, z : arrays, tensors, Series or DataFrames of shape (n,) or (n, d), memory-mapped arrays
        included (read a batch at a time). Or x a DataLoader, a Dataset or an iterable of (x, z)
        batches and z None: a map-style dataset is split and batched by index as arrays are; an
        iterable is a stream whose first 10,000 rows are held out (docs: "Larger data").
        n_permutations : also recompute the estimate on this many permutations of z's held-out rows,
        with the same critics (``null_``: the null distribution of :func:`mine.independence_test`).
        Returns self.
        """
        validate_params("MINE.fit", {"n_permutations": [Integer(0)]}, {"n_permutations": n_permutations})
        self._start()
        source = self._source(x, z)
        self._describe_inputs(source, x, z)
        loader_batch = getattr(x, "batch_size", None) if z is None else None
        diagnostics.emit(diagnostics.loader_findings(loader_batch, self.batch_size, source.streaming), stacklevel=2)
        in_memory = dict(zip("xz", source.in_memory_sample()))  # all rows, or a sample of rows read lazily
        diagnostics.emit(diagnostics.data_findings(in_memory, sampled=source.lazy), stacklevel=2)
        del in_memory
        return self._fit(source, n_permutations)

    def _ema_rate(self) -> float | None:
        return self.ema_rate

    def _reach(self, report_rows: int) -> float:
        """log of one report's rows (McAllester & Stratos 2020), or the InfoNCE cap."""
        return self.cap_ if self.bound_.needs_matrix else math.log(report_rows)

    def _estimate_findings(self, report_rows: int) -> list[diagnostics.Finding]:
        """InfoNCE near its cap; an estimate near or past log of a report's rows."""
        found = diagnostics.cap_findings(self.estimate_, self.cap_)
        if not self.bound_.needs_matrix:
            found += diagnostics.log_n_findings(self.estimate_, report_rows)
        return found


def mutual_information(x: ArrayLike, z: ArrayLike, units: str = "nats", **params: Any) -> float:
    """One call: ``MINE(**params).fit(x, z).mi(units)``.

    Parameters
    ----------
    x, z : array_like of shape (n,) or (n, d)
        Paired samples: row i of x and row i of z are one joint draw.
    units : {"nats", "bits"}
    **params
        Any parameter of :class:`MINE`.

    Returns
    -------
    float
        The held-out estimate of I(X; Z).
    """
    return MINE(**params).fit(x, z).mi(units)
