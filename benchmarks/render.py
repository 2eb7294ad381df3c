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
    """One line: the file, its parts, and the dates, versions and threads they ran with (the commits
    are in the file; a user guide names versions, not commits)."""
    parts = result.get("parts") or [result]
    envs = [part.get("environment", {}) for part in parts]
    dates = sorted(str(env["date"])[:16].replace("T", " ") for env in envs if env.get("date"))
    setups = sorted(
        {
            f"mine {env.get('mine_version')}, torch {env.get('torch_version')}, "
            f"{env.get('torch_threads')} thread(s) of {env.get('cpu_count')} cores"
            + (f", CUDA {env['cuda']}" if env.get("cuda") else "")
            for env in envs
        }
    )
    committed = result.get("committed_in")
    if not dates and committed:
        dates = [f"{committed['date']} or before"]
    if not dates:
        when = "date not recorded"
    elif dates[0] == dates[-1]:
        when = dates[0]
    else:  # the second date's day only when it differs
        when = f"{dates[0]} to {dates[-1][-5:] if dates[0][:10] == dates[-1][:10] else dates[-1]}"
    what = [
        f"{len(parts)} parts" if len(parts) > 1 else "",
        when,
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
    """ "network, gaussian rank 2, ..." as counts: "Gaussian 3, network 1" (the data-scale Gaussian
    critic as "Gaussian of the values")."""
    names = {"gaussian (data scale)": "Gaussian of the values", "gaussian": "Gaussian", "student-t": "Student-t"}
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
    header.append("network alone (`candidates=None`), the same")
    return markdown_table(header, body) + "\n\n" + provenance("defaults", result)


def _mean_sd(summary: dict[str, Any], key: str, digits: int) -> str:
    return f"{summary[f'{key}_mean']:.{digits}f} ± {summary[f'{key}_sd']:.{digits}f}"


@renderer("ci-tests")
def ci_tests() -> str:
    """The test with the default estimator: rejection rate at 0.05 per design."""
    return _rejections("ci_tests")


@renderer("ci-tests-uncorrected")
def ci_tests_uncorrected() -> str:
    """The test before the mean correction (y redrawn as it was): rejection rate per design."""
    return _rejections("ci_tests_uncorrected")


@renderer("ci-tests-x")
def ci_tests_x() -> str:
    """The same test as it was, with x redrawn among the neighbours in z: rejection rate per design."""
    return _rejections("ci_tests_x")


def _rejections(name: str) -> str:
    """Rejection rate at 0.05 per design and null search, with its binomial standard error, and the
    mean p-value (benchmarks.ci_tests.summary)."""
    from .ci_tests import summary  # here, not at the top: it imports mine and torch, which rendering otherwise skips

    result = load(name)
    body = [
        [
            s["design"],
            f"{s['truth']:.2f}",
            s["neighbours"],
            str(s["draws"]),
            f"{100 * s['rejection_rate']:.1f}% ± {100 * s['rate_se']:.1f}%",
            f"{s['mean_p_value']:.2f}",
        ]
        for s in summary(result["rows"])
    ]
    header = ["design", "truth (nats)", "neighbours", "draws", "rejected at 0.05", "mean p"]
    return markdown_table(header, body) + "\n\n" + provenance(name, result)


CCMI_PUBLISHED = {1: 2.30, 10: 2.18, 50: 1.98, 100: 1.67}  # Mukherjee et al. 2019, Model I, N = 20,000


@renderer("cmi")
def cmi() -> str:
    """Per task the truth, ConditionalMI and the k-NN CMI (mean over seeds), and CCMI's published
    Model I figures; an estimator run on fewer seeds than the task's says which."""
    result = load("cmi")
    rows = result["rows"]
    body = []
    for task in dict.fromkeys(r["task"] for r in rows):
        seeds = sorted({r["seed"] for r in rows if r["task"] == task})
        cells = []
        for estimator in ("ConditionalMI", "k-NN CMI"):
            cell = [r for r in rows if (r["task"], r["estimator"]) == (task, estimator)]
            own = sorted({r["seed"] for r in cell})
            mean = f"{np.mean([r['estimate'] for r in cell]):.3f}" if cell else ""
            cells.append(mean + (f" (seed {', '.join(map(str, own))})" if cell and own != seeds else ""))
        dz = int(task.rsplit("dz=", 1)[1]) if task.startswith("model I dz=") else None
        published = f"{CCMI_PUBLISHED[dz]:.2f}" if dz in CCMI_PUBLISHED else ""
        truth = next(r["truth"] for r in rows if r["task"] == task)
        body.append([task, f"{truth:.3f}", *cells, published, ", ".join(map(str, seeds))])
    header = ["task", "truth", "ConditionalMI", "k-NN CMI", "CCMI (published)", "seeds"]
    return markdown_table(header, body) + "\n\n" + provenance("cmi", result)


@renderer("scaling-memory")
def scaling_memory() -> str:
    """Memory growth of a fit from memory-mapped rows against one from arrays in memory, fit times and
    estimates, per number of rows."""
    result = load("scaling")
    rows = [r for r in result["rows"] if r.get("part", "memory") != "processes"]
    body = []
    for n in sorted({r["rows"] for r in rows}):
        by = {r["storage"]: r for r in rows if r["rows"] == n}
        mapped, memory = by.get("memory-mapped"), by.get("in memory")
        growth = [
            f"{r['anon_growth_mib']:.1f} MiB ({r['growth_per_data']:.2f} x data)" if r else "not run"
            for r in (mapped, memory)
        ]
        seconds = " / ".join(f"{r['fit_seconds']:.0f} s" if r else "-" for r in (mapped, memory))
        estimates = " / ".join(f"{r['estimate']:.3f}" for r in (mapped, memory) if r)
        data = (mapped or memory)["data_mib"]
        body.append([f"{n:,}", f"{data:.0f} MiB", *growth, seconds, estimates])
    header = ["rows", "data", "memory-mapped fit: growth", "in-memory fit: growth", "fit time (mapped / in memory)"]
    header.append(f"estimate (truth {rows[0]['truth']:g})")
    return markdown_table(header, body) + "\n\n" + provenance("scaling", result)


@renderer("scaling-processes")
def scaling_processes() -> str:
    """Milliseconds per training step of one process against two (global or per-rank negatives)."""
    result = load("scaling")
    rows = [r for r in result["rows"] if r.get("part") == "processes"]
    modes = list(dict.fromkeys(r["mode"] for r in rows))
    body = []
    for critic, batch in dict.fromkeys((r["critic"], r["batch_size"]) for r in rows):
        cells = []
        for mode in modes:
            r = next(r for r in rows if (r["critic"], r["batch_size"], r["mode"]) == (critic, batch, mode))
            speed = "" if r["processes"] == 1 else f"; {r['speedup_vs_1_process']:.2f}x"
            cells.append(f"{r['ms_per_step']:.1f} ms ({r['samples_per_second']:,.0f} rows/s{speed})")
        body.append([f"{critic}, {batch:,}", *cells])
    return markdown_table(["critic, global batch", *modes], body) + "\n\n" + provenance("scaling", result)


def _gan_runs(part: str, beta: float) -> list[dict[str, Any]]:
    return [r for r in load("gan_modes")["rows"] if r["part"] == part and r.get("mine_beta") == beta]


@renderer("gan-grid")
def gan_grid() -> str:
    """Per seed on the 25-Gaussian grid: the plain GAN's modes, high-quality share and KL beside the
    regularised run's (and its MI estimate); the mean ± sd over seeds; seconds per run."""
    plain, mine = _gan_runs("grid", 0.0), _gan_runs("grid", 1.0)
    body = []
    for p, m in zip(plain, mine):
        cells = [
            f"{p['modes']} / {p['high_quality']:.3f} / {p['kl']:.3f}",
            f"{m['modes']} / {m['high_quality']:.3f} / {m['kl']:.3f} / {m['mi']:.2f}",
        ]
        body.append([str(p["seed"]), *cells, f"{p['seconds']:,.0f}, {m['seconds']:,.0f}"])
    summary = {r["mine_beta"]: r for r in load("gan_modes")["rows"] if r["part"] == "grid summary"}
    s0, s1 = summary[0.0], summary[1.0]
    body.append(
        [
            "mean ± sd",
            f"{_mean_sd(s0, 'modes', 1)} / {s0['high_quality_mean']:.2f} / {_mean_sd(s0, 'kl', 2)}",
            f"{_mean_sd(s1, 'modes', 1)} / {s1['high_quality_mean']:.2f} / {_mean_sd(s1, 'kl', 3)}",
            "",
        ]
    )
    header = ["seed", "GAN: modes / high quality / KL", "GAN + MINE: modes / high quality / KL / I_hat"]
    header.append("s (GAN, MINE)")
    return markdown_table(header, body) + "\n\n" + provenance("gan_modes", load("gan_modes"))


@renderer("gan-digits")
def gan_digits() -> str:
    """Per seed on stacked digits: modes of 1,000 and KL, plain and regularised (with its MI
    estimate); mean ± sd; seconds per run."""
    plain, mine = _gan_runs("digits", 0.0), _gan_runs("digits", 1.0)
    body = []
    for p, m in zip(plain, mine):
        cells = [f"{p['modes']} / {p['kl']:.3f}", f"{m['modes']} / {m['kl']:.3f} / {m['mi']:.2f}"]
        body.append([str(p["seed"]), *cells, f"{p['seconds']:,.0f}, {m['seconds']:,.0f}"])
    summary = {r["mine_beta"]: r for r in load("gan_modes")["rows"] if r["part"] == "digits summary"}
    means = [f"{_mean_sd(summary[b], 'modes', 1)} / {_mean_sd(summary[b], 'kl', 3)}" for b in (0.0, 1.0)]
    body.append([f"mean ± sd, {summary[0.0]['runs']} seeds", *means, ""])
    header = ["seed", "GAN: modes of 1,000 / KL", "GAN + MINE: modes / KL / I_hat", "s (GAN, MINE)"]
    return markdown_table(header, body) + "\n\n" + provenance("gan_modes", load("gan_modes"))


F_GAN_NAMES = {
    "gan": "GAN",
    "kl": "KL",
    "reverse_kl": "reverse KL",
    "pearson": "Pearson χ²",
    "squared_hellinger": "squared Hellinger",
    "jensen_shannon": "Jensen–Shannon",
}


@renderer("gan-divergences")
def gan_divergences() -> str:
    """Per f-GAN divergence on the grid: modes per seed with the learning rate that ran (a diverged
    run and its rerun at a tenth), mean ± sd of modes, the high-quality share and KL."""
    rows = load("gan_modes")["rows"]
    body = []
    for summary in (r for r in rows if r["part"] == "table summary"):
        runs = [r for r in rows if r["part"] == "table" and r["loss"] == summary["loss"]]
        seeds = []
        for seed in dict.fromkeys(r["seed"] for r in runs):
            words = []
            for r in (r for r in runs if r["seed"] == seed):
                if "error" in r:
                    words.append("diverged")
                else:
                    empty = ", no high-quality sample" if r["kl"] == "inf" else ""
                    words.append(f"{r['modes']} ({r['lr_g']:g}{empty})")
            seeds.append(" then ".join(words))
        finite = summary["runs"] - summary.get("kl_infinite", 0)
        kl = _mean_sd(summary, "kl", 2) + (f" ({finite} seeds)" if finite < summary["runs"] else "")
        modes = _mean_sd(summary, "modes", 1)
        body.append([F_GAN_NAMES.get(summary["loss"], summary["loss"]), ", ".join(seeds), modes])
        body[-1] += [f"{summary['high_quality_mean']:.3f}", kl]
    header = ["divergence", "modes per seed (lr)", "modes, mean ± sd", "high quality", "KL, mean ± sd"]
    return markdown_table(header, body) + "\n\n" + provenance("gan_modes", load("gan_modes"))


@renderer("conditional-features")
def conditional_features() -> str:
    """``examples/conditional_features.py``: each feature's MI with the target, its CMI given the
    features already known, the CMI's standard error and the test's p-value."""
    result = load("example_conditional_features")
    body = [[r["feature"], *(f"{r[key]:.3f}" for key in ("mi", "cmi", "se", "p"))] for r in result["rows"]]
    given = ", ".join(result["config"]["given"])
    header = ["feature", "I(f; progression)", f"given {given}", "se", "p-value"]
    return markdown_table(header, body) + "\n\n" + provenance("example_conditional_features", result)


@renderer("divergences")
def divergences() -> str:
    """Per divergence the truth and estimate / truth at each sample size."""
    result = load("divergences")
    rows = result["rows"]
    sizes = sorted({r["n"] for r in rows})
    body = []
    for name in dict.fromkeys(r["divergence"] for r in rows):
        cells = {r["n"]: r for r in rows if r["divergence"] == name}
        ratios = [f"{cells[n]['estimate'] / cells[n]['truth']:.2f}x" if n in cells else "" for n in sizes]
        body.append([name, f"{cells[sizes[0]]['truth']:.4f}", *ratios])
    header = ["divergence", "truth", *(f"{n:,} samples" for n in sizes)]
    return markdown_table(header, body) + "\n\n" + provenance("divergences", result)


@renderer("feature-ranking")
def feature_ranking() -> str:
    """``examples/feature_ranking.py``: each feature's MI with the target by MINE (estimate and the
    lower bound it can defend) and by scikit-learn's k-NN estimate, in MINE's order."""
    result = load("example_feature_ranking")
    body = [[r["feature"], *(f"{r[key]:.3f}" for key in ("mine", "lower", "knn"))] for r in result["rows"]]
    header = ["feature", "MINE estimate", "MINE: at least (95%)", "k-NN (mutual_info_regression)"]
    return markdown_table(header, body) + "\n\n" + provenance("example_feature_ranking", result)


@renderer("column-groups")
def column_groups() -> str:
    """``examples/column_groups.py``: MINE's estimate and lower bound, the reach of a bound from one
    report's rows (log n), KSG and the Gaussian value."""
    result = load("example_column_groups")
    r = result["rows"][0]
    body = [
        ["MINE estimate", f"{r['mine']:.2f}"],
        ["MINE: at least (95%)", f"{r['lower']:.2f}"],
        [
            f"log {r['report_rows']}: the most a bound from one report's rows can show",
            f"{np.log(r['report_rows']):.2f}",
        ],
        ["KSG (k = 3)", f"{r['ksg']:.2f}"],
        ["MI of a Gaussian with this covariance (not a bound)", f"{r['gaussian']:.2f}"],
    ]
    return markdown_table(["", "nats"], body) + "\n\n" + provenance("example_column_groups", result)


@renderer("class-divergence")
def class_divergence() -> str:
    """``examples/class_divergence.py``: each divergence and direction, its estimate and its 95%
    interval clipped to the divergence's range."""
    result = load("example_class_divergence")
    maximum = result["config"]["maximum"]
    body = [
        [
            r["divergence"],
            r["pair"],
            f"{r['estimate']:.2f}",
            f"{r['low']:.2f} to {r['high']:.2f}",
            f"{maximum[r['divergence']]:.3f}",
        ]
        for r in result["rows"]
    ]
    header = ["divergence", "direction", "estimate", "95% interval", "largest value"]
    return markdown_table(header, body) + "\n\n" + provenance("example_class_divergence", result)


@renderer("speed")
def speed() -> str:
    """Training steps per second and peak memory of ``MINE.fit``, float32 with 10 columns a side, per
    critic and batch size."""
    result = load("speed")
    rows = [r for r in result["rows"] if r["dtype"] == "float32" and r["dim"] == 10]
    sizes = sorted({r["batch_size"] for r in rows})
    body = []
    for critic in dict.fromkeys(r["critic"] for r in rows):
        cells = {r["batch_size"]: r for r in rows if r["critic"] == critic}
        body.append(
            [critic]
            + [
                f"{cells[b]['steps_per_second']:,.1f}; {cells[b]['peak_memory_mib']:,.0f}" if b in cells else "—"
                for b in sizes
            ]
        )
    header = ["critic (steps/s; peak MiB)", *(f"B = {b:,}" for b in sizes)]
    return markdown_table(header, body) + "\n\n" + provenance("speed", result)


@renderer("gaussian-sweep")
def gaussian_sweep() -> str:
    """The MINE paper's sweep: per dimension and rho >= 0 the truth and each estimator's estimate
    (negative rho mirrors it: every row is in gaussian.csv), and the default fit's timing."""
    result = load("gaussian")
    rows = [r for r in result["rows"] if r["rho"] > 0]
    estimators = list(dict.fromkeys(r["estimator"] for r in rows))
    body = []
    for dim, rho in dict.fromkeys((r["dim"], r["rho"]) for r in rows):
        cells = {r["estimator"]: r for r in rows if (r["dim"], r["rho"]) == (dim, rho)}
        truth = next(iter(cells.values()))["truth"]
        body.append([str(dim), f"{rho:g}", f"{truth:.3f}", *(f"{cells[e]['estimate']:.3f}" for e in estimators)])
    table_ = markdown_table(["dim", "rho", "truth", *estimators], body)
    timing = result.get("default_fit_timing") or []
    if timing:
        seconds = [t["seconds"] for t in timing]
        estimates = [t["estimate"] for t in timing]
        table_ += (
            f"\n\n`MINE()` on 10-D Gaussians at 2 nats, {len(timing)} repeats: {min(seconds):.1f}-{max(seconds):.1f} s"
            f" per fit, estimates {min(estimates):.4f}-{max(estimates):.4f}."
        )
    return table_ + "\n\n" + provenance("gaussian", result)
