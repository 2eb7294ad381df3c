import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _two_threads():
    """The machines here have 2 cores; keep torch from oversubscribing them."""
    torch.set_num_threads(2)


@pytest.fixture
def gaussian_pair():
    """A small correlated-Gaussian sample, cheap enough for non-accuracy tests."""
    from mine.gaussian import sample_correlated

    x, z = sample_correlated(600, 0.8, 2, random_state=0)
    return x.astype(np.float64), z.astype(np.float64)
