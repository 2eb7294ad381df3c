"""Candidate critics: critics that need no training, fitted on a fold's training rows and offered
to the held-out selection beside the network's steps.

:mod:`~mine.candidates.registry` says what a candidate family is and holds the registry; the
built-in families, offered in this order, are the Gaussian copula's critic (``"gaussian"``), the
t copula's (``"student_t"``) and the Gaussian critic of the data's own values (``"data_scale"``),
one module each. A family of your own is one subclass of :class:`CandidateCritic` and one
:func:`register_candidate`.
"""

from .data_scale import DataScaleCritic
from .gaussian import GaussianCritic
from .registry import (
    CandidateCritic,
    TrainingRows,
    candidate_families,
    candidate_type,
    fit_candidates,
    gaussian_ranks,
    kind_of,
    label_of,
    offered_families,
    register_candidate,
    unregister_candidate,
)
from .student_t import StudentCritic

for _family in (GaussianCritic, StudentCritic, DataScaleCritic):  # the built-in families, in the order offered
    register_candidate(_family)

__all__ = [
    "CandidateCritic",
    "DataScaleCritic",
    "GaussianCritic",
    "StudentCritic",
    "TrainingRows",
    "candidate_families",
    "candidate_type",
    "fit_candidates",
    "gaussian_ranks",
    "kind_of",
    "label_of",
    "offered_families",
    "register_candidate",
    "unregister_candidate",
]
