import math
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import mine
from mine import MINE, mutual_information
from mine.bounds import get_bound
from mine.fitting import evaluate, evaluation_blocks
from mine.gaussian import mi_correlated, rho_for_mi, sample_correlated

# the loop's tests are about the trained network: the closed-form candidates (exact on these
# Gaussian samples) are off here and tested in test_gaussian_critic.py and test_candidates.py
FAST = dict(max_steps=60, eval_every=20, batch_size=64, hidden=(32, 32), random_state=0, candidates=None)


# --- accuracy against analytic MI -------------------------------------------------------------
# The trained network at the default settings, the closed-form candidates off (on Gaussian rows the
# Gaussian copula's critic is exact and would decide the estimate; test_gaussian_critic.py tests
# it). Seed 0 read -4.4%, -1.6%, -6.1% and -5.2% (December 2026, torch 2.13 on the CPU).
# Tolerances are the (10%, and 15% at 5 nats). Why they can hold: with two-fold
# cross-fitting every one of the 10,000 samples is held out once, and even the exact critic
# T = log p(x,z)/p(x)p(z) scores a finite held-out sample with an error of standard deviation
# 0.0051, 0.0082, 0.020 and 0.040 nats for the four cases below (40 data seeds, computed with
# the same blocks the estimator uses). The tolerances are 2.8, 10, 10 and 19 of those standard
# deviations, so what they measure is the trained critic's own shortfall, not sampling luck
# (2.8 sigma for rho = 0.5 in 1-D is the tightest: a 0.5% chance for a perfect critic).
ACCURACY_CASES = [
    pytest.param(0.5, 1, 0.10, id="1d-rho0.5"),
    pytest.param(0.9, 1, 0.10, id="1d-rho0.9"),
    pytest.param(float(rho_for_mi(2.0, 10)), 10, 0.10, id="10d-2nats"),
    pytest.param(float(rho_for_mi(5.0, 10)), 10, 0.15, id="10d-5nats"),
]


# about a minute each with the cosine critic (the suite's 10-minute budget): opt in with -m slow
SLOW_CASES = {"1d-rho0.9", "10d-5nats"}
DEFAULT_CASES = [
    pytest.param(*case.values, id=case.id, marks=pytest.mark.slow) if case.id in SLOW_CASES else case
    for case in ACCURACY_CASES
]


@pytest.mark.parametrize("rho,dim,tolerance", DEFAULT_CASES)
def test_the_network_alone_at_the_default_settings_matches_analytic_mi(rho, dim, tolerance):
    truth = mi_correlated(rho, dim)
    x, z = sample_correlated(10_000, rho, dim, random_state=0)
    estimate = MINE(random_state=0, candidates=None).fit(x, z).mi()
    assert abs(estimate - truth) <= tolerance * truth, (estimate, truth)


# --- fitted state, units, repeatability -------------------------------------------------------
def test_fit_returns_self_and_sets_fitted_state(gaussian_pair):
    x, z = gaussian_pair
    est = MINE(**FAST)
    assert est.fit(x, z) is est
    assert len(est.folds_) == 2 and sum(f.n_heldout for f in est.folds_) == len(x)
    assert est.critic_ is next(c for c in est.folds_[0].critics if c is not None)
    assert {"fold", "step", "train", "heldout", "half_0", "half_1"} <= set(est.history_[0])
    assert est.mi("bits") == pytest.approx(est.mi() / math.log(2))
    with pytest.raises(ValueError, match="units"):
        est.mi("hartleys")


def test_each_half_of_the_heldout_rows_selects_the_step_the_other_half_reports(gaussian_pair):
    x, z = gaussian_pair
    est = MINE(folds=1, heldout_fraction=0.3, **{**FAST, "max_steps": 200}).fit(x, z)
    (fold,) = est.folds_
    history = {row["step"]: row for row in est.history_}
    for h in (0, 1):
        chosen = max(history, key=lambda step: (history[step][f"half_{h}"], -step))  # first best step
        assert history[chosen][f"half_{h}"] > 0  # it beat the constant critic (step 0, DV = 0)
        assert fold.best_steps[h] == chosen
        assert fold.reports[h] == history[chosen][f"half_{1 - h}"]  # reported on the other half
    assert est.mi() == pytest.approx(np.average(fold.reports, weights=fold.report_rows))
    # the reports are not the maxima of the curves they come from (no selection on report rows)
    assert est.mi() <= max(row["heldout"] for row in est.history_)
    # recompute each report from its rows with the restored critic: the split is ShuffleSplit's
    # permutation, then the held-out part is halved by KFold's (half 1 is its first test fold)
    rng = np.random.RandomState(0)
    heldout = rng.permutation(len(x))[: math.ceil(0.3 * len(x))]
    rng.randint(0, 2**31 - 1, size=1)  # the fold's seed
    order = rng.permutation(len(heldout))
    half_1 = heldout[order[: math.ceil(len(heldout) / 2)]]
    half_0 = np.setdiff1d(heldout, half_1)
    from mine.sources import PairedSource

    for h, rows in ((0, half_1), (1, half_0)):
        source = PairedSource(x[rows], z[rows]).prepared(fold.maps, torch.float32, torch.device("cpu"))
        value = float(
            evaluate(fold.critics[h], source, est.bound_, evaluation_blocks(source, est.bound_, FAST["batch_size"]))
        )
        assert value == pytest.approx(fold.reports[h], rel=1e-5)


def test_same_random_state_same_estimate(gaussian_pair):
    x, z = gaussian_pair
    a = MINE(**FAST).fit(x, z).mi()
    b = MINE(**FAST).fit(x, z).mi()
    assert a == b
    c = MINE(**{**FAST, "random_state": 1}).fit(x, z).mi()
    assert c != a


def test_clone_and_params(gaussian_pair):
    x, z = gaussian_pair
    est = MINE(**FAST).fit(x, z)
    copy = clone(est)
    assert not hasattr(copy, "estimate_")
    assert copy.get_params() == est.get_params()
    assert copy.fit(x, z).mi() == est.mi()
    est.set_params(lr=1e-3, bound="nwj")
    assert est.get_params()["lr"] == 1e-3 and est.bound == "nwj"


def test_save_load_round_trip(tmp_path, gaussian_pair):
    x, z = gaussian_pair
    est = MINE(**FAST).fit(x, z)
    path = tmp_path / "mine.pt"
    est.save(path)
    loaded = MINE.load(path)
    assert loaded.mi() == est.mi()
    assert loaded.get_params() == est.get_params()
    assert loaded.history_ == est.history_
    assert loaded.evaluate(x, z) == pytest.approx(est.evaluate(x, z), rel=1e-6)
    assert pickle.loads(pickle.dumps(est)).mi() == est.mi()
    for bound in ("nwj", "smile", "infonce"):
        fitted = MINE(**{**FAST, "bound": bound}).fit(x, z)
        assert pickle.loads(pickle.dumps(fitted)).evaluate(x, z) == pytest.approx(fitted.evaluate(x, z))
    old = torch.load(path, weights_only=True)  # as a file from before critics named their family
    old["params"]["gaussian_critic"] = old["params"].pop("candidates")
    for fold in old["folds"]:
        del fold["critic_families"]
    torch.save(old, tmp_path / "old.pt")
    with pytest.raises(ValueError, match="old.pt was written by an older version of mine; fit the estimator again"):
        MINE.load(tmp_path / "old.pt")


def test_save_load_with_a_user_critic(tmp_path, gaussian_pair):
    class Bilinear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(2, 2))

        def forward(self, x, z):
            return x @ self.w @ z.T

    x, z = gaussian_pair
    est = MINE(critic=Bilinear(), **{**FAST, "lr": 0.05}).fit(x, z)
    assert est.mi() > 0.1  # a bilinear critic does learn a correlation of 0.8
    est.save(tmp_path / "user.pt")
    with pytest.raises(ValueError, match="user critic"):
        MINE.load(tmp_path / "user.pt")
    assert MINE.load(tmp_path / "user.pt", critic=Bilinear()).mi() == est.mi()


@pytest.mark.parametrize("kind", ["numpy1d", "torch", "dataframe", "float32"])
def test_input_types_give_the_same_estimate(kind):
    x, z = sample_correlated(400, 0.8, 1, random_state=0)
    reference = MINE(**FAST).fit(x, z).mi()
    convert = {
        "numpy1d": lambda a: a.ravel(),
        "torch": torch.from_numpy,
        "dataframe": lambda a: pd.DataFrame(a, columns=["v"]),
        "float32": lambda a: a.astype(np.float32),
    }[kind]
    value = MINE(**FAST).fit(convert(x), convert(z)).mi()
    assert value == pytest.approx(reference, abs=1e-5 if kind == "float32" else 0)


@pytest.mark.parametrize("bound", ["dv", "nwj", "infonce", "js", "smile", "mine-f"])
@pytest.mark.parametrize("negatives", ["all", "shuffle"])
def test_every_bound_and_negative_scheme_runs(bound, negatives, gaussian_pair):
    x, z = gaussian_pair
    params = dict(FAST, bound=bound, negatives=negatives, critic="concat", max_steps=200, lr=3e-3)
    if bound == "infonce" and negatives == "shuffle":
        with pytest.raises(ValueError, match="needs negatives='all'"):
            MINE(**params).fit(x, z)
        return
    est = MINE(**params).fit(x, z)
    # a held-out lower bound of a critic trained 200 steps: at most its noise (4 se, se ~0.05) above
    # the truth, and within 0.25 nats below it (the untrained critic reads 0, a fifth of the truth)
    truth = mi_correlated(0.8, 2)
    assert truth - 0.25 < est.mi() < truth + 4 * est.se_


def test_float64_and_mutual_information_one_call(gaussian_pair):
    x, z = gaussian_pair
    est = MINE(dtype="float64", **FAST).fit(x, z)
    assert next(est.critic_.parameters()).dtype == torch.float64
    assert mutual_information(x, z, dtype="float64", **FAST) == est.mi()
    assert mine.mutual_information(x, z, units="bits", **FAST) == pytest.approx(MINE(**FAST).fit(x, z).mi("bits"))


def test_infonce_warns_near_its_cap():
    x, z = sample_correlated(2000, 0.999, 5, random_state=0)  # true MI 15.5 nats >> log 16
    with pytest.warns(UserWarning, match="near its cap log"):
        est = MINE(bound="infonce", batch_size=16, max_steps=300, eval_every=50, random_state=0).fit(x, z)
    assert est.mi() > 0.9 * math.log(16) and est.cap_ == pytest.approx(math.log(16))  # saturated
    # the advice works: a larger batch lifts the cap and the estimate with it
    wider = MINE(bound="infonce", batch_size=64, max_steps=300, eval_every=50, random_state=0).fit(x, z)
    assert wider.mi() > math.log(16) + 0.5 and wider.cap_ == pytest.approx(math.log(64))


# --- bad input: one clear error each, raised before training -----------------------------------
@pytest.mark.parametrize(
    "x,z,error,match",
    [
        (np.zeros((10, 2)), np.zeros((9, 2)), ValueError, "same number of rows.*10 and 9"),
        (np.array([[0.0], [np.nan]] * 50), np.zeros((100, 1)), ValueError, "x contains NaN or infinite"),
        (np.zeros((100, 1)), np.array([[np.inf]] * 100), ValueError, "z contains NaN or infinite"),
        (np.array([["a"], ["b"]] * 50), np.zeros((100, 1)), TypeError, "x must be numeric"),
        (pd.DataFrame({"a": ["u", "v"] * 50}), np.zeros(100), TypeError, "x has non-numeric columns"),
        (np.zeros((10, 2, 2)), np.zeros((10, 1)), ValueError, "x must be 1-D .* or 2-D .*3-D"),
        (np.zeros((3, 1)), np.zeros((3, 1)), ValueError, "too few samples"),
        (np.zeros((0, 1)), np.zeros((0, 1)), ValueError, "x is empty"),
    ],
)
def test_bad_input_raises_clear_error(x, z, error, match):
    with pytest.raises(error, match=match):
        MINE(**FAST).fit(x, z)


def test_batch_larger_than_training_set():
    x, z = sample_correlated(100, 0.5, random_state=0)
    with pytest.raises(ValueError, match=r"batch_size=64 is larger than the training set \(50 of 100"):
        MINE(**FAST).fit(x, z)


@pytest.mark.parametrize(
    "params,match",
    [
        (dict(bound="mi"), "MINE: bound must be one of 'dv', 'nwj', 'infonce', 'js', 'smile', 'f'.*got 'mi'"),
        (dict(critic="cnn"), "MINE: critic must be one of 'concat', 'separable', 'cosine' or a Module, got 'cnn'"),
        (dict(negatives="half"), "MINE: negatives must be one of 'all', 'shuffle', got 'half'"),
        (dict(batch_size=1), "MINE: batch_size must be an integer >= 2, got 1"),
        (dict(lr=-1.0), r"MINE: lr must be a number in \(0, inf\), got -1.0"),
        (dict(heldout_fraction=1.5), r"MINE: heldout_fraction must be a number in \(0, 1\), got 1.5"),
        (dict(dtype="int8"), "MINE: dtype must be one of 'float32', 'float64' or a dtype, got 'int8'"),
        (dict(ema_rate=2.0), r"MINE: ema_rate must be a number in \[0, 1\] or None, got 2.0"),
        (dict(bound="infonce", negatives="shuffle"), "bound 'infonce' needs negatives='all'"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, match, gaussian_pair):
    with pytest.raises(ValueError, match=match):
        MINE(**{**FAST, **params}).fit(*gaussian_pair)


# one bad value per kind of constraint: bool is not a number, NaN is in no interval, the type is checked
BAD_VALUES = {
    "bound": [1, None],
    "critic": [3, None],
    "hidden": [(), (0, 4), (2.5,), "64", True, 8],
    "activation": ["swish", None],
    "embed_dim": [0, True, 2.0],
    "candidates": ["yes", True, 1, [], ["gaussian", "gaussian"], ["copula"]],
    "negatives": ["none", True],
    "batch_size": [1, True, 64.0, float("nan")],
    "lr": [0, -1e-3, True, float("nan"), float("inf"), "1e-3"],
    "weight_decay": [-1.0, True, float("nan")],
    "weight_average": [-0.1, 1.0, True, float("nan")],
    "dropout": [-0.1, 1.0, True, float("nan"), "0.3"],
    "ema_rate": [-0.1, 1.5, True, float("nan")],
    "smile_tau": [0.0, True, float("nan")],
    "divergence": [3, None],
    "divergence_params": [[("alpha", 2)], 2],
    "max_steps": [0, True, 10.0],
    "folds": [0, True, float("nan")],
    "heldout_fraction": [0.0, 1.0, True, float("nan")],
    "eval_every": [0, False],
    "patience": [0, True],
    "preprocessing": ["rank", True, None],
    "device": [0, None],
    "dtype": ["int8", "float16", None],
    "random_state": [-1, 1.5, True, "0"],
    "verbose": [1, None],
}


def test_every_parameter_has_bad_values_under_test():
    assert set(BAD_VALUES) == set(MINE().get_params())


@pytest.mark.parametrize("name,value", [(n, v) for n, values in BAD_VALUES.items() for v in values])
def test_each_bad_parameter_value_is_named_before_training(name, value, gaussian_pair):
    est = MINE(**{**FAST, name: value})
    with pytest.raises((ValueError, TypeError), match=f"MINE: {name} must be") as error:
        est.fit(*gaussian_pair)
    assert repr(value) in str(error.value)
    assert not hasattr(est, "folds_")  # raised before any training


@pytest.mark.parametrize(
    "params",
    [
        dict(
            lr=np.float32(1e-3),
            batch_size=np.int64(64),
            max_steps=np.int32(40),
            heldout_fraction=np.float64(0.3),
            ema_rate=np.float32(0.01),
            eval_every=np.int16(20),
        ),
        dict(ema_rate=None, random_state=np.random.RandomState(0), hidden=[np.int64(16), 16], dtype=torch.float64),
        dict(ema_rate=0, bound="mine", critic="concat", folds=3),
    ],
)
def test_numpy_scalars_and_other_valid_forms_are_accepted(params, gaussian_pair):
    est = MINE(**{**FAST, **params}).fit(*gaussian_pair)
    # each value took effect: steps, evaluations, folds, widths, precision
    steps, every = int(params.get("max_steps", FAST["max_steps"])), int(params.get("eval_every", FAST["eval_every"]))
    assert all(f.n_steps == steps for f in est.folds_)
    assert {row["step"] for row in est.history_} == set(range(every, steps + 1, every))
    assert len(est.folds_) == params.get("folds", 2)
    first_layer = next(m for m in est.critic_.modules() if isinstance(m, torch.nn.Linear))
    assert first_layer.out_features == int(params.get("hidden", FAST["hidden"])[0])
    assert next(est.critic_.parameters()).dtype == params.get("dtype", torch.float32)


def test_divergence_estimator_parameters_are_checked_too():
    from mine import DivergenceEstimator

    p = np.zeros((100, 1))
    for name, value in [("critic", "separable"), ("lr", True), ("max_steps", 0), ("divergence_params", 2)]:
        with pytest.raises((ValueError, TypeError), match=f"DivergenceEstimator: {name} must be"):
            DivergenceEstimator(**{**{k: v for k, v in FAST.items() if k != "candidates"}, name: value}).fit(p, p)


def test_diverging_training_stops_with_advice(gaussian_pair):
    x, z = gaussian_pair
    with pytest.raises(FloatingPointError, match="NaN or infinite.*smaller learning rate"):
        MINE(**{**FAST, "bound": "nwj", "lr": 1e6, "critic": "separable"}).fit(x * 100, z * 100)
    # the cosine critic's scores are bounded by its temperature: at this rate its units die and
    # every score is the same number, which would read as "no dependence" (0) without the check
    with pytest.raises(FloatingPointError, match="collapsed.*constant.*learning rate too high \\(lr=1e\\+06"):
        MINE(**{**FAST, "bound": "nwj", "lr": 1e6, "critic": "cosine"}).fit(x * 100, z * 100)


def test_unfitted_estimator_says_so():
    with pytest.raises(NotFittedError, match="not fitted"):
        MINE().mi()
    assert not hasattr(MINE(), "critic_")  # NotFittedError is an AttributeError too


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("rho,dim,tolerance", ACCURACY_CASES)
def test_the_network_alone_over_more_seeds(rho, dim, tolerance, seed):
    """The same check on other data and training seeds (opt in: ``pytest -m slow``)."""
    truth = mi_correlated(rho, dim)
    x, z = sample_correlated(10_000, rho, dim, random_state=seed)
    estimate = MINE(random_state=seed, candidates=None).fit(x, z).mi()
    assert abs(estimate - truth) <= tolerance * truth, (estimate, truth)


# --- the shared training step ------------------------------------------------------------------
def test_critic_trainer_returns_the_bound_before_its_step_and_moves_the_critic():
    from mine.bounds import get_bound
    from mine.critics import all_pair_scores, build_critic

    torch.manual_seed(0)
    critic = build_critic("separable", 2, 2, (16, 16), "relu", 4)
    trainer = mine.CriticTrainer(critic, "nwj", lr=1e-2)
    x, z = (torch.as_tensor(a, dtype=torch.float32) for a in sample_correlated(64, 0.8, 2, random_state=0))
    with torch.no_grad():
        before = float(get_bound("nwj").value(all_pair_scores(critic, x, z)))
    assert float(trainer.step(all_pair_scores(critic, x, z))) == pytest.approx(before, abs=1e-6)
    with torch.no_grad():
        after = float(get_bound("nwj").value(all_pair_scores(critic, x, z)))
    assert after > before  # a step of gradient ascent on the same batch raises the bound
    assert trainer.average is None


def test_critic_trainer_keeps_the_moving_average_only_for_a_corrected_bound():
    from mine.critics import build_critic
    from mine.training import CriticTrainer

    assert mine.CriticTrainer is CriticTrainer
    critic = build_critic("separable", 1, 1, (8,), "relu", 2)
    assert CriticTrainer(critic, "dv", ema_rate=0.01).average.rate == 0.01
    assert CriticTrainer(critic, "dv", ema_rate=None).average is None
    assert CriticTrainer(critic, "infonce", ema_rate=0.01).average is None


@pytest.mark.parametrize("bound,rows", [("dv", 256), ("infonce", 1024)])
def test_evaluation_blocks_cap_all_pairs_cost_except_for_infonce(bound, rows):
    # all-pairs scoring of a block of B rows costs B^2 critic calls: a concat critic at
    # batch_size=1,024 would need gigabytes per block, so only InfoNCE (defined per batch) keeps it
    from mine.sources import PairedSource

    blocks = evaluation_blocks(PairedSource(torch.zeros(4096, 1), torch.zeros(4096, 1)), get_bound(bound), 1024)
    assert {b[0].shape[0] for b in blocks} == {rows}
