"""The optimisation baseline (Gatys, Ecker & Bethge 2016): L-BFGS on the image itself,
against the same perceptual losses the transform nets are trained with. The paper
compares its feed-forward nets with 50, 100 and 300 steps of this (Fig. 5)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from stylecam.training.data import read_rgb, resize_long_side, to_tensor
from stylecam.training.losses import feature_loss, gram, style_loss, tv_loss
from stylecam.training.recipe import PAPER
from stylecam.training.vgg import VGG16Features, load_state


class OptimizeError(Exception):
    pass


@dataclass
class OptimizeResult:
    image: torch.Tensor          # 1x3xHxW RGB in [0, 1]
    losses: list[float]          # total loss after each L-BFGS step
    seconds: float


class PerceptualObjective:
    """content + style + tv, as in training, for one content image and one style."""

    def __init__(self, vgg: VGG16Features, content: torch.Tensor, style: torch.Tensor,
                 weights: tuple[float, float, float], content_layer: str = PAPER.content_layer,
                 style_layers: tuple[str, ...] = PAPER.style_layers) -> None:
        self.vgg = vgg
        self.weights = weights
        self.content_layer = content_layer
        self.style_layers = style_layers
        with torch.no_grad():
            self.content_target = vgg(content)[content_layer]
            feats = vgg(style)
            self.style_grams = {k: gram(feats[k]) for k in style_layers}

    def terms(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        feats = self.vgg(image)
        content = feature_loss(feats[self.content_layer], self.content_target)
        style = style_loss({k: gram(feats[k]) for k in self.style_layers}, self.style_grams)
        tv = tv_loss(image)
        cw, sw, tw = self.weights
        return {"content": content, "style": style, "tv": tv, "total": cw * content + sw * style + tw * tv}

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.terms(image)["total"]


def optimize(objective: PerceptualObjective, init: torch.Tensor, iterations: int) -> OptimizeResult:
    """L-BFGS from the content image; one 'step' is one L-BFGS iteration."""
    image = init.detach().contiguous().clone().requires_grad_(True)
    opt = torch.optim.LBFGS([image], lr=1.0, max_iter=1, history_size=50, line_search_fn="strong_wolfe")
    losses: list[float] = []
    t0 = time.perf_counter()

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = objective(image)
        loss.backward()
        return loss

    for _ in range(iterations):
        opt.step(closure)
        with torch.no_grad():
            image.clamp_(0, 1)
            losses.append(float(objective(image)))
    return OptimizeResult(image.detach(), losses, time.perf_counter() - t0)


def optimize_file(content: Path, style: Path, output: Path, iterations: int = 300, size: int = 512,
                  style_size: int = PAPER.style_size,
                  weights: tuple[float, float, float] = (PAPER.content_weight, PAPER.style_weight, PAPER.tv_weight),
                  vgg_weights: Path | None = None) -> OptimizeResult:
    if output.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp", ".bmp"):
        raise OptimizeError(f"{output}: unsupported output type (use .png or .jpg)")
    images = []
    for path in (content, style):
        rgb = read_rgb(path) if Path(path).is_file() else None
        if rgb is None:
            raise OptimizeError(f"{path}: cannot read (missing, empty or not an image)")
        images.append(rgb)
    state, convention, _ = load_state(vgg_weights)
    vgg = VGG16Features(state, convention, sorted({PAPER.content_layer, *PAPER.style_layers}))
    content_t = to_tensor(resize_long_side(images[0], size))
    style_t = to_tensor(resize_long_side(images[1], style_size))
    result = optimize(PerceptualObjective(vgg, content_t, style_t, weights), content_t, iterations)
    rgb = (result.image[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    ok, data = cv2.imencode(output.suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OptimizeError(f"{output}: cannot encode image")
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_bytes(data.tobytes())
    tmp.replace(output)
    return result
