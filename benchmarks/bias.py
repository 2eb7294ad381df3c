"""What the default reads by sample size and dimension: the bias table of the docs.

MINE with its defaults on a Gaussian family (I = 1 nat spread evenly over ``dim`` coordinate pairs)
and a non-Gaussian one (a multivariate Student-t with 3 degrees of freedom, same correlation: heavy
tails and tail dependence, which no per-column map removes), at 1,000 / 10,000 / 100,000 rows and
1 / 10 / 50 dimensions a side. Each row records the estimate, its relative error, the 95% lower
confidence bound (``mi_lower``) and the fit time.

    python -m benchmarks.bias [--quick] [--set seeds=0,1] [--set sizes=1000,10000]
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mine import MINE
from mine.gaussian import mi_correlated, mi_student_t, rho_for_mi, sample_correlated, sample_student_t

from .framework import Benchmark, figure, main, progress, save_figure, table

Sampler = Callable[[int, np.random.RandomState], tuple[np.ndarray, np.ndarray]]
GAUSSIAN_MI = 1.0  # nats of the Gaussian family at every dimension
NU = 3.0


def family(name: str, dim: int) -> tuple[Sampler, float]:
    """(sampler, true MI in nats) of ``"gaussian"`` or ``"student-t"`` with ``dim`` columns a side."""
    rho = float(rho_for_mi(GAUSSIAN_MI, dim))
    if name == "gaussian":
        return (lambda n, rng: sample_correlated(n, rho, dim, random_state=rng)), float(mi_correlated(rho, dim))
    if name == "student-t":
        return (lambda n, rng: sample_student_t(n, rho, dim, NU, random_state=rng)), float(mi_student_t(rho, dim, NU))
    raise ValueError(f"unknown family {name!r}: 'gaussian' or 'student-t'")


@dataclass(frozen=True)
class BiasConfig:
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    dims: tuple[int, ...] = (1, 10, 50)
    families: tuple[str, ...] = ("gaussian", "student-t")
    seeds: tuple[int, ...] = (0,)
    max_steps: int = 5000
    threads: int = 0


QUICK = BiasConfig(sizes=(1_000,), dims=(1, 5), families=("gaussian",), max_steps=60)


def run(config: BiasConfig) -> list[dict]:
    if config.threads:
        import torch

        torch.set_num_threads(config.threads)
    cells = [(f, d, n, s) for f in config.families for d in config.dims for n in config.sizes for s in config.seeds]
    rows = []
    for name, dim, n, seed in progress(cells, desc="cells"):
        sample, truth = family(name, dim)
        x, z = sample(n, np.random.RandomState(seed))
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est = MINE(max_steps=config.max_steps, random_state=seed).fit(x, z)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "family": name,
                "dim": dim,
                "n": n,
                "seed": seed,
                "truth": truth,
                "estimate": est.mi(),
                "relative_error": est.mi() / truth - 1,
                "lower": est.mi_lower(),
                "lower_holds": bool(est.mi_lower() <= truth),
                "seconds": seconds,
                "warnings": len(caught),
            }
        )
    return rows


def summary(rows: list[dict]) -> list[dict]:
    """Per family, dimension and size: the mean relative error over seeds and the mean time."""
    out = []
    for key in dict.fromkeys((r["family"], r["dim"], r["n"]) for r in rows):
        cell = [r for r in rows if (r["family"], r["dim"], r["n"]) == key]
        out.append(
            {
                "family": key[0],
                "dim": key[1],
                "n": key[2],
                "truth": cell[0]["truth"],
                "relative_error": float(np.mean([r["relative_error"] for r in cell])),
                "lower_held": f"{sum(r['lower_holds'] for r in cell)}/{len(cell)}",
                "seconds": float(np.mean([r["seconds"] for r in cell])),
            }
        )
    return out


def plot(rows: list[dict], extras: dict, config: BiasConfig, path) -> None:
    stats = summary(rows)
    fig, axes = figure(1, len(config.families), figsize=(4.5 * len(config.families), 3.6), squeeze=False)
    for ax, name in zip(axes[0], config.families):
        for dim in config.dims:
            cell = [s for s in stats if (s["family"], s["dim"]) == (name, dim)]
            ax.plot([s["n"] for s in cell], [100 * s["relative_error"] for s in cell], "o-", label=f"{dim} a side")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("rows")
        ax.set_ylabel("relative error of the default (%)")
        ax.set_title(name)
        ax.legend(fontsize=8)
    save_figure(fig, path)


def report(rows: list[dict], config: BiasConfig) -> str:
    return table(
        summary(rows),
        ["family", "dim", "n", "truth", "relative_error", "lower_held", "seconds"],
        {"relative_error": "+.1%", "seconds": ".1f"},
    )


BENCHMARK = Benchmark("bias", run, BiasConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
