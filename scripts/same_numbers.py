"""Fits whose estimates and standard errors must not change in a refactor: run before and after and
compare the JSON files (every number is written with ``repr``, so equal files mean equal bits).

    python scripts/same_numbers.py CHECKOUT OUT.json      (CHECKOUT: the repository to import mine from)

Covers the critics (separable, concat, cosine), the bounds (DV, NWJ, InfoNCE, JS), early stopping,
a max_steps off the evaluation interval in float64, a collapsed fit's error, 1 and 3 folds with
shuffled negatives, a memory-mapped and a DataLoader fit, a stream, the two-sample estimator and two
gloo processes (tests/_distributed_cases.py); the closed-form candidates (the demo's fit, a t copula,
the data-scale Gaussian, every family asked for with InfoNCE and with standardized columns, the network
alone), what each held-out half kept, a saved and loaded fit on new rows, conditional MI, both
independence tests, and a short GAN run's history (its timings left out).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import warnings
from pathlib import Path


def main(checkout: str, out_path: str) -> None:
    sys.path[:0] = [checkout, str(Path(checkout) / "tests")]
    import _distributed_cases as cases
    import numpy as np
    import torch
    from torch.utils.data import DataLoader, Dataset

    from mine import MINE, ConditionalMI, DivergenceEstimator, conditional_independence_test, independence_test
    from mine.cli import main as cli_main
    from mine.gan.train import GANConfig, train_gan
    from mine.gaussian import sample_correlated, sample_student_t

    warnings.simplefilter("ignore")
    torch.set_num_threads(2)
    out: dict = {}

    def record(name: str, est) -> None:
        out[name] = {"estimate": repr(est.estimate_), "se": repr(est.se_), "steps": [f.n_steps for f in est.folds_]}
        if hasattr(est.folds_[0], "chosen"):
            out[name]["chosen"] = [f.chosen for f in est.folds_]
        print(name, out[name], flush=True)

    # the parameter that chooses the closed-form candidates, by its name in this checkout
    renamed = "candidates" in MINE().get_params()
    no_candidates = {"candidates": None} if renamed else {"gaussian_critic": False}
    every_candidate = {"candidates": ["gaussian", "student_t", "data_scale"]} if renamed else {"gaussian_critic": True}

    x, z = sample_correlated(3000, rho=0.8, dim=3, random_state=1)
    small = dict(hidden=(32, 32), max_steps=300, batch_size=64, random_state=0)
    for critic in ("separable", "concat", "cosine"):
        record(f"critic={critic}", MINE(critic=critic, **small).fit(x, z))
    for bound in ("dv", "nwj", "infonce", "js"):
        record(f"bound={bound}", MINE(bound=bound, critic="separable", **small).fit(x, z))
    record("early stop", MINE(**{**small, "lr": 5e-3, "eval_every": 10, "patience": 2}).fit(x, z))
    record("float64, 137 steps", MINE(**{**small, "eval_every": 20, "max_steps": 137, "dtype": "float64"}).fit(x, z))
    try:
        MINE(**{**small, "lr": 1.0}).fit(x, z)
    except FloatingPointError as error:
        out["lr=1"] = f"{type(error).__name__}: {error}"
    record("folds=1", MINE(folds=1, **small).fit(x, z))
    record("folds=3 shuffle", MINE(folds=3, negatives="shuffle", critic="concat", **small).fit(x, z))
    with tempfile.TemporaryDirectory() as folder:
        np.save(f"{folder}/x.npy", x)
        np.save(f"{folder}/z.npy", z)
        maps = (np.load(f"{folder}/x.npy", mmap_mode="r"), np.load(f"{folder}/z.npy", mmap_mode="r"))
        record("memmap", MINE(**small).fit(*maps))

    class Pairs(Dataset):
        def __len__(self):
            return len(x)

        def __getitem__(self, i):
            return torch.tensor(x[i]), torch.tensor(z[i])

    record("dataloader", MINE(**small).fit(DataLoader(Pairs(), batch_size=64)))

    def stream():
        rng = np.random.RandomState(5)
        for _ in range(250):
            a = rng.randn(64, 2)
            yield a, a + rng.randn(64, 2)

    record("stream", MINE(**{**small, "max_steps": 100}).fit(stream()))
    rng = np.random.RandomState(0)
    p, q = rng.randn(3000, 2), rng.randn(3000, 2) + 1.0
    record("two-sample", DivergenceEstimator(hidden=(32, 32), max_steps=300, batch_size=64, random_state=0).fit(p, q))
    two = cases.run("fit", "separable")
    out["2 gloo processes"] = {"estimate": repr(two["estimate"]), "se": repr(two["se"])}

    demo = io.StringIO()
    with contextlib.redirect_stdout(demo):
        cli_main(["demo", "--json", "--quiet"])
    report = json.loads(demo.getvalue())
    out["demo"] = {k: repr(report[k]) for k in ("mi", "se", "mi_lower_95", "steps", "best_steps", "chosen")}
    print("demo", out["demo"], flush=True)
    t_x, t_z = sample_student_t(3000, 0.5, 2, nu=1.0, random_state=2)
    record("t copula", MINE(**small).fit(t_x, t_z))
    u = np.random.RandomState(3).uniform(-1, 1, size=(3000, 2))
    record("data scale", MINE(**small).fit(u, u @ [[1.0, 0.5], [0.0, 1.0]] + 0.5 * rng.randn(3000, 2)))
    record("infonce, every family", MINE(bound="infonce", **every_candidate, **small).fit(x, z))
    record("standard, every family", MINE(preprocessing="standard", **every_candidate, **small).fit(x, z))
    record("network alone", MINE(**no_candidates, **small).fit(t_x, t_z))
    saved = MINE(**small).fit(x, z)
    with tempfile.TemporaryDirectory() as folder:
        saved.save(f"{folder}/fit.pt")
        new_x, new_z = sample_correlated(1000, rho=0.8, dim=3, random_state=7)
        out["saved and loaded, new rows"] = repr(MINE.load(f"{folder}/fit.pt").evaluate(new_x, new_z))
    c_z = rng.randn(2000, 2)
    c_x = c_z[:, :1] + rng.randn(2000, 1)
    c_y = c_x + c_z[:, 1:] + rng.randn(2000, 1)
    cmi = ConditionalMI(MINE(**small)).fit(c_x, c_y, c_z)
    out["conditional"] = {"estimate": repr(cmi.estimate_), "se": repr(cmi.se_)}
    test = independence_test(x[:1000], z[:1000], n_permutations=49, **small)
    out["independence test"] = {
        "statistic": repr(test.statistic),
        "p": repr(test.p_value),
        "null": repr(test.null.sum()),
    }
    test = conditional_independence_test(c_x, c_y, c_z, n_permutations=49, estimator=MINE(**small), random_state=0)
    out["conditional independence test"] = {"statistic": repr(test.statistic), "p": repr(test.p_value)}
    print("conditional and tests", out["conditional"], out["independence test"], flush=True)
    gan = train_gan(GANConfig(data="ring8", steps=60, eval_every=30, mine_beta=1.0, seed=0))
    timings = ("seconds",)
    out["gan history"] = [{k: repr(v) for k, v in entry.items() if k not in timings} for entry in gan["history"]]
    Path(out_path).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:3])
