"""Checks that need CUDA (marked ``gpu``, skipped without it): ``scripts/gpu_check.sh`` runs them."""

import numpy as np
import pytest
import torch

from mine import MINE
from mine.gaussian import sample_correlated

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]


def test_mine_on_cuda_matches_the_cpu_fit():
    """The same seed on both devices: the same split, batches and initial weights (drawn on the CPU),
    so the estimates differ only by float rounding along the training path."""
    x, z = sample_correlated(4000, 0.9, 2, random_state=0)
    params = dict(max_steps=400, random_state=0)
    cpu = MINE(**params).fit(x, z)
    gpu = MINE(device="cuda", **params).fit(x, z)
    assert gpu.device_.type == "cuda" and next(gpu.critic_.parameters()).is_cuda
    assert gpu.mi() == pytest.approx(cpu.mi(), abs=4 * cpu.se_)
    assert np.isfinite(gpu.se_) and gpu.evaluate(x[:1000], z[:1000]) > 0.5


def test_auto_picks_cuda():
    assert (
        MINE(device="auto", max_steps=20, batch_size=32)
        .fit(*sample_correlated(300, 0.5, 1, random_state=0))
        .device_.type
        == "cuda"
    )


def test_gan_trains_on_cuda():
    from mine.gan.train import GANConfig, train_gan

    result = train_gan(GANConfig(device="cuda", mine_beta=1.0, steps=50, eval_every=25, eval_samples=500))
    assert np.all(np.isfinite(result["samples"])) and np.isfinite(result["final"]["mi"])
