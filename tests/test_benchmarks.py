"""Every benchmark runs end to end in --quick mode and writes what the framework promises."""

import csv
import dataclasses
import importlib
import json
from pathlib import Path

import pytest

from benchmarks.framework import main

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
HELPERS = {"__init__", "framework", "render"}  # the framework, and the guide's tables from the results
NAMES = sorted(p.stem for p in BENCH_DIR.glob("*.py") if p.stem not in HELPERS)


def test_every_benchmark_is_listed_in_the_benchmarks_readme():
    readme = (BENCH_DIR / "README.md").read_text()
    for name in NAMES:
        assert f"python -m benchmarks.{name}" in readme, name


# the scaling benchmark's quick run starts processes and maps files (44 s here): opt-in, like the
# slow accuracy tests (tests/test_scale.py covers its pieces in the default run)
SLOW_QUICK_RUNS = {"scaling"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_QUICK_RUNS else n for n in NAMES]
)
def test_benchmark_quick_mode_writes_json_csv_and_plot(name, tmp_path):
    module = importlib.import_module(f"benchmarks.{name}")
    result = main(module.BENCHMARK, ["--quick", "--out", str(tmp_path), "--quiet"])
    saved = json.loads((tmp_path / f"{name}_quick.json").read_text())
    assert saved["benchmark"] == name and saved["mode"] == "quick"
    assert saved["config"] == json.loads(json.dumps(result["config"]))
    for key in ("commit", "date", "mine_version", "torch_version", "cpu_count", "torch_threads"):
        assert key in saved["environment"]
    assert saved["wall_seconds"] > 0
    with (tmp_path / f"{name}_quick.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == len(saved["rows"])
    if name == "peers" and saved.get("skipped"):
        pytest.skip("torch-mist is not installed; the benchmark skipped itself cleanly")
    assert saved["rows"], "a benchmark must produce rows"
    assert (tmp_path / f"{name}_quick.png").stat().st_size > 10_000


def test_gan_modes_reruns_a_diverged_table_run_at_the_lower_learning_rate(monkeypatch):
    from benchmarks import gan_modes

    real_train = gan_modes.train_gan

    def diverging_at_high_rates(config):
        if config.lr_g > 1e-3 * 0.5:
            raise FloatingPointError("GAN training diverged")
        return real_train(config)

    monkeypatch.setattr(gan_modes, "train_gan", diverging_at_high_rates)
    config = dataclasses.replace(gan_modes.QUICK, grid_seeds=(), digits_seeds=(), divergences=("kl",))
    rows, _ = gan_modes.run(config)
    (table_summary,) = [r for r in rows if r["part"] == "table summary"]
    assert table_summary["runs"] == 1 and table_summary["diverged"] == 1 and table_summary["lr_g"] == [1e-4]
    rows = [r for r in rows if r["part"] == "table"]
    assert [r["lr_g"] for r in rows] == [pytest.approx(1e-3), pytest.approx(1e-4)]
    assert "error" in rows[0] and "error" not in rows[1] and rows[1]["n_modes"] == 25


def test_set_overrides_config_fields_by_their_type():
    from benchmarks.consistency import QUICK
    from benchmarks.framework import override

    config = override(QUICK, "tasks=sinh 1x1, cube 2x2")
    assert config.tasks == ("sinh 1x1", "cube 2x2")
    assert override(QUICK, "calibration_cases=[[10, 2.0]]").calibration_cases == ((10, 2.0),)
    assert override(QUICK, "n=123").n == 123 and override(QUICK, "before_path=/x").before_path == "/x"
    from benchmarks.peers import PeersConfig

    assert override(PeersConfig(), "seeds=0,2").seeds == (0, 2)  # ints, as the default's elements
    assert override(PeersConfig(), "levels=2,4.5").levels == (2.0, 4.5)
    from benchmarks.gan_modes import GANModesConfig

    # a field whose default is None (the data's recipe) reads JSON, else the text
    assert override(GANModesConfig(), "generator_ema=0.5").generator_ema == 0.5
    assert override(GANModesConfig(), "lr_decay=none").lr_decay == "none"
    assert override(GANModesConfig(), "std_group=null").std_group is None
    from benchmarks.gan_modes import _runs

    alone = override(override(GANModesConfig(), "with_plain=false"), "parts=digits")  # a rerun of MINE alone
    assert [(part, gan.mine_beta, gan.seed) for part, gan in _runs(alone)] == [("digits", 1.0, s) for s in (0, 1, 2)]
    assert [gan.mine_beta for _, gan in _runs(override(alone, "with_plain=true"))] == [0.0, 1.0] * 3
    with pytest.raises(SystemExit, match="FIELD one of"):
        override(QUICK, "no_such_field=1")
    with pytest.raises(SystemExit, match="cannot read 'many' as int"):
        override(QUICK, "n=many")


def test_parts_run_separately_merge_into_the_whole(tmp_path):
    """Two parts of the consistency benchmark merged give the rows of both, in order, and a plot."""
    from benchmarks import consistency

    common = ["--quick", "--quiet", "--set", "estimators=CCA", "--set", "parts=tasks"]
    first = main(consistency.BENCHMARK, [*common, "--set", "tasks=sinh 1x1", "--out", str(tmp_path / "a")])
    second = main(consistency.BENCHMARK, [*common, "--set", "tasks=cube 2x2", "--out", str(tmp_path / "b")])
    merged = main(
        consistency.BENCHMARK,
        [
            "--merge",
            str(tmp_path / "a" / "consistency_quick.json"),
            str(tmp_path / "b" / "consistency_quick.json"),
            "--out",
            str(tmp_path),
        ],
    )
    assert [r["case"] for r in merged["rows"]] == ["sinh 1x1", "cube 2x2"]
    assert merged["rows"][1]["estimate"] == pytest.approx(second["rows"][0]["estimate"])
    assert merged["rows"][0]["estimate"] == pytest.approx(first["rows"][0]["estimate"])
    assert [p["config"]["tasks"] for p in merged["parts"]] == [["sinh 1x1"], ["cube 2x2"]]
    assert merged["config"]["differs_between_parts"] == ["tasks"] and "tasks" not in merged["config"]
    assert merged["config"]["estimators"] == ["CCA"] and merged["parts"][0]["environment"]["date"]
    again = main(
        consistency.BENCHMARK, ["--merge", str(tmp_path / "consistency_quick.json"), "--out", str(tmp_path / "m")]
    )
    assert [p["file"] for p in again["parts"]] == [p["file"] for p in merged["parts"]]  # the parts, not the merge
    assert (tmp_path / "consistency_quick.png").stat().st_size > 10_000
    with pytest.raises(SystemExit, match="not 'staircase'"):
        from benchmarks import staircase

        main(staircase.BENCHMARK, ["--merge", str(tmp_path / "consistency_quick.json"), "--out", str(tmp_path / "c")])


def test_before_estimator_runs_another_checkout_in_a_subprocess():
    """``before_path`` pointing at this checkout gives this checkout's default MINE, and an error
    raised there comes back as a row with the error's last line instead of stopping the benchmark."""
    import numpy as np

    from benchmarks import consistency
    from mine import MINE

    repo = str(Path(__file__).resolve().parents[1])
    config = dataclasses.replace(consistency.QUICK, before_path=repo, max_steps=30, threads=1)
    rng = np.random.RandomState(0)
    x = rng.standard_normal((1000, 1))
    z = x + rng.standard_normal((1000, 1))
    row = consistency.estimate_before(x, z, config, seed=0)
    assert row["estimate"] == pytest.approx(MINE(max_steps=30, random_state=0).fit(x, z).mi(), abs=0.02)
    failed = consistency.estimate_before(x[:5], z[:5], config, seed=0)
    assert np.isnan(failed["estimate"]) and "ValueError" in failed["error"]


def test_peers_summarises_the_mse_ratio_over_seeds():
    from benchmarks.peers import over_seeds, ratios

    def row(lib, seed, mse):
        return {
            "part": "staircase",
            "estimator": "NWJ",
            "library": lib,
            "critic": "concat",
            "batch_size": 64,
            "true_mi": 8.0,
            "seed": seed,
            "mse": mse,
        }

    rows = [row("mine", 0, 2.0), row("torch-mist", 0, 1.0), row("mine", 1, 1.0), row("torch-mist", 1, 4.0)]
    (summary,) = over_seeds(ratios(rows))
    assert summary["seeds"] == 2 and summary["ratio_mean"] == pytest.approx((2.0 + 0.25) / 2)
    assert summary["ratio_sd"] == pytest.approx(abs(2.0 - 0.25) / 2**0.5)
    assert summary["mse_ours"] == pytest.approx(1.5) and summary["mean_mse_ratio"] == pytest.approx(1.5 / 2.5)


def test_merged_gan_parts_are_summarised_over_all_their_runs():
    """Each part summarises its own seeds; after a merge the summary covers every part's runs,
    and the f-GAN table's summary takes each seed's last run (the retry of a diverged one)."""
    from benchmarks.gan_modes import resummarised, summary

    def grid(seed, modes):
        return {"part": "grid", "mine_beta": 1.0, "seed": seed, "modes": modes, "high_quality": 0.9, "kl": 0.01}

    def table(seed, lr, modes=None):
        row = {"part": "table", "loss": "kl", "mine_beta": 0.0, "seed": seed, "lr_g": lr}
        return row | ({"error": "diverged"} if modes is None else {"modes": modes, "high_quality": 0.5, "kl": 0.3})

    first = [grid(0, 25), grid(1, 21)]
    second = [grid(2, 20), table(0, 1e-3), table(0, 1e-4, 4), table(1, 1e-3, 10)]
    rows = resummarised(first + summary(first) + second + summary(second))
    (grid_summary,) = [r for r in rows if r["part"] == "grid summary"]
    assert grid_summary["runs"] == 3 and grid_summary["modes_mean"] == pytest.approx(22.0)
    (table_summary,) = [r for r in rows if r["part"] == "table summary"]
    assert table_summary["runs"] == 2 and table_summary["diverged"] == 1
    assert table_summary["modes_mean"] == pytest.approx(7.0) and table_summary["lr_g"] == [1e-4, 1e-3]


def test_the_failure_families_have_the_truth_they_claim():
    """Issue 26's tasks: the sparse ones correlate only their first two pairs (0.8 each, so
    -log(1 - 0.64) nats in all), and the label task's Monte Carlo MI meets its limits."""
    import math

    import numpy as np

    from benchmarks.consistency import LABEL_MEANS, label_mi, tasks

    sample, truth = tasks()["sparse 50x50"]
    x, z = sample(20_000, np.random.RandomState(0))
    corr = np.corrcoef(x.T, z.T)[:50, 50:]
    assert np.allclose(np.diag(corr)[:2], 0.8, atol=0.01) and np.abs(np.diag(corr)[2:]).max() < 0.03
    assert truth == pytest.approx(-math.log(1 - 0.64), rel=1e-12)  # two pairs of -1/2 log(1 - rho^2)
    # a label's MI is between 0 (means equal) and log K (means far apart); 0.92 nats at distance 2
    assert abs(label_mi(np.zeros((4, 5)), n=20_000)) < 1e-12
    assert label_mi(40.0 * np.eye(4, 5), n=20_000) == math.log(4)
    assert tasks()["label 5x1"][1] == label_mi(LABEL_MEANS) and 0.90 < label_mi(LABEL_MEANS) < 0.94
