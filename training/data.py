"""Content photos for training: a folder read recursively, random crops with scale
jitter and flips (with only a few hundred photos, variety per crop matters more than
count), sharded per rank for distributed training."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import cv2
import numpy as np
import torch

from stylecam.errors import StylecamError
from stylecam.media_types import IMAGE_SUFFIXES

EXTENSIONS = frozenset(IMAGE_SUFFIXES)


class DataError(StylecamError):
    """The content photos (--data) cannot be used, and why."""


def find_images(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.exists():
        raise DataError(folder, "no such folder (--data)")
    if not folder.is_dir():
        raise DataError(folder, "not a folder (--data wants a folder of photos)")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
    if not files:
        raise DataError(folder, f"no images found (looked for {', '.join(sorted(EXTENSIONS))}, recursively)")
    return files


def read_rgb(path: str | Path) -> np.ndarray | None:
    """RGB uint8, or None when the file cannot be decoded."""
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        return None
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """HWC uint8 RGB -> 1x3xHxW float in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div(255.0).unsqueeze(0).contiguous()


def resize_long_side(rgb: np.ndarray, size: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


class RandomCrops:
    """An endless stream of batches of random square crops from this rank's shard."""

    def __init__(self, files: list[Path], size: int, batch_size: int, seed: int, rank: int = 0, world: int = 1) -> None:
        self.files = files[rank::world] or files
        self.size = size
        self.batch_size = batch_size
        self.rng = random.Random(seed * 1000 + rank)
        self.bad: set[Path] = set()
        self.cache: dict[Path, np.ndarray] = {}

    def _image(self, path: Path) -> np.ndarray | None:
        if path in self.cache:
            return self.cache[path]
        rgb = read_rgb(path)
        if rgb is None:
            warnings.warn(f"skipping unreadable image {path}", stacklevel=2)
            self.bad.add(path)
            return None
        if len(self.cache) < 2000:  # small datasets stay in memory; big ones stream
            self.cache[path] = rgb
        return rgb

    def crop(self) -> np.ndarray:
        for _ in range(100):
            path = self.rng.choice(self.files)
            if path in self.bad:
                continue
            rgb = self._image(path)
            if rgb is not None:
                break
        else:
            raise DataError(None, "no readable images in the data folder")
        h, w = rgb.shape[:2]
        short = min(h, w)
        # Scale jitter: the crop covers between the whole short side and half of it.
        target_short = self.rng.uniform(self.size, max(self.size, min(2 * self.size, short * 1.0)))
        scale = target_short / short
        rgb = cv2.resize(rgb, (max(self.size, round(w * scale)), max(self.size, round(h * scale))),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        h, w = rgb.shape[:2]
        y = self.rng.randint(0, h - self.size)
        x = self.rng.randint(0, w - self.size)
        crop = rgb[y : y + self.size, x : x + self.size]
        if self.rng.random() < 0.5:
            crop = crop[:, ::-1]
        return crop

    def batch(self) -> torch.Tensor:
        return torch.cat([to_tensor(self.crop()) for _ in range(self.batch_size)])
