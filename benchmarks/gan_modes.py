"""Mode dropping: a plain GAN against the same GAN with the MINE regulariser, and the f-GAN table.

1. 25-Gaussian grid (means {-4, -2, 0, 2, 4}^2, std 0.05): the plain GAN (binary cross-entropy,
   non-saturating generator loss) and GAN + MINE (beta = 1, adaptive gradient clipping), same
   architecture, steps and seeds (five); modes captured, high-quality share and KL over 2,500 samples.
2. Stacked digits (1,000 modes): plain GAN and GAN + MINE with MSG-GAN networks (width 32, batch 64,
   10,000 steps, the digits' recipe of ``mine gan``), three seeds; modes captured of 1,000 and KL to
   uniform over 10,000 samples labelled by the digit classifier, every 1,000 steps.
3. The f-GAN divergences (GAN, KL, reverse KL, Pearson, squared Hellinger, Jensen-Shannon) on the
   grid, plain, three seeds (mean and sd).

    python -m benchmarks.gan_modes [--quick]

Figures: ``gan_modes.png`` (generated over real samples, plain vs. MINE, per seed),
``gan_modes_curves.png`` and ``gan_modes_digits_curves.png`` (modes captured and the MI estimate
along training), ``gan_modes_digits.png`` (sample grids) and ``gan_modes_table.png`` (modes and KL
per divergence).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from mine.gan.data import grid25
from mine.gan.train import RECIPES, GANConfig, train_gan

from .framework import Benchmark, figure, main, progress, save_figure, table

PARTS = ("grid", "digits", "table")


@dataclass(frozen=True)
class GANModesConfig:
    grid_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    grid_steps: int = 12_000
    grid_batch: int = 256
    grid_eval_every: int = 1000  # mode coverage along training, for the curves
    mine_beta: float = 1.0
    with_plain: bool = True  # the plain GAN beside each regularised run (False: a rerun of the MINE runs alone)
    digits_seeds: tuple[int, ...] = (0, 1, 2)
    digits_steps: int = 10_000
    digits_batch: int = 64
    digits_width: int = 32
    digits_eval_samples: int = 10_000
    digits_eval_every: int = 1000
    divergences: tuple[str, ...] = ("gan", "kl", "reverse_kl", "pearson", "squared_hellinger", "jensen_shannon")
    table_seeds: tuple[int, ...] = (0, 1, 2)
    table_steps: int = 12_000
    table_retry_lr: float = 0.1  # a diverged table run is rerun with both learning rates times this
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    lr_mine: float = 3e-4  # T at 1e-3: its DV estimate swings (to -18 nats) and most runs collapse
    # the stabilising tricks, for plain and MINE runs alike; None: each data's recipe (``mine gan``'s
    # defaults, mine.gan.train.RECIPES)
    generator_ema: float | None = None
    lr_decay: str | None = None
    instance_noise: float | None = None
    std_group: int | None = None
    r1_gamma: float | None = None
    mine_beta_anneal: float | None = None
    noise_dim: int | None = None
    mine_steps: int = GANConfig.mine_steps
    parts: tuple[str, ...] = PARTS
    device: str = "cpu"  # "cuda" or "auto" to train on a GPU
    seed: int = 0  # offset added to every run's seed


DIGIT_TRIPLETS = 24  # stacked-digit samples kept and drawn per run

QUICK = GANModesConfig(
    grid_seeds=(0,),
    grid_steps=60,
    grid_batch=64,
    grid_eval_every=30,
    digits_steps=10,
    digits_batch=16,
    digits_width=8,
    digits_eval_samples=500,
    digits_eval_every=5,
    divergences=("gan", "pearson"),
    table_seeds=(0,),
    table_steps=30,
)


def _runs(config: GANModesConfig) -> list[tuple[str, GANConfig]]:
    unknown = set(config.parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}; the parts are {PARTS}")
    common = dict(
        lr_g=config.lr_g,
        lr_d=config.lr_d,
        lr_mine=config.lr_mine,
        generator_ema=config.generator_ema,
        lr_decay=config.lr_decay,
        instance_noise=config.instance_noise,
        std_group=config.std_group,
        r1_gamma=config.r1_gamma,
        mine_beta_anneal=config.mine_beta_anneal,
        noise_dim=config.noise_dim,
        mine_steps=config.mine_steps,
        device=config.device,
    )
    runs = []
    betas = (0.0, config.mine_beta) if config.with_plain else (config.mine_beta,)
    for s in config.grid_seeds if "grid" in config.parts else ():
        for beta in betas:
            runs.append(
                (
                    "grid",
                    GANConfig(
                        data="grid25",
                        steps=config.grid_steps,
                        batch_size=config.grid_batch,
                        eval_every=config.grid_eval_every,
                        mine_beta=beta,
                        seed=config.seed + s,
                        **common,
                    ),
                )
            )
    for s in config.digits_seeds if "digits" in config.parts else ():
        for beta in betas:
            runs.append(
                (
                    "digits",
                    GANConfig(
                        data="digits",
                        steps=config.digits_steps,
                        batch_size=config.digits_batch,
                        width=config.digits_width,
                        eval_every=config.digits_eval_every,
                        eval_samples=config.digits_eval_samples,
                        mine_beta=beta,
                        seed=config.seed + s,
                        **common,
                    ),
                )
            )
    for name in config.divergences if "table" in config.parts else ():
        for s in config.table_seeds:
            runs.append(
                (
                    "table",
                    GANConfig(
                        data="grid25",
                        loss=name,
                        steps=config.table_steps,
                        batch_size=config.grid_batch,
                        eval_every=config.table_steps,
                        seed=config.seed + s,
                        **common,
                    ),
                )
            )
    return runs


def _train(part: str, gan: GANConfig) -> tuple[dict, dict | None]:
    """One run as a row (a diverged run is a result too: its row carries the error)."""
    row = {
        "part": part,
        "data": gan.data,
        "loss": gan.loss,
        "mine_beta": gan.mine_beta,
        "seed": gan.seed,
        "steps": gan.steps,
        "lr_g": gan.lr_g,
        "lr_d": gan.lr_d,
    }
    try:
        result = train_gan(gan)
    except FloatingPointError as err:
        return {**row, "error": str(err)}, None
    final = result["final"]
    return {
        **row,
        "modes": final["modes"],
        "n_modes": final["n_modes"],
        "high_quality": final.get("high_quality"),
        "kl": final["kl"],
        "mi": final["mi"],
        "seconds": result["seconds"],
        "classifier_accuracy": result.get("classifier_accuracy"),
        **{k: result["config"][k] for k in RECIPES["toy"]},  # the stabilising tricks the run used
    }, result


def run(config: GANModesConfig):
    rows, samples, curves = [], {}, {}
    for part, gan in progress(_runs(config), desc="gan runs"):
        row, result = _train(part, gan)
        rows.append(row)
        if result is None and part == "table":  # the low-learning-rate recipe, as a user would retry
            factor = config.table_retry_lr
            slower = dataclasses.replace(gan, lr_g=gan.lr_g * factor, lr_d=gan.lr_d * factor)
            row, result = _train(part, slower)
            rows.append(row)
        if result is None or part == "table":
            continue
        key = f"{part} | {gan.loss} | beta={gan.mine_beta:g} | seed={gan.seed}"
        kept = 500 if part == "grid" else DIGIT_TRIPLETS  # enough to draw
        samples[key] = np.round(result["samples"][:kept], 2).tolist()
        curves[key] = {
            "part": part,
            "mine_beta": gan.mine_beta,
            "seed": gan.seed,
            "points": [
                {k: h.get(k) for k in ("step", "modes", "kl", "mi", "raw_modes", "raw_kl")} for h in result["history"]
            ],
        }
    return rows + summary(rows), {"samples": samples, "curves": curves}


def _spread(entry: dict, runs: list[dict]) -> dict:
    """Mean and sd over ``runs`` of modes, high-quality share and KL (an infinite KL, no
    high-quality sample at all, is counted apart)."""
    for key in ("modes", "high_quality", "kl"):
        values = [float(r[key]) for r in runs if r.get(key) is not None]  # a saved inf reads back as "inf"
        finite = [v for v in values if np.isfinite(v)]
        if finite:
            entry[f"{key}_mean"], entry[f"{key}_sd"] = float(np.mean(finite)), float(np.std(finite))
        if len(finite) < len(values):
            entry[f"{key}_infinite"] = len(values) - len(finite)
    return entry


def summary(rows: list[dict]) -> list[dict]:
    """Mean and spread (sd) over seeds: plain vs. MINE per dataset, and per divergence of the table
    (each seed's last run, i.e. the retry at the lower learning rate when the first diverged)."""
    out = []
    for part in ("grid", "digits"):
        for beta in sorted({r["mine_beta"] for r in rows if r["part"] == part}):
            runs = [r for r in rows if r["part"] == part and r["mine_beta"] == beta and "modes" in r]
            if runs:
                out.append(_spread({"part": f"{part} summary", "mine_beta": beta, "runs": len(runs)}, runs))
    table_rows = [r for r in rows if r["part"] == "table"]
    for loss in dict.fromkeys(r["loss"] for r in table_rows):
        last = {r["seed"]: r for r in table_rows if r["loss"] == loss}  # a retry replaces its seed's first row
        runs = [r for r in last.values() if "modes" in r]
        entry = {
            "part": "table summary",
            "loss": loss,
            "mine_beta": 0.0,
            "runs": len(runs),
            "diverged": sum("error" in r for r in table_rows if r["loss"] == loss),
            "lr_g": sorted({r["lr_g"] for r in runs}),
        }
        out.append(_spread(entry, runs))
    return out


def resummarised(rows: list[dict]) -> list[dict]:
    """The runs of merged parts with their summaries computed over all of them (each part's own dropped)."""
    runs = [r for r in rows if "summary" not in r["part"]]
    return runs + summary(runs)


def plot(rows, extras, config: GANModesConfig, path) -> None:
    samples = extras["samples"]
    grid = grid25()
    real, _ = grid.sample(1000, random_state=0)
    seeds = [config.seed + s for s in config.grid_seeds]
    fig, axes = figure(2, len(seeds), figsize=(3.6 * len(seeds), 7.2), squeeze=False)
    for col, seed in enumerate(seeds):
        for row, beta in enumerate((0.0, config.mine_beta)):
            ax = axes[row][col]
            key = f"grid | gan | beta={beta:g} | seed={seed}"
            result = next((r for r in rows if r["part"] == "grid" and r["mine_beta"] == beta and r["seed"] == seed), {})
            ax.scatter(real[:, 0], real[:, 1], s=3, color="tab:orange", alpha=0.6)
            if key in samples:
                gen = np.asarray(samples[key])
                ax.scatter(gen[:, 0], gen[:, 1], s=3, color="tab:blue", alpha=0.5)
            label = "GAN" if beta == 0 else f"GAN + MINE (beta {beta:g})"
            stats = f"{result.get('modes', '?')}/25 modes, KL {result.get('kl', float('nan')):.2f}"
            ax.set_title(f"{label}, seed {seed}\n{stats}", fontsize=8)
            ax.set_xlim(-6, 6)
            ax.set_ylim(-6, 6)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=6)
    fig.suptitle("25 Gaussians: generated (blue) over real (orange)", fontsize=10)
    save_figure(fig, path)
    curves = extras.get("curves", {})
    for part, n_modes, suffix in (("grid", 25, "_curves.png"), ("digits", 1000, "_digits_curves.png")):
        # curves saved before digits had any carry no part: they are the grid's
        chosen = {k: c for k, c in curves.items() if c.get("part", "grid") == part}
        _plot_curves(chosen, n_modes, path.with_name(path.stem + suffix))
    _plot_digits(rows, samples, config, path.with_name(path.stem + "_digits.png"))
    _plot_table(rows, path.with_name(path.stem + "_table.png"))


def _plot_curves(curves: dict, n_modes: int, path) -> None:
    """Modes captured and the MI estimate along training, one line per run."""
    if not curves:
        return
    fig, axes = figure(1, 2, figsize=(10, 3.6))
    markers = "o^sDv<>"
    for curve in curves.values():
        points, mine_run = curve["points"], curve["mine_beta"] > 0
        style = dict(
            color="tab:red" if mine_run else "tab:blue",
            alpha=0.8,
            marker=markers[curve["seed"] % 7],
            markersize=3,
            label=f"seed {curve['seed']}, " + ("GAN + MINE" if mine_run else "GAN"),
        )
        steps = [p["step"] for p in points]
        axes[0].plot(steps, [p["modes"] for p in points], **style)
        if mine_run:
            axes[1].plot(steps, [p["mi"] for p in points], **style)
    axes[0].set_ylabel(f"modes captured (of {n_modes:,})")
    axes[1].set_ylabel("DV estimate of I(G(eps, c); c), nats")
    for ax in axes:
        ax.set_xlabel("generator step")
        ax.legend(fontsize=6)
    save_figure(fig, path)


def _plot_digits(rows, samples, config: GANModesConfig, path) -> None:
    """Each generated sample as its three channels side by side in grey (colour overlays of three
    digits are unreadable), three samples per line; plain GAN above, GAN + MINE below, one column per seed."""
    seeds = [config.seed + s for s in config.digits_seeds]
    if not any(k.startswith("digits") for k in samples):
        return
    fig, axes = figure(2, len(seeds), figsize=(4.2 * len(seeds), 8.4), squeeze=False)
    per_line = 3
    for col, seed in enumerate(seeds):
        for line, beta in enumerate((0.0, config.mine_beta)):
            ax = axes[line][col]
            ax.axis("off")
            key = f"digits | gan | beta={beta:g} | seed={seed}"
            if key not in samples:
                continue
            images = np.asarray(samples[key], dtype=float).reshape(-1, 3, 8, 8)
            lines = len(images) // per_line
            padded = np.pad(images[: lines * per_line], ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=1.0)
            # (lines, samples per line, channel, 10, 10) -> a (10 lines) x (10 * 3 * per_line) picture
            canvas = padded.reshape(lines, per_line, 3, 10, 10).transpose(0, 3, 1, 2, 4)
            ax.imshow(np.clip((canvas.reshape(lines * 10, per_line * 30) + 1) / 2, 0, 1), cmap="gray", vmin=0, vmax=1)
            result = next(
                (r for r in rows if r["part"] == "digits" and r["mine_beta"] == beta and r["seed"] == seed), {}
            )
            label = "GAN" if beta == 0 else f"GAN + MINE (beta {beta:g})"
            ax.set_title(
                f"{label}, seed {seed}: {result.get('modes', '?')}/1000 modes, KL {result.get('kl', float('nan')):.2f}",
                fontsize=8,
            )
    fig.suptitle("Stacked digits: each sample as its three channels", fontsize=10)
    save_figure(fig, path)


def _plot_table(rows, path) -> None:
    """Modes and KL per divergence: mean and sd over the seeds (bars), each seed a dot."""
    summaries = [r for r in rows if r["part"] == "table summary"]
    if not summaries:
        return
    fig, axes = figure(1, 2, figsize=(11, 3.8))
    names = [f"{r['loss'].replace('_', ' ')}, lr {'/'.join(f'{v:g}' for v in r['lr_g']) or '-'}" for r in summaries]
    for ax, key, color in ((axes[0], "modes", "tab:blue"), (axes[1], "kl", "tab:red")):
        means = [r.get(f"{key}_mean", np.nan) for r in summaries]
        sds = [r.get(f"{key}_sd", 0.0) for r in summaries]
        ax.bar(names, np.nan_to_num(means), yerr=sds, color=color, alpha=0.6, capsize=3)
        for i, r in enumerate(summaries):
            seeds = [t for t in rows if t["part"] == "table" and t["loss"] == r["loss"] and key in t]
            values = [float(t[key]) for t in seeds]
            ax.scatter([i] * len(seeds), [v if np.isfinite(v) else np.nan for v in values], color="k", s=8)
            if r["runs"] == 0:
                ax.text(i, 0.0, "diverged", rotation=90, ha="center", va="bottom", fontsize=8)
        ax.tick_params(axis="x", rotation=35, labelsize=7)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    axes[0].set_ylabel("modes captured (of 25)")
    axes[1].set_ylabel("KL(generated modes || uniform)")
    save_figure(fig, path)


def report(rows, config) -> str:
    runs = [r for r in rows if "summary" not in r["part"]]
    summaries = [r for r in rows if "summary" in r["part"]]
    return (
        table(
            runs,
            ["part", "loss", "mine_beta", "seed", "lr_g", "modes", "high_quality", "kl", "mi", "seconds"],
            {"high_quality": ".3f", "kl": ".3f", "mi": ".3f", "seconds": ".0f", "mine_beta": "g", "lr_g": "g"},
        )
        + "\n\n"
        + table(
            summaries,
            ["part", "loss", "mine_beta", "runs", "modes_mean", "modes_sd", "high_quality_mean", "kl_mean", "kl_sd"],
            {"mine_beta": "g"},
        )
    )


BENCHMARK = Benchmark("gan_modes", run, GANModesConfig(), QUICK, plot, report, __doc__, resummarised)

if __name__ == "__main__":
    main(BENCHMARK)
