"""What a candidate critic is, and the registry of candidate families.

A candidate is a critic that needs no training: it is fitted on a fold's training rows and offered
to the held-out selection beside the network's steps (:mod:`mine.fitting`), so it can only win where
it is better on rows that did not choose it. A *family* is one subclass of :class:`CandidateCritic`
registered with :func:`register_candidate` (the shape of ``torch.distributions.kl.register_kl``):

- ``family``: its registry name, what ``MINE(candidates=[...])`` names and a saved fit records;
- ``applies(rows)``: whether it can be fitted to a fold's :class:`TrainingRows`;
- ``fit(rows)``: its critics fitted there (any number, none included);
- ``label``: what each critic shows as the choice of a held-out half;
- ``from_state(state)``: the critic whose ``state_dict()`` is ``state`` (what a saved fit holds).

The loop, the labels and :mod:`mine.persistence` ask the registry and the critic; nothing else names
a family, so adding one is one class and one registration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from ..bounds import Bound, available_bounds, get_bound
from ..preprocessing import NormalScores


def gaussian_ranks(largest: int) -> list[int]:
    """The ranks (numbers of canonical pairs) the closed-form critics are fitted at: 1, 2, 3, 4, 6, 9,
    13, ... (each max(k + 1, 1.5 k)) below ``largest``, and ``largest`` itself."""
    ranks, k = [], 1
    while k < largest:
        ranks.append(k)
        k = max(k + 1, k * 3 // 2)
    return [*ranks, largest]


@dataclass(frozen=True)
class TrainingRows:
    """A fold's training rows as a candidate family sees them.

    Parameters
    ----------
    x, z : Tensor of shape (n, d_x) and (n, d_z)
        The rows after the fold's per-column maps (all of them, or a sample of rows read lazily).
    maps : tuple
        The maps of x and of z, fitted on these rows (empty when there are none).
    """

    x: Tensor
    z: Tensor
    maps: tuple = ()

    @classmethod
    def of(cls, x: Any, z: Any, maps: tuple = ()) -> TrainingRows:
        """Rows given as arrays or tensors, each made a 2-D tensor (arrays are not copied)."""
        x, z = (a if isinstance(a, Tensor) else torch.as_tensor(np.asarray(a)) for a in (x, z))
        return cls(x.reshape(len(x), -1), z.reshape(len(z), -1), tuple(maps))

    @property
    def ranks(self) -> list[int]:
        """:func:`gaussian_ranks` up to min(d_x, d_z)."""
        return gaussian_ranks(min(self.x.shape[1], self.z.shape[1]))

    @property
    def normal_scores(self) -> bool:
        """Whether the maps are per-column normal scores of these columns (``preprocessing="quantile"``)."""
        columns = (self.x.shape[1], self.z.shape[1])
        return len(self.maps) == 2 and all(
            isinstance(m, NormalScores) and m.n_features_in_ == d for m, d in zip(self.maps, columns)
        )


class CandidateCritic(nn.Module):
    """A critic with no trained weights, of a registered family (the module docstring has the
    protocol). Like any critic, ``forward(x, z)`` returns the B x B scores S[i, j] = T(x_i, z_j)
    and ``pair_scores(x, z)`` the B scores T(x_i, z_i). A family's constructor takes whatever its
    critics are made of (tensors, an inner critic).
    """

    family: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()

    @classmethod
    def applies(cls, rows: TrainingRows) -> bool:
        """Whether this family can be fitted to ``rows`` (every fold, unless a family says otherwise)."""
        return True

    @classmethod
    def fit(cls, rows: TrainingRows) -> list[CandidateCritic]:
        """This family's critics fitted to a fold's training rows."""
        raise NotImplementedError

    @classmethod
    def from_state(cls, state: dict[str, Tensor]) -> CandidateCritic:
        """The critic whose ``state_dict()`` is ``state``."""
        raise NotImplementedError

    @property
    def label(self) -> str:
        """What a held-out half that kept this critic shows (``FoldResult.chosen``)."""
        return self.family


_REGISTRY: dict[str, type[CandidateCritic]] = {}


def register_candidate(family: type[CandidateCritic]) -> type[CandidateCritic]:
    """Add a family to the registry, after those already there (the loop offers them in this order);
    usable as a class decorator. A family of the same name is replaced.

    Parameters
    ----------
    family : subclass of CandidateCritic
        With a non-empty ``family`` name.

    Returns
    -------
    The class, unchanged.
    """
    if not (isinstance(family, type) and issubclass(family, CandidateCritic)):
        raise TypeError(f"a candidate family is a subclass of CandidateCritic, got {family!r}")
    if not isinstance(family.family, str) or not family.family:
        raise ValueError(f"{family.__name__}.family must be a non-empty string, got {family.family!r}")
    _REGISTRY[family.family] = family
    return family


def unregister_candidate(name: str) -> None:
    """Remove the family ``name`` from the registry."""
    candidate_type(name)
    del _REGISTRY[name]


def candidate_families() -> list[str]:
    """The registered family names, in the order the loop offers them."""
    return list(_REGISTRY)


def candidate_type(name: str) -> type[CandidateCritic]:
    """The registered family ``name`` (a ValueError naming the registered ones otherwise)."""
    if name not in _REGISTRY:
        raise ValueError(f"no candidate family {name!r} is registered; registered: {', '.join(_REGISTRY) or 'none'}")
    return _REGISTRY[name]


def fit_candidates(families: Sequence[str], rows: TrainingRows, device: torch.device) -> list[CandidateCritic]:
    """Each named family's critics fitted to ``rows`` where it applies, in the order named, on ``device``.

    Parameters
    ----------
    families : sequence of str
        Registered family names.
    rows : TrainingRows
        A fold's training rows and maps.
    device : torch.device
        Where the critics score.

    Returns
    -------
    list of CandidateCritic
    """
    kinds = [candidate_type(name) for name in families]
    return [critic.to(device) for kind in kinds if kind.applies(rows) for critic in kind.fit(rows)]


def kind_of(critic: nn.Module | None) -> str:
    """What a held-out half kept: "constant" (None), a candidate's family name, or "network"."""
    if critic is None:
        return "constant"
    return critic.family if isinstance(critic, CandidateCritic) else "network"


def label_of(critic: nn.Module | None) -> str:
    """:func:`kind_of` in words: a candidate's ``label`` (its family and what it was fitted with)."""
    return critic.label if isinstance(critic, CandidateCritic) else kind_of(critic)


def offered_families(
    candidates: str | Sequence[str] | None, bound: Bound, builtin_critic: bool, normal_scores: bool
) -> tuple[str, ...]:
    """The families a ``candidates`` setting offers (``MINE(candidates=...)``): "auto" every registered
    family with bound "dv", a built-in critic and normal scores, else none; "none" or None none;
    "all" every registered family; a name or a list of names those. Other than "auto" they need a
    bound whose best critic is a log density ratio (``Bound.ratio_critic``).

    Parameters
    ----------
    candidates : str, sequence of str or None
        The setting (checked against the registry already).
    bound : Bound
        The bound trained and reported.
    builtin_critic : bool
        Whether the network is a built-in one (not a user's module).
    normal_scores : bool
        Whether the columns are mapped to normal scores (``preprocessing="quantile"``).

    Returns
    -------
    tuple of str
    """
    if candidates is None or candidates == "none":
        return ()
    if candidates == "auto":
        return tuple(_REGISTRY) if bound.name == "dv" and builtin_critic and normal_scores else ()
    if not bound.ratio_critic:
        ratio = [name for name in available_bounds() if name != "f" and get_bound(name).ratio_critic]
        raise ValueError(
            f"candidates={candidates!r} needs a bound whose best critic is log p(x,z)/p(x)p(z) plus a constant "
            f"({', '.join(ratio)}), not {bound.name!r}"
        )
    if candidates == "all":
        return tuple(_REGISTRY)
    return (candidates,) if isinstance(candidates, str) else tuple(candidates)
