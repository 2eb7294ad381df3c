"""What every example shares: its command line (--fast, --out) and where figures go."""

from __future__ import annotations

import argparse
from pathlib import Path

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"


def arguments(description: str) -> argparse.Namespace:
    """``--fast`` (a few seconds, for the tests) and ``--out`` (the figure's folder)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fast", action="store_true", help="few training steps: checks the script runs")
    parser.add_argument("--out", type=Path, default=FIGURES, help=f"folder for the figure (default {FIGURES})")
    return parser.parse_args()


def save(fig, out: Path, name: str) -> Path:
    """Write ``fig`` to ``out/name`` and say where."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")
    return path
