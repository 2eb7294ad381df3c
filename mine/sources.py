"""Data as objects: what the fitting loop asks of the samples it estimates from.

A source owns the user's rows and answers the loop's questions: how the rows split into training
and held-out parts, which per-column preprocessing it fits on a training part, the training batches,
the evaluation blocks, and the critic's scores on a batch or a block.

- :class:`PairedSource`: rows (x_i, z_i) drawn from the joint P(X, Z), for I(X; Z). Scores: the
  B x B matrix (all pairs) or B joint and B deranged pairs (``negatives="shuffle"``). Each of x and
  z gets its own preprocessing (MI is invariant to a map of each).
- :class:`TwoSampleSource`: samples of P and of Q, for D(P || Q), split and batched each on its
  own; one preprocessing shared by both (a divergence is invariant only to a common map).

Both keep their arrays in :class:`AlignedRows` (arrays whose i-th rows belong together). Arrays in
memory are the first kind of storage; memory-mapped arrays, a ``DataLoader`` and a distributed
sampler plug in here, behind the same questions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import KFold, ShuffleSplit
from torch import Tensor, nn

from .bounds import Scores
from .critics import all_pair_scores, shuffled_scores, two_sample_scores
from .preprocessing import fit_preprocessor

__all__ = [
    "NEGATIVES",
    "AlignedRows",
    "PairedSource",
    "Source",
    "TwoSampleSource",
    "shared_columns",
    "split_indices",
    "split_sizes",
    "tied_columns",
]

NEGATIVES = ("all", "shuffle")
Preprocessing = tuple[tuple[Any, ...], ...]  # per group, one fitted transformer per array


def split_sizes(n: int, folds: int, heldout_fraction: float) -> tuple[int, int]:
    """The smallest training and held-out part that :func:`split_indices` makes of n rows.

    Parameters
    ----------
    n : int
        Rows.
    folds : int
        Cross-fitting folds (1: one held-out part).
    heldout_fraction : float
        Share held out when ``folds`` is 1.

    Returns
    -------
    (int, int)
        The smallest training part and the smallest held-out part.
    """
    if folds == 1:
        n_heldout = math.ceil(heldout_fraction * n)
        return n - n_heldout, n_heldout
    return n - math.ceil(n / folds), n // folds


def split_indices(
    n: int,
    folds: int,
    heldout_fraction: float,
    rng: np.random.RandomState,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, held-out) row indices: ``folds`` >= 2 cross-fits (``KFold``), 1 holds out
    ``ceil(heldout_fraction * n)`` rows (``ShuffleSplit``).

    Parameters
    ----------
    n : int
        Rows.
    folds : int
        Cross-fitting folds (1: one held-out part).
    heldout_fraction : float
        Share held out when ``folds`` is 1.
    rng : RandomState
        Source of the shuffle.

    Returns
    -------
    list of (ndarray, ndarray)
        Training and held-out indices per fold.
    """
    if folds == 1:
        splitter = ShuffleSplit(n_splits=1, test_size=heldout_fraction, random_state=rng)
    else:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=rng)
    return list(splitter.split(np.empty((n, 0))))


def shared_columns(x: np.ndarray, z: np.ndarray) -> list[tuple[int, int]]:
    """(i, j) for every column i of x equal to column j of z (hashes of the column bytes, then an exact
    check): a copy makes the MI of continuous data infinite.

    Parameters
    ----------
    x, z : ndarray of shape (n, d_x) and (n, d_z)
        The paired samples.

    Returns
    -------
    list of (int, int)
    """
    keys = {}
    for j in range(z.shape[1]):
        keys.setdefault(hash(np.ascontiguousarray(z[:, j]).tobytes()), []).append(j)
    return [
        (i, j)
        for i in range(x.shape[1])
        for j in keys.get(hash(np.ascontiguousarray(x[:, i]).tobytes()), [])
        if np.array_equal(x[:, i], z[:, j])
    ]


def tied_columns(data: np.ndarray, share: float = 0.5) -> list[tuple[int, int]]:
    """(column, distinct values) for every column with fewer than ``share`` * n distinct values.

    Parameters
    ----------
    data : ndarray of shape (n, d)
        The samples.
    share : float
        A column with fewer than ``share * n`` distinct values is reported.

    Returns
    -------
    list of (int, int)
    """
    n = data.shape[0]
    counts = [(j, len(np.unique(data[:, j]))) for j in range(data.shape[1])]
    return [(j, k) for j, k in counts if k < share * n]


class _BatchStream:
    """Row indices in batches of ``size``, without replacement within an epoch, reshuffled per epoch."""

    def __init__(self, n: int, size: int, generator: torch.Generator, device: torch.device):
        self.n, self.size, self.generator, self.device = n, size, generator, device
        self.order, self.cursor = torch.arange(n), n

    def next(self) -> Tensor:
        if self.cursor + self.size > self.n:
            self.order, self.cursor = torch.randperm(self.n, generator=self.generator), 0
        self.cursor += self.size
        return self.order[self.cursor - self.size : self.cursor].to(self.device)


class AlignedRows:
    """Arrays (numpy or torch) whose i-th rows belong together, indexed and batched together.

    Parameters
    ----------
    *arrays : ndarray or Tensor
        Arrays with the same number of rows.
    what : str
        What a row is, for messages ("rows", "P samples").
    """

    def __init__(self, *arrays, what: str = "rows"):
        if len({a.shape[0] for a in arrays}) != 1:
            raise ValueError(f"aligned arrays need the same number of rows, got {[a.shape[0] for a in arrays]}")
        self.arrays, self.what = tuple(arrays), what

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def take(self, index) -> AlignedRows:
        """The rows at ``index`` of every array."""
        return AlignedRows(*(a[index] for a in self.arrays), what=self.what)

    def map(self, functions: Sequence) -> AlignedRows:
        """Apply one function per array."""
        return AlignedRows(*(f(a) for f, a in zip(functions, self.arrays)), what=self.what)

    def stream(self, size: int, generator: torch.Generator) -> Iterator[tuple[Tensor, ...]]:
        """Endless batches of ``size`` rows, drawn without replacement within each pass."""
        device = self.arrays[0].device if isinstance(self.arrays[0], Tensor) else torch.device("cpu")
        indices = _BatchStream(len(self), size, generator, device)
        while True:
            index = indices.next()
            yield tuple(a[index] for a in self.arrays)

    def blocks(self, n_blocks: int) -> list[tuple]:
        """The rows cut into ``n_blocks`` contiguous blocks of nearly equal size."""
        return list(zip(*(torch.tensor_split(a, n_blocks) for a in self.arrays)))


class Source:
    """Groups of aligned rows; each group is split and batched on its own."""

    def __init__(self, *groups: AlignedRows):
        self.groups = groups

    def _with(self, groups: Sequence[AlignedRows]) -> Source:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__, groups=tuple(groups))
        return new

    @property
    def n_rows(self) -> int:
        """Rows in all groups together."""
        return sum(len(g) for g in self.groups)

    def split(
        self, folds: int, heldout_fraction: float, rng: np.random.RandomState, min_train: int = 2, min_heldout: int = 2
    ) -> list[tuple[Source, Source]]:
        """(train, held-out) sources per fold; a training part keeps at least ``min_train`` rows (the
        batch size), a held-out part at least ``min_heldout``."""
        how = f"heldout_fraction={heldout_fraction}" if folds == 1 else f"folds={folds}"
        for group in self.groups:
            n_train, n_heldout = split_sizes(len(group), folds, heldout_fraction)
            if n_heldout < min_heldout or n_train < 2:
                raise ValueError(
                    f"too few samples: {len(group)} {group.what} leave {n_train} for training and "
                    f"{n_heldout} held out ({how}); training needs at least 2, the held-out part "
                    f"{min_heldout}"
                )
            if n_train < min_train:
                raise ValueError(
                    f"batch_size={min_train} is larger than the training set ({n_train} of {len(group)} "
                    f"{group.what}, {how}); lower batch_size or add data"
                )
        per_group = [split_indices(len(g), folds, heldout_fraction, rng) for g in self.groups]
        return [
            tuple(self._with([g.take(s[k][part]) for g, s in zip(self.groups, per_group)]) for part in (0, 1))
            for k in range(len(per_group[0]))
        ]

    def fit_preprocessing(self, kind: str) -> Preprocessing:
        """Per group, one fitted per-column map per array (``mine.preprocessing``), on these rows."""
        raise NotImplementedError

    def prepared(self, preprocessing: Preprocessing, dtype: torch.dtype, device: torch.device) -> Source:
        """The rows mapped by ``preprocessing`` as tensors of ``dtype`` on ``device``."""

        def to_tensor(transformer):
            return lambda a: torch.as_tensor(transformer.transform(a), dtype=dtype, device=device)

        return self._with([g.map([to_tensor(t) for t in ts]) for g, ts in zip(self.groups, preprocessing)])

    def batches(self, size: int, generator: torch.Generator) -> Iterator[tuple[Tensor, ...]]:
        """Endless training batches: ``size`` rows of every group, all arrays in one flat tuple."""
        streams = [g.stream(size, generator) for g in self.groups]
        while True:
            yield tuple(t for s in streams for t in next(s))

    def blocks(self, rows: int) -> list[tuple[Tensor, ...]]:
        """The rows cut into the same number of blocks in every group, about ``rows`` rows each."""
        n_blocks = max(1, min(len(g) for g in self.groups) // rows)
        return [tuple(t for part in parts for t in part) for parts in zip(*(g.blocks(n_blocks) for g in self.groups))]

    def scores(self, critic: nn.Module, batch: tuple[Tensor, ...], generator: torch.Generator | None = None) -> Scores:
        """The critic's scores on a training batch."""
        raise NotImplementedError

    def eval_scores(self, critic: nn.Module, block: tuple[Tensor, ...]) -> Scores:
        """The critic's scores on an evaluation block."""
        return self.scores(critic, block)


class PairedSource(Source):
    """Rows (x_i, z_i) that are joint draws of (X, Z): the data of an MI estimate.

    x, z : validated 2-D arrays with the same number of rows. ``negatives``: all B(B-1)
    off-diagonal pairs of a training batch, or B pairs with z deranged (MINE paper). Evaluation
    blocks are always scored on all pairs.

    Parameters
    ----------
    x, z : ndarray of shape (n, d_x) and (n, d_z)
        Validated paired samples.
    negatives : {"all", "shuffle"}
        Training negatives.
    """

    def __init__(self, x, z, negatives: str = "all"):
        super().__init__(AlignedRows(x, z, what="rows"))
        self.negatives = negatives

    @property
    def dims(self) -> tuple[int, int]:
        """Columns of x and of z."""
        x, z = self.groups[0].arrays
        return x.shape[1], z.shape[1]

    def fit_preprocessing(self, kind: str) -> Preprocessing:
        """One map for x and one for z (MI is invariant to each separately)."""
        return (tuple(fit_preprocessor(kind, a) for a in self.groups[0].arrays),)

    def scores(self, critic, batch, generator=None) -> Scores:
        """All pairs of the batch, or B shuffled pairs with ``negatives="shuffle"``."""
        if self.negatives == "shuffle":
            return shuffled_scores(critic, *batch, generator)
        return all_pair_scores(critic, *batch)

    def eval_scores(self, critic, block) -> Scores:
        """All pairs of the block, whatever the training negatives."""
        return all_pair_scores(critic, *block)


class TwoSampleSource(Source):
    """Samples of P and of Q (any sizes), for D(P || Q); the scores are V on each sample.

    Parameters
    ----------
    p, q : ndarray of shape (n_p, d) and (n_q, d)
        Validated samples of P and of Q.
    """

    def __init__(self, p, q):
        super().__init__(AlignedRows(p, what="P samples"), AlignedRows(q, what="Q samples"))

    @property
    def dim(self) -> int:
        """Columns of the samples."""
        return self.groups[0].arrays[0].shape[1]

    def fit_preprocessing(self, kind: str) -> Preprocessing:
        """One map fitted on P and Q together, applied to both (a divergence is invariant only to a
        common map)."""
        shared = fit_preprocessor(kind, np.concatenate([g.arrays[0] for g in self.groups]))
        return ((shared,), (shared,))

    def scores(self, critic, batch, generator=None) -> Scores:
        """V on the batch of P (joint scores) and of Q (marginal scores)."""
        return two_sample_scores(critic, *batch)
