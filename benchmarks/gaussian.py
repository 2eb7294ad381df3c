"""MINE paper Figure 1 protocol: estimates vs. analytic MI of componentwise-correlated Gaussians.

x, z each 1-D and each 10-D, rho from -0.99 to 0.99, N = 10,000 fixed samples per point, for
DV with the moving-average correction (MINE), DV without it, NWJ (MINE-f) and InfoNCE, all with
the estimator's defaults otherwise. Also times one default fit (10-D, 2 nats, 10,000 samples).

    python -m benchmarks.gaussian [--quick] [--out benchmarks/results]

Writes ``gaussian.json`` (rows, timing, environment) and ``gaussian.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

import mine
from mine import MINE
from mine.gaussian import mi_correlated, rho_for_mi, sample_correlated

ESTIMATORS = {
    "DV + EMA (MINE)": dict(bound="dv", ema_rate=0.01),
    "DV, no EMA": dict(bound="dv", ema_rate=0.0),
    "NWJ (MINE-f)": dict(bound="nwj"),
    "InfoNCE": dict(bound="infonce"),
}
FULL_RHOS = [-0.99, -0.9, -0.7, -0.5, -0.2, 0.0, 0.2, 0.5, 0.7, 0.9, 0.99]
QUICK_RHOS = [-0.9, 0.0, 0.5, 0.99]


def run_sweep(dims, rhos, n, seed, max_steps):
    rows = []
    configs = [(d, r, name) for d in dims for r in rhos for name in ESTIMATORS]
    for dim, rho, name in tqdm(configs, desc="gaussian sweep"):
        x, z = sample_correlated(n, rho, dim, random_state=seed)
        start = time.perf_counter()
        row = {"dim": dim, "rho": rho, "estimator": name, "truth": mi_correlated(rho, dim)}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # InfoNCE's cap: shown in the plot
                est = MINE(random_state=seed, max_steps=max_steps, **ESTIMATORS[name]).fit(x, z)
            row.update(estimate=est.mi(), steps=[f.n_steps for f in est.folds_])
        except FloatingPointError as err:  # a diverged fit is a result too
            row.update(estimate=float("nan"), error=str(err))
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
    return rows


def time_default_fit(n: int = 10_000, repeats: int = 3) -> dict:
    """Wall time of ``MINE(random_state=k).fit`` on 10-D x 10-D Gaussians at 2 nats."""
    x, z = sample_correlated(n, float(rho_for_mi(2.0, 10)), 10, random_state=0)
    runs = []
    for k in range(repeats):
        start = time.perf_counter()
        est = MINE(random_state=k).fit(x, z)
        runs.append({"seconds": time.perf_counter() - start, "estimate": est.mi(),
                     "steps": [f.n_steps for f in est.folds_]})
    return {"n": n, "dim": 10, "truth": 2.0, "runs": runs,
            "median_seconds": float(np.median([r["seconds"] for r in runs]))}


def plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dims = sorted({r["dim"] for r in rows})
    fig, axes = plt.subplots(1, len(dims), figsize=(5.5 * len(dims), 4.2), squeeze=False)
    for ax, dim in zip(axes[0], dims):
        fine = np.linspace(-0.99, 0.99, 199)
        ax.plot(fine, mi_correlated(fine, dim), color="black", lw=2, label="true MI")
        for name in ESTIMATORS:
            pts = sorted((r["rho"], r["estimate"]) for r in rows if r["dim"] == dim and r["estimator"] == name)
            ax.plot(*zip(*pts), marker="o", ms=4, label=name)
        ax.set_title(f"x, z each {dim}-D, N = {rows[0].get('n', 10000):,}")
        ax.set_xlabel("correlation rho per component")
        ax.set_ylabel("I(X; Z) [nats]")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="4 rho values, 300 steps, 2,000 samples")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rhos, n, steps = (QUICK_RHOS, 2000, 300) if args.quick else (FULL_RHOS, 10_000, 5000)

    start = time.perf_counter()
    rows = run_sweep([1, 10], rhos, n, args.seed, steps)
    for r in rows:
        r["n"] = n
    timing = time_default_fit(repeats=1 if args.quick else 3)
    result = {
        "benchmark": "gaussian", "quick": args.quick, "n": n, "max_steps": steps,
        "mine_version": mine.__version__, "torch_version": torch.__version__,
        "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(), "wall_seconds": None,
        "default_fit_timing": timing, "rows": rows,
    }
    result["wall_seconds"] = time.perf_counter() - start
    suffix = "_quick" if args.quick else ""
    (out / f"gaussian{suffix}.json").write_text(json.dumps(result, indent=1))
    plot(rows, out / f"gaussian{suffix}.png")

    print(f"{'dim':>3} {'rho':>6} {'truth':>7} " + " ".join(f"{name:>16}" for name in ESTIMATORS))
    for dim in (1, 10):
        for rho in rhos:
            cells = {r["estimator"]: r["estimate"] for r in rows if r["dim"] == dim and r["rho"] == rho}
            print(f"{dim:>3} {rho:>6.2f} {mi_correlated(rho, dim):>7.3f} "
                  + " ".join(f"{cells[name]:>16.3f}" for name in ESTIMATORS))
    print(f"default fit, 10-D x 10-D, 2 nats, {timing['n']} samples: median {timing['median_seconds']:.1f} s "
          f"over {len(timing['runs'])} run(s); estimates {[round(r['estimate'], 3) for r in timing['runs']]}")
    print(f"wrote {out / f'gaussian{suffix}.json'} and .png ({result['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
