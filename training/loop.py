"""The training loop: one transform net per style, against the VGG16 perceptual loss.

Runs on CPU or CUDA, in one process or under ``torchrun`` (DistributedDataParallel,
per-rank data shards, rank 0 logs and writes). Checkpoints are written every N
iterations, at the end, and on Ctrl-C, so a run can always be resumed.
"""

from __future__ import annotations

import os
import platform
import signal
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.distributed as dist

from stylecam.errors import StylecamError
from stylecam.models.errors import StyleError
from stylecam.models.nets import checkpoint as ckpt
from stylecam.models.nets.registry import create_model
from stylecam.training.contextual import ContextualLoss
from stylecam.training.data import DataError, RandomCrops, find_images, read_rgb, resize_long_side, to_tensor
from stylecam.training.grow import grow_to
from stylecam.training.losses import pixel_loss, temporal_loss, tv_loss
from stylecam.training.objective import PerceptualObjective
from stylecam.training.recipe import Recipe
from stylecam.training.vgg import VGG16Features, load_state

TERMS = ("content", "style", "tv", "pixel", "distill", "temporal", "contextual", "total")


@dataclass
class TrainOptions:
    style_image: Path
    data: Path
    name: str
    out: Path
    recipe: Recipe
    title: str = ""
    device: str = "auto"
    precision: str = "auto"
    resume: Path | None = None
    grow_blocks: int = 0
    vgg_weights: Path | None = None
    teacher: Path | None = None
    preview_every: int = 100
    checkpoint_every: int = 100
    log_every: int = 50
    command: str = ""
    progress: bool = True
    extra_meta: dict[str, Any] = field(default_factory=dict)


class TrainError(StylecamError):
    """A training run that cannot start or go on, and why."""


def pick_device(wanted: str) -> torch.device:
    """CUDA only when a kernel really runs there; ``auto`` falls back to CPU."""
    if wanted in ("auto", "cuda"):
        try:
            if torch.cuda.is_available():
                (torch.ones(1, device="cuda") + 1).item()
                return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        except Exception:
            pass
        if wanted == "cuda":
            raise TrainError(None, "--device cuda: no working CUDA device (torch.cuda cannot run a kernel)")
    return torch.device("cpu")


def flat_adam_state(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """Adam's per-parameter state as flat tensors ("{i}.step", "{i}.exp_avg", ...), so a
    checkpoint keeps it in safetensors (no pickle) and ``--resume`` continues the same run."""
    flat = {}
    for i, s in optimizer.state_dict()["state"].items():
        flat[f"{i}.step"] = torch.as_tensor(s["step"], dtype=torch.float32).reshape(1)
        flat[f"{i}.exp_avg"] = s["exp_avg"]
        flat[f"{i}.exp_avg_sq"] = s["exp_avg_sq"]
    return flat


def load_flat_adam_state(optimizer: torch.optim.Optimizer, params: list[torch.nn.Parameter],
                         flat: dict[str, torch.Tensor]) -> None:
    """The inverse of ``flat_adam_state``; parameters without saved state start fresh."""
    state = {}
    for i, p in enumerate(params):
        if f"{i}.exp_avg" in flat:
            state[i] = {"step": flat[f"{i}.step"].float(), "exp_avg": flat[f"{i}.exp_avg"].to(p.device),
                        "exp_avg_sq": flat[f"{i}.exp_avg_sq"].to(p.device)}
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})


def cpu_has_bf16() -> bool:
    check = getattr(torch.cpu, "_is_avx512_bf16_supported", None) or getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool(check and check())


def pick_precision(wanted: str, device: torch.device) -> str:
    if wanted == "auto":
        if device.type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
        return "bf16" if cpu_has_bf16() else "fp32"
    return wanted


def versions() -> dict[str, str]:
    import safetensors

    return {"python": platform.python_version(), "torch": torch.__version__,
            "safetensors": safetensors.__version__, "numpy": np.__version__, "opencv": cv2.__version__}


class Trainer:
    def __init__(self, opts: TrainOptions) -> None:
        self.opts = opts
        self.recipe = replace(opts.recipe)  # a copy: the run records its own teacher and settings
        self.distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        self.device = pick_device(opts.device)
        if self.distributed and not dist.is_initialized():
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        self.rank = dist.get_rank() if self.distributed else 0
        self.world = dist.get_world_size() if self.distributed else 1
        self.precision = pick_precision(opts.precision, self.device)
        torch.manual_seed(self.recipe.seed + self.rank)

        files = find_images(opts.data)
        self.crops = RandomCrops(files, self.recipe.image_size, self.recipe.batch_size, self.recipe.seed, self.rank, self.world)
        self.preview_source = self._preview_image(files)

        style_rgb = read_rgb(opts.style_image)
        if style_rgb is None:
            raise TrainError(opts.style_image, "cannot read the style image (missing, empty or not an image)")

        self.start_iteration = 0
        self.earlier_teacher: dict[str, Any] | None = None
        self.history: list[dict[str, float]] = []
        self.earlier_commands: list[dict[str, Any]] = []
        optimizer_state: dict[str, torch.Tensor] = {}
        if opts.resume is not None:
            loaded = ckpt.load(opts.resume)
            meta = loaded.meta
            if meta.get("arch") != self.recipe.arch:
                raise TrainError(opts.resume, f"is a {meta.get('arch')!r} checkpoint, not {self.recipe.arch!r} (--arch)")
            self.net = loaded.net
            self.start_iteration = int(meta.get("iteration", 0))
            self.history = list(meta.get("loss_history", []))
            # Every run that led here, so a style trained in several sittings (or with a
            # changed weight part-way) can be reproduced exactly.
            self.earlier_commands = [*meta.get("earlier_commands", []),
                                     {"command": meta.get("command", ""), "until_iteration": self.start_iteration}]
            optimizer_state = loaded.optimizer_state
            if opts.grow_blocks:
                try:
                    self.net, optimizer_state = grow_to(self.net, self.recipe.arch, opts.grow_blocks, optimizer_state)
                except ValueError as e:
                    raise TrainError(opts.resume, f"{e}") from None
            # A student fine-tuned after distillation keeps the record of its teacher.
            self.earlier_teacher = meta.get("teacher")
        else:
            if opts.grow_blocks:
                raise TrainError(None, "--grow-blocks grows a trained net: it needs --resume")
            self.net = create_model(self.recipe.arch, **self.recipe.arch_config)
        self.net.to(self.device).train()

        self.teacher = self._load_teacher(opts.teacher)
        self.perceptual = (self.recipe.content_weight > 0 or self.recipe.style_weight > 0
                           or self.recipe.contextual_weight > 0)
        self.contextual: ContextualLoss | None = None
        self.vgg_convention = ""
        if self.perceptual:
            state, convention, self.vgg_source = load_state(opts.vgg_weights)
            layers = sorted({self.recipe.content_layer, *self.recipe.style_layers,
                             *(self.recipe.contextual_layers if self.recipe.contextual_weight > 0 else ())})
            self.vgg = VGG16Features(state, convention, layers).to(self.device)
            self.vgg_content = VGG16Features(state, convention, [self.recipe.content_layer]).to(self.device)
            self.vgg_convention = convention
            style = to_tensor(resize_long_side(style_rgb, self.recipe.style_size)).to(self.device)
            # The one objective (training/objective.py), shared with the optimiser and the benches.
            self.objective = PerceptualObjective.from_recipe(self.vgg, None, style, self.recipe,
                                                             content_vgg=self.vgg_content)
            self.style_grams = self.objective.style_grams
            if self.recipe.contextual_weight > 0:
                # Mechrez et al. 2018: the output's features, wherever they are, drawn from the painting's.
                self.contextual = ContextualLoss(dict.fromkeys(self.recipe.contextual_layers, 1.0),
                                                 band_width=self.recipe.contextual_band_width, vgg=self.vgg,
                                                 seed=self.recipe.seed + self.rank)
                with torch.no_grad():
                    style_feats = self.vgg(style)
                self.style_features = {k: style_feats[k] for k in self.recipe.contextual_layers}
        elif self.teacher is None:
            raise TrainError(None, "content and style weights are both 0 and there is no --teacher: nothing to learn")

        self.model = self.net
        if self.distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.model = torch.nn.parallel.DistributedDataParallel(self.net, device_ids=ids)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=self.recipe.lr)
        if optimizer_state:
            self._load_optimizer(optimizer_state)

    # -- pieces -----------------------------------------------------------------------
    def _load_teacher(self, path: Path | None) -> torch.nn.Module | None:
        """A trained style net whose outputs the student learns to reproduce ([H15])."""
        if path is None:
            if self.recipe.distill_weight > 0:
                raise TrainError(None, "--distill-weight needs --teacher CHECKPOINT")
            return None
        if self.recipe.distill_weight <= 0:
            raise TrainError(None, "--teacher needs a --distill-weight above 0")
        try:
            teacher = ckpt.load(path).net
        except StyleError as e:
            raise TrainError(None, f"--teacher: {e}") from None
        self.recipe.teacher = str(path)
        self.teacher_meta = ckpt.read_metadata(path)
        teacher.to(self.device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        return teacher

    def _preview_image(self, files: list[Path]) -> torch.Tensor:
        for path in files:
            rgb = read_rgb(path)
            if rgb is not None:
                return to_tensor(resize_long_side(rgb, 256))
        raise DataError(self.opts.data, "none of the images can be read")

    def _load_optimizer(self, flat: dict[str, torch.Tensor]) -> None:
        load_flat_adam_state(self.optimizer, list(self.net.parameters()), flat)

    def _flat_optimizer(self) -> dict[str, torch.Tensor]:
        return flat_adam_state(self.optimizer)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r = self.recipe
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")
        zero = torch.zeros((), device=x.device)
        content = style = distill = temporal = contextual = zero
        with autocast:
            y = self.model(x)
            if r.temporal_weight:
                temporal = temporal_loss(self.model, x, y)
            if self.perceptual:
                feats = self.vgg(y)
                with torch.no_grad():
                    target = self.vgg_content(x)[r.content_layer]
            if self.teacher is not None:
                with torch.no_grad():
                    taught = self.teacher(x)
        if self.perceptual:
            perceptual = self.objective.feature_terms(feats, target)
            content, style = perceptual["content"], perceptual["style"]
            if self.contextual is not None:
                contextual = self.contextual.features_loss(feats, self.style_features)
        if self.teacher is not None:
            distill = (y.float() - taught.float()).abs().mean()
        tv = tv_loss(y.float())
        pixel = pixel_loss(y.float(), x) if r.pixel_weight else zero
        total = (r.content_weight * content + r.style_weight * style + r.tv_weight * tv + r.pixel_weight * pixel
                 + r.distill_weight * distill + r.temporal_weight * temporal + r.contextual_weight * contextual)
        return {"content": content, "style": style, "tv": tv, "pixel": pixel, "distill": distill,
                "temporal": temporal, "contextual": contextual, "total": total}

    def meta(self, iteration: int) -> dict[str, Any]:
        r = self.recipe
        return {
            "arch": r.arch,
            "config": self.net.config,
            "style": {"name": self.opts.name, "title": self.opts.title or self.opts.name,
                      "image": Path(self.opts.style_image).name},
            "recipe": {**r.to_dict(), "precision": self.precision, "device": str(self.device),
                       "world_size": self.world, "vgg_convention": self.vgg_convention,
                       "data": str(self.opts.data)},
            "command": self.opts.command,
            "earlier_commands": self.earlier_commands,
            "iteration": iteration,
            "loss_history": self.history,
            "losses": self.history[-1] if self.history else {},
            **({"teacher": self._teacher_record()} if self.teacher is not None or self.earlier_teacher else {}),
            "versions": versions(),
            **self.opts.extra_meta,
        }

    def _teacher_record(self) -> dict[str, Any] | None:
        if self.teacher is None:
            return self.earlier_teacher
        return {"path": self.recipe.teacher, "arch": self.teacher_meta.get("arch"),
                "iteration": self.teacher_meta.get("iteration"), "recipe": self.teacher_meta.get("recipe"),
                "command": self.teacher_meta.get("command"),
                "earlier_commands": self.teacher_meta.get("earlier_commands", [])}

    def save(self, iteration: int) -> Path:
        path = self.opts.out / f"{self.opts.name}.safetensors"
        return ckpt.save(path, self.net, self.meta(iteration), self._flat_optimizer())

    def preview(self, iteration: int) -> Path:
        self.net.eval()
        with torch.no_grad():
            y = self.net(self.preview_source.to(self.device)).clamp(0, 1)
        self.net.train()
        return self.write_preview(y[0], iteration)

    def write_preview(self, image: torch.Tensor, iteration: int) -> Path:
        """``OUT/previews/NAME_ITERATION.png`` from a 3 x H x W RGB tensor in [0, 1]."""
        rgb = (image.permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
        path = self.opts.out / "previews" / f"{self.opts.name}_{iteration:06d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        return path

    # -- the loop -----------------------------------------------------------------------
    def run(self) -> Path:
        r = self.recipe
        total = r.iterations
        it = self.start_iteration
        lead = self.rank == 0
        bar = None
        if lead and self.opts.progress:
            from tqdm import tqdm

            bar = tqdm(total=total, initial=it, desc=self.opts.name, unit="it", dynamic_ncols=True, file=sys.stderr,
                       mininterval=0.2 if sys.stderr.isatty() else 5.0)
        window: dict[str, float] = {k: 0.0 for k in TERMS}
        window_n = 0
        t0 = time.perf_counter()
        images = 0
        if threading.current_thread() is threading.main_thread():
            # A `kill` (SIGTERM) saves a checkpoint just as Ctrl-C does.
            signal.signal(signal.SIGTERM, _interrupt)
        try:
            while it < total:
                x = self.crops.batch().to(self.device)
                terms = self.losses(x)
                self.optimizer.zero_grad(set_to_none=True)
                terms["total"].backward()
                self.optimizer.step()
                it += 1
                images += x.shape[0] * self.world
                for k in TERMS:
                    window[k] += float(terms[k].detach())
                window_n += 1
                if bar is not None:
                    rate = images / (time.perf_counter() - t0)
                    shown = [k for k in ("content", "style", "tv", "pixel", "distill", "temporal", "contextual") if float(terms[k].detach())]
                    bar.set_postfix_str(" ".join(f"{k} {float(terms[k].detach()):.3g}" for k in shown)
                                        + f" {rate:.1f} img/s", refresh=False)
                    bar.update(1)
                if it % self.opts.log_every == 0 or it == total:
                    self.history.append({"iteration": it, **{k: window[k] / window_n for k in TERMS}})
                    window = {k: 0.0 for k in TERMS}
                    window_n = 0
                if lead and (it % self.opts.preview_every == 0 or it == total):
                    self.preview(it)
                if lead and (it % self.opts.checkpoint_every == 0 or it == total):
                    self.save(it)
        except KeyboardInterrupt:
            if lead:
                path = self.save(it)
                if bar is not None:
                    bar.close()
                print(f"\ninterrupted at iteration {it}; checkpoint saved to {path} (continue with --resume {path})",
                      file=sys.stderr)
            raise
        finally:
            if bar is not None:
                bar.close()
        path = self.opts.out / f"{self.opts.name}.safetensors"
        if lead and not path.exists():
            self.save(it)
        if self.distributed:
            dist.barrier()
        return path


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def train(opts: TrainOptions) -> Path:
    try:
        return Trainer(opts).run()
    except StyleError as e:
        raise TrainError(e.path, e.problem) from None
