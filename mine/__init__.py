"""mine: mutual information and f-divergences estimated with neural statistics networks."""

from . import bounds, critics, divergences, gaussian
from .estimator import MINE, DivergenceEstimator, divergence, mutual_information

__version__ = "0.1.0"

__all__ = [
    "MINE",
    "DivergenceEstimator",
    "bounds",
    "critics",
    "divergence",
    "divergences",
    "gaussian",
    "mutual_information",
    "__version__",
]
