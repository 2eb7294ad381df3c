"""Training speed and peak memory of `MINE.fit` across critics, batch sizes, dimensions and dtypes.

Critics: cosine (the default: unit embeddings and a temperature, one matmul for all B^2 pairs),
separable (one matmul), concat on all B(B-1) pairs, concat on B shuffled pairs (the MINE paper's
negatives). Batch sizes 64 to 1,024; x, z of 10 and 100 dimensions each;
float32 and float64. Each configuration runs in a fresh process so that its peak resident memory
(CPU) or peak allocated memory (CUDA) is its own; the steps per second come from a fit with a fixed
number of steps (one held-out evaluation at the end), after a short warm-up fit.

    python -m benchmarks.speed [--quick]
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from dataclasses import dataclass

import numpy as np

from .framework import Benchmark, figure, main, progress, save_figure, table

CRITICS = {
    "cosine (default)": dict(critic="cosine"),
    "separable": dict(critic="separable"),
    "concat, all pairs": dict(critic="concat", negatives="all"),
    "concat, shuffled": dict(critic="concat", negatives="shuffle"),
}


@dataclass(frozen=True)
class SpeedConfig:
    critics: tuple[str, ...] = tuple(CRITICS)
    batch_sizes: tuple[int, ...] = (64, 128, 256, 512, 1024)
    dims: tuple[int, ...] = (10, 100)
    dtypes: tuple[str, ...] = ("float32", "float64")
    concat_all_max_batch: int = 512  # its cost grows as B^2: 1,024 is ~4x the 512 figure
    seconds_per_config: float = 2.0
    max_steps: int = 2000
    isolate: bool = True  # a fresh process per configuration, so each peak memory is its own
    device: str = "cpu"
    seed: int = 0


QUICK = SpeedConfig(
    critics=("cosine (default)", "concat, all pairs"),
    batch_sizes=(64, 256),
    dims=(10,),
    dtypes=("float32",),
    seconds_per_config=0.5,
    isolate=False,
)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def measure(
    critic: str, batch_size: int, dim: int, dtype: str, seconds: float, max_steps: int, device: str, seed: int
) -> dict:
    """Steps per second of ``MINE.fit`` and its peak memory above the process's state before it."""
    import torch

    from mine import MINE
    from mine.gaussian import sample_correlated

    n_train = 8 * batch_size
    x, z = sample_correlated(n_train + batch_size, 0.5, dim, random_state=seed)

    def fit(steps: int) -> float:
        est = MINE(
            **CRITICS[critic],
            batch_size=batch_size,
            max_steps=steps,
            eval_every=steps,
            patience=1,
            folds=1,
            heldout_fraction=batch_size / (n_train + batch_size),
            dtype=dtype,
            device=device,
            random_state=seed,
        )
        start = time.perf_counter()
        est.fit(x, z)
        if device != "cpu":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    if device != "cpu":
        torch.cuda.reset_peak_memory_stats()
    before = _peak_rss_mib()
    fit(3)  # warm-up: first allocations, kernel selection
    probe = 10
    elapsed = fit(probe)
    steps = int(np.clip(seconds * probe / elapsed, probe, max_steps))
    if steps > probe:
        elapsed = fit(steps)
    if device != "cpu":
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = _peak_rss_mib() - before
    return {
        "critic": critic,
        "batch_size": batch_size,
        "dim": dim,
        "dtype": dtype,
        "steps": steps,
        "steps_per_second": steps / elapsed,
        "ms_per_step": 1000 * elapsed / steps,
        "peak_memory_mib": peak,
        "memory_kind": "peak RSS growth" if device == "cpu" else "CUDA peak allocated",
    }


def _measure(args: tuple) -> dict:
    return measure(*args)


def run(config: SpeedConfig) -> list[dict]:
    jobs = [
        (c, b, d, t, config.seconds_per_config, config.max_steps, config.device, config.seed)
        for c in config.critics
        for d in config.dims
        for t in config.dtypes
        for b in config.batch_sizes
        if not (c == "concat, all pairs" and b > config.concat_all_max_batch)
    ]
    if not config.isolate:  # quick mode: one process, so the memory column is a running peak
        return [_measure(job) for job in progress(jobs, desc="speed")]
    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        return list(progress(pool.imap(_measure, jobs), total=len(jobs), desc="speed"))


def plot(rows, extras, config: SpeedConfig, path) -> None:
    dims, dtypes = sorted({r["dim"] for r in rows}), list(dict.fromkeys(r["dtype"] for r in rows))
    fig, axes = figure(2, len(dims), figsize=(5.5 * len(dims), 7), squeeze=False)
    for col, dim in enumerate(dims):
        for critic in dict.fromkeys(r["critic"] for r in rows):
            for dtype, style in zip(dtypes, ("-", "--")):
                pts = [r for r in rows if r["dim"] == dim and r["critic"] == critic and r["dtype"] == dtype]
                if not pts:
                    continue
                b = [r["batch_size"] for r in pts]
                label = f"{critic}, {dtype}"
                axes[0][col].plot(b, [r["steps_per_second"] for r in pts], style, marker="o", label=label)
                axes[1][col].plot(b, [r["peak_memory_mib"] for r in pts], style, marker="o", label=label)
        axes[0][col].set_title(f"x, z each {dim}-D")
        axes[0][col].set_ylabel("training steps per second")
        axes[1][col].set_ylabel(f"peak memory [MiB] ({rows[0]['memory_kind']})")
        for ax in axes[:, col]:
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("batch size")
            ax.grid(alpha=0.3, which="both")
    axes[0][0].legend(fontsize=7)
    save_figure(fig, path)


def report(rows, config) -> str:
    return table(
        rows,
        ["critic", "dim", "dtype", "batch_size", "steps", "steps_per_second", "ms_per_step", "peak_memory_mib"],
        {"steps_per_second": ".1f", "ms_per_step": ".2f", "peak_memory_mib": ".0f"},
    )


BENCHMARK = Benchmark("speed", run, SpeedConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
