"""The f-divergence family as data: generator f, Fenchel conjugate f*, output activation g_f.

    D_f(P || Q) = E_Q[f(p/q)] >= sup_T E_P[T] - E_Q[f*(T)],   T = g_f(V),   tight at T* = f'(p/q)

(Nowozin, Cseke & Tomioka 2016, "f-GAN"). Each :class:`Divergence` record holds f, f', f*, g_f,
the domain of f*, and f'(1) (a sample is judged "real" when T > f'(1)). Conjugates are the ones
tight over density ratios u >= 0: where the paper's closed form is the conjugate of f extended to
u < 0 (Pearson chi^2 below t = -2, alpha > 1) the tight form is used instead.

``conjugate_of_activation(v) = f*(g_f(v))`` is written out per row in a form that stays finite in
float32 for |v| up to about 80 (e.g. squared Hellinger: f*(1 - e^-v) = e^v - 1, where evaluating
t / (1 - t) would divide by a rounded-off zero).

Divergences are looked up by name or alias in a registry (``get_divergence``) that users extend
with ``register_divergence``; the alpha family takes ``alpha`` as a parameter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import minimize_scalar
from torch import Tensor

__all__ = [
    "Divergence",
    "Interval",
    "available_divergences",
    "get_divergence",
    "lambertw_exp",
    "numeric_conjugate",
    "register_divergence",
]

LOG2 = math.log(2.0)
Fn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class Interval:
    """The domain of f*: lo < t < hi (``closed``: lo <= t <= hi).

    Parameters
    ----------
    lo, hi : float
        The ends.
    closed : bool
        Whether the ends belong to it.
    """

    lo: float = -math.inf
    hi: float = math.inf
    closed: bool = False

    def contains(self, t: Tensor) -> Tensor:
        """Elementwise membership of ``t`` in the interval (a boolean tensor)."""
        if self.closed:
            return (t >= self.lo) & (t <= self.hi)
        return (t > self.lo) & (t < self.hi)


@dataclass(frozen=True)
class Divergence:
    """One row of the f-GAN table (all functions act elementwise on tensors).

    Parameters
    ----------
    name : str
        The registry name.
    f, f_prime : callable
        The generator f (convex; f(1) is ``f_at_one``) and its derivative.
    conjugate : callable
        The Fenchel conjugate f*(t) = sup_u (u t - f(u)).
    activation : callable
        The output activation g_f, mapping a raw score into the domain of f*.
    conjugate_of_activation : callable
        f*(g_f(v)), computed stably.
    domain : Interval
        The domain of f*.
    threshold : float
        f'(1): the optimal g_f(V) where P = Q.
    aliases : tuple of str
        Other names.
    description : str
        One line for tables.
    f_at_one : float
        f(1): 0 for every proper divergence, -log 4 for the GAN row.
    params : dict
        The parameters the row was built with.
    """

    name: str
    f: Fn
    f_prime: Fn
    conjugate: Fn
    activation: Fn
    conjugate_of_activation: Fn
    domain: Interval
    threshold: float  # f'(1)
    aliases: tuple[str, ...] = ()
    description: str = ""
    f_at_one: float = 0.0  # f(1); -log 4 for the GAN row, 0 for every proper divergence
    params: dict = field(default_factory=dict)


def lambertw_exp(a: Tensor, iterations: int = 30) -> Tensor:
    """W(e^a) for real a, the principal Lambert W of an exponential, computed without forming e^a.

    Solves w + log w = a by Newton's method; the last step keeps the gradient, which is then the
    implicit one dW/da = w / (1 + w).

    Parameters
    ----------
    a : Tensor
        Real arguments.
    iterations : int
        Newton steps.

    Returns
    -------
    Tensor
        W(e^a), with the implicit gradient.
    """
    with torch.no_grad():
        w = F.softplus(a)  # ~ e^a for a << 0, ~ a for a >> 0
        w = torch.clamp(w, min=torch.finfo(a.dtype).tiny)
        for _ in range(iterations):
            w = torch.clamp(w * (1.0 + a - torch.log(w)) / (1.0 + w), min=torch.finfo(a.dtype).tiny)
    return w - (w + torch.log(w) - a) * w / (1.0 + w)


def _xlogx(u: Tensor) -> Tensor:
    return torch.xlogy(u, u)


def _log_softplus(x: Tensor) -> Tensor:
    """log(softplus(x)), = x below x = -20 (where softplus(x) = e^x to float64 precision)."""
    return torch.where(x < -20, x, torch.log(F.softplus(torch.clamp(x, min=-20))))


# --- the rows ----------------------------------------------------------------------------------
def _total_variation() -> Divergence:
    return Divergence(
        "total_variation",
        f=lambda u: 0.5 * torch.abs(u - 1),
        f_prime=lambda u: 0.5 * torch.sign(u - 1),
        conjugate=lambda t: t,
        activation=lambda v: 0.5 * torch.tanh(v),
        conjugate_of_activation=lambda v: 0.5 * torch.tanh(v),
        domain=Interval(-0.5, 0.5, closed=True),
        threshold=0.0,
        aliases=("tv",),
        description="f(u) = |u - 1| / 2; f*(t) = t on |t| <= 1/2",
    )


def _kl() -> Divergence:
    return Divergence(
        "kl",
        f=_xlogx,
        f_prime=lambda u: torch.log(u) + 1,
        conjugate=lambda t: torch.exp(t - 1),
        activation=lambda v: v,
        conjugate_of_activation=lambda v: torch.exp(v - 1),
        domain=Interval(),
        threshold=1.0,
        aliases=("kullback_leibler", "forward_kl"),
        description="f(u) = u log u; f*(t) = exp(t - 1); the MI case (MINE-f / NWJ)",
    )


def _reverse_kl() -> Divergence:
    return Divergence(
        "reverse_kl",
        f=lambda u: -torch.log(u),
        f_prime=lambda u: -1 / u,
        conjugate=lambda t: -1 - torch.log(-t),
        activation=lambda v: -torch.exp(-v),
        conjugate_of_activation=lambda v: v - 1,
        domain=Interval(hi=0.0),
        threshold=-1.0,
        aliases=("rkl",),
        description="f(u) = -log u; f*(t) = -1 - log(-t), t < 0",
    )


def _pearson() -> Divergence:
    def conjugate(t):  # tight on u >= 0: t^2/4 + t for t >= -2, then -1
        return torch.clamp(t / 2 + 1, min=0) ** 2 - 1

    return Divergence(
        "pearson",
        f=lambda u: (u - 1) ** 2,
        f_prime=lambda u: 2 * (u - 1),
        conjugate=conjugate,
        activation=lambda v: v,
        conjugate_of_activation=conjugate,
        domain=Interval(),
        threshold=0.0,
        aliases=("pearson_chi2", "chi2"),
        description="f(u) = (u - 1)^2; f*(t) = max(t/2 + 1, 0)^2 - 1 (= t^2/4 + t for t >= -2)",
    )


def _neyman() -> Divergence:
    return Divergence(
        "neyman",
        f=lambda u: (1 - u) ** 2 / u,
        f_prime=lambda u: 1 - u**-2,
        conjugate=lambda t: 2 - 2 * torch.sqrt(1 - t),
        activation=lambda v: 1 - torch.exp(-v),
        conjugate_of_activation=lambda v: 2 - 2 * torch.exp(-v / 2),
        domain=Interval(hi=1.0),
        threshold=0.0,
        aliases=("neyman_chi2",),
        description="f(u) = (1 - u)^2 / u; f*(t) = 2 - 2 sqrt(1 - t), t < 1",
    )


def _hellinger() -> Divergence:
    return Divergence(
        "squared_hellinger",
        f=lambda u: (torch.sqrt(u) - 1) ** 2,
        f_prime=lambda u: 1 - u**-0.5,
        conjugate=lambda t: t / (1 - t),
        activation=lambda v: 1 - torch.exp(-v),
        conjugate_of_activation=torch.expm1,
        domain=Interval(hi=1.0),
        threshold=0.0,
        aliases=("hellinger",),
        description="f(u) = (sqrt u - 1)^2; f*(t) = t / (1 - t), t < 1",
    )


def _jeffrey() -> Divergence:
    def conjugate(t):  # with a = 1 - t and w = W(e^a): 1/w = exp(w - a), no overflow of 1/w^2
        w = lambertw_exp(1 - t)
        return w + torch.exp(w - 1 + t) + t - 2

    return Divergence(
        "jeffrey",
        f=lambda u: (u - 1) * torch.log(u),
        f_prime=lambda u: torch.log(u) + 1 - 1 / u,
        conjugate=conjugate,
        activation=lambda v: v,
        conjugate_of_activation=conjugate,
        domain=Interval(),
        threshold=0.0,
        aliases=("jeffreys",),
        description="f(u) = (u - 1) log u; f*(t) = W(e^(1-t)) + 1/W(e^(1-t)) + t - 2",
    )


def _jensen_shannon() -> Divergence:
    return Divergence(
        "jensen_shannon",
        f=lambda u: -(u + 1) * torch.log((1 + u) / 2) + _xlogx(u),
        f_prime=lambda u: torch.log(2 * u / (1 + u)),
        conjugate=lambda t: -torch.log(2 - torch.exp(t)),
        activation=lambda v: LOG2 - F.softplus(-v),
        conjugate_of_activation=lambda v: F.softplus(v) - LOG2,
        domain=Interval(hi=LOG2),
        threshold=0.0,
        aliases=("js", "jsd"),
        description="f(u) = -(u + 1) log((1 + u)/2) + u log u, so D_f = 2 JSD (at most 2 log 2); "
        "f*(t) = -log(2 - e^t), t < log 2",
    )


def _gan() -> Divergence:
    return Divergence(
        "gan",
        f=lambda u: _xlogx(u) - (u + 1) * torch.log(u + 1),
        f_prime=lambda u: torch.log(u) - torch.log(u + 1),
        conjugate=lambda t: -torch.log(-torch.expm1(t)),
        activation=lambda v: -F.softplus(-v),
        conjugate_of_activation=F.softplus,
        domain=Interval(hi=0.0),
        threshold=-LOG2,
        f_at_one=-2 * LOG2,
        description="f(u) = u log u - (u + 1) log(u + 1), so D_f = 2 JSD - log 4 and f(1) = -log 4 "
        "(the original GAN discriminator objective); f*(t) = -log(1 - e^t), t < 0",
    )


def _alpha(alpha: float = 0.5) -> Divergence:
    """The alpha family (alpha not 0 or 1): f(u) = (u^a - 1 - a(u - 1)) / (a(a - 1))."""
    a = float(alpha)
    if a in (0.0, 1.0) or not math.isfinite(a):
        raise ValueError(f"alpha must be finite and not 0 or 1 (those limits are reverse KL and KL), got {alpha}")
    power = a / (a - 1)

    def conjugate(t):
        return torch.clamp(t * (a - 1) + 1, min=0) ** power / a - 1 / a

    if a < 1:

        def activation(v):
            return 1 / (1 - a) - F.softplus(-v)

        def conjugate_of_activation(v):  # t(a - 1) + 1 = (1 - a) softplus(-v) > 0, in log-space
            return torch.exp(power * (math.log(1 - a) + _log_softplus(-v))) / a - 1 / a

        domain = Interval(hi=1 / (1 - a))
    else:

        def activation(v):
            return v

        conjugate_of_activation = conjugate
        domain = Interval()
    return Divergence(
        "alpha",
        f=lambda u: (u**a - 1 - a * (u - 1)) / (a * (a - 1)),
        f_prime=lambda u: (u ** (a - 1) - 1) / (a - 1),
        conjugate=conjugate,
        activation=activation,
        conjugate_of_activation=conjugate_of_activation,
        domain=domain,
        threshold=0.0,
        description=f"alpha = {a:g}: f(u) = (u^a - 1 - a(u - 1)) / (a(a - 1)); "
        "f*(t) = (1/a) max(t(a - 1) + 1, 0)^(a/(a - 1)) - 1/a",
        params={"alpha": a},
    )


_REGISTRY: dict[str, Callable[..., Divergence]] = {}
_ALIASES: dict[str, str] = {}


@lru_cache(maxsize=256)
def _build(key: str, params: tuple) -> Divergence:
    """One record per (name, params): bounds look rows up on every training step."""
    return _REGISTRY[key](**dict(params))


def register_divergence(
    factory: Callable[..., Divergence], name: str | None = None, aliases: tuple[str, ...] = ()
) -> None:
    """Add a divergence: ``factory(**params)`` returns its :class:`Divergence` record.

    Parameters
    ----------
    factory : callable
        ``factory(**params)`` returns the :class:`Divergence`.
    name : str
        The name ``get_divergence`` accepts.
    aliases : tuple of str
        Other names.
    """
    record = factory()
    key = (name or record.name).lower()
    _REGISTRY[key] = factory
    _build.cache_clear()
    for alias in tuple(aliases) + tuple(record.aliases):
        _ALIASES[alias.lower()] = key


for _factory in (
    _total_variation,
    _kl,
    _reverse_kl,
    _pearson,
    _neyman,
    _hellinger,
    _jeffrey,
    _jensen_shannon,
    _gan,
    _alpha,
):
    register_divergence(_factory)


def available_divergences() -> list[str]:
    """The registered names (aliases not included)."""
    return sorted(_REGISTRY)


def get_divergence(name: str | Divergence, **params) -> Divergence:
    """A row of the table by name or alias, e.g. ``get_divergence("alpha", alpha=2)``.

    Parameters
    ----------
    name : str or Divergence
        A registered name or alias, or a row (returned as it is).
    **params
        The row's parameters, e.g. ``alpha=2``.

    Returns
    -------
    Divergence
    """
    if isinstance(name, Divergence):
        return name
    if not isinstance(name, str):
        raise TypeError(f"a divergence is named by a string, got {type(name).__name__}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _REGISTRY:
        known = ", ".join(available_divergences())
        raise ValueError(f"unknown divergence {name!r}; known divergences: {known}")
    return _build(key, tuple(sorted(params.items())))


def numeric_conjugate(
    f: Callable[[np.ndarray], np.ndarray] | Divergence, t: float, log_u_bounds: tuple[float, float] = (-30.0, 30.0)
) -> float:
    """sup_{u >= 0} {u t - f(u)} by bounded Brent search over log u, plus the u -> 0 limit.

    u t - f(u) is concave in u and so unimodal in log u; the sup at u = 0 is -f(0+).

    Parameters
    ----------
    f : callable or Divergence
        The generator f on numpy arrays, or a row (its f).
    t : float
        Where to evaluate f*.
    log_u_bounds : (float, float)
        The search range of log u.

    Returns
    -------
    float
        f*(t) (a check of the table's closed forms).
    """
    if isinstance(f, Divergence):
        div = f

        def f(u):
            return div.f(torch.as_tensor(u, dtype=torch.float64)).numpy()

    def negative(s):
        u = math.exp(s)
        return -(u * t - float(f(np.float64(u))))

    best = minimize_scalar(negative, bounds=log_u_bounds, method="bounded", options={"xatol": 1e-12})
    candidates = [-best.fun]
    with np.errstate(all="ignore"):
        at_zero = -float(f(np.float64(1e-300)))
    if np.isfinite(at_zero):
        candidates.append(at_zero)
    return max(candidates)
