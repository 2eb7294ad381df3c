import math

import numpy as np
import pytest
import torch

from mine.critics import ConcatCritic, CosineCritic, SeparableCritic, all_pair_scores, build_critic, shuffled_scores


def test_concat_critic_scores_every_pair_like_a_loop():
    torch.manual_seed(0)
    critic = ConcatCritic(3, 2, hidden=(8, 5), activation="tanh").double()
    x, z = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    matrix = critic(x, z)
    # the same MLP written out plainly: Linear on [x; z], then the body
    w = torch.cat([critic.x_in.weight, critic.z_in.weight], dim=1)
    for i in range(6):
        for j in range(6):
            pre = w @ torch.cat([x[i], z[j]]) + critic.x_in.bias
            assert torch.allclose(matrix[i, j], critic.body(pre[None]).squeeze())
    torch.testing.assert_close(critic.pair_scores(x, z), matrix.diagonal())


def test_separable_critic_is_an_inner_product():
    torch.manual_seed(0)
    critic = SeparableCritic(4, 3, hidden=(7,), embed_dim=5)
    x, z = torch.randn(9, 4), torch.randn(9, 3)
    torch.testing.assert_close(critic(x, z), critic.g(x) @ critic.h(z).T)
    torch.testing.assert_close(critic.pair_scores(x, z), critic(x, z).diagonal())


def test_cosine_critic_is_a_scaled_cosine_with_a_learnable_temperature():
    torch.manual_seed(0)
    critic = CosineCritic(4, 3, hidden=(7,), embed_dim=5, scale=6.0)
    x, z = torch.randn(9, 4), torch.randn(9, 3)
    g, h = critic.g(x), critic.h(z)
    cosine = (g @ h.T) / (g.norm(dim=1)[:, None] * h.norm(dim=1)[None, :])
    torch.testing.assert_close(critic(x, z), 6.0 * cosine)
    torch.testing.assert_close(critic.pair_scores(x, z), critic(x, z).diagonal())
    assert critic(x, z).abs().max() <= 6.0 + 1e-5  # |T| <= s
    critic(x, z).sum().backward()
    assert critic.scale_theta.grad is not None and critic.scale_theta.grad != 0  # the temperature is trained
    assert isinstance(build_critic("cosine", 4, 3, (7,), "elu", 5), CosineCritic)
    with pytest.raises(ValueError, match="scale"):
        CosineCritic(4, 3, scale=0.0)
    with pytest.raises(ValueError, match="speed"):
        CosineCritic(4, 3, speed=-1.0)


@pytest.mark.parametrize("speed", [1.0, 10.0])
def test_cosine_temperature_moves_speed_times_the_learning_rate_in_log_space(speed):
    # Adam's first step moves a parameter by lr * sign(gradient), so log s = speed * theta moves by
    # speed * lr (up or down with the sign of the pairs' cosines).
    torch.manual_seed(0)
    critic = CosineCritic(4, 4, hidden=(7,), embed_dim=5, scale=3.0, speed=speed)
    optimiser = torch.optim.Adam([critic.scale_theta], lr=1e-3)
    x = torch.randn(16, 4)
    (-critic.pair_scores(x, x).mean()).backward()
    optimiser.step()
    moved = math.log(float(critic.temperature)) - math.log(3.0)
    assert abs(moved) == pytest.approx(speed * 1e-3, rel=1e-3)


def test_shuffled_negatives_are_a_derangement():
    class Tag(torch.nn.Module):  # T(x, z) = 1000 x + z identifies each pair
        def forward(self, x, z):
            return 1000 * x[:, :1] + z[:, :1].T

    x = torch.arange(8.0)[:, None]
    gen = torch.Generator().manual_seed(0)
    for _ in range(50):
        s = shuffled_scores(Tag(), x, x, gen)
        rows, cols = (s.marginal // 1000).long(), (s.marginal % 1000).long()
        assert torch.equal(rows, torch.arange(8))
        assert (cols != rows).all() and sorted(cols.tolist()) == list(range(8))


def test_user_module_protocol_and_errors():
    class Bilinear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(2, 2))

        def forward(self, x, z):
            return x @ self.w @ z.T

    module = Bilinear()
    assert build_critic(module, 2, 2) is module
    s = all_pair_scores(module, torch.ones(4, 2), torch.ones(4, 2))
    assert s.joint.shape == (4,) and s.marginal.shape == (12,)

    class Wrong(torch.nn.Module):
        def forward(self, x, z):
            return x.sum(1)

    with pytest.raises(ValueError, match=r"critic returned shape \(4,\).*\(4, 4\)"):
        all_pair_scores(Wrong(), torch.ones(4, 2), torch.ones(4, 2))
    with pytest.raises(ValueError, match="critic must be one of 'concat', 'separable', 'cosine', got 'mlp'"):
        build_critic("mlp", 1, 1)
    with pytest.raises(ValueError, match="activation must be one of 'relu'.*got 'swish2'"):
        build_critic("concat", 1, 1, activation="swish2")
    with pytest.raises(ValueError, match="hidden"):
        build_critic("separable", 1, 1, hidden=())


@pytest.mark.parametrize("name", ["separable", "cosine", "concat"])
def test_dropout_acts_in_training_only(name):

    torch.manual_seed(0)
    critic = build_critic(name, 3, 2, (16, 16), "elu", 8, dropout=0.5)
    assert [m.p for m in critic.modules() if isinstance(m, torch.nn.Dropout)] == [0.5] * (4 if name != "concat" else 2)
    assert not any(isinstance(m, torch.nn.Dropout) for m in build_critic(name, 3, 2, (16, 16), "elu", 8).modules())
    x, z = torch.randn(5, 3), torch.randn(5, 2)
    assert not torch.equal(critic(x, z), critic(x, z))  # training: units dropped at random
    critic.eval()
    torch.testing.assert_close(critic(x, z), critic(x, z))  # evaluation: every unit


def test_mine_passes_dropout_to_its_critic(gaussian_pair):
    from mine import MINE

    est = MINE(dropout=0.25, max_steps=20, eval_every=10, batch_size=64, hidden=(16,), random_state=0)
    est.set_params(candidates=None)  # the network is the critic under test
    est.fit(*gaussian_pair)
    assert {m.p for m in est.critic_.modules() if isinstance(m, torch.nn.Dropout)} == {0.25}


def test_the_gaussian_candidate_is_the_gaussian_log_density_ratio():
    """Built from the exact canonical pairs of `correlated_covariance` (identity directions, equal
    rho), its scores equal log N(x, z) - log N(x) - log N(z) on any points."""
    from scipy.stats import multivariate_normal

    from mine.candidates import GaussianCritic
    from mine.gaussian import correlated_covariance

    rho, dim = 0.9, 3
    cov = correlated_covariance(rho, dim)
    eye = torch.eye(dim, dtype=torch.float64)
    zeros = torch.zeros(dim, dtype=torch.float64)
    critic = GaussianCritic(zeros, zeros, eye, eye, torch.full((dim,), rho, dtype=torch.float64))
    gen = torch.Generator().manual_seed(0)
    x, z = (
        torch.randn(7, dim, generator=gen, dtype=torch.float64),
        torch.randn(5, dim, generator=gen, dtype=torch.float64),
    )
    joint = multivariate_normal(np.zeros(2 * dim), cov)
    side = multivariate_normal(np.zeros(dim), np.eye(dim))
    expected = np.array(
        [[joint.logpdf(np.concatenate([a, b])) - side.logpdf(a) - side.logpdf(b) for b in z.numpy()] for a in x.numpy()]
    )
    np.testing.assert_allclose(critic(x, z).numpy(), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(critic.pair_scores(x[:5], z).numpy(), np.diagonal(expected), rtol=1e-10, atol=1e-10)
    critic.cap.fill_(0.5)  # the cap bounds every score
    assert float(critic(x, z).max()) <= 0.5


def test_gaussian_candidates_fitted_per_rank_are_capped_at_their_largest_training_score():
    from mine.candidates import GaussianCritic, TrainingRows, gaussian_ranks
    from mine.gaussian import sample_correlated

    x, z = (torch.as_tensor(a) for a in sample_correlated(500, 0.7, 4, random_state=0))
    ranks = gaussian_ranks(4)
    critics = GaussianCritic.fit(TrainingRows(x, z))
    assert ranks == [1, 2, 3, 4] and [c.rank for c in critics] == ranks
    for critic in critics:
        assert float(critic.cap) == pytest.approx(float(critic.pair_scores(x, z).max()))
        restored = GaussianCritic.from_state(critic.state_dict())
        torch.testing.assert_close(restored(x[:9], z[:9]), critic(x[:9], z[:9]))
    assert gaussian_ranks(50) == [1, 2, 3, 4, 6, 9, 13, 19, 28, 42, 50]
