"""mine: mutual information and f-divergences estimated with neural statistics networks."""

from . import bounds, critics, divergences, gaussian
from .estimator import MINE, CriticTrainer, DivergenceEstimator, divergence, mutual_information
from .knn import ksg

__version__ = "0.1.0"

__all__ = [
    "MINE",
    "CriticTrainer",
    "DivergenceEstimator",
    "bounds",
    "critics",
    "divergence",
    "divergences",
    "gaussian",
    "ksg",
    "mutual_information",
    "__version__",
]
