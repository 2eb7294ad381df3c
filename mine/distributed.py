"""Several processes with torch.distributed: one global batch, its score matrix spread over the ranks.

Every rank holds the same data and the same seeds, so every rank draws the same split, the same
preprocessing and the same global batch of ``batch_size`` rows; rank r scores its shard of the
batch (rows r*B/N to (r+1)*B/N; :class:`mine.training.ShardedCritic`) and a gradient-carrying
all_gather (:func:`gather_rows`) shares the result, so the score matrix S spans the global batch
(all B(B-1) negatives, as in one process):

- separable critic: each rank embeds its rows, g(x_r) and h(z_r); the gathered embeddings give
  S = g(x) h(z)^T on every rank (the pattern contrastive learning uses for global negatives);
- any other critic: each rank computes its rows of S, T(x_r, z) against the whole batch, and the
  gathered rows make S (the B^2 critic calls split N ways).

Every rank then computes the same bound and the same moving average from the same S. The
gathered tensors' backward sums the ranks' gradients and keeps a rank's own rows, so that the
parameter gradients, averaged over ranks (:func:`average_gradients`), are exactly one process's
gradient. Held-out blocks are shared out by rank and their pooled sums added
(:func:`all_reduce_pooled`), so early stopping sees the same number on every rank.

Start the processes with ``torchrun``; in a script, call :func:`init_from_env` before ``fit``::

    torchrun --standalone --nproc_per_node 2 my_script.py   # my_script: init_from_env(); MINE().fit(x, z)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

if TYPE_CHECKING:  # in annotations only: these helpers read a bound's and a pooled value's fields
    from .bounds import Bound, PooledValue

__all__ = [
    "all_reduce_pooled",
    "average_gradients",
    "can_pool",
    "check_same",
    "common_seed",
    "gather_rows",
    "init_from_env",
    "is_distributed",
    "is_main_process",
    "world",
]


def world() -> tuple[int, int]:
    """(rank, number of processes) of the default process group; (0, 1) when there is none."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_distributed() -> bool:
    """True when a process group of more than one process is initialized."""
    return world()[1] > 1


def is_main_process() -> bool:
    """True on rank 0 (and in a single process): the rank that prints and saves."""
    return world()[0] == 0


def init_from_env(backend: str | None = None) -> bool:
    """Join the process group torchrun describes (``WORLD_SIZE``, ``RANK``, ``MASTER_ADDR``, ...).

    Does nothing in a plain process (no ``WORLD_SIZE`` or 1) or when a group exists already.
    The backend defaults to NCCL when CUDA is present and gloo otherwise; with CUDA each process
    is given the GPU ``LOCAL_RANK``.

    Parameters
    ----------
    backend : str or None
        "gloo", "nccl" or None (chosen as above).

    Returns
    -------
    bool
        Whether this process now belongs to a group of more than one process.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        cuda = torch.cuda.is_available()
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend or ("nccl" if cuda else "gloo"))
    return is_distributed()


def check_same(values: Sequence[float], what: str) -> None:
    """Raise ValueError unless every rank passes the same ``values`` (e.g. rows and columns of its
    data): the ranks must hold the same data for their shards to make one global batch.

    Parameters
    ----------
    values : sequence of float
        This rank's values.
    what : str
        What they are, for the message.
    """
    _, size = world()
    if size == 1:
        return
    local = torch.tensor([float(v) for v in values], dtype=torch.float64)
    low, high = local.clone(), local.clone()
    dist.all_reduce(low, op=dist.ReduceOp.MIN)
    dist.all_reduce(high, op=dist.ReduceOp.MAX)
    if not torch.equal(low, high):
        raise ValueError(
            f"every process must pass the same data to fit: {what} differ between ranks "
            f"(lowest {low.tolist()}, highest {high.tolist()})"
        )


def common_seed() -> int:
    """A fresh random seed, the same on every rank (rank 0's, broadcast): for ``random_state=None``."""
    seed = torch.randint(0, 2**31 - 1, (1,), dtype=torch.int64)
    if world()[1] > 1:
        dist.broadcast(seed, src=0)
    return int(seed)


class _GatherRows(torch.autograd.Function):
    """all_gather along rows whose backward sums the ranks' gradients and keeps this rank's rows."""

    @staticmethod
    def forward(ctx, local: Tensor) -> Tensor:
        rank, size = world()
        parts = [torch.empty_like(local) for _ in range(size)]
        dist.all_gather(parts, local.contiguous())
        ctx.rows, ctx.rank = local.shape[0], rank
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad)
        return grad[ctx.rank * ctx.rows : (ctx.rank + 1) * ctx.rows]


def gather_rows(local: Tensor) -> Tensor:
    """Every rank's ``local`` rows stacked in rank order, with gradients flowing back to each rank's rows.

    With every rank computing the same loss L from the gathered tensor, rank r's rows receive
    N dL/dx_r (the sum over ranks), so gradients averaged over ranks are one process's gradient.
    Every rank must pass the same number of rows.
    """
    if world()[1] == 1:
        return local
    return _GatherRows.apply(local)


def average_gradients(params: Iterable[Tensor]) -> None:
    """Replace each parameter's gradient by its mean over the ranks (one all_reduce of a flat buffer).

    Parameters
    ----------
    params : iterable of Tensor
        Parameters whose ``.grad`` is set on every rank.
    """
    _, size = world()
    grads = [p.grad for p in params if p.grad is not None]
    if size == 1 or not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= size
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def can_pool(bound: Bound) -> bool:
    """Whether ranks can pool a bound from running sums (:class:`~mine.bounds.PooledValue`); a bound
    without ``terms`` keeps its blocks, so every rank evaluates all of them instead."""
    return bound.needs_matrix or bound.terms is not None


def all_reduce_pooled(pooled: PooledValue, device: torch.device | str = "cpu") -> PooledValue:
    """Every rank's running sums added, so each rank holds the value over all ranks' blocks.

    The log-mean-exp sums s_r = sum exp(b - m_r) are first put on the largest shift m = max_r m_r
    (s_r exp(m_r - m)); a rank with no block adds zeros. Sums without bootstrap weights only (one
    value per rank).

    Parameters
    ----------
    pooled : PooledValue
        This rank's blocks, pooled.
    device : torch.device or str
        Where the collective runs (CUDA for NCCL).

    Returns
    -------
    PooledValue
        ``pooled``, changed in place, its sums in float64.
    """
    _, size = world()
    if size == 1:
        return pooled
    if pooled.kept:
        raise ValueError(f"bound {pooled.bound.name!r} cannot be pooled across ranks (it has no terms)")
    names = ("joint", "joint_weight", "marginal", "marginal_weight")
    shift = -np.inf if pooled.shift is None else float(pooled.shift)
    top = torch.tensor([float(pooled.log), shift], dtype=torch.float64, device=device)
    dist.all_reduce(top, op=dist.ReduceOp.MAX)
    local = [float(pooled.sums.get(name, 0.0)) for name in names]
    if pooled.shift is not None:
        local[2] *= float(np.exp(shift - float(top[1])))
    sums = torch.tensor(local, dtype=torch.float64, device=device)
    dist.all_reduce(sums)
    if not sums[1] > 0:
        raise ValueError("no score blocks to pool on any rank")
    pooled.log = bool(top[0])
    pooled.shift = top[1] if pooled.log else None
    pooled.sums = dict(zip(names, sums.unbind(0)))
    return pooled
