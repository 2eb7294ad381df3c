"""Two-sample f-divergence estimates against the truth, for every row of the table, across sizes.

P = N(0, 1), Q = N(0.5, 1.2^2) in 1-D (every chi^2 is finite for this pair), the truth by numerical
integration of q f(p/q) with scipy; plus KL between two 2-D Gaussians (analytic). Sample sizes
1,000 / 10,000 / 50,000 of each of P and Q, `DivergenceEstimator` defaults otherwise.

    python -m benchmarks.divergences [--quick] [--out benchmarks/results]

Writes ``divergences.json`` and ``divergences.png`` (estimate / truth per divergence and size).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from scipy import integrate, stats
from tqdm.auto import tqdm

import mine
from mine import DivergenceEstimator
from mine.divergences import get_divergence
from mine.gaussian import kl_gaussians

ROWS = [("total_variation", {}), ("kl", {}), ("reverse_kl", {}), ("pearson", {}), ("neyman", {}),
        ("squared_hellinger", {}), ("jeffrey", {}), ("jensen_shannon", {}), ("gan", {}),
        ("alpha", {"alpha": -1.0}), ("alpha", {"alpha": 0.5}), ("alpha", {"alpha": 2.0})]
P1, Q1 = (0.0, 1.0), (0.5, 1.2)
KL2D = (np.array([0.0, 0.0]), np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([1.0, -0.5]), np.diag([1.5, 0.8]))


def truth_1d(name: str, params: dict) -> float:
    """D_f(P || Q) = integral of q(x) f(p(x) / q(x)) dx, f read from the table."""
    div = get_divergence(name, **params)
    p, q = stats.norm(*P1), stats.norm(*Q1)

    def integrand(x):
        return q.pdf(x) * float(div.f(torch.tensor(p.pdf(x) / q.pdf(x), dtype=torch.float64)))

    return integrate.quad(integrand, -15, 15, limit=400, epsabs=1e-12)[0]


def label(name: str, params: dict) -> str:
    return name + "".join(f" {k}={v:g}" for k, v in params.items())


def run(sizes, seed: int, max_steps: int):
    rng = np.random.default_rng(seed)
    cases = [(label(n, p), n, p, "1-D", truth_1d(n, p)) for n, p in ROWS]
    cases.append(("kl (2-D)", "kl", {}, "2-D", kl_gaussians(*KL2D)))
    rows = []
    for (name, div, params, kind, truth), n in tqdm([(c, n) for c in cases for n in sizes], desc="divergences"):
        if kind == "1-D":
            p, q = rng.normal(*P1, (n, 1)), rng.normal(*Q1, (n, 1))
        else:
            p = rng.multivariate_normal(KL2D[0], KL2D[1], n)
            q = rng.multivariate_normal(KL2D[2], KL2D[3], n)
        start = time.perf_counter()
        est = DivergenceEstimator(div, divergence_params=params or None, random_state=seed,
                                  max_steps=max_steps).fit(p, q)
        rows.append({"divergence": name, "n": n, "truth": truth, "estimate": est.value(),
                     "relative_error": (est.value() - truth) / truth, "seconds": time.perf_counter() - start,
                     "steps": [f.n_steps for f in est.folds_]})
    return rows


def plot(rows, sizes, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["divergence"] for r in rows))
    fig, ax = plt.subplots(figsize=(11, 4.2))
    width, top = 0.8 / len(sizes), 2.0
    for k, n in enumerate(sizes):
        ratio = [next(r["estimate"] / r["truth"] for r in rows if r["divergence"] == d and r["n"] == n) for d in names]
        xs = np.arange(len(names)) + (k - (len(sizes) - 1) / 2) * width
        ax.bar(xs, np.clip(ratio, 0, top), width, label=f"n = {n:,}")
        for x, value in zip(xs, ratio):
            if value > top:  # an off-scale bar is cut and labelled with its value
                ax.text(x, top * 0.97, f"{value:.0f}x", ha="center", va="top", fontsize=7, rotation=90)
    ax.set_ylim(0, top)
    ax.axhline(1.0, color="black", lw=1)
    ax.axhspan(0.9, 1.1, color="grey", alpha=0.15, label="within 10%")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylabel("estimate / truth")
    ax.set_title("Two-sample f-divergence estimates (held out, 2 folds)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sizes 1,000 and 2,000, 300 steps")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--replot", action="store_true", help="redraw the plot from the saved JSON")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes, steps = ([1000, 2000], 300) if args.quick else ([1000, 10_000, 50_000], 5000)
    suffix = "_quick" if args.quick else ""
    if args.replot:
        saved = json.loads((out / f"divergences{suffix}.json").read_text())
        plot(saved["rows"], saved["sizes"], out / f"divergences{suffix}.png")
        return
    start = time.perf_counter()
    rows = run(sizes, args.seed, steps)
    result = {"benchmark": "divergences", "quick": args.quick, "sizes": sizes, "max_steps": steps,
              "mine_version": mine.__version__, "torch_version": torch.__version__, "cpu_count": os.cpu_count(),
              "platform": platform.platform(), "wall_seconds": time.perf_counter() - start, "rows": rows}
    (out / f"divergences{suffix}.json").write_text(json.dumps(result, indent=1))
    plot(rows, sizes, out / f"divergences{suffix}.png")
    print(f"{'divergence':<22} {'truth':>8} " + " ".join(f"{'n=' + str(n):>10}" for n in sizes))
    for name in dict.fromkeys(r["divergence"] for r in rows):
        cells = [r for r in rows if r["divergence"] == name]
        print(f"{name:<22} {cells[0]['truth']:>8.4f} " + " ".join(f"{r['estimate']:>10.4f}" for r in cells))
    print(f"wrote {out / f'divergences{suffix}.json'} and .png ({result['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
