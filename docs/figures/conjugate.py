"""Draw the Fenchel conjugate as the upper envelope of lines: f*(t) = sup_u {u t - f(u)}.

For total variation and KL: lines t -> u t - f(u) for sampled density ratios u, their upper
envelope, and the closed-form f* from the table on top. Writes docs/figures/conjugate.png.

    python docs/figures/conjugate.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from mine.divergences import get_divergence  # noqa: E402

PANELS = [
    ("total_variation", np.linspace(-0.5, 0.5, 201), np.linspace(0.0, 3.0, 31)),
    ("kl", np.linspace(-2.0, 2.5, 201), np.exp(np.linspace(-3.0, 1.5, 31))),
]


OUTPUT = Path(__file__).with_name("conjugate.png")


def main(path: Path = OUTPUT) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, (name, ts, us) in zip(axes, PANELS):
        div = get_divergence(name)
        t = torch.as_tensor(ts)
        lines = np.stack([u * ts - float(div.f(torch.tensor(u, dtype=torch.float64))) for u in us])
        for line in lines:
            ax.plot(ts, line, color="tab:blue", alpha=0.25, lw=0.8)
        ax.plot(ts, lines.max(axis=0), color="tab:orange", lw=3, label="upper envelope of the lines")
        ax.plot(ts, div.conjugate(t).numpy(), "k--", lw=1.5, label="closed-form f*(t) from the table")
        low = min(lines.max(axis=0).min(), float(div.conjugate(t).min()))
        ax.set_ylim(low - 0.5, float(div.conjugate(t).max()) + 0.5)
        ax.set_title(f"{name}: {div.description.split(';')[0]}")
        ax.set_xlabel("t")
        ax.set_ylabel("u t - f(u)")
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("f*(t) = sup over u >= 0 of u t - f(u): each blue line is one density ratio u")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
