"""Rank the features of scikit-learn's diabetes data by their MI with the target, with MINE and with
scikit-learn's k-NN estimator (``mutual_info_regression``) side by side.

    python examples/feature_ranking.py [--fast] [--out DIR] [--results benchmarks/results]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import warnings

import matplotlib.pyplot as plt
import numpy as np
from _common import arguments, save, save_results
from sklearn.datasets import load_diabetes
from sklearn.feature_selection import mutual_info_regression

from mine import MINE


def rank(fast: bool) -> list[dict]:
    data = load_diabetes(as_frame=True)
    x, y = data.data, data.target
    rows = []
    knn = mutual_info_regression(x, y, random_state=0)
    columns = x.columns[:3] if fast else x.columns  # --fast: three features, a check that it runs
    for j, name in enumerate(columns):
        # 442 rows: small batches and a small network; the interval says how much 442 rows can show
        est = MINE(batch_size=64, hidden=(64, 64), max_steps=30 if fast else 2000, random_state=0)
        with warnings.catch_warnings():  # the data are rounded: every column has ties, and says so
            warnings.simplefilter("ignore", UserWarning)
            est.fit(x[name], y)
        low, high = est.mi_interval()
        row = {"feature": name, "mine": est.mi(), "lower": est.mi_lower(), "low": low, "high": high}
        rows.append(row | {"knn": float(knn[j])})
    return sorted(rows, key=lambda r: -r["mine"])


def main() -> None:
    args = arguments(__doc__)
    rows = rank(args.fast)
    print(f"{'feature':>8} {'MINE':>7} {'95% interval':>17} {'k-NN':>7}")
    for r in rows:
        print(f"{r['feature']:>8} {r['mine']:7.3f} [{r['low']:6.3f}, {r['high']:6.3f}] {r['knn']:7.3f}")
    fig, ax = plt.subplots(figsize=(7, 4))
    at = np.arange(len(rows))
    mine = np.array([r["mine"] for r in rows])
    errors = np.array([[r["mine"] - r["low"] for r in rows], [r["high"] - r["mine"] for r in rows]])
    ax.bar(at - 0.2, mine, 0.4, yerr=errors, capsize=3, label="MINE (95% interval)")
    ax.bar(at + 0.2, [r["knn"] for r in rows], 0.4, label="mutual_info_regression (k-NN)")
    ax.set_xticks(at, [r["feature"] for r in rows])
    ax.set_ylabel("I(feature; disease progression) (nats)")
    ax.set_title("diabetes: features ranked by MI with the target")
    ax.legend()
    save(fig, args.out, "example_feature_ranking.png")
    if args.results is not None:
        save_results(
            rows, {"fast": args.fast, "max_steps": 30 if args.fast else 2000}, args.results, "example_feature_ranking"
        )


if __name__ == "__main__":
    main()
