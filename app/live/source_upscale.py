"""The live "Upscale x4" option without Qt: a low-resolution source is upscaled by the
bundled super-resolution net *before* the style runs.

Why before the style (upscale the source, then stylize) rather than after:

- the upscaler was trained on photos made small by blur and bicubic downsampling
  (``training.sr.degrade``), which is what a low-resolution camera or video frame is; a
  stylized frame is not (its brush texture is high-frequency already, and the net would
  sharpen the style net's own artefacts as if they were detail);
- the cost is nearly the same, because the upscaler dominates: it runs on a 320x240
  frame either way (the frame processor never enlarges a frame to stylize it, so after
  the style the frame is still the source's size); what differs is the style, which here
  runs at the processing size chosen in the toolbar (480p: 640x480 taken from the 1280x960
  upscaled frame) instead of at 320x240. ``bench/bench_sr.py live`` measures both orders
  (docs/upscale.md): upscale-then-stylize took 7 % (360p) to 31 % (480p) more CPU a
  frame than the other order, for a style painted at 2-4x the pixels on real edges;
- "Original" then shows the upscaled source, and the split view, the snapshot and the
  recording all get the x4 frames.

Large sources are passed through unchanged (:func:`why_not`): x4 of a 640x480 frame is
2560x1920, more than a screen shows and ~4x the upscaler's real-time cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# The longest source side that is upscaled: 320x240, 352x288 (CIF), 426x240 and 480x360
# sources are; a 640x480 webcam is not (see the module docstring).
MAX_SOURCE_SIDE = 480

Upscaler = Callable[[np.ndarray], np.ndarray]  # frame -> frame ``factor`` times larger (app.upscale.TiledUpscaler)


def why_not(width: int, height: int, factor: int = 4) -> str:
    """Why a ``width`` x ``height`` source is not upscaled; "" when it is small enough."""
    if max(width, height) <= MAX_SOURCE_SIDE:
        return ""
    return (f"the source is already {width}×{height}: upscaling ×{factor} is for sources up to "
            f"{MAX_SOURCE_SIDE} pixels on their long side (it would make {width * factor}×{height * factor} frames)")


class UpscaledProcessor:
    """``processor(frame) -> frame``: the frame upscaled (when on, an upscaler is loaded and
    the frame is small), then the style's frame processor (``inner``).

    ``enabled`` and ``upscaler`` may be set from any thread; each call reads them once.
    ``configure`` is the inner processor's (the style switcher sets the engine through it).
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.enabled = False
        self.upscaler: Upscaler | None = None
        self.factor = 4
        self.last_size: tuple[int, int] | None = None  # (width, height) of the last source frame
        self.upscaled = 0  # frames upscaled so far

    def configure(self, **changes: Any) -> Any:
        return self.inner.configure(**changes)

    def applies(self) -> bool:
        """Whether the next frame of the current source would be upscaled."""
        size = self.last_size
        return self.enabled and self.upscaler is not None and size is not None and not why_not(*size, self.factor)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        return self.inner(self._source(frame))

    def begin(self, frame: np.ndarray) -> tuple[bool, Any]:
        """The inner processor's first half on the (upscaled) frame, or all of a one-piece
        inner processor (see ``InferenceWorker``)."""
        frame = self._source(frame)
        begin = getattr(self.inner, "begin", None)
        return (True, begin(frame)) if begin is not None else (False, self.inner(frame))

    def finish(self, pending: tuple[bool, Any]) -> np.ndarray:
        split, half = pending
        return self.inner.finish(half) if split else half

    def _source(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        self.last_size = (w, h)
        up, on = self.upscaler, self.enabled
        if on and up is not None and not why_not(w, h, self.factor):
            frame = up(frame)
            self.upscaled += 1
        return frame
