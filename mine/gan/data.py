"""Toy distributions with known modes, and "stacked digits", a 1,000-mode image set with no download.

- ``grid25``: a 5 x 5 grid of Gaussians, means {-4, -2, 0, 2, 4}^2, std 0.05 (VEEGAN/PacGAN);
- ``ring8``: 8 Gaussians on a circle of radius 2, std 0.02 (Unrolled GAN);
- ``spiral``: points along an Archimedean spiral with Gaussian noise (a curve, not modes);
- ``StackedDigits``: three of scikit-learn's bundled 8 x 8 handwritten digits stacked as colour
  channels, 10^3 = 1,000 modes, like Stacked MNIST; with a digit classifier (trained on a split of
  the same data, its held-out accuracy reported) that labels generated images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["MIXTURES", "GaussianMixture2D", "StackedDigits", "grid25", "ring8", "sample_toy", "spiral"]


@dataclass(frozen=True)
class GaussianMixture2D:
    """An equal-weight mixture of isotropic Gaussians; ``centers`` (K, 2), common ``std``.

    Parameters
    ----------
    name : str
        For reports.
    centers : ndarray of shape (K, 2)
        The modes.
    std : float
        Their common standard deviation.
    """

    name: str
    centers: np.ndarray
    std: float

    def sample(self, n: int, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """n samples and the index of the mode each came from."""
        rng = check_random_state(random_state)
        modes = rng.randint(len(self.centers), size=n)
        return self.centers[modes] + self.std * rng.standard_normal((n, 2)), modes


def grid25(spacing: float = 2.0, std: float = 0.05) -> GaussianMixture2D:
    """25 Gaussians on a 5 x 5 grid ``spacing`` apart, each with standard deviation ``std``.

    Parameters
    ----------
    spacing : float
        Distance between neighbouring modes.
    std : float
        Each mode's standard deviation.

    Returns
    -------
    GaussianMixture2D
    """
    axis = spacing * np.arange(-2, 3, dtype=np.float64)
    return GaussianMixture2D("grid25", np.array([(a, b) for a in axis for b in axis]), std)


def ring8(radius: float = 2.0, std: float = 0.02) -> GaussianMixture2D:
    """8 Gaussians evenly spaced on a circle of ``radius``, each with standard deviation ``std``.

    Parameters
    ----------
    radius : float
        The circle's radius.
    std : float
        Each mode's standard deviation.

    Returns
    -------
    GaussianMixture2D
    """
    angles = 2 * np.pi * np.arange(8) / 8
    return GaussianMixture2D("ring8", radius * np.stack([np.cos(angles), np.sin(angles)], axis=1), std)


def spiral(n: int, turns: float = 1.5, noise: float = 0.05, random_state=None) -> np.ndarray:
    """Points r(t) (cos 2 pi turns t, sin 2 pi turns t) * 4 t, t ~ U(0.1, 1), plus N(0, noise^2).

    Parameters
    ----------
    n : int
        Number of points.
    turns : float
        Turns of the spiral.
    noise : float
        Standard deviation of the added noise.
    random_state : int, RandomState or None
        Seed or generator.

    Returns
    -------
    ndarray of shape (n, 2)
    """
    rng = check_random_state(random_state)
    t = rng.uniform(0.1, 1.0, n)
    angle = 2 * np.pi * turns * t
    return 4 * t[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1) + noise * rng.standard_normal((n, 2))


MIXTURES = {"grid25": grid25, "ring8": ring8}


def sample_toy(name: str, n: int, random_state=None) -> np.ndarray:
    """n samples of a named toy distribution.

    Parameters
    ----------
    name : {"grid25", "ring8", "spiral"}
        The distribution.
    n : int
        Number of samples.
    random_state : int, RandomState or None
        Seed or generator.

    Returns
    -------
    ndarray of shape (n, 2)
    """
    if name == "spiral":
        return spiral(n, random_state=random_state)
    if name not in MIXTURES:
        raise ValueError(f"unknown toy data {name!r}; valid: {', '.join([*MIXTURES, 'spiral'])}")
    return MIXTURES[name]().sample(n, random_state)[0]


class StackedDigits:
    """Three 8 x 8 digits as the channels of one image: 1,000 modes (the digit triple).

    Pixels are scaled to [-1, 1]. ``classifier_accuracy`` is the held-out accuracy of the digit
    classifier (logistic regression on the 64 pixels) trained on a 75% split of the digits.
    """

    def __init__(self, random_state=0):
        from sklearn.datasets import load_digits
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        self.images = (digits.images / 8.0 - 1.0).astype(np.float32)  # 0..16 -> [-1, 1]
        self.labels = digits.target.astype(np.int64)
        flat = self.images.reshape(len(self.images), -1)
        train_x, test_x, train_y, test_y = train_test_split(
            flat, self.labels, test_size=0.25, random_state=random_state, stratify=self.labels
        )
        self.classifier = LogisticRegression(max_iter=5000).fit(train_x, train_y)
        self.classifier_accuracy = float(self.classifier.score(test_x, test_y))
        self.n_modes = 1000

    def sample(self, n: int, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """n images of shape (3, 8, 8) and their modes 100 d_1 + 10 d_2 + d_3."""
        rng = check_random_state(random_state)
        picks = rng.randint(len(self.images), size=(n, 3))
        labels = self.labels[picks]
        return self.images[picks], labels @ np.array([100, 10, 1])

    def classify(self, images) -> np.ndarray:
        """The mode of each (3, 8, 8) image: the classifier's digit for every channel."""
        images = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
        if images.ndim != 4 or images.shape[1:] != (3, 8, 8):
            raise ValueError(f"expected images of shape (n, 3, 8, 8), got {images.shape}")
        digits = self.classifier.predict(images.reshape(-1, 64)).reshape(-1, 3)
        return digits @ np.array([100, 10, 1])
