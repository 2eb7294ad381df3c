"""What the closed-form critics of canonical pairs share (the Gaussian copula's and the t copula's):
float64 buffers, scores clamped to the range of the training rows' scores, rebuilt from their state."""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor

from .registry import CandidateCritic

__all__ = ["CanonicalCritic", "float64_buffers"]


def float64_buffers(module: torch.nn.Module, **values) -> None:
    """Register each value as a float64 buffer of ``module``.

    Parameters
    ----------
    module : nn.Module
        Where the buffers go.
    **values : Tensor, ndarray or float
        The buffers by name.
    """
    for name, value in values.items():
        module.register_buffer(name, torch.as_tensor(value, dtype=torch.float64))


class CanonicalCritic(CandidateCritic):
    """A log density ratio in closed form through the first k canonical pairs (``rho`` of shape (k,)),
    computed in float64 and clamped to [``low``, ``cap``]: the smallest and the largest score of a
    training row (:meth:`clamped_to`), so that a rare outlying row cannot dominate DV's exp(T) (or
    its mean) on heavy-tailed data. Scores come back in the inputs' dtype and device.

    A subclass sets ``STATE``, its constructor's arguments (also its buffers' names, so
    :meth:`from_state` rebuilds it from ``state_dict()``), and writes ``all_pairs`` and
    ``row_pairs``, the float64 scores before the clamp.

    Parameters
    ----------
    rho : Tensor of shape (k,)
        The canonical correlations used (clamped to [0, 1 - 1e-6]).
    cap, low : float
        The largest and the smallest score.
    **buffers : Tensor
        The subclass's other tensors, kept as float64 buffers.
    """

    RHO_MAX: ClassVar[float] = 1.0 - 1e-6  # rho = 1 (a copied column) would give infinite weights
    STATE: ClassVar[tuple[str, ...]] = ()

    def __init__(self, rho: Tensor, cap: float = math.inf, low: float = -math.inf, **buffers):
        super().__init__()
        float64_buffers(self, **buffers)
        rho = torch.as_tensor(rho, dtype=torch.float64).clamp(0.0, self.RHO_MAX)
        float64_buffers(self, rho=rho, cap=float(cap), low=float(low))

    @classmethod
    def from_state(cls, state: dict[str, Tensor]) -> CanonicalCritic:
        """The critic whose ``state_dict()`` is ``state`` (its rank read from the shapes)."""
        return cls(**{name: state[name] for name in cls.STATE})

    @property
    def rank(self) -> int:
        """The number of canonical pairs used."""
        return len(self.rho)

    def all_pairs(self, x: Tensor, z: Tensor) -> Tensor:
        """S[i, j] = T(x_i, z_j) in float64, before the clamp."""
        raise NotImplementedError

    def row_pairs(self, x: Tensor, z: Tensor) -> Tensor:
        """T(x_i, z_i) in float64, before the clamp."""
        raise NotImplementedError

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        """All pairs: S[i, j] = T(x_i, z_j), shape (B_x, B_z), in the inputs' dtype."""
        return self.all_pairs(x, z).clamp(self.low, self.cap).to(device=x.device, dtype=x.dtype)

    def pair_scores(self, x: Tensor, z: Tensor) -> Tensor:
        """Row-wise pairs: T(x_i, z_i), shape (B,)."""
        return self.row_pairs(x, z).clamp(self.low, self.cap).to(device=x.device, dtype=x.dtype)

    def clamped_to(self, x: Tensor, z: Tensor) -> CanonicalCritic:
        """This critic with ``cap`` and ``low`` set to its largest and smallest score on the rows x, z."""
        scores = self.pair_scores(x, z)
        self.cap.fill_(float(scores.max()))
        self.low.fill_(float(scores.min()))
        return self
