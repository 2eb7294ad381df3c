"""The Gaussian staircase (Poole et al. 2019; Song & Ermon 2020): bounds tracking a rising true MI.

x, z each 20-D with componentwise correlation; the true MI steps through 2, 4, 6, 8, 10 nats,
4,000 training steps per level, a fresh batch every step, Adam lr 5e-4. Critics: concat and
separable MLPs, 2 hidden layers of 256 ReLU units (separable embedding 32). Every bound trains its
own critic on the same batches (common random numbers; the same initial weights per critic kind).
The estimate at a step is the bound on that step's training batch, as in those papers.

Per bound, critic and level: bias, variance and MSE of the estimates over the last quarter of the
level. The main grid runs at batch size 64; batch sizes 128 and 256 repeat it with the separable
critic and 2,000 steps per level (the concat critic costs B^2 network evaluations per step).

    python -m benchmarks.staircase [--quick]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from mine._validation import resolve_device
from mine.bounds import get_bound
from mine.critics import all_pair_scores, build_critic
from mine.gaussian import staircase_batches
from mine.training import CriticTrainer

from .framework import Benchmark, figure, level_stats, main, progress, save_figure, table

BOUNDS = {  # label: (bound name, its settings, moving-average rate)
    "DV": ("dv", {}, None),
    "DV + EMA (MINE)": ("dv", {}, 0.01),
    "NWJ (MINE-f)": ("nwj", {}, None),
    "InfoNCE": ("infonce", {}, None),
    "JS-trained": ("js", {}, None),
    "SMILE tau=1": ("smile", {"smile_tau": 1.0}, None),
    "SMILE tau=5": ("smile", {"smile_tau": 5.0}, None),
}


@dataclass(frozen=True)
class StaircaseConfig:
    dim: int = 20
    levels: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0, 10.0)
    steps_per_level: int = 4000
    batch_size: int = 64
    critics: tuple[str, ...] = ("concat", "separable")
    bounds: tuple[str, ...] = tuple(BOUNDS)
    secondary_batch_sizes: tuple[int, ...] = (128, 256)
    secondary_critics: tuple[str, ...] = ("separable",)
    secondary_steps_per_level: int = 2000
    hidden: tuple[int, ...] = (256, 256)
    activation: str = "relu"
    embed_dim: int = 32
    lr: float = 5e-4
    tail_fraction: float = 0.25
    trace_bin: int = 20
    device: str = "cpu"  # "cuda" or "auto" to train on a GPU
    seed: int = 0


QUICK = StaircaseConfig(
    dim=5,
    levels=(2.0, 4.0),
    steps_per_level=60,
    batch_size=32,
    hidden=(64, 64),
    secondary_batch_sizes=(64,),
    secondary_steps_per_level=40,
    trace_bin=5,
)


def make_trainer(kind: str, bound: str, config: StaircaseConfig) -> CriticTrainer:
    name, settings, ema_rate = BOUNDS[bound]
    torch.manual_seed(config.seed)  # the same initial critic for every bound of a kind
    critic = build_critic(kind, config.dim, config.dim, config.hidden, config.activation, config.embed_dim)
    critic.to(resolve_device(config.device))
    return CriticTrainer(critic, get_bound(name, **settings), lr=config.lr, ema_rate=ema_rate)


def train(config: StaircaseConfig, batch_size: int, critics, steps_per_level: int) -> dict[tuple, np.ndarray]:
    """Every (critic, bound) trained in lockstep on the same fresh batches; per-step estimates."""
    keys = [(c, b) for c in critics for b in config.bounds]
    trainers = {key: make_trainer(*key, config) for key in keys}
    total = steps_per_level * len(config.levels)
    device = resolve_device(config.device)
    estimates = torch.full((len(keys), total), float("nan"), device=device)  # on the device: no sync per step
    generator = torch.Generator().manual_seed(config.seed + batch_size)
    batches = staircase_batches(config.levels, steps_per_level, batch_size, config.dim, generator)
    alive = dict.fromkeys(keys, True)
    for step, (x, z) in enumerate(progress(batches, total=total, desc=f"staircase B={batch_size}")):
        x, z = x.to(device), z.to(device)
        for k, key in enumerate(keys):
            if alive[key]:
                estimates[k, step] = trainers[key].step(all_pair_scores(trainers[key].critic, x, z))
        if (step + 1) % steps_per_level == 0:  # a diverged critic stays NaN from here on
            for k, key in enumerate(keys):
                alive[key] = alive[key] and bool(torch.isfinite(estimates[k, step]))
    return {key: estimates[k].cpu().numpy().astype(np.float64) for k, key in enumerate(keys)}


def summarise(
    traces: dict[tuple, np.ndarray], config: StaircaseConfig, batch_size: int, steps_per_level: int
) -> list[dict]:
    """Bias, variance and MSE over the last ``tail_fraction`` of every level."""
    return [
        {
            "batch_size": batch_size,
            "seed": config.seed,
            "critic": critic,
            "bound": bound,
            **stats,
            "diverged": stats["non_finite"] > 0,
            "log_batch": math.log(batch_size),
        }
        for (critic, bound), values in traces.items()
        for stats in level_stats(values, config.levels, steps_per_level, config.tail_fraction)
    ]


def binned(values: np.ndarray, width: int) -> list[float]:
    n = values.size // width * width
    return np.round(values[:n].reshape(-1, width).mean(axis=1), 4).tolist()


def run(config: StaircaseConfig):
    traces = train(config, config.batch_size, config.critics, config.steps_per_level)
    rows = summarise(traces, config, config.batch_size, config.steps_per_level)
    for batch_size in config.secondary_batch_sizes:
        extra = train(config, batch_size, config.secondary_critics, config.secondary_steps_per_level)
        rows += summarise(extra, config, batch_size, config.secondary_steps_per_level)
    binned_traces = {f"{c} | {b}": binned(v, config.trace_bin) for (c, b), v in traces.items()}
    return rows, {"traces": binned_traces}


def plot(rows, extras, config: StaircaseConfig, path) -> None:
    traces = extras["traces"]
    critics = list(dict.fromkeys(key.split(" | ")[0] for key in traces))
    bounds = list(dict.fromkeys(key.split(" | ")[1] for key in traces))  # a run or merge may have fewer
    fig, axes = figure(
        len(critics),
        len(bounds),
        figsize=(max(2.9 * len(bounds), 7.5), 2.7 * len(critics)),
        squeeze=False,
        sharex=True,
        sharey=True,
    )
    steps = config.steps_per_level * len(config.levels)
    truth = np.repeat(config.levels, config.steps_per_level)
    for r, critic in enumerate(critics):
        for c, bound in enumerate(bounds):
            ax = axes[r][c]
            values = np.asarray(traces[f"{critic} | {bound}"], dtype=float)
            at = (np.arange(values.size) + 0.5) * config.trace_bin
            ax.plot(at, values, color="tab:blue", lw=0.6, alpha=0.45)
            window = max(1, len(values) // 40)
            smooth = np.convolve(values, np.ones(window) / window, mode="same")
            ax.plot(at[window:-window], smooth[window:-window], color="tab:blue", lw=1.4)
            ax.plot(np.arange(steps), truth, color="black", lw=1.2)
            if bound == "InfoNCE":
                ax.axhline(math.log(config.batch_size), color="grey", ls="--", lw=1)
            ax.set_ylim(-1, max(config.levels) + 3)
            if r == 0:
                ax.set_title(bound, fontsize=9)
            if c == 0:
                ax.set_ylabel(f"{critic} critic\nMI [nats]")
            if r == len(critics) - 1:
                ax.set_xlabel("step")
    fig.suptitle(
        f"Gaussian staircase, {config.dim}-D, batch {config.batch_size} "
        f"(light: means of {config.trace_bin} steps; black: true MI)",
        fontsize=10,
    )
    save_figure(fig, path)
    plot_batch_sizes(rows, config, path.with_name(path.stem + "_batch.png"))


def plot_batch_sizes(rows, config: StaircaseConfig, path) -> None:
    """Variance and bias per level against batch size (separable critic): DV/NWJ variance, InfoNCE cap."""
    critic = config.secondary_critics[0] if config.secondary_critics else config.critics[-1]
    sizes = sorted({r["batch_size"] for r in rows if r["critic"] == critic})
    bounds = list(dict.fromkeys(r["bound"] for r in rows))
    fig, axes = figure(1, 2, figsize=(11, 4))
    for bound in bounds:
        for ax, stat in zip(axes, ("variance", "bias")):
            for style, b in zip(("-", "--", ":"), sizes):
                pts = [r for r in rows if r["critic"] == critic and r["bound"] == bound and r["batch_size"] == b]
                ax.plot(
                    [r["true_mi"] for r in pts],
                    [r[stat] for r in pts],
                    style,
                    marker="o",
                    ms=3,
                    color=f"C{bounds.index(bound)}",
                    label=f"{bound}, B={b}" if stat == "bias" else None,
                )
    axes[0].set_yscale("log")
    axes[0].set_ylabel("variance of the estimate [nats^2]")
    axes[1].set_ylabel("bias [nats]")
    for ax in axes:
        ax.set_xlabel("true MI [nats]")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=6, ncol=2)
    fig.suptitle(f"{critic} critic: bias and variance by batch size (line style)", fontsize=10)
    save_figure(fig, path)


def report(rows, config) -> str:
    return table(
        rows,
        ["batch_size", "critic", "bound", "true_mi", "mean", "bias", "variance", "mse"],
        {"true_mi": ".0f", "mean": ".3f", "bias": ".3f", "variance": ".4f", "mse": ".3f"},
    )


BENCHMARK = Benchmark("staircase", run, StaircaseConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
