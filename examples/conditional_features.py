"""Does a feature tell more about the target once the features already in a model are known?
scikit-learn's diabetes data: I(feature; progression) and I(feature; progression | bmi, s5) with
ConditionalMI, and the conditional-independence test's p-value for each feature.

    python examples/conditional_features.py [--fast] [--out DIR] [--results benchmarks/results]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import warnings

import matplotlib.pyplot as plt
import numpy as np
from _common import arguments, save, save_results
from sklearn.datasets import load_diabetes

from mine import MINE, ConditionalMI, conditional_independence_test

GIVEN = ["bmi", "s5"]  # the two features a model of progression would take first
CANDIDATES = ["bp", "s3", "age", "sex"]


def settings(fast: bool) -> MINE:
    """442 rows: small batches and a small network."""
    return MINE(batch_size=64, hidden=(64, 64), max_steps=30 if fast else 1000, random_state=0)


def assess(fast: bool) -> list[dict]:
    data = load_diabetes(as_frame=True)
    x, y = data.data, data.target.to_numpy()
    settings_ = settings(fast)
    rows = []
    for name in CANDIDATES[:1] if fast else CANDIDATES:
        with warnings.catch_warnings():  # rounded and binary columns have ties, and say so
            warnings.simplefilter("ignore", UserWarning)
            alone = MINE(**settings_.get_params()).fit(x[name], y)
            cmi = ConditionalMI(settings_, random_state=0).fit(x[name], y, x[GIVEN])
            test = conditional_independence_test(
                x[name], y, x[GIVEN], n_permutations=19 if fast else 199, estimator=settings_, random_state=0
            )
        rows.append({"feature": name, "mi": alone.mi(), "cmi": cmi.mi(), "se": cmi.se_, "p": test.p_value})
    return rows


def main() -> None:
    args = arguments(__doc__)
    rows = assess(args.fast)
    print(f"{'feature':>8} {'I(f; y)':>8} {'I(f; y | bmi, s5)':>18} {'se':>6} {'p':>6}")
    for r in rows:
        print(f"{r['feature']:>8} {r['mi']:8.3f} {r['cmi']:18.3f} {r['se']:6.3f} {r['p']:6.3f}")
    fig, ax = plt.subplots(figsize=(7, 4))
    at = np.arange(len(rows))
    ax.bar(at - 0.2, [r["mi"] for r in rows], 0.4, label="I(feature; progression)")
    ax.bar(at + 0.2, [r["cmi"] for r in rows], 0.4, yerr=[2 * r["se"] for r in rows], capsize=3, label="given bmi, s5")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(at, [f"{r['feature']}\np = {r['p']:.2f}" for r in rows])
    ax.set_ylabel("nats")
    ax.set_title("diabetes: what each feature adds once bmi and s5 are known")
    ax.legend()
    save(fig, args.out, "example_conditional_features.png")
    if args.results is not None:
        config = {
            "given": GIVEN,
            "fast": args.fast,
            "estimator": repr(settings(args.fast)),
            "n_permutations": 19 if args.fast else 199,
        }
        save_results(rows, config, args.results, "example_conditional_features")


if __name__ == "__main__":
    main()
