"""The common runner every benchmark uses.

A benchmark is a function ``run(config) -> rows`` (a list of flat dicts, optionally with a dict of
extra data such as training traces) plus a frozen dataclass of settings with a full and a quick
instance. :func:`main` parses the command line, runs it with a fixed seed, and writes

- ``NAME.json``: the config, the environment (package, torch and numpy versions, core count,
  threads, platform), the wall time, the rows and the extras;
- ``NAME.csv``: the rows;
- ``NAME.png``: the benchmark's plot, when it has one;

with a ``_quick`` suffix in quick mode. ``python -m benchmarks.NAME [--quick] [--out DIR]``.

A long benchmark can be run in parts, each with ``--set FIELD=VALUE`` overrides of its config (e.g.
a subset of its tasks, or one seed) and ``--out`` to its own folder, and the parts merged into one
result with ``--merge PART.json ...``: their rows are concatenated, their configs and environments kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

import mine

RESULTS = Path(__file__).parent / "results"
_progress = {"disable": False}

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Benchmark:
    """What a benchmark module declares; :func:`main` does the rest."""

    name: str
    run: Callable[[Any], Rows | tuple[Rows, dict]]
    full: Any
    quick: Any
    plot: Callable[[Rows, dict, Any, Path], None] | None = None
    report: Callable[[Rows, Any], str] | None = None
    description: str = ""
    merged_rows: Callable[[Rows], Rows] | None = None  # rows derived from others (summaries) redone after a merge


def progress(iterable: Iterable | None = None, total: int | None = None, desc: str = "") -> tqdm:
    """A tqdm bar that ``--quiet`` turns off."""
    return tqdm(iterable, total=total, desc=desc, disable=_progress["disable"], leave=False, dynamic_ncols=True)


def _commit() -> str | None:
    """The checkout's commit, with "+changes" when tracked files differ from it (None outside git)."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=root, capture_output=True).returncode != 0
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + ("+changes" if dirty else "")


def environment() -> dict[str, Any]:
    """What a reader needs to know how a result was made: the code (commit), when, the library
    versions, and the machine (cores, threads, GPU)."""
    return {
        "commit": _commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mine_version": mine.__version__,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (np.floating, np.integer)):
        return _jsonable(value.item())
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


_NUMBER_LIST = re.compile(r"\[\s*([-+\d.eE,\s]+?)\s*\]")


def dumps(result: dict) -> str:
    """Indented JSON whose lists of plain numbers (traces, samples) stay on one line each."""
    text = json.dumps(_jsonable(result), indent=1)
    return _NUMBER_LIST.sub(lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)


def write_csv(rows: Sequence[dict], path: Path) -> None:
    """Rows as CSV (pandas); the columns are the union of the rows' keys, in first-seen order, and a
    list or dict in a cell is written as JSON."""
    cells = [
        {k: json.dumps(_jsonable(v)) if isinstance(v, (list, dict)) else v for k, v in row.items()} for row in rows
    ]
    pd.DataFrame(cells).to_csv(path, index=False)


def figure(*args, **kwargs):
    """A matplotlib figure on the non-interactive backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def save_figure(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table(rows: Sequence[dict], columns: Sequence[str], formats: dict[str, str] | None = None) -> str:
    """A plain-text table of ``columns`` (pandas; floats with ``formats[column]``, default ``.4f``;
    a key a row lacks is left blank)."""
    formats = formats or {}

    def formatter(column):
        return lambda v: format(v, formats.get(column, ".4f")) if isinstance(v, float) else str(v)

    frame = pd.DataFrame([{c: row.get(c, "") for c in columns} for row in rows], columns=list(columns), dtype=object)
    return frame.to_string(index=False, formatters={c: formatter(c) for c in columns})


def level_stats(
    values: np.ndarray, levels: Sequence[float], steps_per_level: int, tail_fraction: float
) -> list[dict[str, Any]]:
    """Per staircase level: mean, bias, variance and MSE of per-step estimates over the level's last
    ``tail_fraction`` of steps (non-finite estimates, from a diverged critic, are counted and left out)."""
    tail = max(1, int(round(tail_fraction * steps_per_level)))
    rows = []
    for level, truth in enumerate(levels):
        window = np.asarray(values[(level + 1) * steps_per_level - tail : (level + 1) * steps_per_level], dtype=float)
        finite = window[np.isfinite(window)]
        mean = float(finite.mean()) if finite.size else math.nan
        rows.append(
            {
                "true_mi": float(truth),
                "steps_per_level": steps_per_level,
                "tail_steps": tail,
                "mean": mean,
                "bias": mean - truth,
                "variance": float(finite.var()) if finite.size else math.nan,
                "mse": float(np.mean((finite - truth) ** 2)) if finite.size else math.nan,
                "non_finite": int(window.size - finite.size),
            }
        )
    return rows


def run_benchmark(benchmark: Benchmark, config: Any, out: Path, mode: str) -> dict[str, Any]:
    """Run, time and write one benchmark; return what was written to JSON."""
    out.mkdir(parents=True, exist_ok=True)
    stem = benchmark.name + ("_quick" if mode == "quick" else "")
    made_with = environment()  # the code and the time the run starts with, not those at its end
    start = time.perf_counter()
    produced = benchmark.run(config)
    rows, extras = produced if isinstance(produced, tuple) else (produced, {})
    wall = time.perf_counter() - start
    result = {
        "benchmark": benchmark.name,
        "mode": mode,
        "config": dataclasses.asdict(config),
        "environment": made_with | {"torch_threads": environment()["torch_threads"]},
        "wall_seconds": wall,
        "rows": rows,
        **extras,
    }
    (out / f"{stem}.json").write_text(dumps(result))
    write_csv(rows, out / f"{stem}.csv")
    if benchmark.plot is not None:
        benchmark.plot(rows, extras, config, out / f"{stem}.png")
    return result


def override(config: Any, assignment: str) -> Any:
    """``config`` with one field replaced from ``FIELD=VALUE``: VALUE is parsed as the field's current
    value is typed (a tuple field takes a comma-separated list, or a JSON list for tuples of tuples)."""
    field, sep, text = assignment.partition("=")
    current = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    if not sep or field not in current:
        raise SystemExit(f"--set: expected FIELD=VALUE with FIELD one of {', '.join(current)}; got {assignment!r}")
    old = current[field]
    try:
        if isinstance(old, tuple):
            value: Any = (
                json.loads(text) if text.lstrip().startswith("[") else [t.strip() for t in text.split(",") if t.strip()]
            )
            # the elements take the type of the default's (seeds=0,1 are ints, not strings)
            kind = type(old[0]) if old and not isinstance(old[0], (tuple, str)) else None
            value = tuple(tuple(v) if isinstance(v, list) else (kind(v) if kind else v) for v in value)
        elif isinstance(old, bool):
            value = {"true": True, "false": False}[text.lower()]
        elif isinstance(old, str):
            value = text
        elif old is None:  # a number, null or a word: JSON where it reads as JSON, else the text
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = text
        else:
            value = type(old)(text)
    except (ValueError, KeyError) as err:
        raise SystemExit(f"--set {field}: cannot read {text!r} as {type(old).__name__}: {err}") from None
    return dataclasses.replace(config, **{field: value})


def merge_results(benchmark: Benchmark, paths: Sequence[Path], out: Path) -> dict[str, Any]:
    """Concatenate the rows of several part results (in order) into one result and write it."""
    parts = [json.loads(Path(p).read_text()) for p in paths]
    names = {part.get("benchmark") for part in parts}
    if names != {benchmark.name}:
        raise SystemExit(f"--merge: these files are results of {sorted(map(str, names))}, not {benchmark.name!r}")
    modes = {part["mode"] for part in parts}
    mode = modes.pop() if len(modes) == 1 else "merged"
    listed = [  # a merged file's own parts are listed, not the merged file
        sub
        for p, part in zip(paths, parts)
        for sub in part.get("parts")
        or [{k: part[k] for k in ("config", "environment", "wall_seconds")} | {"file": str(p)}]
    ]
    differing = sorted({k for sub in listed for k, v in sub["config"].items() if v != listed[0]["config"].get(k)})
    result = {
        "benchmark": benchmark.name,
        "mode": mode,
        "parts": listed,
        "config": {k: v for k, v in listed[0]["config"].items() if k not in differing}
        | {"differs_between_parts": differing},
        "environment": parts[0]["environment"],
        "wall_seconds": sum(part["wall_seconds"] for part in parts),
        "rows": [row for part in parts for row in part["rows"]],
    }
    extras: dict[str, Any] = {}  # what run() returned beside the rows (e.g. traces): dicts are joined
    for part in parts:
        for key, value in part.items():
            if key not in result and key != "parts":
                joined = isinstance(value, dict) and isinstance(extras.get(key), dict)
                extras[key] = {**extras[key], **value} if joined else value
    result.update(extras)
    if benchmark.merged_rows is not None:
        result["rows"] = benchmark.merged_rows(result["rows"])
    config = benchmark.full if mode == "full" else benchmark.quick
    stem = benchmark.name + ("_quick" if mode == "quick" else "")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(dumps(result))
    write_csv(result["rows"], out / f"{stem}.csv")
    if benchmark.plot is not None:
        benchmark.plot(result["rows"], extras, config, out / f"{stem}.png")
    return result


def main(benchmark: Benchmark, argv: Sequence[str] | None = None) -> dict[str, Any]:
    """``python -m benchmarks.NAME [--quick] [--seed S] [--set FIELD=VALUE ...] [--out DIR] [--quiet]``,
    or ``--merge PART.json ...``."""
    parser = argparse.ArgumentParser(
        prog=f"python -m benchmarks.{benchmark.name}",
        description=benchmark.description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="the short configuration (about a minute)")
    parser.add_argument("--seed", type=int, default=None, help="override the config's seed")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"output folder (default {RESULTS})")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override one config field (repeatable), e.g. --set seed=3",
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="PART.json",
        help="merge the rows of results run in parts into one result in --out",
    )
    args = parser.parse_args(argv)
    _progress["disable"] = args.quiet
    config = benchmark.quick if args.quick else benchmark.full
    if args.merge:
        result = merge_results(benchmark, args.merge, args.out)
        mode = result["mode"]
    else:
        mode = "quick" if args.quick else "full"
        if args.seed is not None:
            config = dataclasses.replace(config, seed=args.seed)
        for assignment in args.set:
            config = override(config, assignment)
        result = run_benchmark(benchmark, config, args.out, mode)
    if benchmark.report is not None:
        print(benchmark.report(result["rows"], config))
    stem = benchmark.name + ("_quick" if mode == "quick" else "")
    print(
        f"wrote {args.out / stem}.json/.csv{'/.png' if benchmark.plot else ''} in {result['wall_seconds']:.0f} s",
        file=sys.stderr,
    )
    return result
