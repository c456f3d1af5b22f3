"""The perceptual losses of Johnson et al. 2016 (section 3), written as the formulas read.

Each loss is averaged over the batch; within an image it is exactly the paper's
per-image quantity, which the unit tests check against NumPy.
"""

from __future__ import annotations

import torch

# The contextual loss (Mechrez et al. 2018) lives in its own module (it needs position
# sampling and a stable softmax); importable from here with the other losses.
from stylecam.training.contextual import contextual_loss  # noqa: F401


def gram(features: torch.Tensor) -> torch.Tensor:
    """G = F F^T / (C H W), one C x C matrix per image (paper eq. 3)."""
    b, c, h, w = features.shape
    f = features.reshape(b, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def feature_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||phi(y_hat) - phi(y)||_2^2 / (C H W) (paper eq. 2)."""
    return (output - target).pow(2).mean()


def style_loss(grams: dict[str, torch.Tensor], target_grams: dict[str, torch.Tensor]) -> torch.Tensor:
    """Sum over layers of ||G(y_hat) - G(y_s)||_F^2 (paper eq. 4), batch-averaged.

    ``target_grams`` may hold one Gram per layer (shape 1 x C x C) for the style image;
    it broadcasts over the batch.
    """
    total = torch.zeros((), device=next(iter(grams.values())).device)
    for name, g in grams.items():
        total = total + (g - target_grams[name]).pow(2).sum(dim=(1, 2)).mean()
    return total


def periodic_loss(image: torch.Tensor, periods: tuple[int, ...] = (2, 4)) -> torch.Tensor:
    """The energy of the tile that repeats every ``p`` pixels (p in ``periods``), on 0-1.

    For each period, the image is cut into p x p blocks from its top-left corner (where a
    net's stride-2 grid starts) and the blocks are averaged: content that does not repeat
    averages out, a pattern locked to the grid survives. The loss is that mean tile's
    variance, per image and channel, averaged, summed over the periods. It is the
    differentiable twin of bench_fig5.periodic_energy_db (the power at the exact bins of a
    p-px tiling is the mean tile's spectrum), and it cannot be paid by texture that moves
    with the content. Measured on starry_night at 256 px: 2e-7 (2 px) for the old johnson
    net, 1.1e-4 for the long run's net at 60 CPU-min, whose pattern reads +22 dB."""
    b, c, h, w = image.shape
    total = image.new_zeros(())
    for p in periods:
        hh, ww = (h // p) * p, (w // p) * p
        tile = image[..., :hh, :ww].float().reshape(b, c, hh // p, p, ww // p, p).mean(dim=(2, 4))
        total = total + (tile - tile.mean(dim=(-2, -1), keepdim=True)).pow(2).mean()
    return total


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Total variation, sum of squared neighbour differences per image (Mahendran &
    Vedaldi 2015, beta = 2, as in the authors' code), on the 0-255 scale the paper's
    lambda_TV values assume."""
    x = image * 255.0
    dh = (x[..., 1:, :] - x[..., :-1, :]).pow(2).sum(dim=(1, 2, 3))
    dw = (x[..., :, 1:] - x[..., :, :-1]).pow(2).sum(dim=(1, 2, 3))
    return (dh + dw).mean()


def pixel_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||y_hat - y||_2^2 / (C H W) (paper section 3.3)."""
    return (output - target).pow(2).mean()


# --------------------------------------------------------------------------- temporal
# Synthetic motion on still images (issue 15), so no video data set is needed: cf. Wang
# et al., "Consistent Video Style Transfer via Compound Regularization" (AAAI 2020), who
# train on random motion and noise applied to stills, and the output-level temporal term
# of ReCoNet (Gao et al., ACCV 2018). The ranges are ours, chosen to match what a
# stabiliser meets between two frames of a hand-held or webcam clip at 25-30 frames/s:
MOTION_SHIFT = 0.02    # translation up to +-2% of the side (5 px at 256 px crops)
MOTION_ROTATE = 1.0    # rotation up to +-1 degree
MOTION_ZOOM = 0.02     # scale 1 +- 2%
MOTION_NOISE = 0.02    # Gaussian sensor noise, sigma 0.02 on 0-1 (about 5 of 255 levels)


def random_motion(batch: int, *, generator: torch.Generator | None = None, device: torch.device | str = "cpu",
                  shift: float = MOTION_SHIFT, rotate: float = MOTION_ROTATE, zoom: float = MOTION_ZOOM) -> torch.Tensor:
    """A batch of small random affine motions, as ``affine_grid`` thetas (B x 2 x 3) in
    normalised coordinates: the moved image at p samples the original at theta @ [p, 1]."""
    u = torch.rand(batch, 4, generator=generator) * 2 - 1
    angle = torch.deg2rad(u[:, 0] * rotate)
    scale = 1 + u[:, 1] * zoom
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, u[:, 2] * shift * 2], 1),
                         torch.stack([sin, cos, u[:, 3] * shift * 2], 1)], 1)
    return theta.to(device)


def apply_motion(images: torch.Tensor, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``images`` moved by ``theta`` (bilinear), and the mask (B x 1 x H x W) of pixels whose
    source lies inside the image: outside it nothing is known, so nothing is compared."""
    import torch.nn.functional as F

    grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    # Border replication outside: the net then sees plausible content near the edges, and
    # the mask below still keeps those pixels out of the comparison.
    moved = F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
    ones = torch.ones_like(images[:, :1])
    valid = F.grid_sample(ones, grid, mode="bilinear", padding_mode="zeros", align_corners=False) > 0.999
    return moved, valid.to(images.dtype)


def temporal_loss(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, generator: torch.Generator | None = None,
                  noise: float = MOTION_NOISE) -> torch.Tensor:
    """||net(M(x) + n) - M(net(x))||^2 over the pixels M keeps, on the 0-255 scale (as TV).

    ``y = net(x)`` is passed in because the training step already has it. M is a fresh
    small random motion per image and n Gaussian noise: the output for a slightly moved,
    noised copy of a frame must be the moved output of the frame. A net that commutes with
    the motion and ignores the noise scores exactly zero; one whose texture swims or boils
    with the input does not.
    """
    theta = random_motion(x.shape[0], generator=generator, device=x.device)
    moved, valid = apply_motion(x, theta)
    if noise > 0:
        n = torch.randn(moved.shape, generator=generator).to(moved.device) if generator is not None \
            else torch.randn_like(moved)
        moved = moved + noise * n
    y_moved = net(moved)
    target, _ = apply_motion(y, theta)
    d = (y_moved.float() - target.float()) * 255.0
    return (d.pow(2) * valid).sum() / (valid.sum() * d.shape[1]).clamp_min(1.0)
