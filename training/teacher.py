"""The optimiser as teacher (issue 13, approach (b)): Gatys' L-BFGS result for a training
photo is the target a transform net learns to map that photo to.

Why: on two CPU cores the perceptual loss costs a VGG16 forward and backward per crop per
step; a pixel loss against a precomputed target costs only the transform net. The L-BFGS
targets are paid once, cached on disk, and reused by every later run (and their CPU time
is recorded with them, so a comparison at equal CPU time charges them to the run that
uses them).

The targets start from the photo, not from noise: a net computes a *function of the
photo*, and L-BFGS from the photo keeps every output aligned with its input (edges where
the photo's are), while from noise the texture lands in places no function of the photo
predicts, so a pixel loss would average it away into blur. From the photo it is also
cheaper: the stricter yardstick of bench/bench_fig5.py, matched in fewer iterations.

Pieces: :class:`CpuClock` (process CPU time, resumable), :func:`square_crop`,
:func:`teacher_target` (one L-BFGS target), :class:`TargetCache` (targets on disk with
their cost), :class:`AlignedCrops` (the same random window and flip from photo and target).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from stylecam import atomic
from stylecam.training.data import read_rgb, to_tensor
from stylecam.training.objective import PerceptualObjective
from stylecam.training.optimize import initial_image, optimize


class CpuClock:
    """CPU seconds this process spent on training (``time.process_time``: the load from
    other processes on a shared machine does not inflate it, as it inflates wall time).

    ``spent`` starts from ``offset`` (a resumed run's earlier total); :meth:`charge` adds
    work done elsewhere (a cached target's recorded cost); time inside :meth:`paused` (an
    evaluation) is not counted.
    """

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = float(offset)
        self._start = time.process_time()
        self._paused = 0.0

    @property
    def spent(self) -> float:
        return self._offset + time.process_time() - self._start - self._paused

    def charge(self, seconds: float) -> None:
        self._offset += float(seconds)

    @contextmanager
    def paused(self) -> Iterator[None]:
        t = time.process_time()
        try:
            yield
        finally:
            self._paused += time.process_time() - t


def square_crop(rgb: np.ndarray, size: int) -> np.ndarray:
    """Shorter side to ``size``, then the centre ``size`` x ``size`` (as bench/bench_fig5.py
    crops its held-out photos, so targets and evaluation see the same pixel scale)."""
    h, w = rgb.shape[:2]
    s = size / min(h, w)
    img = cv2.resize(rgb, (max(size, round(w * s)), max(size, round(h * s))),
                     interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    h, w = img.shape[:2]
    y, x = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(img[y:y + size, x:x + size])


def teacher_target(objective: PerceptualObjective, photo: np.ndarray, iterations: int) -> tuple[np.ndarray, list[float]]:
    """Projected L-BFGS from ``photo`` (H x W x 3 uint8 RGB) on ``objective`` (whose content
    target must be that photo): the result as uint8 RGB, and the loss curve."""
    result = optimize(objective, initial_image("photo", to_tensor(photo)), iterations)
    rgb = (result.image[0].permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
    return rgb, result.losses


def objective_key(recipe: Mapping[str, Any], painting: str, size: int, iterations: int) -> str:
    """What a target depends on: the objective (weights, layers, reduction, per-layer
    factors, style size), the painting, the crop size and the iteration count."""
    fields = ("content_weight", "style_weight", "tv_weight", "content_layer", "style_layers", "style_reduction",
              "style_layer_weights", "style_size")
    key = {k: recipe.get(k) for k in fields} | {"painting": painting, "size": size, "iterations": iterations}
    return hashlib.sha1(json.dumps(key, sort_keys=True, default=list).encode()).hexdigest()[:12]


class TargetCache:
    """``FOLDER/KEY/PHOTO.png`` (the target) and ``PHOTO.json`` (its loss curve and the CPU
    seconds it cost) for one objective key."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = Path(folder) / key

    def _paths(self, photo: Path) -> tuple[Path, Path]:
        return self.folder / f"{photo.stem}.png", self.folder / f"{photo.stem}.json"

    def get(self, photo: Path) -> tuple[np.ndarray, dict[str, Any]] | None:
        png, js = self._paths(photo)
        if not (png.is_file() and js.is_file()):
            return None
        rgb = read_rgb(png)
        return None if rgb is None else (rgb, json.loads(js.read_text()))

    def put(self, photo: Path, target: np.ndarray, record: dict[str, Any]) -> None:
        png, js = self._paths(photo)
        self.folder.mkdir(parents=True, exist_ok=True)
        ok, data = cv2.imencode(".png", cv2.cvtColor(target, cv2.COLOR_RGB2BGR))
        if not ok:
            raise OSError(f"{png}: cannot encode the target")
        with atomic.replacing(png) as tmp:
            Path(tmp).write_bytes(data.tobytes())
        with atomic.replacing(js) as tmp:  # written last: a target counts only once both exist
            Path(tmp).write_text(json.dumps(record))


class AlignedCrops:
    """Random ``size`` x ``size`` windows, the same one (and the same horizontal flip) from a
    photo and its target, so a pixel loss compares pixels that belong together."""

    def __init__(self, pairs: list[tuple[np.ndarray, np.ndarray]], size: int, batch_size: int, seed: int = 0) -> None:
        if not pairs:
            raise ValueError("AlignedCrops needs at least one (photo, target) pair")
        for photo, target in pairs:
            if photo.shape != target.shape or min(photo.shape[:2]) < size:
                raise ValueError(f"pair of shapes {photo.shape} / {target.shape} cannot give {size} px crops")
        self.pairs = pairs
        self.size = size
        self.batch_size = batch_size
        self.rng = random.Random(seed)

    def crop(self) -> tuple[np.ndarray, np.ndarray]:
        photo, target = self.rng.choice(self.pairs)
        h, w = photo.shape[:2]
        y, x = self.rng.randint(0, h - self.size), self.rng.randint(0, w - self.size)
        a, b = photo[y:y + self.size, x:x + self.size], target[y:y + self.size, x:x + self.size]
        if self.rng.random() < 0.5:
            a, b = a[:, ::-1], b[:, ::-1]
        return a, b

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        crops = [self.crop() for _ in range(self.batch_size)]
        return torch.cat([to_tensor(a) for a, _ in crops]), torch.cat([to_tensor(b) for _, b in crops])
