"""The GAN adapter: f-GAN losses, the MINE regulariser, MSG-GAN shapes, data and mode metrics."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mine.divergences import available_divergences, get_divergence
from mine.gan import (
    FGANLoss,
    MINERegularizer,
    MSGDiscriminator,
    MSGGenerator,
    StackedDigits,
    clip_to_norm_of,
    downsample_pyramid,
    grid25,
    label_coverage,
    minibatch_std,
    mode_coverage,
    r1_penalty,
    ring8,
    sample_toy,
)

ROWS = [(name, {}) for name in available_divergences() if name != "alpha"] + [
    ("alpha", {"alpha": a}) for a in (-1.0, 0.5, 2.0)
]
ROW_IDS = [n + "".join(f"={v}" for v in p.values()) for n, p in ROWS]


def _discrete(p_probs, q_probs, resolution=20):
    """Points 0..K-1 repeated in proportion to their probabilities: sample means are expectations."""
    p = torch.tensor(np.repeat(np.arange(len(p_probs)), np.round(np.array(p_probs) * resolution).astype(int)))
    q = torch.tensor(np.repeat(np.arange(len(q_probs)), np.round(np.array(q_probs) * resolution).astype(int)))
    return p, q


def _optimal_bound(loss: FGANLoss, p_probs, q_probs) -> tuple[float, float, float]:
    """Maximise the bound over a free score V_k per point (the discriminator's optimum)."""
    p_idx, q_idx = _discrete(p_probs, q_probs)
    v = torch.zeros(len(p_probs), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([v], lr=0.05)
    for _ in range(1500):
        d_loss = loss.discriminator_loss(v[p_idx], v[q_idx])
        optimizer.zero_grad()
        d_loss.backward()
        optimizer.step()
    with torch.no_grad():
        return (
            float(loss.bound(v[p_idx], v[q_idx])),
            float(loss.discriminator_loss(v[p_idx], v[q_idx])),
            float(loss.generator_loss(v[q_idx])),
        )


def _f_divergence(name, params, p_probs, q_probs) -> float:
    div = get_divergence(name, **params)
    u = torch.tensor(np.array(p_probs) / np.array(q_probs), dtype=torch.float64)
    return float((torch.tensor(q_probs, dtype=torch.float64) * div.f(u)).sum())


@pytest.mark.parametrize("name,params", ROWS, ids=ROW_IDS)
def test_fgan_loss_at_the_discriminator_optimum(name, params):
    loss = FGANLoss(name, **params)
    f_at_one = get_divergence(name, **params).f_at_one
    # P = Q: the bound is f(1) (0, or -log 4 for the GAN row) and cannot be beaten
    bound, d_loss, g_loss = _optimal_bound(loss, [0.25] * 4, [0.25] * 4)
    assert bound == pytest.approx(f_at_one, abs=1e-6)
    assert d_loss == pytest.approx(-f_at_one, abs=1e-6) and math.isfinite(g_loss)
    # P != Q: the optimum is D_f(P || Q) > f(1)
    p, q = [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]
    bound, d_loss, g_loss = _optimal_bound(loss, p, q)
    truth = _f_divergence(name, params, p, q)
    assert bound > f_at_one + 0.01
    assert bound == pytest.approx(truth, abs=2e-3)
    assert math.isfinite(d_loss) and math.isfinite(g_loss)


def test_gan_row_is_binary_cross_entropy_with_one_sided_label_smoothing():
    gen = torch.Generator().manual_seed(0)
    real, fake = torch.randn(50, generator=gen), torch.randn(40, generator=gen)
    for s in (0.0, 0.1, 0.3):
        loss = FGANLoss("gan", label_smoothing=s)
        bce = F.binary_cross_entropy_with_logits(
            real, torch.full_like(real, 1 - s)
        ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        assert float(loss.discriminator_loss(real, fake)) == pytest.approx(float(bce), abs=1e-6)
    # the non-saturating generator loss is BCE of the fakes against the "real" label
    ns = FGANLoss("gan").generator_loss(fake)
    assert float(ns) == pytest.approx(float(F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))), abs=1e-6)
    # minimax: the generator minimises the bound's Q term, E_Q[log(1 - D)]
    mm = FGANLoss("gan", generator_loss="minimax").generator_loss(fake)
    assert float(mm) == pytest.approx(-float(F.softplus(fake).mean()), abs=1e-6)


def test_fgan_loss_rejects_bad_settings():
    with pytest.raises(ValueError, match="unknown"):
        FGANLoss("not-a-divergence")
    with pytest.raises(ValueError, match="generator_loss"):
        FGANLoss("kl", generator_loss="saturating")
    with pytest.raises(ValueError, match="label_smoothing"):
        FGANLoss("gan", label_smoothing=1.0)


# --- MINE regulariser --------------------------------------------------------------------------
def _toy_generator():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))


def test_penalty_gradients_reach_the_generator_and_not_the_statistics_network():
    gen = _toy_generator()
    reg = MINERegularizer(2, 2, beta=1.0, hidden=(16,))
    eps, code = torch.randn(64, 2), torch.rand(64, 2)
    fake = gen(torch.cat([eps, code], dim=1))
    reg.update(fake.detach(), code)
    reg.critic.zero_grad(set_to_none=True)
    reg.penalty(fake, code).backward()
    assert all(p.grad is not None and torch.any(p.grad != 0) for p in gen.parameters())
    assert all(p.grad is None for p in reg.critic.parameters())
    assert all(p.requires_grad for p in reg.critic.parameters())  # unfrozen after the call


def test_update_trains_the_statistics_network_towards_the_mi():
    # the concat critic: it learns this sharp dependence within 300 steps; the separable default (an
    # inner product of 32-d embeddings) needs about four times as many to pass 1.5 nats
    reg = MINERegularizer(2, 2, critic="concat", hidden=(64, 64), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    estimates = []
    # x = c + N(0, 0.05^2 I), c ~ U(0, 1)^2: I = h(x) - h(noise) is about 2 * -1/2 log(2 pi e 0.05^2)
    # = 3.2 nats (a little less at the square's edges); a DV estimate on 128 samples stays below log 128
    for _ in range(300):
        code = torch.rand(128, 2, generator=gen)
        x = code + 0.05 * torch.randn(128, 2, generator=gen)
        estimates.append(float(reg.update(x, code)))
    assert np.mean(estimates[-50:]) > 1.5 > np.mean(estimates[:10])
    before = [p.detach().clone() for p in reg.critic.parameters()]
    reg.update(x, code)
    assert any(not torch.equal(a, b) for a, b in zip(before, reg.critic.parameters()))


def test_adaptive_clipping_scales_the_mi_gradient_to_the_adversarial_norm_over_all_parameters():
    g_u = [torch.tensor([3.0, 0.0]), torch.tensor([4.0])]  # |g_u| = 5 over both tensors
    g_m = [torch.tensor([0.0, 30.0]), torch.tensor([40.0])]  # |g_m| = 50
    clipped = clip_to_norm_of(g_m, g_u)
    assert float(torch.linalg.vector_norm(torch.cat(clipped))) == pytest.approx(5.0)
    assert torch.allclose(torch.cat(clipped), torch.cat(g_m) / 10)  # direction kept
    small = [torch.tensor([0.3, 0.0]), torch.tensor([0.4])]
    assert all(torch.equal(a, b) for a, b in zip(clip_to_norm_of(small, g_u), small))  # never enlarged
    zero = [torch.zeros(2), torch.zeros(1)]
    assert all(torch.equal(a, b) for a, b in zip(clip_to_norm_of(zero, g_u), zero))  # no 0/0 NaN


def test_backward_with_adaptive_clip_sums_the_adversarial_and_clipped_mi_gradients():
    gen = _toy_generator()
    reg = MINERegularizer(2, 2, beta=1000.0, hidden=(16,), adaptive_clip=True)
    code = torch.rand(64, 2)
    fake = gen(torch.cat([torch.randn(64, 2), code], dim=1))
    for _ in range(5):
        reg.update(fake.detach(), code)
    adversarial = fake.pow(2).mean()
    penalty = reg.penalty(fake, code)
    params = list(gen.parameters())
    g_u = torch.autograd.grad(adversarial, params, retain_graph=True)
    g_m = torch.autograd.grad(penalty, params, retain_graph=True)
    reg.backward(adversarial, penalty, params)
    applied_mi = [p.grad - u for p, u in zip(params, g_u)]
    norm = float(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in applied_mi])))
    assert norm == pytest.approx(float(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in g_u]))), rel=1e-5)
    assert float(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in g_m]))) > norm  # it was clipped


def test_regularizer_rejects_mismatched_inputs():
    reg = MINERegularizer(2, 3)
    with pytest.raises(ValueError, match="same batch size"):
        reg.update(torch.zeros(4, 2), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="features"):
        reg.update(torch.zeros(4, 3), torch.zeros(4, 3))
    with pytest.raises(ValueError, match="beta"):
        MINERegularizer(2, 3, beta=-1)


# --- MSG-GAN -----------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [8, 32])
@pytest.mark.parametrize("combine", ["simple", "lin_cat", "cat_lin"])
def test_msg_gan_shapes_line_up_at_every_scale(size, combine):
    gen, disc = MSGGenerator(16, 3, size, width=16), MSGDiscriminator(3, size, width=16, combine=combine)
    images = gen(torch.randn(5, 16))
    expected = [4 * 2**k for k in range(int(math.log2(size // 4)) + 1)]
    assert [tuple(i.shape) for i in images] == [(5, 3, s, s) for s in expected]
    real = downsample_pyramid(torch.rand(5, 3, size, size))
    assert [tuple(i.shape) for i in real] == [(5, 3, s, s) for s in expected]
    scores = disc(images)
    assert scores.shape == (5,)
    scores.sum().backward()
    for to_rgb in gen.to_rgb:  # the discriminator's gradient reaches every scale's output layer
        assert to_rgb.weight.grad is not None and torch.any(to_rgb.weight.grad != 0)


def test_msg_gan_rejects_bad_sizes_and_inputs():
    with pytest.raises(ValueError, match="4 \\* 2\\^k"):
        MSGGenerator(8, 3, size=12)
    with pytest.raises(ValueError, match="combine"):
        MSGDiscriminator(3, 8, combine="sum")
    disc = MSGDiscriminator(3, 8, width=8)
    with pytest.raises(ValueError, match="scales"):
        disc([torch.zeros(2, 3, 8, 8)])


def test_minibatch_std_is_the_spread_of_each_group():
    features = torch.randn(8, 5, 4, 4, generator=torch.Generator().manual_seed(0))
    out = minibatch_std(features, 4)
    assert out.shape == (8, 6, 4, 4) and torch.equal(out[:, :5], features)
    for j in range(8):  # groups of 4 take every second sample (ProGAN's reshape): j and j + 2, j + 4, ...
        group = features[j % 2 :: 2]
        expected = group.std(dim=0, unbiased=False).mean()
        assert torch.allclose(out[j, 5], expected.expand(4, 4), atol=1e-5)
    same = minibatch_std(features[:1].expand(6, 5, 4, 4), 4)  # 4 does not divide 6: one group of 6
    assert torch.allclose(same[:, 5], torch.full((6, 4, 4), 1e-4))  # sqrt(0 + 1e-8): no variety


def test_minibatch_std_lets_the_discriminator_see_the_other_samples():
    torch.manual_seed(0)
    images = downsample_pyramid(torch.rand(4, 3, 8, 8))
    changed = downsample_pyramid(torch.cat([images[-1][:1], torch.rand(3, 3, 8, 8)]))
    plain, grouped = MSGDiscriminator(3, 8, width=8), MSGDiscriminator(3, 8, width=8, std_group=4)
    assert plain(images)[0] == plain(changed)[0]  # sample 0 is the same in both batches
    assert grouped(images)[0] != grouped(changed)[0]  # its score now depends on its batch's spread
    with pytest.raises(ValueError, match="std_group"):
        MSGDiscriminator(3, 8, std_group=-1)


# --- data and metrics --------------------------------------------------------------------------
def test_grid_metrics_on_true_samples_and_on_one_mode():
    grid = grid25()
    assert grid.centers.shape == (25, 2) and set(np.unique(grid.centers)) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    samples, _ = grid.sample(2500, random_state=0)
    result = mode_coverage(samples, grid.centers, grid.std)
    assert result["modes"] == 25
    # within 3 sd in 2-D: 1 - exp(-9/2) = 0.9889; its sd at n = 2,500 is 0.0021, so > 0.98 is 4 sd
    assert result["high_quality"] > 0.98
    assert result["kl"] < 0.03  # a multinomial histogram of 2,500 over 25 cells: E[KL] ~ 24 / (2 * 2,500)
    one = grid.centers[7] + grid.std * np.random.default_rng(0).standard_normal((2500, 2))
    collapsed = mode_coverage(one, grid.centers, grid.std)
    assert collapsed["modes"] == 1
    assert collapsed["kl"] == pytest.approx(math.log(25))


def test_ring_and_spiral_and_errors():
    ring = ring8()
    assert np.allclose(np.linalg.norm(ring.centers, axis=1), 2.0)
    assert sample_toy("spiral", 100, random_state=0).shape == (100, 2)
    with pytest.raises(ValueError, match="unknown toy data"):
        sample_toy("moons", 10)
    with pytest.raises(ValueError, match="shape"):
        mode_coverage(np.zeros((5, 3)), ring.centers, ring.std)
    with pytest.raises(ValueError, match="NaN"):
        mode_coverage(np.full((5, 2), np.nan), ring.centers, ring.std)


def test_stacked_digits_classifier_and_label_metrics():
    data = StackedDigits(random_state=0)
    assert data.classifier_accuracy > 0.93
    images, modes = data.sample(3000, random_state=0)
    assert images.shape == (3000, 3, 8, 8) and images.min() >= -1 and images.max() <= 1
    predicted = data.classify(images)
    # real images are classified back to their digit triple about accuracy^3 of the time
    assert np.mean(predicted == modes) > data.classifier_accuracy**3 - 0.05
    coverage = label_coverage(modes, 1000)
    assert coverage["modes"] > 900  # 3,000 draws over 1,000 modes miss e^-3 = 5% of them
    collapsed = label_coverage(np.zeros(100, dtype=int), 1000)
    assert collapsed == {"modes": 1, "n_modes": 1000, "kl": pytest.approx(math.log(1000))}
    with pytest.raises(ValueError, match="labels"):
        label_coverage(np.array([1000]), 1000)


# --- the training loop and the command ---------------------------------------------------------
def test_train_gan_is_seeded_and_writes_metrics_and_pictures(tmp_path):
    from mine.gan.train import GANConfig, train_gan

    config = GANConfig(steps=30, eval_every=15, batch_size=64, eval_samples=500, mine_beta=1.0, seed=3)
    first = train_gan(config, out=tmp_path)
    again = train_gan(config)
    assert [h["step"] for h in first["history"]] == [15, 30]
    assert np.array_equal(first["samples"], again["samples"])  # repeatable under the seed
    assert {"modes", "high_quality", "kl", "mi"} <= set(first["final"])
    assert (tmp_path / "metrics.json").exists() and (tmp_path / "samples.png").stat().st_size > 5000


def test_fields_left_at_none_take_their_datas_recipe():
    from mine.gan.train import RECIPES, GANConfig, recipe, train_gan

    assert RECIPES["toy"] != RECIPES["digits"]
    for data, kind in (("grid25", "toy"), ("spiral", "toy"), ("digits", "digits")):
        resolved = GANConfig(data=data).resolved()
        assert {k: getattr(resolved, k) for k in RECIPES[kind]} == RECIPES[kind] == recipe(data)
    mixed = GANConfig(data="digits", instance_noise=0.2, generator_ema=0.0).resolved()
    assert mixed.instance_noise == 0.2 and mixed.lr_decay == RECIPES["digits"]["lr_decay"]  # a set field stays
    result = train_gan(GANConfig(data="digits", steps=2, batch_size=8, width=8, eval_samples=50))
    used = result["config"]  # the values used are recorded: the recipe's, and the two set here
    assert {**RECIPES["digits"], "steps": 2, "batch_size": 8} == {k: used[k] for k in RECIPES["digits"]}


def test_generator_average_is_evaluated_and_leaves_training_unchanged():
    from mine.gan.train import GANConfig, train_gan

    common = dict(steps=40, eval_every=20, batch_size=32, eval_samples=400, mine_beta=1.0, seed=1)
    plain = train_gan(GANConfig(generator_ema=0.0, **common))
    averaged = train_gan(GANConfig(generator_ema=0.9, **common))
    # the average only watches: the last weights' coverage is the plain run's, step for step
    for a, b in zip(plain["history"], averaged["history"]):
        assert b["raw_kl"] == a["kl"] and b["raw_high_quality"] == a["high_quality"] and b["mi"] == a["mi"]
    assert not np.array_equal(plain["samples"], averaged["samples"])  # the samples come from the average


def test_generator_average_follows_the_exponential_rule():
    import torch

    from mine.gan.train import _averaged

    net = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(0.0)
    average = _averaged(net, 0.9)
    for value in (1.0, 2.0):
        with torch.no_grad():
            net.weight.fill_(value)
        average.update_parameters(net)
    # the first update copies the weights (1), later ones average: 0.9 * 1 + 0.1 * 2
    assert float(average.module.weight.detach()) == pytest.approx(0.9 * 1.0 + 0.1 * 2.0)
    assert _averaged(net, 0.0) is None


def test_linear_decay_and_extra_statistics_network_steps():
    import torch

    from mine.gan import train as gan_train

    weights = [torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.SGD(weights, lr=0.5)
    (scheduler,) = gan_train._linear_decay([opt], steps=4)
    rates = []
    for _ in range(4):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    assert rates == pytest.approx([0.5, 0.375, 0.25, 0.125]) and opt.param_groups[0]["lr"] == 0.0
    calls = []
    original = gan_train.MINERegularizer.update
    try:
        gan_train.MINERegularizer.update = lambda self, x, c: calls.append(x.shape) or original(self, x, c)
        gan_train.train_gan(gan_train.GANConfig(steps=5, eval_every=5, batch_size=16, mine_beta=1.0, mine_steps=3))
    finally:
        gan_train.MINERegularizer.update = original
    assert len(calls) == 15  # three statistics-network steps per generator step


def test_mine_beta_anneals_linearly_to_zero():
    from mine.gan import train as gan_train

    betas, penalised = [], []
    update, penalty = gan_train.MINERegularizer.update, gan_train.MINERegularizer.penalty
    try:
        estimates = []
        gan_train.MINERegularizer.update = lambda self, x, c: (
            betas.append(self.beta) or estimates.append(float(update(self, x, c))) or self._last
        )
        gan_train.MINERegularizer.penalty = lambda self, x, c: penalised.append(self.beta) or penalty(self, x, c)
        common = dict(steps=8, eval_every=8, batch_size=16, mine_beta=2.0, seed=0)
        annealed = gan_train.train_gan(gan_train.GANConfig(mine_beta_anneal=0.5, **common))
        annealed_betas, annealed_penalties, betas[:], penalised[:] = list(betas), list(penalised), [], []
        gan_train.train_gan(gan_train.GANConfig(mine_beta_anneal=0.0, **common))
    finally:
        gan_train.MINERegularizer.update, gan_train.MINERegularizer.penalty = update, penalty
    # beta_t = 2 max(0, 1 - (t - 1) / (0.5 * 8)): 2, 1.5, 1, 0.5, then 0 from half of training on
    assert annealed_betas == pytest.approx([2.0, 1.5, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0])
    assert annealed_penalties == pytest.approx([2.0, 1.5, 1.0, 0.5])  # no MI gradient once beta is 0
    # the statistics network still trains at beta 0 and reports its last step's estimate
    assert annealed["final"]["mi"] == pytest.approx(estimates[7])
    assert betas == [2.0] * 8 and penalised == [2.0] * 8  # 0: beta throughout


def test_instance_noise_blurs_what_the_discriminator_sees():
    import torch

    from mine.gan.train import _blurred

    batch = torch.zeros(20_000, 2)
    assert _blurred(batch, 0.0, torch.Generator()) is batch  # off: untouched, no draw
    blurred = _blurred(batch, 0.3, torch.Generator().manual_seed(0))
    # the sample sd of 40,000 N(0, 0.3^2) draws is within 1% of 0.3 (its relative se is 1/sqrt(2n) = 0.35%)
    assert float(blurred.std()) == pytest.approx(0.3, rel=0.01)
    scales = _blurred([torch.zeros(4, 3, 2, 2), torch.zeros(4, 3, 4, 4)], 0.5, torch.Generator().manual_seed(0))
    assert [tuple(t.shape) for t in scales] == [(4, 3, 2, 2), (4, 3, 4, 4)] and all(t.abs().sum() > 0 for t in scales)


def test_r1_penalty_of_a_linear_discriminator_and_its_gradient():
    # V(x) = w.x + b: grad_x V = w for every x, so R1 = gamma / 2 ||w||^2 and d R1 / d w = gamma w
    torch.manual_seed(0)
    linear = torch.nn.Linear(5, 1)
    real = torch.randn(32, 5, requires_grad=True)
    penalty = r1_penalty(linear(real).squeeze(-1), real, gamma=3.0)
    w = linear.weight.detach().flatten()
    assert penalty.item() == pytest.approx(1.5 * float(w @ w), rel=1e-5)
    penalty.backward()  # create_graph: the penalty trains the discriminator's weights
    assert torch.allclose(linear.weight.grad.flatten(), 3.0 * w, rtol=1e-5)
    # a quadratic V = ||x||^2 has grad 2x: R1 = gamma / 2 * E[4 ||x||^2]
    quad = r1_penalty(real.pow(2).sum(1), real, gamma=1.0)
    assert quad.item() == pytest.approx(float(2 * real.detach().pow(2).sum(1).mean()), rel=1e-5)


def test_r1_penalty_enters_the_discriminator_loss():
    from mine.gan.train import GANConfig, train_gan

    common = dict(data="digits", steps=3, eval_every=3, batch_size=8, width=8, eval_samples=50, seed=0)
    free, penalised = (train_gan(GANConfig(r1_gamma=g, **common)) for g in (0.0, 100.0))
    assert penalised["config"]["r1_gamma"] == 100.0 and free["config"]["r1_gamma"] == 0.0
    # same seed, same first steps: only the penalty's weight differs, so the losses must differ
    assert penalised["final"]["d_loss"] != pytest.approx(free["final"]["d_loss"], rel=1e-3)


def test_gan_config_rejects_bad_settings():
    from mine.gan.train import GANConfig

    with pytest.raises(ValueError, match="GANConfig: data must be one of 'grid25', 'ring8', 'spiral', 'digits'"):
        GANConfig(data="mnist")
    bad = {
        "mine_beta": [-1.0, True, float("nan")],
        "lr_g": [0.0, True],
        "lr_mine": [float("nan")],
        "steps": [0, 10.0, True],
        "batch_size": [1],
        "label_smoothing": [1.0, -0.1],
        "adaptive_clip": [1],
        "msg_combine": ["sum"],
        "generator_loss": ["wasserstein"],
        "seed": [-1, 1.5],
        "generator_ema": [1.0, -0.1],
        "mine_steps": [0],
        "lr_decay": ["cosine"],
        "instance_noise": [-0.1, float("nan")],
        "std_group": [-1, 2.0],
        "r1_gamma": [-1.0, float("nan")],
        "mine_beta_anneal": [-0.1, 1.5],
    }
    for name, values in bad.items():
        for value in values:
            with pytest.raises((ValueError, TypeError), match=f"GANConfig: {name} must be .*got {value!r}"):
                GANConfig(**{name: value})
    config = GANConfig()
    config.steps = 0  # a field changed after construction is checked when training starts
    from mine.gan.train import train_gan

    with pytest.raises(ValueError, match="GANConfig: steps must be an integer >= 1"):
        train_gan(config)
    assert GANConfig(lr_g=np.float32(1e-3), steps=np.int64(5)).steps == 5  # numpy scalars are numbers


def test_regularizer_rejects_bad_settings():
    for name, value in [
        ("beta", -1.0),
        ("beta", True),
        ("lr", 0.0),
        ("ema_rate", 2.0),
        ("x_dim", 0),
        ("hidden", ()),
        ("critic", "cnn"),
        ("adaptive_clip", "yes"),
    ]:
        with pytest.raises((ValueError, TypeError), match=f"MINERegularizer: {name} must be"):
            MINERegularizer(**{"x_dim": 2, "code_dim": 3, name: value})


def test_gan_command(tmp_path, capsys):
    from mine.cli import main

    code = main(
        [
            "gan",
            "--data",
            "ring8",
            "--loss",
            "pearson",
            "--steps",
            "20",
            "--eval-every",
            "10",
            "--batch-size",
            "32",
            "--eval-samples",
            "400",
            "--lr-decay",
            "none",
            "--instance-noise",
            "0.05",
            "--out",
            str(tmp_path),
            "--quiet",
            "--json",
        ]
    )
    assert code == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["final"]["n_modes"] == 8 and (tmp_path / "metrics.json").exists()
    used = json.loads((tmp_path / "metrics.json").read_text())["config"]
    # "none" is the constant rate (not None, the recipe's linear decay); unset fields take the recipe
    assert used["lr_decay"] == "none" and used["instance_noise"] == 0.05 and used["generator_ema"] == 0.999
    assert main(["gan", "--loss", "nonsense", "--steps", "2", "--out", str(tmp_path), "--quiet"]) == 2


def test_toy_data_is_standardized_for_the_networks_and_reported_in_data_units():
    from mine.gan.train import GANConfig, _generated, _models, _noise

    config = GANConfig().resolved()
    cpu = torch.device("cpu")
    models = _models(config, np.random.RandomState(0), cpu)
    # grid25: coordinates take -4, -2, 0, 2, 4 equally often, variance 8, plus 0.05^2
    assert models.scale == pytest.approx(math.sqrt(8 + 0.05**2), rel=0.01)
    assert float(models.real(20_000).std()) == pytest.approx(1.0, rel=0.02)
    assert _models(GANConfig(standardize=False).resolved(), np.random.RandomState(0), cpu).scale == 1.0
    samples = _generated(models, 50, config, torch.Generator().manual_seed(0))[0]
    z, _ = _noise(50, config, torch.Generator().manual_seed(0), cpu)
    with torch.no_grad():
        network_units = models.generator(z).numpy()
    assert np.allclose(samples, network_units * models.scale)  # metrics and pictures in data units


def test_gan_config_device_is_checked_and_auto_resolves():
    from mine._validation import InvalidParameterError
    from mine.gan.train import GANConfig

    assert GANConfig(device="auto").device == "auto"
    with pytest.raises(InvalidParameterError, match="device must be"):
        GANConfig(device="tpu:7")
