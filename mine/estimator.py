"""The fitting machinery and the MI estimator built on it.

``_VariationalEstimator`` owns what every estimator in the package shares: parameter checks, the
held-out split (single or cross-fitted), the training loop (batches, Adam, the moving average of
the DV correction, held-out evaluation, early stopping, restoring the best critic) and save/load.
A subclass says only how a batch becomes :class:`~mine.bounds.Scores`.

``MINE`` estimates I(X; Z) from paired samples: joint scores on the diagonal of the batch score
matrix, product-of-marginals scores off it.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from tqdm.auto import tqdm

from ._validation import as_2d_float, check_fraction, check_paired, check_positive_int, resolve_dtype
from .bounds import Bound, MovingAverage, Scores, f_bound, get_bound, pooled_value
from .critics import ScalarCritic, all_pair_scores, build_critic, shuffled_scores, two_sample_scores

__all__ = ["MINE", "CriticTrainer", "DivergenceEstimator", "divergence", "mutual_information"]

UNITS = {"nats": 1.0, "bits": 1.0 / math.log(2.0)}
NEGATIVES = ("all", "shuffle")
EVAL_BLOCK_ROWS = 256


def _to_units(value: float, units: str) -> float:
    if units not in UNITS:
        raise ValueError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
    return value * UNITS[units]


def _resolve_device(device: str | torch.device) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class _Standardizer:
    """Per-column centring and scaling fitted on a training split (MI is invariant to it)."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray):
        self.mean, self.scale = np.asarray(mean, dtype=np.float64), np.asarray(scale, dtype=np.float64)

    @classmethod
    def fit(cls, data: np.ndarray, enabled: bool = True) -> _Standardizer:
        if not enabled:
            return cls(np.zeros(data.shape[1]), np.ones(data.shape[1]))
        scale = data.std(axis=0)
        return cls(data.mean(axis=0), np.where(scale > 0, scale, 1.0))

    def __call__(self, data: np.ndarray) -> np.ndarray:
        return (data - self.mean) / self.scale

    def state(self) -> list[list[float]]:
        return [self.mean.tolist(), self.scale.tolist()]


def _adam(params, lr: float, weight_decay: float, betas: tuple[float, float]) -> torch.optim.Adam:
    """Adam with the fused kernel (one pass over all parameters) where torch has it for this device."""
    params = list(params)
    fused = bool(params) and params[0].device.type in ("cpu", "cuda")
    return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay, fused=fused or None)


class CriticTrainer:
    """One critic, one bound, one Adam optimiser: the training step every estimator shares.

    ``step(scores)`` takes a gradient step on ``-objective(scores)`` (for DV with ``ema_rate`` > 0
    the objective is the moving-average surrogate whose gradient is MINE's corrected one) and
    returns the bound's value on that batch, detached. The caller computes ``scores`` with the
    critic (``all_pair_scores``, ``shuffled_scores``, ``two_sample_scores``), so one trainer serves
    fixed data sets, fresh samples per step (benchmarks) and a GAN's moving generator.

    Example (fresh samples every step)::

        trainer = CriticTrainer(build_critic("separable", x_dim, z_dim), "dv", lr=5e-4)
        for x, z in batches:
            value = trainer.step(all_pair_scores(trainer.critic, x, z))
    """

    def __init__(self, critic: torch.nn.Module, bound: str | Bound = "dv", lr: float = 2e-4,
                 weight_decay: float = 0.0, ema_rate: float | None = 0.01,
                 betas: tuple[float, float] = (0.9, 0.999)):
        self.critic = critic
        self.bound = get_bound(bound) if isinstance(bound, str) else bound
        self.optimizer = _adam(critic.parameters(), lr, weight_decay, betas)
        self.average = MovingAverage(ema_rate) if self.bound.name == "dv" and ema_rate else None

    def step(self, scores: Scores) -> torch.Tensor:
        """One optimiser step on a batch's scores; the bound's value on them (before the step)."""
        loss = -self.bound.objective(scores, self.average)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return self.bound.value(scores).detach()


class _BatchStream:
    """Row indices in batches of ``size``, without replacement within an epoch, reshuffled per epoch."""

    def __init__(self, n: int, size: int, generator: torch.Generator, device: torch.device):
        self.n, self.size, self.generator, self.device = n, size, generator, device
        self.order, self.cursor = torch.arange(n), n

    def next(self) -> torch.Tensor:
        if self.cursor + self.size > self.n:
            self.order, self.cursor = torch.randperm(self.n, generator=self.generator), 0
        self.cursor += self.size
        return self.order[self.cursor - self.size : self.cursor].to(self.device)


@dataclass
class _Fold:
    """One trained critic with the standardization of its training part and its held-out result."""

    critic: torch.nn.Module
    scalers: list[_Standardizer]
    estimate: float
    n_train: int
    n_heldout: int
    n_steps: int = 0
    best_step: int = 0
    stopped_early: bool = False
    history: list[dict[str, float]] = field(default_factory=list)

    SUMMARY = ("estimate", "n_train", "n_heldout", "n_steps", "best_step", "stopped_early", "history")


class _VariationalEstimator(BaseEstimator):
    """Shared fitting machinery; subclasses define the scores of a batch and of a held-out block."""

    # --- the parts a subclass provides -------------------------------------------------------
    def _batch_scores(self, critic, batch, generator) -> Scores:
        raise NotImplementedError

    def _eval_scores(self, critic, block) -> Scores:
        raise NotImplementedError

    def _new_critic(self) -> torch.nn.Module:
        raise NotImplementedError

    def _get_bound(self) -> Bound:
        raise NotImplementedError

    def _ema_rate(self) -> float | None:
        """Rate of the DV gradient correction's moving average (None: the estimator has none)."""
        return None

    # --- checks and splits -------------------------------------------------------------------
    def _check_params(self) -> Bound:
        check_positive_int(self.batch_size, "batch_size", minimum=2)
        check_positive_int(self.max_steps, "max_steps")
        check_positive_int(self.eval_every, "eval_every")
        check_positive_int(self.patience, "patience")
        check_positive_int(self.folds, "folds")
        check_fraction(self.heldout_fraction, "heldout_fraction")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if not (isinstance(self.weight_decay, (int, float)) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be a non-negative number, got {self.weight_decay!r}")
        self._dtype = resolve_dtype(self.dtype)
        self._device = _resolve_device(self.device)
        return self._get_bound()

    def _splits(self, n: int, rng: np.random.RandomState, what: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """(train, held-out) index pairs: ``folds`` >= 2 cross-fits, 1 holds out a fraction."""
        perm = rng.permutation(n)
        if self.folds == 1:
            n_heldout = int(math.ceil(self.heldout_fraction * n))
            splits = [(perm[n_heldout:], perm[:n_heldout])]
            how = f"heldout_fraction={self.heldout_fraction}"
        else:
            parts = np.array_split(perm, self.folds)
            splits = [(np.concatenate(parts[:k] + parts[k + 1 :]), parts[k]) for k in range(self.folds)]
            how = f"folds={self.folds}"
        n_train = min(len(t) for t, _ in splits)
        n_heldout = min(len(h) for _, h in splits)
        if n_heldout < 2 or n_train < 2:
            raise ValueError(
                f"too few samples: {n} {what} leave {n_train} for training and {n_heldout} held out "
                f"({how}); each part needs at least 2"
            )
        if self.batch_size > n_train:
            raise ValueError(
                f"batch_size={self.batch_size} is larger than the training set ({n_train} of {n} "
                f"{what}, {how}); lower batch_size or add data"
            )
        return splits

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(array, dtype=self._dtype, device=self._device)

    def _fit_scalers(self, train_groups: Sequence[Sequence[np.ndarray]]) -> list[_Standardizer]:
        """One standardization per array (flat, in group order); subclasses may share them."""
        return [_Standardizer.fit(a, self.standardize) for g in train_groups for a in g]

    def _scaled(self, scalers: Sequence[_Standardizer], groups) -> list[list[torch.Tensor]]:
        flat = iter(scalers)
        return [[self._tensor(next(flat)(a)) for a in g] for g in groups]

    def _blocks(self, groups: Sequence[Sequence[torch.Tensor]]) -> list[tuple[torch.Tensor, ...]]:
        """Cut evaluation data into blocks of about ``batch_size`` rows of every group.

        InfoNCE is defined per batch, so its blocks are batches; the other bounds pool all blocks'
        scores, so their blocks stop at ``EVAL_BLOCK_ROWS`` rows: all-pairs scoring costs B^2 critic
        calls per block, and a concat critic at B = 1,024 would need gigabytes to score one.
        """
        rows = self.batch_size if self.bound_.needs_matrix else min(self.batch_size, EVAL_BLOCK_ROWS)
        n_blocks = max(1, min(g[0].shape[0] for g in groups) // rows)
        return list(zip(*(torch.tensor_split(a, n_blocks) for g in groups for a in g)))

    # --- training ----------------------------------------------------------------------------
    def _evaluate(self, critic: torch.nn.Module, blocks) -> torch.Tensor:
        was_training = critic.training
        critic.eval()
        with torch.no_grad():
            value = pooled_value(self.bound_, [self._eval_scores(critic, b) for b in blocks])
        critic.train(was_training)
        return value

    def _train_fold(self, train: Sequence[Sequence[torch.Tensor]], heldout_blocks, seed: int, bar: tqdm,
                    fold: int) -> dict:
        """Train one critic; return it (best held-out state restored) with its summary."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            critic = self._new_critic().to(device=self._device, dtype=self._dtype)
        generator = torch.Generator().manual_seed(seed)
        streams = [_BatchStream(g[0].shape[0], self.batch_size, generator, self._device) for g in train]
        trainer = CriticTrainer(critic, self.bound_, self.lr, self.weight_decay, self._ema_rate())

        history: list[dict[str, float]] = []
        best_value, best_state, best_step, stale = -math.inf, None, 0, 0
        train_sum = torch.zeros((), dtype=self._dtype, device=self._device)
        train_count, step, stopped_early = 0, 0, False
        for step in range(1, self.max_steps + 1):
            batch = [t[index] for stream, group in zip(streams, train) for index in [stream.next()] for t in group]
            train_sum += trainer.step(self._batch_scores(critic, batch, generator))
            train_count += 1
            bar.update(1)

            if step % self.eval_every and step != self.max_steps:
                continue
            heldout = float(self._evaluate(critic, heldout_blocks))
            train_value = float(train_sum) / train_count
            if not (math.isfinite(heldout) and math.isfinite(train_value)):
                raise FloatingPointError(
                    f"training diverged: the {self.bound_.name} estimate became NaN or infinite by "
                    f"step {step}; try a smaller learning rate (lr={self.lr:g}, e.g. lr={self.lr / 10:g})"
                )
            history.append({"fold": fold, "step": step, "train": train_value, "heldout": heldout})
            train_sum.zero_()
            train_count = 0
            if heldout > best_value:
                best_value, best_step, stale = heldout, step, 0
                best_state = copy.deepcopy(critic.state_dict())
            else:
                stale += 1
                if stale >= self.patience:
                    stopped_early = True
                    break
            bar.set_postfix(fold=fold, heldout=f"{heldout:.4f}", best=f"{best_value:.4f}")
        critic.load_state_dict(best_state)
        return dict(critic=critic, estimate=best_value, n_steps=step, best_step=best_step,
                    stopped_early=stopped_early, history=history)

    def _fit_folds(self, groups: Sequence[Sequence[np.ndarray]], names: Sequence[str],
                   rng: np.random.RandomState) -> None:
        """Train one critic per fold. ``groups``: lists of arrays whose rows are aligned within a
        group (MINE: [[x, z]]; two samples: [[p], [q]]); each group is split on its own."""
        splits = [self._splits(g[0].shape[0], rng, name) for g, name in zip(groups, names)]
        n_folds = len(splits[0])
        seeds = rng.randint(0, 2**31 - 1, size=n_folds)
        self.folds_: list[_Fold] = []
        with tqdm(total=self.max_steps * n_folds, disable=not self.verbose,
                  desc=type(self).__name__, leave=False) as bar:
            for k, seed in enumerate(seeds):
                train_groups = [[a[sp[k][0]] for a in g] for g, sp in zip(groups, splits)]
                heldout_groups = [[a[sp[k][1]] for a in g] for g, sp in zip(groups, splits)]
                scalers = self._fit_scalers(train_groups)
                train = self._scaled(scalers, train_groups)
                heldout = self._blocks(self._scaled(scalers, heldout_groups))
                result = self._train_fold(train, heldout, int(seed), bar, k)
                self.folds_.append(_Fold(scalers=scalers, n_train=sum(len(g[0]) for g in train_groups),
                                         n_heldout=sum(len(g[0]) for g in heldout_groups), **result))
                bar.total -= self.max_steps - result["n_steps"]  # early stop: shrink the bar
        self.estimate_ = self._combine([f.estimate for f in self.folds_], [f.n_heldout for f in self.folds_])

    @staticmethod
    def _combine(values: Sequence[float], sizes: Sequence[int]) -> float:
        """Folds' held-out estimates averaged with weights proportional to their sizes."""
        return float(np.average(values, weights=sizes))

    # --- fitted state ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "estimate_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    @property
    def critic_(self) -> torch.nn.Module:
        """The trained critic of the first fold (``folds_[k].critic`` for the others)."""
        self._check_fitted()
        return self.folds_[0].critic

    @property
    def history_(self) -> list[dict[str, float]]:
        """Per evaluation: fold, step, mean training-batch estimate, held-out estimate (nats)."""
        self._check_fitted()
        return [row for f in self.folds_ for row in f.history]

    def _evaluate_new(self, groups: Sequence[Sequence[np.ndarray]]) -> float:
        """Each fold's critic on new data with its own standardization, combined across folds."""
        values = [float(self._evaluate(f.critic, self._blocks(self._scaled(f.scalers, groups)))) for f in self.folds_]
        return float(np.mean(values))

    # --- persistence -------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write parameters, every fold's critic weights and fitted state to ``path``."""
        self._check_fitted()
        params = self.get_params()
        if isinstance(params.get("critic"), torch.nn.Module):
            params["critic"] = None  # a user's module is passed again to load()
        torch.save(
            {
                "class": type(self).__name__,
                "params": params,
                "fitted": {k: v for k, v in vars(self).items() if k.endswith("_") and k != "folds_"
                           and isinstance(v, (int, float, bool, str, tuple, list))},
                "folds": [
                    {"critic_state": f.critic.state_dict(), "scalers": [s.state() for s in f.scalers],
                     **{name: getattr(f, name) for name in _Fold.SUMMARY}}
                    for f in self.folds_
                ],
            },
            path,
        )

    @classmethod
    def load(cls, path, critic: torch.nn.Module | None = None):
        """Rebuild an estimator written by :meth:`save` (pass ``critic`` for a user's module)."""
        state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
        if state.get("class") != cls.__name__:
            raise ValueError(f"{path} holds a {state.get('class')}, not a {cls.__name__}")
        params = dict(state["params"])
        if "critic" in params and params["critic"] is None:
            if critic is None:
                raise ValueError("this estimator was fitted with a user critic: pass it as critic=")
            params["critic"] = critic
        est = cls(**params)
        est.bound_ = est._check_params()
        for name, value in state["fitted"].items():
            setattr(est, name, value)
        est.folds_ = []
        for fold in state["folds"]:
            module = copy.deepcopy(critic) if critic is not None else est._new_critic()
            module.load_state_dict(fold["critic_state"])
            module.to(device=est._device, dtype=est._dtype)
            scalers = [_Standardizer(*s) for s in fold["scalers"]]
            est.folds_.append(_Fold(critic=module, scalers=scalers, **{n: fold[n] for n in _Fold.SUMMARY}))
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
    bound : {"dv", "nwj", "infonce", "js", "smile", "f"}
        "dv" is MINE (Donsker-Varadhan) with the moving-average gradient correction when
        ``ema_rate > 0``; "nwj" is MINE-f; "infonce" is capped at log(batch_size); "js" and "smile"
        train on the Jensen-Shannon objective and report DV (SMILE: clipped at ``smile_tau``,
        biased and not a bound); "f" estimates the f-information D_f(P_XZ || P_X P_Z) of
        ``divergence`` (a row of :mod:`mine.divergences`, with ``divergence_params``).
    critic : {"separable", "concat"} or nn.Module
        A built-in statistics network or a module following the protocol of :mod:`mine.critics`.
    hidden, activation, embed_dim
        Hidden layer widths and activation of the built-in critics; embedding size of "separable".
    negatives : {"all", "shuffle"}
        All B(B-1) off-diagonal pairs of a batch, or B pairs with z deranged (MINE paper).
    batch_size, lr, weight_decay, max_steps
        Adam's settings and the most training steps per fold.
    ema_rate : float or None
        Rate of the moving average in the DV gradient correction (0 or None turns it off).
    folds : int
        Cross-fitting folds; 1 trains once and holds out ``heldout_fraction`` of the samples.
    eval_every, patience
        Evaluate on the held-out part every ``eval_every`` steps; stop after ``patience``
        evaluations without improvement and keep the best critic.
    standardize : bool
        Centre and scale each column with its training part's statistics (MI is unchanged).
    device, dtype, random_state, verbose
        Where and in which precision to train, the seed, and a progress bar.

    Attributes
    ----------
    estimate_ : float   held-out estimate in nats (``mi()`` converts units)
    folds_ : list   per fold: critic, standardization, estimate, steps, history
    critic_ : nn.Module   the first fold's trained critic (on standardized inputs)
    history_ : list of dict   fold, step, mean training-batch estimate, held-out estimate
    """

    def __init__(
        self,
        bound: str = "dv",
        critic: str | torch.nn.Module = "separable",
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
        standardize: bool = True,
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
        self.standardize = standardize
        self.device = device
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    def _get_bound(self) -> Bound:
        if self.ema_rate is not None and not 0 <= self.ema_rate <= 1:
            raise ValueError(f"ema_rate must be in [0, 1] (0 or None: no correction), got {self.ema_rate!r}")
        return get_bound(self.bound, self.smile_tau, self.divergence, self.divergence_params)

    def _ema_rate(self) -> float | None:
        return self.ema_rate

    def _batch_scores(self, critic, batch, generator) -> Scores:
        x, z = batch
        if self.negatives == "shuffle":
            return shuffled_scores(critic, x, z, generator)
        return all_pair_scores(critic, x, z)

    def _eval_scores(self, critic, block) -> Scores:
        return all_pair_scores(critic, *block)

    def _new_critic(self) -> torch.nn.Module:
        if isinstance(self.critic, torch.nn.Module):
            return copy.deepcopy(self.critic)
        return build_critic(self.critic, self.x_dim_, self.z_dim_, self.hidden, self.activation, self.embed_dim)

    def fit(self, x, z) -> MINE:
        """Train the statistics network(s) on paired samples (rows of x and z are joint draws).

        x, z : arrays, tensors or DataFrames of shape (n,) or (n, d). Returns self.
        """
        self.bound_ = self._check_params()
        if self.negatives not in NEGATIVES:
            raise ValueError(f"unknown negatives {self.negatives!r}; valid: {', '.join(NEGATIVES)}")
        if self.bound_.needs_matrix and self.negatives != "all":
            raise ValueError(f"bound {self.bound_.name!r} needs negatives='all'")
        x, z = check_paired(x, z)
        self.x_dim_, self.z_dim_ = x.shape[1], z.shape[1]
        self.n_samples_ = x.shape[0]
        self._fit_folds([[x, z]], ["rows"], check_random_state(self.random_state))
        if self.estimate_ > 0.9 * self.cap:
            warnings.warn(
                f"the InfoNCE estimate {self.estimate_:.3f} nats is near its cap log(batch_size) = "
                f"{self.cap:.3f}; the true MI may be larger (raise batch_size)",
                stacklevel=2,
            )
        return self

    @property
    def cap(self) -> float:
        """The largest value the bound can report: log(batch_size) for InfoNCE, else inf."""
        return math.log(self.batch_size) if self._get_bound().needs_matrix else math.inf

    def mi(self, units: str = "nats") -> float:
        """The held-out estimate of I(X; Z) in ``"nats"`` or ``"bits"``."""
        self._check_fitted()
        return _to_units(self.estimate_, units)

    def evaluate(self, x, z, units: str = "nats") -> float:
        """The fitted critics' bound on new paired samples (blocks of batch_size, folds averaged)."""
        self._check_fitted()
        x, z = check_paired(x, z)
        if (x.shape[1], z.shape[1]) != (self.x_dim_, self.z_dim_):
            raise ValueError(
                f"expected x with {self.x_dim_} and z with {self.z_dim_} columns as in fit, "
                f"got {x.shape[1]} and {z.shape[1]}"
            )
        if x.shape[0] < 2:
            raise ValueError("evaluate needs at least 2 samples")
        return _to_units(self._evaluate_new([[x, z]]), units)


class DivergenceEstimator(_VariationalEstimator):
    """Two-sample estimate of D_f(P || Q) from samples of P and of Q (variational divergence
    minimisation, Nowozin et al. 2016).

    A network V(x) is trained to maximise E_P[g_f(V)] - E_Q[f*(g_f(V))] with f, f* and g_f read
    from :mod:`mine.divergences`; the estimate is that bound on held-out samples of both (cross-
    fitted in ``folds`` parts of each sample). P and Q may have different sizes. Both samples are
    standardized with one shared transform (a divergence is invariant only to a common map).

    Parameters are those of :class:`MINE` where they apply; ``divergence`` names a row of the
    table (``divergence_params`` e.g. ``{"alpha": 2}``), ``critic`` may be a user ``nn.Module``
    mapping (B, d) -> (B,).
    """

    def __init__(
        self,
        divergence: str = "kl",
        divergence_params: dict | None = None,
        critic: str | torch.nn.Module = "mlp",
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
        standardize: bool = True,
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
        self.standardize = standardize
        self.device = device
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    def _get_bound(self) -> Bound:
        return f_bound(self.divergence, **(self.divergence_params or {}))

    def _new_critic(self) -> torch.nn.Module:
        if isinstance(self.critic, torch.nn.Module):
            return copy.deepcopy(self.critic)
        if self.critic != "mlp":
            raise ValueError(f"unknown critic {self.critic!r}; valid critics: mlp, or an nn.Module")
        return ScalarCritic(self.dim_, self.hidden, self.activation)

    def _batch_scores(self, critic, batch, generator) -> Scores:
        return two_sample_scores(critic, *batch)

    def _eval_scores(self, critic, block) -> Scores:
        return two_sample_scores(critic, *block)

    def _fit_scalers(self, train_groups) -> list[_Standardizer]:
        shared = _Standardizer.fit(np.concatenate([g[0] for g in train_groups]), self.standardize)
        return [shared, shared]

    def _check_samples(self, p, q) -> tuple[np.ndarray, np.ndarray]:
        p, q = as_2d_float(p, "p_samples"), as_2d_float(q, "q_samples")
        if p.shape[1] != q.shape[1]:
            raise ValueError(
                f"p_samples and q_samples must have the same number of columns, got {p.shape[1]} and {q.shape[1]}"
            )
        return p, q

    def fit(self, p_samples, q_samples) -> DivergenceEstimator:
        """Train V on samples of P and of Q (arrays, tensors or DataFrames; (n,) or (n, d))."""
        self.bound_ = self._check_params()
        p, q = self._check_samples(p_samples, q_samples)
        self.dim_ = p.shape[1]
        self._fit_folds([[p], [q]], ["P samples", "Q samples"], check_random_state(self.random_state))
        return self

    def value(self, units: str = "nats") -> float:
        """The held-out estimate of D_f(P || Q) (``"nats"`` or ``"bits"`` where logs are involved)."""
        self._check_fitted()
        return _to_units(self.estimate_, units)

    def evaluate(self, p_samples, q_samples, units: str = "nats") -> float:
        """The fitted critics' bound on new samples of P and Q (folds averaged)."""
        self._check_fitted()
        p, q = self._check_samples(p_samples, q_samples)
        if p.shape[1] != self.dim_:
            raise ValueError(f"expected {self.dim_} columns as in fit, got {p.shape[1]}")
        return _to_units(self._evaluate_new([[p], [q]]), units)


def divergence(p_samples, q_samples, kind: str = "kl", units: str = "nats", **params) -> float:
    """One call: ``DivergenceEstimator(divergence=kind, **params).fit(p, q).value(units)``."""
    return DivergenceEstimator(divergence=kind, **params).fit(p_samples, q_samples).value(units)


def mutual_information(x, z, units: str = "nats", **params) -> float:
    """One call: ``MINE(**params).fit(x, z).mi(units)``."""
    return MINE(**params).fit(x, z).mi(units)
