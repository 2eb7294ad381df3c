"""Multi-scale gradients for GANs (MSG-GAN, Karnewar & Wang 2019), without progressive growing.

The generator emits an image at every scale 4, 8, ..., ``size`` (a 1x1 convolution "to RGB" after
each block); the discriminator takes the image of each scale back in at the block of matching
resolution, so its gradient reaches every generator block directly. Where the image ``x`` of a
scale meets the discriminator's features ``o``, a combine function joins them:

- ``"simple"``:  [x; o]            (channel concatenation)
- ``"lin_cat"``: [r'(x); o]        (r' a 1x1 convolution of the image)
- ``"cat_lin"``: r'([x; o])        (r' a 1x1 convolution of the concatenation)

Like MSG-GAN's (and ProGAN's) discriminator, the last block can see a minibatch standard deviation:
one more feature map holding the spread of the features across groups of samples, so a batch with
too little variety (mode dropping) is told apart from a real one.

Images are lists ordered from the smallest scale (4 x 4) to the largest (``size`` x ``size``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["COMBINE", "MSGDiscriminator", "MSGGenerator", "downsample_pyramid", "minibatch_std", "scales"]

COMBINE = ("simple", "lin_cat", "cat_lin")


def scales(size: int) -> list[int]:
    """4, 8, ..., size; size must be 4 times a power of two."""
    levels = math.log2(size / 4) if size >= 4 else -1
    if levels < 0 or levels != int(levels):
        raise ValueError(f"image size must be 4 * 2^k (4, 8, 16, 32, ...), got {size}")
    return [4 * 2**k for k in range(int(levels) + 1)]


def downsample_pyramid(images: Tensor) -> list[Tensor]:
    """Real images at every scale (average pooling), smallest first, to feed the discriminator."""
    pyramid = [images]
    while pyramid[-1].shape[-1] > 4:
        pyramid.append(nn.functional.avg_pool2d(pyramid[-1], 2))
    return pyramid[::-1]


def minibatch_std(features: Tensor, group: int) -> Tensor:
    """``features`` with one more channel: per group, s = mean over (c, h, w) of
    sqrt(Var_group[features] + 1e-8), broadcast to the group's maps (Karras et al. 2018).

    Parameters
    ----------
    features : Tensor
        Discriminator features, shape (B, C, H, W).
    group : int
        Samples per group; groups take every (B / group)-th sample (ProGAN's reshape). A batch that
        ``group`` does not divide is one group.
    """
    batch = features.shape[0]
    if batch % group:
        group = batch
    grouped = features.reshape(group, batch // group, *features.shape[1:])
    spread = torch.sqrt(grouped.var(dim=0, unbiased=False) + 1e-8).mean(dim=(1, 2, 3))  # (B / group,)
    maps = spread.repeat(group).view(batch, 1, 1, 1).expand(batch, 1, *features.shape[2:])
    return torch.cat([features, maps], dim=1)


def _conv_block(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(out_ch, out_ch, 3, padding=1),
        nn.LeakyReLU(0.2),
    )


class MSGGenerator(nn.Module):
    """z -> images at every scale. ``forward`` returns the list; ``sample`` the full-size image.

    Parameters
    ----------
    latent_dim : int
        Size of the input noise.
    channels : int
        Image channels.
    size : int
        Final image side (a power of two, at least 4).
    width : int
        Feature channels of every block.
    tanh : bool
        Squash the images to [-1, 1].
    """

    def __init__(self, latent_dim: int, channels: int = 3, size: int = 32, width: int = 64, tanh: bool = True):
        super().__init__()
        self.latent_dim, self.channels, self.size, self.scales = latent_dim, channels, size, scales(size)
        self.stem = nn.Sequential(nn.Linear(latent_dim, width * 16), nn.LeakyReLU(0.2))
        self.width = width
        self.blocks = nn.ModuleList([_conv_block(width, width) for _ in self.scales])
        self.to_rgb = nn.ModuleList([nn.Conv2d(width, channels, 1) for _ in self.scales])
        self.out = nn.Tanh() if tanh else nn.Identity()

    def forward(self, z: Tensor) -> list[Tensor]:
        """Images at every scale, smallest (4 x 4) first."""
        h = self.stem(z).view(z.shape[0], self.width, 4, 4)
        images = []
        for k, (block, to_rgb) in enumerate(zip(self.blocks, self.to_rgb)):
            if k > 0:
                h = nn.functional.interpolate(h, scale_factor=2, mode="nearest")
            h = block(h)
            images.append(self.out(to_rgb(h)))
        return images

    def sample(self, z: Tensor) -> Tensor:
        """The full-resolution image only."""
        return self.forward(z)[-1]


class _Combine(nn.Module):
    def __init__(self, kind: str, channels: int, width: int):
        super().__init__()
        if kind not in COMBINE:
            raise ValueError(f"unknown combine function {kind!r}; valid: {', '.join(COMBINE)}")
        self.kind = kind
        if kind == "simple":
            self.map, self.out_channels = None, width + channels
        elif kind == "lin_cat":
            self.map, self.out_channels = nn.Conv2d(channels, width // 2, 1), width + width // 2
        else:
            self.map, self.out_channels = nn.Conv2d(width + channels, width, 1), width

    def forward(self, image: Tensor, features: Tensor) -> Tensor:
        if self.kind == "simple":
            return torch.cat([image, features], dim=1)
        if self.kind == "lin_cat":
            return torch.cat([self.map(image), features], dim=1)
        return self.map(torch.cat([image, features], dim=1))


class MSGDiscriminator(nn.Module):
    """Images at every scale (smallest first) -> one raw score V per sample, shape (B,).

    Parameters
    ----------
    channels : int
        Image channels.
    size : int
        Largest image side.
    width : int
        Feature channels of every block.
    combine : {"simple", "lin_cat", "cat_lin"}
        How an image scale joins the features (MSG-GAN's phi).
    std_group : int
        Group size of the minibatch standard deviation the last block sees (0: none).
    """

    def __init__(self, channels: int = 3, size: int = 32, width: int = 64, combine: str = "simple", std_group: int = 0):
        super().__init__()
        if std_group < 0:
            raise ValueError(f"std_group must be >= 0 (0: no minibatch standard deviation), got {std_group}")
        self.channels, self.size, self.scales, self.std_group = channels, size, scales(size), std_group
        self.from_rgb = nn.Sequential(nn.Conv2d(channels, width, 1), nn.LeakyReLU(0.2))
        self.combines = nn.ModuleList([_Combine(combine, channels, width) for _ in self.scales[:-1]])
        # blocks from the largest scale down: the first sees from_rgb features, the rest combined inputs
        in_channels = [width] + [c.out_channels for c in self.combines]
        in_channels[-1] += 1 if std_group else 0
        self.blocks = nn.ModuleList([_conv_block(c, width) for c in in_channels])
        self.head = nn.Linear(width * 16, 1)

    def forward(self, images: list[Tensor]) -> Tensor:
        """One raw score per sample from the images at every scale (smallest first)."""
        if len(images) != len(self.scales):
            raise ValueError(f"expected images at {len(self.scales)} scales {self.scales}, got {len(images)}")
        for image, size in zip(images, self.scales):
            if image.shape[1:] != (self.channels, size, size):
                raise ValueError(
                    f"expected a ({self.channels}, {size}, {size}) image at scale {size}, got {tuple(image.shape[1:])}"
                )
        largest_first = images[::-1]
        h = self.from_rgb(largest_first[0])
        for k, block in enumerate(self.blocks):
            if k > 0:
                h = self.combines[k - 1](largest_first[k], h)
            if k == len(self.blocks) - 1 and self.std_group:
                h = minibatch_std(h, self.std_group)
            h = block(h)
            if k < len(self.blocks) - 1:
                h = nn.functional.avg_pool2d(h, 2)
        return self.head(h.flatten(1)).squeeze(-1)
