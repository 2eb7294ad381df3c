"""The MINE paper's finite-sample sweep (its Figure 1): estimates against the analytic MI.

x, z each 1-D and each 10-D, componentwise correlation rho from -0.99 to 0.99, N = 10,000 fixed
samples per point (one draw per rho, shared by all estimators). Estimators: ``MINE`` with its
defaults (DV with the moving-average correction), ``MINE(bound="nwj")`` (MINE-f), and the KSG
k-nearest-neighbour estimator ``mine.ksg`` (k = 3). Also times one default fit.

    python -m benchmarks.gaussian [--quick]
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from mine import MINE, ksg
from mine.gaussian import mi_correlated, rho_for_mi, sample_correlated

from .framework import Benchmark, figure, main, progress, save_figure, table

ESTIMATORS = ("MINE (DV + EMA)", "MINE-f (NWJ)", "KSG (k=3)")


@dataclass(frozen=True)
class GaussianConfig:
    dims: tuple[int, ...] = (1, 10)
    rhos: tuple[float, ...] = (-0.99, -0.9, -0.7, -0.5, -0.2, 0.0, 0.2, 0.5, 0.7, 0.9, 0.99)
    n: int = 10_000
    max_steps: int = 5000
    ksg_k: int = 3
    timing_repeats: int = 3
    device: str = "cpu"  # "cuda" or "auto" to fit on a GPU
    seed: int = 0


QUICK = GaussianConfig(rhos=(-0.9, 0.0, 0.7), n=1000, max_steps=100, timing_repeats=0)


def estimate(name: str, x: np.ndarray, z: np.ndarray, config: GaussianConfig) -> dict:
    start = time.perf_counter()
    row: dict = {}
    if name.startswith("KSG"):
        row["estimate"] = ksg(x, z, k=config.ksg_k, workers=-1)
    else:
        bound = "nwj" if "NWJ" in name else "dv"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                est = MINE(bound=bound, max_steps=config.max_steps, random_state=config.seed, device=config.device)
                est.fit(x, z)
            row.update(estimate=est.mi(), steps=sum(f.n_steps for f in est.folds_))
        except FloatingPointError as err:  # a diverged fit is a result too
            row.update(estimate=float("nan"), error=str(err))
    row["seconds"] = time.perf_counter() - start
    return row


def time_default_fit(config: GaussianConfig) -> list[dict]:
    """Wall time of ``MINE(random_state=k).fit`` on 10-D x 10-D Gaussians at 2 nats, N = config.n."""
    x, z = sample_correlated(config.n, float(rho_for_mi(2.0, 10)), 10, random_state=config.seed)
    runs = []
    for k in range(config.timing_repeats):
        start = time.perf_counter()
        est = MINE(random_state=k, device=config.device).fit(x, z)
        runs.append({"repeat": k, "seconds": time.perf_counter() - start, "estimate": est.mi(), "truth": 2.0})
    return runs


def run(config: GaussianConfig):
    rows = []
    cases = [(d, r, name) for d in config.dims for r in config.rhos for name in ESTIMATORS]
    for dim, rho, name in progress(cases, desc="gaussian sweep"):
        x, z = sample_correlated(config.n, rho, dim, random_state=config.seed)
        truth = float(mi_correlated(rho, dim))
        row = {"dim": dim, "rho": rho, "estimator": name, "truth": truth, **estimate(name, x, z, config)}
        row["error"] = row["estimate"] - truth
        rows.append(row)
    return rows, {"default_fit_timing": time_default_fit(config)}


def plot(rows, extras, config: GaussianConfig, path) -> None:
    fig, axes = figure(1, len(config.dims), figsize=(5.5 * len(config.dims), 4.2), squeeze=False)
    fine = np.linspace(min(config.rhos), max(config.rhos), 199)
    for ax, dim in zip(axes[0], config.dims):
        ax.plot(fine, mi_correlated(fine, dim), color="black", lw=2, label="true MI")
        for name, marker in zip(ESTIMATORS, "osD"):
            pts = sorted((r["rho"], r["estimate"]) for r in rows if r["dim"] == dim and r["estimator"] == name)
            ax.plot(*zip(*pts), marker=marker, ms=4, label=name)
        ax.set_title(f"x, z each {dim}-D, N = {config.n:,}")
        ax.set_xlabel("correlation rho per component")
        ax.set_ylabel("I(X; Z) [nats]")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    save_figure(fig, path)


def report(rows, config) -> str:
    return table(
        rows,
        ["dim", "rho", "truth", "estimator", "estimate", "error", "seconds"],
        {"rho": ".2f", "truth": ".3f", "estimate": ".3f", "error": "+.3f", "seconds": ".1f"},
    )


BENCHMARK = Benchmark("gaussian", run, GaussianConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
