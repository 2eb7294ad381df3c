"""Data larger than memory and several processes: memory, time and training throughput.

Part "memory": peak memory and time of a default fit on memory-mapped rows.

For n = 10^5, 10^6, 10^7 rows of x, z (10-D each, correlated Gaussians with I(X; Z) = 2 nats,
float32 on disk, `np.save`), each in a fresh process: `MINE(random_state=0).fit(x, z)` with x, z
the columns of `np.load(path, mmap_mode="r")`, and, up to `in_memory_max_rows`, the same fit on
the array loaded into memory. Memory is the process's anonymous resident memory (`RssAnon` in
/proc/self/status: what the data cannot be paged out to disk as, unlike the page cache of the
mapped file), sampled every 20 ms during the fit; its growth is measured from just before the fit,
after a 2,000-row warm-up fit that makes torch's one-time allocations (kernels, thread pools),
which are also reported ("first fit"). The in-memory fit's growth excludes the loaded array.

Part "processes": training samples per second at one global batch B (all B(B-1) negatives), in one
process with 2 threads against 2 processes (torch.distributed, gloo) with 1 thread each, every
process started fresh: "1 process" (``CriticTrainer`` on the batch), "2 processes, global
negatives" (``mine.training.ShardedCritic``: each rank embeds or scores its half, a gradient-
carrying all_gather makes the B x B matrix, gradients averaged: what ``fit`` does), and "2
processes, per-rank negatives" (each rank its own (B/2) x (B/2) matrix, gradients averaged: a
different estimator, with fewer negatives, timed to price the all_gather). Steps on fresh batches
held in memory, after 5 warm-up steps; ``process_rows`` rows per measurement.

    python -m benchmarks.scaling [--quick] [--set parts=processes]
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
    parts: tuple[str, ...] = ("memory", "processes")
    process_cases: tuple[tuple[str, int], ...] = (
        ("cosine", 256),
        ("cosine", 1024),
        ("cosine", 4096),
        ("concat", 256),
    )
    process_rows: int = 100_000  # training rows per throughput measurement


QUICK = ScalingConfig(
    rows=(10_000,),
    in_memory_max_rows=10_000,
    max_steps=100,
    process_cases=(("separable", 64),),
    process_rows=640,
)
PROCESS_MODES = ("1 process", "2 processes, global negatives", "2 processes, per-rank negatives")


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


def _throughput(rank: int, size: int, folder: str, critic: str, batch: int, steps: int, mode: str, seed: int) -> None:
    """Training steps of one mode in this (spawned) process; rank 0 writes seconds per step."""
    import torch
    import torch.distributed as dist

    from mine.critics import all_pair_scores, build_critic
    from mine.distributed import average_gradients
    from mine.gaussian import rho_for_mi, sample_correlated_torch
    from mine.training import CriticTrainer, ShardedCritic

    torch.set_num_threads(2 // size)
    if size > 1:
        dist.init_process_group("gloo", init_method=f"file://{folder}/init", rank=rank, world_size=size)
    torch.manual_seed(seed)
    net = build_critic(critic, DIM, DIM, (256, 256), "elu", 32)
    generator = torch.Generator().manual_seed(seed)
    rho = float(rho_for_mi(MI, DIM))
    batches = [sample_correlated_torch(batch, rho, DIM, generator) for _ in range(8)]
    trainer = CriticTrainer(ShardedCritic(net) if mode.endswith("global negatives") else net, "dv", lr=1e-4)
    own = slice(rank * batch // size, (rank + 1) * batch // size)

    def step(k: int) -> None:
        x, z = batches[k % len(batches)]
        if mode.endswith("per-rank negatives"):
            loss = -trainer.objective(all_pair_scores(net, x[own], z[own]))
            trainer.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            average_gradients(net.parameters())
            trainer.optimizer.step()
        else:
            trainer.step(all_pair_scores(trainer.critic, x, z))

    for k in range(5):
        step(k)
    if size > 1:
        dist.barrier()
    began = time.perf_counter()
    for k in range(steps):
        step(k)
    if size > 1:
        dist.barrier()
    seconds = (time.perf_counter() - began) / steps
    if rank == 0:
        Path(folder, "seconds").write_text(repr(seconds))
    if size > 1:
        dist.destroy_process_group()


def processes(config: ScalingConfig) -> list[dict]:
    """Samples per second of each mode (``PROCESS_MODES``) for each (critic, global batch)."""
    import tempfile

    import torch.multiprocessing as mp

    rows = []
    jobs = [(c, b, m) for c, b in config.process_cases for m in PROCESS_MODES]
    for critic, batch, mode in progress(jobs, desc="scaling processes"):
        size = 1 if mode == "1 process" else 2
        steps = max(10, config.process_rows // batch)
        with tempfile.TemporaryDirectory() as folder:
            mp.spawn(_throughput, args=(size, folder, critic, batch, steps, mode, config.seed), nprocs=size)
            seconds = float(Path(folder, "seconds").read_text())
        rows.append(
            {
                "part": "processes",
                "mode": mode,
                "critic": critic,
                "batch_size": batch,
                "processes": size,
                "threads_per_process": 2 // size,
                "steps": steps,
                "ms_per_step": 1000 * seconds,
                "samples_per_second": batch / seconds,
            }
        )
    for row in rows:  # against one process, and the all_gather's price against per-rank negatives
        same = {r["mode"]: r for r in rows if (r["critic"], r["batch_size"]) == (row["critic"], row["batch_size"])}
        row["speedup_vs_1_process"] = row["samples_per_second"] / same["1 process"]["samples_per_second"]
        if row["mode"] == "2 processes, global negatives":
            per_rank = same["2 processes, per-rank negatives"]["ms_per_step"]
            row["gather_cost_ms"] = row["ms_per_step"] - per_rank
    return rows


def memory(config: ScalingConfig) -> list[dict]:
    jobs = []
    for n in config.rows:
        path = Path(config.data_dir) / f"gaussian_{n}.npy"
        if not path.exists():
            write_data(path, n, config.seed)
        jobs.append((str(path), "memory-mapped", config.max_steps, config.threads, config.seed))
        if n <= config.in_memory_max_rows:
            jobs.append((str(path), "in memory", config.max_steps, config.threads, config.seed))
    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        return [
            {"part": "memory", **row} for row in progress(pool.imap(_measure, jobs), total=len(jobs), desc="scaling")
        ]


def run(config: ScalingConfig) -> list[dict]:
    unknown = set(config.parts) - {"memory", "processes"}
    if unknown:
        raise SystemExit(f"parts: unknown {sorted(unknown)}; choose from memory, processes")
    return (memory(config) if "memory" in config.parts else []) + (
        processes(config) if "processes" in config.parts else []
    )


def _part(rows: list[dict], part: str) -> list[dict]:
    return [r for r in rows if r.get("part", "memory") == part]  # results before the parts had no field


def plot(rows, extras, config: ScalingConfig, path) -> None:
    """Memory growth and fit time against rows; training samples per second of each process mode."""
    fig, (memory, seconds, speed) = figure(1, 3, figsize=(16, 4.2))
    mem = _part(rows, "memory")
    for storage, marker in (("memory-mapped", "o"), ("in memory", "s")):
        pts = [r for r in mem if r["storage"] == storage]
        if not pts:
            continue
        n = [r["rows"] for r in pts]
        memory.plot(n, [r["anon_growth_mib"] for r in pts], marker=marker, label=f"{storage} fit")
        seconds.plot(n, [r["fit_seconds"] for r in pts], marker=marker, label=storage)
    mapped = [r for r in mem if r["storage"] == "memory-mapped"]
    n = [r["rows"] for r in mapped]
    memory.plot(n, [r["data_mib"] for r in mapped], "k:", label="data size")
    memory.plot(n, [r["data_mib"] / 2 for r in mapped], "k--", lw=0.8, label="half")
    memory.set_ylabel("peak anonymous memory growth [MiB]")
    seconds.set_ylabel("fit time [s]")
    for ax in (memory, seconds) if mem else ():
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rows (x, z 10-D each, float32)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    procs = _part(rows, "processes")
    cases = list(dict.fromkeys((r["critic"], r["batch_size"]) for r in procs))
    width = 0.8 / len(PROCESS_MODES)
    for k, mode in enumerate(PROCESS_MODES):
        values = [
            next(
                (r["samples_per_second"] for r in procs if (r["critic"], r["batch_size"]) == c and r["mode"] == mode), 0
            )
            for c in cases
        ]
        speed.bar(np.arange(len(cases)) + (k - 1) * width, values, width, label=mode)
    speed.set_xticks(np.arange(len(cases)), [f"{c} B={b}" for c, b in cases], fontsize=8)
    speed.set_ylabel("training samples per second")
    speed.set_title("2 cores: 1 process x 2 threads vs 2 x 1", fontsize=9)
    speed.legend(fontsize=7)
    speed.grid(alpha=0.3, axis="y")
    save_figure(fig, path)


def report(rows, config) -> str:
    tables = []
    if _part(rows, "memory"):
        tables.append(
            table(
                _part(rows, "memory"),
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
                {
                    "data_mib": ".0f",
                    "anon_growth_mib": ".1f",
                    "first_fit_mib": ".0f",
                    "fit_seconds": ".0f",
                    "estimate": ".3f",
                },
            )
        )
    if _part(rows, "processes"):
        tables.append(
            table(
                _part(rows, "processes"),
                [
                    "critic",
                    "batch_size",
                    "mode",
                    "ms_per_step",
                    "samples_per_second",
                    "speedup_vs_1_process",
                    "gather_cost_ms",
                ],
                {
                    "ms_per_step": ".1f",
                    "samples_per_second": ".0f",
                    "speedup_vs_1_process": ".2f",
                    "gather_cost_ms": ".1f",
                },
            )
        )
    return "\n\n".join(tables)


BENCHMARK = Benchmark("scaling", run, ScalingConfig(), QUICK, plot, report, __doc__)

if __name__ == "__main__":
    main(BENCHMARK)
