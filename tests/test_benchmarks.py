"""Every benchmark runs end to end in --quick mode and writes what the framework promises."""

import csv
import dataclasses
import importlib
import json
from pathlib import Path

import pytest

from benchmarks.framework import main

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
NAMES = sorted(p.stem for p in BENCH_DIR.glob("*.py") if p.stem not in {"__init__", "framework"})


def test_every_benchmark_is_listed_in_the_benchmarks_readme():
    readme = (BENCH_DIR / "README.md").read_text()
    for name in NAMES:
        assert f"python -m benchmarks.{name}" in readme, name


@pytest.mark.parametrize("name", NAMES)
def test_benchmark_quick_mode_writes_json_csv_and_plot(name, tmp_path):
    module = importlib.import_module(f"benchmarks.{name}")
    result = main(module.BENCHMARK, ["--quick", "--out", str(tmp_path), "--quiet"])
    saved = json.loads((tmp_path / f"{name}_quick.json").read_text())
    assert saved["benchmark"] == name and saved["mode"] == "quick"
    assert saved["config"] == json.loads(json.dumps(result["config"]))
    for key in ("mine_version", "torch_version", "cpu_count", "torch_threads"):
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
    assert [r["lr_g"] for r in rows] == [pytest.approx(1e-3), pytest.approx(1e-4)]
    assert "error" in rows[0] and "error" not in rows[1] and rows[1]["n_modes"] == 25
