"""mine: mutual information and f-divergences estimated with neural statistics networks."""

from . import bounds, critics, gaussian
from .estimator import MINE, mutual_information

__version__ = "0.1.0"

__all__ = ["MINE", "bounds", "critics", "gaussian", "mutual_information", "__version__"]
