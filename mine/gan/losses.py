"""f-GAN losses for any row of the divergence table (variational divergence minimisation).

The discriminator outputs raw scores V; with g_f and f* from :mod:`mine.divergences`,

    F(V) = E_P[g_f(V(x))] - E_Q[f*(g_f(V(G(z))))]   <=   D_f(P || Q_G),

which the discriminator maximises. The generator either minimises the same F (``"minimax"``:
its loss is -E_Q[f*(g_f(V))]) or, as the f-GAN paper does by default, maximises E_Q[g_f(V)]
(``"non_saturating"``, the generalised -log D trick). For the ``"gan"`` row these are the binary
cross-entropy losses of the original GAN; its F is 2 JSD - log 4, so -log 4 when P = Q.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..bounds import Scores, f_divergence_bound
from ..divergences import Divergence, get_divergence

__all__ = ["GENERATOR_LOSSES", "FGANLoss", "r1_penalty"]

GENERATOR_LOSSES = ("non_saturating", "minimax")


class FGANLoss:
    """Discriminator and generator losses of the f-GAN objective for one divergence.

    Parameters
    ----------
    divergence : str or Divergence
        Any row of the table (``mine.divergences.available_divergences()``), e.g. "gan", "kl",
        "reverse_kl", "pearson", "squared_hellinger", "jensen_shannon"; ``params`` for "alpha".
    generator_loss : {"non_saturating", "minimax"}
        "non_saturating" (default, the f-GAN paper's choice): minimise -E_Q[g_f(V)];
        "minimax": minimise the bound itself, i.e. -E_Q[f*(g_f(V))].
    label_smoothing : float in [0, 1)
        One-sided smoothing s: real samples count with weight 1 - s as real and s as fake,
        (1 - s) g_f(V) - s f*(g_f(V)). For the "gan" row this is binary cross-entropy with real
        targets 1 - s (Salimans et al. 2016); fakes keep their target.
    """

    def __init__(
        self,
        divergence: str | Divergence = "gan",
        generator_loss: str = "non_saturating",
        label_smoothing: float = 0.0,
        **params,
    ):
        self.divergence = get_divergence(divergence, **params)
        self._key = divergence if isinstance(divergence, str) else self.divergence
        self.params = params
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {', '.join(GENERATOR_LOSSES)}, got {generator_loss!r}")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
        self.generator_loss_kind = generator_loss
        self.label_smoothing = float(label_smoothing)

    def __repr__(self) -> str:
        return (
            f"FGANLoss({self.divergence.name!r}, generator_loss={self.generator_loss_kind!r}, "
            f"label_smoothing={self.label_smoothing})"
        )

    def bound(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """F(V) = E_P[g_f(V)] - E_Q[f*(g_f(V))], the variational lower bound on D_f(P || Q)."""
        return f_divergence_bound(Scores(real_scores.reshape(-1), fake_scores.reshape(-1)), self._key, **self.params)

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """-F(V), with one-sided label smoothing on the real term when ``label_smoothing`` > 0.

        Pass fake scores of detached generator samples so that this loss trains only the
        discriminator.
        """
        bound = self.bound(real_scores, fake_scores)
        if self.label_smoothing == 0.0:
            return -bound
        real = real_scores.reshape(-1)
        s = self.label_smoothing
        # the real term (1 - s) g_f(V) - s f*(g_f(V)) replaces g_f(V)
        relabelled = s * (self.divergence.activation(real) + self.divergence.conjugate_of_activation(real)).mean()
        return -(bound - relabelled)

    def generator_loss(self, fake_scores: Tensor) -> Tensor:
        """The generator's loss on the discriminator's scores of its samples (gradients reach G)."""
        fake = fake_scores.reshape(-1)
        if self.generator_loss_kind == "non_saturating":
            return -self.divergence.activation(fake).mean()
        return -self.divergence.conjugate_of_activation(fake).mean()

    def is_real(self, scores: Tensor) -> Tensor:
        """The discriminator's verdict: T = g_f(V) above f'(1)."""
        return self.divergence.activation(scores) > self.divergence.threshold


def r1_penalty(real_scores: Tensor, real: Tensor, gamma: float) -> Tensor:
    """R1 = gamma / 2 * E_P[||grad_x V(x)||^2], the discriminator's gradient penalty on real data
    (Mescheder et al. 2018), added to its loss.

    Near the data the discriminator stays flat, so it cannot become certain within a few steps and
    leave the generator without a gradient.

    Parameters
    ----------
    real_scores : Tensor
        V(real), the discriminator's raw scores, computed from ``real``.
    real : Tensor
        The real batch the scores came from; it must require grad.
    gamma : float
        Weight of the penalty.

    Returns
    -------
    Tensor
        The penalty, differentiable in the discriminator's weights (``create_graph``).
    """
    (grad,) = torch.autograd.grad(real_scores.sum(), real, create_graph=True)
    return 0.5 * gamma * grad.pow(2).flatten(1).sum(1).mean()
