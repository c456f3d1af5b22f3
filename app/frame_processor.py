"""What happens to one frame: engine, then strength, colour preservation, processing size
and temporal stabilisation.

:class:`FrameProcessor` is shared by the live window (``stylecam.app.gui``, fed by
``stylecam.app.live``) and the batch commands (``stylecam.app.stylize``, which run it
inside ``stylecam.app.pipeline``'s staged pipeline), so a frame looks the same in
the preview, a recording and a stylized file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any, Protocol

import cv2
import numpy as np

from stylecam.app import effects
from stylecam.app.stabilize import PHASE_PERIOD, Motion, Stabilizer


class FrameEngine(Protocol):
    """What the pipeline needs of an engine (``models.engines.Engine`` is one)."""

    name: str
    provider: str
    constraints: dict[str, Any]

    def run(self, frame: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class FrameSettings:
    """One consistent set of per-frame settings; replaced whole, never edited in place,
    so a frame never sees half of an update made from another thread."""

    engine: FrameEngine | None = None
    strength: float = 1.0
    preserve_colors: bool = False
    size: int | None = None
    stabilize: float = 0.0  # 0 = off; else the strength of app/stabilize.py's temporal filter


@dataclass(frozen=True)
class PendingFrame:
    """A frame between :meth:`FrameProcessor.begin` and :meth:`FrameProcessor.finish`:
    the stylized image and, when it is to be stabilised, its input's motion and the
    strength it was stylized for (the settings may change in between)."""

    stylized: np.ndarray
    motion: Motion | None = None
    stabilize: float = 0.0


class FrameProcessor:
    """Stylize one frame: ``processor(frame) -> frame`` (uint8 H x W x 3 BGR in and out).

    The style and the effects can be changed from any thread while another thread is
    calling the processor (the GUI thread moves a slider while the worker processes):
    each call takes a snapshot of the settings at its start, and updates swap the whole
    snapshot under a lock. ``engine=None`` (or strength 0) passes frames through, which
    is the "Original" entry of the style menu.

    With ``stabilize`` above 0 each frame is stylized on the net's sampling grid where
    the camera's motion puts it (the grid lock) and blended with the previous output
    warped by the optical flow (:class:`~stylecam.app.stabilize.Stabilizer`): that is state
    across frames, so the processor must then be called with the frames of one clip in
    display order, from one thread at a time (the live worker; the batch transform
    stage, which runs in order). :meth:`restart` starts a new clip; a new engine or
    size starts one by itself.
    """

    def __init__(
        self,
        engine: FrameEngine | None = None,
        *,
        strength: float = 1.0,
        preserve_colors: bool = False,
        size: int | None = None,
        stabilize: float = 0.0,
    ) -> None:
        self._lock = threading.Lock()
        self._settings = FrameSettings()
        self._stabilizer = Stabilizer()
        self._stabilized_for: tuple[Any, ...] | None = None  # (engine, size) the history belongs to
        self._restart = False
        self.configure(engine=engine, strength=strength, preserve_colors=preserve_colors, size=size,
                       stabilize=stabilize)

    @property
    def settings(self) -> FrameSettings:
        return self._settings

    def configure(self, **changes: Any) -> FrameSettings:
        """Change any of ``engine``, ``strength``, ``preserve_colors``, ``size``, ``stabilize`` at once."""
        unknown = set(changes) - {"engine", "strength", "preserve_colors", "size", "stabilize"}
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        if "strength" in changes:
            s = float(changes["strength"])
            if not 0.0 <= s <= 1.0:
                raise ValueError(f"strength must be between 0 and 1, not {s}")
            changes["strength"] = s
        if "stabilize" in changes:
            s = float(changes["stabilize"] or 0.0)
            if not 0.0 <= s <= 1.0:
                raise ValueError(f"stabilize must be between 0 and 1, not {s}")
            changes["stabilize"] = s
        if changes.get("size") is not None and int(changes["size"]) <= 0:
            raise ValueError(f"size must be a positive number of pixels, not {changes['size']}")
        with self._lock:
            self._settings = replace(self._settings, **changes)
            return self._settings

    # Single-setting conveniences for the GUI's widgets.
    @property
    def engine(self) -> FrameEngine | None:
        return self._settings.engine

    @engine.setter
    def engine(self, engine: FrameEngine | None) -> None:
        self.configure(engine=engine)

    @property
    def strength(self) -> float:
        return self._settings.strength

    @strength.setter
    def strength(self, value: float) -> None:
        self.configure(strength=value)

    @property
    def preserve_colors(self) -> bool:
        return self._settings.preserve_colors

    @preserve_colors.setter
    def preserve_colors(self, value: bool) -> None:
        self.configure(preserve_colors=bool(value))

    @property
    def size(self) -> int | None:
        return self._settings.size

    @size.setter
    def size(self, value: int | None) -> None:
        self.configure(size=value)

    @property
    def stabilize(self) -> float:
        return self._settings.stabilize

    @stabilize.setter
    def stabilize(self, value: float) -> None:
        self.configure(stabilize=value)

    def restart(self) -> None:
        """A new clip begins: the next frame is not blended with the last one seen.
        Safe from any thread (it takes effect at the next call)."""
        self._restart = True

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        return self.finish(self.begin(frame))

    def begin(self, frame: np.ndarray) -> PendingFrame:
        """The first half of a frame: the style (and, stabilising, the input's motion and
        the grid lock). :meth:`finish` completes it, possibly in another thread: the batch
        pipeline blends frame t there while this stylizes frame t+1, so the stabiliser's
        full-size work overlaps the net instead of adding to it. Both halves must be
        called in display order."""
        s = self._settings  # one snapshot for the whole frame
        if s.stabilize <= 0.0 or s.engine is None or s.strength <= 0.0:
            self._stabilized_for = None  # the history is stale once frames pass unfiltered
            return PendingFrame(self._stylize(frame, s))
        key = (s.engine, s.size)
        if self._restart or key != self._stabilized_for:
            self._restart = False
            self._stabilizer.reset()
            self._stabilized_for = key
        motion = self._stabilizer.track(frame)  # the motion first: it decides where the net's grid sits
        return PendingFrame(self._stylize(frame, s, locked=True), motion, s.stabilize)

    def finish(self, pending: PendingFrame) -> np.ndarray:
        """The second half: the temporal blend, when the frame was stylized to be stabilised."""
        if pending.motion is None:
            return pending.stylized
        return self._stabilizer.blend(pending.stylized, pending.motion, pending.stabilize)

    @property
    def stabilizer(self) -> Stabilizer:
        """The temporal filter (its ``stats`` say how many scene cuts it has seen)."""
        return self._stabilizer

    def _stylize(self, frame: np.ndarray, s: FrameSettings, locked: bool = False) -> np.ndarray:
        if s.engine is None or s.strength <= 0.0:
            return frame
        h, w = frame.shape[:2]
        pw, ph = effects.processing_size(w, h, s.size)
        constraints = s.engine.constraints or {}
        min_side = constraints.get("min_side") or 1
        if min(pw, ph) < min_side:  # below what the net accepts: stylize a scaled-up copy
            scale = min_side / min(w, h)
            pw, ph = max(min_side, round(w * scale)), max(min_side, round(h * scale))
        small = effects.resize(frame, pw, ph)
        if locked and constraints.get("dynamic_size", True):
            stylized = self._run_on_grid(s.engine, small, self._stabilizer.phase(pw / w))
        else:
            stylized = s.engine.run(small)
        stylized = effects.resize(stylized, w, h)
        if s.preserve_colors:
            stylized = effects.preserve_colors(stylized, frame)
        return effects.blend(stylized, frame, s.strength)

    @staticmethod
    def _run_on_grid(engine: FrameEngine, small: np.ndarray, offset: tuple[int, int]) -> np.ndarray:
        """Stylize ``small`` placed at ``offset`` on a canvas PHASE_PERIOD pixels larger
        (mirrored border), so that the net's sampling grid stays on the moving content
        (``Stabilizer.phase``); the canvas keeps one size, so no engine reshapes."""
        ox, oy = offset
        p = PHASE_PERIOD
        canvas = cv2.copyMakeBorder(small, oy, p - oy, ox, p - ox, cv2.BORDER_REFLECT_101)
        h, w = small.shape[:2]
        return np.ascontiguousarray(engine.run(canvas)[oy:oy + h, ox:ox + w])
