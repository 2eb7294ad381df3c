"""Triples (x, y, z) of known conditional MI, shared by the conditional MI and independence tests."""

from __future__ import annotations

import numpy as np


def triple(seed: int, n: int = 2000, dependent: bool = True):
    """z ~ N(0, 1), x = z + e, y = x + z + e' (given z, corr(x, y) = 1/sqrt 2: I = 1/2 log 2), or
    y = z + e' (independent of x given z: I = 0)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 1))
    x = z + rng.normal(size=(n, 1))
    y = (x if dependent else 0) + z + rng.normal(size=(n, 1))
    return x, y, z
