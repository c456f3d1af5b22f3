"""The optimisation baseline (Gatys, Ecker & Bethge 2016): L-BFGS on the image itself,
against the same perceptual objective the transform nets are trained with
(``training/objective.py``). Johnson et al. 2016 measure their nets against it (Fig. 5):
"projected L-BFGS", the image clipped to the valid range after every iteration, started
from white noise (sec. 4.1).

Two details decide whether this works at all:
  * ``torch.optim.LBFGS(max_iter=1)`` sets ``max_eval`` to 1 * 5 // 4 = 1, and the
    strong-Wolfe line search is given ``max_eval - evaluations so far`` = 0 trials: it
    returns step 0 and the image never moves (PyTorch issue 91581). One call per iteration
    is needed to project between iterations, so ``max_eval`` is set explicitly.
  * Each ``step()`` call re-evaluates the objective at its starting point. When the
    projection moved nothing, that point was the line search's last trial, so the loss
    and gradient are taken from a one-entry cache instead of a second VGG pass (about
    half the cost per iteration).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from stylecam.errors import StylecamError
from stylecam.training.data import read_rgb, resize_long_side, to_tensor
from stylecam.training.objective import PerceptualObjective
from stylecam.training.recipe import PAPER
from stylecam.training.vgg import VGG16Features, load_state

__all__ = ["INITS", "OptimizeError", "OptimizeResult", "PerceptualObjective", "initial_image", "optimize",
           "optimize_file"]

INITS = ("noise", "photo")
# Trials the strong-Wolfe line search may spend per iteration: torch's own default for
# max_iter=20 is 25 evaluations in all; one iteration rarely needs more than 2-3.
MAX_EVAL_PER_ITERATION = 20
# L-BFGS memory: [JNS] neural_style.lua uses optim.lbfgs with nCorrection = 100.
HISTORY_SIZE = 100
# [JNS] jcjohnson/neural-style, `-init random`: torch.randn(...):mul(0.001) in the VGG
# input space (0-255, mean-subtracted), i.e. white noise around the mean pixel.
NOISE_STD_255 = 1e-3


class OptimizeError(StylecamError):
    """An optimisation that cannot run (input, output or options), and why."""


@dataclass
class OptimizeResult:
    image: torch.Tensor          # 1x3xHxW RGB in [0, 1]
    losses: list[float]          # losses[i]: total loss after i iterations; losses[0] at the start
    seconds: float
    evaluations: int = 0         # VGG forward + backward passes actually run
    terms: dict[str, float] = field(default_factory=dict)  # content / style / tv / total at the end

    @property
    def iterations(self) -> int:
        return len(self.losses) - 1


def initial_image(init: str, content: torch.Tensor, seed: int = 0,
                  mean_rgb: tuple[float, float, float] = (123.68, 116.779, 103.939)) -> torch.Tensor:
    """The starting image: ``photo`` (the content image) or ``noise`` ([JNS]'s white noise
    around the ImageNet mean pixel, given here as RGB on 0-255)."""
    if init == "photo":
        return content.detach().clone().clamp(0, 1)
    if init == "noise":
        g = torch.Generator().manual_seed(seed)
        noise = torch.randn(content.shape, generator=g) * NOISE_STD_255
        mean = torch.tensor(mean_rgb).view(1, 3, 1, 1)
        return ((mean + noise) / 255.0).clamp(0, 1).to(content.device)
    raise OptimizeError(None, f"unknown --init {init!r} (use one of {', '.join(INITS)})")


def optimize(objective: Callable[[torch.Tensor], torch.Tensor], init: torch.Tensor, iterations: int, *,
             max_eval: int = MAX_EVAL_PER_ITERATION, history_size: int = HISTORY_SIZE,
             progress: bool = False, on_iteration: Callable[[int, float, torch.Tensor], None] | None = None,
             ) -> OptimizeResult:
    """Projected L-BFGS ([J16] sec. 4.1): one L-BFGS iteration, then clip to [0, 1]."""
    if iterations < 0:
        raise OptimizeError(None, f"iterations must be >= 0, got {iterations}")
    image = init.detach().clone().clamp_(0, 1).contiguous().requires_grad_(True)
    opt = torch.optim.LBFGS([image], lr=1.0, max_iter=1, max_eval=max_eval, history_size=history_size,
                            tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe")
    cache: dict[str, torch.Tensor] = {}
    evaluations = 0

    def closure() -> torch.Tensor:
        nonlocal evaluations
        x = image.detach()
        if "x" in cache and torch.equal(cache["x"], x):
            image.grad = cache["grad"].clone()
            return cache["loss"]
        opt.zero_grad()
        with torch.enable_grad():
            loss = objective(image)
            loss.backward()
        evaluations += 1
        cache.update(x=x.clone(), loss=loss.detach(), grad=image.grad.detach().clone())
        return loss.detach()

    t0 = time.perf_counter()
    losses = [float(closure())]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=iterations, desc="L-BFGS", unit="it", file=sys.stderr, dynamic_ncols=True,
                   mininterval=0.2 if sys.stderr.isatty() else 5.0)
    try:
        for i in range(1, iterations + 1):
            opt.step(closure)
            with torch.no_grad():
                image.clamp_(0, 1)
            losses.append(float(closure()))  # at the projected point; the next step() reuses it
            if bar is not None:
                bar.set_postfix_str(f"loss {losses[-1]:.4g}", refresh=False)
                bar.update(1)
            if on_iteration is not None:
                on_iteration(i, losses[-1], image.detach())
    finally:
        if bar is not None:
            bar.close()
    terms: dict[str, float] = {}
    if isinstance(objective, PerceptualObjective):
        with torch.no_grad():
            terms = {k: float(v) for k, v in objective.terms(image.detach()).items()}
    return OptimizeResult(image.detach(), losses, time.perf_counter() - t0, evaluations, terms)


def write_image(path: Path, image: torch.Tensor) -> None:
    """1x3xHxW RGB in [0, 1] to PNG/JPEG, written under a temporary name and renamed."""
    rgb = (image[0].detach().cpu().clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    ok, data = cv2.imencode(path.suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OptimizeError(path, "cannot encode image")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data.tobytes())
    tmp.replace(path)


def optimize_file(content: Path, style: Path, output: Path, iterations: int = 300, size: int = 512,
                  style_size: int = PAPER.style_size,
                  weights: tuple[float, float, float] = (PAPER.content_weight, PAPER.style_weight, PAPER.tv_weight),
                  vgg_weights: Path | None = None, init: str = "noise", seed: int = 0,
                  style_reduction: str = PAPER.style_reduction, content_layer: str = PAPER.content_layer,
                  progress: bool = False) -> OptimizeResult:
    """``stylecam optimize``: read, optimise, write ``output`` (and nothing else)."""
    output = Path(output)
    if output.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp", ".bmp"):
        raise OptimizeError(output, "unsupported output type (use .png or .jpg)")
    if not output.parent.is_dir():
        raise OptimizeError(output, f"the folder {output.parent} does not exist")
    if init not in INITS:
        raise OptimizeError(None, f"unknown --init {init!r} (use one of {', '.join(INITS)})")
    if iterations < 1:
        raise OptimizeError(None, f"--iterations must be at least 1, got {iterations}")
    images = []
    for path in (content, style):
        rgb = read_rgb(path) if Path(path).is_file() else None
        if rgb is None:
            raise OptimizeError(path, "cannot read (missing, empty or not an image)")
        images.append(rgb)
    state, convention, _ = load_state(vgg_weights)
    vgg = VGG16Features(state, convention, sorted({content_layer, *PAPER.style_layers}))
    content_t = to_tensor(resize_long_side(images[0], size))
    style_t = to_tensor(resize_long_side(images[1], style_size))
    objective = PerceptualObjective(vgg, content_t, style_t, weights, content_layer, PAPER.style_layers,
                                    style_reduction=style_reduction)
    result = optimize(objective, initial_image(init, content_t, seed), iterations, progress=progress)
    write_image(output, result.image)
    return result
