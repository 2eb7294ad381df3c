"""Every script in examples/ runs in its fast mode and writes the figure the docs show."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def test_every_example_is_shown_in_the_docs():
    page = (EXAMPLES.parent / "docs" / "examples.md").read_text()
    for name in SCRIPTS:
        assert f"examples/{name}" in page and f"figures/example_{Path(name).stem}.png" in page, name


RESULTS = {"feature_ranking.py", "column_groups.py", "class_divergence.py", "conditional_features.py"}


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs_fast_and_writes_its_figure(name, tmp_path):
    """Each writes its figure; those whose figures the guide quotes also write them as JSON, with
    the environment they were made in (``--results``)."""
    import json

    results = ["--results", str(tmp_path / "results")] if name in RESULTS else []
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--fast", "--out", str(tmp_path), *results],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figure = tmp_path / f"example_{Path(name).stem}.png"
    assert figure.stat().st_size > 10_000 and f"wrote {figure}" in done.stdout
    if results:
        written = json.loads((tmp_path / "results" / f"example_{Path(name).stem}.json").read_text())
        assert written["rows"] and written["environment"]["torch_version"] and written["config"]["fast"] is True
