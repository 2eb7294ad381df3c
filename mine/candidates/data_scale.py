"""The Gaussian critic on the data's own scale: the values behind a fold's normal scores."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from ..preprocessing import scaled_values
from .canonical import float64_buffers
from .gaussian import GaussianCritic
from .registry import CandidateCritic, TrainingRows

__all__ = ["DataScaleCritic"]

TABLES = ("references_x", "quantiles_x", "references_z", "quantiles_z")


class DataScaleCritic(CandidateCritic):
    """A closed-form critic applied on the data's own scale: rows of per-column normal scores s are
    mapped back to their values x = F^-1(Phi(s)) (piecewise-linear between the training quantiles,
    :meth:`mine.preprocessing.NormalScores.inverse_transform`) before ``inner`` scores them.

    With a :class:`~mine.candidates.GaussianCritic` fitted on the data's values it is the log
    density ratio of the Gaussian with the data's covariance: exact where X given Z is Gaussian with
    a linear mean and X is Gaussian (linear models with any distribution of Z, e.g. CCMI's Model I),
    which no map of each column to normal scores preserves. The lookup runs on the host in float64.
    Family ``"data_scale"``: on folds whose maps are normal scores, at every rank of
    :func:`~mine.candidates.gaussian_ranks`.

    Parameters
    ----------
    inner : nn.Module
        The critic on data values (a GaussianCritic).
    references_x, quantiles_x, references_z, quantiles_z : Tensor
        Each side's normal scores of its knots (m,) and the knots' values (m, d), each column divided
        by the power of two that brings its largest magnitude to [0.5, 1) (a per-column scale,
        which no Gaussian critic sees, and no overflow at 1e300).
    """

    family: ClassVar[str] = "data_scale"

    def __init__(
        self, inner: nn.Module, references_x: Tensor, quantiles_x: Tensor, references_z: Tensor, quantiles_z: Tensor
    ):
        super().__init__()
        self.inner = inner
        tables = (references_x, quantiles_x, references_z, quantiles_z)
        float64_buffers(self, **dict(zip(TABLES, tables)))

    @classmethod
    def applies(cls, rows: TrainingRows) -> bool:
        return rows.normal_scores

    @classmethod
    def fit(cls, rows: TrainingRows) -> list[DataScaleCritic]:
        """Gaussian critics (one per rank of ``rows.ranks``) of the data values of the normal-score
        rows, mapped back by the fold's maps."""
        tables = [torch.as_tensor(t, dtype=torch.float64) for m in rows.maps for t in (m.references_, m.quantiles_)]
        references_x, quantiles_x, references_z, quantiles_z = tables
        x_values = cls._values(rows.x, references_x, quantiles_x)
        z_values = cls._values(rows.z, references_z, quantiles_z)
        return [cls(inner, *tables) for inner in GaussianCritic.at_ranks(x_values, z_values, rows.ranks)]

    @classmethod
    def from_state(cls, state: dict[str, Tensor]) -> DataScaleCritic:
        """The critic whose ``state_dict()`` is ``state`` (its inner critic a Gaussian one)."""
        inner = GaussianCritic.from_state({k[len("inner.") :]: v for k, v in state.items() if k.startswith("inner.")})
        return cls(inner, *(state[name] for name in TABLES))

    @property
    def rank(self) -> int:
        """The inner critic's rank."""
        return self.inner.rank

    @property
    def label(self) -> str:
        """The label: "gaussian (data scale) rank k"."""
        return f"gaussian (data scale) rank {self.rank}"

    @staticmethod
    def _values(scores: Tensor, references: Tensor, quantiles: Tensor) -> Tensor:
        """The rows' scaled data values (:func:`mine.preprocessing.scaled_values`), float64 on the host."""
        s = scores.detach().cpu().double().numpy()
        return torch.from_numpy(scaled_values(s, references.cpu().numpy(), quantiles.cpu().numpy()))

    def _both(self, x: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
        device = self.references_x.device
        return (
            self._values(x, self.references_x, self.quantiles_x).to(device),
            self._values(z, self.references_z, self.quantiles_z).to(device),
        )

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        """All pairs: S[i, j] = T(x_i, z_j), shape (B_x, B_z), in the inputs' dtype."""
        return self.inner(*self._both(x, z)).to(device=x.device, dtype=x.dtype)

    def pair_scores(self, x: Tensor, z: Tensor) -> Tensor:
        """Row-wise pairs: T(x_i, z_i), shape (B,)."""
        return self.inner.pair_scores(*self._both(x, z)).to(device=x.device, dtype=x.dtype)
