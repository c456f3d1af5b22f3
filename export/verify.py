"""Comparing frames in 8-bit levels: the export acceptance check and drift figures.

The acceptance rule: an fp32 export may differ from torch by at most one
8-bit level except on at most 0.1% of pixels. One level is allowed everywhere because
torch and ONNX Runtime sum convolutions in different orders, so a value that lands
within float error of a rounding boundary can go either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylecam.models.errors import StyleError

TOLERANCE_LEVELS = 1
MAX_FRACTION_OFF = 0.001


class VerificationError(StyleError):
    """The exported graph does not reproduce the checkpoint closely enough."""


@dataclass(frozen=True)
class FrameDiff:
    """Absolute difference of two uint8 frames, in 8-bit levels."""

    label: str
    max: int
    mean: float
    fraction_off: float  # share of pixel values off by more than TOLERANCE_LEVELS
    values: int

    def __str__(self) -> str:
        return (f"{self.label}: max {self.max} levels, mean {self.mean:.4f}, "
                f"{self.fraction_off * 100:.4f}% off by >{TOLERANCE_LEVELS}")


def compare(reference: np.ndarray, output: np.ndarray, label: str = "", tolerance: int = TOLERANCE_LEVELS) -> FrameDiff:
    """Max / mean absolute difference and the share of values beyond ``tolerance``."""
    if reference.shape != output.shape:
        raise ValueError(f"{label}: shapes differ: reference {reference.shape}, output {output.shape}")
    d = np.abs(reference.astype(np.int16) - output.astype(np.int16))
    return FrameDiff(label, int(d.max()), float(d.mean()), float((d > tolerance).mean()), int(d.size))


def check(diffs: list[FrameDiff], path: str | Path | None = None, max_fraction: float = MAX_FRACTION_OFF) -> None:
    """Raise ``VerificationError`` (naming ``path``) if any frame breaks the acceptance rule."""
    bad = [d for d in diffs if d.fraction_off > max_fraction]
    if bad:
        worst = max(bad, key=lambda d: d.fraction_off)
        raise VerificationError(
            path,
            f"export does not match torch: {len(bad)} of {len(diffs)} test frames have more than "
            f"{max_fraction * 100:g}% of values off by more than {TOLERANCE_LEVELS} level (worst: {worst}); "
            "nothing was written",
        )


def psnr(reference: np.ndarray, output: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB for 8-bit frames (inf when identical)."""
    mse = float(np.mean((reference.astype(np.float64) - output.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)
