"""Save and load a fitted estimator: parameters, fitted numbers, and per fold the selected critics'
weights and the fitted preprocessing (weights only: ``torch.load(weights_only=True)`` reads it)."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from .critics import DataScaleCritic, GaussianCritic, StudentCritic
from .fitting import FoldResult
from .preprocessing import transformer_from_state, transformer_state

__all__ = ["from_state", "load", "read", "save", "state_of"]


def save(estimator, path) -> None:
    """Write a fitted estimator's parameters, fitted numbers and folds to ``path``.

    Parameters
    ----------
    estimator : MINE or DivergenceEstimator
        A fitted estimator.
    path : str or path-like
        Where to write (``torch.save``).
    """
    torch.save(state_of(estimator), path)


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
    folds = [
        {
            "critic_states": [None if c is None else c.state_dict() for c in f.critics],
            "preprocessing": [[transformer_state(t) for t in group] for group in f.preprocessing],
            **f.summary(),
        }
        for f in estimator.folds_
    ]
    fitted = {
        k: v
        for k, v in vars(estimator).items()
        if k.endswith("_") and isinstance(v, (int, float, bool, str, tuple, list, dict)) and k != "folds_"
    }
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


def _module(path, weights: dict | None, est, critic: nn.Module | None, task, dims: tuple) -> nn.Module | None:
    """A fold's selected critic from its saved weights: the constant one (None), a closed-form
    critic (Gaussian, Student-t or data-scale Gaussian, rebuilt from its buffers) or the estimator's
    network."""
    if weights is None:
        return None
    for closed_form in (GaussianCritic, StudentCritic, DataScaleCritic):
        if closed_form.holds(weights):
            return closed_form.from_state(weights).to(device=est.device_)
    module = copy.deepcopy(critic) if critic is not None else task.make_critic(dims)
    return _restored(path, weights, module).to(device=est.device_, dtype=est.dtype_)


def load(cls: type, path, critic: nn.Module | None = None):
    """Rebuild an estimator of class ``cls`` written by :func:`save`.

    Parameters
    ----------
    cls : type
        ``MINE`` or ``DivergenceEstimator``.
    path : str or path-like
        A file written by :func:`save`.
    critic : nn.Module or None
        The user's critic module, when the estimator was fitted with one.

    Returns
    -------
    MINE or DivergenceEstimator
        Fitted: ``estimate()``, ``evaluate(...)`` and the fitted attributes work as after ``fit``.
    """
    return from_state(cls, read(path, cls), path, critic)


def from_state(cls: type, state: dict[str, Any], path, critic: nn.Module | None = None):
    """The estimator of class ``cls`` that :func:`state_of` made ``state`` from.

    Parameters
    ----------
    cls : type
        ``MINE`` or ``DivergenceEstimator``.
    state : dict
        What :func:`state_of` returned (or :func:`read` read).
    path : str or path-like
        The file it came from, named in errors.
    critic : nn.Module or None
        The user's critic module, when the estimator was fitted with one.

    Returns
    -------
    MINE or DivergenceEstimator
    """
    params = dict(state["params"])
    if "critic" in params and params["critic"] is None:
        if critic is None:
            raise ValueError("this estimator was fitted with a user critic: pass it as critic=")
        params["critic"] = critic
    est = cls(**params)
    task = est._start()
    for name, value in state["fitted"].items():
        setattr(est, name, value)
    dims = tuple(getattr(est, a) for a in task.dims_attributes)
    est.folds_ = []
    for fold in state["folds"]:
        if "critic_states" not in fold:
            raise ValueError(f"{path} was written by an older version of mine; fit the estimator again")
        modules = [_module(path, weights, est, critic, task, dims) for weights in fold.pop("critic_states")]
        groups = fold.pop("preprocessing")
        preprocessing = tuple(tuple(transformer_from_state(t) for t in group) for group in groups)
        est.folds_.append(FoldResult(critics=modules, preprocessing=preprocessing, **fold))
    return est
