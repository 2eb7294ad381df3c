"""The Gaussian copula's critic: the log density ratio of the Gaussian fitted to a fold's rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import Tensor

from ..copulas import canonical_correlations
from .canonical import CanonicalCritic
from .registry import TrainingRows

__all__ = ["GaussianCritic"]


class GaussianCritic(CanonicalCritic):
    """The log density ratio of the Gaussian fitted to training rows, through its first k canonical
    pairs (a_k, b_k) with correlations rho_k (:func:`mine.copulas.canonical_correlations`):

        T(x, z) = sum_k [ rho_k / (1 + rho_k) a_k b_k - rho_k^2 / (2 (1 - rho_k^2)) (a_k - b_k)^2
                          - 1/2 log(1 - rho_k^2) ],   clamped to [``low``, ``cap``].

    For Gaussian (X, Z) it is log p(x, z) / (p(x) p(z)), the optimal critic of every MI bound up to
    a constant; after per-column normal scores it is so for any Gaussian copula (monotone maps of
    each column). Family ``"gaussian"``: fitted at every rank of
    :func:`~mine.candidates.gaussian_ranks`, on any fold.

    Parameters
    ----------
    mean_x, mean_z, directions_x, directions_z, rho : Tensor
        The canonical pairs (``directions_*`` of shape (d, k), ``rho`` of shape (k,)).
    cap, low : float
        The largest and the smallest score.
    """

    family: ClassVar[str] = "gaussian"
    STATE = ("mean_x", "mean_z", "directions_x", "directions_z", "rho", "cap", "low")

    def __init__(self, mean_x, mean_z, directions_x, directions_z, rho, cap=math.inf, low=-math.inf):
        pairs = dict(mean_x=mean_x, mean_z=mean_z, directions_x=directions_x, directions_z=directions_z)
        super().__init__(rho, cap, low, **pairs)

    @classmethod
    def fit(cls, rows: TrainingRows) -> list[GaussianCritic]:
        """One critic per rank of ``rows.ranks``."""
        return cls.at_ranks(rows.x, rows.z, rows.ranks)

    @classmethod
    def at_ranks(cls, x: Tensor, z: Tensor, ranks: Sequence[int]) -> list[GaussianCritic]:
        """One critic per rank in ``ranks`` (each at most min(d_x, d_z)) fitted to the rows x, z of
        shapes (n, d_x) and (n, d_z), each clamped to its smallest and largest score on these rows."""
        x, z = x.detach().cpu().double(), z.detach().cpu().double()  # fitted on the host; .to(device) after
        pairs = canonical_correlations(x.numpy(), z.numpy())
        means = (torch.from_numpy(pairs.mean_x), torch.from_numpy(pairs.mean_z))
        return [cls(*means, *(torch.from_numpy(a) for a in pairs.first(k))).clamped_to(x, z) for k in ranks]

    @property
    def label(self) -> str:
        """The label: "gaussian rank k"."""
        return f"gaussian rank {self.rank}"

    def _terms(self, x: Tensor, z: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        rho = self.rho.double()
        a = (x.double() - self.mean_x.double()) @ self.directions_x.double()
        b = (z.double() - self.mean_z.double()) @ self.directions_z.double()
        spread = rho**2 / (2 * (1 - rho**2))
        return a, b, spread, rho / (1 + rho)

    def _offset(self) -> Tensor:
        return -0.5 * torch.log1p(-(self.rho.double() ** 2)).sum()

    def all_pairs(self, x: Tensor, z: Tensor) -> Tensor:
        """S[i, j] = T(x_i, z_j) in float64, before the clamp."""
        a, b, spread, product = self._terms(x, z)
        cross = (a * (2 * spread + product)) @ b.T  # -e (a - b)^2 + f a b, expanded
        return cross - (spread * a**2).sum(-1)[:, None] - (spread * b**2).sum(-1)[None, :] + self._offset()

    def row_pairs(self, x: Tensor, z: Tensor) -> Tensor:
        """T(x_i, z_i) in float64, before the clamp."""
        a, b, spread, product = self._terms(x, z)
        return (product * a * b - spread * (a - b) ** 2).sum(-1) + self._offset()
