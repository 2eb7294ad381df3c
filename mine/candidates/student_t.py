"""The t copula's critic: heavy joint tails, dependence that no correlation shows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import Tensor

from ..copulas import canonical_pairs_of_covariance, fit_t_copula, student_t_scores
from .canonical import CanonicalCritic
from .registry import TrainingRows

__all__ = ["StudentCritic"]


class StudentCritic(CanonicalCritic):
    """The log density ratio of a t copula (nu degrees of freedom, correlation P) through its first
    k canonical pairs, on per-column normal scores g turned into t scores s = F_nu^(-1)(Phi(g)):

        T = lgamma((nu+d)/2) + lgamma(nu/2) - lgamma((nu+d_x)/2) - lgamma((nu+d_z)/2)
            - 1/2 sum_k log(1 - rho_k^2) - (nu+d)/2 log(1 + Q/nu)
            + (nu+d_x)/2 log(1 + Q_x/nu) + (nu+d_z)/2 log(1 + Q_z/nu),

    Q_x = |s_x W_x|^2 and Q_z = |s_z W_z|^2 each side's squared Mahalanobis norm, a_k, b_k its
    canonical coordinates and Q = Q_x + Q_z + sum_k [rho_k^2 (a_k^2 + b_k^2) - 2 rho_k a_k b_k] /
    (1 - rho_k^2) the joint one (d = d_x + d_z; the margins' t densities cancel in the ratio). For a
    multivariate t or any monotone map of its columns it is log p(x, z) / (p(x) p(z)); unlike the
    Gaussian's, it carries dependence even at rank 0 (the shared radius of heavy joint tails). The
    t scores are computed on the host (scipy's inverse t CDF).

    Family ``"student_t"``: on folds whose maps are normal scores (on standardised heavy tails Phi(g)
    rounds to 0 or 1 and the t scores to infinity), at rank 0 and every rank of
    :func:`~mine.candidates.gaussian_ranks`, and only where a t copula fits the rows better than
    the Gaussian one.

    Parameters
    ----------
    nu : float
        Degrees of freedom.
    whiten_x, whiten_z : Tensor
        P_xx^(-1/2), P_zz^(-1/2).
    directions_x, directions_z, rho : Tensor
        The canonical pairs (shapes (d, k), (k,); k may be 0).
    cap, low : float
        The largest and the smallest score.
    """

    family: ClassVar[str] = "student_t"
    STATE = ("nu", "whiten_x", "whiten_z", "directions_x", "directions_z", "rho", "cap", "low")

    def __init__(self, nu, whiten_x, whiten_z, directions_x, directions_z, rho, cap=math.inf, low=-math.inf):
        sides = dict(whiten_x=whiten_x, whiten_z=whiten_z, directions_x=directions_x, directions_z=directions_z)
        super().__init__(rho, cap, low, nu=float(nu), **sides)

    @classmethod
    def applies(cls, rows: TrainingRows) -> bool:
        return rows.normal_scores

    @classmethod
    def fit(cls, rows: TrainingRows) -> list[StudentCritic]:
        """One critic at rank 0 and one per rank of ``rows.ranks``, where a t copula fits better."""
        return cls.at_ranks(rows.x, rows.z, [0, *rows.ranks])

    @classmethod
    def at_ranks(cls, x: Tensor, z: Tensor, ranks: Sequence[int], random_state=0) -> list[StudentCritic]:
        """One critic per rank in ``ranks`` (0 to min(d_x, d_z)) of the t copula fitted to the rows
        x, z of normal scores (:func:`mine.copulas.fit_t_copula`; ``random_state``: the rows of its
        degrees-of-freedom profile), each clamped to its smallest and largest score on these rows;
        none where the Gaussian copula fits them better."""
        x, z = x.detach().cpu().double(), z.detach().cpu().double()
        nu, correlation = fit_t_copula(torch.cat([x, z], dim=1).numpy(), random_state=random_state)
        if math.isinf(nu):
            return []
        pairs = canonical_pairs_of_covariance(correlation, x.shape[1])
        whiten = (torch.from_numpy(pairs.whiten_x), torch.from_numpy(pairs.whiten_z))
        return [cls(nu, *whiten, *(torch.from_numpy(a) for a in pairs.first(k))).clamped_to(x, z) for k in ranks]

    @property
    def label(self) -> str:
        """The label: "student-t rank k (nu=v)"."""
        return f"student-t rank {self.rank} (nu={float(self.nu):g})"

    def _t_scores(self, rows: Tensor) -> Tensor:
        s = student_t_scores(rows.detach().cpu().double().numpy(), float(self.nu))
        return torch.from_numpy(s).to(self.rho.device)

    def _sides(self, x: Tensor, z: Tensor):
        """From t scores: a_k rho_k / (1 - rho_k^2) and b_k (the cross term's factors), each side's
        share of Q (Q_side + sum_k rho_k^2 / (1 - rho_k^2) side_k^2) and (nu + d_side)/2 log(1 + Q_side/nu)."""
        nu, rho = float(self.nu), self.rho
        sx, sz = self._t_scores(x), self._t_scores(z)
        a, b = sx @ self.directions_x, sz @ self.directions_z
        qx, qz = (sx @ self.whiten_x).square().sum(-1), (sz @ self.whiten_z).square().sum(-1)
        spread = rho**2 / (1 - rho**2)
        qx_joint, qz_joint = qx + (spread * a**2).sum(-1), qz + (spread * b**2).sum(-1)
        side_x = (nu + sx.shape[1]) / 2 * torch.log1p(qx / nu)
        side_z = (nu + sz.shape[1]) / 2 * torch.log1p(qz / nu)
        return a * (rho / (1 - rho**2)), b, qx_joint, qz_joint, side_x, side_z

    def _offset(self, d_x: int, d_z: int) -> float:
        nu = float(self.nu)
        return (
            math.lgamma((nu + d_x + d_z) / 2)
            + math.lgamma(nu / 2)
            - math.lgamma((nu + d_x) / 2)
            - math.lgamma((nu + d_z) / 2)
            - 0.5 * float(torch.log1p(-(self.rho**2)).sum())
        )

    def _joint(self, quadratic: Tensor, d: int) -> Tensor:
        nu = float(self.nu)
        return -(nu + d) / 2 * torch.log1p(quadratic.clamp_min(0.0) / nu)

    def all_pairs(self, x: Tensor, z: Tensor) -> Tensor:
        """S[i, j] = T(x_i, z_j) in float64, before the clamp."""
        weighted_a, b, qx, qz, side_x, side_z = self._sides(x, z)
        quadratic = qx[:, None] + qz[None, :] - 2 * weighted_a @ b.T
        d_x, d_z = x.shape[-1], z.shape[-1]
        return self._joint(quadratic, d_x + d_z) + side_x[:, None] + side_z[None, :] + self._offset(d_x, d_z)

    def row_pairs(self, x: Tensor, z: Tensor) -> Tensor:
        """T(x_i, z_i) in float64, before the clamp."""
        weighted_a, b, qx, qz, side_x, side_z = self._sides(x, z)
        quadratic = qx + qz - 2 * (weighted_a * b).sum(-1)
        d_x, d_z = x.shape[-1], z.shape[-1]
        return self._joint(quadratic, d_x + d_z) + side_x + side_z + self._offset(d_x, d_z)
