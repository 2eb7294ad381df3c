"""Trust: honest held-out selection, an uncertainty on every estimate, errors and warnings where a
number cannot be trusted, invariance to per-column monotone maps (issue 11)."""

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning

from mine import MINE
from mine.bounds import Scores, get_bound, pooled_value
from mine.diagnostics import ImplausibleEstimateError
from mine.gaussian import mi_correlated, sample_correlated
from mine.uncertainty import bootstrap_values, resample_weights, standard_error

FAST = dict(max_steps=200, eval_every=20, batch_size=64, hidden=(32, 32), random_state=0)


def quiet_fit(est, x, z):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(x, z)


# --- the bootstrap ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,params",
    [("dv", {}), ("nwj", {}), ("smile", {"smile_tau": 0.5}), ("js", {}), ("f", {"divergence": "squared_hellinger"})],
)
def test_weighted_resample_equals_indexing_the_drawn_rows(name, params):
    """Weights c_i on the diagonal and c_i c_j on pair (i, j) = S indexed by the drawn rows, with pairs
    of one original row with itself left out."""
    m = torch.randn(7, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    bound = get_bound(name, **params)
    weighted = resample_weights(Scores.from_matrix(m), 3, torch.Generator().manual_seed(1))
    values = pooled_value(bound, [weighted])
    index = torch.randint(7, (3, 7), generator=torch.Generator().manual_seed(1))
    for draw in range(3):
        i = index[draw]
        s = m[i][:, i]
        explicit = bound.value(Scores(s.diagonal(), s[i[:, None] != i[None, :]], s))
        assert float(values[draw]) == pytest.approx(float(explicit), rel=1e-12)


def test_pooled_bootstrap_over_blocks_equals_indexing_each_blocks_drawn_rows():
    """Two blocks of different sizes pooled: the pair weights c_i c_j of each block, kept as row
    counts, give the bound of the concatenated explicitly resampled blocks."""
    generator = torch.Generator().manual_seed(0)
    blocks = [torch.randn(n, n, dtype=torch.float64, generator=generator) for n in (6, 9)]
    draws = [resample_weights(Scores.from_matrix(m), 4, torch.Generator().manual_seed(k)) for k, m in enumerate(blocks)]
    bound = get_bound("dv")
    values = pooled_value(bound, draws)
    indices = [
        torch.randint(m.shape[0], (4, m.shape[0]), generator=torch.Generator().manual_seed(k))
        for k, m in enumerate(blocks)
    ]
    for draw in range(4):
        joint, marginal = [], []
        for m, index in zip(blocks, indices):
            i = index[draw]
            s = m[i][:, i]
            joint.append(s.diagonal())
            marginal.append(s[i[:, None] != i[None, :]])
        explicit = bound.value(Scores(torch.cat(joint), torch.cat(marginal)))
        assert float(values[draw]) == pytest.approx(float(explicit), rel=1e-12)


def test_two_sample_scores_resample_each_sample_on_its_own():
    joint, marginal = torch.arange(5.0, dtype=torch.float64), torch.arange(8.0, dtype=torch.float64)
    weighted = resample_weights(Scores(joint, marginal), 4, torch.Generator().manual_seed(0))
    assert weighted.joint_weight.shape == (4, 5) and weighted.marginal_weight.shape == (4, 8)
    assert torch.all(weighted.joint_weight.sum(-1) == 5) and torch.all(weighted.marginal_weight.sum(-1) == 8)


def test_bootstrap_spread_matches_the_sampling_spread_of_a_fixed_critic():
    """With the optimal critic T* = log p(x, z) / p(x) p(z) of a 1-D Gaussian pair (rho 0.5), the sd of
    DV over 200 fresh samples of 512 rows (two blocks) and the mean bootstrap sd from 5 samples agree:
    the sd of an sd over n draws is about 1/sqrt(2n), so 20% is over 4 of those for both."""
    rho = 0.5

    def blocks(seed):
        x, z = (torch.as_tensor(a) for a in sample_correlated(512, rho, 1, random_state=seed))
        t = -0.5 * math.log(1 - rho**2) - (rho**2 * x**2 - 2 * rho * x * z.T + rho**2 * z.T**2) / (2 * (1 - rho**2))
        return [Scores.from_matrix(t[:256, :256]), Scores.from_matrix(t[256:, 256:])]

    bound = get_bound("dv")
    fresh = np.std([float(pooled_value(bound, blocks(s))) for s in range(200)], ddof=1)
    boot = np.mean(
        [
            float(bootstrap_values(bound, blocks(1000 + s), 100, torch.Generator().manual_seed(s)).std())
            for s in range(5)
        ]
    )
    assert boot == pytest.approx(fresh, rel=0.2), (boot, fresh)


def test_standard_error_adds_the_spread_the_bootstrap_does_not_explain():
    draws = np.random.default_rng(0).normal(0, 0.1, size=(400, 4))
    alike = standard_error([1.0, 1.0, 1.0, 1.0], [1, 1, 1, 1], draws + 1.0)
    assert alike["se_training"] == 0.0 and alike["se"] == pytest.approx(0.05, rel=0.1)  # 0.1 / sqrt(4)
    spread = standard_error([0.0, 1.0, 2.0, 3.0], [1, 1, 1, 1], draws)
    # reports' variance 5/3 minus the bootstrap's 0.01, over K = 4
    assert spread["se_training"] == pytest.approx(math.sqrt((5 / 3 - 0.01) / 4), rel=0.02)


def test_training_spread_is_read_from_folds_not_from_halves_that_share_a_training():
    """Two folds whose halves agree with each other but not across folds: as four independent
    reports the spread would be divided by K = 4; as two trainings it is the fold means' variance
    over G = 2 (sum of the squared fold weights 1/2)."""
    draws = np.random.default_rng(0).normal(0, 0.01, size=(400, 4))
    reports = [1.0, 1.0, 2.0, 2.0]
    grouped = standard_error(reports, [1, 1, 1, 1], draws + np.array(reports), groups=[0, 0, 1, 1])
    assert grouped["se_training"] == pytest.approx(math.sqrt(0.5 * 0.5), rel=0.02)  # var(1, 2) = 0.5
    independent = standard_error(reports, [1, 1, 1, 1], draws + np.array(reports))
    assert independent["se_training"] == pytest.approx(math.sqrt(1 / 3 / 4), rel=0.02)
    assert standard_error(reports, [1, 1, 1, 1], draws, groups=[0, 0, 0, 0])["se_training"] == 0.0


# --- the estimate and its interval -----------------------------------------------------------------
def test_every_estimate_has_a_standard_error_and_an_interval(gaussian_pair):
    est = quiet_fit(MINE(**FAST), *gaussian_pair)
    low, high = est.mi_interval()
    assert est.se_ > 0 and (low + high) / 2 == pytest.approx(est.mi())
    assert (high - low) / 2 == pytest.approx(norm.ppf(0.975) * est.se_)
    assert est.interval(0.5)[1] - est.interval(0.5)[0] < high - low
    assert est.mi_interval(units="bits")[0] == pytest.approx(low / math.log(2))
    assert set(est.uncertainty_) == {"se", "se_bootstrap", "se_training"}
    with pytest.raises(ValueError, match="level must be a number in \\(0, 1\\)"):
        est.mi_interval(1.5)


def test_the_lower_confidence_bound_is_one_sided_and_never_below_the_floor(gaussian_pair):
    est = quiet_fit(MINE(**FAST), *gaussian_pair)
    assert est.mi_lower(0.95) == pytest.approx(max(0.0, est.mi() - norm.ppf(0.95) * est.se_))
    assert est.mi_lower(0.95) > est.mi_interval(0.95)[0]  # one-sided: z 1.645, not 1.960
    assert est.mi_lower(0.99) < est.mi_lower(0.95) < est.mi_lower(0.5) == pytest.approx(est.mi())
    assert est.mi_lower(units="bits") == pytest.approx(est.mi_lower() / math.log(2))
    with pytest.raises(ValueError, match="lower: level must be a number in \\(0, 1\\)"):
        est.mi_lower(1.0)
    rng = np.random.default_rng(0)
    independent = quiet_fit(MINE(**FAST), rng.normal(size=(600, 2)), rng.normal(size=(600, 2)))
    assert independent.mi_lower() == 0.0  # MI cannot be negative: L stops at 0
    assert independent.mi() < 3 * max(independent.se_, 0.01)  # a held-out value about 0 (it may dip below)


def test_a_fit_that_cannot_generalise_is_an_error_not_a_number():
    # the hostile case: a huge learning rate without the moving average, nearly deterministic data
    rng = np.random.default_rng(2024)
    x = rng.standard_normal((2000, 1))
    z = 0.995 * x + 0.0999 * rng.standard_normal((2000, 1))
    with pytest.raises(ImplausibleEstimateError, match="far below 0.*learning rate too high \\(lr=1; try lr=0.1\\)"):
        quiet_fit(MINE(max_steps=300, lr=1.0, ema_rate=0, random_state=0, critic="separable"), x, z)
    # the default cosine critic cannot fall far below 0 (|T| <= its temperature); its units die
    # instead and the scores become constant: an error too, not the constant critic's 0
    with pytest.raises(ImplausibleEstimateError, match="collapsed.*learning rate too high \\(lr=1; try lr=0.1\\)"):
        quiet_fit(MINE(max_steps=300, lr=1.0, ema_rate=0, random_state=0), x, z)


def test_convergence_warning_when_the_last_step_is_still_the_best(gaussian_pair):
    with pytest.warns(ConvergenceWarning, match="still improving at max_steps=20"):  # of the network's training
        MINE(**{**FAST, "max_steps": 20, "eval_every": 5, "candidates": None}).fit(*gaussian_pair)


def test_a_copied_column_is_named():
    x, z = sample_correlated(600, 0.5, 2, random_state=0)
    z[:, 1] = x[:, 0]
    with pytest.warns(UserWarning, match=r"share 1 identical column\(s\) \(x column, z column: 0, 1\)"):
        quiet_fit(MINE(**{**FAST, "max_steps": 20}), x, z)


def test_discrete_columns_are_named():
    x, z = sample_correlated(600, 0.5, 2, random_state=0)
    x[:, 1] = np.round(x[:, 1])  # about 7 distinct values
    with pytest.warns(UserWarning, match=r"x has columns with many tied values \(column: distinct values of 600"):
        quiet_fit(MINE(**{**FAST, "max_steps": 20}), x, z)


def test_an_estimate_near_log_n_is_flagged(monkeypatch, gaussian_pair):
    """The warning fires when the estimate passes LOG_N_WARNING * log(rows of one report), not below."""
    import mine.diagnostics

    estimate = quiet_fit(MINE(**FAST), *gaussian_pair).mi()
    rows = 150  # 600 rows, two folds, two halves
    for share, fires in ((0.95, True), (1.05, False)):
        monkeypatch.setattr(mine.diagnostics, "LOG_N_WARNING", share * estimate / math.log(rows))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            MINE(**FAST).fit(*gaussian_pair)
        assert any(f"near log({rows})" in str(w.message) for w in caught) == fires


def test_an_estimate_above_log_n_says_it_can_read_high():
    from mine.diagnostics import LOG_N_WARNING, log_n_findings

    limit = math.log(142)
    assert log_n_findings(0.99 * LOG_N_WARNING * limit, 142) == []
    (near,) = log_n_findings(0.5 * (LOG_N_WARNING + 1) * limit, 142)
    assert "is near log(142)" in near.message and "may be larger" in near.message
    (above,) = log_n_findings(1.2 * limit, 142)
    assert "is above log(142)" in above.message and "can read high" in above.message


# --- invariance and input forms --------------------------------------------------------------------
def test_monotone_maps_and_extreme_scales_leave_the_estimate_unchanged():
    """Scale leaves the estimate exactly as it was. A nonlinear monotone map leaves the copula
    critics' estimate as it was but makes the data less Gaussian in their own units, so the
    Gaussian critic of the values (kept on the clean rows) loses to the copula's: the estimate is
    then the copula critic's on the same held-out rows, which differs from the clean one by far less
    than one standard error of either (both are exact critics of this pair)."""
    x, z = sample_correlated(1000, 0.9, 1, random_state=0)
    fitted = quiet_fit(MINE(**FAST), x, z)
    clean = fitted.mi()
    outlier = x.copy()
    outlier[3] = 1e6
    for a, b in [(x * 1e300, z), (x * 1e-300, z)]:
        assert quiet_fit(MINE(**FAST), a, b).mi() == pytest.approx(clean, abs=1e-3)
    maps = [(np.sinh(4 * x), z**3), (np.tan(np.pi * (norm.cdf(x) - 0.5)), z)]
    warped = [quiet_fit(MINE(**FAST), a, b) for a, b in maps]
    assert all(est.chosen_ == [["gaussian", "gaussian"]] * 2 for est in warped)
    assert warped[0].mi() == pytest.approx(warped[1].mi(), abs=1e-3)  # the copula path is invariant
    assert abs(warped[0].mi() - clean) < fitted.se_
    assert quiet_fit(MINE(**FAST), outlier, z).mi() == pytest.approx(clean, abs=0.05)  # one row's rank moves
    with pytest.raises(ImplausibleEstimateError, match="outliers or heavy tails"):  # what standardizing does
        quiet_fit(MINE(**FAST, preprocessing="standard", critic="separable"), outlier, z)
    # the cosine critic sees only the outlier's direction: a looser bound, still between 0 and the truth
    assert 0 <= quiet_fit(MINE(**FAST, preprocessing="standard"), outlier, z).mi() < mi_correlated(0.9, 1)


def test_pandas_series_are_columns():
    x, z = sample_correlated(600, 0.8, 1, random_state=0)
    reference = quiet_fit(MINE(**FAST), x, z).mi()
    assert quiet_fit(MINE(**FAST), pd.Series(x[:, 0], name="x"), pd.Series(z[:, 0])).mi() == reference
    frame = pd.DataFrame({"a": x[:, 0]})
    assert quiet_fit(MINE(**FAST), frame, pd.Series(z[:, 0])).mi() == reference


@pytest.mark.parametrize(
    "content,match",
    [
        (b"", "is not a file written by MINE.save"),
        (b"PK\x03\x04broken", "is not a file written by MINE.save"),
        (None, "no estimator in it"),
    ],
)
def test_loading_a_bad_file_says_so_in_one_line(tmp_path, content, match):
    path = tmp_path / "model.pt"
    if content is None:
        torch.save({"weights": torch.zeros(2)}, path)
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as error:
        MINE.load(path)
    assert "\n" not in str(error.value)
    with pytest.raises(ValueError, match="is not a file written by MINE.save"):
        MINE.load(tmp_path)  # a directory


def test_loading_weights_of_another_critic_version_says_so(tmp_path):
    # a CosineCritic saved before its temperature parameter was renamed (log_scale -> scale_theta)
    x, z = sample_correlated(600, 0.8, 1, random_state=0)
    path = tmp_path / "model.pt"
    quiet_fit(
        MINE(max_steps=40, eval_every=20, batch_size=64, hidden=(16,), random_state=0, candidates=None), x, z
    ).save(path)
    state = torch.load(path, weights_only=True)
    for fold in state["folds"]:
        for weights in fold["critic_states"]:
            if weights is not None:
                weights["log_scale"] = weights.pop("scale_theta")
    torch.save(state, path)
    with pytest.raises(ValueError, match="do not fit this version's critic.*fit the estimator again") as error:
        MINE.load(path)
    assert "\n" not in str(error.value)


def test_save_load_keeps_the_uncertainty(tmp_path, gaussian_pair):
    est = quiet_fit(MINE(**FAST), *gaussian_pair)
    est.save(tmp_path / "m.pt")
    loaded = MINE.load(tmp_path / "m.pt")
    assert loaded.mi_interval() == est.mi_interval() and loaded.uncertainty_ == est.uncertainty_


# --- the command line ------------------------------------------------------------------------------
def test_cli_reports_the_interval_and_warns_on_overlapping_columns(tmp_path, capsys):
    from mine.cli import main

    x, z = sample_correlated(400, 0.9, 2, random_state=0)
    np.save(tmp_path / "d.npy", np.hstack([x, z]))
    args = ["estimate", str(tmp_path / "d.npy"), "--max-steps", "60", "--batch-size", "32", "--quiet"]
    assert main([*args, "--x", "0,1", "--z", "1,2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    low, high = report["interval_95"]
    assert report["mi_lower_95"] == pytest.approx(max(0.0, report["mi"] - 1.644854 * report["se"]), rel=1e-6)
    assert report["se"] > 0 and (low + high) / 2 == pytest.approx(report["mi"])
    assert (high - low) / 2 == pytest.approx(1.959964 * report["se"], rel=1e-6)
    assert any("--x and --z select the same column(s) [1]" in w for w in report["warnings"])
    assert any("identical column" in w for w in report["warnings"])


def test_cli_exits_non_zero_on_an_implausible_estimate(tmp_path, capsys):
    from mine.cli import main

    rng = np.random.default_rng(2024)
    x = rng.standard_normal(2000)
    np.save(tmp_path / "d.npy", np.column_stack([x, 0.995 * x + 0.0999 * rng.standard_normal(2000)]))
    code = main(
        [
            "estimate",
            str(tmp_path / "d.npy"),
            "--x",
            "0",
            "--z",
            "1",
            "--lr",
            "1",
            "--ema-rate",
            "0",
            "--max-steps",
            "300",
            "--quiet",
            "--json",
        ]
    )
    assert code == 2 and "learning rate too high (lr=1; try lr=0.1)" in capsys.readouterr().err


# --- accuracy under hostile inputs (slow) ----------------------------------------------------------
HOSTILE_TRUTH = mi_correlated(0.9)


def _hostile_cases():
    rng = np.random.default_rng(2024)
    x = rng.standard_normal((5000, 1))
    z = 0.9 * x + math.sqrt(0.19) * rng.standard_normal((5000, 1))
    outlier = x.copy()
    outlier[3, 0] = 1e6
    yield "clean", x, z
    yield "outlier", outlier, z
    yield "cauchy", np.tan(np.pi * (norm.cdf(x) - 0.5)), z
    yield "sinh-cube", np.sinh(4 * x), z**3
    yield "1e300", x * 1e300, z


@pytest.mark.slow
@pytest.mark.parametrize("name,x,z", list(_hostile_cases()), ids=[c[0] for c in _hostile_cases()])
def test_default_estimate_is_within_ten_percent_on_hostile_inputs(name, x, z):
    estimate = MINE(random_state=0).fit(x, z).mi()
    assert abs(estimate - HOSTILE_TRUTH) <= 0.1 * HOSTILE_TRUTH, estimate


@pytest.mark.slow
def test_independent_data_gives_nearly_zero():
    rng = np.random.default_rng(7)
    estimate = MINE(random_state=0).fit(rng.standard_normal((5000, 5)), rng.standard_normal((5000, 5))).mi()
    assert abs(estimate) < 0.05


@pytest.mark.slow
def test_interval_calibration_over_eight_draws():
    """1-D rho = 0.5 (0.144 nats), 2,000 rows, 8 data draws: the spread of the estimates is within a
    factor 2 of the mean reported standard error, and at least 6 of 8 intervals cover the truth."""
    truth = mi_correlated(0.5)
    estimates, errors, covered = [], [], 0
    for seed in range(8):
        x, z = sample_correlated(2000, 0.5, 1, random_state=50 + seed)
        est = MINE(random_state=seed).fit(x, z)
        low, high = est.mi_interval()
        estimates.append(est.mi())
        errors.append(est.se_)
        covered += low <= truth <= high
    spread = np.std(estimates, ddof=1)
    assert 0.5 <= spread / np.mean(errors) <= 2.0, (spread, errors)
    assert covered >= 6, (estimates, errors)


def test_nothing_found_in_many_columns_is_not_read_as_independence():
    # 1,000 independent rows: with 50 + 50 columns nothing is found (the lower confidence bound is
    # 0) and the warning says that does not show independence; with 2 + 2 the same needs no warning
    rng = np.random.default_rng(0)
    small = dict(max_steps=100, hidden=(32,), random_state=0)
    with pytest.warns(UserWarning, match="with 1000 rows for 100 columns does not show independence"):
        assert MINE(**small).fit(rng.normal(size=(1000, 50)), rng.normal(size=(1000, 50))).mi_lower() == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert MINE(**small).fit(rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2))).mi_lower() == 0.0
