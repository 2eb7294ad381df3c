"""Conditional MI I(X; Y | Z): ConditionalMI beside the k-NN (Frenzel-Pompe) estimator on tasks of
known conditional MI.

- CCMI's "Model I" (Mukherjee et al. 2019): X ~ N(0, 1), Z ~ U(-1/2, 1/2)^dz, Y = X + Z_1 + 0.1 e, so
  I(X; Y | Z) = 1/2 log 101 = 2.308 nats whatever dz. Published (N = 20,000): CCMI 2.30 / 2.18 /
  1.98 / 1.67 at dz = 1 / 10 / 50 / 100.
- Gaussian CMI (``mine.gaussian.cmi_from_covariance``) plain and under per-column monotone and
  heavy-tailed warps of X, Y and Z (which leave it unchanged).
- Conditional-independence nulls (truth 0): X and Y both depend nonlinearly on a 1- to 20-D Z.

    python -m benchmarks.cmi [--quick] [--set tasks=...] [--set seeds=0,1,2]
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mine import MINE, ConditionalMI
from mine.gaussian import cmi_from_covariance
from mine.knn import ksg_conditional

from .framework import Benchmark, figure, main, progress, save_figure, table

Sampler = Callable[[int, np.random.RandomState], tuple[np.ndarray, np.ndarray, np.ndarray]]


def model_one(dz: int) -> tuple[Sampler, float]:
    """CCMI's Model I: the truth is 1/2 log(1 + 1 / 0.01) for every dz."""

    def sample(n, rng):
        x = rng.standard_normal((n, 1))
        z = rng.uniform(-0.5, 0.5, (n, dz))
        return x, x + z[:, :1] + 0.1 * rng.standard_normal((n, 1)), z

    return sample, 0.5 * math.log(101)


def gaussian(warp: Callable | None = None) -> tuple[Sampler, float]:
    """(X, Y, Z) = (1 + 1 + 2)-D Gaussian: x = z_1 + e, y = 0.8 x + z_2 + 0.6 e'; ``warp`` maps every
    column of x, y and z (monotone, so the CMI is unchanged)."""
    mix = np.array([[1, 0, 1, 0], [0.8, 0.6, 0.8, 1], [0, 0, 1, 0], [0, 0, 0, 1.0]])  # x, y, z from noises

    def sample(n, rng):
        noise = rng.standard_normal((n, 4)) @ mix.T
        x, y, z = noise[:, :1], noise[:, 1:2], noise[:, 2:]
        return (warp(x), warp(y), warp(z)) if warp else (x, y, z)

    return sample, cmi_from_covariance(mix @ mix.T, 1, 1)


def null(dz: int) -> tuple[Sampler, float]:
    """X and Y depend on Z nonlinearly and on nothing else: I(X; Y | Z) = 0."""

    def sample(n, rng):
        z = rng.standard_normal((n, dz))
        x = np.sin(z[:, :1]) + z[:, -1:] ** 2 / 2 + 0.5 * rng.standard_normal((n, 1))
        y = np.tanh(z.sum(axis=1, keepdims=True) / math.sqrt(dz)) + 0.5 * rng.standard_normal((n, 1))
        return x, y, z

    return sample, 0.0


def tasks() -> dict[str, tuple[Sampler, float]]:
    """name -> (sampler, true conditional MI in nats)."""
    return {
        **{f"model I dz={dz}": model_one(dz) for dz in (1, 10, 20, 50, 100)},
        "gaussian 1+1+2": gaussian(),
        "gaussian cube": gaussian(lambda a: a**3),
        "gaussian sinh": gaussian(lambda a: np.sinh(3 * a)),
        **{f"null dz={dz}": null(dz) for dz in (1, 5, 20)},
    }


@dataclass(frozen=True)
class CMIConfig:
    n: int = 20_000
    tasks: tuple[str, ...] = tuple(tasks())
    estimators: tuple[str, ...] = ("ConditionalMI", "k-NN CMI")
    seeds: tuple[int, ...] = (0, 1, 2)
    max_steps: int = 5000
    threads: int = 0


QUICK = CMIConfig(n=600, tasks=("model I dz=1", "null dz=1"), seeds=(0,), max_steps=60)


def estimate(name: str, x, y, z, config: CMIConfig, seed: int) -> dict:
    start = time.perf_counter()
    if name == "k-NN CMI":
        row = {"estimate": ksg_conditional(x, y, z, workers=-1)}
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = ConditionalMI(MINE(max_steps=config.max_steps), random_state=seed).fit(x, y, z)
        row = {"estimate": fitted.mi(), "se": fitted.se_, "lower": fitted.mi_lower()}
    return {"estimator": name, **row, "seconds": time.perf_counter() - start}


def run(config: CMIConfig) -> list[dict]:
    unknown = set(config.tasks) - set(tasks()) | set(config.estimators) - {"ConditionalMI", "k-NN CMI"}
    if unknown:
        raise ValueError(f"unknown tasks or estimators: {sorted(unknown)}")
    if config.threads:
        import torch

        torch.set_num_threads(config.threads)
    rows, table_of_tasks = [], tasks()
    for name in progress(config.tasks, desc="tasks"):
        sample, truth = table_of_tasks[name]
        for seed in config.seeds:
            x, y, z = sample(config.n, np.random.RandomState(1000 * seed + list(table_of_tasks).index(name)))
            for est in config.estimators:
                row = estimate(est, x, y, z, config, seed)
                rows.append({"task": name, "seed": seed, "truth": truth, **row, "error": row["estimate"] - truth})
    return rows


def summary(rows: list[dict]) -> list[dict]:
    """Per task and estimator: mean and sd over seeds, and the mean error."""
    out = []
    for task, est in dict.fromkeys((r["task"], r["estimator"]) for r in rows):
        values = np.array([r["estimate"] for r in rows if (r["task"], r["estimator"]) == (task, est)])
        truth = next(r["truth"] for r in rows if r["task"] == task)
        out.append(
            {
                "task": task,
                "estimator": est,
                "truth": truth,
                "mean": float(values.mean()),
                "sd": float(values.std(ddof=1)) if len(values) > 1 else math.nan,
                "error": float(values.mean() - truth),
            }
        )
    return out


def plot(rows: list[dict], extras: dict, config: CMIConfig, path) -> None:
    fig, ax = figure(figsize=(9, 4))
    stats = summary(rows)
    names = list(dict.fromkeys(s["task"] for s in stats))
    ests = list(dict.fromkeys(s["estimator"] for s in stats))
    width = 0.8 / len(ests)
    for k, est in enumerate(ests):
        errors = [next((s["error"] for s in stats if (s["task"], s["estimator"]) == (t, est)), math.nan) for t in names]
        ax.bar(np.arange(len(names)) + k * width, errors, width, label=est)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("mean estimate - truth (nats)")
    ax.set_title(f"I(X; Y | Z) on {config.n:,} rows, {len(config.seeds)} seed(s)")
    ax.legend(fontsize=7)
    save_figure(fig, path)


def report(rows: list[dict], config: CMIConfig) -> str:
    return table(summary(rows), ["task", "estimator", "truth", "mean", "sd", "error"])


BENCHMARK = Benchmark("cmi", run, CMIConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
