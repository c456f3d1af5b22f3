"""The contextual loss of Mechrez, Talmi & Zelnik-Manor (ECCV 2018), for non-aligned data.

A pixel or feature loss compares position i of the output with position i of the target,
so a target that is shifted or warped relative to the input is matched *on average* and
the net learns a blur. The contextual loss treats each image as a bag of VGG feature
vectors and asks only that every target feature has a close, *distinct* match somewhere
in the output, whatever its position.

Sources of each step and number:
  [M18]  Mechrez, Talmi & Zelnik-Manor, "The Contextual Loss for Image Transformation
         with Non-Aligned Data", ECCV 2018, section 3 (eqs. 1-4).
  [MC]   roimehrez/contextualLoss, the authors' TensorFlow code (``CSFlow.py``,
         ``CX_helper.py``, ``config.py``).

For generated features x_i and target features y_j (i, j over spatial positions):
  1. centre both sets on the target's per-channel mean [MC ``center_by_T``] -- here *per
     image*, where [MC] pools the moments over the batch, so that one sample's loss never
     depends on the other samples in its batch;
  2. cosine distance d_ij = 1 - cos(x_i, y_j) [M18 sec. 3]; [MC] uses (1 - cos) / 2, which
     only changes how much the 1e-5 below weighs (a factor of 2), nothing else;
  3. relative distance d~_ij = d_ij / (min_k d_ik + 1e-5) [M18 eq. 2, MC];
  4. affinity w_ij = exp((1 - d~_ij) / h), normalised per generated position,
     CX_ij = w_ij / sum_k w_ik [M18 eqs. 3-4]. The normalised form is exactly
     softmax_j(-d~_ij / h), which is how it is computed here: [MC] (and popular ports)
     exponentiate first and divide afterwards, which overflows/underflows to inf/0 and
     NaN for small h or large d~;
  5. CX = mean over target positions j of max_i CX_ij [M18 eq. 1], loss = -log CX
     [M18 eq. 5]. CX lies in (0, 1]; it is 1 (loss 0) when every target feature has its
     own exact match.

Band width h: [MC]'s configs use 0.5 (style transfer, ``nn_stretch_sigma``) and 0.1. We
default to 0.5: with relative distances a candidate 20 % further than the nearest keeps
weight e^-0.4 = 0.67 (against e^-2 = 0.14 at h = 0.1), so early in training, when the
output is far from the target, the gradient still reaches several candidate matches
instead of one; h = 0.1 approaches a hard nearest-neighbour match. Selectable everywhere.

Memory: the loss holds several N x M matrices per image (N, M = positions), 1 GiB each at
relu2_2 of a 256 x 256 image (128^2 positions). Like [MC] (``max_sampling_1d_size = 65``)
we keep at most 65 x 65 random positions per image, the same indices for both images; the
measured cost is in docs/contextual.md (bench/bench_contextual.py --memory).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

DEFAULT_BAND_WIDTH = 0.5          # [MC] config.py, style transfer (see module docstring)
DEFAULT_MAX_POSITIONS = 65 * 65   # [MC] max_sampling_1d_size = 65
RELATIVE_EPS = 1e-5               # [M18] eq. 2, [MC] calc_relative_distances
# VGG16 analogues of [M18]'s style-transfer layers (VGG19 conv3_2 and conv4_2; VGG16 has
# both names), equal weights as in [MC]'s style config.
STYLE_LAYERS: dict[str, float] = {"relu3_2": 1.0, "relu4_2": 1.0}


def sample_positions(height: int, width: int, max_positions: int | None,
                     generator: torch.Generator | None = None) -> torch.Tensor | None:
    """Indices of at most ``max_positions`` distinct random positions of an H x W grid, or
    None when the grid is already small enough (then every position is used)."""
    n = height * width
    if max_positions is None or n <= max_positions:
        return None
    if max_positions < 1:
        raise ValueError(f"max_positions must be at least 1, not {max_positions}")
    return torch.randperm(n, generator=generator)[:max_positions]


def _flat(features: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
    """N x C x H x W -> N x C x P (fp32), keeping only the sampled positions."""
    if features.dim() != 4:
        raise ValueError(f"expected N x C x H x W features, got shape {tuple(features.shape)}")
    flat = features.float().flatten(2)
    return flat if index is None else flat.index_select(2, index.to(flat.device))


def contextual_similarity(generated: torch.Tensor, target: torch.Tensor, *,
                          band_width: float = DEFAULT_BAND_WIDTH,
                          max_positions: int | None = DEFAULT_MAX_POSITIONS,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    """CX(generated_i, target_i) per image, shape (N,), in (0, 1].

    ``generated`` and ``target`` are features of one layer, N x C x H x W; the target may
    have batch 1 (one style image for a whole batch) and a different H x W. When both
    grids are the same the sampled positions are the same for both images, as in [MC];
    otherwise each grid is sampled on its own.
    """
    if band_width <= 0:
        raise ValueError(f"band_width must be positive, not {band_width}")
    if generated.shape[1] != target.shape[1]:
        raise ValueError(f"channel counts differ: {generated.shape[1]} vs {target.shape[1]}")
    if target.shape[0] not in (1, generated.shape[0]):
        raise ValueError(f"target batch {target.shape[0]} is neither 1 nor the generated batch {generated.shape[0]}")
    gh, gw = generated.shape[-2:]
    th, tw = target.shape[-2:]
    index_g = sample_positions(gh, gw, max_positions, generator)
    index_t = index_g if (gh, gw) == (th, tw) else sample_positions(th, tw, max_positions, generator)
    x = _flat(generated, index_g)                       # B x C x N
    y = _flat(target, index_t)                          # B|1 x C x M

    # Cosine distances do not change when a pair is scaled by one positive number, so
    # bring each image pair to unit scale first: the mean and the norms below then cannot
    # overflow (features ~1e30) or vanish into subnormals (~1e-30). Detached because the
    # loss does not depend on this scale (its gradient along it is exactly zero).
    with torch.no_grad():
        scale = torch.maximum(x.abs().amax(dim=(1, 2), keepdim=True), y.abs().amax(dim=(1, 2), keepdim=True))
        scale = scale.clamp_min(torch.finfo(torch.float32).tiny)
    x = x / scale
    y = y / scale
    mean = y.mean(dim=2, keepdim=True)                  # the target's per-channel mean, per image
    x = F.normalize(x - mean, dim=1, eps=1e-12)         # a zero vector stays zero (cos 0), no NaN
    y = F.normalize(y - mean, dim=1, eps=1e-12)
    cosine = torch.matmul(x.transpose(1, 2), y)         # B x N x M
    # d~_ij / h = (1 - cos_ij) * s_i with s_i = 1 / (h (min_k d_ik + eps)), and a softmax
    # over j ignores the per-row constant s_i, so softmax_j(-d~_ij / h) = softmax_j(cos_ij s_i):
    # the same numbers with two passes over the N x M matrix instead of five (memory and
    # time, docs/contextual.md). The clamp keeps min + eps >= eps when rounding
    # pushes a cosine a hair above 1.
    nearest = (1.0 - cosine.max(dim=2, keepdim=True).values).clamp_min(0.0)
    inverse_scale = 1.0 / (band_width * (nearest + RELATIVE_EPS))
    affinity = torch.softmax(cosine * inverse_scale, dim=2)   # = w_ij / sum_k w_ik
    return affinity.max(dim=1).values.mean(dim=1)


def contextual_loss(generated: torch.Tensor, target: torch.Tensor, *,
                    band_width: float = DEFAULT_BAND_WIDTH,
                    max_positions: int | None = DEFAULT_MAX_POSITIONS,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """-log CX [M18 eq. 5], averaged over the batch: a scalar, 0 for identical inputs."""
    cx = contextual_similarity(generated, target, band_width=band_width, max_positions=max_positions,
                               generator=generator)
    # CX >= 1 / M^2 > 0 in exact arithmetic; the floor only guards against fp32 underflow.
    return -torch.log(cx.clamp_min(torch.finfo(torch.float32).tiny)).mean()


class ContextualLoss(nn.Module):
    """The contextual loss on images: sum over VGG16 layers of weight x contextual_loss.

    Owns a frozen VGG16 cut at the deepest layer it needs (or shares one the caller
    passes), so a trainer adds it with one line. ``features_loss`` takes feature dicts for
    a caller that already runs a VGG over the same images.
    """

    def __init__(self, layers: dict[str, float] | None = None, *, band_width: float = DEFAULT_BAND_WIDTH,
                 max_positions: int | None = DEFAULT_MAX_POSITIONS, vgg: nn.Module | None = None,
                 vgg_weights: str | Path | None = None, seed: int = 0) -> None:
        super().__init__()
        self.layers = dict(STYLE_LAYERS if layers is None else layers)
        if not self.layers:
            raise ValueError("ContextualLoss needs at least one layer")
        if band_width <= 0:
            raise ValueError(f"band_width must be positive, not {band_width}")
        self.band_width = band_width
        self.max_positions = max_positions
        if vgg is None:
            from stylecam.training.vgg import load_vgg16

            vgg = load_vgg16(list(self.layers), vgg_weights)
        self.vgg = vgg
        self.generator = torch.Generator().manual_seed(seed)

    def features_loss(self, output_feats: dict[str, torch.Tensor],
                      target_feats: dict[str, torch.Tensor]) -> torch.Tensor:
        total = None
        for name, weight in self.layers.items():
            term = weight * contextual_loss(output_feats[name], target_feats[name], band_width=self.band_width,
                                            max_positions=self.max_positions, generator=self.generator)
            total = term if total is None else total + term
        return total

    def forward(self, output_rgb01: torch.Tensor, target_rgb01: torch.Tensor) -> torch.Tensor:
        """Images are N x 3 x H x W RGB in [0, 1]; the target needs no gradient."""
        out = self.vgg(output_rgb01)
        with torch.no_grad():
            tgt = self.vgg(target_rgb01)
        return self.features_loss(out, tgt)
