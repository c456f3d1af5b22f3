"""Per-frame effects around the style net: strength, colour preservation, processing size.

Every function takes and returns uint8 H x W x 3 BGR frames and works on whole arrays
through OpenCV, so no Python loop ever touches a pixel (a 720p frame has a million).
"""

from __future__ import annotations

import cv2
import numpy as np


def blend(stylized: np.ndarray, original: np.ndarray, strength: float) -> np.ndarray:
    """Mix the stylized frame with the original: 1 = all style, 0 = the original.

    A linear mix in pixel space, the simplest control a person understands; the ends
    return an input unchanged so that strength 1 costs nothing.
    """
    if strength >= 1.0:
        return stylized
    if strength <= 0.0:
        return original
    return cv2.addWeighted(stylized, float(strength), original, 1.0 - float(strength), 0.0)


def preserve_colors(stylized: np.ndarray, original: np.ndarray) -> np.ndarray:
    """Keep the original's colours and take only the luminance from the stylized frame.

    Gatys et al. 2016, "Preserving colour in neural artistic style transfer",
    luminance-only transfer: in a luma/chroma space (YCrCb here; the paper used YIQ,
    an equivalent linear split), the result is the stylized Y with the original's
    chroma, so brush strokes and texture change but the palette stays the photo's.
    """
    y_styl = cv2.cvtColor(stylized, cv2.COLOR_BGR2YCrCb)
    out = cv2.cvtColor(original, cv2.COLOR_BGR2YCrCb)
    out[..., 0] = y_styl[..., 0]
    return cv2.cvtColor(out, cv2.COLOR_YCrCb2BGR)


def processing_size(width: int, height: int, size: int | None, multiple: int = 1) -> tuple[int, int]:
    """The (width, height) to stylize at so that the short side is about ``size`` pixels.

    Never enlarges: a style net costs time in proportion to its pixels, and ``--size``
    exists to trade detail for speed. ``multiple`` rounds both sides to what an engine
    needs (e.g. 4 for a net with two stride-2 convolutions).
    """
    if size is None or size <= 0 or min(width, height) <= size:
        w, h = width, height
    else:
        scale = size / min(width, height)
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
    if multiple > 1:
        w = max(multiple, round(w / multiple) * multiple)
        h = max(multiple, round(h / multiple) * multiple)
    return w, h


def resize(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize with the filter that suits the direction: area averaging when shrinking
    (no aliasing), bilinear when growing back (fast, smooth enough for painted output)."""
    h, w = frame.shape[:2]
    if (w, h) == (width, height):
        return frame
    shrinking = width * height < w * h
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
