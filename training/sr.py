"""Training a super-resolution net (Johnson et al. 2016, section 4.2).

The loop, progress bar, checkpoints (every N iterations, at the end, on Ctrl-C / SIGTERM),
resume and Adam state are the style trainer's (``training/loop.py``): ``SRTrainer``
subclasses it and replaces only what differs: the data (high-resolution patches, made
low-resolution on the fly by :func:`degrade`), the losses and the recorded metadata.

The feature loss needs VGG16 only up to relu2_2, two of its five blocks: the loss
network is cut there (``VGG16Features`` stops at the deepest requested layer), which is
about a tenth of the full conv stack's work at a given size.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from stylecam.models.errors import StyleError
from stylecam.models.nets import checkpoint as ckpt
from stylecam.models.nets.registry import create_model
from stylecam.training.data import DataError, RandomCrops, find_images, read_rgb, to_tensor
from stylecam.training.loop import TERMS, Trainer, TrainError, pick_device, pick_precision, versions
from stylecam.training.losses import feature_loss, pixel_loss, tv_loss
from stylecam.training.sr_recipe import LOSSES, SRRecipe
from stylecam.training.vgg import VGG16Features, load_state

UPSCALER_KIND = "upscaler"


@dataclass
class SROptions:
    data: Path
    name: str
    out: Path
    recipe: SRRecipe
    title: str = ""
    device: str = "auto"
    precision: str = "auto"
    resume: Path | None = None
    vgg_weights: Path | None = None
    preview_every: int = 100
    checkpoint_every: int = 100
    log_every: int = 50
    command: str = ""
    progress: bool = True


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """A normalised 1-D Gaussian, radius ceil(3 sigma)."""
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    return k / k.sum()


def degrade(hr: torch.Tensor, factor: int, sigma: float = 1.0) -> torch.Tensor:
    """[J16]'s low-resolution input: Gaussian blur (sigma) then bicubic downsampling by ``factor``.

    ``hr`` is N x 3 x H x W in [0, 1] with H, W multiples of ``factor``; the result is
    clamped to [0, 1] (bicubic overshoots), as a stored low-resolution image would be.
    Used by training and by the benchmark, so both see exactly the same degradation.
    """
    if hr.shape[-1] % factor or hr.shape[-2] % factor:
        raise ValueError(f"image size {tuple(hr.shape[-2:])} is not a multiple of the factor {factor}")
    x = hr
    if sigma > 0:
        k = gaussian_kernel(sigma).to(hr)
        r = (k.numel() - 1) // 2
        c = hr.shape[1]
        x = F.pad(x, (r, r, r, r), mode="reflect")
        x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
        x = F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    size = (hr.shape[-2] // factor, hr.shape[-1] // factor)
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False).clamp(0.0, 1.0)


def grid_loss(output: torch.Tensor, target: torch.Tensor, factor: int) -> torch.Tensor:
    """The f-px grid of an upscaled batch, in levels^2 (0-255 scale): per image and colour,
    the error ``output - target`` averaged over each of the f*f output phases (pixel (y, x)
    is phase (y mod f, x mod f)); the variance of those f*f means, averaged.

    A sub-pixel net predicts each phase with its own kernels, so it can put a fixed offset
    or gain on a phase: a pattern repeating every f pixels that costs almost nothing in
    MSE (0.5 levels is ~1e-3 of a typical MSE) and nothing in the relu2_2 feature loss,
    yet shows as a screen-door texture. Natural images have no preferred phase, so this
    term is ~0 for a good output up to sampling noise."""
    n, c, h, w = output.shape
    h, w = h // factor * factor, w // factor * factor
    err = (output[..., :h, :w] - target[..., :h, :w]) * 255.0
    phases = err.reshape(n, c, h // factor, factor, w // factor, factor).mean(dim=(2, 4))
    return phases.reshape(n, c, -1).var(dim=2, unbiased=False).mean()


def training_files(data: Path, exclude: tuple[str, ...]) -> list[Path]:
    """The photos of ``data`` minus those whose file name matches an ``exclude`` glob."""
    files = find_images(data)
    kept = [p for p in files if not any(fnmatch.fnmatch(p.name, pat) for pat in exclude)]
    if not kept:
        raise DataError(data, f"every image matches --exclude {' '.join(exclude)}; nothing left to train on")
    return kept


class SRTrainer(Trainer):
    """The style trainer's loop with super-resolution data, losses and metadata."""

    def __init__(self, opts: SROptions) -> None:  # noqa: C901 - one linear setup
        self.opts = opts
        self.recipe = r = replace(opts.recipe)
        if r.loss not in LOSSES:
            raise TrainError(None, f"--loss must be one of {', '.join(LOSSES)}, not {r.loss!r}")
        if r.pixel_weight < 0 or (r.pixel_weight and r.loss == "pixel"):
            raise TrainError(None, "--pixel-weight adds a pixel term to --loss feature or contextual; it must be "
                                   f"positive there and is not used with --loss pixel (got {r.pixel_weight})")
        if r.grid_weight < 0:
            raise TrainError(None, f"--grid-weight must not be negative, not {r.grid_weight}")
        if r.image_size % r.factor:
            raise TrainError(None, f"--image-size {r.image_size} is not a multiple of --factor {r.factor}")
        self.distributed = False
        self.rank, self.world = 0, 1
        self.device = pick_device(opts.device)
        self.precision = pick_precision(opts.precision, self.device)
        torch.manual_seed(r.seed)

        files = training_files(opts.data, r.exclude)
        self.train_files = files
        self.crops = RandomCrops(files, r.image_size, r.batch_size, r.seed)
        self.preview_source = self._preview_hr(files)

        self.start_iteration = 0
        self.history: list[dict[str, float]] = []
        self.earlier_commands: list[dict[str, Any]] = []
        self.earlier_teacher = None
        self.teacher = None
        optimizer_state: dict[str, torch.Tensor] = {}
        config = {"factor": r.factor, **r.arch_config}
        if opts.resume is not None:
            loaded = self._load(opts.resume, "--resume")
            meta = loaded.meta
            self.net = loaded.net
            self.start_iteration = int(meta.get("iteration", 0))
            self.history = list(meta.get("loss_history", []))
            self.earlier_commands = [*meta.get("earlier_commands", []),
                                     {"command": meta.get("command", ""), "until_iteration": self.start_iteration}]
            optimizer_state = loaded.optimizer_state
            r.init = (meta.get("recipe") or {}).get("init", r.init)
        else:
            self.net = create_model(r.arch, **config)
            if r.init:
                start = self._load(Path(r.init), "--init")
                self.net.load_state_dict(start.net.state_dict())
                self.init_meta = {"path": r.init, "iteration": start.meta.get("iteration"),
                                  "loss": (start.meta.get("recipe") or {}).get("loss"),
                                  "command": start.meta.get("command")}
        self.net.to(self.device).train()

        self.vgg_convention = ""
        self.vgg_source = ""
        if r.loss in ("feature", "contextual"):
            state, convention, self.vgg_source = load_state(opts.vgg_weights)
            self.vgg = VGG16Features(state, convention, [r.content_layer]).to(self.device)
            self.vgg_convention = convention
        if r.loss == "contextual":
            from stylecam.training.contextual import contextual_loss  # lazy: the other half of issue 16

            self._contextual = contextual_loss
            self._cx_generator = torch.Generator(device="cpu").manual_seed(r.seed)
        self.model = self.net
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=r.lr)
        if optimizer_state:
            self._load_optimizer(optimizer_state)

    def _load(self, path: Path, flag: str) -> ckpt.Checkpoint:
        r = self.recipe
        try:
            loaded = ckpt.load(path)
        except StyleError as e:
            raise TrainError(None, f"{flag}: {e}") from None
        meta = loaded.meta
        if meta.get("arch") != r.arch:
            raise TrainError(path, f"is a {meta.get('arch')!r} checkpoint, not {r.arch!r} (--arch)")
        factor = (meta.get("config") or {}).get("factor")
        if factor != r.factor:
            raise TrainError(path, f"is a x{factor} upscaler, not x{r.factor} (--factor)")
        return loaded

    def _preview_hr(self, files: list[Path]) -> torch.Tensor:
        f = self.recipe.factor
        for path in files:
            rgb = read_rgb(path)
            if rgb is not None:
                h, w = (min(rgb.shape[0], 256) // f) * f, (min(rgb.shape[1], 256) // f) * f
                y, x = (rgb.shape[0] - h) // 2, (rgb.shape[1] - w) // 2
                return to_tensor(rgb[y : y + h, x : x + w])
        raise DataError(self.opts.data, "none of the images can be read")

    def losses(self, hr: torch.Tensor) -> dict[str, torch.Tensor]:
        r = self.recipe
        lr = degrade(hr, r.factor, r.blur_sigma)
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")
        zero = torch.zeros((), device=hr.device)
        content = pixel = contextual = zero
        with autocast:
            y = self.model(lr)
            if r.loss != "pixel":
                feats = self.vgg(y)[r.content_layer]
                with torch.no_grad():
                    target = self.vgg(hr)[r.content_layer]
        if r.loss == "feature":
            content = feature_loss(feats.float(), target.float())
        elif r.loss == "contextual":
            contextual = self._contextual(feats.float(), target.float(), band_width=r.contextual_band_width,
                                          generator=self._cx_generator)
        if r.loss == "pixel" or r.pixel_weight:
            pixel = pixel_loss(y.float(), hr)
        pixel_w = 1.0 if r.loss == "pixel" else r.pixel_weight
        tv_w = r.resolved_tv()
        tv = tv_loss(y.float()) if tv_w else zero
        grid = grid_loss(y.float(), hr, r.factor) if r.grid_weight else zero
        total = content + pixel_w * pixel + contextual + tv_w * tv + r.grid_weight * grid
        out = {k: zero for k in TERMS}
        out.update({"content": content, "pixel": pixel, "tv": tv, "total": total})
        if "contextual" in TERMS:  # the loop's progress bar and history show it by name
            out["contextual"] = contextual
        else:
            out["content"] = content + contextual
        return out

    def meta(self, iteration: int) -> dict[str, Any]:
        r = self.recipe
        return {
            "kind": UPSCALER_KIND,
            "factor": r.factor,
            "arch": r.arch,
            "config": self.net.config,
            # "style" carries name and title so that the exporter's metadata code serves both kinds.
            "style": {"name": self.opts.name, "title": self.opts.title or f"{self.opts.name} (x{r.factor})"},
            "recipe": {**r.to_dict(), "precision": self.precision, "device": str(self.device),
                       "vgg_convention": self.vgg_convention, "vgg_source": self.vgg_source,
                       "data": str(self.opts.data), "train_images": len(self.train_files),
                       **({"init_run": self.init_meta} if getattr(self, "init_meta", None) else {})},
            "command": self.opts.command,
            "earlier_commands": self.earlier_commands,
            "iteration": iteration,
            "loss_history": self.history,
            "losses": self.history[-1] if self.history else {},
            "versions": versions(),
        }

    def preview(self, iteration: int) -> Path:
        """Bicubic | net | original, side by side, on the first training photo's centre."""
        r = self.recipe
        hr = self.preview_source.to(self.device)
        lr = degrade(hr, r.factor, r.blur_sigma)
        self.net.eval()
        with torch.no_grad():
            y = self.net(lr).clamp(0, 1)
        self.net.train()
        bicubic = F.interpolate(lr, size=hr.shape[-2:], mode="bicubic", align_corners=False).clamp(0, 1)
        return self.write_preview(torch.cat([bicubic, y, hr], dim=3)[0], iteration)


def train_sr(opts: SROptions) -> Path:
    try:
        return SRTrainer(opts).run()
    except StyleError as e:
        raise TrainError(e.path, e.problem) from None
