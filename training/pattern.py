"""The grid pattern in a net's output, measured as the Fig. 5 bench measures it.

Why a module of its own: the bench (``bench/bench_fig5.py`` and the benches built on it)
reports this number, and the CPU version's guard (:func:`stylecam.training.quality_guard.judge_pattern`)
decides on it, so both must read the same definition. numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

# The nets' upsampling periods in px: the johnson net's two x2 upsamplings, the CPU nets'
# 2 x 2 pixel shuffle (issue 13: "spectral energy at the nets' upsampling periods").
PERIODS = (2, 4)


def square(rgb: np.ndarray, size: int) -> np.ndarray:
    """Shorter side to ``size``, centre crop to size x size (as the issue's evaluator)."""
    h, w = rgb.shape[:2]
    s = size / min(h, w)
    img = cv2.resize(rgb, (max(size, round(w * s)), max(size, round(h * s))), interpolation=cv2.INTER_AREA)
    h, w = img.shape[:2]
    y, x = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(img[y:y + size, x:x + size])


def periodic_energy_db(rgb: np.ndarray, period: int) -> float:
    """Power at the frequencies of a ``period``-px tiling (all (a, b) * N/period bins but DC,
    and for 4 px not those of 2 px) over the median power 3-5 bins around each, in dB,
    on the Hann-windowed luminance. A natural photo sits near 0 dB; a repeating 2x2 or
    4x4 pattern stands out above it."""
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float64)
    n = g.shape[0]
    win = np.outer(np.hanning(n), np.hanning(g.shape[1]))
    p = np.abs(np.fft.fft2((g - g.mean()) * win)) ** 2
    k = n // period
    ratios = []
    for a in range(period):
        for b in range(period):
            if (a, b) == (0, 0) or (period == 4 and a % 2 == 0 and b % 2 == 0):
                continue
            u, v = a * k, b * k
            ring = [p[(u + du) % n, (v + dv) % n] for du in range(-5, 6) for dv in range(-5, 6)
                    if 3 <= max(abs(du), abs(dv)) <= 5]
            ratios.append(p[u, v] / max(float(np.median(ring)), 1e-12))
    return float(10 * np.log10(np.mean(ratios)))
