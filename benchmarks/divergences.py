"""Two-sample f-divergence estimates against the truth, for every row of the table, across sizes.

P = N(0, 1), Q = N(0.5, 1.2^2) in 1-D (every chi^2 is finite for this pair), the truth by numerical
integration of q f(p/q) with scipy; plus KL between two 2-D Gaussians (analytic). Sample sizes
1,000 / 10,000 / 50,000 of each of P and Q, `DivergenceEstimator` defaults otherwise.

    python -m benchmarks.divergences [--quick]

The plot shows estimate / truth per divergence and size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from scipy import integrate, stats

from mine import DivergenceEstimator
from mine.divergences import get_divergence
from mine.gaussian import kl_gaussians

from .framework import Benchmark, figure, main, progress, save_figure, table

ROWS = [
    ("total_variation", {}),
    ("kl", {}),
    ("reverse_kl", {}),
    ("pearson", {}),
    ("neyman", {}),
    ("squared_hellinger", {}),
    ("jeffrey", {}),
    ("jensen_shannon", {}),
    ("gan", {}),
    ("alpha", {"alpha": -1.0}),
    ("alpha", {"alpha": 0.5}),
    ("alpha", {"alpha": 2.0}),
]
P1, Q1 = (0.0, 1.0), (0.5, 1.2)
KL2D = (np.array([0.0, 0.0]), np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([1.0, -0.5]), np.diag([1.5, 0.8]))


def truth_1d(name: str, params: dict) -> float:
    """D_f(P || Q) = integral of q(x) f(p(x) / q(x)) dx, f read from the table."""
    div = get_divergence(name, **params)
    p, q = stats.norm(*P1), stats.norm(*Q1)

    def integrand(x):
        return q.pdf(x) * float(div.f(torch.tensor(p.pdf(x) / q.pdf(x), dtype=torch.float64)))

    return integrate.quad(integrand, -15, 15, limit=400, epsabs=1e-12)[0]


def label(name: str, params: dict) -> str:
    return name + "".join(f" {k}={v:g}" for k, v in params.items())


@dataclass(frozen=True)
class DivergencesConfig:
    sizes: tuple[int, ...] = (1000, 10_000, 50_000)
    max_steps: int = 5000
    rows: tuple[str, ...] = tuple(label(n, p) for n, p in ROWS) + ("kl (2-D)",)
    device: str = "cpu"  # "cuda" or "auto" to fit on a GPU
    seed: int = 0


QUICK = DivergencesConfig(sizes=(1000,), max_steps=60, rows=("kl", "pearson", "gan", "alpha alpha=0.5", "kl (2-D)"))


def run(config: DivergencesConfig) -> list[dict]:
    rng = np.random.default_rng(config.seed)
    cases = [(label(n, p), n, p, "1-D") for n, p in ROWS] + [("kl (2-D)", "kl", {}, "2-D")]
    cases = [c for c in cases if c[0] in config.rows]
    rows = []
    for (name, div, params, kind), n in progress([(c, n) for c in cases for n in config.sizes], desc="divergences"):
        truth = truth_1d(div, params) if kind == "1-D" else kl_gaussians(*KL2D)
        if kind == "1-D":
            p, q = rng.normal(*P1, (n, 1)), rng.normal(*Q1, (n, 1))
        else:
            p = rng.multivariate_normal(KL2D[0], KL2D[1], n)
            q = rng.multivariate_normal(KL2D[2], KL2D[3], n)
        start = time.perf_counter()
        est = DivergenceEstimator(
            div,
            divergence_params=params or None,
            random_state=config.seed,
            max_steps=config.max_steps,
            device=config.device,
        ).fit(p, q)
        rows.append(
            {
                "divergence": name,
                "n": n,
                "truth": truth,
                "estimate": est.estimate(),
                "relative_error": (est.estimate() - truth) / truth,
                "seconds": time.perf_counter() - start,
                "steps": sum(f.n_steps for f in est.folds_),
            }
        )
    return rows


def plot(rows, extras, config: DivergencesConfig, path) -> None:
    names = list(dict.fromkeys(r["divergence"] for r in rows))
    fig, ax = figure(figsize=(11, 4.2))
    width, top = 0.8 / len(config.sizes), 2.0
    for k, n in enumerate(config.sizes):
        ratio = [next(r["estimate"] / r["truth"] for r in rows if r["divergence"] == d and r["n"] == n) for d in names]
        xs = np.arange(len(names)) + (k - (len(config.sizes) - 1) / 2) * width
        ax.bar(xs, np.clip(ratio, 0, top), width, label=f"n = {n:,}")
        for x, value in zip(xs, ratio):
            if value > top:  # an off-scale bar is cut and labelled with its value
                ax.text(x, top * 0.97, f"{value:.0f}x", ha="center", va="top", fontsize=7, rotation=90)
    ax.set_ylim(0, top)
    ax.axhline(1.0, color="black", lw=1)
    ax.axhspan(0.9, 1.1, color="grey", alpha=0.15, label="within 10%")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylabel("estimate / truth")
    ax.set_title("Two-sample f-divergence estimates (held out, 2 folds)")
    ax.legend(fontsize=8)
    save_figure(fig, path)


def report(rows, config) -> str:
    return table(
        rows,
        ["divergence", "n", "truth", "estimate", "relative_error", "seconds"],
        {"relative_error": "+.3f", "seconds": ".1f"},
    )


BENCHMARK = Benchmark("divergences", run, DivergencesConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
