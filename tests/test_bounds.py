import math
from functools import partial

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mine.bounds import (
    MovingAverage,
    Scores,
    available_bounds,
    dv,
    dv_ema_surrogate,
    get_bound,
    infonce,
    js_objective,
    log_mean_exp,
    nwj,
    pooled_value,
    smile,
)

score_matrices = st.integers(2, 12).flatmap(
    lambda b: arrays(np.float64, (b, b), elements=st.floats(-20, 20, allow_nan=False))
)


def as_scores(matrix) -> Scores:
    return Scores.from_matrix(torch.as_tensor(matrix, dtype=torch.float64))


@settings(max_examples=200, deadline=None)
@given(score_matrices)
def test_dv_is_never_below_nwj(matrix):
    s = as_scores(matrix)
    assert float(dv(s)) >= float(nwj(s)) - 1e-9


@settings(max_examples=200, deadline=None)
@given(score_matrices)
def test_infonce_never_exceeds_log_batch(matrix):
    assert float(infonce(as_scores(matrix))) <= math.log(matrix.shape[0]) + 1e-9


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 10), st.floats(-30, 30))
def test_constant_scores(b, c):
    s = as_scores(np.full((b, b), c))
    for bound in (dv, infonce):
        assert float(bound(s)) == pytest.approx(0.0, abs=1e-9)
    # SMILE clips only the marginal scores: 0 while |c| <= tau, c - clip(c) beyond
    tau = 5.0
    assert float(smile(s, tau)) == pytest.approx(c - float(np.clip(c, -tau, tau)), abs=1e-9)
    if abs(c) <= tau:
        assert float(smile(s, tau)) == pytest.approx(0.0, abs=1e-9)
    # NWJ(c) = c - exp(c - 1) <= 0, with equality only at c = 1
    assert float(nwj(s)) == pytest.approx(c - math.exp(c - 1), rel=1e-9, abs=1e-9)
    assert float(nwj(s)) <= 1e-12
    assert float(nwj(as_scores(np.ones((b, b))))) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("b", [2, 3, 7, 64])
@pytest.mark.parametrize("transposed", [False, True])
def test_off_diagonal_entries_are_those_of_a_boolean_mask_in_row_order(b, transposed):
    matrix = torch.randn(b, b, generator=torch.Generator().manual_seed(b), requires_grad=True)
    source = matrix.T if transposed else matrix  # a non-contiguous matrix too
    mask = ~torch.eye(b, dtype=torch.bool)
    s = Scores.from_matrix(source)
    assert torch.equal(s.marginal, source[mask])
    assert torch.equal(s.joint, source.diagonal())
    (grad,) = torch.autograd.grad(s.marginal.sum(), matrix)
    assert torch.equal(grad, mask.to(grad.dtype))  # gradient reaches exactly the off-diagonal entries


def test_off_diagonal_mean_excludes_the_diagonal_exactly():
    matrix = torch.zeros(5, 5, dtype=torch.float64)
    matrix.fill_diagonal_(1e6)  # were the diagonal counted, the marginal term would explode
    s = Scores.from_matrix(matrix)
    assert s.marginal.numel() == 20
    assert float(log_mean_exp(s.marginal)) == 0.0
    assert float(dv(s)) == 1e6
    # off-diagonal mean of exp over known values: exp(S_ij - 1) with S_ij = i + j for i != j
    m = torch.arange(4.0)[:, None] + torch.arange(4.0)[None, :]
    off = [float(m[i, j]) for i in range(4) for j in range(4) if i != j]
    expected = m.diagonal().mean().item() - np.mean(np.exp(np.array(off) - 1))
    assert float(nwj(Scores.from_matrix(m))) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("name", available_bounds())
@pytest.mark.parametrize("scale", [80.0, -80.0])
def test_large_scores_give_finite_values_and_gradients_in_float32(name, scale):
    torch.manual_seed(0)
    raw = (torch.rand(16, 16) * 2 - 1) * abs(scale)
    raw[0, 1], raw[2, 2] = scale, scale  # the extreme value on and off the diagonal
    bound = get_bound(name)
    objectives = [bound.value, bound.objective]
    if bound.corrected_objective is not None:
        objectives.append(partial(bound.corrected_objective, average=MovingAverage(0.01)))
    for objective in objectives:
        matrix = raw.clone().requires_grad_(True)
        value = objective(Scores.from_matrix(matrix))
        assert value.dtype == torch.float32 and torch.isfinite(value)
        value.backward()
        assert torch.isfinite(matrix.grad).all()


def test_infonce_matches_row_formula():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(6, 6))
    expected = np.mean([m[i, i] - np.log(np.mean(np.exp(m[i]))) for i in range(6)])
    assert float(infonce(as_scores(m))) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="full score matrix"):
        infonce(Scores(torch.zeros(3), torch.zeros(3)))


def test_js_objective_and_smile_formulas():
    rng = np.random.default_rng(1)
    m = rng.normal(scale=3, size=(5, 5))
    s = as_scores(m)
    off = m[~np.eye(5, dtype=bool)]
    softplus = lambda t: np.log1p(np.exp(t))  # noqa: E731
    assert float(js_objective(s)) == pytest.approx(-softplus(-np.diag(m)).mean() - softplus(off).mean())
    clipped = np.clip(off, -1, 1)
    assert float(smile(s, tau=1.0)) == pytest.approx(np.diag(m).mean() - np.log(np.mean(np.exp(clipped))))
    assert float(smile(s, tau=1e9)) == pytest.approx(float(dv(s)))


def test_moving_average_matches_plain_ema():
    values = [0.5, 3.0, 10.0, 0.1]
    avg = MovingAverage(rate=0.3)
    for v in values:
        log_m = avg.update(torch.tensor(math.log(v), dtype=torch.float64))
    m = values[0]
    for v in values[1:]:
        m = 0.7 * m + 0.3 * v
    assert float(log_m.exp()) == pytest.approx(m, rel=1e-12)
    # log-space: a batch mean of exp(500) would overflow float64 in linear space
    big = MovingAverage(0.01)
    big.update(torch.tensor(500.0))
    assert float(big.update(torch.tensor(501.0))) == pytest.approx(500.0 + math.log(0.99 + 0.01 * math.e))
    with pytest.raises(ValueError, match="rate"):
        MovingAverage(0.0)


def test_ema_surrogate_gradient_is_the_corrected_mine_gradient():
    """grad = E_P[grad T] - E_Q[exp(T) grad T] / m, with m the running average (not the batch)."""
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    x, z = torch.randn(7, 2, dtype=torch.float64), torch.randn(7, 1, dtype=torch.float64)
    critic = critic.double()

    def matrix():
        pairs = torch.cat([x[:, None, :].expand(7, 7, 2), z[None, :, :].expand(7, 7, 1)], dim=-1)
        return critic(pairs).squeeze(-1)

    avg = MovingAverage(0.1)
    avg.update(torch.tensor(2.0, dtype=torch.float64))  # history so that m != this batch's mean
    avg.update(torch.tensor(-1.0, dtype=torch.float64))
    m_before = float(avg.log_value.exp())

    s = Scores.from_matrix(matrix())
    surrogate = dv_ema_surrogate(s, avg)
    grads = torch.autograd.grad(surrogate, list(critic.parameters()))
    batch_mean = float(torch.exp(s.marginal.detach()).mean())
    m = 0.9 * m_before + 0.1 * batch_mean  # the average is updated with this batch, then used
    assert float(avg.log_value.exp()) == pytest.approx(m, rel=1e-12)
    assert m != pytest.approx(batch_mean, rel=1e-3)

    s2 = Scores.from_matrix(matrix())
    weights = torch.exp(s2.marginal).detach()
    reference = s2.joint.mean() - (weights * s2.marginal).sum() / (weights.numel() * m)
    expected = torch.autograd.grad(reference, list(critic.parameters()))
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
    # the biased minibatch gradient (m = batch mean) differs: the test can tell them apart
    biased = torch.autograd.grad(dv(Scores.from_matrix(matrix())), list(critic.parameters()))
    assert not all(torch.allclose(a, b) for a, b in zip(grads, biased))


def test_ema_surrogate_value_is_below_dv_and_reported_value_is_plain_dv():
    s = as_scores(np.random.default_rng(3).normal(size=(8, 8)))
    first = MovingAverage(0.01)  # seeded by this batch: surrogate equals DV
    assert float(dv_ema_surrogate(s, first)) == pytest.approx(float(dv(s)), abs=1e-12)
    stale = MovingAverage(0.01)
    stale.update(torch.tensor(4.0, dtype=torch.float64))
    assert float(dv_ema_surrogate(s, stale)) < float(dv(s))
    assert get_bound("dv").value is dv and get_bound("mine").value is dv
    assert get_bound("dv").corrected_objective is dv_ema_surrogate


def test_only_dv_has_a_moving_average_corrected_objective():
    corrected = [name for name in available_bounds() if get_bound(name).corrected_objective is not None]
    assert corrected == ["dv"]


def test_js_objective_is_the_gan_row_of_the_table():
    """JS is read from the f-divergence table as NWJ is (GAN row: g_f = -softplus(-v), f* o g_f = softplus)."""
    from mine.bounds import f_divergence_bound

    s = as_scores(np.random.default_rng(6).normal(scale=4, size=(7, 7)))
    assert float(js_objective(s)) == float(f_divergence_bound(s, "gan"))
    assert get_bound("js").objective is js_objective and get_bound("smile").objective is js_objective


def test_bound_parameters_and_registration():
    from mine.bounds import Bound, bound_parameters, register_bound

    assert bound_parameters("smile") == ("smile_tau",) and bound_parameters("dv") == ()
    assert float(get_bound("smile", smile_tau=1.0).value(as_scores(np.full((3, 3), 4.0)))) == pytest.approx(3.0)
    with pytest.raises(TypeError, match="bound 'dv' takes no parameter smile_tau"):
        get_bound("dv", smile_tau=1.0)
    for bad in (0.0, -1.0, True, float("nan")):
        with pytest.raises(ValueError, match="smile_tau must be a number in \\(0, inf\\)"):
            get_bound("smile", smile_tau=bad)
    register_bound("half_dv", lambda: Bound("half_dv", value=dv, objective=lambda s: dv(s) / 2))
    try:
        assert "half_dv" in available_bounds()
        s = as_scores(np.random.default_rng(7).normal(size=(4, 4)))
        assert float(get_bound("half_dv").objective(s)) == pytest.approx(float(dv(s)) / 2)
    finally:
        from mine import bounds

        del bounds._REGISTRY["half_dv"]


def test_pooled_value_pools_before_the_log():
    rng = np.random.default_rng(4)
    blocks = [as_scores(rng.normal(size=(4, 4))) for _ in range(3)]
    joint = torch.cat([b.joint for b in blocks])
    marginal = torch.cat([b.marginal for b in blocks])
    assert float(pooled_value(get_bound("dv"), blocks)) == pytest.approx(float(dv(Scores(joint, marginal))))
    expected = np.mean([float(infonce(b)) for b in blocks])
    assert float(pooled_value(get_bound("infonce"), blocks)) == pytest.approx(expected)


def test_unknown_bound_lists_valid_names():
    with pytest.raises(ValueError, match="unknown bound 'foo'.*dv.*nwj.*infonce"):
        get_bound("foo")
    with pytest.raises(ValueError, match="square"):
        Scores.from_matrix(torch.zeros(2, 3))


@pytest.mark.parametrize("name", ["kl", "pearson", "squared_hellinger", "jensen_shannon", "gan", "total_variation"])
def test_f_divergence_bound_reads_the_table(name):
    from mine.bounds import f_divergence_bound
    from mine.divergences import get_divergence

    s = as_scores(np.random.default_rng(5).normal(size=(6, 6)))
    div = get_divergence(name)
    expected = div.activation(s.joint).mean() - div.conjugate(div.activation(s.marginal)).mean()
    assert float(f_divergence_bound(s, name)) == pytest.approx(float(expected), rel=1e-10)
    if name == "kl":
        off = s.matrix[~torch.eye(6, dtype=torch.bool)]
        assert float(nwj(s)) == pytest.approx(float(s.joint.mean() - torch.exp(off - 1).mean()), rel=1e-12)


def test_the_bounds_that_take_a_ratio_critic_read_the_mi_from_the_exact_log_ratio():
    """``Bound.ratio_critic``: a closed-form log density ratio may stand in for a trained critic. The
    exact ratio of 1-D Gaussians at rho 0.8 (0.511 nats) scored on 16 blocks of 256 fresh pairs: DV,
    InfoNCE (under its cap log 256), JS and SMILE (reported by DV; tau 5 clips almost nothing here)
    read the MI within 0.05 (the mean of 16 blocks has a standard deviation of 0.012-0.014 over 200
    draws, so about four of them); NWJ, whose best critic is 1 + log ratio, reads MI - 1/e with it
    (0.37 lower) and is not marked."""
    from mine.candidates import GaussianCritic
    from mine.gaussian import mi_correlated, sample_correlated

    zero, one = torch.zeros(1, dtype=torch.float64), torch.ones((1, 1), dtype=torch.float64)
    critic = GaussianCritic(zero, zero, one, one, torch.tensor([0.8], dtype=torch.float64))
    truth = float(mi_correlated(0.8))
    marked = {name for name in available_bounds() if name != "f" and get_bound(name).ratio_critic}
    assert marked == {"dv", "infonce", "js", "smile"} and not get_bound("f").ratio_critic
    for name in ("dv", "infonce", "js", "smile", "nwj"):
        bound = get_bound(name)
        values = []
        for seed in range(16):
            x, z = (torch.as_tensor(a) for a in sample_correlated(256, 0.8, 1, random_state=seed))
            values.append(float(bound.value(Scores.from_matrix(critic(x, z)))))
        expected = truth if bound.ratio_critic else truth - math.exp(-1)
        assert np.mean(values) == pytest.approx(expected, abs=0.05), name
