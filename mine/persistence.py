"""Save and load a fitted estimator: parameters, fitted numbers, and per fold the selected critics and
the fitted per-column maps (weights only: ``torch.load(weights_only=True)`` reads it).

A fold's critic is saved as its ``state_dict()`` with the name of its candidate family, or with
none for the estimator's network; a candidate is rebuilt by its family's ``from_state``
(:mod:`mine.candidates`), the network by the estimator that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import nn

from .candidates import CandidateCritic, candidate_type
from .fitting import FoldResult
from .preprocessing import transformer_from_state, transformer_state

__all__ = ["Saved", "fold_from_state", "parameters", "read", "save", "state_of"]


class Saved:
    """``save``, ``load`` and ``from_state`` for the estimators (:mod:`mine.estimator`), which
    provide ``_start()`` (parameters checked and resolved), ``dims_`` and ``_new_critic(dims)``."""

    def save(self, path) -> None:
        """Write parameters, every fold's critic weights, maps and summary to ``path``."""
        self._check_fitted()
        save(self, path)

    @classmethod
    def load(cls, path, critic: nn.Module | None = None):
        """Rebuild an estimator written by :meth:`save` (pass ``critic`` for a user's module)."""
        return cls.from_state(read(path, cls), path, critic)

    @classmethod
    def from_state(cls, state: dict[str, Any], path="", critic: nn.Module | None = None):
        """The fitted estimator :func:`state_of` made ``state`` of (``path``: where it was read, for
        messages; ``critic``: the user's module, when it was fitted with one)."""
        if any("critic_families" not in fold for fold in state["folds"]):  # before the names of its time
            raise ValueError(f"{path} was written by an older version of mine; fit the estimator again")
        est = cls(**parameters(state, critic))
        est._start()
        for name, value in state["fitted"].items():
            setattr(est, name, value)
        network = partial(est._new_critic, tuple(est.dims_))
        est.folds_ = [fold_from_state(fold, path, network, est.device_, est.dtype_) for fold in state["folds"]]
        return est


def save(estimator, path) -> None:
    """Write a fitted estimator's parameters, fitted numbers and folds to ``path`` (``torch.save``).

    Parameters
    ----------
    estimator : MINE or DivergenceEstimator
        A fitted estimator.
    path : str or path-like
        Where to write.
    """
    torch.save(state_of(estimator), path)


def _fold_state(fold: FoldResult) -> dict[str, Any]:
    return {
        "critic_states": [None if c is None else c.state_dict() for c in fold.critics],
        "critic_families": [c.family if isinstance(c, CandidateCritic) else None for c in fold.critics],
        "maps": [[transformer_state(t) for t in group] for group in fold.maps],
        **fold.summary(),
    }


def state_of(estimator) -> dict[str, Any]:
    """A fitted estimator as a dictionary of plain values and tensors (what :func:`save` writes).

    Parameters
    ----------
    estimator : MINE or DivergenceEstimator
        A fitted estimator.

    Returns
    -------
    dict
    """
    params = estimator.get_params()
    if isinstance(params.get("critic"), nn.Module):
        params["critic"] = None  # a user's module is passed again to load()
    fitted = {
        k: v
        for k, v in vars(estimator).items()
        if k.endswith("_") and isinstance(v, (int, float, bool, str, tuple, list, dict)) and k != "folds_"
    }
    folds = [_fold_state(f) for f in estimator.folds_]
    return {"class": type(estimator).__name__, "params": params, "fitted": fitted, "folds": folds}


def read(path, cls: type) -> dict[str, Any]:
    """The dictionary :func:`save` wrote to ``path``, or a one-line ValueError saying why ``path``
    is not one.

    Parameters
    ----------
    path : str or path-like
        The file.
    cls : type
        The class the file must hold (named in the errors).

    Returns
    -------
    dict
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except Exception as err:  # empty, truncated, a directory, a foreign or unsafe pickle
        reason = str(err).splitlines()[0].split(". ")[0] if str(err) else type(err).__name__
        raise ValueError(f"{path} is not a file written by {cls.__name__}.save ({reason})") from None
    if not isinstance(state, dict) or "class" not in state:
        raise ValueError(f"{path} is not a file written by {cls.__name__}.save (no estimator in it)")
    if state["class"] != cls.__name__:
        raise ValueError(f"{path} holds a {state['class']}, not a {cls.__name__}")
    return state


def parameters(state: dict[str, Any], critic: nn.Module | None = None) -> dict[str, Any]:
    """The saved estimator's parameters, with the user's critic module where it had one.

    Parameters
    ----------
    state : dict
        What :func:`state_of` made (or :func:`read` read).
    critic : nn.Module or None
        The user's module, passed again (its weights are in the state).

    Returns
    -------
    dict
    """
    params = dict(state["params"])
    if "critic" in params and params["critic"] is None:
        if critic is None:
            raise ValueError("this estimator was fitted with a user critic: pass it as critic=")
        params["critic"] = critic
    return params


def _restored(path, weights: dict, module: nn.Module) -> nn.Module:
    """``module`` with the saved ``weights``, or a ValueError when they do not fit it."""
    try:
        module.load_state_dict(weights)
    except RuntimeError as error:  # parameters renamed or reshaped since it was saved
        first = str(error).splitlines()[0]
        raise ValueError(
            f"{path}: its critic's weights do not fit this version's critic ({first}); "
            "it was written by another version of mine: fit the estimator again"
        ) from None
    return module


def fold_from_state(
    fold: dict[str, Any], path, network: Callable[[], nn.Module], device: torch.device, dtype: torch.dtype
) -> FoldResult:
    """The :class:`~mine.fitting.FoldResult` a saved fold describes.

    Parameters
    ----------
    fold : dict
        One entry of a saved state's ``folds``.
    path : str or path-like
        The file it came from, named in errors.
    network : callable
        Returns a fresh network of the estimator's (to receive the saved weights).
    device, dtype : torch.device, torch.dtype
        Where the critics score, and the network's precision.

    Returns
    -------
    FoldResult
    """
    fold = dict(fold)
    critics = []
    for weights, family in zip(fold.pop("critic_states"), fold.pop("critic_families")):
        if weights is None:
            critics.append(None)  # the constant critic
        elif family is not None:
            critics.append(candidate_type(family).from_state(weights).to(device=device))
        else:
            critics.append(_restored(path, weights, network()).to(device=device, dtype=dtype))
    maps = tuple(tuple(transformer_from_state(t) for t in group) for group in fold.pop("maps"))
    return FoldResult(critics=critics, maps=maps, **fold)
