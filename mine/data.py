"""Row storage: aligned arrays in memory, and aligned arrays read from storage a batch at a time.

A source (:mod:`mine.sources`) asks its rows for a few things only: how many there are, a subset by
position (``take``), the rows mapped by one function per array (``map``), endless training batches
(``stream``), evaluation blocks (``blocks``) and a bounded sample of rows in memory
(``sample``, for fitting the preprocessing and for the held-out rows that select a training step).

- :class:`AlignedRows`: numpy arrays or tensors in memory; ``take`` and ``map`` make copies, and a
  batch is an index into tensors already on the device.
- :class:`LazyRows`: rows read on demand through a :class:`RowReader`: memory-mapped arrays
  (``np.load(..., mmap_mode="r")``, ``np.memmap``), any array-like that slices rows lazily (h5py or
  zarr datasets) or a map-style ``torch.utils.data.Dataset``. ``take`` keeps row numbers, ``map``
  keeps the functions, and each batch or block is read, mapped and moved when it is used: memory
  holds one batch, not the data.
- :class:`StreamRows`: batches from an iterable (a ``DataLoader`` over an ``IterableDataset``, a
  generator of fresh samples): its first rows are held out, training reads on after them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import Tensor

__all__ = ["RESIDENT_ROWS", "AlignedRows", "ArrayReader", "DatasetReader", "LazyRows", "RowReader", "StreamRows"]

RESIDENT_ROWS = 20_000  # rows of lazily read data held in memory to fit the preprocessing and check columns


class _BatchStream:
    """Row positions in batches of ``size``, without replacement within an epoch, reshuffled per epoch."""

    def __init__(self, n: int, size: int, generator: torch.Generator, device: torch.device):
        self.n, self.size, self.generator, self.device = n, size, generator, device
        # int32 positions where n allows: the same permutations as int64, half the memory (40 MB at 10^7)
        self.dtype = torch.int32 if n < 2**31 else torch.int64
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
    order = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
    rng.shuffle(order)  # rng.choice(n, max_rows, replace=False)'s draws, without its int64 permutation
    return np.sort(order[:max_rows])


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

    @property
    def dims(self) -> tuple[int, ...]:
        """Columns of each array."""
        return tuple(a.shape[1] for a in self.arrays)

    def take(self, index) -> AlignedRows:
        """The rows at ``index`` of every array."""
        return AlignedRows(*(a[index] for a in self.arrays), what=self.what)

    def map(self, functions: Sequence[Callable]) -> AlignedRows:
        """Apply one function per array."""
        return AlignedRows(*(f(a) for f, a in zip(functions, self.arrays)), what=self.what)

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
    was checked whole: ``check_lazy_array`` for an :class:`ArrayReader`). ``n_rows`` and ``dims``
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
    parts : int
        How many arrays an item holds.
    """

    def __init__(self, dataset, collate: Callable, parts: int):
        self.dataset, self.collate, self.parts = dataset, collate, parts
        self.n_rows = len(dataset)
        self.dims = tuple(a.shape[1] for a in self.read(np.arange(min(2, self.n_rows))))

    def read(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """The items at ``rows`` collated (``__getitems__`` when the dataset has it), as arrays."""
        index = [int(i) for i in rows]
        getitems = getattr(self.dataset, "__getitems__", None)  # a batched fetch, as DataLoader uses it
        items = getitems(index) if getitems is not None else [self.dataset[i] for i in index]
        return _as_parts(self.collate(items), self.parts, "the dataset", rows)


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
    what : str
        What a row is, for messages.
    """

    def __init__(self, reader: RowReader, rows: np.ndarray | None = None, functions=None, what: str = "rows"):
        self.reader, self.rows, self.functions, self.what = reader, rows, functions, what

    def __len__(self) -> int:
        return self.reader.n_rows if self.rows is None else len(self.rows)

    @property
    def dims(self) -> tuple[int, ...]:
        """Columns of each array."""
        return self.reader.dims

    def _with(self, rows=None, functions=None) -> LazyRows:
        return LazyRows(self.reader, rows, functions, self.what)

    def take(self, index) -> LazyRows:
        """The rows at ``index`` (positions in this part): row numbers only, nothing read."""
        index = np.asarray(index)
        rows = index if self.rows is None else self.rows[index]
        dtype = np.int32 if self.reader.n_rows < 2**31 else np.int64
        return self._with(rows.astype(dtype, copy=False), self.functions)

    def map(self, functions: Sequence[Callable]) -> LazyRows:
        """Apply one function per array to every read (after those already recorded)."""
        functions = list(functions)
        if self.functions is not None:
            functions = [lambda a, f=f, g=g: g(f(a)) for f, g in zip(self.functions, functions)]
        return self._with(self.rows, functions)

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
        return AlignedRows(*self.read(np.arange(len(self)) if positions is None else positions), what=self.what)

    def in_memory_sample(self) -> tuple:
        """Rows in memory, as arrays: at most ``RESIDENT_ROWS`` drawn at random (seed 0), mapped."""
        return self.sample(RESIDENT_ROWS, np.random.RandomState(0)).arrays

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


def _as_parts(batch, parts: int, where: str, rows: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """A batch (of a stream or a dataset) as ``parts`` 2-D numeric arrays with the same number of
    rows, all finite; errors name ``where`` and the row (its number in ``rows`` when given)."""
    if isinstance(batch, dict):
        batch = tuple(batch.values())
    if isinstance(batch, (Tensor, np.ndarray)) and parts == 1:
        batch = (batch,)
    if not isinstance(batch, (tuple, list)) or len(batch) != parts:
        got = f"{len(batch)} parts" if isinstance(batch, (tuple, list)) else f"a {type(batch).__name__}"
        raise ValueError(f"each batch must hold {parts} part(s) ({'(x, z)' if parts == 2 else 'samples'}), got {got}")
    out = []
    for part in batch:
        array = part.detach().cpu().numpy() if isinstance(part, Tensor) else np.asarray(part)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) or np.iscomplexobj(array):
            raise TypeError(f"batches must be real and numeric, got dtype {array.dtype}")
        array = array[:, None] if array.ndim == 1 else array.reshape(array.shape[0], -1)
        out.append(array)
    if len({a.shape[0] for a in out}) != 1:
        raise ValueError(f"the parts of a batch must have the same number of rows, got {[a.shape[0] for a in out]}")
    for array in out:
        finite = np.isfinite(array).all(axis=1)
        if not finite.all():
            first = int(np.argmin(finite))
            row = f"row {rows[first]}" if rows is not None else f"row {first} of it"
            raise ValueError(f"{where} contains NaN or infinite values ({row})")
    return tuple(out)


class _Rows:
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


class StreamRows:
    """Rows from an iterable of batches: a ``DataLoader`` over an ``IterableDataset``, a generator of
    fresh samples, a list of batches. Nothing is indexed: the held-out rows are the first ``skip``
    rows of the first pass (:meth:`split_head`); training reads on from there and, for an iterable
    that can be iterated again, each later pass skips its first ``skip`` rows (so the order must
    repeat: no shuffling). A one-shot iterator is read once: training ends with it.

    Parameters
    ----------
    batches : iterable
        Yields batches: a tuple/list of ``parts`` arrays or tensors (x, z), same rows each.
    parts : int
        Arrays per batch.
    what : str
        What a row is, for messages.
    """

    def __init__(self, batches, parts: int, what: str = "rows"):
        self.source, self.parts, self.what = batches, parts, what
        self.one_shot = iter(batches) is batches
        self.queue = _Rows(self._chunks(iter(batches)))  # the first pass; rows read ahead wait in it
        self.skip, self.functions, self.rows_read = 0, None, 0
        self.dims = None

    def _chunks(self, iterator) -> Iterator[tuple[np.ndarray, ...]]:
        for number, batch in enumerate(iterator):
            chunk = _as_parts(batch, self.parts, f"batch {number} of the stream")
            dims = tuple(a.shape[1] for a in chunk)
            if self.dims is not None and dims != self.dims:
                raise ValueError(f"every batch must have the same columns, got {dims} after {self.dims}")
            self.dims = dims
            if len(chunk[0]):
                yield chunk

    def split_head(self, n: int) -> AlignedRows:
        """Hold out the first n rows of the stream (``heldout``, in memory); training reads on after them."""
        head = self.queue.take(n)
        if head is None or len(head[0]) < n:
            got = 0 if head is None else len(head[0])
            raise ValueError(
                f"too few samples: the stream ended after {got} {self.what}; holding out {n} needs more "
                "(for a finite data set pass arrays or a DataLoader over a map-style Dataset)"
            )
        self.skip = n
        self.heldout = AlignedRows(*head, what=self.what)
        return self.heldout

    def _training_chunks(self) -> Iterator[tuple[np.ndarray, ...]]:
        yield from self.queue.drain()  # the first pass, from where the held-out rows ended
        while not self.one_shot:
            rest = _Rows(self._chunks(iter(self.source)))
            skipped = rest.take(self.skip)
            if skipped is None or len(skipped[0]) < self.skip:
                return  # the iterable no longer gives what it gave: stop rather than train on held-out rows
            yield from rest.drain()

    def __len__(self) -> int:
        """Rows read for training so far."""
        return self.rows_read

    def in_memory_sample(self) -> tuple:
        """The first ``RESIDENT_ROWS`` training rows, in memory (read ahead; training replays them)."""
        sample = self.queue.peek(RESIDENT_ROWS)
        if sample is None:
            raise ValueError(f"too few samples: the stream has no {self.what} after the {self.skip} held out")
        return sample

    def map(self, functions: Sequence[Callable]) -> StreamRows:
        """The same stream, each batch mapped by one function per array (shares the stream's position)."""
        self.functions = list(functions)
        return self

    def stream(self, size: int, generator: torch.Generator) -> Iterator[tuple]:
        """Endless batches of ``size`` rows in the stream's order (``generator`` is not used)."""
        rows = _Rows(self._training_chunks())
        while True:
            batch = rows.take(size)
            if batch is None or len(batch[0]) < size:
                return
            self.rows_read += size
            yield batch if self.functions is None else tuple(f(a) for f, a in zip(self.functions, batch))
