"""Row storage: aligned arrays in memory, and aligned arrays read from storage a batch at a time.

A source (:mod:`mine.sources`) asks its rows for a few things only, the :class:`Rows` contract: how
many there are (``n_rows``, None when unknown), the rows mapped by one function per array (``map``,
a new object), training batches (``stream``) and a bounded sample in memory (``in_memory_sample``,
for fitting the preprocessing and checking columns). :class:`IndexedRows` add a subset by position
(``take``), a random sample (``sample``, the held-out rows that select a training step) and
evaluation blocks (``blocks``).

- :class:`AlignedRows`: numpy arrays or tensors in memory; ``take`` and ``map`` make copies, and a
  batch is an index into tensors already on the device.
- :class:`LazyRows`: rows read on demand through a :class:`RowReader`: memory-mapped arrays
  (``np.load(..., mmap_mode="r")``, ``np.memmap``), any array-like that slices rows lazily (h5py or
  zarr datasets) or a map-style ``torch.utils.data.Dataset``. ``take`` keeps row numbers, ``map``
  keeps the functions, and each batch or block is read, mapped and moved when it is used: memory
  holds one batch, not the data.
- :class:`StreamRows`: batches from an iterable (a ``DataLoader`` over an ``IterableDataset``, a
  generator of fresh samples): its first rows are held out, training reads on after them; not
  indexed, its length unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import torch
from torch import Tensor

from .inputs import as_arrays

__all__ = [
    "IN_MEMORY_ROWS",
    "AlignedRows",
    "ArrayReader",
    "DatasetReader",
    "IndexedRows",
    "LazyRows",
    "RowReader",
    "Rows",
    "StreamRows",
    "StreamState",
    "index_dtype",
]

IN_MEMORY_ROWS = 20_000  # rows of lazily read data held in memory to fit the preprocessing and check columns


@runtime_checkable
class Rows(Protocol):
    """What every kind of row storage answers: rows aligned across arrays (x and z, or samples).

    ``n_rows`` is the number of rows, or None when it is unknown (a stream). ``map`` returns a new
    object whose reads are mapped by one function per array; the original is unchanged.
    """

    row_name: str

    @property
    def n_rows(self) -> int | None:
        """Rows, or None when unknown (a stream)."""

    @property
    def dims(self) -> tuple[int, ...] | None:
        """Columns of each array (None for a stream not read yet)."""

    def map(self, functions: Sequence[Callable]) -> Rows:
        """A new object whose rows are mapped by one function per array."""

    def in_memory_sample(self) -> tuple:
        """Rows in memory (all, or a bounded sample), one array per part."""

    def stream(self, size: int, generator: torch.Generator) -> Iterator[tuple]:
        """Training batches of ``size`` rows."""


@runtime_checkable
class IndexedRows(Rows, Protocol):
    """Rows with a known number (``len``) that can be taken by position, sampled and cut into blocks:
    :class:`AlignedRows` (in memory) and :class:`LazyRows` (read on demand)."""

    def __len__(self) -> int: ...

    def take(self, index) -> IndexedRows:
        """The rows at positions ``index``."""

    def sample(self, max_rows: int, rng: np.random.RandomState) -> AlignedRows:
        """At most ``max_rows`` rows drawn with ``rng``, in memory."""

    def blocks(self, n_blocks: int) -> Sequence[tuple]:
        """The rows cut into ``n_blocks`` contiguous evaluation blocks."""


def index_dtype(n: int) -> type[np.signedinteger]:
    """The dtype of positions into n rows: int32 where n allows (the same numbers as int64 in half the
    memory: 40 MB instead of 80 MB for an order of 10^7 rows), else int64."""
    return np.int32 if n < 2**31 else np.int64


def _composed(first: Sequence[Callable] | None, then: Sequence[Callable]) -> list[Callable]:
    """Per array, ``then`` applied after ``first`` (None: no functions yet)."""
    if first is None:
        return list(then)
    return [lambda a, f=f, g=g: g(f(a)) for f, g in zip(first, then)]


class _BatchStream:
    """Row positions in batches of ``size``, without replacement within an epoch, reshuffled per epoch."""

    def __init__(self, n: int, size: int, generator: torch.Generator, device: torch.device):
        self.n, self.size, self.generator, self.device = n, size, generator, device
        self.dtype = torch.int32 if index_dtype(n) is np.int32 else torch.int64  # the same permutations
        self.order, self.cursor = None, n

    def next(self) -> Tensor:
        if self.cursor + self.size > self.n:
            self.order = None  # free the old order before drawing the next
            self.order, self.cursor = torch.randperm(self.n, generator=self.generator, dtype=self.dtype), 0
        self.cursor += self.size
        return self.order[self.cursor - self.size : self.cursor].to(self.device)


def _sample_positions(n: int, max_rows: int, rng: np.random.RandomState) -> np.ndarray | None:
    """Sorted positions of a random subsample of ``max_rows`` of n rows (None: all rows)."""
    if n <= max_rows:
        return None
    order = np.arange(n, dtype=index_dtype(n))
    rng.shuffle(order)  # rng.choice(n, max_rows, replace=False)'s draws, without its int64 permutation
    return np.sort(order[:max_rows])


class AlignedRows:
    """Arrays (numpy or torch) whose i-th rows belong together, indexed and batched together.

    Parameters
    ----------
    *arrays : ndarray or Tensor
        Arrays with the same number of rows.
    row_name : str
        What a row is, for messages ("rows", "P samples").
    """

    def __init__(self, *arrays, row_name: str = "rows"):
        if len({a.shape[0] for a in arrays}) != 1:
            raise ValueError(f"aligned arrays need the same number of rows, got {[a.shape[0] for a in arrays]}")
        self.arrays, self.row_name = tuple(arrays), row_name

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    @property
    def n_rows(self) -> int:
        """Rows (the same as ``len``)."""
        return len(self)

    @property
    def dims(self) -> tuple[int, ...]:
        """Columns of each array."""
        return tuple(a.shape[1] for a in self.arrays)

    def take(self, index) -> AlignedRows:
        """The rows at ``index`` of every array."""
        return AlignedRows(*(a[index] for a in self.arrays), row_name=self.row_name)

    def map(self, functions: Sequence[Callable]) -> AlignedRows:
        """Apply one function per array."""
        return AlignedRows(*(f(a) for f, a in zip(functions, self.arrays)), row_name=self.row_name)

    def sample(self, max_rows: int, rng: np.random.RandomState) -> AlignedRows:
        """At most ``max_rows`` rows, drawn at random (all rows, themselves, when there are no more)."""
        positions = _sample_positions(len(self), max_rows, rng)
        return self if positions is None else self.take(positions)

    def in_memory_sample(self) -> tuple:
        """The rows in memory, as arrays: all of them."""
        return self.arrays

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


class RowReader:
    """Reads rows of aligned arrays from storage: ``read(rows)`` for sorted row numbers returns one
    numpy array per array, shape (len(rows), d), finite (a reader checks what it reads, or its storage
    was checked whole: ``mine.inputs.check_lazy_array`` for an :class:`ArrayReader`). ``n_rows`` and ``dims``
    describe the storage."""

    n_rows: int
    dims: tuple[int, ...]

    def read(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """The rows at sorted row numbers ``rows``, one array per part."""
        raise NotImplementedError


class ArrayReader(RowReader):
    """Rows of memory-mapped arrays or array-likes that slice rows lazily (1-D ones as one column).

    Parameters
    ----------
    *arrays : array-like
        ``np.memmap``, h5py or zarr datasets with the same number of rows.
    """

    def __init__(self, *arrays):
        self.arrays = arrays
        self.n_rows = int(arrays[0].shape[0])
        self.dims = tuple(1 if a.ndim == 1 else int(a.shape[1]) for a in arrays)

    def read(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """``a[rows]`` of every array (a 1-D one as a column)."""
        out = []
        for a in self.arrays:
            chunk = np.asarray(a[rows])
            out.append(chunk[:, None] if chunk.ndim == 1 else chunk)
        return tuple(out)


class DatasetReader(RowReader):
    """Rows of a map-style ``torch.utils.data.Dataset`` whose item i is the tuple of row i's parts
    (``(x_i, z_i)``, or one part); a batch is ``collate([dataset[i] for i in rows])``.

    Parameters
    ----------
    dataset : Dataset
        Has ``__len__`` and ``__getitem__``.
    collate : callable
        Batches items (a DataLoader's ``collate_fn``; ``default_collate`` stacks them).
    n_arrays : int
        How many arrays an item holds.
    """

    def __init__(self, dataset, collate: Callable, n_arrays: int):
        self.dataset, self.collate, self.n_arrays = dataset, collate, n_arrays
        self.n_rows = len(dataset)
        self.dims = tuple(a.shape[1] for a in self.read(np.arange(min(2, self.n_rows))))

    def read(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """The items at ``rows`` collated (``__getitems__`` when the dataset has it), as arrays."""
        index = [int(i) for i in rows]
        getitems = getattr(self.dataset, "__getitems__", None)  # a batched fetch, as DataLoader uses it
        items = getitems(index) if getitems is not None else [self.dataset[i] for i in index]
        return as_arrays(self.collate(items), self.n_arrays, "the dataset", rows)


class LazyRows:
    """Rows read on demand through a :class:`RowReader`: positions into the storage, and the
    functions ``map`` recorded; a batch or block is read, mapped and returned.

    Parameters
    ----------
    reader : RowReader
        The storage.
    rows : ndarray or None
        Row numbers of this part (None: all rows).
    functions : sequence of callables or None
        One per array, applied to each read (``map``).
    row_name : str
        What a row is, for messages.
    """

    def __init__(self, reader: RowReader, rows: np.ndarray | None = None, functions=None, row_name: str = "rows"):
        self.reader, self.rows, self.functions, self.row_name = reader, rows, functions, row_name

    def __len__(self) -> int:
        return self.reader.n_rows if self.rows is None else len(self.rows)

    @property
    def n_rows(self) -> int:
        """Rows (the same as ``len``)."""
        return len(self)

    @property
    def dims(self) -> tuple[int, ...]:
        """Columns of each array."""
        return self.reader.dims

    def _with(self, rows=None, functions=None) -> LazyRows:
        return LazyRows(self.reader, rows, functions, self.row_name)

    def take(self, index) -> LazyRows:
        """The rows at ``index`` (positions in this part): row numbers only, nothing read."""
        index = np.asarray(index)
        rows = index if self.rows is None else self.rows[index]
        return self._with(rows.astype(index_dtype(self.reader.n_rows), copy=False), self.functions)

    def map(self, functions: Sequence[Callable]) -> LazyRows:
        """Apply one function per array to every read (after those already recorded)."""
        return self._with(self.rows, _composed(self.functions, functions))

    def read(self, positions: np.ndarray) -> tuple:
        """The rows at ``positions`` of this part, in storage order, mapped."""
        rows = np.sort(positions if self.rows is None else self.rows[positions])
        arrays = self.reader.read(rows)  # finite: checked by check_lazy_array or the reader
        if self.functions is None:
            return arrays
        return tuple(f(a) for f, a in zip(self.functions, arrays))

    def sample(self, max_rows: int, rng: np.random.RandomState) -> AlignedRows:
        """At most ``max_rows`` rows drawn at random, read into memory (mapped)."""
        positions = _sample_positions(len(self), max_rows, rng)
        return AlignedRows(*self.read(np.arange(len(self)) if positions is None else positions), row_name=self.row_name)

    def in_memory_sample(self) -> tuple:
        """Rows in memory, as arrays: at most ``IN_MEMORY_ROWS`` drawn at random (seed 0), mapped."""
        return self.sample(IN_MEMORY_ROWS, np.random.RandomState(0)).arrays

    def stream(self, size: int, generator: torch.Generator) -> Iterator[tuple]:
        """Endless batches of ``size`` rows, drawn without replacement within each pass, read one at a time."""
        indices = _BatchStream(len(self), size, generator, torch.device("cpu"))
        while True:
            yield self.read(indices.next().numpy())

    def blocks(self, n_blocks: int) -> _LazyBlocks:
        """The rows cut into ``n_blocks`` contiguous blocks, each read when iterated to."""
        n = len(self)
        edges = [k * (n // n_blocks) + min(k, n % n_blocks) for k in range(n_blocks + 1)]  # as tensor_split
        return _LazyBlocks(self, list(zip(edges[:-1], edges[1:])))


class _LazyBlocks:
    """Blocks of a :class:`LazyRows` given as (start, stop) positions, read one at a time on every
    pass (re-iterable)."""

    def __init__(self, rows: LazyRows, ranges: list[tuple[int, int]]):
        self.rows, self.ranges = rows, ranges

    def __len__(self) -> int:
        return len(self.ranges)

    def __getitem__(self, index: slice) -> _LazyBlocks:
        return _LazyBlocks(self.rows, self.ranges[index])

    def __iter__(self) -> Iterator[tuple]:
        return (self.rows.read(np.arange(start, stop)) for start, stop in self.ranges)


class _RowQueue:
    """A queue of row chunks (tuples of arrays) that hands out exactly n rows at a time."""

    def __init__(self, chunks: Iterator[tuple[np.ndarray, ...]]):
        self.chunks, self.pending = chunks, []

    def _fill(self, n: int) -> int:
        """Read chunks until n rows are pending or the chunks end; the rows pending."""
        have = sum(len(c[0]) for c in self.pending)
        while have < n:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.pending.append(chunk)
            have += len(chunk[0])
        return have

    def take(self, n: int) -> tuple[np.ndarray, ...] | None:
        """The next n rows (or those left; None when there are none), taken out of the queue."""
        if not self._fill(n):
            return None
        joined = tuple(np.concatenate(arrays) for arrays in zip(*self.pending))
        self.pending = [tuple(a[n:] for a in joined)] if len(joined[0]) > n else []
        return tuple(a[:n] for a in joined)

    def peek(self, n: int) -> tuple[np.ndarray, ...] | None:
        """The next n rows (or those left; None when there are none), left in the queue."""
        head = self.take(n)
        if head is not None:
            self.pending.insert(0, head)
        return head

    def drain(self) -> Iterator[tuple[np.ndarray, ...]]:
        """Every chunk left: the pending ones, then the rest of the chunks."""
        pending, self.pending = self.pending, []
        yield from pending
        yield from self.chunks


class StreamState:
    """One stream of batches as every view of it (:class:`StreamRows`) shares it: the iterable, its
    first pass (rows read ahead wait in a queue), the held-out head and the columns.

    Parameters
    ----------
    batches : iterable
        Yields batches: a tuple/list of ``n_arrays`` arrays or tensors (x, z), same rows each.
    n_arrays : int
        Arrays per batch.
    row_name : str
        What a row is, for messages.
    """

    def __init__(self, batches, n_arrays: int, row_name: str = "rows"):
        self.source, self.n_arrays, self.row_name = batches, n_arrays, row_name
        self.one_shot = iter(batches) is batches
        self.queue = _RowQueue(self.checked(iter(batches)))  # the first pass
        self.skip = 0
        self.heldout: AlignedRows | None = None
        self.dims: tuple[int, ...] | None = None

    def checked(self, iterator) -> Iterator[tuple[np.ndarray, ...]]:
        """The batches of one pass as checked arrays (:func:`mine.inputs.as_arrays`), empty ones dropped."""
        for number, batch in enumerate(iterator):
            chunk = as_arrays(batch, self.n_arrays, f"batch {number} of the stream")
            dims = tuple(a.shape[1] for a in chunk)
            if self.dims is not None and dims != self.dims:
                raise ValueError(f"every batch must have the same columns, got {dims} after {self.dims}")
            self.dims = dims
            if len(chunk[0]):
                yield chunk

    def training_chunks(self) -> Iterator[tuple[np.ndarray, ...]]:
        """The rows after the held-out head: the rest of the first pass, then (an iterable that can be
        iterated again) each later pass without its first ``skip`` rows."""
        yield from self.queue.drain()
        while not self.one_shot:
            rest = _RowQueue(self.checked(iter(self.source)))
            skipped = rest.take(self.skip)
            if skipped is None or len(skipped[0]) < self.skip:
                return  # the iterable no longer gives what it gave: stop rather than train on held-out rows
            yield from rest.drain()


class StreamRows:
    """Rows from an iterable of batches: a ``DataLoader`` over an ``IterableDataset``, a generator of
    fresh samples, a list of batches. Nothing is indexed and the number of rows is unknown
    (``n_rows`` is None): the held-out rows are the first ``skip`` rows of the first pass
    (:meth:`split_head`); training reads on from there and, for an iterable that can be iterated
    again, each later pass skips its first ``skip`` rows (so the order must repeat: no shuffling). A
    one-shot iterator is read once: training ends with it. ``map`` gives a new view of the same
    stream; ``rows_read`` counts the rows a view's training batches took.

    Parameters
    ----------
    state : StreamState
        The stream (:meth:`over` makes one from an iterable).
    functions : sequence of callables or None
        One per array, applied to each training batch.
    """

    n_rows = None  # a stream's length is unknown

    def __init__(self, state: StreamState, functions: Sequence[Callable] | None = None):
        self.state, self.functions, self.rows_read = state, functions, 0

    @classmethod
    def over(cls, batches, n_arrays: int, row_name: str = "rows") -> StreamRows:
        """The rows of an iterable of batches of ``n_arrays`` arrays each."""
        return cls(StreamState(batches, n_arrays, row_name))

    @property
    def row_name(self) -> str:
        """What a row is, for messages."""
        return self.state.row_name

    @property
    def dims(self) -> tuple[int, ...] | None:
        """Columns of each array (None until a batch was read)."""
        return self.state.dims

    @property
    def heldout(self) -> AlignedRows | None:
        """The held-out head, in memory (None before :meth:`split_head`)."""
        return self.state.heldout

    def split_head(self, n: int) -> AlignedRows:
        """Hold out the first n rows of the stream (``heldout``, in memory); training reads on after them."""
        head = self.state.queue.take(n)
        if head is None or len(head[0]) < n:
            got = 0 if head is None else len(head[0])
            raise ValueError(
                f"too few samples: the stream ended after {got} {self.row_name}; holding out {n} needs more "
                "(for a finite data set pass arrays or a DataLoader over a map-style Dataset)"
            )
        self.state.skip = n
        self.state.heldout = AlignedRows(*head, row_name=self.row_name)
        return self.state.heldout

    def in_memory_sample(self) -> tuple:
        """The first ``IN_MEMORY_ROWS`` training rows, in memory (read ahead; training replays them),
        mapped by this view's functions."""
        sample = self.state.queue.peek(IN_MEMORY_ROWS)
        if sample is None:
            raise ValueError(f"too few samples: the stream has no {self.row_name} after the {self.state.skip} held out")
        return sample if self.functions is None else tuple(f(a) for f, a in zip(self.functions, sample))

    def map(self, functions: Sequence[Callable]) -> StreamRows:
        """A new view of the same stream, each batch mapped by one function per array (after those of
        this view)."""
        return StreamRows(self.state, _composed(self.functions, functions))

    def stream(self, size: int, generator: torch.Generator) -> Iterator[tuple]:
        """Batches of ``size`` rows in the stream's order until it ends (``generator`` is not used)."""
        rows = _RowQueue(self.state.training_chunks())
        while True:
            batch = rows.take(size)
            if batch is None or len(batch[0]) < size:
                return
            self.rows_read += size
            yield batch if self.functions is None else tuple(f(a) for f, a in zip(self.functions, batch))
