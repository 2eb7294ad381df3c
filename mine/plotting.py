"""Figures of a fitted estimator (matplotlib is an optional dependency: ``pip install matplotlib``)."""

from __future__ import annotations

import math
from typing import Any

UNIT_SCALE = {"nats": 1.0, "bits": 1.0 / math.log(2.0)}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("plot_history needs matplotlib: pip install matplotlib") from None
    return plt


def plot_history(estimator: Any, ax=None, units: str = "nats"):
    """Per fold, the mean training-batch estimate (thin) and the held-out estimate (thick) over
    steps; a marker at each held-out half's selected step; the estimate and its 95% interval as a
    band.

    Parameters
    ----------
    estimator : MINE or DivergenceEstimator
        A fitted estimator.
    ax : matplotlib Axes or None
        Where to draw (None: a new figure).
    units : {"nats", "bits"}
        Units of the vertical axis.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if units not in UNIT_SCALE:
        raise ValueError(f"units must be one of {sorted(UNIT_SCALE)}, got {units!r}")
    scale = UNIT_SCALE[units]
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(7, 4))
    colors = ax._get_lines.get_next_color if hasattr(ax, "_get_lines") else None
    for k, fold in enumerate(estimator.folds_):
        color = colors() if colors else None
        steps = [row["step"] for row in fold.history]
        ax.plot(
            steps,
            [row["train"] * scale for row in fold.history],
            lw=0.8,
            alpha=0.5,
            color=color,
            label=f"fold {k} training batches",
        )
        line = ax.plot(
            steps, [row["heldout"] * scale for row in fold.history], lw=1.8, color=color, label=f"fold {k} held out"
        )[0]
        for half, step in enumerate(fold.best_steps):
            if step:  # 0: the constant critic was kept
                value = next(row[f"half_{half}"] for row in fold.history if row["step"] == step)
                ax.plot(
                    [step],
                    [value * scale],
                    marker="v",
                    color=line.get_color(),
                    ms=8,
                    ls="none",
                    label="selected step (each half)" if k == 0 and half == 0 else None,
                )
    low, high = estimator.interval(0.95, units)
    ax.axhspan(low, high, color="grey", alpha=0.2, label=f"estimate {estimator.estimate(units):.3f}, 95% interval")
    ax.axhline(estimator.estimate(units), color="black", lw=0.8)
    ax.set_xlabel("training step")
    ax.set_ylabel(f"bound ({units})")
    ax.set_title(f"{type(estimator).__name__}: {estimator.bound_.name} bound")
    ax.legend(fontsize=7, loc="lower right")
    return ax
