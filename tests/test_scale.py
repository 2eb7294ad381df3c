"""Larger data: memory-mapped arrays, DataLoaders and streams, and the pooling that reads one block at a time."""

import math

import numpy as np
import pytest
import torch
from sklearn.model_selection import KFold, ShuffleSplit
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

from mine import MINE, DivergenceEstimator
from mine.bounds import PairWeights, PooledValue, Scores, available_bounds, get_bound, pooled_value
from mine.data import StreamRows
from mine.gaussian import mi_correlated, sample_correlated
from mine.sources import STREAM_HELDOUT_ROWS, split_indices
from mine.uncertainty import resample_weights

FAST = dict(max_steps=150, eval_every=25, random_state=0)


def memmapped(tmp_path, array, name="data.npy"):
    path = tmp_path / name
    np.save(path, array)
    return np.load(path, mmap_mode="r")


@pytest.mark.parametrize("n,folds,fraction", [(10, 2, 0.2), (11, 3, 0.2), (101, 1, 0.3), (1000, 5, 0.2)])
def test_split_indices_are_scikit_learns_splits_in_int32(n, folds, fraction):
    ours = split_indices(n, folds, fraction, np.random.RandomState(3))
    if folds == 1:
        splitter = ShuffleSplit(1, test_size=fraction, random_state=np.random.RandomState(3))
    else:
        splitter = KFold(folds, shuffle=True, random_state=np.random.RandomState(3))
    theirs = list(splitter.split(np.empty((n, 0))))
    assert len(ours) == len(theirs)
    for (train, heldout), (train_ref, heldout_ref) in zip(ours, theirs):
        assert train.dtype == np.int32
        np.testing.assert_array_equal(train, train_ref)
        np.testing.assert_array_equal(heldout, heldout_ref)


@pytest.mark.parametrize("name", available_bounds())
@pytest.mark.parametrize("weighted", [False, True])
def test_pooling_block_by_block_equals_pooling_the_concatenated_scores(name, weighted):
    """PooledValue keeps running sums (a shifted sum of exponentials for log-mean-exp); the value over
    blocks must equal the bound on all scores at once, also with bootstrap weights."""
    if name == "f":
        bound = get_bound("f", divergence="pearson")
    else:
        bound = get_bound(name)
    generator = torch.Generator().manual_seed(0)
    # blocks of different sizes, the later ones with larger scores (the shift must grow)
    blocks = [Scores.from_matrix(torch.randn(b, b, dtype=torch.float64) * 3 + k * 20) for k, b in enumerate((5, 9, 7))]
    if weighted:
        blocks = [resample_weights(b, 4, generator) for b in blocks]
    pooled = PooledValue(bound)
    for block in blocks:
        pooled.add(block)
    if bound.needs_matrix:  # InfoNCE is per block: their values weighted by rows
        sizes = [b.joint_weight.sum(-1) if weighted else b.joint.numel() for b in blocks]
        expected = sum(bound.value(b) * s for b, s in zip(blocks, sizes)) / sum(sizes)
    else:  # the bound once on every block's scores concatenated (and their weights)
        joint = torch.cat([b.joint for b in blocks])
        marginal = torch.cat([b.marginal for b in blocks])
        weights = {}
        if weighted:
            weights = dict(
                joint_weight=torch.cat([b.joint_weight for b in blocks], -1),
                marginal_weight=PairWeights.cat([b.marginal_weight for b in blocks]),
            )
        expected = bound.value(Scores(joint, marginal, **weights))
    torch.testing.assert_close(pooled.value(), expected)


def test_weighted_pooling_of_dv_matches_its_formula():
    blocks = [Scores.from_matrix(torch.randn(b, b, dtype=torch.float64) + k * 30) for k, b in enumerate((6, 4))]
    weighted = [resample_weights(b, 3, torch.Generator().manual_seed(1)) for b in blocks]
    value = pooled_value(get_bound("dv"), weighted)
    for d in range(3):
        joint_w = torch.cat([b.joint_weight[d] for b in weighted])
        joint = torch.cat([b.joint for b in weighted])
        pairs = [(b.joint_weight[d][:, None] * b.joint_weight[d][None, :], b.matrix) for b in weighted]
        numerator = sum(
            ((w * torch.exp(m)).sum() - (torch.diagonal(w) * torch.exp(torch.diagonal(m))).sum()) for w, m in pairs
        )
        denominator = sum(w.sum() - torch.diagonal(w).sum() for w, _ in pairs)
        expected = (joint_w * joint).sum() / joint_w.sum() - torch.log(numerator / denominator)
        torch.testing.assert_close(value[d], expected)


def test_a_memory_mapped_fit_reads_the_rows_lazily_and_equals_the_in_memory_fit(tmp_path):
    x, z = sample_correlated(3000, rho=0.8, dim=2, random_state=0)
    data = np.concatenate([x, z], axis=1).astype(np.float32)
    mapped = memmapped(tmp_path, data)
    in_memory = MINE(**FAST).fit(data[:, :2], data[:, 2:])
    lazily = MINE(**FAST).fit(mapped[:, :2], mapped[:, 2:])
    assert lazily.mi() == pytest.approx(in_memory.mi(), abs=1e-5)
    assert lazily.se_ == pytest.approx(in_memory.se_, rel=0.05)  # bootstrap draws in another order
    assert lazily.evaluate(mapped[:, :2], mapped[:, 2:]) == pytest.approx(
        in_memory.evaluate(data[:, :2], data[:, 2:]), abs=1e-5
    )


def test_memory_mapped_inputs_are_checked_without_a_copy(tmp_path):
    data = np.random.default_rng(0).normal(size=(500, 3))
    data[321, 1] = np.nan
    mapped = memmapped(tmp_path, data)
    with pytest.raises(ValueError, match="x contains NaN or infinite values \\(first in row 321\\)"):
        MINE(**FAST).fit(mapped[:, :2], mapped[:, 2:])
    cube = memmapped(tmp_path, np.zeros((10, 2, 2)), "cube.npy")
    with pytest.raises(ValueError, match="1-D .* or 2-D"):
        MINE(**FAST).fit(cube, cube)
    text = memmapped(tmp_path, np.zeros((10, 2), dtype="datetime64[s]"), "dates.npy")
    with pytest.raises(TypeError, match="numeric"):
        MINE(**FAST).fit(text, text)


def test_a_divergence_fits_on_memory_mapped_samples_as_in_memory(tmp_path):
    rng = np.random.default_rng(0)
    p, q = rng.normal(size=(1500, 2)), rng.normal(size=(1200, 2)) + 1.0
    in_memory = DivergenceEstimator(**FAST).fit(p, q)
    lazily = DivergenceEstimator(**FAST).fit(memmapped(tmp_path, p, "p.npy"), memmapped(tmp_path, q, "q.npy"))
    assert lazily.estimate() == pytest.approx(in_memory.estimate(), abs=1e-5)


class RowsDataset(Dataset):
    """A map-style dataset read one row at a time."""

    def __init__(self, x, z):
        self.x, self.z = x, z

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.z[i]


def test_a_dataloader_over_a_map_style_dataset_is_split_and_batched_as_arrays_are():
    x, z = sample_correlated(2000, rho=0.8, dim=2, random_state=1)
    arrays = MINE(**FAST).fit(x, z)
    loaded = MINE(**FAST).fit(DataLoader(RowsDataset(x, z), batch_size=256, shuffle=True))
    assert loaded.mi() == pytest.approx(arrays.mi(), abs=1e-6)
    tensors = TensorDataset(torch.as_tensor(x), torch.as_tensor(z))
    assert MINE(**FAST).fit(DataLoader(tensors, batch_size=256)).mi() == pytest.approx(arrays.mi(), abs=1e-6)
    assert MINE(**FAST).fit(tensors).mi() == pytest.approx(arrays.mi(), abs=1e-6)
    with pytest.warns(UserWarning, match="batch_size=64 is not used"):
        MINE(**FAST).fit(DataLoader(tensors, batch_size=64))
    bad = x.copy()
    bad[1234, 1] = np.nan  # read lazily, the dataset's rows are checked as they are read
    with pytest.raises(ValueError, match="the dataset contains NaN or infinite values \\(first in row 1234\\)"):
        MINE(**FAST).fit(RowsDataset(bad, z))


def fresh_batches(rho, dim, rows=500, seed=0):
    """An endless generator of fresh joint samples."""
    k = seed
    while True:
        yield sample_correlated(rows, rho=rho, dim=dim, random_state=k)
        k += 1


def test_a_stream_of_fresh_samples_holds_out_its_first_rows_and_trains_on_the_rest():
    truth = mi_correlated(0.8, 1)
    est = MINE(max_steps=600, random_state=0, candidates=None).fit(fresh_batches(0.8, 1))  # the network trains
    assert len(est.folds_) == 1 and est.folds_[0].n_heldout == STREAM_HELDOUT_ROWS
    assert est.n_samples_ >= STREAM_HELDOUT_ROWS + est.folds_[0].n_steps * est.batch_size
    # 5,000 report rows: the bound's se is about 0.02 nats; the critic's bias at 0.51 nats is small
    assert abs(est.mi() - truth) < 0.1
    with pytest.raises(TypeError, match="IterableDataset yields single rows"):
        MINE(**FAST).fit(Endless())


class Endless(IterableDataset):
    def __iter__(self):
        rng = np.random.default_rng(0)
        while True:
            x = rng.normal(size=2)
            yield x, x + rng.normal(size=2)


def test_an_iterable_dataset_in_a_dataloader_is_a_stream():
    est = MINE(max_steps=100, eval_every=50, random_state=0).fit(DataLoader(Endless(), batch_size=128))
    assert est.folds_[0].n_heldout == STREAM_HELDOUT_ROWS and est.mi() > 0.3  # truth: 2 x 0.35 nats


def test_a_finite_stream_is_read_again_without_its_held_out_rows():
    """Rows numbered 0..n-1 in a list of batches: training passes never see the held-out numbers."""
    n, size = 1200, 100
    numbers = np.arange(n, dtype=float)[:, None]
    batches = [(numbers[i : i + size], numbers[i : i + size]) for i in range(0, n, size)]
    stream = StreamRows.over(batches, 2)
    heldout = stream.split_head(250)
    np.testing.assert_array_equal(heldout.arrays[0][:, 0], np.arange(250))
    seen = [int(v) for _, (x, _z) in zip(range(30), stream.stream(64, torch.Generator())) for v in x[:, 0]]
    assert min(seen) == 250 and len(seen) == 30 * 64 > 2 * (n - 250)  # more than two passes
    one_shot = StreamRows.over(iter(batches), 2)
    one_shot.split_head(250)
    assert sum(1 for _ in one_shot.stream(64, torch.Generator())) == (n - 250) // 64  # then it ends


def test_streams_and_batches_fail_clearly():
    with pytest.raises(ValueError, match="too few samples: the stream ended after 3000 rows"):
        MINE(**FAST).fit(iter([sample_correlated(1000, 0.5, random_state=k) for k in range(3)]))
    bad = fresh_batches(0.5, 1)

    def with_nan():
        for k, (x, z) in enumerate(bad):
            if k == 3:
                x[0, 0] = np.nan
            yield x, z

    with pytest.raises(ValueError, match="batch 3 of the stream contains NaN"):
        MINE(**FAST).fit(with_nan())
    with pytest.raises(ValueError, match="2 part"):
        MINE(**FAST).fit(iter([np.zeros((10, 2))] * 2000))
    with pytest.raises(TypeError, match="z is missing"):
        MINE(**FAST).fit(np.zeros((100, 2)))
    with pytest.raises(TypeError, match="either arrays x and z"):
        MINE(**FAST).fit(fresh_batches(0.5, 1), np.zeros((100, 1)))


def test_a_one_shot_stream_ends_training_with_a_final_evaluation():
    batches = [sample_correlated(500, rho=0.8, random_state=k) for k in range(40)]  # 20,000 rows
    est = MINE(max_steps=5000, eval_every=50, patience=1000, random_state=0).fit(iter(batches))
    fold = est.folds_[0]
    assert fold.n_steps == (20_000 - STREAM_HELDOUT_ROWS) // est.batch_size  # 39 full batches
    assert fold.history[-1]["step"] == fold.n_steps and not fold.stopped_early


def test_halves_larger_than_the_selection_rows_are_reported_on_all_their_rows():
    x, z = sample_correlated(44_000, rho=0.5, random_state=0)
    est = MINE(max_steps=50, eval_every=25, folds=2, random_state=0).fit(x, z)
    assert all(rows == 11_000 for f in est.folds_ for rows in f.report_rows)
    assert abs(est.mi() - mi_correlated(0.5, 1)) < 0.1


@pytest.mark.slow
def test_a_default_fit_from_a_dataloader_of_20000_rows_lands_within_10_percent():
    rho = math.sqrt(1 - math.exp(-2 * 2.0 / 10))  # 2 nats over 10 dimensions
    x, z = sample_correlated(20_000, rho=rho, dim=10, random_state=0)
    loader = DataLoader(RowsDataset(x.astype(np.float32), z.astype(np.float32)), batch_size=256, shuffle=True)
    estimate = MINE(random_state=0).fit(loader).mi()
    assert abs(estimate - 2.0) < 0.2


def test_the_command_line_reads_npy_files_memory_mapped(tmp_path, capsys):
    from mine.cli import main
    from mine.datafiles import read_table, select

    data = np.random.default_rng(0).normal(size=(400, 4))
    np.save(tmp_path / "data.npy", data)
    table = read_table(tmp_path / "data.npy")
    x, _ = select(table, "0:2", "x")
    assert isinstance(x, np.memmap)  # a column range stays a view of the file
    data[123, 3] = np.inf
    np.save(tmp_path / "bad.npy", data)
    assert main(["estimate", str(tmp_path / "bad.npy"), "--x", "0:2", "--z", "2:4", "--quiet"]) == 2
    assert "z contains NaN or infinite values (first in row 123)" in capsys.readouterr().err


def test_a_list_of_batches_is_a_stream_and_a_stream_pairs_only_with_a_stream():
    with pytest.raises(ValueError, match="the stream ended after 0 rows"):
        MINE(**FAST).fit([])
    p = np.random.default_rng(0).normal(size=(3000, 2))
    with pytest.raises(TypeError, match="both be streams"):
        DivergenceEstimator(**FAST).fit(p, (p[:500] + 1 for _ in range(100)))
