"""The training step every estimator, the GAN regulariser and the benchmarks share.

:class:`CriticTrainer` holds one critic, one bound and one Adam optimiser; ``step(scores)`` ascends
the bound's training objective on a batch's scores. It knows nothing of data splits, early stopping
or GANs, so one trainer serves fixed data sets, fresh samples every step and a moving generator.
With several processes the critic it steps is a :class:`ShardedCritic`: each rank scores its shard
of the global batch (:mod:`mine.distributed` gathers the shards and averages the gradients).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

from .bounds import Bound, MovingAverage, Scores, get_bound
from .critics import SeparableCritic, row_scores
from .distributed import average_gradients, gather_rows, world

__all__ = ["CriticTrainer", "ShardedCritic", "adam"]


def adam(
    params: Iterable[Tensor], lr: float, weight_decay: float = 0.0, betas: tuple[float, float] = (0.9, 0.999)
) -> torch.optim.Adam:
    """Adam with the fused kernel (one pass over all parameters) where torch has it for the device.

    Parameters
    ----------
    params : iterable of Tensor
        The parameters to optimise.
    lr, weight_decay : float
        Adam's learning rate and weight decay.
    betas : (float, float)
        Adam's moment rates.

    Returns
    -------
    torch.optim.Adam
    """
    params = list(params)
    fused = bool(params) and params[0].device.type in ("cpu", "cuda")
    return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay, fused=fused or None)


class ShardedCritic(nn.Module):
    """A critic that scores its rank's shard of a global batch and gathers the scores.

    Called with the whole global batch (every rank holds it), it returns what ``critic`` returns
    on the whole batch: the B x B matrix for ``forward(x, z)``, the B pair scores for
    ``pair_scores(x, z)``, the B scores of a two-sample critic for ``forward(x)``; each rank
    computes 1/N of it. After ``backward``, :meth:`average_gradients` makes the gradients one
    process's.

    Parameters
    ----------
    critic : nn.Module
        The critic (its parameters are this module's).
    """

    def __init__(self, critic: nn.Module):
        super().__init__()
        self.critic = critic

    def _shard(self, rows: Tensor) -> Tensor:
        rank, size = world()
        n = rows.shape[0]
        if n % size:
            raise ValueError(f"a global batch of {n} rows cannot be split evenly over {size} processes")
        return rows[rank * (n // size) : (rank + 1) * (n // size)]

    def forward(self, x: Tensor, z: Tensor | None = None) -> Tensor:
        """S over the global batch (or V on it, for a two-sample critic called with one input)."""
        if z is None:
            return gather_rows(self.critic(self._shard(x)))
        if isinstance(self.critic, SeparableCritic):
            return gather_rows(self.critic.embed_x(self._shard(x))) @ gather_rows(self.critic.embed_z(self._shard(z))).T
        return gather_rows(self.critic(self._shard(x), z))

    def pair_scores(self, x: Tensor, z: Tensor) -> Tensor:
        """T(x_i, z_i) over the global batch."""
        return gather_rows(row_scores(self.critic, self._shard(x), self._shard(z)))

    def average_gradients(self) -> None:
        """All-reduce the parameters' gradients (one flat buffer) and divide by the processes."""
        average_gradients(self.critic.parameters())


class CriticTrainer:
    """One critic, one bound, one Adam optimiser.

    ``step(scores)`` takes a gradient step on ``-objective(scores)`` and returns the bound's value
    on that batch (before the step), detached. For a bound with a moving-average-corrected
    objective (DV) and ``ema_rate`` > 0, the objective is that surrogate, whose gradient is MINE's
    corrected one; the trainer owns the :class:`~mine.bounds.MovingAverage`. The caller computes
    ``scores`` with the critic (``all_pair_scores``, ``shuffled_scores``, ``two_sample_scores``).
    A :class:`ShardedCritic` (several processes) has its gradients averaged over
    the ranks before the step.

    Parameters
    ----------
    critic : nn.Module
        The statistics network (``mine.critics.build_critic`` or a user's module).
    bound : str or Bound
        A registered bound name (``mine.bounds.available_bounds()``) or a :class:`~mine.bounds.Bound`.
    lr, weight_decay, betas : float, float, (float, float)
        Adam's settings.
    ema_rate : float or None
        Rate of the moving average in DV's gradient correction (0 or None: plain DV gradient).

    Examples
    --------
    Fresh samples every step::

        trainer = CriticTrainer(build_critic("separable", x_dim, z_dim), "dv", lr=5e-4)
        for x, z in batches:
            value = trainer.step(all_pair_scores(trainer.critic, x, z))
    """

    def __init__(
        self,
        critic: nn.Module,
        bound: str | Bound = "dv",
        lr: float = 2e-4,
        weight_decay: float = 0.0,
        ema_rate: float | None = 0.01,
        betas: tuple[float, float] = (0.9, 0.999),
    ):
        self.critic = critic
        self.bound = get_bound(bound) if isinstance(bound, str) else bound
        self.optimizer = adam(critic.parameters(), lr, weight_decay, betas)
        corrected = self.bound.corrected_objective is not None
        self.average = MovingAverage(ema_rate) if corrected and ema_rate else None

    def objective(self, scores: Scores) -> Tensor:
        """What the step maximises: the corrected surrogate when there is an average, else the
        bound's objective."""
        if self.average is not None:
            return self.bound.corrected_objective(scores, self.average)
        return self.bound.objective(scores)

    def step(self, scores: Scores) -> Tensor:
        """One optimiser step on a batch's scores; the bound's value on them (before the step)."""
        loss = -self.objective(scores)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if isinstance(self.critic, ShardedCritic):  # several processes: one process's gradient
            self.critic.average_gradients()
        self.optimizer.step()
        return self.bound.value(scores).detach()
