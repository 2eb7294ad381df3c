"""Side by side with torch-mist 0.2.17: the same staircase, critics, batches, learning rate and steps.

For each pair of estimators (ours / torch-mist's): MINE (DV with the moving-average correction),
NWJ, InfoNCE and SMILE (tau = 5). Both critics of a pair start from the same weights (ours copied
into torch-mist's module, same architecture), see the same fresh batch every step, in the same
process, one after the other. Reported per pair and staircase level: bias, variance and MSE of
the per-step estimates over the last quarter of the level, for both critics and several seeds (a
seed fixes the initial weights and the batches; the runs then diverge chaotically, so one seed
cannot tell a real difference from noise); per critic, pair and level the mean and sd over seeds
of the MSE ratio ours / theirs. Then, separately, training steps per second at batch sizes 64 and
256 for the separable and concat critics (alternating timed blocks, the median over blocks), and
the ratios ours / theirs.

torch-mist's defaults differ from ours and are matched explicitly: all B - 1 in-batch negatives
(``neg_samples=-1``; InfoNCE ``neg_samples=0``, which includes the positive as ours does) instead
of one shifted negative, and the moving average ``gamma = 1 - ema_rate`` (its weight on the old
value; its default 0.9 would be our ``ema_rate=0.1``).

Needs the optional extra (``bash benchmarks/install_peers.sh``); without it the benchmark says so
and writes no rows.

    python -m benchmarks.peers [--quick]
    # in parts, e.g. one seed and critic per process, then merged:
    python -m benchmarks.peers --set critics=concat --set seeds=1 --set parts=staircase --out /tmp/p1
    python -m benchmarks.peers --merge /tmp/p*/peers.json
"""

from __future__ import annotations

import importlib.metadata
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from mine.bounds import MovingAverage, get_bound
from mine.critics import all_pair_scores, build_critic
from mine.gaussian import rho_for_mi, sample_correlated_torch, staircase_batches
from mine.training import CriticTrainer

from .framework import Benchmark, figure, level_stats, main, progress, save_figure, table

PAIRS = ("MINE (DV + EMA)", "NWJ", "InfoNCE", "SMILE tau=5")
OURS = {
    "MINE (DV + EMA)": ("dv", {}),
    "NWJ": ("nwj", {}),
    "InfoNCE": ("infonce", {}),
    "SMILE tau=5": ("smile", {"smile_tau": 5.0}),
}


@dataclass(frozen=True)
class PeersConfig:
    dim: int = 20
    levels: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0, 10.0)
    steps_per_level: int = 1000
    batch_size: int = 64
    critics: tuple[str, ...] = ("separable", "concat")
    seeds: tuple[int, ...] = (0, 1, 2)
    parts: tuple[str, ...] = ("staircase", "speed")
    threads: int = 0
    hidden: tuple[int, ...] = (256, 256)
    embed_dim: int = 32
    lr: float = 5e-4
    ema_rate: float = 0.01
    ema_form: str = "log"  # our moving average: "log" (the library's) or torch-mist's "linear" or "linear-clamped"
    pairs: tuple[str, ...] = PAIRS
    tail_fraction: float = 0.25
    speed_batch_sizes: tuple[int, ...] = (64, 256)
    speed_critics: tuple[str, ...] = ("separable", "concat")
    speed_seconds: float = 3.0  # per estimator, batch size and critic, split into alternating blocks
    speed_blocks: int = 5
    seed: int = 0


QUICK = PeersConfig(
    dim=5,
    levels=(2.0, 4.0),
    steps_per_level=50,
    hidden=(64, 64),
    critics=("separable",),
    seeds=(0, 1),
    speed_batch_sizes=(64,),
    speed_critics=("separable",),
    speed_seconds=0.5,
    speed_blocks=2,
)


class LinearAverage(MovingAverage):
    """torch-mist's moving average, for a controlled comparison: m kept as the mean of e^T itself
    (float, not its log), each batch mean first clipped into [1e-4, 1e4] when ``clamp``."""

    def __init__(self, rate: float, clamp: bool):
        super().__init__(rate)
        self.clamp, self.value = clamp, None

    def update(self, log_batch_mean: torch.Tensor) -> torch.Tensor:
        new = log_batch_mean.detach().exp()
        if self.clamp:
            new = new.clamp(1e-4, 1e4)
        self.value = new if self.value is None else (1.0 - self.rate) * self.value + self.rate * new
        self.log_value = self.value.log()
        return self.log_value


def torch_mist_version() -> str | None:
    try:
        import torch_mist  # noqa: F401
    except ImportError:
        return None
    return importlib.metadata.version("torch-mist")


def _their_critic(ours: torch.nn.Module, kind: str, config: PeersConfig) -> torch.nn.Module:
    """torch-mist's critic of the same architecture, holding a copy of our critic's weights."""
    from torch_mist.critic.factories import joint_critic, separable_critic

    relu = torch.nn.ReLU(True)
    with torch.no_grad():
        if kind == "separable":
            theirs = separable_critic(
                config.dim, config.dim, list(config.hidden), k_dim=config.embed_dim, nonlinearity=relu
            )
            for mine_param, their_param in zip(ours.parameters(), theirs.parameters(), strict=True):
                their_param.copy_(mine_param)
        else:
            theirs = joint_critic(config.dim, config.dim, list(config.hidden), nonlinearity=relu)
            params = list(theirs.parameters())
            params[0].copy_(torch.cat([ours.x_in.weight, ours.z_in.weight], dim=1))  # W [x; z] = W_x x + W_z z
            params[1].copy_(ours.x_in.bias)
            for mine_param, their_param in zip(ours.body.parameters(), params[2:], strict=True):
                their_param.copy_(mine_param)
    return theirs


def _their_estimator(pair: str, critic: torch.nn.Module, config: PeersConfig):
    from torch_mist.estimators.discriminative.implementations import MINE, NWJ, SMILE, InfoNCE

    if pair == "MINE (DV + EMA)":
        return MINE(critic, neg_samples=-1, gamma=1.0 - config.ema_rate)
    if pair == "NWJ":
        return NWJ(critic, neg_samples=-1)
    if pair == "InfoNCE":
        return InfoNCE(critic, neg_samples=0)
    return SMILE(critic, neg_samples=-1, tau=5.0)


def make_pair(pair: str, kind: str, config: PeersConfig, seed: int | None = None) -> dict[str, Callable]:
    """Two step functions, ``(x, z) -> estimate on the batch before the step``: ours and theirs,
    from the same initial weights (drawn with ``seed``, default ``config.seed``)."""
    torch.manual_seed(config.seed if seed is None else seed)
    critic = build_critic(kind, config.dim, config.dim, config.hidden, "relu", config.embed_dim)
    theirs = _their_estimator(pair, _their_critic(critic, kind, config), config)
    name, settings = OURS[pair]
    trainer = CriticTrainer(critic, get_bound(name, **settings), lr=config.lr, ema_rate=config.ema_rate)
    if trainer.average is not None and config.ema_form != "log":
        trainer.average = LinearAverage(config.ema_rate, clamp=config.ema_form == "linear-clamped")
    optimizer = torch.optim.Adam(theirs.parameters(), lr=config.lr)

    def ours_step(x, z):
        return trainer.step(all_pair_scores(critic, x, z))

    def theirs_step(x, z, estimate: bool = True):
        loss = theirs.loss(x, z)
        value = theirs.mutual_information(x, z).detach() if estimate else None  # their loop's logged estimate
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return value

    return {"mine": ours_step, "torch-mist": theirs_step}


def staircase_run(config: PeersConfig, critic: str, seed: int) -> list[dict]:
    """One seed, one critic: every pair of estimators on the same fresh batches, per level."""
    total = config.steps_per_level * len(config.levels)
    pairs = {pair: make_pair(pair, critic, config, seed) for pair in config.pairs}
    estimates = {(p, lib): np.full(total, np.nan) for p in config.pairs for lib in ("mine", "torch-mist")}
    generator = torch.Generator().manual_seed(seed)
    batches = staircase_batches(config.levels, config.steps_per_level, config.batch_size, config.dim, generator)
    for step, (x, z) in enumerate(progress(batches, total=total, desc=f"peers staircase {critic} seed {seed}")):
        for pair, steps in pairs.items():
            for lib, fn in steps.items():
                estimates[pair, lib][step] = float(fn(x, z))
    return [
        {
            "part": "staircase",
            "estimator": pair,
            "library": lib,
            "critic": critic,
            "batch_size": config.batch_size,
            "seed": seed,
            "ema_form": config.ema_form if pair == "MINE (DV + EMA)" and lib == "mine" else None,
            **stats,
        }
        for (pair, lib), values in estimates.items()
        for stats in level_stats(values, config.levels, config.steps_per_level, config.tail_fraction)
    ]


def staircase(config: PeersConfig) -> list[dict]:
    return [row for critic in config.critics for seed in config.seeds for row in staircase_run(config, critic, seed)]


def _time_steps(step: Callable, batches: list, first: int, n: int) -> float:
    """Seconds for n steps on batches first, first + 1, ... (cycled): never one batch twice in a row."""
    start = time.perf_counter()
    for k in range(first, first + n):
        step(*batches[k % len(batches)])
    return time.perf_counter() - start


def _rates(pair: str, kind: str, batch: int, config: PeersConfig, generator: torch.Generator) -> dict:
    """Median steps per second over alternating timed blocks: ours, then theirs, ``speed_blocks`` times."""
    pair_steps = make_pair(pair, kind, config)
    # theirs timed without the logged estimate their training loop also computes (favours them)
    steps = {"mine": pair_steps["mine"], "torch-mist": lambda x, z: pair_steps["torch-mist"](x, z, estimate=False)}
    rho = float(rho_for_mi(4.0, config.dim))
    # distinct batches in turn: torch-mist caches critic outputs for a repeated input
    batches = [sample_correlated_torch(batch, rho, config.dim, generator) for _ in range(8)]
    calls = dict.fromkeys(steps, 0)

    def timed(lib: str, n: int) -> float:
        seconds = _time_steps(steps[lib], batches, calls[lib], n)
        calls[lib] += n
        return seconds

    for lib in steps:  # warm-up
        timed(lib, 2)
    n = max(3, int(config.speed_seconds / config.speed_blocks / max(timed("mine", 1), 1e-6)))
    rates: dict[str, list[float]] = {lib: [] for lib in steps}
    for _ in range(config.speed_blocks):
        for lib in steps:
            rates[lib].append(n / timed(lib, n))
    return {lib: (n, float(np.median(values))) for lib, values in rates.items()}


def speed(config: PeersConfig) -> list[dict]:
    """Training steps per second of ours and theirs on the same batches, per critic and batch size."""
    rows = []
    cases = [(p, k, b) for k in config.speed_critics for b in config.speed_batch_sizes for p in PAIRS]
    generator = torch.Generator().manual_seed(config.seed)
    for pair, kind, batch in progress(cases, desc="peers speed"):
        for lib, (n, rate) in _rates(pair, kind, batch, config, generator).items():
            rows.append(
                {
                    "part": "speed",
                    "estimator": pair,
                    "library": lib,
                    "critic": kind,
                    "batch_size": batch,
                    "steps_per_block": n,
                    "steps_per_second": rate,
                }
            )
    return rows


def _key(r: dict) -> tuple:
    return (r["part"], r["estimator"], r["library"], r["critic"], r["batch_size"], r.get("true_mi"), r.get("seed"))


def ratios(rows: list[dict]) -> list[dict]:
    """Ours / theirs, per seed: MSE per level (lower is better) and steps per second (higher is better)."""
    index = {_key(r): r for r in rows if r["part"] in ("staircase", "speed")}
    out = []
    for (part, pair, lib, critic, batch, mi, seed), row in index.items():
        if lib != "mine":
            continue
        theirs = index[part, pair, "torch-mist", critic, batch, mi, seed]
        key = "mse" if part == "staircase" else "steps_per_second"
        out.append(
            {
                "part": f"ratio: {key}",
                "estimator": pair,
                "critic": critic,
                "batch_size": batch,
                "true_mi": mi,
                "seed": seed,
                "ours": row[key],
                "theirs": theirs[key],
                "ratio": row[key] / theirs[key],
            }
        )
    return out


def over_seeds(rows: list[dict]) -> list[dict]:
    """Per critic, pair and level: mean (sd) over seeds of our MSE, theirs and the ratio."""
    ratio_rows = [r for r in rows if r["part"] == "ratio: mse"]
    groups: dict[tuple, list[dict]] = {}
    for r in ratio_rows:
        groups.setdefault((r["critic"], r["estimator"], r["true_mi"]), []).append(r)
    out = []
    for (critic, pair, mi), group in groups.items():
        ours, theirs, ratio = (np.array([float(r[k]) for r in group]) for k in ("ours", "theirs", "ratio"))

        def sd(values):
            return float(values.std(ddof=1)) if len(values) > 1 else float("nan")

        out.append(
            {
                "part": "over seeds",
                "critic": critic,
                "estimator": pair,
                "true_mi": mi,
                "seeds": len(group),
                "mse_ours": float(ours.mean()),
                "mse_ours_sd": sd(ours),
                "mse_theirs": float(theirs.mean()),
                "mse_theirs_sd": sd(theirs),
                "ratio_mean": float(ratio.mean()),
                "ratio_sd": sd(ratio),
                "mean_mse_ratio": float(ours.mean() / theirs.mean()),
            }
        )
    return out


def run(config: PeersConfig):
    version = torch_mist_version()
    if version is None:
        print(
            "torch-mist is not installed: skipping the side-by-side run "
            "(install it with: bash benchmarks/install_peers.sh)",
            file=sys.stderr,
        )
        return [], {"torch_mist_version": None, "skipped": "torch-mist not installed"}
    if config.ema_form not in ("log", "linear", "linear-clamped"):
        raise SystemExit(f"ema_form: expected log, linear or linear-clamped, got {config.ema_form!r}")
    unknown = set(config.pairs) - set(PAIRS)
    if unknown:
        raise SystemExit(f"pairs: unknown {sorted(unknown)}; choose from {', '.join(PAIRS)}")
    if config.threads:
        torch.set_num_threads(config.threads)
    rows = (staircase(config) if "staircase" in config.parts else []) + (
        speed(config) if "speed" in config.parts else []
    )
    return rows + ratios(rows), {"torch_mist_version": version}


def plot(rows, extras, config: PeersConfig, path) -> None:
    """Left and middle: per critic, the MSE ratio ours / theirs per level (mean and sd over seeds,
    each seed a dot); right: the speed ratios."""
    if not rows:
        return
    summary = over_seeds(rows)
    critics = list(dict.fromkeys(r["critic"] for r in summary))
    fig, axes = figure(1, len(critics) + 1, figsize=(5 * (len(critics) + 1), 4.2), squeeze=False)
    for c, critic in enumerate(critics):
        ax = axes[0][c]
        for k, pair in enumerate(PAIRS):
            pts = [r for r in summary if r["critic"] == critic and r["estimator"] == pair]
            if not pts:
                continue
            shift = (k - 1.5) * 0.15
            levels = np.array([r["true_mi"] for r in pts]) + shift
            ax.errorbar(
                levels,
                [r["ratio_mean"] for r in pts],
                yerr=[r["ratio_sd"] for r in pts],
                marker="o",
                color=f"C{k}",
                capsize=3,
                label=pair,
            )
            seeds = [r for r in rows if r["part"] == "ratio: mse" and r["critic"] == critic and r["estimator"] == pair]
            ax.plot([r["true_mi"] + shift for r in seeds], [r["ratio"] for r in seeds], ".", color=f"C{k}", alpha=0.4)
        ax.axhline(1.0, color="black", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("true MI [nats]")
        ax.set_ylabel("MSE ours / torch-mist (mean +- sd over seeds)")
        n_seeds = max((r["seeds"] for r in summary if r["critic"] == critic), default=0)
        ax.set_title(f"{critic} critic, batch {config.batch_size}, {n_seeds} seeds")
        ax.legend(fontsize=7)
    speed_ratios = [r for r in rows if r["part"] == "ratio: steps_per_second"]
    ax = axes[0][-1]
    labels = [f"{r['estimator']}\n{r['critic']} B={r['batch_size']}" for r in speed_ratios]
    ax.bar(range(len(speed_ratios)), [r["ratio"] for r in speed_ratios], color="tab:green")
    ax.axhline(1.0, color="black", lw=1)
    ax.axhline(1.5, color="grey", ls="--", lw=1, label="1.5x")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
    ax.set_ylabel("training steps/s: ours / torch-mist")
    ax.legend(fontsize=7)
    save_figure(fig, path)


def report(rows, config) -> str:
    if not rows:
        return "torch-mist not installed: nothing compared"
    seeds = table(
        over_seeds(rows),
        [
            "critic",
            "estimator",
            "true_mi",
            "seeds",
            "mse_ours",
            "mse_ours_sd",
            "mse_theirs",
            "mse_theirs_sd",
            "ratio_mean",
            "ratio_sd",
            "mean_mse_ratio",
        ],
        {"true_mi": ".0f", "ratio_mean": ".2f", "ratio_sd": ".2f", "mean_mse_ratio": ".2f"},
    )
    speed_rows = [r for r in rows if r["part"] == "ratio: steps_per_second"]
    speed_table = table(
        speed_rows,
        ["estimator", "critic", "batch_size", "ours", "theirs", "ratio"],
        {"ours": ".4g", "theirs": ".4g", "ratio": ".2f"},
    )
    return "\n\n".join(part for part, rows_ in ((seeds, True), (speed_table, speed_rows)) if rows_)


BENCHMARK = Benchmark("peers", run, PeersConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
