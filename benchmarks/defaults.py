"""The defaults table of the guide: ``MINE()`` on four correlated-Gaussian cases of 10,000 rows.

1-D at rho = 0.5 and 0.9, 10-D at 2 and 5 nats (the demo's data at 2 nats), data seed 0,
``random_state=0``; the default beside ``candidates=None`` (the trained network alone).
Each row records the estimate, its 95% interval and lower bound, what each held-out half kept,
the steps and the fit time.

    python -m benchmarks.defaults [--quick] [--set threads=1]
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from mine import MINE
from mine.gaussian import mi_correlated, rho_for_mi, sample_correlated

from .framework import Benchmark, figure, main, progress, save_figure, table

#: (label, columns a side, correlation or None, MI in nats when the correlation is None)
CASES = {
    "1-D, rho = 0.5": (1, 0.5, None),
    "1-D, rho = 0.9": (1, 0.9, None),
    "10-D, 2 nats": (10, None, 2.0),
    "10-D, 5 nats": (10, None, 5.0),
}
SETTINGS = {"default": {}, "network only": {"candidates": None}}


@dataclass(frozen=True)
class DefaultsConfig:
    n: int = 10_000
    cases: tuple[str, ...] = tuple(CASES)
    settings: tuple[str, ...] = tuple(SETTINGS)
    max_steps: int = 5000
    seed: int = 0
    threads: int = 0


QUICK = DefaultsConfig(n=600, cases=("1-D, rho = 0.5",), max_steps=60)


def run(config: DefaultsConfig) -> list[dict]:
    if config.threads:
        import torch

        torch.set_num_threads(config.threads)
    rows = []
    for case, setting in progress([(c, s) for c in config.cases for s in config.settings], desc="fits"):
        dim, rho, mi = CASES[case]
        rho = float(rho if rho is not None else rho_for_mi(mi, dim))
        x, z = sample_correlated(config.n, rho, dim, random_state=config.seed)
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est = MINE(max_steps=config.max_steps, random_state=config.seed, **SETTINGS[setting]).fit(x, z)
        seconds = time.perf_counter() - start
        low, high = est.mi_interval()
        rows.append(
            {
                "case": case,
                "setting": setting,
                "truth": float(mi_correlated(rho, dim)),
                "estimate": est.mi(),
                "low": low,
                "high": high,
                "lower": est.mi_lower(),
                "chosen": ", ".join(k for f in est.folds_ for k in f.chosen),
                "steps": [f.n_steps for f in est.folds_],
                "seconds": seconds,
                "warnings": len(caught),
            }
        )
    return rows


def plot(rows: list[dict], extras: dict, config: DefaultsConfig, path) -> None:
    fig, ax = figure(figsize=(6, 3.4))
    cases = list(dict.fromkeys(r["case"] for r in rows))
    for k, setting in enumerate(dict.fromkeys(r["setting"] for r in rows)):
        mine = [next(r for r in rows if (r["case"], r["setting"]) == (c, setting)) for c in cases]
        error = [100 * (r["estimate"] / r["truth"] - 1) for r in mine]
        ax.bar(np.arange(len(cases)) + 0.4 * k - 0.2, error, width=0.4, label=setting)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(cases)), cases, fontsize=8)
    ax.set_ylabel("relative error (%)")
    ax.legend(fontsize=8)
    save_figure(fig, path)


def report(rows: list[dict], config: DefaultsConfig) -> str:
    return table(rows, ["case", "setting", "truth", "estimate", "lower", "chosen", "seconds"], {"seconds": ".1f"})


BENCHMARK = Benchmark("defaults", run, DefaultsConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
