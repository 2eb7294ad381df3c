"""Cases run in one process and in several (torch.distributed, gloo): tests/test_distributed.py
compares what rank 0 returns with what one process returns."""

from __future__ import annotations

import tempfile
import traceback
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mine import MINE, DivergenceEstimator
from mine.bounds import PooledValue, Scores, get_bound
from mine.critics import ScalarCritic, all_pair_scores, build_critic, shuffled_scores, two_sample_scores
from mine.distributed import all_reduce_pooled, world
from mine.gaussian import sample_correlated
from mine.training import CriticTrainer, ShardedCritic

BATCH = 16


def first_steps(kind: str, steps: int = 2) -> list[dict]:
    """Objective and gradients of the first ``steps`` training steps (float64), on one global batch
    per step: ``kind`` in separable, cosine, concat, shuffle (concat, shuffled negatives), infonce,
    two-sample."""
    torch.manual_seed(0)
    if kind == "two-sample":
        critic, bound = ScalarCritic(3, (16, 16)), get_bound("f", divergence="kl")
    else:
        name = {"infonce": "separable", "shuffle": "concat"}.get(kind, kind)
        critic = build_critic(name, 3, 2, (16, 16), "elu", 8)
        bound = get_bound("infonce" if kind == "infonce" else "dv")
    critic = critic.double()
    trainer = CriticTrainer(ShardedCritic(critic) if world()[1] > 1 else critic, bound, lr=1e-2, ema_rate=0.1)
    generator = torch.Generator().manual_seed(1)
    out = []
    for _ in range(steps):
        x = torch.randn(BATCH, 3, generator=generator, dtype=torch.float64)
        z = x[:, :2] + 0.5 * torch.randn(BATCH, 2, generator=generator, dtype=torch.float64)
        if kind == "two-sample":
            scores = two_sample_scores(trainer.critic, x, x + 1.0)
        elif kind == "shuffle":
            scores = shuffled_scores(trainer.critic, x, z, torch.Generator().manual_seed(2))
        else:
            scores = all_pair_scores(trainer.critic, x, z)
        objective = trainer.objective(scores)
        trainer.optimizer.zero_grad()
        (-objective).backward()
        if isinstance(trainer.critic, ShardedCritic):
            trainer.critic.average_gradients()
        out.append({"objective": objective.item(), "grads": [p.grad.clone() for p in critic.parameters()]})
        trainer.optimizer.step()
    return out


def pooled(bound: str) -> float:
    """A bound pooled over 10 blocks of scores, each rank adding its share (blocks rank, rank + N, ...)."""
    generator = torch.Generator().manual_seed(3)
    rank, size = world()
    value = PooledValue(get_bound(bound))
    for k in range(10):
        matrix = 3.0 * torch.randn(8, 8, generator=generator, dtype=torch.float64) + 5.0 * k
        if k % size == rank:
            value.add(Scores.from_matrix(matrix))
    return float(all_reduce_pooled(value).value())


def fit(kind: str, **params) -> dict:
    """A short fit (float64, seed 0): the estimate and the held-out value at every evaluation."""
    settings = {"hidden": (32, 32), "max_steps": 300, "dtype": "float64", "random_state": 0, "batch_size": 64}
    settings.update(params)
    if kind == "divergence":
        rng = np.random.RandomState(0)
        est = DivergenceEstimator(**settings).fit(rng.randn(3000, 2), rng.randn(3000, 2) + 1.0)
    else:
        x, z = sample_correlated(3000, rho=0.8, dim=3, random_state=0)
        est = MINE(critic=kind, **settings).fit(x, z)
    return {"estimate": est.estimate_, "heldout": [h["heldout"] for h in est.history_], "se": est.se_}


def mismatch(what: str) -> str:
    """The error a fit raises when the ranks' inputs cannot make one global batch."""
    rank, size = world()
    x, z = sample_correlated(600 if what == "batch" else 600 + rank, rho=0.8, dim=2, random_state=rank)
    try:
        MINE(hidden=(8,), max_steps=5, batch_size=63 if what == "batch" else 64, random_state=0).fit(x, z)
    except ValueError as err:
        return str(err)
    return "no error"


def rank_zero_evaluate() -> float | None:
    """A short fit on every rank, then ``evaluate`` on rank 0 alone (nothing collective after fit)."""
    x, z = sample_correlated(800, rho=0.8, dim=2, random_state=0)
    est = MINE(hidden=(16,), max_steps=40, batch_size=32, eval_every=10, random_state=0).fit(x, z)
    return est.evaluate(x[:300], z[:300]) if world()[0] == 0 else None


KINDS = ("separable", "cosine", "concat", "shuffle", "infonce", "two-sample")
BOUNDS = ("dv", "nwj", "infonce", "smile", "js")
MISMATCHES = ("batch", "data")


def bundle() -> dict:
    """Every cheap case in one process group (starting processes costs seconds)."""
    return {
        "first_steps": {kind: first_steps(kind) for kind in KINDS},
        "pooled": {bound: pooled(bound) for bound in BOUNDS},
        "mismatch": {what: mismatch(what) for what in MISMATCHES},
        "rank_zero_evaluate": rank_zero_evaluate(),
    }


CASES = {"first_steps": first_steps, "pooled": pooled, "fit": fit, "mismatch": mismatch, "bundle": bundle}


def _worker(rank: int, size: int, folder: str, case: str, args: tuple, kwargs: dict) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/init", rank=rank, world_size=size)
    try:
        result = CASES[case](*args, **kwargs)
    except Exception:  # rank 0's failure reaches the test; the others' show in its output
        result = RuntimeError(traceback.format_exc())
    if rank == 0:
        torch.save(result, f"{folder}/result")
    dist.destroy_process_group()


def run(case: str, *args, processes: int = 2, **kwargs):
    """``CASES[case](*args, **kwargs)`` in ``processes`` gloo processes; rank 0's result."""
    with tempfile.TemporaryDirectory() as folder:
        mp.spawn(_worker, args=(processes, folder, case, args, kwargs), nprocs=processes)
        result = torch.load(Path(folder) / "result", weights_only=False)
    if isinstance(result, Exception):
        raise result
    return result
