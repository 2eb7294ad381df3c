"""Tables of the user guide, rendered from ``benchmarks/results/*.json`` when the site builds.

A page asks for a table with an HTML comment on a line of its own::

    <!-- render: bias -->

and ``docs/hooks.py`` replaces it with ``render("bias")``: the table, then one line that says which
results file it comes from and how that file was made (commit, date, versions, threads). A rerun
of the benchmark updates the page; nothing in a rendered table is typed by hand. An unknown name
is an error, so a strict build fails rather than print a stale or empty table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
PLACEHOLDER = re.compile(r"^<!-- render: ([\w-]+) -->$", re.MULTILINE)
RENDERERS: dict[str, Callable[[], str]] = {}


def renderer(name: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register a function returning a markdown table under ``name``."""

    def register(function: Callable[[], str]) -> Callable[[], str]:
        RENDERERS[name] = function
        return function

    return register


def load(name: str) -> dict[str, Any]:
    """``benchmarks/results/NAME.json``."""
    return json.loads((RESULTS / f"{name}.json").read_text())


def provenance(name: str, result: dict[str, Any]) -> str:
    """One line: the file, its parts, and the commits, dates, versions and threads they ran with."""
    parts = result.get("parts") or [result]
    envs = [part.get("environment", {}) for part in parts]
    commits = sorted(
        {
            str(env["commit"])[:7] + ("+changes" if "+changes" in str(env["commit"]) else "")
            for env in envs
            if env.get("commit")
        }
    )
    dates = sorted(str(env["date"])[:16].replace("T", " ") for env in envs if env.get("date"))
    setups = sorted(
        {
            f"mine {env.get('mine_version')}, torch {env.get('torch_version')}, "
            f"{env.get('torch_threads')} thread(s) of {env.get('cpu_count')} cores"
            + (f", CUDA {env['cuda']}" if env.get("cuda") else "")
            for env in envs
        }
    )
    what = [
        f"{len(parts)} parts" if len(parts) > 1 else "",
        f"commit {', '.join(commits)}" if commits else "commit not recorded",
        (dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1][-5:]}") if dates else "",
        "; ".join(setups),
    ]
    return f"*From `benchmarks/results/{name}.json` ({'; '.join(w for w in what if w)}).*"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _percent(value: float) -> str:
    return f"{100 * value:+.0f}%"


@renderer("bias")
def bias() -> str:
    """The default's relative error (and seconds per fit) by family, columns a side and rows."""
    result = load("bias")
    rows = result["rows"]
    sizes = sorted({r["n"] for r in rows})
    body = []
    for family, dim in dict.fromkeys((r["family"], r["dim"]) for r in rows):
        cells = []
        for n in sizes:
            cell = [r for r in rows if (r["family"], r["dim"], r["n"]) == (family, dim, n)]
            error = float(np.mean([r["relative_error"] for r in cell]))
            cells.append(f"{_percent(error)} ({np.mean([r['seconds'] for r in cell]):.0f} s)")
        body.append([family, str(dim), f"{cell[0]['truth']:.3f}", *cells])
    header = ["family", "a side", "truth", *(f"{n:,} rows" for n in sizes)]
    return markdown_table(header, body) + "\n\n" + provenance("bias", result)


TASK_ESTIMATORS = {"MINE": "default", "MINE network only": "network only", "KSG": "KSG", "CCA": "Gaussian (CCA)"}


@renderer("consistency-defaults")
def consistency_defaults() -> str:
    """Per task the mean estimate over seeds 0-2 of the default, the network alone, KSG and CCA, with
    the relative error; then the mean absolute and the largest relative error, and fit times."""
    result = load("consistency_defaults")
    rows = [r for r in result["rows"] if r["part"] == "task" and r.get("seed", 0) in (0, 1, 2)]
    names = [e for e in TASK_ESTIMATORS if any(r["estimator"] == e for r in rows)]
    errors: dict[str, list[float]] = {e: [] for e in names}
    body = []
    for task in dict.fromkeys(r["case"] for r in rows):
        truth = next(r["truth"] for r in rows if r["case"] == task)
        cells = []
        for e in names:
            values = [r["estimate"] for r in rows if (r["case"], r["estimator"]) == (task, e)]
            error = (float(np.mean(values)) - truth) / truth
            errors[e].append(error)
            cells.append(f"{np.mean(values):.3f} ({_percent(error)})")
        body.append([task, f"{truth:.3f}", *cells])
    body.append(
        ["**mean absolute relative error**", "", *(f"**{100 * np.mean(np.abs(errors[e])):.1f}%**" for e in names)]
    )
    body.append(["**largest relative error**", "", *(f"{100 * np.max(np.abs(errors[e])):.1f}%" for e in names)])
    seconds = []
    for e in names:
        times = [r["seconds"] for r in rows if r["estimator"] == e]
        seconds.append(f"{np.median(times):.0f} (max {np.max(times):.0f})" if np.max(times) >= 0.5 else "under 1")
    body.append(["median (max) seconds per fit", "", *seconds])
    seeds = sorted({r.get("seed", 0) for r in rows})
    header = ["task", "truth", *(f"{TASK_ESTIMATORS[e]}, mean of seeds {', '.join(map(str, seeds))}" for e in names)]
    return markdown_table(header, body) + "\n\n" + provenance("consistency_defaults", result)


@renderer("lower-bound-on-tasks")
def lower_bound_on_tasks() -> str:
    """Per task, how often the default's ``mi_lower(0.95)`` is at or below the truth, over every
    seed, and the mean distance from the truth down to it."""
    result = load("consistency_defaults")
    rows = [r for r in result["rows"] if r["part"] == "task" and r["estimator"] == "MINE"]
    body = []
    for task in dict.fromkeys(r["case"] for r in rows):
        cell = [r for r in rows if r["case"] == task]
        held = sum(r["lower"] <= r["truth"] for r in cell)
        gap = np.mean([r["truth"] - r["lower"] for r in cell])
        body.append([task, f"{cell[0]['truth']:.3f}", f"{held} of {len(cell)}", f"{gap:.3f}"])
    header = ["task", "truth", "L at or below the truth", "mean truth - L"]
    return markdown_table(header, body) + "\n\n" + provenance("consistency_defaults", result)


@renderer("calibration")
def calibration() -> str:
    """Per calibration cell (dimension, MI, rows): the mean estimate, its spread over draws, the
    mean reported standard error, how often L is at or below the truth, and the mean truth - L."""
    result = load("consistency_calibration")
    rows = [r for r in result["rows"] if r["part"] == "calibration"]
    body = []
    for case, n in dict.fromkeys((r["case"], r["n"]) for r in rows):
        cell = [r for r in rows if (r["case"], r["n"]) == (case, n) and "se" in r]
        values = np.array([r["estimate"] for r in cell])
        held = sum(r["lower_holds"] for r in cell)
        body.append(
            [
                case.replace("x", " x ", 1),
                f"{n:,}",
                f"{cell[0]['truth']:g}",
                f"{values.mean():.3f}",
                f"{values.std(ddof=1):.4f}",
                f"{np.mean([r['se'] for r in cell]):.4f}",
                f"{held} of {len(cell)}",
                f"{np.mean([r['truth'] - r['lower'] for r in cell]):.3f}",
            ]
        )
    header = [
        "case",
        "rows",
        "truth",
        "mean estimate",
        "spread",
        "mean se",
        "L at or below the truth",
        "mean truth - L",
    ]
    return markdown_table(header, body) + "\n\n" + provenance("consistency_calibration", result)


def render(name: str) -> str:
    """The markdown registered under ``name`` (a ValueError names the known ones otherwise)."""
    if name not in RENDERERS:
        raise ValueError(f"no table named {name!r} to render; known: {', '.join(sorted(RENDERERS))}")
    return RENDERERS[name]()


def render_page(markdown: str) -> str:
    """``markdown`` with every ``<!-- render: NAME -->`` line replaced by its table."""
    return PLACEHOLDER.sub(lambda match: render(match.group(1)), markdown)


def _kept(chosen: str) -> str:
    """ "network, gaussian rank 2, ..." as counts: "Gaussian 3, network 1"."""
    names = {"gaussian": "Gaussian", "student-t": "Student-t"}
    kinds = [next((v for k2, v in names.items() if k.startswith(k2)), k) for k in chosen.split(", ")]
    return ", ".join(f"{k} {kinds.count(k)}" for k in dict.fromkeys(kinds))


@renderer("defaults")
def defaults() -> str:
    """The default and the network alone on the four Gaussian cases: estimate (95% interval), the
    lower bound, what the four held-out halves kept, seconds."""
    result = load("defaults")
    body = []
    for case in dict.fromkeys(r["case"] for r in result["rows"]):
        cells = []
        for setting in ("default", "network only"):
            r = next(r for r in result["rows"] if (r["case"], r["setting"]) == (case, setting))
            interval = f"{r['estimate']:.4f} ({r['low']:.4f} to {r['high']:.4f})"
            cells.append(f"{interval}; L {r['lower']:.4f}; {_kept(r['chosen'])}; {r['seconds']:.0f} s")
        body.append([case, f"{r['truth']:.4f}", *cells])
    header = ["case", "truth", "default: estimate (95% interval); L; kept by the 4 halves; fit time"]
    header.append("network alone (`gaussian_critic=False`), the same")
    return markdown_table(header, body) + "\n\n" + provenance("defaults", result)
