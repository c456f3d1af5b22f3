"""Training a style under a CPU-time budget, in phases, resumable (issue 13).

Two cores make compute the constraint, so runs are compared and scheduled by process CPU
seconds (:class:`stylecam.training.teacher.CpuClock`), not by iterations: a phase ends at a
cumulative CPU minute, snapshots are kept at given CPU minutes for the Fig. 5 bench, and a
checkpoint (net, Adam state, clock, phase, owned teacher targets) is written every few
CPU minutes, so re-running the same command continues where it stopped.

Phases (any order, each until a cumulative CPU minute):
  * ``teacher``: L-BFGS targets for training photos (training/teacher.py), cached on disk;
  * ``pixel``: the net learns photo -> target on aligned random crops, mean |y - t| on [0, 1]
    (no VGG at all, the reason this is cheap);
  * ``perceptual``: the paper's loss (content + style + TV, training/objective.py) on random
    crops of the training photos.
Approach (a) is one perceptual phase (small crops, then larger); approach (b) is
teacher, pixel, then a short perceptual fine-tune.

What makes a step cheaper on these CPUs (measured, 1 thread, johnson net, batch 4 at
128 px, net + VGG forward and backward: 2.5 s in fp32, 1.2 s under bf16 autocast on an
Intel Xeon with AMX (this session's machine; on an AVX2-only CPU bf16 is emulated, so fp32);
channels-last changed nothing measurable, so it is not used): bf16 autocast for the net
and VGG, the losses taken in fp32; content targets from a VGG cut at relu2_2.
"""

from __future__ import annotations

import json
import random
import signal
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from stylecam.models.nets import checkpoint as ckpt
from stylecam.models.nets.registry import create_model
from stylecam.training.data import RandomCrops, find_images, read_rgb, resize_long_side, to_tensor
from stylecam.training.loop import cpu_has_bf16, flat_adam_state, load_flat_adam_state
from stylecam.training.losses import periodic_loss, tv_loss
from stylecam.training.objective import PerceptualObjective
from stylecam.training.recipe import Recipe
from stylecam.training.teacher import AlignedCrops, CpuClock, TargetCache, objective_key, square_crop, teacher_target
from stylecam.training.vgg import VGG16Features, load_state

PHASES = ("teacher", "pixel", "perceptual")

# Steps over which a fresh Adam on an already trained net ramps its rate from lr / N to lr.
# Why: a fresh Adam's first updates are about lr on every weight at once (its first moment is
# one gradient, not an average), which threw trained nets back to the unmodified photo's loss
# (great_wave's shipped net continued at 256 px: 3.0e5 -> 7.2e5 on the same crops, docs/fig5.md,
# "256 px crops after 128 px"). The ramp removes that jolt but not a rate too high for the
# crops: at 256 px, batch 2, the net still diverged at 1e-3 and trained at 3e-4 (Phase.lr). A
# net trained from its seed starts at full rate, as before.
WARMUP_STEPS = 200


@dataclass
class Phase:
    kind: str            # one of PHASES
    until: float         # cumulative CPU minutes at which the phase ends
    size: int = 128      # crop size (pixel / perceptual)
    batch: int = 4
    lr: float | None = None  # Adam's rate in this phase; None: the recipe's
    # The weight of losses.periodic_loss in this phase; None: the recipe's. A phase, not the
    # recipe, so a trained net can be continued under a stronger penalty and stay continuable.
    periodic_weight: float | None = None

    def settings(self, recipe: Recipe) -> dict[str, float]:
        """The rate and periodic weight this phase trains at: its own, else the recipe's. Kept
        in every loss-history entry, because a phase continued under other settings (a new
        round's ``--lr`` / ``--periodic-weight``) is recorded in the recipe by its last ones."""
        return {"lr": recipe.lr if self.lr is None else self.lr,
                "periodic_weight": recipe.periodic_weight if self.periodic_weight is None else self.periodic_weight}


@dataclass
class BudgetOptions:
    name: str
    style_image: Path
    data: Path
    out: Path
    recipe: Recipe
    phases: list[Phase]
    snapshots: tuple[float, ...] = ()      # CPU minutes at which a copy of the net is kept
    checkpoint_every: float = 3.0          # CPU minutes
    teacher_cache: Path | None = None
    teacher_size: int = 256
    teacher_iterations: int = 50
    # None: bf16 autocast where the CPU computes bf16 natively (AVX-512 bf16 / AMX, where it
    # halves a step); elsewhere (an AVX2-only CPU) it is emulated and slower, so fp32.
    bf16: bool | None = None
    vgg_weights: Path | None = None
    # A net to start from instead of random weights (a warm start: approach (c), docs/fig5.md),
    # with a fresh Adam and the clock at 0; its architecture must be the recipe's.
    init: Path | None = None
    # A finished checkpoint of this same run to continue from when ``out`` holds none (the
    # shipped net, models/styles/checkpoints/NAME.safetensors, after runs/ was lost): its
    # net, clock, step, history and snapshots, with a fresh Adam (a shipped file keeps no Adam
    # state). Used only if it has the run's net, recipe and painting (_continuable).
    resume_from: Path | None = None
    # A fresh Adam on a trained net (init, resume_from without Adam state, a change of loss)
    # ramps its rate over this many steps; 0: at full rate at once (the runs before 2026-12-03).
    warmup_steps: int = WARMUP_STEPS
    title: str = ""
    log: Any = None                        # a text stream; None: sys.stderr at the time of writing


def _phase_at(phases: list[Phase], minutes: float) -> int | None:
    for i, p in enumerate(phases):
        if minutes < p.until:
            return i
    return None


class BudgetedRun:
    """One style's run; see the module docstring. ``run()`` returns the checkpoint path."""

    def __init__(self, opts: BudgetOptions) -> None:
        for p in opts.phases:
            if p.kind not in PHASES:
                raise ValueError(f"unknown phase {p.kind!r} (use one of {', '.join(PHASES)})")
        if opts.bf16 is None:
            opts.bf16 = cpu_has_bf16()
        self.opts = opts
        self.path = opts.out / f"{opts.name}.safetensors"
        self.files = find_images(opts.data)
        style_rgb = read_rgb(opts.style_image)
        if style_rgb is None:
            raise ValueError(f"{opts.style_image}: cannot read the style image")
        self.recipe_dict = {**opts.recipe.to_dict(), "style_image": Path(opts.style_image).name,
                            "data": str(opts.data), "precision": "bf16" if opts.bf16 else "fp32",
                            "phases": [vars(p) for p in opts.phases], "teacher_size": opts.teacher_size,
                            "teacher_iterations": opts.teacher_iterations, "warmup_steps": opts.warmup_steps}
        if opts.init is not None:
            self.recipe_dict["init"] = str(opts.init)
        state, convention, _ = load_state(opts.vgg_weights)
        r = opts.recipe
        self.vgg = VGG16Features(state, convention, sorted({r.content_layer, *r.style_layers}))
        self.vgg_content = VGG16Features(state, convention, [r.content_layer])
        for p in [*self.vgg.parameters(), *self.vgg_content.parameters()]:
            p.requires_grad_(False)
        self.style = to_tensor(resize_long_side(style_rgb, r.style_size))
        self.objective = PerceptualObjective.from_recipe(self.vgg, None, self.style, self.recipe_dict,
                                                         content_vgg=self.vgg_content)
        self.key = objective_key(self.recipe_dict, Path(opts.style_image).name, opts.teacher_size,
                                 opts.teacher_iterations)
        self.cache = TargetCache(opts.teacher_cache or opts.out / "targets", self.key)
        self.targets: list[str] = []       # photo names whose targets this run paid for
        self.history: list[dict[str, float]] = []
        self.step = 0
        self.snapshots_done: list[float] = []
        # The loss the Adam moments were gathered on: a fresh Adam when the loss changes, since
        # moments of a pixel loss (|g| ~ 1e-3) make the first perceptual steps (|g| ~ 1e3)
        # jolt the net (measured: loss / L-BFGS@100 4.3 -> 6.7 across the switch, docs/fig5.md).
        self.adam_kind = ""
        # The net a warm start began from, with its own provenance (recipe, commands, teacher):
        # the checkpoint it names may live in a scratch folder, so the chain is kept here.
        self.start: dict[str, Any] = {}
        # The step at which the current Adam began ramping its rate (WARMUP_STEPS), or None.
        self.warmup_from: int | None = None
        # Every command that trained this net, with the CPU minute it took over at: `command`
        # names only the last, and a round may change a phase's settings (Phase.settings).
        self.commands: list[dict[str, Any]] = []
        offset = 0.0
        optimizer_state: dict[str, torch.Tensor] = {}
        if opts.init is not None and opts.resume_from is not None:
            raise ValueError("give a run either init (a warm start) or resume_from (a continuation), not both")
        source = self.path if self.path.is_file() else self._continuable(opts.resume_from)
        if source is not None:
            loaded = ckpt.load(source)
            b = loaded.meta.get("budget", {})
            self.net = loaded.net
            offset = float(b.get("cpu_seconds", 0.0))
            self.step = int(b.get("step", 0))
            self.targets = list(b.get("targets", []))
            self.snapshots_done = [float(s) for s in b.get("snapshots_done", [])]
            self.adam_kind = b.get("adam_kind", "")
            self.commands = list(b.get("commands", []))
            self.history = list(loaded.meta.get("loss_history", []))
            self.start = dict(loaded.meta.get("start", {}))
            optimizer_state = loaded.optimizer_state
            self.warmup_from = b.get("warmup_from") if optimizer_state else self.step
            self._say(f"resumed {source} at {offset / 60:.1f} CPU-min, step {self.step}"
                      + ("" if optimizer_state else " (a fresh Adam)"))
        elif opts.init is not None:
            start = ckpt.load(opts.init)
            arch = start.meta.get("arch")
            if arch != r.arch:
                raise ValueError(f"{opts.init}: a {arch} net, but the recipe trains {r.arch}")
            self.net = start.net
            self.start = {"path": str(opts.init), "arch": arch, "iteration": start.meta.get("iteration"),
                          **{k: start.meta[k] for k in ("recipe", "command", "earlier_commands", "teacher", "start")
                             if k in start.meta}}
            self.warmup_from = 0
            self._say(f"warm start from {opts.init} ({arch}, iteration {start.meta.get('iteration', '?')})")
        else:
            torch.manual_seed(r.seed)
            self.net = create_model(r.arch, **r.arch_config)
        self.net.train()
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=r.lr)
        if optimizer_state:
            self._load_optimizer(optimizer_state)
        self.clock = CpuClock(offset)

    def _continuable(self, path: Path | None) -> Path | None:
        """``path`` if it is a checkpoint of this very run, else None (saying why): the same
        net (architecture and configuration), the same recipe (every field of
        :class:`Recipe`, the periodic and temporal weights and the learning rate too, not only
        the objective key) and painting, and a budget to continue."""
        if path is None or not path.is_file():
            return None
        why = self._mismatch(ckpt.read_metadata(path))
        if why:
            self._say(f"not continuing from {path}: {why}")
            return None
        return path

    def _mismatch(self, meta: dict[str, Any]) -> str:
        """What makes a checkpoint's metadata another run's than this one ("" if nothing)."""
        r = self.opts.recipe
        if not meta.get("budget"):
            return "no budget recorded"
        config = json.loads(json.dumps(create_model(r.arch, **r.arch_config).config))  # as stored
        if meta.get("arch") != r.arch or meta.get("config") != config:
            return f"a {meta.get('arch')} net, this run trains {r.arch}"
        had = meta.get("recipe") or {}
        if had.get("style_image") != self.recipe_dict["style_image"]:
            return "another painting"
        want = json.loads(json.dumps(r.to_dict()))  # as stored: tuples become lists
        differ = sorted(k for k, v in want.items() if had.get(k) != v)
        return f"another recipe ({', '.join(differ)})" if differ else ""

    # -- bookkeeping ------------------------------------------------------------------
    def _say(self, text: str) -> None:
        print(f"[{self.opts.name}] {text}", file=self.opts.log or sys.stderr, flush=True)

    def _load_optimizer(self, flat: dict[str, torch.Tensor]) -> None:
        load_flat_adam_state(self.optimizer, list(self.net.parameters()), flat)

    def _flat_optimizer(self) -> dict[str, torch.Tensor]:
        return flat_adam_state(self.optimizer)

    def meta(self) -> dict[str, Any]:
        return {"arch": self.opts.recipe.arch, "config": self.net.config, **({"start": self.start} if self.start else {}),
                "style": {"name": self.opts.name, "title": self.opts.title or self.opts.name,
                          "image": Path(self.opts.style_image).name},
                "recipe": self.recipe_dict, "iteration": self.step, "loss_history": self.history,
                "losses": self.history[-1] if self.history else {},
                "command": " ".join(sys.argv),
                "budget": {"cpu_seconds": self.clock.spent, "step": self.step, "targets": self.targets,
                           "snapshots_done": self.snapshots_done, "teacher_key": self.key,
                           "adam_kind": self.adam_kind, "warmup_from": self.warmup_from,
                           "commands": self.commands}}

    def save(self, path: Path | None = None) -> Path:
        return ckpt.save(path or self.path, self.net, self.meta(), self._flat_optimizer())

    def _after_work(self, last_save: list[float], loss: dict[str, float], phase: Phase,
                    settings: dict[str, float] | None = None) -> None:
        minutes = self.clock.spent / 60
        for s in self.opts.snapshots:
            if s not in self.snapshots_done and minutes >= s:
                self.snapshots_done.append(s)
                self.save(self.opts.out / f"{self.opts.name}_cpu{s:05.1f}.safetensors")
                self._say(f"snapshot at {minutes:.2f} CPU-min ({phase.kind}, step {self.step})")
        if minutes - last_save[0] >= self.opts.checkpoint_every:
            self.history.append({"cpu_minutes": round(minutes, 3), "step": self.step, "phase": phase.kind,
                                 **(settings or {}), **loss})
            self.save()
            last_save[0] = minutes
            self._say(f"{minutes:.1f} CPU-min, step {self.step}, {phase.kind} "
                      + " ".join(f"{k} {v:.4g}" for k, v in loss.items()))

    # -- phases -----------------------------------------------------------------------
    def _pairs(self) -> list[tuple[Any, Any]]:
        pairs = []
        for name in self.targets:
            photo = next(p for p in self.files if p.name == name)
            got = self.cache.get(photo)
            rgb = read_rgb(photo)
            if got is not None and rgb is not None:
                pairs.append((square_crop(rgb, self.opts.teacher_size), got[0]))
        return pairs

    def _teacher(self, phase: Phase, last_save: list[float]) -> None:
        order = list(self.files)
        random.Random(self.opts.recipe.seed).shuffle(order)
        for photo in order:
            if self.clock.spent / 60 >= phase.until:
                return
            if photo.name in self.targets:
                continue
            got = self.cache.get(photo)
            if got is not None:            # made by an earlier run: pay what it cost then
                self.clock.charge(float(got[1]["cpu_seconds"]))
                loss = got[1]["losses"]
            else:
                rgb = read_rgb(photo)
                if rgb is None:
                    continue
                crop = square_crop(rgb, self.opts.teacher_size)
                obj = PerceptualObjective.from_recipe(self.vgg, to_tensor(crop), None, self.recipe_dict,
                                                      style_grams=self.objective.style_grams)
                t0 = self.clock.spent
                target, loss = teacher_target(obj, crop, self.opts.teacher_iterations)
                self.cache.put(photo, target, {"photo": photo.name, "losses": loss,
                                               "cpu_seconds": self.clock.spent - t0})
            self.targets.append(photo.name)
            self._after_work(last_save, {"target_start": loss[0], "target_end": loss[-1],
                                         "targets": float(len(self.targets))}, phase)

    def _autocast(self) -> Any:
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.opts.bf16)

    def _train(self, phase: Phase, last_save: list[float]) -> None:
        if phase.kind == "pixel":
            pairs = self._pairs()
            if not pairs:
                self._say("pixel phase skipped: no teacher targets")
                return
            stream = AlignedCrops(pairs, phase.size, phase.batch, seed=self.opts.recipe.seed + self.step)
        else:
            stream = RandomCrops(self.files, phase.size, phase.batch, self.opts.recipe.seed + self.step)
        r = self.opts.recipe
        if self.adam_kind and self.adam_kind != phase.kind:
            self.optimizer = torch.optim.Adam(self.net.parameters(), lr=r.lr)
            self.warmup_from = self.step
            self._say(f"fresh Adam for the {phase.kind} loss (was {self.adam_kind})")
        self.adam_kind = phase.kind
        settings = phase.settings(r)
        periodic_weight = settings["periodic_weight"]
        last = self.history[-1] if self.history else {}
        changed = {k: (last[k], v) for k, v in settings.items() if k in last and last[k] != v}
        if changed and last.get("phase") == phase.kind:
            self._say("trains on at " + ", ".join(f"{k} {v:g} (was {was:g})" for k, (was, v) in changed.items())
                      + ": a resume must repeat --lr / --periodic-weight to keep them")
        window: dict[str, float] = {}
        n = 0
        while self.clock.spent / 60 < phase.until:
            if phase.kind == "pixel":
                x, t = stream.batch()
                with self._autocast():
                    y = self.net(x)
                terms = {"pixel": (y.float() - t).abs().mean()}
                total = terms["pixel"]
            else:
                x = stream.batch()
                with self._autocast():
                    y = self.net(x)
                    feats = self.vgg(y)
                    with torch.no_grad():
                        target = self.vgg_content(x)[r.content_layer]
                terms = self.objective.feature_terms(feats, target)
                terms["tv"] = tv_loss(y.float())
                total = r.content_weight * terms["content"] + r.style_weight * terms["style"] + r.tv_weight * terms["tv"]
                if periodic_weight:
                    terms["periodic"] = periodic_loss(y)
                    total = total + periodic_weight * terms["periodic"]
                terms["total"] = total
            self.optimizer.zero_grad(set_to_none=True)
            total.backward()
            for group in self.optimizer.param_groups:
                group["lr"] = settings["lr"] * self.lr_scale()
            self.optimizer.step()
            self.step += 1
            for k, v in terms.items():
                window[k] = window.get(k, 0.0) + float(v.detach())
            n += 1
            before = len(self.history)
            self._after_work(last_save, {k: v / n for k, v in window.items()}, phase, settings)
            if len(self.history) > before:
                window, n = {}, 0

    def lr_scale(self) -> float:
        """The fraction of the phase's rate this step trains at: a linear ramp over
        ``warmup_steps`` after a fresh Adam met a trained net, else 1."""
        n = self.opts.warmup_steps
        if self.warmup_from is None or n <= 0:
            return 1.0
        return min(1.0, (self.step - self.warmup_from + 1) / n)

    def run(self) -> Path:
        torch.set_grad_enabled(True)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)  # a `kill` saves a checkpoint, as Ctrl-C does
        last_save = [self.clock.spent / 60]
        self.commands.append({"from_cpu_minutes": round(last_save[0], 3), "command": " ".join(sys.argv)})
        try:
            while (i := _phase_at(self.opts.phases, self.clock.spent / 60)) is not None:
                phase = self.opts.phases[i]
                self._say(f"phase {phase.kind} until {phase.until} CPU-min (now {self.clock.spent / 60:.2f})")
                start = self.clock.spent
                if phase.kind == "teacher":
                    self._teacher(phase, last_save)
                    if self.clock.spent == start or self.clock.spent / 60 < phase.until:
                        # every photo has a target: give the rest of the phase to the next one
                        self.opts.phases[i] = replace(phase, until=self.clock.spent / 60)
                else:
                    self._train(phase, last_save)
        except KeyboardInterrupt:
            self.save()
            self._say(f"interrupted at {self.clock.spent / 60:.2f} CPU-min; saved {self.path}")
            raise
        self.save()
        self._say(f"done at {self.clock.spent / 60:.2f} CPU-min, step {self.step}: {self.path}")
        return self.path


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
