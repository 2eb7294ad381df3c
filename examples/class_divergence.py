"""How different are the two classes of scikit-learn's wine data (cultivars 0 and 1) in their 13
chemical measurements? Two-sample lower bounds on the Jensen-Shannon row of the f-GAN table (2 JSD:
at most 2 log 2 = 1.386, reached by classes with no overlap) and the squared Hellinger distance (at
most 2), both ways round: both are symmetric, so the two directions differ only by noise. (KL is
unbounded for classes this well separated; its critic's exp(V) runs away and the fit stops with
an error.)

    python examples/class_divergence.py [--fast] [--out DIR] [--results benchmarks/results]
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _common import arguments, save, save_results
from sklearn.datasets import load_wine

from mine import DivergenceEstimator

MAXIMUM = {"jensen_shannon": 2 * math.log(2), "squared_hellinger": 2.0}  # each row's largest value


def main() -> None:
    args = arguments(__doc__)
    data = load_wine(as_frame=True)
    first = data.data[data.target == 0]
    second = data.data[data.target == 1]
    steps = 30 if args.fast else 2000
    rows = []
    for kind in ("jensen_shannon",) if args.fast else ("jensen_shannon", "squared_hellinger"):
        for label, (p, q) in {"0 vs 1": (first, second), "1 vs 0": (second, first)}.items():
            est = DivergenceEstimator(
                divergence=kind, batch_size=16, hidden=(64, 64), max_steps=steps, random_state=0
            ).fit(p, q)
            low, high = est.interval()
            low, high = max(low, 0.0), min(high, MAXIMUM[kind])  # the interval within the divergence's range
            rows.append({"divergence": kind, "pair": label, "estimate": est.estimate(), "low": low, "high": high})
            print(f"{kind:>18} {label}: {est.estimate():.3f} (95% interval {low:.3f} to {high:.3f})")
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = [f"{r['divergence']}\n{r['pair']}" for r in rows]
    ax.bar(
        labels,
        [r["estimate"] for r in rows],
        yerr=[[r["estimate"] - r["low"] for r in rows], [r["high"] - r["estimate"] for r in rows]],
        capsize=4,
    )
    ax.axhline(2 * 0.6931, color="grey", ls="--", lw=0.8, label="2 log 2: the JS row's maximum")
    ax.axhline(2.0, color="grey", ls=":", lw=0.8, label="2: squared Hellinger's maximum")
    ax.legend(fontsize=7)
    ax.set_ylabel("lower bound on the divergence")
    ax.set_title(f"wine cultivars: {len(first)} and {len(second)} samples, 13 measurements")
    save(fig, args.out, "example_class_divergence.png")
    if args.results is not None:
        save_results(rows, {"fast": args.fast, "maximum": MAXIMUM}, args.results, "example_class_divergence")


if __name__ == "__main__":
    main()
