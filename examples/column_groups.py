"""MI between two groups of columns of scikit-learn's breast-cancer data: the ten "mean" measurements
of each cell nucleus against the ten "worst" ones, with MINE, KSG and the Gaussian (CCA) value.

    python examples/column_groups.py [--fast] [--out DIR] [--results benchmarks/results]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import arguments, save, save_results
from sklearn.datasets import load_breast_cancer

import mine
from mine.gaussian import mi_from_covariance


def main() -> None:
    args = arguments(__doc__)
    data = load_breast_cancer(as_frame=True).data
    means = data[[c for c in data.columns if c.startswith("mean ")]]
    worst = data[[c for c in data.columns if c.startswith("worst ")]]
    est = mine.MINE(batch_size=128, max_steps=30 if args.fast else 3000, random_state=0).fit(means, worst)
    lower = est.mi_lower()
    knn = mine.ksg(means.to_numpy(), worst.to_numpy())
    gaussian = mi_from_covariance(np.cov(np.hstack([means, worst]), rowvar=False), means.shape[1])
    report_rows = min(n for f in est.folds_ for n in f.report_rows)
    print(f"I(mean; worst), {len(data)} tumours, 10 + 10 columns:")
    print(f"  MINE      at least {lower:.3f} nats (95%); estimate {est.mi():.3f}, kept: {est.folds_[0].chosen}")
    print(f"  KSG       {knn:.3f} nats (biased low in 20 dimensions)")
    print(f"  Gaussian  {gaussian:.3f} nats (the MI of a Gaussian with this covariance, not a bound)")
    print(
        f"  a held-out lower bound from {report_rows} rows per report cannot show much more than "
        f"log {report_rows} = {np.log(report_rows):.2f} nats: these numbers do not tell how Gaussian the data are"
    )
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    est.plot_history(ax=left)
    right.bar(["MINE (estimate)", "MINE: at least (95%)", "KSG", "Gaussian"], [est.mi(), lower, knn, gaussian])
    right.axhline(np.log(report_rows), color="grey", ls=":", lw=0.8, label=f"log {report_rows}: a bound's reach")
    right.legend(fontsize=7)
    right.tick_params(axis="x", labelsize=8)
    right.set_ylabel("nats")
    right.set_title("I(mean measurements; worst measurements)")
    save(fig, args.out, "example_column_groups.png")
    if args.results is not None:
        row = {"mine": est.mi(), "lower": lower, "ksg": knn, "gaussian": gaussian, "report_rows": report_rows}
        row["chosen"] = [kind for f in est.folds_ for kind in f.chosen]
        save_results(
            [row], {"fast": args.fast, "max_steps": 30 if args.fast else 3000}, args.results, "example_column_groups"
        )


if __name__ == "__main__":
    main()
