"""Statistics networks (critics): a batch (x: B x dx, z: B x dz) -> score matrix S (B x B).

S[i, j] = T(x_i, z_j). The protocol a critic follows, built-in, a closed-form candidate
(:mod:`mine.candidates`) or a user's ``nn.Module``:

- ``forward(x, z)`` returns the B x B matrix of all pairs;
- optionally ``pair_scores(x, z)`` returns the B scores T(x_i, z_i) of row-aligned pairs, used for
  shuffled negatives (otherwise the diagonal of ``forward`` is taken, which costs B^2).

Here: the trained networks (concat, separable, cosine; a scalar one for two samples) and the
functions that turn a critic and a batch into :class:`~mine.bounds.Scores`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from ._validation import Integer, Options, PositiveInts, Real, validate_params
from .bounds import Scores

__all__ = [
    "ACTIVATIONS",
    "CRITICS",
    "ConcatCritic",
    "CosineCritic",
    "ScalarCritic",
    "SeparableCritic",
    "all_pair_scores",
    "build_critic",
    "mlp",
    "row_scores",
    "shuffled_scores",
    "two_sample_scores",
]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
    "tanh": nn.Tanh,
}


def _activation(name: str) -> Callable[[], nn.Module]:
    validate_params("critic", {"activation": [Options(ACTIVATIONS)]}, {"activation": name})
    return ACTIVATIONS[name]


def _check_hidden(hidden: Sequence[int]) -> tuple[int, ...]:
    validate_params("critic", {"hidden": [PositiveInts()]}, {"hidden": hidden})
    return tuple(int(h) for h in hidden)


def mlp(
    in_dim: int, hidden: Sequence[int], out_dim: int, activation: str = "relu", dropout: float = 0.0
) -> nn.Sequential:
    """Linear -> activation (-> dropout) blocks of the given hidden widths, then a linear output layer.

    Parameters
    ----------
    in_dim, out_dim : int
        Input and output sizes.
    hidden : sequence of int
        Hidden widths.
    activation : str
        Hidden activation.
    dropout : float
        Probability of zeroing a hidden unit in training (0: no dropout layers).

    Returns
    -------
    nn.Sequential
    """
    act = _activation(activation)
    layers: list[nn.Module] = []
    width = in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), act()] + ([nn.Dropout(dropout)] if dropout else [])
        width = h
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


class ConcatCritic(nn.Module):
    """T(x, z) = MLP([x; z]), evaluated on all B^2 pairs with no Python loop.

    The first layer is linear, W [x; z] = W_x x + W_z z, so it is applied to x and z once each and
    broadcast to the B x B grid; only the deeper layers see B^2 rows.

    Parameters
    ----------
    x_dim, z_dim : int
        Input dimensions.
    hidden : sequence of int
        Hidden widths.
    activation : str
        Hidden activation (``ACTIVATIONS``).
    dropout : float
        Dropout after each hidden activation, in training.
    """

    def __init__(
        self,
        x_dim: int,
        z_dim: int,
        hidden: Sequence[int] = (256, 256),
        activation: str = "relu",
        dropout: float = 0.0,
    ):
        super().__init__()
        hidden = _check_hidden(hidden)
        self.x_in = nn.Linear(x_dim, hidden[0])
        self.z_in = nn.Linear(z_dim, hidden[0], bias=False)
        first = [_activation(activation)()] + ([nn.Dropout(dropout)] if dropout else [])
        self.body = nn.Sequential(*first, mlp(hidden[0], hidden[1:], 1, activation, dropout))

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        """All pairs: S[i, j] = T(x_i, z_j), shape (B_x, B_z); the first layer is split so each row is
        embedded once and the pairs are sums of embeddings."""
        grid = self.x_in(x)[:, None, :] + self.z_in(z)[None, :, :]
        return self.body(grid).squeeze(-1)

    def pair_scores(self, x: Tensor, z: Tensor) -> Tensor:
        """Row-wise pairs: T(x_i, z_i), shape (B,)."""
        return self.body(self.x_in(x) + self.z_in(z)).squeeze(-1)


class SeparableCritic(nn.Module):
    """T(x, z) = g(x) . h(z) with two MLP encoders: S = g(x) h(z)^T costs one matmul.

    Parameters
    ----------
    x_dim, z_dim : int
        Input dimensions.
    hidden : sequence of int
        Hidden widths of each encoder.
    activation : str
        Hidden activation (``ACTIVATIONS``).
    embed_dim : int
        Size of the embeddings g(x) and h(z).
    dropout : float
        Dropout after each hidden activation of both encoders, in training.
    """

    def __init__(
        self,
        x_dim: int,
        z_dim: int,
        hidden: Sequence[int] = (256, 256),
        activation: str = "relu",
        embed_dim: int = 32,
        dropout: float = 0.0,
    ):
        super().__init__()
        hidden = _check_hidden(hidden)
        validate_params("SeparableCritic", {"embed_dim": [Integer(1)]}, {"embed_dim": embed_dim})
        self.g = mlp(x_dim, hidden, int(embed_dim), activation, dropout)
        self.h = mlp(z_dim, hidden, int(embed_dim), activation, dropout)

    def embed_x(self, x: Tensor) -> Tensor:
        """The x embeddings whose dot products with ``embed_z`` are the scores: g(x)."""
        return self.g(x)

    def embed_z(self, z: Tensor) -> Tensor:
        """The z embeddings: h(z)."""
        return self.h(z)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        """All pairs: S = g(x) h(z)^T, shape (B_x, B_z)."""
        return self.embed_x(x) @ self.embed_z(z).T

    def pair_scores(self, x: Tensor, z: Tensor) -> Tensor:
        """Row-wise pairs: g(x_i) . h(z_i), shape (B,)."""
        return (self.embed_x(x) * self.embed_z(z)).sum(dim=-1)


class CosineCritic(SeparableCritic):
    """T(x, z) = s cos(g(x), h(z)): a separable critic on unit-length embeddings with a learnable
    temperature s = exp(speed * theta), theta the trained parameter, s starting at ``scale``.

    The embeddings' directions carry the dependence and one parameter the scale of the scores
    (|T| <= s), which a plain separable critic must grow through its weights. Adam moves theta by
    about the learning rate per step, so log s moves ``speed`` times faster: the temperature can
    start small (scores near 0, so short fits start near the value for independent data) and still
    reach the 25-30 that 5-10 nats need. Trained on DV with the moving-average correction, it
    tracks high MI where the plain one stalls (docs: "Choosing a bound"; staircase at 8 nats,
    batch 64, ELU: about 7.0 against 3.8-4.3 for the separable critic).

    Parameters
    ----------
    x_dim, z_dim, hidden, activation, embed_dim, dropout
        As in :class:`SeparableCritic`.
    scale : float
        Initial temperature s. Untrained cosines spread by 0.09-0.19 and DV of scores with spread
        sigma is about -sigma^2 / 2, so a large start makes short fits fail (30 read -9.3 nats
        after 40 steps on 500 rows); 5 keeps the start above -0.5.
    speed : float
        How much faster than the learning rate log s moves (1: the plain parametrisation
        s = exp(theta), with which 10 had grown only to 12 in a 5-nat fit at lr 2e-4).
    """

    def __init__(
        self,
        x_dim: int,
        z_dim: int,
        hidden: Sequence[int] = (256, 256),
        activation: str = "relu",
        embed_dim: int = 32,
        scale: float = 5.0,
        speed: float = 10.0,
        dropout: float = 0.0,
    ):
        super().__init__(x_dim, z_dim, hidden, activation, embed_dim, dropout)
        positive = [Real(0, math.inf, "neither")]
        validate_params("CosineCritic", {"scale": positive, "speed": positive}, {"scale": scale, "speed": speed})
        self.speed = float(speed)
        self.scale_theta = nn.Parameter(torch.tensor(math.log(scale) / self.speed))

    @property
    def temperature(self) -> Tensor:
        """s = exp(speed * theta)."""
        return (self.speed * self.scale_theta).exp()

    def embed_x(self, x: Tensor) -> Tensor:
        """s g(x) / |g(x)|."""
        return self.temperature * nn.functional.normalize(self.g(x), dim=-1)

    def embed_z(self, z: Tensor) -> Tensor:
        """h(z) / |h(z)|."""
        return nn.functional.normalize(self.h(z), dim=-1)


class ScalarCritic(nn.Module):
    """V(x) = MLP(x) for two-sample problems: one score per sample, shape (B,).

    Parameters
    ----------
    dim : int
        Input dimension.
    hidden : sequence of int
        Hidden widths.
    activation : str
        Hidden activation (``ACTIVATIONS``).
    dropout : float
        Dropout after each hidden activation, in training.
    """

    def __init__(self, dim: int, hidden: Sequence[int] = (256, 256), activation: str = "relu", dropout: float = 0.0):
        super().__init__()
        self.net = mlp(dim, _check_hidden(hidden), 1, activation, dropout)

    def forward(self, x: Tensor) -> Tensor:
        """One score per sample: V(x), shape (B,)."""
        return self.net(x).squeeze(-1)


def two_sample_scores(critic: nn.Module, p: Tensor, q: Tensor) -> Scores:
    """Scores V on samples of P (the "joint" role) and of Q (the "marginal" role).

    Parameters
    ----------
    critic : nn.Module
        Maps (B, d) to (B,).
    p, q : Tensor
        Batches of P and Q samples.

    Returns
    -------
    Scores
    """
    joint, marginal = critic(p), critic(q)
    if joint.shape != (p.shape[0],) or marginal.shape != (q.shape[0],):
        raise ValueError(
            f"a two-sample critic must return one score per sample, got shapes {tuple(joint.shape)} "
            f"and {tuple(marginal.shape)} for {p.shape[0]} and {q.shape[0]} samples"
        )
    return Scores(joint=joint, marginal=marginal)


CRITICS = {"concat": ConcatCritic, "separable": SeparableCritic, "cosine": CosineCritic}


def build_critic(
    critic: str | nn.Module,
    x_dim: int,
    z_dim: int,
    hidden: Sequence[int] = (256, 256),
    activation: str = "relu",
    embed_dim: int = 32,
    dropout: float = 0.0,
) -> nn.Module:
    """A critic by name (``"concat"``, ``"separable"``) or a user's module, used as it is.

    Parameters
    ----------
    critic : {"separable", "cosine", "concat"} or nn.Module
        Separable: S = g(x) h(z)^T (one matmul for all pairs); cosine: the same on unit-length
        embeddings times a learnable temperature; concat: an MLP on [x; z] for every pair. A module
        must map (x, z) of shapes (B, d_x), (B, d_z) to S of shape (B, B).
    x_dim, z_dim : int
        Input dimensions.
    hidden : sequence of int
        Hidden widths of each MLP.
    activation : str
        Hidden activation (``mine.critics.ACTIVATIONS``).
    embed_dim : int
        Embedding size of the separable critic.
    dropout : float
        Dropout after each hidden activation, in training (evaluation uses every unit).

    Returns
    -------
    nn.Module
        The critic.
    """
    if isinstance(critic, nn.Module):
        return critic
    validate_params("build_critic", {"critic": [Options(CRITICS)]}, {"critic": critic})
    if critic in ("separable", "cosine"):
        return CRITICS[critic](x_dim, z_dim, hidden, activation, embed_dim, dropout=dropout)
    return ConcatCritic(x_dim, z_dim, hidden, activation, dropout)


def all_pair_scores(critic: nn.Module, x: Tensor, z: Tensor) -> Scores:
    """Scores of all B^2 pairs: diagonal joint, off-diagonal product of marginals.

    Parameters
    ----------
    critic : nn.Module
        Maps (x, z) of shapes (B, d_x), (B, d_z) to S of shape (B, B).
    x, z : Tensor
        A batch of joint samples.

    Returns
    -------
    Scores
    """
    matrix = critic(x, z)
    if matrix.shape != (x.shape[0], z.shape[0]):
        raise ValueError(
            f"critic returned shape {tuple(matrix.shape)}; the protocol asks for "
            f"({x.shape[0]}, {z.shape[0]}) scores S[i, j] = T(x_i, z_j)"
        )
    return Scores.from_matrix(matrix)


def row_scores(critic: nn.Module, x: Tensor, z: Tensor) -> Tensor:
    """T(x_i, z_i) of row-aligned pairs: the critic's ``pair_scores`` where it has one, else the
    diagonal of its B x B matrix (which costs B^2 critic calls).

    Parameters
    ----------
    critic : nn.Module
        A critic following this module's protocol.
    x, z : Tensor
        Row-aligned batches of shapes (B, d_x) and (B, d_z).

    Returns
    -------
    Tensor of shape (B,)
    """
    if hasattr(critic, "pair_scores"):
        return critic.pair_scores(x, z).reshape(-1)
    return critic(x, z).diagonal()


def shuffled_scores(critic: nn.Module, x: Tensor, z: Tensor, generator: torch.Generator | None = None) -> Scores:
    """MINE's cheap negatives: B joint pairs and B pairs (x_i, z_pi(i)) with z permuted.

    pi is a random derangement (a random order shifted by 1..B-1 places), so no joint pair is
    ever counted as a negative, as a plain shuffle would do for about one sample per batch.

    Parameters
    ----------
    critic : nn.Module
        A critic with ``pair_scores`` (or the protocol's matrix form).
    x, z : Tensor
        A batch of joint samples.
    generator : torch.Generator or None
        Source of the derangement.

    Returns
    -------
    Scores
    """
    batch = z.shape[0]
    if batch < 2:
        raise ValueError("shuffled negatives need a batch of at least 2")
    order = torch.randperm(batch, generator=generator)
    shift = int(torch.randint(1, batch, (1,), generator=generator))
    perm = torch.empty_like(order)
    perm[order] = order.roll(shift)
    perm = perm.to(z.device)
    return Scores(joint=row_scores(critic, x, z), marginal=row_scores(critic, x, z[perm]))
