"""A compact GAN training loop for the mode-coverage experiments (toy 2-D data and stacked digits).

Seeded; alternates one discriminator and one generator step; optionally adds the MINE regulariser
(``mine_beta`` > 0) with adaptive gradient clipping; evaluates mode coverage every ``eval_every``
steps; writes ``metrics.json`` and sample pictures to ``out`` when given. ``mine gan`` on the
command line calls :func:`train_gan`.

Learning rates (Adam, betas (0.5, 0.999)): the defaults are the recipe ``benchmarks/gan_modes.py``
measured, lr 1e-3 for the generator and the discriminator and 3e-4 for the statistics network
(at 1e-3 its DV estimate swings and the regularised runs collapse). The stabilising tricks depend
on the data (:data:`RECIPES`, used where a field is left at None): on the 2-D mixtures, instance
noise of std 0.1 (annealed to 0 by half of training), an exponential moving average of the
generator's weights (decay 0.999) for evaluation and a linear learning-rate decay; on stacked
digits the weight average, no instance noise or decay (each cost modes there), a minibatch
standard deviation in MSG-GAN's discriminator, an R1 penalty on the discriminator's gradient
at real images and the MI weight annealed to 0 by half of training. The low-learning-rate recipe,
1e-4 for all three, is the safe choice for divergences with unbounded conjugates (KL, Pearson) but
needs more steps; the two-time-scale rule (Heusel et al. 2017) gives the discriminator the larger
rate, e.g. ``lr_d=4e-4, lr_g=1e-4``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm.auto import tqdm

from .._validation import Boolean, Instance, Integer, Options, Real, resolve_device, validate_params
from ..critics import mlp
from .data import MIXTURES, StackedDigits, sample_toy
from .losses import GENERATOR_LOSSES, FGANLoss, r1_penalty
from .metrics import label_coverage, mode_coverage
from .msg import COMBINE, MSGDiscriminator, MSGGenerator, downsample_pyramid
from .regularizer import MINERegularizer

__all__ = ["DATASETS", "RECIPES", "GANConfig", "recipe", "train_gan"]

DATASETS = (*MIXTURES, "spiral", "digits")
LR_DECAYS = ("none", "linear")

# The stabilising tricks per kind of data, measured in benchmarks/gan_modes.py (docs/gan.md): a
# GANConfig field left at None takes its data's value.
RECIPES: dict[str, dict[str, Any]] = {
    "toy": {
        "steps": 12_000,
        "batch_size": 256,
        "noise_dim": 2,
        "generator_ema": 0.999,
        "lr_decay": "linear",
        "instance_noise": 0.1,
        "std_group": 0,
        "r1_gamma": 0.0,
        "mine_beta_anneal": 0.0,
    },
    "digits": {
        "steps": 10_000,
        "batch_size": 64,
        "noise_dim": 32,
        "generator_ema": 0.999,
        "lr_decay": "none",
        "instance_noise": 0.0,
        "std_group": 4,
        "r1_gamma": 1.0,
        "mine_beta_anneal": 0.5,
    },
}


def recipe(data: str) -> dict[str, Any]:
    """The stabilising tricks of ``data``'s kind ("digits", or "toy" for the 2-D sets)."""
    return dict(RECIPES["digits" if data == "digits" else "toy"])


_POSITIVE_INT = [Integer(1)]
_RATE = [Real(0, math.inf, "neither")]
_CONSTRAINTS = {
    "data": [Options(DATASETS)],
    "loss": [Instance(str)],  # a row of the divergence table, checked by FGANLoss with the known names
    "loss_params": [Instance(dict)],
    "generator_loss": [Options(GENERATOR_LOSSES)],
    "label_smoothing": [Real(0, 1, "left")],
    "mine_beta": [Real(0)],
    "mine_beta_anneal": [Real(0, 1, "both"), None],
    "adaptive_clip": [Boolean],
    "noise_dim": [Integer(1), None],
    "code_dim": _POSITIVE_INT,
    "hidden": _POSITIVE_INT,
    "depth": _POSITIVE_INT,
    "width": _POSITIVE_INT,
    "msg_combine": [Options(COMBINE)],
    "std_group": [Integer(0), None],
    "standardize": [Boolean],
    "batch_size": [Integer(2), None],
    "steps": [Integer(1), None],
    "eval_every": _POSITIVE_INT,
    "eval_samples": _POSITIVE_INT,
    "lr_g": _RATE,
    "lr_d": _RATE,
    "lr_mine": _RATE,
    "mine_steps": _POSITIVE_INT,
    "generator_ema": [Real(0, 1, "left"), None],
    "lr_decay": [Options(LR_DECAYS), None],
    "instance_noise": [Real(0), None],
    "r1_gamma": [Real(0), None],
    "seed": [Integer(0)],
    "device": [Instance(str)],
}


@dataclass
class GANConfig:
    """Settings of one run; every field has a command-line flag in ``mine gan``.

    Parameters
    ----------
    data : str
        Training data: "grid25" (25 Gaussians), "ring8", "spiral" or "digits" (stacked digits, 1,000 modes).
    loss : str
        The f-GAN divergence, any row of mine.divergences ("gan" is the original GAN).
    loss_params : dict
        Parameters of that divergence, e.g. alpha=0.5.
    generator_loss : str
        "non_saturating" (the generalised -log D trick) or "minimax".
    label_smoothing : float
        One-sided label smoothing of the discriminator's real samples.
    mine_beta : float
        Weight of the MINE regulariser -beta I(G(eps, c); c) (0: a plain GAN).
    mine_beta_anneal : float or None
        Fraction a of training over which the regulariser's weight falls linearly to 0,
        beta_t = beta max(0, 1 - t / (a steps)) (0: beta throughout; None: the data's recipe, 0 on
        the 2-D sets, 0.5 on digits, where I(G(eps, c); c) of a continuous code keeps growing and,
        past the point where the modes are found, costs modes and sample quality).
    adaptive_clip : bool
        Clip the MI gradient to the norm of the adversarial one (MINE paper).
    noise_dim : int or None
        Size of the generator's noise eps (None: the data's recipe, 2 on the 2-D sets, 32 on digits).
    code_dim : int
        Size of the generator's code c.
    hidden : int
        Width of the toy MLPs' hidden layers.
    depth : int
        Hidden layers of the toy MLPs.
    width : int
        Channels of the MSG-GAN networks (digits; 32 is what the benchmark measured).
    msg_combine : str
        How MSG-GAN's discriminator joins an image scale with its features.
    std_group : int or None
        Digits: group size of the minibatch standard deviation MSG-GAN's discriminator sees in its
        last block (0: none; None: the data's recipe, 4 for digits).
    standardize : bool
        Toy data: the networks see coordinates divided by the data's std.
    batch_size : int or None
        Samples per step (None: the data's recipe, 256 on the 2-D sets, 64 on digits).
    steps : int or None
        Generator steps, one discriminator step each (None: the data's recipe, 12,000 on the 2-D
        sets, 10,000 on digits).
    lr_g : float
        Adam's learning rate for the generator.
    lr_d : float
        Adam's learning rate for the discriminator.
    lr_mine : float
        Adam's learning rate for the statistics network.
    mine_steps : int
        Statistics-network steps per generator step (each on a fresh batch of codes).
    generator_ema : float or None
        Decay d of an exponential moving average of the generator's weights,
        theta_avg <- d theta_avg + (1 - d) theta; evaluations and the returned samples use the
        average (started at the first step), and the history also records the last weights' coverage under ``raw_`` keys
        (0: no average, the last weights are evaluated; None: the data's recipe, 0.999).
    lr_decay : str or None
        "none", or "linear": every learning rate falls linearly to 0 at the last step (None: the
        data's recipe, linear on the 2-D sets, none on digits).
    instance_noise : float or None
        Std sigma_0 of Gaussian noise added to everything the discriminator sees, real and
        generated, in the networks' units (Sonderby et al. 2016): sigma_t = sigma_0 max(0, 1 - 2t / steps),
        gone by half of training. Blurred modes overlap, so the discriminator's gradient reaches
        modes the generator has not found yet (0: none; None: the data's recipe, 0.1 on the 2-D sets,
        0 on digits).
    r1_gamma : float or None
        Weight gamma of the R1 gradient penalty gamma / 2 E_P[||grad_x V(x)||^2] on the
        discriminator's real inputs (Mescheder et al. 2018; 0: none; None: the data's recipe, 1 on
        digits, where without it some seeds saturate the generator within 20 steps, 0 on the 2-D sets).
    eval_every : int
        Steps between mode-coverage evaluations.
    eval_samples : int
        Generated samples scored at each evaluation.
    seed : int
        Seed of the weights, noise and data.
    device : str
        Where to train: "cpu", "cuda", "cuda:N" or "auto" (CUDA when present). Noise and data are
        drawn on the CPU and moved, so a seed gives the same draws on every device.
    """

    _parameter_constraints: ClassVar[dict] = _CONSTRAINTS
    data: str = "grid25"
    loss: str = "gan"
    loss_params: dict = field(default_factory=dict)
    generator_loss: str = "non_saturating"
    label_smoothing: float = 0.0
    mine_beta: float = 0.0
    mine_beta_anneal: float | None = None
    adaptive_clip: bool = True
    noise_dim: int | None = None
    code_dim: int = 8
    hidden: int = 128
    depth: int = 3
    width: int = 32
    msg_combine: str = "simple"
    std_group: int | None = None
    standardize: bool = True
    batch_size: int | None = None
    steps: int | None = None
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    lr_mine: float = 3e-4
    mine_steps: int = 1
    generator_ema: float | None = None
    lr_decay: str | None = None
    instance_noise: float | None = None
    r1_gamma: float | None = None
    eval_every: int = 1000
    eval_samples: int = 2500
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Check every field (``train_gan`` checks again, after any change to the fields)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        validate_params("GANConfig", self._parameter_constraints, fields)
        resolve_device(self.device)

    def resolved(self) -> GANConfig:
        """A copy with every field left at None set to its data's recipe (:data:`RECIPES`)."""
        chosen = {k: v for k, v in recipe(self.data).items() if getattr(self, k) is None}
        return dataclasses.replace(self, **chosen)


class _ToyModels:
    """MLP generator and discriminator on 2-D toy data, seen divided by one scale for both coordinates
    (the geometry stays isotropic), from a fixed large sample."""

    def __init__(self, config: GANConfig, rng: np.random.RandomState, device: torch.device):
        self.config, self.rng, self.device = config, rng, device
        hidden = [config.hidden] * config.depth
        self.generator = mlp(config.noise_dim + config.code_dim, hidden, 2, "relu").to(device)
        self.discriminator = nn.Sequential(mlp(2, hidden, 1, "relu"), nn.Flatten(0)).to(device)
        self.sample_dim = 2
        self.scale = float(sample_toy(config.data, 100_000, random_state=12345).std()) if config.standardize else 1.0

    def real(self, n: int) -> torch.Tensor:
        """A batch of real data as the networks see it (divided by ``scale``)."""
        batch = sample_toy(self.config.data, n, self.rng) / self.scale
        return torch.as_tensor(batch, dtype=torch.float32).to(self.device)

    def generate(self, noise: torch.Tensor, generator: nn.Module | None = None) -> tuple[torch.Tensor, Any]:
        """(flat samples for the MI estimate, what the discriminator takes), from ``generator``
        (default: the trained one)."""
        out = (generator or self.generator)(noise)
        return out, out

    def discriminate(self, batch) -> torch.Tensor:
        return self.discriminator(batch)

    def evaluate(self, samples: np.ndarray) -> dict:
        if self.config.data not in MIXTURES:  # the spiral has no modes to count
            return {}
        mixture = MIXTURES[self.config.data]()
        result = mode_coverage(samples, mixture.centers, mixture.std)
        return {k: v for k, v in result.items() if k != "counts"}

    def extra_results(self) -> dict:
        return {}

    @staticmethod
    def plot(ax, samples: np.ndarray, real: np.ndarray) -> None:
        ax.scatter(real[:, 0], real[:, 1], s=2, color="tab:orange", alpha=0.5, label="real")
        ax.scatter(samples[:, 0], samples[:, 1], s=2, color="tab:blue", alpha=0.5, label="generated")
        ax.set_aspect("equal")
        ax.legend(loc="upper right", fontsize=7)


class _DigitModels:
    """MSG-GAN generator and discriminator on stacked digits (three 8x8 digits, 1,000 modes)."""

    scale = 1.0

    def __init__(self, config: GANConfig, rng: np.random.RandomState, device: torch.device):
        self.config, self.rng, self.device = config, rng, device
        self.digits = StackedDigits(random_state=config.seed)
        self.generator = MSGGenerator(config.noise_dim + config.code_dim, 3, 8, config.width).to(device)
        self.discriminator = MSGDiscriminator(3, 8, config.width, config.msg_combine, config.std_group).to(device)
        self.sample_dim = 3 * 8 * 8

    def real(self, n: int) -> torch.Tensor:
        return torch.as_tensor(self.digits.sample(n, self.rng)[0]).to(self.device)

    def generate(self, noise: torch.Tensor, generator: nn.Module | None = None) -> tuple[torch.Tensor, Any]:
        out = (generator or self.generator)(noise)  # one image per scale; the MI estimate reads the finest
        return out[-1].flatten(1), out

    def discriminate(self, batch) -> torch.Tensor:
        if isinstance(batch, torch.Tensor):  # real images: the pyramid the discriminator takes
            batch = downsample_pyramid(batch)
        return self.discriminator(batch)

    def evaluate(self, samples: np.ndarray) -> dict:
        return label_coverage(self.digits.classify(samples.reshape(-1, 3, 8, 8)), 1000)

    def extra_results(self) -> dict:
        return {"classifier_accuracy": self.digits.classifier_accuracy}

    @staticmethod
    def plot(ax, samples: np.ndarray, real: np.ndarray) -> None:
        images = samples[:100].reshape(10, 10, 3, 8, 8).transpose(0, 3, 1, 4, 2).reshape(80, 80, 3)
        ax.imshow((images + 1) / 2)
        ax.axis("off")


def _models(config: GANConfig, rng: np.random.RandomState, device: torch.device) -> _ToyModels | _DigitModels:
    """The networks (on ``device``), real data and evaluation of ``config.data``, chosen once."""
    return (_DigitModels if config.data == "digits" else _ToyModels)(config, rng, device)


def _noise(
    n: int, config: GANConfig, generator: torch.Generator, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generator input [eps; c]: noise eps ~ N(0, I) and code c ~ N(0, I), returned with c (drawn by a
    CPU generator and moved: the same draws on every device)."""
    z = torch.randn(n, config.noise_dim + config.code_dim, generator=generator).to(device)
    return z, z[:, config.noise_dim :]


def _generated(
    models: _ToyModels | _DigitModels,
    n: int,
    config: GANConfig,
    generator: torch.Generator,
    networks: Sequence[nn.Module | None] = (None,),
) -> list[np.ndarray]:
    """n generated samples in data units from each of ``networks`` (None: the trained generator),
    all from the same noise."""
    with torch.no_grad():
        z, _ = _noise(n, config, generator, models.device)
        return [models.generate(z, g)[0].cpu().numpy() * models.scale for g in networks]


def _averaged(generator: nn.Module, decay: float) -> AveragedModel | None:
    """The exponential moving average of ``generator``'s weights (None when ``decay`` is 0)."""
    return AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(decay)) if decay > 0 else None


def _blurred(batch, sigma: float, generator: torch.Generator):
    """``batch`` (a tensor or an MSG-GAN list of scales) plus N(0, sigma^2) noise drawn on the CPU."""
    if sigma <= 0:
        return batch
    if isinstance(batch, (list, tuple)):
        return [_blurred(b, sigma, generator) for b in batch]
    noise = torch.randn(batch.shape, generator=generator, dtype=batch.dtype) * sigma
    return batch + noise.to(batch.device)


def _fading(done: int, span: float) -> float:
    """max(0, 1 - done / span): the linear fall to 0, after ``done`` steps of ``span``, of the
    instance noise, the learning rates and the MI weight."""
    return max(0.0, 1.0 - done / span)


def _linear_decay(optimizers: Sequence[torch.optim.Optimizer], steps: int) -> list[LambdaLR]:
    """Schedulers taking every learning rate linearly from its value to 0 at step ``steps``."""
    return [LambdaLR(opt, lambda done: _fading(done, steps)) for opt in optimizers]


@dataclass
class _Run:
    """What one GAN run's steps share: settings, networks, losses, optimisers and random streams."""

    config: GANConfig
    models: _ToyModels | _DigitModels
    loss: FGANLoss
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    reg: MINERegularizer | None
    noise_gen: torch.Generator
    eval_gen: torch.Generator
    blur_gen: torch.Generator


def _start_run(config: GANConfig) -> _Run:
    """Seeds, networks, loss, optimisers and regulariser of a run, made in a fixed order (the random
    draws of a seed do not change between versions)."""
    torch.manual_seed(config.seed)
    rng = np.random.RandomState(config.seed)
    noise_gen = torch.Generator().manual_seed(config.seed + 1)
    eval_gen = torch.Generator().manual_seed(config.seed + 2)
    device = resolve_device(config.device)
    models = _models(config, rng, device)
    loss = FGANLoss(config.loss, config.generator_loss, config.label_smoothing, **config.loss_params)
    opt_g = torch.optim.Adam(models.generator.parameters(), lr=config.lr_g, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(models.discriminator.parameters(), lr=config.lr_d, betas=(0.5, 0.999))
    reg = None
    if config.mine_beta > 0:
        reg = MINERegularizer(
            models.sample_dim,
            config.code_dim,
            beta=config.mine_beta,
            lr=config.lr_mine,
            adaptive_clip=config.adaptive_clip,
        ).to(device)
    blur_gen = torch.Generator().manual_seed(config.seed + 3)  # instance noise (seeded, not drawn from torch's)
    return _Run(config, models, loss, opt_g, opt_d, reg, noise_gen, eval_gen, blur_gen)


def _discriminator_step(run: _Run, sigma: float) -> torch.Tensor:
    """Maximise the f-GAN bound on real vs. detached fake samples (plus R1 on the real ones)."""
    config, models = run.config, run.models
    z, _ = _noise(config.batch_size, config, run.noise_gen, models.device)
    with torch.no_grad():
        _, fake_input = models.generate(z)
    real = models.real(config.batch_size).requires_grad_(config.r1_gamma > 0)
    real_scores = models.discriminate(_blurred(real, sigma, run.blur_gen))
    d_loss = run.loss.discriminator_loss(real_scores, models.discriminate(_blurred(fake_input, sigma, run.blur_gen)))
    if config.r1_gamma > 0:
        d_loss = d_loss + r1_penalty(real_scores, real, config.r1_gamma)
    run.opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    run.opt_d.step()
    return d_loss


def _generator_step(run: _Run, sigma: float, step: int) -> torch.Tensor:
    """The adversarial loss, minus beta * I(G(eps, c); c) when regularised (beta annealed)."""
    config, models, reg = run.config, run.models, run.reg
    z, code = _noise(config.batch_size, config, run.noise_gen, models.device)
    flat, fake_input = models.generate(z)
    g_loss = run.loss.generator_loss(models.discriminate(_blurred(fake_input, sigma, run.blur_gen)))
    run.opt_g.zero_grad(set_to_none=True)
    if reg is not None:
        if config.mine_beta_anneal > 0:
            reg.beta = config.mine_beta * _fading(step - 1, config.mine_beta_anneal * config.steps)
        for _ in range(config.mine_steps - 1):  # extra statistics-network steps on fresh codes
            extra_z, extra_code = _noise(config.batch_size, config, run.noise_gen, models.device)
            with torch.no_grad():
                extra_flat, _ = models.generate(extra_z)
            reg.update(extra_flat, extra_code)
        reg.update(flat.detach(), code)  # trained on after beta reaches 0: its estimate stays in the history
    if reg is None or reg.beta == 0:  # annealed away: no MI gradient to compute
        g_loss.backward()
    else:
        reg.backward(g_loss, reg.penalty(flat, code), models.generator.parameters())
    run.opt_g.step()
    return g_loss


def _evaluation(run: _Run, step: int, losses: tuple[torch.Tensor, torch.Tensor], evaluated, seconds: float) -> dict:
    """One history entry: losses, MI estimate and the data's metrics of the evaluated generators
    (the weight average first, then the last weights as ``raw_*``)."""
    d_loss, g_loss = losses
    if not (torch.isfinite(d_loss) and torch.isfinite(g_loss)):
        raise FloatingPointError(
            f"GAN training diverged by step {step} (loss {run.config.loss}); lower the learning rates"
        )
    samples = _generated(run.models, run.config.eval_samples, run.config, run.eval_gen, evaluated)
    metrics = run.models.evaluate(samples[0])
    if len(samples) > 1:
        metrics.update({f"raw_{k}": v for k, v in run.models.evaluate(samples[1]).items()})
    return {
        "step": step,
        "d_loss": float(d_loss.detach()),
        "g_loss": float(g_loss.detach()),
        "mi": run.reg.last_estimate if run.reg else None,
        "seconds": seconds,
        **metrics,
    }


def train_gan(config: GANConfig, out: str | Path | None = None, progress: bool = False) -> dict:
    """Train one GAN.

    Parameters
    ----------
    config : GANConfig
        The run's settings (checked again here; a field left at None takes its data's recipe, and the
        result's ``config`` records the values used).
    out : str, Path or None
        Folder for ``metrics.json``, ``samples.npy`` and ``samples.png`` (None: nothing written).
    progress : bool
        Show a progress bar.

    Returns
    -------
    dict
        ``config``, ``history`` (one entry per evaluation: losses, the discriminator's with its R1 penalty,
        MI estimate, mode coverage),
        ``final`` (the last entry), ``seconds`` and ``samples`` (generated, in data units).
    """
    config.validate()
    config = config.resolved()
    run = _start_run(config)
    models = run.models
    averaged = _averaged(models.generator, config.generator_ema)
    evaluated = (None,) if averaged is None else (averaged.module, None)
    optimizers = [run.opt_g, run.opt_d] + ([run.reg.trainer.optimizer] if run.reg is not None else [])
    schedulers = _linear_decay(optimizers, config.steps) if config.lr_decay == "linear" else []
    history: list[dict] = []
    start = time.perf_counter()
    for step in tqdm(range(1, config.steps + 1), disable=not progress, desc=f"GAN {config.data}/{config.loss}"):
        sigma = config.instance_noise * _fading(step - 1, config.steps / 2)
        d_loss = _discriminator_step(run, sigma)
        g_loss = _generator_step(run, sigma, step)
        if averaged is not None:
            averaged.update_parameters(models.generator)
        for scheduler in schedulers:
            scheduler.step()
        if step % config.eval_every == 0 or step == config.steps:  # checked here, not at every step
            history.append(_evaluation(run, step, (d_loss, g_loss), evaluated, time.perf_counter() - start))
    samples = _generated(models, config.eval_samples, config, run.eval_gen, evaluated[:1])[0]
    result = {
        "config": dataclasses.asdict(config),
        "history": history,
        "final": history[-1],
        "seconds": time.perf_counter() - start,
        **models.extra_results(),
    }
    if out is not None:
        _save(result, samples, models.real(config.eval_samples).cpu().numpy() * models.scale, models, Path(out))
    result["samples"] = samples
    return result


def _save(result: dict, samples: np.ndarray, real: np.ndarray, models, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    np.save(out / "samples.npy", samples)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pictures are optional: pip install matplotlib
        return
    fig, ax = plt.subplots(figsize=(5, 5))
    models.plot(ax, samples, real)
    final = result["final"]
    ax.set_title(", ".join(f"{k} {final[k]:.3g}" for k in ("modes", "high_quality", "kl") if k in final), fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "samples.png", dpi=110)
    plt.close(fig)
