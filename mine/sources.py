"""Data as objects: what the fitting loop asks of the samples it estimates from.

A source owns the user's rows and answers the loop's questions: how the rows split into training
and held-out parts, which per-column preprocessing it fits on a training part, the training batches,
the evaluation blocks, and the critic's scores on a batch or a block.

- :class:`PairedSource`: rows (x_i, z_i) drawn from the joint P(X, Z), for I(X; Z). Scores: the
  B x B matrix (all pairs) or B joint and B deranged pairs (``negatives="shuffle"``). Each of x and
  z gets its own preprocessing (MI is invariant to a map of each).
- :class:`TwoSampleSource`: samples of P and of Q, for D(P || Q), split and batched each on its
  own; one preprocessing shared by both (a divergence is invariant only to a common map).

Both keep their rows in :mod:`mine.data`: :class:`~mine.data.AlignedRows` for arrays in memory,
:class:`~mine.data.LazyRows` for memory-mapped arrays, lazily sliced array-likes and map-style
datasets, read a batch at a time (:func:`rows_of` picks).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .bounds import Scores
from .candidates import TrainingRows
from .critics import all_pair_scores, shuffled_scores, two_sample_scores
from .data import AlignedRows, ArrayReader, DatasetReader, LazyRows, Rows, StreamRows, index_dtype
from .inputs import as_rows, check_paired, is_batches, is_lazy_array
from .preprocessing import fit_preprocessor

__all__ = [
    "NEGATIVES",
    "AlignedRows",
    "PairedSource",
    "Source",
    "TwoSampleSource",
    "batch_rows",
    "paired_source",
    "rows_of",
    "two_sample_source",
    "split_indices",
    "split_sizes",
]

NEGATIVES = ("all", "shuffle")
STREAM_HELDOUT_ROWS = 10_000  # the first rows of a stream, held out (two selection halves of 5,000)
Maps = tuple[tuple[Any, ...], ...]  # per group, one fitted per-column map (transformer) per array


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
    """(train, held-out) row indices per fold: ``folds`` >= 2 cross-fits (the folds of scikit-learn's
    ``KFold(shuffle=True)``), 1 holds out ``ceil(heldout_fraction * n)`` rows (``ShuffleSplit``).

    The same rows as those splitters for the same ``rng`` (tested), in int32 when n allows: at 10^7
    rows their int64 index lists would take 160 MB per fold, twice what these do.

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
    order = np.arange(n, dtype=index_dtype(n))
    rng.shuffle(order)  # the draws of KFold's shuffle and of ShuffleSplit's permutation
    if folds == 1:
        n_heldout = math.ceil(heldout_fraction * n)
        return [(order[n_heldout:], order[:n_heldout])]
    sizes = np.full(folds, n // folds)
    sizes[: n % folds] += 1
    edges = np.concatenate([[0], np.cumsum(sizes)])
    return [
        (np.sort(np.concatenate([order[:start], order[stop:]])), np.sort(order[start:stop]))
        for start, stop in zip(edges[:-1], edges[1:])
    ]


def rows_of(*arrays, row_name: str = "rows") -> AlignedRows | LazyRows:
    """Aligned rows of validated arrays: :class:`~mine.data.LazyRows` over memory-mapped or lazily
    sliced ones (read a batch at a time), :class:`~mine.data.AlignedRows` over arrays in memory.

    Parameters
    ----------
    *arrays : array_like
        Validated arrays with the same number of rows.
    row_name : str
        What a row is, for messages.

    Returns
    -------
    AlignedRows or LazyRows
    """
    if any(is_lazy_array(a) for a in arrays):
        return LazyRows(ArrayReader(*arrays), row_name=row_name)
    return AlignedRows(*arrays, row_name=row_name)


def batch_rows(data, n_arrays: int, row_name: str = "rows") -> AlignedRows | LazyRows | StreamRows:
    """Rows of data given as batches, each holding ``n_arrays`` arrays.

    - A ``DataLoader`` over a map-style ``Dataset`` (or the Dataset itself): the dataset's rows,
      read on demand by index (:class:`~mine.data.LazyRows`), split and batched as arrays are; the
      loader's own batching and shuffling are not used (its ``collate_fn`` is). A ``TensorDataset``
      is its tensors, as arrays in memory.
    - Anything else iterable (a DataLoader over an ``IterableDataset``, a generator of fresh
      samples, a list of batches): a stream (:class:`~mine.data.StreamRows`) whose first
      ``STREAM_HELDOUT_ROWS`` rows are held out.

    Parameters
    ----------
    data : DataLoader, Dataset or iterable
        Yields (x, z) batches (``n_arrays`` = 2) or sample batches (1).
    n_arrays : int
        Arrays per batch or dataset item.
    row_name : str
        What a row is, for messages.

    Returns
    -------
    AlignedRows, LazyRows or StreamRows
    """
    from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, default_collate

    dataset, collate = data, default_collate
    if isinstance(data, DataLoader):
        dataset = data.dataset
        collate = data.collate_fn if data.batch_size is not None else default_collate
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) == n_arrays:  # tensors in memory: as arrays
        names = ("x", "z") if n_arrays == 2 else ("samples",)
        return rows_of(*(as_rows(t, name) for t, name in zip(dataset.tensors, names)), row_name=row_name)
    if isinstance(dataset, Dataset) and not isinstance(dataset, IterableDataset):
        if not hasattr(dataset, "__len__"):
            raise TypeError("a map-style Dataset needs __len__ to be split into training and held-out rows")
        return LazyRows(DatasetReader(dataset, collate, n_arrays), row_name=row_name)
    if isinstance(data, IterableDataset):
        raise TypeError("an IterableDataset yields single rows: wrap it in DataLoader(dataset, batch_size=...)")
    if not hasattr(data, "__iter__"):
        raise TypeError(f"expected a DataLoader, a Dataset or an iterable of batches, got {type(data).__name__}")
    stream = StreamRows.over(data, n_arrays, row_name=row_name)
    stream.split_head(STREAM_HELDOUT_ROWS)
    return stream


def paired_source(x, z=None, negatives: str = "all") -> PairedSource:
    """The source of an MI fit: arrays x and z (validated: :func:`~mine.inputs.check_paired`),
    or, with ``z`` None, x a DataLoader, Dataset or iterable (a list included) of (x, z) batches
    (:func:`batch_rows`).

    Parameters
    ----------
    x : array_like, DataLoader, Dataset or iterable
        Samples of X, or batches of (x, z).
    z : array_like or None
        Samples of Z (None when x gives batches).
    negatives : {"all", "shuffle"}
        Training negatives.

    Returns
    -------
    PairedSource
    """
    if z is not None:
        if is_batches(x) or is_batches(z):
            raise TypeError("pass either arrays x and z, or one DataLoader/iterable of (x, z) batches as x with z=None")
        return PairedSource(*check_paired(x, z), negatives=negatives)
    if not (is_batches(x) or isinstance(x, (list, tuple))):  # without z, a list is a list of batches
        raise TypeError(
            f"z is missing: pass arrays x and z, or a DataLoader/iterable of (x, z) batches as x (got x of type "
            f"{type(x).__name__})"
        )
    return PairedSource.from_rows(batch_rows(x, 2), negatives)


def two_sample_source(p, q) -> TwoSampleSource:
    """The source of a divergence fit: each of p and q an array (validated) or a DataLoader, Dataset
    or iterable of sample batches; the same number of columns in both, and both streams or neither.

    Parameters
    ----------
    p, q : array_like, DataLoader, Dataset or iterable
        Samples of P and of Q.

    Returns
    -------
    TwoSampleSource
    """
    groups = [
        batch_rows(data, 1, row_name) if is_batches(data) else rows_of(as_rows(data, name), row_name=row_name)
        for data, name, row_name in ((p, "p_samples", "P samples"), (q, "q_samples", "Q samples"))
    ]
    if sum(isinstance(g, StreamRows) for g in groups) == 1:
        raise TypeError(
            "p_samples and q_samples must both be streams (iterables of batches) or neither: a stream's held-out "
            "rows are its first rows, an array's a random part; pass both as arrays, datasets or streams"
        )
    (p_dim,), (q_dim,) = (g.dims for g in groups)
    if p_dim != q_dim:
        raise ValueError(f"p_samples and q_samples must have the same number of columns, got {p_dim} and {q_dim}")
    return TwoSampleSource.from_rows(*groups)


class _ZippedBlocks:
    """The blocks of several groups side by side, every array in one flat tuple, read on each pass."""

    def __init__(self, per_group: Sequence):
        self.per_group = per_group

    def __len__(self) -> int:
        return len(self.per_group[0])

    def __iter__(self) -> Iterator[tuple]:
        return (tuple(t for part in parts for t in part) for parts in zip(*self.per_group))


class Source:
    """Groups of aligned rows (:class:`~mine.data.Rows`); each group is split and batched on its own.

    Parameters
    ----------
    *groups : Rows
        The groups: (x, z) rows for MI, the samples of P and of Q for a divergence.
    """

    def __init__(self, *groups: Rows):
        self.groups = tuple(groups)

    def _with(self, groups: Sequence[Rows]) -> Source:
        """A source of the same kind and settings over other rows (each subclass says how)."""
        raise NotImplementedError

    @property
    def n_rows(self) -> int | None:
        """Rows in all groups together (None when a stream's length is unknown)."""
        counts = [g.n_rows for g in self.groups]
        return None if None in counts else sum(counts)

    @property
    def dims(self) -> tuple[int, ...]:
        """Columns of the critic's inputs."""
        raise NotImplementedError

    def split(
        self, folds: int, heldout_fraction: float, rng: np.random.RandomState, min_train: int = 2, min_heldout: int = 2
    ) -> list[tuple[Source, Source]]:
        """(train, held-out) sources per fold; a training part keeps at least ``min_train`` rows (the
        batch size), a held-out part at least ``min_heldout``. A stream has one split whatever
        ``folds``: its held-out rows, set aside when it was made (``StreamRows.split_head``), and
        the rest of the stream."""
        if self.streaming:
            return [(self, self._with([g.heldout for g in self.groups]))]
        how = f"heldout_fraction={heldout_fraction}" if folds == 1 else f"folds={folds}"
        for group in self.groups:
            n_train, n_heldout = split_sizes(len(group), folds, heldout_fraction)
            if n_heldout < min_heldout or n_train < 2:
                raise ValueError(
                    f"too few samples: {len(group)} {group.row_name} leave {n_train} for training and "
                    f"{n_heldout} held out ({how}); training needs at least 2, the held-out part "
                    f"{min_heldout}"
                )
            if n_train < min_train:
                raise ValueError(
                    f"batch_size={min_train} is larger than the training set ({n_train} of {len(group)} "
                    f"{group.row_name}, {how}); lower batch_size or add data"
                )
        per_group = [
            [(g.take(train), g.take(heldout)) for train, heldout in split_indices(len(g), folds, heldout_fraction, rng)]
            for g in self.groups
        ]
        return [
            tuple(self._with([parts[k][part] for parts in per_group]) for part in (0, 1))
            for k in range(len(per_group[0]))
        ]

    @property
    def lazy(self) -> bool:
        """True when the rows are read from storage or a stream a batch at a time."""
        return any(isinstance(g, (LazyRows, StreamRows)) for g in self.groups)

    @property
    def streaming(self) -> bool:
        """True when the rows come from a stream (one split: its first rows held out)."""
        return any(isinstance(g, StreamRows) for g in self.groups)

    def in_memory(self, max_rows: int) -> bool:
        """Whether every row is in memory already, at most ``max_rows`` of each group."""
        return not self.lazy and all(len(g) <= max_rows for g in self.groups)

    def subsample(self, max_rows: int, rng: np.random.RandomState) -> Source:
        """At most ``max_rows`` rows of each group drawn with ``rng``, read into memory."""
        return self._with([g.sample(max_rows, rng) for g in self.groups])

    def fit_maps(self, kind: str) -> Maps:
        """Per group, one per-column map per array (``kind``: a name of ``mine.preprocessing``) fitted
        on these rows (at most ``mine.data.IN_MEMORY_ROWS`` of them, drawn at random, when they are
        read lazily)."""
        raise NotImplementedError

    def prepared(self, maps: Maps, dtype: torch.dtype, device: torch.device) -> Source:
        """The rows mapped by ``maps`` (:meth:`fit_maps`) as tensors of ``dtype`` on ``device``."""

        def to_tensor(transformer):
            return lambda a: torch.as_tensor(transformer.transform(a), dtype=dtype, device=device)

        return self._with([g.map([to_tensor(t) for t in ts]) for g, ts in zip(self.groups, maps)])

    def in_memory_sample(self) -> tuple:
        """Every array of every group in memory: all rows, or a sample of rows read lazily or streamed."""
        return tuple(a for g in self.groups for a in g.in_memory_sample())

    def fingerprint(self, rows: int = 1000) -> list[float]:
        """Each group's row count and each array's sum over its first ``rows`` rows: what the ranks
        compare to know they hold the same data."""
        sums = [float(np.asarray(a[:rows], dtype=np.float64).sum()) for a in self.in_memory_sample()]
        return [len(g) for g in self.groups] + sums

    def rows_per_batch(self, size: int) -> int:
        """Rows a training batch of ``size`` takes: ``size`` of every group."""
        return size * len(self.groups)

    def training_rows(self, maps: Maps) -> TrainingRows:
        """The rows a candidate family is fitted on (:mod:`mine.candidates`): paired rows only."""
        raise TypeError(f"closed-form candidates are fitted on paired rows, not on a {type(self).__name__}")

    def batches(self, size: int, generator: torch.Generator) -> Iterator[tuple[Tensor, ...]]:
        """Training batches: ``size`` rows of every group, all arrays in one flat tuple; endless, except
        from a stream that ends."""
        streams = [g.stream(size, generator) for g in self.groups]
        while True:
            parts = [next(s, None) for s in streams]
            if any(p is None for p in parts):
                return
            yield tuple(t for part in parts for t in part)

    def blocks(self, rows: int, shard: tuple[int, int] = (0, 1)) -> Sequence[tuple[Tensor, ...]]:
        """The rows cut into the same number of blocks in every group, about ``rows`` rows each: a list
        in memory, or a re-iterable that reads one block at a time from lazily read rows. ``shard``
        = (rank, processes): only blocks rank, rank + processes, ... (a rank's share)."""
        n_blocks = max(1, min(len(g) for g in self.groups) // rows)
        rank, size = shard
        per_group = [g.blocks(n_blocks)[rank::size] for g in self.groups]
        if self.lazy:
            return _ZippedBlocks(per_group)
        return [tuple(t for part in parts for t in part) for parts in zip(*per_group)]

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

    def __init__(self, x=None, z=None, negatives: str = "all", rows: Rows | None = None):
        if (rows is None) == (x is None or z is None):
            raise TypeError("PairedSource takes arrays x and z, or rows")
        super().__init__(rows if rows is not None else rows_of(x, z, row_name="rows"))
        self.negatives = negatives

    @classmethod
    def from_rows(cls, rows: Rows, negatives: str = "all") -> PairedSource:
        """A source over rows already stored (e.g. :class:`~mine.data.LazyRows` of a dataset)."""
        return cls(negatives=negatives, rows=rows)

    def _with(self, groups: Sequence[Rows]) -> PairedSource:
        (rows,) = groups
        return PairedSource(negatives=self.negatives, rows=rows)

    @property
    def dims(self) -> tuple[int, int]:
        """Columns of x and of z."""
        return tuple(self.groups[0].dims)

    def fit_maps(self, kind: str) -> Maps:
        """One map for x and one for z (MI is invariant to each separately)."""
        return (tuple(fit_preprocessor(kind, a) for a in self.groups[0].in_memory_sample()),)

    def training_rows(self, maps: Maps) -> TrainingRows:
        """x and z in memory (all rows, or a sample of rows read lazily) with their maps (what
        :meth:`fit_maps` returned; empty when the rows were not mapped)."""
        return TrainingRows.of(*self.groups[0].in_memory_sample(), maps=maps[0] if maps else ())

    def scores(self, critic, batch, generator=None) -> Scores:
        """All pairs of the batch, or B shuffled pairs with ``negatives="shuffle"``."""
        if self.negatives == "shuffle":
            return shuffled_scores(critic, *batch, generator)
        return all_pair_scores(critic, *batch)

    def eval_scores(self, critic, block) -> Scores:
        """All pairs of the block, whatever the training negatives."""
        return all_pair_scores(critic, *block)

    def shuffled(self, order: Tensor) -> PairedSource:
        """The same x with z's rows taken in ``order`` (a permutation): pairs drawn from the product of
        the marginals, for permutation tests. Rows in memory only."""
        rows = self.groups[0]
        if not isinstance(rows, AlignedRows):
            raise TypeError("a permutation test needs the rows in memory: pass arrays, not memory maps or streams")
        x, z = rows.arrays
        return self._with([AlignedRows(x, z[order], row_name=rows.row_name)])


class TwoSampleSource(Source):
    """Samples of P and of Q (any sizes), for D(P || Q); the scores are V on each sample.

    Parameters
    ----------
    p, q : ndarray of shape (n_p, d) and (n_q, d)
        Validated samples of P and of Q.
    """

    def __init__(self, p=None, q=None, rows: tuple[Rows, Rows] | None = None):
        if (rows is None) == (p is None or q is None):
            raise TypeError("TwoSampleSource takes arrays p and q, or rows")
        super().__init__(
            *(rows if rows is not None else (rows_of(p, row_name="P samples"), rows_of(q, row_name="Q samples")))
        )

    @classmethod
    def from_rows(cls, p_rows: Rows, q_rows: Rows) -> TwoSampleSource:
        """A source over rows already stored (arrays, lazily read rows or streams)."""
        return cls(rows=(p_rows, q_rows))

    def _with(self, groups: Sequence[Rows]) -> TwoSampleSource:
        p_rows, q_rows = groups
        return TwoSampleSource(rows=(p_rows, q_rows))

    @property
    def dim(self) -> int:
        """Columns of the samples."""
        return self.groups[0].dims[0]

    @property
    def dims(self) -> tuple[int]:
        """Columns of the critic's input: (d,)."""
        return (self.dim,)

    def fit_maps(self, kind: str) -> Maps:
        """One map fitted on P and Q together, applied to both (a divergence is invariant only to a
        common map)."""
        shared = fit_preprocessor(kind, np.concatenate([g.in_memory_sample()[0] for g in self.groups]))
        return ((shared,), (shared,))

    def scores(self, critic, batch, generator=None) -> Scores:
        """V on the batch of P (joint scores) and of Q (marginal scores)."""
        return two_sample_scores(critic, *batch)
