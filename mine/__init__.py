"""mine: mutual information and f-divergences estimated with neural statistics networks."""

from . import bounds, candidates, copulas, critics, divergences, gaussian, preprocessing, sources, training
from .conditional import ConditionalMI
from .divergence_estimator import DivergenceEstimator, divergence
from .estimator import MINE, mutual_information
from .independence import conditional_independence_test, independence_test
from .knn import ksg
from .training import CriticTrainer

__version__ = "0.1.0"

__all__ = [
    "MINE",
    "ConditionalMI",
    "CriticTrainer",
    "DivergenceEstimator",
    "bounds",
    "candidates",
    "copulas",
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
