"""Trust: non-Gaussian tasks of known MI, self-consistency tests and the calibration of intervals.

- Tasks (Czyz et al. 2023, "Beyond Normal"): Gaussian pairs through invertible maps of each column
  (sinh, cube, normal CDF, asinh) or a spiral rotation, which leave MI unchanged, and multivariate
  Student-t pairs (closed-form MI, dependence in the joint tails), 1x1 to 25x25, 0.2 to 5 nats.
  Estimators on the same samples: the candidates for ``MINE``'s default (DV with the moving-average
  correction or JS training, patience 10 or 30 evaluations, normal-score or standard preprocessing),
  KSG and the Gaussian (CCA) MI; with ``--set before_path=DIR``, also the default ``MINE`` of an
  older checkout (its package directory on ``PYTHONPATH``, run in a subprocess on the same samples).
- Self-consistency (Song & Ermon 2020): independence gives 0; data processing
  I(X; Z) >= I(X; g(Z)) for the many-to-one g(z) = z^2; additivity
  I([X1, X2]; [Z1, Z2]) = 2 I(X1; Z1) for independent copies.
- Calibration of ``MINE``'s interval: per case (1-D and 10-D at 0.5, 2 and 4 nats), independent
  data draws; the spread of the estimates against the mean reported standard error, and coverage.

    python -m benchmarks.consistency [--quick] [--set parts=tasks] [--set before_path=DIR]
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp
from scipy.stats import norm

from mine import MINE, ksg
from mine.gaussian import (
    mi_correlated,
    mi_from_covariance,
    mi_student_t,
    rho_for_mi,
    sample_correlated,
    sample_student_t,
)

from .framework import Benchmark, figure, main, progress, save_figure, table

Sampler = Callable[[int, np.random.RandomState], tuple[np.ndarray, np.ndarray]]


def _gaussian(dim: int, mi: float, x_map=None, z_map=None) -> tuple[Sampler, float]:
    rho = float(rho_for_mi(mi, dim))

    def sample(n, rng):
        x, z = sample_correlated(n, rho, dim, random_state=rng)
        return (x_map(x) if x_map else x), (z_map(z) if z_map else z)

    return sample, float(mi_correlated(rho, dim))


def _spiral(x: np.ndarray) -> np.ndarray:
    """Rotate (x1, x2) by an angle growing with |x|^2: a diffeomorphism of the plane."""
    angle = 0.5 * np.sum(x**2, axis=1)
    c, s = np.cos(angle), np.sin(angle)
    return np.column_stack([c * x[:, 0] - s * x[:, 1], s * x[:, 0] + c * x[:, 1]])


def _student(dim: int, nu: float, gaussian_mi: float) -> tuple[Sampler, float]:
    rho = float(rho_for_mi(gaussian_mi, dim)) if gaussian_mi > 0 else 0.0
    return (lambda n, rng: sample_student_t(n, rho, dim, nu, random_state=rng)), mi_student_t(rho, dim, nu)


def _sparse(dim: int, informative: int = 2, rho: float = 0.8, warp=None) -> tuple[Sampler, float]:
    """dim x dim with the MI in ``informative`` coordinate pairs (correlation rho) and the other
    dim - informative pairs independent noise; ``warp`` maps every column of both sides."""

    def sample(n, rng):
        x, z = rng.standard_normal((n, dim)), rng.standard_normal((n, dim))
        z[:, :informative] = rho * x[:, :informative] + math.sqrt(1 - rho**2) * z[:, :informative]
        return (warp(x), warp(z)) if warp else (x, z)

    return sample, float(mi_correlated(rho, informative))


LABEL_MEANS = 2.0 * np.eye(4, 5)  # four classes in 5-D, each mean 2 along its own axis


def label_mi(means: np.ndarray, n: int = 200_000, seed: int = 12345) -> float:
    """I(X; Z) of a label Z uniform on the rows of ``means`` and X | Z=k ~ N(means[k], I):
    log K - E[H(Z | X)], the expectation by Monte Carlo over n draws (standard error about 0.002
    nats for LABEL_MEANS: 0.9196 +- 0.0018)."""
    rng = np.random.RandomState(seed)
    k = rng.randint(len(means), size=n)
    x = means[k] + rng.standard_normal((n, means.shape[1]))
    logits = -0.5 * ((x[:, None, :] - means[None]) ** 2).sum(axis=-1)
    log_posterior = logits[np.arange(n), k] - logsumexp(logits, axis=1)
    return float(math.log(len(means)) + log_posterior.mean())


def _label(means: np.ndarray) -> tuple[Sampler, float]:
    """x continuous, z the class label (one integer column: discrete, many ties)."""

    def sample(n, rng):
        k = rng.randint(len(means), size=n)
        return means[k] + rng.standard_normal((n, means.shape[1])), k[:, None].astype(np.float64)

    return sample, label_mi(means)


def tasks() -> dict[str, tuple[Sampler, float]]:
    """name -> (sampler, true MI in nats)."""
    return {
        "normal 1x1": _gaussian(1, 0.5),
        "sinh 1x1": _gaussian(1, 1.0, lambda a: np.sinh(3 * a), np.sinh),
        "cube 2x2": _gaussian(2, 1.0, lambda a: a**3, lambda a: a**3),
        "normal-cdf 3x3": _gaussian(3, 0.2, norm.cdf, norm.cdf),
        "asinh 5x5": _gaussian(5, 2.0, np.arcsinh, lambda a: np.arcsinh(10 * a)),
        "spiral 2x2": _gaussian(2, 1.0, _spiral),
        "student-t nu=1 2x2": _student(2, 1.0, 0.0),
        "student-t nu=2 5x5": _student(5, 2.0, 1.0),
        "student-t nu=3 10x10": _student(10, 3.0, 2.0),
        "normal 25x25": _gaussian(25, 5.0),
        "asinh 25x25": _gaussian(25, 2.0, np.arcsinh, np.arcsinh),
        # issue 26's failure families: the MI in 2 of 25 or 50 coordinate pairs, dense, a label
        "sparse 25x25": _sparse(25),
        "sparse cube 25x25": _sparse(25, warp=lambda a: a**3),
        "sparse 50x50": _sparse(50),
        "sparse asinh 50x50": _sparse(50, warp=lambda a: np.arcsinh(5 * a)),
        "dense 25x25": _gaussian(25, 1.3),
        "label 5x1": _label(LABEL_MEANS),
    }


def gaussian_mi(x: np.ndarray, z: np.ndarray) -> float:
    """The MI of the Gaussian with the samples' covariance (what CCA's canonical correlations give)."""
    return mi_from_covariance(np.cov(np.hstack([x, z]), rowvar=False), x.shape[1])


#: MINE settings compared on the tasks (the rest are the defaults); "MINE" alone is MINE().
CANDIDATES: dict[str, dict] = {
    "MINE": {},
    "MINE dv p10": {"critic": "separable", "bound": "dv", "patience": 10, "preprocessing": "quantile"},
    "MINE dv p30": {"critic": "separable", "bound": "dv", "patience": 30, "preprocessing": "quantile"},
    "MINE js p10": {"critic": "separable", "bound": "js", "patience": 10, "preprocessing": "quantile"},
    "MINE js p30": {"critic": "separable", "bound": "js", "patience": 30, "preprocessing": "quantile"},
    "MINE dv p10 standard": {"critic": "separable", "bound": "dv", "patience": 10, "preprocessing": "standard"},
    "MINE dv p10 cosine": {"bound": "dv", "patience": 10, "preprocessing": "quantile", "critic": "cosine"},
    # issue 26's screen: less capacity against overfitting many noise dimensions
    "MINE hidden 64": {"hidden": (64, 64)},
    "MINE separable hidden 64": {"critic": "separable", "hidden": (64, 64)},
    "MINE dropout 0.1": {"dropout": 0.1},
    "MINE dropout 0.3": {"dropout": 0.3},
    # issue 26's lever: the Gaussian critic offered to the selection (on in the default since then)
    "MINE network only": {"candidates": None},
}
BEFORE = "MINE before"
PARTS = ("tasks", "consistency", "calibration")


@dataclass(frozen=True)
class ConsistencyConfig:
    n: int = 10_000
    tasks: tuple[str, ...] = tuple(tasks())
    estimators: tuple[str, ...] = (
        "MINE dv p10",
        "MINE dv p30",
        "MINE js p10",
        "MINE js p30",
        "MINE dv p10 standard",
        "MINE dv p10 cosine",
        BEFORE,
        "KSG",
        "CCA",
    )
    parts: tuple[str, ...] = PARTS
    before_path: str = ""
    threads: int = 0
    max_steps: int = 5000
    consistency_n: int = 5000
    calibration_cases: tuple[tuple[int, float], ...] = ((1, 0.5), (1, 2.0), (1, 4.0), (10, 0.5), (10, 2.0), (10, 4.0))
    calibration_draws: int = 20
    calibration_n: int = 2000
    device: str = "cpu"  # "cuda" or "auto" to fit on a GPU (the older checkout's runs stay on the CPU)
    seed: int = 0


QUICK = ConsistencyConfig(
    n=600,
    tasks=("sinh 1x1", "student-t nu=1 2x2"),
    max_steps=60,
    estimators=("MINE dv p10", "MINE js p10", "KSG", "CCA"),
    consistency_n=600,
    calibration_cases=((1, 0.5),),
    calibration_draws=2,
    calibration_n=600,
)


_BEFORE_SCRIPT = """
import sys, numpy as np, torch
from mine import MINE
data = np.load(sys.argv[1])
if int(sys.argv[4]):
    torch.set_num_threads(int(sys.argv[4]))
print(repr(MINE(max_steps=int(sys.argv[2]), random_state=int(sys.argv[3])).fit(data["x"], data["z"]).mi()))
"""


def estimate_before(x: np.ndarray, z: np.ndarray, config: ConsistencyConfig, seed: int) -> dict:
    """The default ``MINE`` of the checkout at ``config.before_path``, in a subprocess, on these samples."""
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "data.npz")
        np.savez(data, x=x, z=z)
        env = {**os.environ, "PYTHONPATH": config.before_path}
        done = subprocess.run(
            [sys.executable, "-c", _BEFORE_SCRIPT, data, str(config.max_steps), str(seed), str(config.threads)],
            env=env,
            capture_output=True,
            text=True,
            cwd=folder,
        )
    if done.returncode != 0:  # an error raised by the old fit is a result too
        return {"estimate": math.nan, "error": done.stderr.strip().splitlines()[-1][:200]}
    return {"estimate": float(done.stdout.strip().splitlines()[-1])}


def estimate(name: str, x: np.ndarray, z: np.ndarray, config: ConsistencyConfig, seed: int) -> dict:
    """One estimator on one sample: estimate, and for MINE its standard error and interval."""
    start = time.perf_counter()
    row: dict = {"estimator": name}
    if name == "KSG":
        row["estimate"] = ksg(x, z, workers=-1)
    elif name == "CCA":
        row["estimate"] = gaussian_mi(x, z)
    elif name == BEFORE:
        row.update(estimate_before(x, z, config, seed))
    else:
        params = CANDIDATES[name]
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                est = MINE(max_steps=config.max_steps, random_state=seed, device=config.device, **params).fit(x, z)
            low, high = est.mi_interval()
            row.update(
                estimate=est.mi(),
                se=est.se_,
                lower=est.mi_lower(0.95),
                low=low,
                high=high,
                steps=sum(f.n_steps for f in est.folds_),
                warnings=len(caught),
            )
        except FloatingPointError as err:  # a diverged or implausible fit is a result too
            row.update(estimate=math.nan, error=str(err)[:200])
    row["seconds"] = time.perf_counter() - start
    return row


def run(config: ConsistencyConfig) -> list[dict]:
    unknown = set(config.parts) - set(PARTS) | set(config.tasks) - set(tasks())
    unknown |= set(config.estimators) - set(CANDIDATES) - {BEFORE, "KSG", "CCA"}
    if unknown:
        raise ValueError(f"unknown parts, tasks or estimators: {sorted(unknown)}")
    if config.threads:
        import torch

        torch.set_num_threads(config.threads)
    rows: list[dict] = []
    if "tasks" in config.parts:
        rows += run_tasks(config)
    if "consistency" in config.parts:
        rows += run_consistency(config)
    if "calibration" in config.parts:
        rows += run_calibration(config)
    return rows


def run_tasks(config: ConsistencyConfig) -> list[dict]:
    """Every estimator on one sample of every task (task k's sample drawn with seed + k)."""
    rows = []
    table_of_tasks = tasks()
    estimators = [e for e in config.estimators if e != BEFORE or config.before_path]
    for name in progress(config.tasks, desc="tasks"):
        sample, truth = table_of_tasks[name]
        k = list(table_of_tasks).index(name)
        x, z = sample(config.n, np.random.RandomState(config.seed + k))
        for est in estimators:
            row = estimate(est, x, z, config, config.seed)
            error = abs(row["estimate"] - truth)
            rows.append({"part": "task", "case": name, "seed": config.seed, "truth": truth, **row, "abs_error": error})
    return rows


def run_consistency(config: ConsistencyConfig) -> list[dict]:
    """Song & Ermon's self-consistency tests with the default ``MINE``."""
    rows = []
    rng = np.random.RandomState(config.seed + 100)
    x, z = rng.standard_normal((config.consistency_n, 5)), rng.standard_normal((config.consistency_n, 5))
    rows.append({"part": "consistency", "case": "independence 5x5", "truth": 0.0, **estimate("MINE", x, z, config, 0)})
    x, z = sample_correlated(config.consistency_n, 0.9, 1, random_state=config.seed + 101)
    rows.append(
        {
            "part": "consistency",
            "case": "data processing: I(X; Z)",
            "truth": mi_correlated(0.9),
            **estimate("MINE", x, z, config, 0),
        }
    )
    rows.append(
        {
            "part": "consistency",
            "case": "data processing: I(X; Z^2)",
            "truth": math.nan,
            **estimate("MINE", x, z**2, config, 0),
        }
    )
    rho = float(rho_for_mi(1.0, 1))
    x, z = sample_correlated(config.consistency_n, rho, 2, random_state=config.seed + 102)
    rows.append(
        {
            "part": "consistency",
            "case": "additivity: I(X1; Z1)",
            "truth": 1.0,
            **estimate("MINE", x[:, :1], z[:, :1], config, 0),
        }
    )
    rows.append(
        {
            "part": "consistency",
            "case": "additivity: I([X1, X2]; [Z1, Z2])",
            "truth": 2.0,
            **estimate("MINE", x, z, config, 0),
        }
    )
    return rows


def run_calibration(config: ConsistencyConfig) -> list[dict]:
    """The default ``MINE`` over independent draws per case: spread of estimates, se, coverage."""
    rows = []
    for dim, mi in progress(config.calibration_cases, desc="calibration"):
        rho = float(rho_for_mi(mi, dim))
        for draw in range(config.calibration_draws):
            x, z = sample_correlated(config.calibration_n, rho, dim, random_state=config.seed + 1000 + draw)
            row = estimate("MINE", x, z, config, draw)
            covered = row.get("low", math.nan) <= mi <= row.get("high", math.nan)
            rows.append(
                {
                    "part": "calibration",
                    "case": f"{dim}x{dim} {mi:g} nats",
                    "n": config.calibration_n,
                    "truth": mi,
                    "draw": draw,
                    **row,
                    "covered": covered,
                    "lower_holds": row.get("lower", math.nan) <= mi,  # mi_lower(0.95) at or below the truth
                }
            )
    return rows


def _calibration_summary(rows: list[dict]) -> list[dict]:
    out = []
    cells = dict.fromkeys((r["case"], r.get("n")) for r in rows if r["part"] == "calibration")
    for case, n in cells:
        drawn = [r for r in rows if r["part"] == "calibration" and (r["case"], r.get("n")) == (case, n)]
        group = [r for r in drawn if "se" in r]
        values = np.array([float(r["estimate"]) for r in group])
        out.append(
            {
                "case": case,
                "n": n,
                "draws": len(drawn),
                "failures": len(drawn) - len(group),
                "mean": float(values.mean()) if len(values) else math.nan,
                "spread": float(values.std(ddof=1)) if len(values) > 1 else math.nan,
                "mean_se": float(np.mean([float(r["se"]) for r in group])) if group else math.nan,
                "coverage": float(np.mean([r["covered"] for r in drawn])),
                # the interval is for the bound's estimate: how often it holds the mean over draws
                "coverage_of_mean": float(
                    np.mean([float(r["low"]) <= values.mean() <= float(r["high"]) for r in group])
                )
                if group
                else math.nan,
                # the one-sided lower bound: how often it holds, and how far below the truth it sits
                "lower_coverage": float(np.mean([r["lower_holds"] for r in group]))
                if group and "lower" in group[0]
                else math.nan,
                "mean_gap": float(np.mean([r["truth"] - r["lower"] for r in group]))
                if group and "lower" in group[0]
                else math.nan,
            }
        )
    return out


def summary_by_estimator(rows: list[dict]) -> list[dict]:
    """Per estimator over the tasks: mean absolute error on the non-Gaussian and the Gaussian tasks
    (a failed fit counted apart, not averaged in), failures, and the median fit time."""
    task_rows = [r for r in rows if r["part"] == "task"]
    out = []
    for name in dict.fromkeys(r["estimator"] for r in task_rows):
        mine_rows = [r for r in task_rows if r["estimator"] == name]
        errors = {
            g: [float(r["abs_error"]) for r in mine_rows if r["case"].startswith("normal ") == g] for g in (False, True)
        }
        finite = {g: [e for e in v if math.isfinite(e)] for g, v in errors.items()}
        out.append(
            {
                "estimator": name,
                "mae_non_gaussian": float(np.mean(finite[False])) if finite[False] else math.nan,
                "max_error_non_gaussian": max(finite[False], default=math.nan),
                "mae_gaussian": float(np.mean(finite[True])) if finite[True] else math.nan,
                "failures": sum(len(errors[g]) - len(finite[g]) for g in errors),
                "median_seconds": float(np.median([float(r["seconds"]) for r in mine_rows])),
            }
        )
    return out


def _plot_tasks(ax, task_rows: list[dict], config: ConsistencyConfig) -> None:
    """Per task and estimator the mean of estimate - truth over seeds, with their sd as error bars."""
    cases = list(dict.fromkeys(r["case"] for r in task_rows))
    names = list(dict.fromkeys(r["estimator"] for r in task_rows))
    width = 0.8 / max(1, len(names))
    for k, name in enumerate(names):
        errors: dict[str, list[float]] = {c: [] for c in cases}
        for r in task_rows:
            if r["estimator"] == name:
                errors[r["case"]].append(float(r["estimate"]) - r["truth"])
        values = [float(np.mean(errors[c])) if errors[c] else math.nan for c in cases]
        spread = [float(np.std(errors[c], ddof=1)) if len(errors[c]) > 1 else 0.0 for c in cases]
        bars = ax.bar(np.arange(len(cases)) + k * width, values, width, yerr=spread, label=name)
        # an error, not an estimate (a task this estimator did not run is left empty)
        failed = [j for j, (c, v) in enumerate(zip(cases, values)) if errors[c] and not math.isfinite(v)]
        ax.plot(np.array(failed) + k * width, np.zeros(len(failed)), "x", color=bars.patches[0].get_facecolor())
    ax.axhline(0, color="black", lw=0.8)
    ax.set_yscale("symlog", linthresh=1.0)  # an unpreprocessed fit can miss by tens of nats
    ax.set_xticks(np.arange(len(cases)) + 0.4 - width / 2, cases, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("estimate - truth (nats; log beyond +-1; x: an error)")
    ax.set_title("tasks of known MI (10,000 samples)" if config.n == 10_000 else f"tasks ({config.n} samples)")
    ax.legend(fontsize=7)


def _plot_calibration(ax, rows: list[dict]) -> None:
    """Per calibration cell the spread of the estimates over draws against the mean reported se."""
    summary = _calibration_summary(rows)
    spread = [s["spread"] for s in summary]
    mean_se = [s["mean_se"] for s in summary]
    ax.scatter(mean_se, spread)
    for s in summary:
        ax.annotate(
            f"{s['case']}, {s['n']} rows (L holds {s['lower_coverage']:.0%})", (s["mean_se"], s["spread"]), fontsize=7
        )
    top = max([v for v in spread + mean_se if math.isfinite(v)], default=1.0) * 1.2
    ax.plot([0, top], [0, top], color="grey", lw=0.8, label="spread = reported se")
    ax.set_xlabel("mean reported standard error")
    ax.set_ylabel("sd of the estimates over draws")
    ax.set_title("calibration: spread against the reported se")
    ax.legend(fontsize=7)


def plot(rows: list[dict], extras: dict, config: ConsistencyConfig, path) -> None:
    task_rows = [r for r in rows if r["part"] == "task"]
    calibrated = any(r["part"] == "calibration" for r in rows)
    panels = [p for p, present in (("tasks", bool(task_rows)), ("calibration", calibrated)) if present] or ["tasks"]
    fig, axes = figure(1, len(panels), figsize=(6 * len(panels), 4.8), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        if panel == "tasks":
            _plot_tasks(ax, task_rows, config)
        else:
            _plot_calibration(ax, rows)
    save_figure(fig, path)


def report(rows: list[dict], config: ConsistencyConfig) -> str:
    """The tables of the parts that ran: tasks, errors by estimator, calibration, self-consistency."""
    task_rows = [r for r in rows if r["part"] == "task"]
    tables = [
        (task_rows, ["case", "estimator", "truth", "estimate", "abs_error", "seconds"]),
        (
            summary_by_estimator(rows),
            ["estimator", "mae_non_gaussian", "max_error_non_gaussian", "mae_gaussian", "failures", "median_seconds"],
        ),
        (
            _calibration_summary(rows),
            ["case", "draws", "failures", "mean", "spread", "mean_se", "coverage", "coverage_of_mean"],
        ),
        ([r for r in rows if r["part"] == "consistency"], ["case", "truth", "estimate", "se"]),
    ]
    return "\n\n".join(table(part, columns) for part, columns in tables if part)


BENCHMARK = Benchmark("consistency", run, ConsistencyConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
