"""What every example shares: its command line (--fast, --out) and where figures go."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
RESULTS = ROOT / "benchmarks" / "results"


def arguments(description: str) -> argparse.Namespace:
    """``--fast`` (a few seconds, for the tests) and ``--out`` (the figure's folder)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fast", action="store_true", help="few training steps: checks the script runs")
    parser.add_argument("--out", type=Path, default=FIGURES, help=f"folder for the figure (default {FIGURES})")
    parser.add_argument(
        "--results", type=Path, default=None, help=f"also write the figures as JSON there (the guide's: {RESULTS})"
    )
    return parser.parse_args()


def save(fig, out: Path, name: str) -> Path:
    """Write ``fig`` to ``out/name`` and say where."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")
    return path


def save_results(rows: list[dict], config: dict, results: Path, name: str) -> Path:
    """The example's rows, its settings and how they were made (commit, date, versions, threads:
    ``benchmarks.framework.environment``) as ``results/name.json``, which the guide's table renders."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.framework import dumps, environment

    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{name}.json"
    path.write_text(dumps({"example": name, "config": config, "environment": environment(), "rows": rows}) + "\n")
    print(f"wrote {path}")
    return path
