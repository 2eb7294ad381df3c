"""Statistics networks (critics): a batch (x: B x dx, z: B x dz) -> score matrix S (B x B).

S[i, j] = T(x_i, z_j). The protocol a critic follows, built-in or a user's ``nn.Module``:

- ``forward(x, z)`` returns the B x B matrix of all pairs;
- optionally ``pair_scores(x, z)`` returns the B scores T(x_i, z_i) of row-aligned pairs, used for
  shuffled negatives (otherwise the diagonal of ``forward`` is taken, which costs B^2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from ._validation import Integer, Options, PositiveInts, Real, validate_params
from .bounds import Scores
from .gaussian import canonical_correlations, canonical_pairs_of_covariance, fit_t_copula, student_t_scores
from .preprocessing import scaled_values

__all__ = [
    "ACTIVATIONS",
    "CRITICS",
    "ConcatCritic",
    "DataScaleCritic",
    "CosineCritic",
    "GaussianCritic",
    "ScalarCritic",
    "SeparableCritic",
    "StudentCritic",
    "all_pair_scores",
    "build_critic",
    "gaussian_ranks",
    "mlp",
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


def _float64_buffers(module: nn.Module, **values) -> None:
    """Register each value (a tensor, an array or a number) as a float64 buffer of ``module``."""
    for name, value in values.items():
        module.register_buffer(name, torch.as_tensor(value, dtype=torch.float64))


def _clamped_to_rows(critic: nn.Module, x: Tensor, z: Tensor) -> nn.Module:
    """``critic`` with its ``cap`` and ``low`` set to its largest and smallest score on the rows."""
    scores = critic.pair_scores(x, z)
    critic.cap.fill_(float(scores.max()))
    critic.low.fill_(float(scores.min()))
    return critic


class GaussianCritic(nn.Module):
    """The log density ratio of the Gaussian fitted to training rows, through its first k canonical
    pairs (a_k, b_k) with correlations rho_k (:func:`mine.gaussian.canonical_correlations`):

        T(x, z) = sum_k [ rho_k / (1 + rho_k) a_k b_k - rho_k^2 / (2 (1 - rho_k^2)) (a_k - b_k)^2
                          - 1/2 log(1 - rho_k^2) ],   clamped to [``low``, ``cap``].

    For Gaussian (X, Z) it is log p(x, z) / (p(x) p(z)), the optimal critic of every MI bound up to
    a constant; after per-column normal scores it is so for any Gaussian copula (monotone maps of
    each column). No trained weights: the estimator offers it as one more candidate that the
    held-out rows accept or reject (``MINE(gaussian_critic=...)``). The clamp to the smallest and
    largest score of a training row keeps a rare outlying row from dominating DV's exp(T) (or its
    mean) on heavy-tailed data. Scores are computed in float64 (rho near 1 makes the terms large and
    nearly cancelling).

    Parameters
    ----------
    mean_x, mean_z, directions_x, directions_z, rho : Tensor
        The canonical pairs (``directions_*`` of shape (d, k), ``rho`` of shape (k,)).
    cap, low : float
        The largest and the smallest score.
    """

    RHO_MAX = 1.0 - 1e-6  # rho = 1 (a copied column) would give infinite weights

    def __init__(
        self,
        mean_x: Tensor,
        mean_z: Tensor,
        directions_x: Tensor,
        directions_z: Tensor,
        rho: Tensor,
        cap: float = math.inf,
        low: float = -math.inf,
    ):
        super().__init__()
        rho = torch.as_tensor(rho, dtype=torch.float64).clamp(0.0, self.RHO_MAX)
        _float64_buffers(self, mean_x=mean_x, mean_z=mean_z, directions_x=directions_x, directions_z=directions_z)
        _float64_buffers(self, rho=rho, cap=float(cap), low=float(low))

    @classmethod
    def fit(cls, x: Tensor, z: Tensor, ranks: Sequence[int]) -> list[GaussianCritic]:
        """One critic per rank in ``ranks`` (each at most min(d_x, d_z)) fitted to the rows x, z,
        each clamped to its smallest and largest score on these rows.

        Parameters
        ----------
        x, z : Tensor
            Paired rows, shapes (n, d_x) and (n, d_z).
        ranks : sequence of int
            The numbers of canonical pairs.

        Returns
        -------
        list of GaussianCritic
        """
        x, z = x.detach().cpu().double(), z.detach().cpu().double()  # fitted on the host; .to(device) after
        pairs = canonical_correlations(x.numpy(), z.numpy())
        critics = []
        means = (torch.from_numpy(pairs.mean_x), torch.from_numpy(pairs.mean_z))
        for k in ranks:
            kept = (pairs.directions_x[:, :k], pairs.directions_z[:, :k], pairs.rho[:k])
            critics.append(_clamped_to_rows(cls(*means, *(torch.from_numpy(a) for a in kept)), x, z))
        return critics

    @classmethod
    def from_state(cls, state: dict[str, Tensor]) -> GaussianCritic:
        """The critic whose ``state_dict()`` is ``state`` (its rank read from the shapes).

        Parameters
        ----------
        state : dict of Tensor
            What ``state_dict()`` returned.

        Returns
        -------
        GaussianCritic
        """
        names = ("mean_x", "mean_z", "directions_x", "directions_z", "rho", "cap", "low")
        return cls(*(state[name] for name in names))

    @staticmethod
    def holds(state: dict) -> bool:
        """Whether ``state`` (a ``state_dict()``) is a GaussianCritic's.

        Parameters
        ----------
        state : dict
            Saved weights.

        Returns
        -------
        bool
        """
        return "mean_x" in state and "directions_x" in state and "rho" in state

    @property
    def rank(self) -> int:
        """The number of canonical pairs used."""
        return len(self.rho)

    def _terms(self, x: Tensor, z: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        mean_x, mean_z, rho = self.mean_x.double(), self.mean_z.double(), self.rho.double()
        a = (x.double() - mean_x) @ self.directions_x.double()
        b = (z.double() - mean_z) @ self.directions_z.double()
        spread = rho**2 / (2 * (1 - rho**2))
        return a, b, spread, rho / (1 + rho)

    def _offset(self) -> Tensor:
        return -0.5 * torch.log1p(-(self.rho.double() ** 2)).sum()

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        """All pairs: S[i, j] = T(x_i, z_j), shape (B_x, B_z), in the inputs' dtype."""
        a, b, spread, product = self._terms(x, z)
        cross = (a * (2 * spread + product)) @ b.T  # -e (a - b)^2 + f a b, expanded
        scores = cross - (spread * a**2).sum(-1)[:, None] - (spread * b**2).sum(-1)[None, :] + self._offset()
        return scores.clamp(self.low, self.cap).to(x.dtype)

    def pair_scores(self, x: Tensor, z: Tensor) -> Tensor:
        """Row-wise pairs: T(x_i, z_i), shape (B,)."""
        a, b, spread, product = self._terms(x, z)
        scores = (product * a * b - spread * (a - b) ** 2).sum(-1) + self._offset()
        return scores.clamp(self.low, self.cap).to(x.dtype)


class DataScaleCritic(nn.Module):
    """A closed-form critic applied on the data's own scale: rows of per-column normal scores s are
    mapped back to their values x = F^-1(Phi(s)) (piecewise-linear between the training quantiles,
    :meth:`mine.preprocessing.NormalScores.inverse_transform`) before ``inner`` scores them.

    With a :class:`GaussianCritic` fitted on the data's values it is the log density ratio of the
    Gaussian with the data's covariance: exact where X given Z is Gaussian with a linear mean and
    X is Gaussian (linear models with any distribution of Z, e.g. CCMI's Model I), which no map
    of each column to normal scores preserves. The tables are buffers, so it saves and loads like
    the other closed-form critics; the lookup runs on the host in float64.

    Parameters
    ----------
    inner : nn.Module
        The critic on data values (a :class:`GaussianCritic`).
    references_x, quantiles_x, references_z, quantiles_z : Tensor
        Each side's normal scores of its knots (m,) and the knots' values (m, d), each column divided
        by the power of two that brings its largest magnitude to [0.5, 1) (a per-column scale,
        which no Gaussian critic sees, and no overflow at 1e300).
    """

    def __init__(
        self, inner: nn.Module, references_x: Tensor, quantiles_x: Tensor, references_z: Tensor, quantiles_z: Tensor
    ):
        super().__init__()
        self.inner = inner
        _float64_buffers(
            self, references_x=references_x, quantiles_x=quantiles_x, references_z=references_z, quantiles_z=quantiles_z
        )

    @classmethod
    def fit_gaussian(cls, x: Tensor, z: Tensor, maps: tuple, ranks: Sequence[int]) -> list[DataScaleCritic]:
        """Gaussian critics (one per rank) of the data values of the normal-score rows x, z, mapped
        back by ``maps`` (the fold's fitted NormalScores of x and of z)."""
        tables = [torch.as_tensor(t, dtype=torch.float64) for m in maps for t in (m.references_, m.quantiles_)]
        references_x, quantiles_x, references_z, quantiles_z = tables
        x_values, z_values = cls._values(x, references_x, quantiles_x), cls._values(z, references_z, quantiles_z)
        return [cls(inner, *tables) for inner in GaussianCritic.fit(x_values, z_values, ranks)]

    @classmethod
    def from_state(cls, state: dict[str, Tensor]) -> DataScaleCritic:
        """The critic whose ``state_dict()`` is ``state`` (its inner critic a Gaussian one)."""
        inner = GaussianCritic.from_state({k[len("inner.") :]: v for k, v in state.items() if k.startswith("inner.")})
        names = ("references_x", "quantiles_x", "references_z", "quantiles_z")
        return cls(inner, *(state[name] for name in names))

    @staticmethod
    def holds(state: dict) -> bool:
        """Whether ``state`` (a ``state_dict()``) is a DataScaleCritic's."""
        return "quantiles_x" in state and "inner.rho" in state

    @property
    def rank(self) -> int:
        """The inner critic's rank."""
        return self.inner.rank

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


class StudentCritic(nn.Module):
    """The log density ratio of a t copula (nu degrees of freedom, correlation P) through its first
    k canonical pairs, on per-column normal scores g turned into t scores s = F_nu^(-1)(Phi(g)):

        T = lgamma((nu+d)/2) + lgamma(nu/2) - lgamma((nu+d_x)/2) - lgamma((nu+d_z)/2)
            - 1/2 sum_k log(1 - rho_k^2) - (nu+d)/2 log(1 + Q/nu)
            + (nu+d_x)/2 log(1 + Q_x/nu) + (nu+d_z)/2 log(1 + Q_z/nu),

    Q_x = |s_x W_x|^2 and Q_z = |s_z W_z|^2 each side's squared Mahalanobis norm, a_k, b_k its
    canonical coordinates and Q = Q_x + Q_z + sum_k [rho_k^2 (a_k^2 + b_k^2) - 2 rho_k a_k b_k] /
    (1 - rho_k^2) the joint one (d = d_x + d_z; the margins' t densities cancel in the ratio). For a
    multivariate t or any monotone map of its columns it is log p(x, z) / (p(x) p(z)); unlike the
    Gaussian's, it carries dependence even at rank 0 (the shared radius of heavy joint tails). Like
    :class:`GaussianCritic`: no trained weights, scores clamped to the training rows' range,
    float64 (the t scores on the host, scipy's inverse t CDF).

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

    def __init__(
        self,
        nu: float,
        whiten_x: Tensor,
        whiten_z: Tensor,
        directions_x: Tensor,
        directions_z: Tensor,
        rho: Tensor,
        cap: float = math.inf,
        low: float = -math.inf,
    ):
        super().__init__()
        rho = torch.as_tensor(rho, dtype=torch.float64).clamp(0.0, GaussianCritic.RHO_MAX)
        _float64_buffers(
            self, whiten_x=whiten_x, whiten_z=whiten_z, directions_x=directions_x, directions_z=directions_z
        )
        _float64_buffers(self, rho=rho, nu=float(nu), cap=float(cap), low=float(low))

    @classmethod
    def fit(cls, x: Tensor, z: Tensor, ranks: Sequence[int], random_state=0) -> list[StudentCritic]:
        """One critic per rank in ``ranks`` (0 to min(d_x, d_z)) of the t copula fitted to the rows
        x, z of normal scores (:func:`mine.gaussian.fit_t_copula`), each clamped to its smallest and
        largest score on these rows; none where the Gaussian copula fits them better.

        Parameters
        ----------
        x, z : Tensor
            Paired rows, shapes (n, d_x) and (n, d_z).
        ranks : sequence of int
            The numbers of canonical pairs.
        random_state : int
            The rows of the degrees-of-freedom profile.

        Returns
        -------
        list of StudentCritic
        """
        x, z = x.detach().cpu().double(), z.detach().cpu().double()
        nu, correlation = fit_t_copula(torch.cat([x, z], dim=1).numpy(), random_state=random_state)
        if math.isinf(nu):
            return []
        pairs = canonical_pairs_of_covariance(correlation, x.shape[1])
        whiten = (torch.from_numpy(pairs.whiten_x), torch.from_numpy(pairs.whiten_z))
        critics = []
        for k in ranks:
            kept = (pairs.directions_x[:, :k], pairs.directions_z[:, :k], pairs.rho[:k])
            critics.append(_clamped_to_rows(cls(nu, *whiten, *(torch.from_numpy(a) for a in kept)), x, z))
        return critics

    @classmethod
    def from_state(cls, state: dict[str, Tensor]) -> StudentCritic:
        """The critic whose ``state_dict()`` is ``state``."""
        names = ("whiten_x", "whiten_z", "directions_x", "directions_z", "rho", "cap", "low")
        return cls(float(state["nu"]), *(state[name] for name in names))

    @staticmethod
    def holds(state: dict) -> bool:
        """Whether ``state`` (a ``state_dict()``) is a StudentCritic's."""
        return "whiten_x" in state and "nu" in state

    @property
    def rank(self) -> int:
        """The number of canonical pairs used."""
        return len(self.rho)

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

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        """All pairs: S[i, j] = T(x_i, z_j), shape (B_x, B_z), in the inputs' dtype."""
        weighted_a, b, qx, qz, side_x, side_z = self._sides(x, z)
        quadratic = qx[:, None] + qz[None, :] - 2 * weighted_a @ b.T
        d_x, d_z = x.shape[-1], z.shape[-1]
        scores = self._joint(quadratic, d_x + d_z) + side_x[:, None] + side_z[None, :] + self._offset(d_x, d_z)
        return scores.clamp(self.low, self.cap).to(device=x.device, dtype=x.dtype)

    def pair_scores(self, x: Tensor, z: Tensor) -> Tensor:
        """Row-wise pairs: T(x_i, z_i), shape (B,)."""
        weighted_a, b, qx, qz, side_x, side_z = self._sides(x, z)
        quadratic = qx + qz - 2 * (weighted_a * b).sum(-1)
        d_x, d_z = x.shape[-1], z.shape[-1]
        scores = self._joint(quadratic, d_x + d_z) + side_x + side_z + self._offset(d_x, d_z)
        return scores.clamp(self.low, self.cap).to(device=x.device, dtype=x.dtype)


def gaussian_ranks(largest: int) -> list[int]:
    """The ranks offered as Gaussian critics: 1, 2, 3, 4, 6, 9, 13, ... (each max(k + 1, 1.5 k)),
    below ``largest``, and ``largest`` itself."""
    ranks, k = [], 1
    while k < largest:
        ranks.append(k)
        k = max(k + 1, k * 3 // 2)
    return [*ranks, largest]


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


def _paired(critic: nn.Module, x: Tensor, z: Tensor) -> Tensor:
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
    return Scores(joint=_paired(critic, x, z), marginal=_paired(critic, x, z[perm]))
