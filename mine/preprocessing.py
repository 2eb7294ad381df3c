"""Per-column maps that leave MI unchanged, fitted on training rows only.

I(f(X); g(Z)) = I(X; Z) for invertible f and g, so an estimator may map each column before the
critic sees it. The maps are scikit-learn transformers: ``"standard"`` centres and scales each
column (``StandardScaler``; a constant column keeps scale 1), ``"none"`` leaves the data as it is.
A divergence D(P || Q) is invariant only to a map shared by both samples, which the two-sample
source arranges by fitting one transformer on both.

A fitted transformer is saved as plain data (its class, parameters and fitted arrays as tensors),
so that ``torch.load(..., weights_only=True)`` reads it back without unpickling code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from sklearn.base import TransformerMixin
from sklearn.preprocessing import StandardScaler

__all__ = ["PREPROCESSORS", "make_preprocessor", "transformer_from_state", "transformer_state"]

PREPROCESSORS: dict[str, Callable[[], TransformerMixin]] = {
    "standard": StandardScaler,
    "none": lambda: StandardScaler(with_mean=False, with_std=False),
}
_CLASSES = {cls.__name__: cls for cls in (StandardScaler,)}


def make_preprocessor(kind: str) -> TransformerMixin:
    """An unfitted per-column transformer by name (see ``PREPROCESSORS``)."""
    if kind not in PREPROCESSORS:
        raise ValueError(f"unknown preprocessing {kind!r}; valid: {', '.join(PREPROCESSORS)}")
    return PREPROCESSORS[kind]()


def _plain(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, np.generic):
        return value.item()
    return value


def transformer_state(transformer: TransformerMixin) -> dict:
    """A fitted transformer as plain data: class name, parameters, fitted attributes."""
    fitted = {k: _plain(v) for k, v in vars(transformer).items() if k.endswith("_") and not k.startswith("_")}
    return {"class": type(transformer).__name__, "params": transformer.get_params(), "fitted": fitted}


def transformer_from_state(state: dict) -> TransformerMixin:
    """Rebuild a transformer written by :func:`transformer_state`."""
    if state["class"] not in _CLASSES:
        raise ValueError(f"cannot rebuild a {state['class']}; known: {', '.join(_CLASSES)}")
    transformer = _CLASSES[state["class"]](**state["params"])
    for name, value in state["fitted"].items():
        setattr(transformer, name, value.numpy() if isinstance(value, torch.Tensor) else value)
    return transformer
