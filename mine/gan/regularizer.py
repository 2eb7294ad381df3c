"""MINE as a generator regulariser against mode dropping (Belghazi et al. 2018, section 5.1).

The generator takes noise eps and a code c. A statistics network T(x, c) is trained on the
Donsker-Varadhan bound with the moving-average gradient correction to estimate I(G(eps, c); c),
and the generator's loss gets ``- beta * I_hat``: a generator whose output keeps more information
about its input cannot collapse many codes onto one mode.

Two calls per step in a user's loop::

    reg.update(fake.detach(), code)            # train T on detached samples; returns I_hat
    g_loss = adversarial + reg.penalty(fake, code)   # -beta I_hat; gradients reach G, not T

With ``adaptive_clip=True``, use ``reg.backward(adversarial, penalty, generator.parameters())``
instead of ``g_loss.backward()``: the MI gradient g_m is rescaled to at most the norm of the
adversarial gradient g_u, g_a = min(|g_u|, |g_m|) g_m / |g_m| (norms over all parameters jointly).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
from torch import Tensor, nn

from .._validation import Boolean, Instance, Integer, Options, PositiveInts, Real, validate_params
from ..bounds import get_bound
from ..critics import ACTIVATIONS, CRITICS, all_pair_scores, build_critic
from ..training import CriticTrainer

__all__ = ["MINERegularizer", "clip_to_norm_of"]


def _global_norm(grads: Sequence[Tensor | None]) -> Tensor:
    """The norm of all gradients as one vector (every parameter counts, not just the last)."""
    norms = [g.detach().norm() for g in grads if g is not None]
    return torch.linalg.vector_norm(torch.stack(norms)) if norms else torch.zeros(())


def clip_to_norm_of(mi_grads: Sequence[Tensor | None], reference_grads: Sequence[Tensor | None]) -> list:
    """g_m scaled by min(1, |g_u| / |g_m|): never longer than the reference gradient g_u.

    Parameters
    ----------
    mi_grads : sequence of Tensor or None
        The MI gradient g_m per parameter.
    reference_grads : sequence of Tensor or None
        The adversarial gradient g_u per parameter.

    Returns
    -------
    list of Tensor or None
        g_m scaled to min(|g_u|, |g_m|) / |g_m| (norms over all parameters together).
    """
    mi_norm, ref_norm = _global_norm(mi_grads), _global_norm(reference_grads)
    # on the device, no host sync: a zero MI gradient keeps scale 1 (its 0/0 is not selected)
    scale = torch.where(mi_norm > 0, torch.clamp(ref_norm / mi_norm, max=1.0), torch.ones_like(mi_norm))
    return [None if g is None else g * scale for g in mi_grads]


_CONSTRAINTS = {
    "x_dim": [Integer(1)],
    "code_dim": [Integer(1)],
    "beta": [Real(0)],
    "critic": [Options(CRITICS), Instance(nn.Module)],
    "hidden": [PositiveInts()],
    "activation": [Options(ACTIVATIONS)],
    "embed_dim": [Integer(1)],
    "lr": [Real(0, math.inf, "neither")],
    "ema_rate": [Real(0, 1), None],
    "adaptive_clip": [Boolean],
}


class MINERegularizer(nn.Module):
    """A statistics network T(x, c) and the MI penalty ``-beta * I_hat(G(eps, c); c)``.

    Parameters
    ----------
    x_dim, code_dim : sizes of a (flattened) generator sample and of its code.
    beta : weight of the MI term in the generator's loss.
    critic, hidden, activation, embed_dim : the statistics network (see :mod:`mine.critics`); the
        separable critic scores all B x B pairs for the cost of 2B network rows.
    lr, ema_rate : Adam learning rate of T and the rate of DV's moving-average correction. 3e-4
        with a generator at 1e-3 is what ``benchmarks/gan_modes.py`` measured; T at 1e-3 made its
        estimate swing and the generator collapse.
    adaptive_clip : rescale the MI gradient to at most the adversarial one (use :meth:`backward`).
    """

    _parameter_constraints = _CONSTRAINTS

    def __init__(
        self,
        x_dim: int,
        code_dim: int,
        beta: float = 1.0,
        critic: str = "separable",
        hidden: Sequence[int] = (128, 128),
        activation: str = "elu",
        embed_dim: int = 32,
        lr: float = 3e-4,
        ema_rate: float = 0.01,
        adaptive_clip: bool = False,
    ):
        super().__init__()
        validate_params(
            "MINERegularizer",
            self._parameter_constraints,
            {
                "x_dim": x_dim,
                "code_dim": code_dim,
                "beta": beta,
                "critic": critic,
                "hidden": hidden,
                "activation": activation,
                "embed_dim": embed_dim,
                "lr": lr,
                "ema_rate": ema_rate,
                "adaptive_clip": adaptive_clip,
            },
        )
        self.x_dim, self.code_dim, self.beta = int(x_dim), int(code_dim), float(beta)
        self.adaptive_clip = adaptive_clip
        self.critic = build_critic(critic, self.x_dim, self.code_dim, hidden, activation, embed_dim)
        self._bound = get_bound("dv")
        self.trainer = CriticTrainer(self.critic, self._bound, lr=lr, ema_rate=ema_rate)
        self._last = torch.tensor(float("nan"))

    def _flat(self, samples: Tensor, codes: Tensor) -> tuple[Tensor, Tensor]:
        x, c = samples.reshape(samples.shape[0], -1), codes.reshape(codes.shape[0], -1)
        if x.shape[0] != c.shape[0]:
            raise ValueError(f"samples and codes must have the same batch size, got {x.shape[0]} and {c.shape[0]}")
        if x.shape[1] != self.x_dim or c.shape[1] != self.code_dim:
            raise ValueError(
                f"expected samples with {self.x_dim} and codes with {self.code_dim} features "
                f"(after flattening), got {x.shape[1]} and {c.shape[1]}"
            )
        if x.shape[0] < 2:
            raise ValueError("the MI estimate needs a batch of at least 2 samples")
        return x, c

    @property
    def last_estimate(self) -> float:
        """The DV estimate of I(G; c) on the batch of the last :meth:`update`, in nats."""
        return float(self._last)

    def update(self, samples: Tensor, codes: Tensor) -> Tensor:
        """One training step of T on detached samples; the DV estimate of I(G; c) on this batch
        (a detached 0-d tensor, so that a training loop does not wait on the device every step)."""
        x, c = self._flat(samples.detach(), codes.detach())
        self._last = self.trainer.step(all_pair_scores(self.critic, x, c))
        return self._last

    def estimate(self, samples: Tensor, codes: Tensor) -> Tensor:
        """I_hat(G; c) by DV with T frozen: differentiable in the samples, no gradient to T."""
        x, c = self._flat(samples, codes)
        frozen = [p for p in self.critic.parameters() if p.requires_grad]
        for p in frozen:
            p.requires_grad_(False)
        try:
            return self._bound.value(all_pair_scores(self.critic, x, c))
        finally:
            for p in frozen:
                p.requires_grad_(True)

    def penalty(self, samples: Tensor, codes: Tensor) -> Tensor:
        """-beta * I_hat(G(eps, c); c), to add to the generator's loss."""
        return -self.beta * self.estimate(samples, codes)

    def backward(self, adversarial_loss: Tensor, penalty: Tensor, parameters: Iterable[Tensor]) -> None:
        """Accumulate the generator's gradient: adversarial plus the MI gradient, clipped when
        ``adaptive_clip`` (g = g_u + min(|g_u|, |g_m|) g_m / |g_m|), into ``p.grad``."""
        params = [p for p in parameters if p.requires_grad]
        g_u = torch.autograd.grad(adversarial_loss, params, retain_graph=True, allow_unused=True)
        g_m = torch.autograd.grad(penalty, params, allow_unused=True)
        if self.adaptive_clip:
            g_m = clip_to_norm_of(g_m, g_u)
        for p, u, m in zip(params, g_u, g_m):
            total = sum(g for g in (u, m) if g is not None)
            if isinstance(total, Tensor):
                p.grad = total if p.grad is None else p.grad + total
