"""Run-time temporal stabilisation: blend each stylized frame with the previous output,
warped along the optical flow of the *input* video, wherever that warp can be trusted.

Why: a feed-forward style net sees every frame alone, so sensor noise, compression and
motion make its texture boil from frame to frame. Lai et al. (ECCV 2018) and Ruder et al.
(GCPR 2016) both keep the previous output where the scene did not change and let the new
frame through where it did. This is the cheapest form of that idea, a recursive filter

    out_t = (1 - a) * stylized_t + a * warp(out_{t-1}),   a = strength * confidence_t

that runs in a few milliseconds on a CPU:

* Flow: OpenCV's DIS (Kroeger et al., ECCV 2016) on grey frames shrunk to ``flow_side``
  pixels on the long side, backward (frame t -> t-1), so every output pixel knows where
  to sample the previous output. Small frames keep DIS well under a millisecond and
  average sensor noise away before it can disturb the flow.
* Confidence (0..1 per pixel), the product of
  - photometric agreement exp(-50 ||I_t - warp(I_{t-1})||^2) on 0-1 colour images, the
    weight of Lai et al. 2018 (their eq. 6, alpha = 50), evaluated on the small frames;
  - optionally (``forward_backward=True``; off by default, it costs a second DIS pass
    and the photometric term already catches disocclusions on the bench's clips)
    Ruder et al.'s forward-backward check (GCPR 2016, section 3.3):
    occluded where |w_f + w_b|^2 > 0.01 (|w_f|^2 + |w_b|^2) + 0.5, and motion boundaries
    where |grad u|^2 + |grad v|^2 > 0.01 |w_b|^2 + 0.002 (flow in small-frame pixels);
  - zero where the flow points outside the previous frame.
  It is eroded by one small-frame pixel so that the edge of newly visible content is
  never smeared with old paint.
* Scene cut: when under ``cut_fraction`` of the frame can be trusted, the history is
  dropped and the stylized frame passes unchanged (no ghost of the last shot).
* Detail: averaging paintings whose fine texture differs lowers its contrast, which the
  style loss punishes hard; :func:`restore_detail` scales the blend's fine detail back
  to the energy of this frame's own painting (one gain per frame), on the output only.

The state is one previous frame, so calls must come in display order. Torch-free and
Qt-free: the batch command and the live window share it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

# Lai et al. 2018, eq. 6: M = exp(-alpha ||I_t - W(I_{t-1})||^2), alpha = 50 on 0-1 RGB.
PHOTOMETRIC_ALPHA = 50.0
# Ruder et al. 2016, section 3.3 (their artistic-videos consistency check).
FB_RELATIVE, FB_ABSOLUTE = 0.01, 0.5
MB_RELATIVE, MB_ABSOLUTE = 0.01, 0.002
# The default strength of `--stabilize` with no value, from bench/bench_temporal.py
# (docs/stabilize.md): at 0.85 the bundled styles' mean temporal error on slow pans
# falls to 0.43-0.52 of per-frame; the style loss rises 1.5-3% for the styles whose texture
# is steady, 18-19% for the two whose texture boils most (0.8 and 0.9 were also tried).
DEFAULT_STRENGTH = 0.85


@dataclass
class StabilizerStats:
    """What the last call did, for the bench and the GUI's status line."""

    frames: int = 0
    resets: int = 0  # scene cuts, size changes, explicit resets
    last_confidence: float = 0.0  # mean confidence of the last frame (0 after a reset)


class Stabilizer:
    """``stabilizer(frame, stylized) -> output``, all uint8 H x W x 3 BGR, in display order.

    ``frame`` is the input the stylized image was made from: the flow and the confidence
    come from the input video, whose motion is real, never from the painted output,
    whose flicker is what must go.
    """

    def __init__(
        self,
        strength: float = DEFAULT_STRENGTH,
        *,
        flow_side: int = 160,
        cut_fraction: float = 0.3,
        forward_backward: bool = False,
        keep_detail: bool = True,
    ) -> None:
        if not 0.0 <= strength <= 1.0:
            raise ValueError(f"stabilize strength must be between 0 and 1, not {strength}")
        if flow_side < 16:
            raise ValueError(f"flow_side must be at least 16 pixels, not {flow_side}")
        self.strength = float(strength)
        self.flow_side = int(flow_side)
        self.cut_fraction = float(cut_fraction)
        self.forward_backward = forward_backward
        self.keep_detail = keep_detail
        # DIS "ultrafast" preset: on frames this small it already resolves the motion to
        # a fraction of a pixel; the finer presets cost several times more for no gain
        # visible after the confidence mask.
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self.stats = StabilizerStats()
        self._prev_small: np.ndarray | None = None  # small BGR input, float32 0-1
        self._prev_grey: np.ndarray | None = None
        self._prev_out: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()

    # -- state --------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the history: the next frame passes unchanged (a new clip or style)."""
        if self._prev_out is not None:
            self.stats.resets += 1
        self._prev_small = self._prev_grey = self._prev_out = None
        self.stats.last_confidence = 0.0

    def small_size(self, w: int, h: int) -> tuple[int, int]:
        """The (width, height) flow is computed at: long side ``flow_side``, never larger."""
        scale = min(1.0, self.flow_side / max(w, h))
        return max(8, round(w * scale)), max(8, round(h * scale))

    # -- the pieces, public so that tests and the bench can check each one -----------

    def flow(self, grey: np.ndarray, prev_grey: np.ndarray) -> np.ndarray:
        """Backward flow (H x W x 2, pixels): ``grey(x) ~ prev_grey(x + flow(x))``."""
        return self._dis.calc(grey, prev_grey, None)

    def confidence(self, small: np.ndarray, prev_small: np.ndarray, back: np.ndarray,
                   forward: np.ndarray | None) -> np.ndarray:
        """Per-pixel trust (H x W float32, 0..1) in ``warp(prev)`` at the small size."""
        h, w = small.shape[:2]
        where = _grid(w, h) + back
        warped = cv2.remap(prev_small, where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        diff = small - warped
        conf = np.exp(-PHOTOMETRIC_ALPHA * np.einsum("ijk,ijk->ij", diff, diff))
        inside = ((where[..., 0] >= 0) & (where[..., 0] <= w - 1) & (where[..., 1] >= 0) & (where[..., 1] <= h - 1))
        conf *= inside
        if forward is not None:
            conf *= ~occluded(back, forward)
        # Erode: trust a pixel only if its neighbours are trusted too, so the seam of a
        # disocclusion gets new paint rather than a smear.
        return cv2.erode(conf.astype(np.float32), np.ones((3, 3), np.uint8))

    # -- the filter ---------------------------------------------------------------

    def __call__(self, frame: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        if frame.shape[:2] != stylized.shape[:2]:
            raise ValueError(f"frame {frame.shape[1]}x{frame.shape[0]} and stylized "
                             f"{stylized.shape[1]}x{stylized.shape[0]} differ in size")
        self.stats.frames += 1
        h, w = frame.shape[:2]
        sw, sh = self.small_size(w, h)
        small_u8 = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small_u8, cv2.COLOR_BGR2GRAY)
        small = small_u8.astype(np.float32) * (1.0 / 255.0)
        prev_out, prev_small, prev_grey = self._prev_out, self._prev_small, self._prev_grey
        self._prev_small, self._prev_grey = small, grey
        if self.strength <= 0.0 or prev_out is None or self._shape != stylized.shape:
            self._shape = stylized.shape
            if prev_out is not None:
                self.stats.resets += 1
            self.stats.last_confidence = 0.0
            self._prev_out = stylized
            return stylized
        back = self.flow(grey, prev_grey)
        forward = self.flow(prev_grey, grey) if self.forward_backward else None
        conf = self.confidence(small, prev_small, back, forward)
        mean_conf = float(conf.mean())
        if mean_conf < self.cut_fraction:  # a scene cut: nothing to carry over
            self.stats.resets += 1
            self.stats.last_confidence = 0.0
            self._prev_out = stylized
            return stylized
        self.stats.last_confidence = mean_conf
        # Up to full size: the flow in full-size pixels (scaled while still small, one
        # pass fewer over the big array), the weights bilinear.
        where = full_size_map(back, w, h)
        # Fixed-point maps: OpenCV's fast path for uint8 images (measured here: the
        # conversion and the fixed-point remap together cost a quarter less than a remap
        # with float maps; the 1/32-pixel steps are far below what the eye or DIS resolve).
        m1, m2 = cv2.convertMaps(where, None, cv2.CV_16SC2)
        warped = cv2.remap(prev_out, m1, m2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        conf *= self.strength
        a = cv2.resize(conf, (w, h), interpolation=cv2.INTER_LINEAR)
        b = cv2.resize(1.0 - conf, (w, h), interpolation=cv2.INTER_LINEAR)
        out = cv2.blendLinear(warped, stylized, a, b)
        self._prev_out = out  # the state stays the plain average: a stable recursion
        if self.keep_detail:
            return restore_detail(out, stylized)
        return out


def full_size_map(back: np.ndarray, w: int, h: int) -> np.ndarray:
    """``x + flow(x)`` at full size (w x h) from the small backward flow, in one resize.

    The grid is added while the map is small: bilinear interpolation reproduces a linear
    function exactly, so inside the frame this equals resizing the flow and adding the
    full-size grid, one pass over the big array fewer. Only the outermost pixels, where
    cv2.resize clamps to the first and last small pixel, get the grid's true value back.
    """
    sh, sw = back.shape[:2]
    fx, fy = w / sw, h / sh
    small = back * np.array([fx, fy], np.float32)
    small[..., 0] += (np.arange(sw, dtype=np.float32) + 0.5) * fx - 0.5
    small[..., 1] += ((np.arange(sh, dtype=np.float32) + 0.5) * fy - 0.5)[:, None]
    where = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    # Border bands: output x maps to small (x + 0.5) / f - 0.5, clamped to [0, n - 1].
    x0, x1 = 0.5 * fx - 0.5, (sw - 0.5) * fx - 0.5  # full-size positions of the first and last small centres
    y0, y1 = 0.5 * fy - 0.5, (sh - 0.5) * fy - 0.5
    xs, ys = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)
    left, right = xs < x0, xs > x1
    top, bottom = ys < y0, ys > y1
    where[:, left, 0] += xs[left] - x0
    where[:, right, 0] += xs[right] - x1
    where[top, :, 1] += (ys[top] - y0)[:, None]
    where[bottom, :, 1] += (ys[bottom] - y1)[:, None]
    return where


@functools.lru_cache(maxsize=8)
def _grid(w: int, h: int) -> np.ndarray:
    """Pixel coordinates (H x W x 2, x then y), as cv2.remap wants them; read-only."""
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = np.dstack([xs, ys])
    grid.setflags(write=False)
    return grid


def restore_detail(blended: np.ndarray, stylized: np.ndarray, scale: int = 4, max_gain: float = 2.0) -> np.ndarray:
    """Give the blend back the fine-texture contrast of this frame's own painting.

    Averaging paintings whose texture differs from frame to frame lowers the contrast
    of the finest texture (two independent textures mixed 50/50 keep 71% of it), and
    the style loss is most sensitive to exactly that (measured: a Gaussian blur of sigma
    0.7 px raises a bundled style's loss by more than half). So the output is split at
    ``scale`` pixels into a low-pass part and detail, and the detail is scaled by one
    global gain so that its energy equals the detail energy of the per-frame stylized
    frame. The gain is a single number that changes slowly, so the detail stays as
    steady as the blend it comes from; the recursion keeps the unscaled blend, so
    nothing grows without bound. (Two and three bands were tried: no better, costlier.)
    """
    h, w = blended.shape[:2]

    def low(img: np.ndarray) -> np.ndarray:
        ih, iw = img.shape[:2]
        small = cv2.resize(img, (max(1, iw // scale), max(1, ih // scale)), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (iw, ih), interpolation=cv2.INTER_LINEAR)

    low_b = low(blended)
    # The gain is one number: the central quarter of the frame pins it, at a quarter of the cost.
    cy, cx = slice(h // 4, h // 4 + max(scale, h // 2)), slice(w // 4, w // 4 + max(scale, w // 2))
    e_b = cv2.norm(blended[cy, cx], low_b[cy, cx], cv2.NORM_L2SQR)
    crop_s = np.ascontiguousarray(stylized[cy, cx])
    e_s = cv2.norm(crop_s, low(crop_s), cv2.NORM_L2SQR)
    if e_b <= 0:
        return blended
    gain = min(max_gain, max(1.0, (e_s / e_b) ** 0.5))
    if gain <= 1.001:
        return blended
    # blended + (gain - 1) * (blended - low): one saturating pass
    return cv2.addWeighted(blended, gain, low_b, 1.0 - gain, 0.0)


def occluded(back: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Ruder et al.'s mask (bool H x W): pixels of frame t whose backward flow is not
    undone by the forward flow (disocclusions), or that sit on a motion boundary."""
    where = _grid(*back.shape[:2][::-1]) + back
    fwd_at = cv2.remap(forward, where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    s = fwd_at + back
    mag_s = np.einsum("ijk,ijk->ij", s, s)
    mag_f = np.einsum("ijk,ijk->ij", fwd_at, fwd_at)
    mag_b = np.einsum("ijk,ijk->ij", back, back)
    inconsistent = mag_s > FB_RELATIVE * (mag_f + mag_b) + FB_ABSOLUTE
    du = np.gradient(back[..., 0])
    dv = np.gradient(back[..., 1])
    grad2 = du[0] ** 2 + du[1] ** 2 + dv[0] ** 2 + dv[1] ** 2
    boundary = grad2 > MB_RELATIVE * mag_b + MB_ABSOLUTE
    return inconsistent | boundary


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` sampled at ``x + flow(x)`` (bilinear, borders replicated): the previous
    frame moved onto the current one by a backward flow. Same size as ``flow``."""
    where = _grid(*flow.shape[:2][::-1]) + flow.astype(np.float32)
    return cv2.remap(image, where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
