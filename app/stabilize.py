"""Run-time temporal stabilisation: keep a style net's texture on the moving content,
then blend each stylized frame with the previous output, warped along the optical flow of
the *input* video, wherever that warp can be trusted.

Why: a feed-forward style net sees every frame alone, so motion, sensor noise and
compression make its texture boil from frame to frame. Measured on the bundled nets, the
main cause on a moving camera is not noise but the net's sampling grid: three stride-2
convolutions make it equivariant only to shifts by multiples of 8 px, so a pan by 2 px
repaints the whole texture (great_wave: 14 levels mean change) while an 8 px pan or
sigma-2 noise changes it by 3.5. Averaging such independent textures cannot halve the
flicker without washing the style out (measured: +70-100% style loss). So, in order:

* Grid lock (:meth:`Stabilizer.track`, :meth:`Stabilizer.phase`): the global motion of
  the input (DIS's median, refined to a fraction of a pixel on full-size row and column
  profiles) is accumulated, and the frame is stylized on a canvas 8 px larger at that
  travel mod 8 (:class:`~stylecam.app.frame_processor.FrameProcessor`), so the grid stays
  on the content. Only a coherent motion moves the grid (a still camera with a large
  moving object keeps it).
* Blend: a recursive filter ``blend_t = (1 - a) stylized_t + a warp(blend_{t-1})``,
  ``a = strength * confidence``, in the spirit of Lai et al. (ECCV 2018) and Ruder et al.
  (GCPR 2016). Flow: OpenCV's DIS (Kroeger et al., ECCV 2016) on grey frames shrunk to
  ``flow_side`` pixels on the long side, backward (t -> t-1), its median corrected to the
  refined global motion. Confidence (0..1 per pixel): Lai et al.'s photometric weight
  exp(-50 ||I_t - warp(I_{t-1})||^2) on the small 0-1 colour frames (their eq. 6), zero
  where the flow leaves the frame, optionally (``forward_backward=True``) Ruder et al.'s
  forward-backward check, eroded one small pixel so new content is never smeared.
  Where one shift explains the two input frames as well as the dense flow (a pan, a still
  camera: :data:`TRANSLATION_SLACK`; or, without asking, where 90% of the flow lies within
  1 px of it: :data:`UNIFORM_FRACTION`), the previous output moves by that shift
  (:func:`translate`, a quarter of a per-pixel remap's cost, and free of DIS's noise);
  anything else (a zoom, parallax, moving objects) keeps the dense flow, and blends at
  :data:`FREE_MOTION_SCALE` of the strength: there the grid lock cannot hold the texture
  on the content, so the paintings are independent and a full blend washes the style out.
* Output corrections, on the output only (the recursion keeps the plain blend, so
  nothing feeds back): the 16-pixel means come from this frame's painting (fades and
  exposure changes follow without lag, :func:`coarse`), and the detail finer than 4 px
  and between 4 and 16 px gets back the energy of this frame's own painting, one gain
  per band and frame (:func:`detail_gain`, :func:`band_gain`).
* Scene cut: when under ``cut_fraction`` of the frame can be trusted, the history is
  dropped and the stylized frame passes unchanged (no ghost of the last shot).

The state is one previous frame, so calls must come in display order. Torch-free and
Qt-free: the batch command and the live window share it. docs/stabilize.md has the figures.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

# Lai et al. 2018, eq. 6: M = exp(-alpha ||I_t - W(I_{t-1})||^2), alpha = 50 on 0-1 RGB.
PHOTOMETRIC_ALPHA = 50.0
# Ruder et al. 2016, section 3.3 (their artistic-videos consistency check).
FB_RELATIVE, FB_ABSOLUTE = 0.01, 0.5
MB_RELATIVE, MB_ABSOLUTE = 0.01, 0.002
# The default strength of `--stabilize` with no value, from bench/bench_temporal.py
# (docs/stabilize.md): at 0.85, with the grid lock, every bundled style's worst slow-pan clip
# is at 0.31-0.35 of per-frame and its style loss on the pans within -7%..-1% (the earlier
# design tried 0.8 and 0.9 as well; not swept again since the grid lock).
DEFAULT_STRENGTH = 0.85
# The sampling grid of the bundled CPU nets (three stride-2 convolutions; measured: their
# output repeats under 8 px shifts, not under 4); a multiple of the paper net's 4.
PHASE_PERIOD = 8
PHASE_HYSTERESIS = 0.3
PROFILE_TRUST = 1.0  # px: how far the profiles' global motion may stray from DIS's median
_CHANNEL_SUM = np.ones((1, 3), np.float32)  # cv2.transform's matrix that adds the 3 channels
COHERENT_FRACTION, COHERENT_RADIUS = 0.6, 2.0  # this much of the flow within this many px of its median: one motion
# A coherent motion is taken as one translation when that explains the two input frames
# about as well as the dense flow does: mean confidence at most this much lower. Measured
# (bench_temporal's clips, 12-16 frames, 2-4 photos; the worst frame of each clip): pans,
# clean, noisy and JPEG, -0.003..+0.020 (the one shift is the truth there, DIS's residual its
# noise, p99 0.9-1.2 px); a still camera with sensor noise -0.024..+0.017 (the dense flow
# fits the noise); zooms -0.04..-0.11; the real clip's frames are rarely coherent. At 0.02
# against 0.005, great_wave's still noisy clips flicker 6% less (1.95 against 2.08) and the
# pans and zooms are unchanged.
TRANSLATION_SLACK = 0.02
# When this much of the flow lies within this many px of its median, the motion is taken as
# one translation without the dense field's confidence to compare (0.3 ms saved). Measured
# (DIS on bench_temporal's clips, 4 photos): pans 0.72-1.00 of the flow within 1 px (median
# 0.89-1.00), a still camera with noise 0.82-1.00; zooms of 0.5% a frame 0.38-0.76, the real
# clip 0.04-0.21. Frames below it go through the comparison above.
UNIFORM_FRACTION, UNIFORM_RADIUS = 0.9, 1.0
# Where the motion is not one translation (a zoom, parallax, moving objects), the grid lock
# cannot keep the net's texture on the content, so each frame is an independent painting of
# it, and the recursive blend averages independent textures: the style washes out (measured
# on the 0.5%-a-frame zooms at strength 0.85: spring's style loss +95%, houses_at_auvers'
# +73%). There the blend weight is scaled by this factor (docs/stabilize.md, "Zooms").
FREE_MOTION_SCALE = 0.6


@dataclass
class StabilizerStats:
    """What the last call did, for the bench and the GUI's status line."""

    frames: int = 0
    resets: int = 0  # scene cuts, size changes, explicit resets
    last_confidence: float = 0.0  # mean confidence of the last frame (0 after a reset)
    shift: tuple[float, float] = (0.0, 0.0)  # the last frame's global motion, full-size pixels (backward)
    gains: tuple[float, float] = (1.0, 1.0)  # the detail gains (finer than 4 px, 4-16 px) of the last frame


@dataclass
class Motion:
    """One input frame's motion against the previous input (what :meth:`Stabilizer.track`
    found): all that :meth:`Stabilizer.blend` needs of the input, so that the two may run
    in different threads (the batch pipeline blends frame t while it stylizes t+1)."""

    frame: np.ndarray  # the frame it belongs to (compared by identity)
    back: np.ndarray | None = None  # small backward flow, None on the first frame of a clip
    conf: np.ndarray | None = None  # small confidence 0..1
    cut: bool = False
    # (dx, dy) full-size px when the motion is one translation (``back`` is then that
    # shift everywhere): blend() moves the previous output by translate(), not a remap
    translation: tuple[float, float] | None = None


class Stabilizer:
    """``stabilizer(frame, stylized) -> output``, all uint8 H x W x 3 BGR, in display order.

    ``frame`` is the input the stylized image was made from: the flow and the confidence
    come from the input video, whose motion is real, never from the painted output,
    whose flicker is what must go.

    Callers that can move the net's sampling grid (:class:`~stylecam.app.frame_processor.FrameProcessor`)
    call :meth:`track` with the input first, stylize it at :meth:`phase`, then call the
    stabiliser with the same frame object (or :meth:`blend` with the motion that
    :meth:`track` returned); the motion is estimated once.

    Two halves with separate state: :meth:`track` and :meth:`phase` (the input's motion,
    the grid) and :meth:`blend` (the previous output). Each half must see the frames in
    display order, but the two may run in two threads, one frame apart: :meth:`blend`
    reads nothing that :meth:`track` writes except the :class:`Motion` it is handed.
    """

    def __init__(
        self,
        strength: float = DEFAULT_STRENGTH,
        *,
        flow_side: int = 160,
        cut_fraction: float = 0.3,
        forward_backward: bool = False,
        keep_detail: bool = True,
        follow_fades: bool = True,
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
        self.follow_fades = follow_fades
        self.detail_bands = 2
        self.free_motion_scale = FREE_MOTION_SCALE
        # DIS "ultrafast" preset: on frames this small it already resolves the motion to
        # a fraction of a pixel; the finer presets cost several times more for no gain
        # visible after the confidence mask.
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self.stats = StabilizerStats()
        self._prev_small: np.ndarray | None = None  # small BGR input, float32 0-1
        self._prev_grey: np.ndarray | None = None
        self._prev_green: np.ndarray | None = None  # full-size green channel, for the global motion
        self._prev_out: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()  # of the last output
        self._tracked_shape: tuple[int, ...] = ()  # of the last input tracked
        self._motion: Motion | None = None
        self._travel = np.zeros(2)  # the camera's accumulated motion (full-size px) since the last reset
        self._grid_at: tuple[float, np.ndarray] | None = None  # (scale, integer grid offset) for phase()
        self._scratch: dict[str, np.ndarray] = {}  # per-size scratch arrays of __call__ (_buffer)

    # -- state --------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the history: the next frame passes unchanged (a new clip or style).

        Only the tracking half is cleared: the next :class:`Motion` then has no flow, and
        :meth:`blend` passes that frame through and starts its memory from it (and counts
        the reset), so a reset made while another thread blends an earlier frame is safe."""
        self._prev_small = self._prev_grey = self._prev_green = None
        self._motion = None
        self._forget_travel()

    def _forget_travel(self) -> None:
        self._travel = np.zeros(2)
        self._grid_at = None

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
        # (OpenCV's per-pixel sum over the channels and its range check: the same numbers
        # as numpy's einsum and four comparisons, at a fifth and half of their cost)
        conf = np.exp(-PHOTOMETRIC_ALPHA * cv2.transform(cv2.multiply(diff, diff), _CHANNEL_SUM))
        conf[cv2.inRange(where, (0, 0), (w - 1, h - 1)) == 0] = 0.0  # the flow leaves the frame
        if forward is not None:
            conf *= ~occluded(back, forward)
        # Erode: trust a pixel only if its neighbours are trusted too, so the seam of a
        # disocclusion gets new paint rather than a smear.
        return cv2.erode(conf.astype(np.float32), np.ones((3, 3), np.uint8))

    def track(self, frame: np.ndarray) -> Motion:
        """Estimate this input frame's motion against the previous input (call once per
        frame, in display order, before :meth:`phase` and the stabiliser itself)."""
        h, w = frame.shape[:2]
        sw, sh = self.small_size(w, h)
        small_u8 = shrink(frame, sw, sh)
        grey = cv2.cvtColor(small_u8, cv2.COLOR_BGR2GRAY)
        small = small_u8.astype(np.float32) * (1.0 / 255.0)
        green = cv2.extractChannel(frame, 1)
        prev_small, prev_grey, prev_green = self._prev_small, self._prev_grey, self._prev_green
        self._prev_small, self._prev_grey, self._prev_green = small, grey, green
        size_changed, self._tracked_shape = self._tracked_shape != frame.shape, frame.shape
        if prev_small is None or size_changed:
            self._motion = Motion(frame)
            self._forget_travel()
            return self._motion
        back = self.flow(grey, prev_grey)
        # The global motion to a fraction of a full-size pixel: DIS's median on the small
        # frames is off by up to a pixel at full size (measured on the bench's pans: bias
        # -0.17 px, worst 1.2 px), too coarse to keep the net's sampling grid on the
        # content (phase()); the frame's row and column profiles at full size pin it,
        # twice: the second time with each profile's window moved by the other axis's motion.
        fx, fy = w / sw, h / sh
        # (every 4th flow vector each way: 1,200 at 160 x 120, a quarter of the median's cost)
        sample = back[::4, ::4].reshape(-1, 2) * np.array([fx, fy], np.float32)
        med = np.median(sample, axis=0)
        # Only a coherent motion moves the grid: where most of the frame moves as one (a
        # pan, a shaking hand). A still camera with a large moving object (measured on a
        # real clip, a lorry filling 40% of the frame: 14% of the flow within 1 px of its
        # median, against 82-98% on the bench's pans) keeps the grid where it is, so the
        # still background keeps its texture, as it would per frame. (2 px and 60%: at
        # 1 px and 70% DIS's first frame of a 3 px-a-frame pan already failed the test.)
        off = sample - med
        dist2 = np.einsum("ij,ij->i", off, off)
        coherent = float(np.mean(dist2 < COHERENT_RADIUS ** 2)) >= COHERENT_FRACTION
        shift = med
        if coherent:
            cur = _profiles(green)
            done: tuple[int, int] | None = None
            for _ in range(2):
                dx, dy = (int(round(v)) for v in shift)
                if (dx, dy) == done:  # the same windows again: the same estimate, so skip it
                    break
                prev = _profiles(prev_green, dx, dy)
                shift = np.array([_shift_1d(cur[0], prev[0], shift[0]), _shift_1d(cur[1], prev[1], shift[1])])
                done = (dx, dy)
            # Profiles mix everything in the frame; should they still stray from the flow's
            # median by more than a pixel, the median (the majority) wins.
            far = np.abs(shift - med) > PROFILE_TRUST
            shift[far] = med[far]
        forward = self.flow(prev_grey, grey) if self.forward_backward else None
        translation = None
        if coherent:
            # One shift for the whole frame, if it explains the input as well as the dense
            # flow: then the warp of the output is a 2 x 2 filter on a shifted view (a
            # quarter of a per-pixel remap's cost), and DIS's noise stays out of the warp.
            # (with forward_backward, occluded() on one shift keeps only the consistency test:
            # a uniform field has no motion boundaries)
            uniform = cv2.add(np.zeros_like(back), (float(shift[0]) / fx, float(shift[1]) / fy, 0.0, 0.0))
            conf_t = self.confidence(small, prev_small, uniform, forward)
            # Nearly all the flow within DIS's own noise of one shift, and the refined shift
            # near the median it clusters around (profiles mix everything in the frame, and a
            # small fast object can pull them by up to PROFILE_TRUST): that shift, without
            # asking the dense flow.
            if (float(np.mean(dist2 < UNIFORM_RADIUS ** 2)) >= UNIFORM_FRACTION
                    and bool(np.all(np.abs(shift - med) < UNIFORM_RADIUS / 2))):
                translation = (float(shift[0]), float(shift[1]))
        if translation is None:
            # the dense field, its bias removed (cv2's add of a per-channel scalar: numpy's
            # broadcast over a last axis of 2 costs twenty times more, 0.23 ms)
            cv2.add(back, (float(shift[0] - med[0]) / fx, float(shift[1] - med[1]) / fy, 0.0, 0.0), dst=back)
            conf = self.confidence(small, prev_small, back, forward)
            if coherent and float(conf_t.mean()) >= float(conf.mean()) - TRANSLATION_SLACK:
                translation = (float(shift[0]), float(shift[1]))  # about as good as the dense flow
        if translation is not None:
            back, conf = uniform, conf_t
        cut = float(conf.mean()) < self.cut_fraction
        if cut:
            self._forget_travel()
        elif coherent:
            self._travel += shift
        self.stats.shift = (float(shift[0]), float(shift[1]))
        self._motion = Motion(frame, back, conf, cut, translation)
        return self._motion

    def phase(self, scale: float = 1.0, period: int = PHASE_PERIOD) -> tuple[int, int]:
        """Where to put the frame on the net's sampling grid: offsets (x, y) in 0..period-1
        pixels of a frame ``scale`` times the input's size, that move with the content.

        A style net with k stride-2 convolutions samples its input on a grid of 2^k
        pixels and is, inside the frame, equivariant only to shifts by multiples of it:
        a pan by 1-7 pixels repaints the whole texture (measured on the bundled CPU nets:
        a 2 px shift changes great_wave's output by 14 levels on average, an 8 px shift
        by 3.5, as much as sigma-2 noise does). Placing frame t at the offset the camera
        has travelled, mod ``period``, keeps the grid on the content, so the texture moves
        with it instead of boiling. The offset follows the travel with a third of a pixel
        of hysteresis, so that estimation noise does not make it jump back and forth.
        """
        target = self._travel * scale
        if self._grid_at is None or self._grid_at[0] != scale:
            at = np.round(target)
        else:
            at = self._grid_at[1].copy()
            move = np.abs(target - at) > 0.5 + PHASE_HYSTERESIS
            at[move] = np.round(target[move])
        self._grid_at = (scale, at)
        ox, oy = (int(v) % period for v in at)
        return ox, oy

    # -- the filter ---------------------------------------------------------------

    def __call__(self, frame: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        """The stabilised output for ``stylized``, made from the input ``frame`` (tracked
        here unless :meth:`track` just saw this very frame)."""
        m = self._motion if self._motion is not None and self._motion.frame is frame else self.track(frame)
        self._motion = None
        return self.blend(stylized, m)

    def blend(self, stylized: np.ndarray, m: Motion, strength: float | None = None) -> np.ndarray:
        """The filter itself: ``stylized`` blended with the previous output moved along the
        motion ``m`` of its input frame (from :meth:`track`), at ``strength`` (default:
        the stabiliser's). Call in display order, once per tracked frame."""
        frame = m.frame
        if frame.shape[:2] != stylized.shape[:2]:
            raise ValueError(f"frame {frame.shape[1]}x{frame.shape[0]} and stylized "
                             f"{stylized.shape[1]}x{stylized.shape[0]} differ in size")
        strength = self.strength if strength is None else float(strength)
        self.stats.frames += 1
        h, w = frame.shape[:2]
        prev_out = self._prev_out
        if strength <= 0.0 or prev_out is None or m.back is None or self._shape != stylized.shape:
            if prev_out is not None:  # a reset, a new size or the filter switched off
                self.stats.resets += 1
            self._shape = stylized.shape
            self.stats.last_confidence = 0.0
            self._prev_out = stylized
            return stylized
        if m.cut:  # a scene cut: nothing to carry over
            self.stats.resets += 1
            self.stats.last_confidence = 0.0
            self._prev_out = stylized
            return stylized
        conf = m.conf
        self.stats.last_confidence = float(conf.mean())
        warped = self._buffer("warped", prev_out.shape, np.uint8)
        if m.translation is not None:
            translate(prev_out, *m.translation, dst=warped)
        else:
            # Up to full size: the flow in full-size pixels (scaled while still small, one
            # pass fewer over the big array), the weights bilinear.
            where = full_size_map(m.back, w, h)
            # Fixed-point maps: OpenCV's fast path for uint8 images (measured here: the
            # conversion and the fixed-point remap together cost a quarter less than a
            # remap with float maps; the 1/32-pixel steps are far below what the eye or
            # DIS resolve). (warped, a and b live only inside this call: one buffer each
            # per size, no page faults on fresh memory every frame)
            m1, m2 = cv2.convertMaps(where, None, cv2.CV_16SC2)
            cv2.remap(prev_out, m1, m2, cv2.INTER_LINEAR, dst=warped, borderMode=cv2.BORDER_REPLICATE)
        # (a translation keeps the texture on the content; anything else blends less)
        a_small = conf * (strength if m.translation is not None else strength * self.free_motion_scale)
        a = cv2.resize(a_small, (w, h), dst=self._buffer("a", (h, w), np.float32), interpolation=cv2.INTER_LINEAR)
        # 1 - a equals the resize of 1 - a_small (bilinear interpolation is linear), for
        # one cheap pass instead of a second resize.
        b = np.subtract(np.float32(1.0), a, out=self._buffer("b", (h, w), np.float32))
        blend = cv2.blendLinear(warped, stylized, a, b)
        # The coarse corrections are worked out on the small (flow-size) images, where
        # they cost little, and reach full size in one upsample and one saturating add.
        sh, sw = a_small.shape
        y_low = shrink(stylized, sw, sh).astype(np.float32)
        # (measured: the small copy of the previous output moved at the small size instead
        # blurs the "low" part enough to undercount the detail; great_wave's style loss
        # went from +3% to +19%)
        p_low = shrink(warped, sw, sh).astype(np.float32)
        blend_low = cv2.blendLinear(p_low, y_low, a_small, 1.0 - a_small)  # p a + y (1 - a), per pixel
        blend_coarse = coarse(blend_low)
        # The 16-pixel means of this frame's painting (a fade, an exposure change: no lag)
        y_coarse = coarse(y_low) if self.follow_fades or (self.keep_detail and self.detail_bands > 1) else None
        fade = y_coarse - blend_coarse if self.follow_fades else 0.0
        gain = mid_gain = 1.0
        if self.keep_detail:
            gain = detail_gain(blend, blend_low, stylized, y_low)
            if self.detail_bands > 1:  # the 4-16 px band too, measured at the small size
                mid_gain = band_gain(blend_low - blend_coarse, y_low - y_coarse)
        # out = coarse + fade + mid_gain * (low - coarse) + gain * (blend - low):
        extra = (mid_gain - gain) * blend_low + (1.0 - mid_gain) * blend_coarse + fade
        out = cv2.addWeighted(blend, gain, cv2.resize(extra, (w, h), interpolation=cv2.INTER_LINEAR), 1.0, 0.0,
                              dtype=cv2.CV_8U)
        self.stats.gains = (gain, mid_gain)
        # The recursion carries the plain blend; the gains and the fade are for the eye only.
        # Carrying the corrected output instead feeds the gain back into itself: on a
        # real clip, where the flow misses part of the motion, the temporal error then
        # rose above per-frame's (measured: 11.1 against 9.99; the plain blend: 6.9).
        self._prev_out = blend
        return out

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
        """A scratch array kept between frames (never one that leaves the call)."""
        buf = self._scratch.get(name)
        if buf is None or buf.shape != tuple(shape) or buf.dtype != dtype:
            buf = self._scratch[name] = np.empty(shape, dtype)
        return buf


def shrink(image: np.ndarray, w: int, h: int) -> np.ndarray:
    """Area-average ``image`` down to w x h; by halvings while the size divides exactly.

    Two 2x halvings give the same 4x4 means as one 4x reduction (up to the rounding of
    the uint8 in between) at a third of the cost: OpenCV has a fast path for exact halving
    (measured here, 640x480 BGR: 0.15 ms against 0.46 ms)."""
    ih, iw = image.shape[:2]
    while iw % (2 * w) == 0 and ih % (2 * h) == 0 and iw // w == ih // h:  # an even ratio, 2, 4, 8 ...
        iw, ih = iw // 2, ih // 2
        # An exact halving by INTER_LINEAR_EXACT samples between each pair of pixels: the
        # 2 x 2 mean, bit-identical to INTER_AREA's (checked here) at 0.13 ms against 0.21.
        image = cv2.resize(image, (iw, ih), interpolation=cv2.INTER_LINEAR_EXACT)
    if (iw, ih) != (w, h):
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    return image


def _profiles(green: np.ndarray, dx: int = 0, dy: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Column means over the central three quarters of the rows, moved down by ``dy``, and
    row means over the central columns, moved right by ``dx`` (float32): two 1-D signals
    that a pan shifts, at full size, for a fraction of a millisecond. Moving the window
    by the other axis's motion keeps the same scene rows (columns) in both frames;
    without it a vertical pan leaks into the horizontal estimate (measured: 0.08 px a
    frame on a photo with a strong vertical gradient, enough to slip the phase lock)."""
    h, w = green.shape[:2]
    dy = max(-(h // 8), min(h // 8, dy))
    dx = max(-(w // 8), min(w // 8, dx))
    col = cv2.reduce(green[h // 8 + dy:h - h // 8 + dy], 0, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel()
    row = cv2.reduce(green[:, w // 8 + dx:w - w // 8 + dx], 1, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel()
    return col, row


def _shift_1d(p: np.ndarray, q: np.ndarray, guess: float, radius: int = 2) -> float:
    """``b`` with ``p(x) ~ q(x + b)``: the least-squares integer shift within ``radius``
    of ``guess``, refined by one Lucas-Kanade step on the profiles (a parabola through
    the three costs was tried first: it is biased, 0.08 px a frame on a smooth photo,
    which is enough to drift the phase lock off the grid within eight frames).
    Falls back to ``guess`` when the search would leave the profile."""
    n, c = len(p), int(round(guess))
    margin = abs(c) + radius + 2
    if 2 * margin >= n - 8:
        return float(guess)
    seg = p[margin:n - margin]
    # the 2 * radius + 1 candidate windows of q as the rows of one strided view: one pass
    windows = np.lib.stride_tricks.sliding_window_view(q[margin + c - radius:n - margin + c + radius], len(seg))
    costs = np.square(windows - seg).mean(axis=1)
    best = c + int(np.argmin(costs)) - radius
    q0 = q[margin + best:n - margin + best]
    grad = 0.5 * (q[margin + best + 1:n - margin + best + 1] - q[margin + best - 1:n - margin + best - 1])
    den = float(np.dot(grad, grad))
    frac = float(np.dot(seg - q0, grad)) / den if den > 0 else 0.0
    return float(best + min(0.5, max(-0.5, frac)))


def coarse(small: np.ndarray, factor: int = 4) -> np.ndarray:
    """``small`` averaged over ``factor`` x ``factor`` blocks and spread back (bilinear):
    at the flow size (a quarter of 640 x 480) that is 16-pixel blocks of the frame.

    Why: the recursion lags any change it trusts. A fade or a camera's exposure moving a
    few levels a frame passes the photometric check as "the same content", so a plain
    blend trails it by up to strength / (1 - strength) frames of change (measured: 12 or
    more levels behind a 6-level-a-frame fade at strength 0.85). A style net's flicker
    lives in its texture, these changes are smooth, so the output takes its 16-pixel
    means from the current painting: out += coarse(low(stylized)) - coarse(low(blend)).
    """
    h, w = small.shape[:2]
    tiny = cv2.resize(small, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    return cv2.resize(tiny, (w, h), interpolation=cv2.INTER_LINEAR)


def detail_gain(blend: np.ndarray, blend_low: np.ndarray, stylized: np.ndarray, stylized_low: np.ndarray,
                max_gain: float = 2.0) -> float:
    """One gain for the blend's fine detail (finer than the flow size's pixels) that gives
    it the energy of this frame's own painting.

    Averaging paintings lowers the contrast of whatever texture differs between them
    (two independent textures mixed 50/50 keep 71% of it), and the resampling of the
    warp blurs a little more on every frame; the style loss punishes exactly that
    (measured: a Gaussian blur of sigma 0.7 px raises a bundled style's loss by more than
    half). One number a frame, from the central quarter of the frame (at a quarter of
    the cost), so the detail stays as steady as the blend; the output carries it into
    the next frame, so its energy is pinned to the painting's and cannot grow.
    """
    h, w = blend.shape[:2]
    sh, sw = blend_low.shape[:2]
    y0, y1, x0, x1 = sh // 4, sh // 4 + max(1, sh // 2), sw // 4, sw // 4 + max(1, sw // 2)
    fy, fx = h / sh, w / sw
    crop = (slice(round(y0 * fy), round(y1 * fy)), slice(round(x0 * fx), round(x1 * fx)))
    ch, cw = crop[0].stop - crop[0].start, crop[1].stop - crop[1].start

    def energy(full: np.ndarray, low: np.ndarray) -> float:
        # In uint8 (the small image rounded, upsampled in fixed point): a quarter of the
        # float version's cost; the rounding adds ~0.1 level^2 to both energies, against
        # the tens to hundreds of a painting's detail.
        low8 = np.clip(np.round(low[y0:y1, x0:x1]), 0, 255).astype(np.uint8)
        up = cv2.resize(low8, (cw, ch), interpolation=cv2.INTER_LINEAR)
        return float(cv2.norm(np.ascontiguousarray(full[crop]), up, cv2.NORM_L2SQR))

    e_b = energy(blend, blend_low)
    if e_b <= 0:
        return 1.0
    return min(max_gain, max(1.0, (energy(stylized, stylized_low) / e_b) ** 0.5))


def band_gain(blend_band: np.ndarray, stylized_band: np.ndarray, max_gain: float = 2.0) -> float:
    """The gain that gives ``blend_band`` the energy of ``stylized_band`` (1..max_gain)."""
    e_b = float(np.vdot(blend_band, blend_band))
    if e_b <= 0:
        return 1.0
    return min(max_gain, max(1.0, (float(np.vdot(stylized_band, stylized_band)) / e_b) ** 0.5))


def translate(image: np.ndarray, dx: float, dy: float, dst: np.ndarray | None = None) -> np.ndarray:
    """``image`` sampled at ``(x + dx, y + dy)``, bilinear, borders replicated: :func:`warp`
    for a flow that is one shift everywhere, without a per-pixel map.

    The integer part of the shift picks a window of the edge-padded image, the fraction is
    a 2 x 2 filter: measured here at 640 x 480, 0.6 ms against 2.5 for the full-size map,
    its conversion and the remap, and within 1 level of the remap (the fixed-point remap
    rounds the shift to 1/32 px)."""
    h, w = image.shape[:2]
    # (a shift past the frame reads only replicated border: clamp it to one frame's width)
    dx, dy = max(-w, min(w, float(dx))), max(-h, min(h, float(dy)))
    ix, iy = math.floor(dx), math.floor(dy)
    fx, fy = dx - ix, dy - iy
    # The window read is rows iy .. iy + h and columns ix .. ix + w, one more than the
    # output for the filter's second tap, so it always leaves the image on at least one
    # side: replicate the edge there (one copy, 0.05 ms).
    top, left, bottom, right = max(0, -iy), max(0, -ix), max(0, iy + 1), max(0, ix + 1)
    padded = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_REPLICATE)
    padded = padded.reshape(padded.shape[:2] + image.shape[2:])  # (OpenCV drops an H x W x 1 image's last axis)
    src = padded[iy + top:iy + top + h + 1, ix + left:ix + left + w + 1]
    if dst is None:
        dst = np.empty_like(image)
    if fx == 0.0 and fy == 0.0:
        dst[...] = src[:h, :w]
        return dst
    # One channel wide (the pixel to the right is 3 values on): the same sums, a quarter
    # cheaper than the 3-channel filter (measured: 0.58 against 0.77 ms).
    c = image.shape[2] if image.ndim == 3 else 1
    k = np.zeros((2, c + 1), np.float32)
    k[0, 0], k[0, c], k[1, 0], k[1, c] = (1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy
    wide = src.reshape(h + 1, (w + 1) * c)
    out = cv2.filter2D(wide, -1, k, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)
    dst[...] = out.reshape(src.shape)[:h, :w]
    return dst


def full_size_map(back: np.ndarray, w: int, h: int) -> np.ndarray:
    """``x + flow(x)`` at full size (w x h) from the small backward flow, in one resize.

    The grid is added while the map is small: bilinear interpolation reproduces a linear
    function exactly, so inside the frame this equals resizing the flow and adding the
    full-size grid, one pass over the big array fewer. Only the outermost pixels, where
    cv2.resize clamps to the first and last small pixel, get the grid's true value back.
    """
    sh, sw = back.shape[:2]
    fx, fy = w / sw, h / sh
    small = cv2.multiply(back, (fx, fy, 0.0, 0.0))
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
