"""The torch-mist comparison is like for like: same weights, same value before any training."""

import pytest
import torch

pytest.importorskip("torch_mist")

from benchmarks.peers import OURS, PAIRS, PeersConfig, _their_critic, _their_estimator  # noqa: E402
from mine.bounds import get_bound  # noqa: E402
from mine.critics import all_pair_scores, build_critic  # noqa: E402


@pytest.mark.parametrize("kind", ["separable", "concat"])
@pytest.mark.parametrize("pair", PAIRS)
def test_both_libraries_start_from_the_same_critic_and_value(kind, pair):
    config = PeersConfig(dim=3, hidden=(16, 16), embed_dim=4)
    torch.manual_seed(0)
    ours = build_critic(kind, 3, 3, config.hidden, "relu", config.embed_dim)
    theirs = _their_estimator(pair, _their_critic(ours, kind, config), config)
    x, z = torch.randn(16, 3), torch.randn(16, 3)
    name, settings = OURS[pair]
    with torch.no_grad():
        mine_value = float(get_bound(name, **settings).value(all_pair_scores(ours, x, z)))
        their_value = float(theirs.mutual_information(x, z))
    assert their_value == pytest.approx(mine_value, abs=1e-5)
