"""mine: mutual information and f-divergences estimated with neural statistics networks."""

from . import bounds, critics, divergences, gaussian, preprocessing, sources, training
from .conditional import ConditionalMI, conditional_independence_test, independence_test
from .divergence_estimator import DivergenceEstimator, divergence
from .estimator import MINE, mutual_information
from .knn import ksg
from .training import CriticTrainer

__version__ = "0.1.0"

__all__ = [
    "MINE",
    "ConditionalMI",
    "CriticTrainer",
    "DivergenceEstimator",
    "bounds",
    "critics",
    "divergence",
    "divergences",
    "gaussian",
    "conditional_independence_test",
    "independence_test",
    "ksg",
    "mutual_information",
    "preprocessing",
    "sources",
    "training",
    "__version__",
]
