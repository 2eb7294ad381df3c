"""Data larger than memory: peak memory and time of a default fit on memory-mapped rows.

For n = 10^5, 10^6, 10^7 rows of x, z (10-D each, correlated Gaussians with I(X; Z) = 2 nats,
float32 on disk, `np.save`), each in a fresh process: `MINE(random_state=0).fit(x, z)` with x, z
the columns of `np.load(path, mmap_mode="r")`, and, up to `in_memory_max_rows`, the same fit on
the array loaded into memory. Memory is the process's anonymous resident memory (`RssAnon` in
/proc/self/status: what the data cannot be paged out to disk as, unlike the page cache of the
mapped file), sampled every 20 ms during the fit; its growth is measured from just before the fit,
after a 2,000-row warm-up fit that makes torch's one-time allocations (kernels, thread pools),
which are also reported ("first fit"). The in-memory fit's growth excludes the loaded array.

    python -m benchmarks.scaling [--quick]
"""

from __future__ import annotations

import math
import multiprocessing
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .framework import Benchmark, figure, main, progress, save_figure, table

DIM = 10
MI = 2.0


@dataclass(frozen=True)
class ScalingConfig:
    rows: tuple[int, ...] = (100_000, 1_000_000, 10_000_000)
    in_memory_max_rows: int = 1_000_000
    max_steps: int = 5000
    threads: int = 1
    data_dir: str = "/tmp/mine_scaling"
    seed: int = 0


QUICK = ScalingConfig(rows=(20_000,), in_memory_max_rows=20_000, max_steps=200)


def _rss_anon_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon"):
                return int(line.split()[1]) / 1024
    return math.nan


def write_data(path: Path, n: int, seed: int) -> None:
    """n rows of (x, z), 10-D each, I(X; Z) = 2 nats, written in chunks (never all in memory)."""
    from mine.gaussian import sample_correlated

    rho = math.sqrt(1 - math.exp(-2 * MI / DIM))
    path.parent.mkdir(parents=True, exist_ok=True)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, 2 * DIM))
    chunk = 200_000
    for start in range(0, n, chunk):
        k = min(chunk, n - start)
        x, z = sample_correlated(k, rho=rho, dim=DIM, random_state=seed + start // chunk)
        out[start : start + k, :DIM], out[start : start + k, DIM:] = x, z
    out.flush()
    del out


def measure(path: str, storage: str, max_steps: int, threads: int, seed: int) -> dict:
    """One fit in this (fresh) process: peak anonymous-memory growth, time, estimate."""
    import torch

    from mine import MINE
    from mine.gaussian import sample_correlated

    torch.set_num_threads(threads)
    start_anon = _rss_anon_mib()
    x, z = sample_correlated(2000, 0.5, dim=DIM, random_state=seed)
    with warnings.catch_warnings():  # a 20-step warm-up is not converged, and says so
        warnings.simplefilter("ignore")
        MINE(max_steps=20, random_state=seed).fit(x.astype(np.float32), z.astype(np.float32))  # torch's first use
    data = np.load(path, mmap_mode="r" if storage == "memory-mapped" else None)
    before = _rss_anon_mib()
    peak, stop = [before], threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_anon_mib())
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    began = time.perf_counter()
    est = MINE(max_steps=max_steps, random_state=seed).fit(data[:, :DIM], data[:, DIM:])
    seconds = time.perf_counter() - began
    stop.set()
    watcher.join()
    peak[0] = max(peak[0], _rss_anon_mib())
    low, high = est.mi_interval()
    return {
        "storage": storage,
        "rows": int(data.shape[0]),
        "data_mib": data.nbytes / 2**20,
        "anon_growth_mib": peak[0] - before,
        "growth_per_data": (peak[0] - before) / (data.nbytes / 2**20),
        "first_fit_mib": before - start_anon - (0 if storage == "memory-mapped" else data.nbytes / 2**20),
        "fit_seconds": seconds,
        "steps": sum(f.n_steps for f in est.folds_),
        "estimate": est.mi(),
        "low": low,
        "high": high,
        "truth": MI,
    }


def _measure(args: tuple) -> dict:
    return measure(*args)


def run(config: ScalingConfig) -> list[dict]:
    jobs = []
    for n in config.rows:
        path = Path(config.data_dir) / f"gaussian_{n}.npy"
        if not path.exists():
            write_data(path, n, config.seed)
        jobs.append((str(path), "memory-mapped", config.max_steps, config.threads, config.seed))
        if n <= config.in_memory_max_rows:
            jobs.append((str(path), "in memory", config.max_steps, config.threads, config.seed))
    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        return list(progress(pool.imap(_measure, jobs), total=len(jobs), desc="scaling"))


def plot(rows, extras, config: ScalingConfig, path) -> None:
    fig, (memory, seconds) = figure(1, 2, figsize=(11, 4.2))
    for storage, marker in (("memory-mapped", "o"), ("in memory", "s")):
        pts = [r for r in rows if r["storage"] == storage]
        if not pts:
            continue
        n = [r["rows"] for r in pts]
        memory.plot(n, [r["anon_growth_mib"] for r in pts], marker=marker, label=f"{storage} fit")
        seconds.plot(n, [r["fit_seconds"] for r in pts], marker=marker, label=storage)
    n = sorted({r["rows"] for r in rows})
    memory.plot(n, [r["data_mib"] for r in rows if r["storage"] == "memory-mapped"], "k:", label="data size")
    memory.plot(n, [r["data_mib"] / 2 for r in rows if r["storage"] == "memory-mapped"], "k--", lw=0.8, label="half")
    memory.set_ylabel("peak anonymous memory growth [MiB]")
    seconds.set_ylabel("fit time [s]")
    for ax in (memory, seconds):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rows (x, z 10-D each, float32)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    save_figure(fig, path)


def report(rows, config) -> str:
    return table(
        rows,
        [
            "storage",
            "rows",
            "data_mib",
            "anon_growth_mib",
            "first_fit_mib",
            "fit_seconds",
            "steps",
            "estimate",
            "truth",
        ],
        {"data_mib": ".0f", "anon_growth_mib": ".1f", "first_fit_mib": ".0f", "fit_seconds": ".0f", "estimate": ".3f"},
    )


BENCHMARK = Benchmark("scaling", run, ScalingConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
