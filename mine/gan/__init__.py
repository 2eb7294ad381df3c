"""The GAN adapter: f-GAN losses for any divergence of the table, a MINE regulariser against mode
dropping, multi-scale gradients (MSG-GAN), toy and stacked-digit data, mode-coverage metrics."""

from .data import GaussianMixture2D, StackedDigits, grid25, ring8, sample_toy, spiral
from .losses import FGANLoss, r1_penalty
from .metrics import label_coverage, mode_coverage
from .msg import MSGDiscriminator, MSGGenerator, downsample_pyramid, minibatch_std
from .regularizer import MINERegularizer, clip_to_norm_of

__all__ = [
    "FGANLoss",
    "GaussianMixture2D",
    "MINERegularizer",
    "MSGDiscriminator",
    "MSGGenerator",
    "StackedDigits",
    "clip_to_norm_of",
    "downsample_pyramid",
    "grid25",
    "label_coverage",
    "minibatch_std",
    "mode_coverage",
    "r1_penalty",
    "ring8",
    "sample_toy",
    "spiral",
]
