"""The MINE regulariser in a GAN loop of your own: a small generator learns the 8-Gaussian ring,
with ``-beta * I(G(eps, c); c)`` added to its loss so its samples keep depending on the code c.

    python examples/gan_regularizer.py [--fast] [--out DIR]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from _common import arguments, save
from torch import nn

from mine.gan import MINERegularizer, mode_coverage, ring8


def mlp(inputs: int, outputs: int) -> nn.Module:
    return nn.Sequential(nn.Linear(inputs, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, outputs))


def main() -> None:
    args = arguments(__doc__)
    torch.manual_seed(0)
    data = ring8()
    real_all = torch.as_tensor(data.sample(20_000, random_state=0)[0], dtype=torch.float32)
    G, D = mlp(2 + 8, 2), mlp(2, 1)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    reg = MINERegularizer(x_dim=2, code_dim=8, beta=1.0)
    bce = nn.BCEWithLogitsLoss()
    batch, steps = 256, 50 if args.fast else 5000
    for _ in range(steps):
        real = real_all[torch.randint(len(real_all), (batch,))]
        eps, c = torch.randn(batch, 2), torch.randn(batch, 8)
        fake = G(torch.cat([eps, c], dim=1))
        d_loss = bce(D(real), torch.ones(batch, 1)) + bce(D(fake.detach()), torch.zeros(batch, 1))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        reg.update(fake.detach(), c)  # train T on detached samples
        g_loss = bce(D(fake), torch.ones(batch, 1)) + reg.penalty(fake, c)  # -beta * I_hat reaches G
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
    with torch.no_grad():
        samples = G(torch.cat([torch.randn(2000, 2), torch.randn(2000, 8)], dim=1)).numpy()
    coverage = mode_coverage(samples, data.centers, data.std)
    print(f"after {steps} steps: {coverage['modes']} of 8 modes, I(G(eps, c); c) ~ {reg.last_estimate:.2f} nats")
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(*real_all[:2000].numpy().T, s=2, alpha=0.3, label="real")
    ax.scatter(*samples.T, s=2, alpha=0.3, label="generated")
    ax.set_title(f"GAN + MINE regulariser: {coverage['modes']}/8 modes")
    ax.legend(markerscale=5)
    save(fig, args.out, "example_gan_regularizer.png")


if __name__ == "__main__":
    main()
