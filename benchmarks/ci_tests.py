"""The conditional-independence test's type-I error and power (``mine.conditional_independence_test``).

Designs: X = f(Z) + e, Y = g(Z) + b e + e' with e, e' standard normal, f and g nonlinear in Z, so that
given Z, (X, Y) is Gaussian with correlation b / sqrt(1 + b^2) and I(X; Y | Z) = 1/2 log(1 + b^2)
whatever f and g. b = 0 is a null (X and Y both depend on Z and on nothing else); b > 0 an alternative
of known CMI. Z is continuous (1 to 20 columns) or one discrete column (5 values); one null has a mean
of Y that is an interaction of two columns of Z. Each design is drawn ``draws`` times and tested at
level 0.05; the rejection rate is the type-I error on a null and the power on an alternative, with its
binomial standard error.

    python -m benchmarks.ci_tests [--quick] [--set draws=40] [--set first_draw=40] [--set designs=...]
        [--set neighbours=regression] [--set mean_correction=false]
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mine import MINE, conditional_independence_test

from .framework import Benchmark, figure, main, progress, save_figure, table

Sampler = Callable[[int, np.random.RandomState], tuple[np.ndarray, np.ndarray, np.ndarray]]
LEVEL = 0.05


def design(dz: int, cmi: float = 0.0, discrete: bool = False, interaction: bool = False) -> tuple[Sampler, float]:
    """(sampler, I(X; Y | Z)): X = sin(Z_1) + Z_dz^2 / 2 + e, Y = tanh(sum Z / sqrt(dz)) + b e + e',
    b = sqrt(exp(2 cmi) - 1); a discrete Z is one column of integers 0..4; with ``interaction`` Y's
    mean is tanh(Z_1 Z_dz) instead, which no sum of functions of single columns fits (the mean
    correction's model is such a sum)."""
    b = math.sqrt(math.expm1(2 * cmi))

    def sample(n, rng):
        z = rng.randint(5, size=(n, 1)).astype(float) if discrete else rng.standard_normal((n, dz))
        e, e2 = rng.standard_normal((n, 1)), rng.standard_normal((n, 1))
        x = np.sin(z[:, :1]) + z[:, -1:] ** 2 / 2 + e
        mean = z[:, :1] * z[:, -1:] if interaction else z.sum(axis=1, keepdims=True) / math.sqrt(z.shape[1])
        y = np.tanh(mean) + b * e + e2
        return x, y, z

    return sample, 0.5 * math.log1p(b**2)


def designs() -> dict[str, tuple[Sampler, float]]:
    """name -> (sampler, true conditional MI in nats)."""
    return {
        "null dz=1": design(1),
        "null dz=5": design(5),
        "null dz=20": design(20),
        "null discrete z": design(1, discrete=True),
        "null dz=5 interaction": design(5, interaction=True),
        **{f"cmi {c} dz=5": design(5, c) for c in (0.05, 0.1, 0.2)},
    }


@dataclass(frozen=True)
class CITestConfig:
    n: int = 2000
    designs: tuple[str, ...] = tuple(designs())
    draws: int = 40
    first_draw: int = 0  # draws first_draw .. first_draw + draws - 1 (to add draws to a run in parts)
    permutations: int = 99
    hidden: tuple[int, ...] | None = None  # None: MINE's default (as every setting below)
    batch_size: int | None = None
    max_steps: int | None = None
    neighbours: str = "z"
    mean_correction: bool = True
    threads: int = 0


QUICK = CITestConfig(
    n=600, designs=("null dz=1", "cmi 0.2 dz=5"), draws=1, permutations=19, batch_size=64, max_steps=60
)


def run(config: CITestConfig) -> list[dict]:
    table_of_designs = designs()
    unknown = set(config.designs) - set(table_of_designs)
    if unknown:
        raise ValueError(f"unknown designs: {sorted(unknown)}")
    if config.threads:
        import torch

        torch.set_num_threads(config.threads)
    settings = {"hidden": config.hidden, "batch_size": config.batch_size, "max_steps": config.max_steps}
    estimator = MINE(**{name: value for name, value in settings.items() if value is not None})
    rows = []
    for name in progress(config.designs, desc="designs"):
        sample, truth = table_of_designs[name]
        for draw in progress(range(config.first_draw, config.first_draw + config.draws), desc=name):
            x, y, z = sample(config.n, np.random.RandomState(10_000 + draw))
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                test = conditional_independence_test(
                    x,
                    y,
                    z,
                    n_permutations=config.permutations,
                    estimator=estimator,
                    random_state=draw,
                    neighbours=config.neighbours,
                    mean_correction=config.mean_correction,
                )
            rows.append(
                {
                    "design": name,
                    "neighbours": config.neighbours,
                    "mean_correction": config.mean_correction,
                    "draw": draw,
                    "truth": truth,
                    "statistic": test.statistic,
                    "p_value": test.p_value,
                    "rejected": bool(test.p_value <= LEVEL),
                    "cmi_estimate": test.estimator.mi(),
                    "seconds": time.perf_counter() - start,
                }
            )
    return rows


def search(row: dict) -> str:
    """The null's neighbour search, with "+ mean" where the redrawn y was moved by its predicted mean
    (rows from before ``mean_correction`` existed were not)."""
    return row["neighbours"] + (" + mean" if row.get("mean_correction", False) else "")


def summary(rows: list[dict]) -> list[dict]:
    """Per design and null search: the rejection rate at level 0.05 with its standard error, the
    mean p-value (1/2 for a calibrated test), the mean statistic and CMI estimate."""
    out = []
    for design, null_search in dict.fromkeys((r["design"], search(r)) for r in rows):
        cell = [r for r in rows if (r["design"], search(r)) == (design, null_search)]
        rate = float(np.mean([r["rejected"] for r in cell]))
        out.append(
            {
                "design": design,
                "neighbours": null_search,
                "truth": cell[0]["truth"],
                "draws": len(cell),
                "rejection_rate": rate,
                "rate_se": math.sqrt(rate * (1 - rate) / len(cell)),
                "mean_p_value": float(np.mean([r["p_value"] for r in cell])),
                "mean_statistic": float(np.mean([r["statistic"] for r in cell])),
                "mean_cmi_estimate": float(np.mean([r["cmi_estimate"] for r in cell])),
                "seconds": float(np.mean([r["seconds"] for r in cell])),
            }
        )
    return out


def plot(rows: list[dict], extras: dict, config: CITestConfig, path) -> None:
    stats = summary(rows)
    fig, ax = figure(figsize=(7, 3.6))
    ax.bar(range(len(stats)), [s["rejection_rate"] for s in stats], yerr=[s["rate_se"] for s in stats], color="C0")
    ax.axhline(LEVEL, color="C3", lw=1, ls="--", label=f"level {LEVEL}")
    labels = [f"{s['design']} ({s['neighbours']}, {s['draws']} draws)" for s in stats]
    ax.set_xticks(range(len(stats)), labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("rejection rate")
    ax.set_title(f"conditional_independence_test, {config.n:,} rows")
    ax.legend(fontsize=8)
    save_figure(fig, path)


def report(rows: list[dict], config: CITestConfig) -> str:
    return table(
        summary(rows),
        [
            "design",
            "neighbours",
            "truth",
            "draws",
            "rejection_rate",
            "rate_se",
            "mean_p_value",
            "mean_statistic",
            "mean_cmi_estimate",
            "seconds",
        ],
        {"rejection_rate": ".3f", "rate_se": ".3f", "mean_p_value": ".2f", "seconds": ".1f", "truth": ".3f"},
    )


BENCHMARK = Benchmark("ci_tests", run, CITestConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
