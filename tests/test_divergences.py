"""Numeric checks of every row of the f-divergence table (the table can hold a typo)."""

import math

import numpy as np
import pytest
import torch

from mine.divergences import (
    Divergence,
    available_divergences,
    get_divergence,
    lambertw_exp,
    numeric_conjugate,
    register_divergence,
)

ROWS = [pytest.param(name, {}, id=name) for name in available_divergences() if name != "alpha"] + [
    pytest.param("alpha", {"alpha": a}, id=f"alpha={a:g}") for a in (-1.0, 0.5, 2.0, 3.0)
]
U = torch.cat([torch.logspace(-3, 3, 61, dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)])
V = torch.linspace(-6, 6, 49, dtype=torch.float64)


def t64(values):
    return torch.as_tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("name,params", ROWS)
def test_closed_form_conjugate_is_the_sup_over_nonnegative_ratios(name, params):
    div = get_divergence(name, **params)
    ts = div.activation(V)  # points of the domain that the output activation reaches
    ts = torch.cat([ts, t64([-3.0, -2.5])]) if name == "pearson" else ts  # below -2: the tight branch
    for t in ts:
        numeric = numeric_conjugate(div, float(t))
        closed = float(div.conjugate(t))
        assert closed == pytest.approx(numeric, rel=1e-7, abs=1e-7), (float(t), closed, numeric)


@pytest.mark.parametrize("name,params", ROWS)
def test_f_at_one_and_threshold(name, params):
    div = get_divergence(name, **params)
    expected = -math.log(4) if name == "gan" else 0.0
    assert div.f_at_one == pytest.approx(expected)
    assert float(div.f(t64(1.0))) == pytest.approx(expected, abs=1e-12)
    if name != "total_variation":  # |u - 1| has no derivative at 1; 0 is its central subgradient
        assert float(div.f_prime(t64(1.0))) == pytest.approx(div.threshold, abs=1e-12)


@pytest.mark.parametrize("name,params", ROWS)
def test_f_is_convex(name, params):
    div = get_divergence(name, **params)
    rng = np.random.default_rng(0)
    a, b = t64(np.exp(rng.uniform(-5, 5, 500))), t64(np.exp(rng.uniform(-5, 5, 500)))
    lam = t64(rng.uniform(0, 1, 500))
    mix = div.f(lam * a + (1 - lam) * b)
    chord = lam * div.f(a) + (1 - lam) * div.f(b)
    assert torch.all(mix <= chord + 1e-9 * (1 + chord.abs()))


@pytest.mark.parametrize("name,params", ROWS)
def test_fenchel_young_inequality(name, params):
    div = get_divergence(name, **params)
    u, t = U[:, None], div.activation(V)[None, :]
    gap = div.f(u) + div.conjugate(t) - u * t
    assert torch.all(gap >= -1e-9 * (1 + (u * t).abs()))


@pytest.mark.parametrize("name,params", ROWS)
def test_conjugate_at_the_derivative(name, params):
    """f*(f'(u)) = u f'(u) - f(u): equality in Fenchel-Young, where the sup is attained."""
    div = get_divergence(name, **params)
    u = U[U != 1] if name == "total_variation" else U
    slope = div.f_prime(u)
    inside = div.domain.contains(slope)
    assert inside.all()
    torch.testing.assert_close(div.conjugate(slope), u * slope - div.f(u), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name,params", ROWS)
def test_activation_maps_the_real_line_into_the_domain(name, params):
    """Strictly inside in float64 for |v| <= 30; in float32 up to |v| = 80 the value may round onto
    an open edge (1 - e^-80 == 1), which is why losses use ``conjugate_of_activation``."""
    div = get_divergence(name, **params)
    t = div.activation(torch.linspace(-30, 30, 601, dtype=torch.float64))
    assert div.domain.contains(t).all(), name
    t32 = div.activation(torch.linspace(-80, 80, 1601, dtype=torch.float32))
    lo, hi = div.domain.lo, div.domain.hi
    assert torch.isfinite(t32).all() and ((t32 >= lo) & (t32 <= hi)).all(), name


@pytest.mark.parametrize("name,params", ROWS)
def test_stable_conjugate_of_activation(name, params):
    div = get_divergence(name, **params)
    # equals f*(g_f(v)) where g_f(v) is representable, in float64
    v = V
    torch.testing.assert_close(div.conjugate_of_activation(v), div.conjugate(div.activation(v)), rtol=1e-9, atol=1e-9)
    # finite values and gradients in float32 for |v| up to 80
    v32 = torch.linspace(-80, 80, 321, dtype=torch.float32, requires_grad=True)
    value = div.conjugate_of_activation(v32)
    assert torch.isfinite(value).all(), name
    value.sum().backward()
    assert torch.isfinite(v32.grad).all(), name


def test_lambertw_against_scipy_and_its_gradient():
    from scipy.special import lambertw

    a = t64(np.linspace(-40, 40, 81)).requires_grad_(True)
    w = lambertw_exp(a)
    np.testing.assert_allclose(w.detach().numpy(), lambertw(np.exp(a.detach().numpy())).real, rtol=1e-12)
    w.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), (w / (1 + w)).detach().numpy(), rtol=1e-10)


def test_gan_row_is_two_jsd_minus_log_four():
    # Bernoulli-style check on two discrete distributions: D_f = sum_x q f(p/q)
    p, q = t64([0.1, 0.6, 0.3]), t64([0.3, 0.3, 0.4])
    m = (p + q) / 2
    jsd = 0.5 * (p * torch.log(p / m)).sum() + 0.5 * (q * torch.log(q / m)).sum()
    gan = (q * get_divergence("gan").f(p / q)).sum()
    js_row = (q * get_divergence("js").f(p / q)).sum()
    assert float(gan) == pytest.approx(float(2 * jsd - math.log(4)))
    assert float(js_row) == pytest.approx(float(2 * jsd))


def test_registry_names_aliases_and_errors():
    assert get_divergence("pearson").name == "pearson"
    assert get_divergence("chi2").name == "pearson" and get_divergence("TV").name == "total_variation"
    assert get_divergence("alpha", alpha=2).params == {"alpha": 2.0}
    with pytest.raises(ValueError, match="unknown divergence 'wasserstein'; known divergences: alpha, gan"):
        get_divergence("wasserstein")
    with pytest.raises(ValueError, match="alpha must be finite and not 0 or 1"):
        get_divergence("alpha", alpha=1)


def test_a_user_registered_divergence_works_like_the_built_ins():
    """Register KL under another name with its f, and check it passes the same conjugate test."""

    def factory():
        kl = get_divergence("kl")
        return Divergence(
            "my_kl",
            kl.f,
            kl.f_prime,
            kl.conjugate,
            kl.activation,
            kl.conjugate_of_activation,
            kl.domain,
            kl.threshold,
            aliases=("mykl",),
        )

    register_divergence(factory)
    div = get_divergence("mykl")
    assert div.name == "my_kl" and "my_kl" in available_divergences()
    assert float(div.conjugate(t64(0.3))) == pytest.approx(numeric_conjugate(div, 0.3), rel=1e-8)
