"""Data sources, preprocessing and the training step in their own modules."""

import numpy as np
import pytest
import torch
from scipy.stats import norm

from mine.critics import build_critic
from mine.preprocessing import fit_preprocessor, transformer_from_state, transformer_state
from mine.sources import PairedSource, TwoSampleSource, split_indices, split_sizes


def rows(n, d=1, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


@pytest.mark.parametrize("n,folds,fraction", [(10, 2, 0.2), (11, 3, 0.2), (101, 1, 0.3), (7, 1, 0.5)])
def test_splits_cover_every_row_once_and_match_the_sizes_they_announce(n, folds, fraction):
    splits = split_indices(n, folds, fraction, np.random.RandomState(0))
    heldout = np.concatenate([h for _, h in splits])
    if folds > 1:
        assert sorted(heldout) == list(range(n))  # cross-fitting: each row held out exactly once
    for train, held in splits:
        assert not set(train) & set(held) and len(train) + len(held) == n
    assert split_sizes(n, folds, fraction) == (min(len(t) for t, _ in splits), min(len(h) for _, h in splits))


def test_paired_preprocessing_is_fitted_on_training_rows_only():
    x, z = rows(200, 2, 0), rows(200, 3, 1) * 50 + 7
    train, heldout = PairedSource(x, z).split(2, 0.2, np.random.RandomState(0))[0]
    scaler_x, scaler_z = train.fit_maps("standard")[0]
    x_train, z_train = train.groups[0].arrays
    np.testing.assert_allclose(scaler_x.mean_, x_train.mean(axis=0))
    np.testing.assert_allclose(scaler_z.scale_, z_train.std(axis=0))
    assert not np.allclose(scaler_z.mean_, z.mean(axis=0))  # the held-out rows did not count
    prepared = heldout.prepared(train.fit_maps("standard"), torch.float64, torch.device("cpu"))
    x_held, z_held = heldout.groups[0].arrays
    expected = torch.as_tensor((z_held - scaler_z.mean_) / scaler_z.scale_)
    torch.testing.assert_close(prepared.groups[0].arrays[1], expected)
    none = train.fit_maps("none")[0][0]
    np.testing.assert_array_equal(none.transform(x_held), x_held)


def test_two_samples_share_one_preprocessing_and_split_on_their_own():
    p, q = rows(100, 2, 0), rows(300, 2, 1) + 3
    source = TwoSampleSource(p, q)
    (train, heldout), _ = source.split(2, 0.2, np.random.RandomState(0))
    assert [len(g) for g in train.groups] == [50, 150] and [len(g) for g in heldout.groups] == [50, 150]
    (shared_p,), (shared_q,) = train.fit_maps("standard")
    assert shared_p is shared_q  # a divergence is invariant only to a common map
    both = np.concatenate([g.arrays[0] for g in train.groups])
    np.testing.assert_allclose(shared_p.mean_, both.mean(axis=0))


def test_batches_and_blocks():
    x, z = torch.arange(10.0)[:, None], torch.arange(10.0)[:, None] + 100
    source = PairedSource(x, z)
    batches = source.batches(4, torch.Generator().manual_seed(0))
    seen = [next(batches) for _ in range(2)]
    for bx, bz in seen:  # rows stay aligned
        torch.testing.assert_close(bz, bx + 100)
    epoch = torch.cat([b[0] for b in seen]).flatten().tolist()
    assert len(set(epoch)) == 8  # no row twice within an epoch
    blocks = source.blocks(3)
    assert [b[0].shape[0] for b in blocks] == [4, 3, 3] and len(blocks[0]) == 2
    two = TwoSampleSource(torch.zeros(10, 1), torch.zeros(25, 1)).blocks(5)
    assert [(b[0].shape[0], b[1].shape[0]) for b in two] == [(5, 13), (5, 12)]


def test_scores_follow_the_negatives():
    torch.manual_seed(0)
    critic = build_critic("concat", 1, 1, (8,), "relu")
    x, z = torch.randn(6, 1), torch.randn(6, 1)
    every = PairedSource(x, z).scores(critic, (x, z))
    assert every.matrix is not None and every.marginal.numel() == 30
    shuffled = PairedSource(x, z, negatives="shuffle").scores(critic, (x, z), torch.Generator().manual_seed(0))
    assert shuffled.matrix is None and shuffled.marginal.numel() == 6
    assert PairedSource(x, z, negatives="shuffle").eval_scores(critic, (x, z)).marginal.numel() == 30


def test_too_few_rows_are_named_before_splitting():
    with pytest.raises(ValueError, match="too few samples: 3 rows leave 1 for training and 1 held out"):
        PairedSource(rows(3), rows(3)).split(2, 0.2, np.random.RandomState(0))
    with pytest.raises(ValueError, match=r"batch_size=64 is larger than the training set \(50 of 100 rows"):
        PairedSource(rows(100), rows(100)).split(2, 0.2, np.random.RandomState(0), min_train=64)


@pytest.mark.parametrize("kind", ["quantile", "standard", "none"])
def test_a_fitted_transformer_round_trips_as_plain_data(kind, tmp_path):
    data = rows(50, 3) * [1, 10, 0] + [0, 5, 2]  # a constant column keeps scale 1
    fitted = fit_preprocessor(kind, data)
    torch.save(transformer_state(fitted), tmp_path / "t.pt")
    loaded = transformer_from_state(torch.load(tmp_path / "t.pt", weights_only=True))
    np.testing.assert_array_equal(loaded.transform(data), fitted.transform(data))
    assert np.all(np.isfinite(loaded.transform(data)))
    with pytest.raises(ValueError, match="unknown preprocessing 'rank'"):
        fit_preprocessor("rank", data)


def test_normal_scores_are_injective_on_training_rows_and_scale_free():
    from mine.preprocessing import NormalScores

    x = np.random.default_rng(0).standard_cauchy((5000, 2))
    scores = NormalScores().fit(x).transform(x)
    assert all(len(np.unique(scores[:, j])) == 5000 for j in range(2))  # more rows than quantiles
    assert np.all(np.argsort(scores, axis=0) == np.argsort(x, axis=0))  # the order is kept
    assert np.abs(scores).max() == pytest.approx(-norm.ppf(0.5 / 5000))  # extremes at 1/2n
    for scale in (1e300, 1e-300):
        np.testing.assert_allclose(NormalScores().fit(x * scale).transform(x * scale), scores, atol=1e-12)
    held_out = NormalScores().fit(x).transform(np.array([[1e12, -1e12]]))
    np.testing.assert_allclose(held_out, [[scores.max(), scores.min()]])  # beyond the range: the ends
    ties = NormalScores().fit(np.repeat([[0.0], [1.0]], 50, axis=0)).transform(np.array([[0.0], [1.0]]))
    assert ties[0, 0] == pytest.approx(-ties[1, 0]) and ties[0, 0] < 0  # two values, symmetric scores
