"""MI between two groups of columns of scikit-learn's breast-cancer data: the ten "mean" measurements
of each cell nucleus against the ten "worst" ones, with MINE, KSG and the Gaussian (CCA) value.

    python examples/column_groups.py [--fast] [--out DIR]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import arguments, save
from sklearn.datasets import load_breast_cancer

import mine
from mine.gaussian import mi_from_covariance


def main() -> None:
    args = arguments(__doc__)
    data = load_breast_cancer(as_frame=True).data
    means = data[[c for c in data.columns if c.startswith("mean ")]]
    worst = data[[c for c in data.columns if c.startswith("worst ")]]
    est = mine.MINE(batch_size=128, max_steps=30 if args.fast else 3000, random_state=0).fit(means, worst)
    low, high = est.mi_interval()
    knn = mine.ksg(means.to_numpy(), worst.to_numpy())
    gaussian = mi_from_covariance(np.cov(np.hstack([means, worst]), rowvar=False), means.shape[1])
    print(f"I(mean; worst), {len(data)} tumours, 10 + 10 columns:")
    print(f"  MINE      {est.mi():.3f} nats (95% interval {low:.3f} to {high:.3f})")
    print(f"  KSG       {knn:.3f} nats")
    print(f"  Gaussian  {gaussian:.3f} nats (from the covariance: exact only for Gaussian data)")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    est.plot_history(ax=left)
    right.bar(
        ["MINE", "KSG", "Gaussian"],
        [est.mi(), knn, gaussian],
        yerr=[[est.mi() - low, 0, 0], [high - est.mi(), 0, 0]],
        capsize=4,
    )
    right.set_ylabel("nats")
    right.set_title("I(mean measurements; worst measurements)")
    save(fig, args.out, "example_column_groups.png")


if __name__ == "__main__":
    main()
