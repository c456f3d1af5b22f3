"""The frame pipeline: what happens to one frame, and how many frames flow at once.

:class:`FrameProcessor` is the per-frame work (engine, then strength, colour
preservation and processing size); the live window and the batch command share it.
:func:`run_pipeline` overlaps three stages in three threads joined by small bounded
queues (decode -> process -> encode), so a file is stylized at the speed of its
slowest stage rather than the sum of all three, while memory stays bounded by the
queue sizes. numpy, OpenCV, PyAV and the inference runtimes all release the GIL in
their heavy work, so the threads really run in parallel.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

import numpy as np

from stylecam.app import effects
from stylecam.app.stabilize import Stabilizer

T = TypeVar("T")
U = TypeVar("U")


class FrameEngine(Protocol):
    """What the pipeline needs of an engine (``models.engines.Engine`` is one)."""

    name: str
    provider: str
    constraints: dict[str, Any]

    def run(self, frame: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Settings:
    """One consistent set of per-frame settings; replaced whole, never edited in place,
    so a frame never sees half of an update made from another thread."""

    engine: FrameEngine | None = None
    strength: float = 1.0
    preserve_colors: bool = False
    size: int | None = None
    stabilize: float = 0.0  # 0 = off; else the strength of app/stabilize.py's temporal filter


class FrameProcessor:
    """Stylize one frame: ``processor(frame) -> frame`` (uint8 H x W x 3 BGR in and out).

    The style and the effects can be changed from any thread while another thread is
    calling the processor (the GUI thread moves a slider while the worker processes):
    each call takes a snapshot of the settings at its start, and updates swap the whole
    snapshot under a lock. ``engine=None`` (or strength 0) passes frames through, which
    is the "Original" entry of the style menu.

    With ``stabilize`` above 0 each output is blended with the previous one warped by
    the optical flow (:class:`~stylecam.app.stabilize.Stabilizer`): that is state
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
        self._settings = Settings()
        self._stabilizer = Stabilizer()
        self._stabilized_for: tuple[Any, ...] | None = None  # (engine, size) the history belongs to
        self._restart = False
        self.configure(engine=engine, strength=strength, preserve_colors=preserve_colors, size=size,
                       stabilize=stabilize)

    @property
    def settings(self) -> Settings:
        return self._settings

    def configure(self, **changes: Any) -> Settings:
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
        s = self._settings  # one snapshot for the whole frame
        out = self._stylize(frame, s)
        if s.stabilize <= 0.0 or out is frame:
            self._stabilized_for = None  # the history is stale once frames pass unfiltered
            return out
        key = (s.engine, s.size)
        if self._restart or key != self._stabilized_for:
            self._restart = False
            self._stabilizer.reset()
            self._stabilized_for = key
        self._stabilizer.strength = s.stabilize
        return self._stabilizer(frame, out)

    @property
    def stabilizer(self) -> Stabilizer:
        """The temporal filter (its ``stats`` say how many scene cuts it has seen)."""
        return self._stabilizer

    def _stylize(self, frame: np.ndarray, s: Settings) -> np.ndarray:
        if s.engine is None or s.strength <= 0.0:
            return frame
        h, w = frame.shape[:2]
        pw, ph = effects.processing_size(w, h, s.size)
        min_side = (s.engine.constraints or {}).get("min_side") or 1
        if min(pw, ph) < min_side:  # below what the net accepts: stylize a scaled-up copy
            scale = min_side / min(w, h)
            pw, ph = max(min_side, round(w * scale)), max(min_side, round(h * scale))
        small = effects.resize(frame, pw, ph)
        stylized = effects.resize(s.engine.run(small), w, h)
        if s.preserve_colors:
            stylized = effects.preserve_colors(stylized, frame)
        return effects.blend(stylized, frame, s.strength)


# --------------------------------------------------------------------------- batch


class Cancelled(Exception):
    """The pipeline was stopped by its cancel event before the source ended."""


@dataclass
class PipelineStats:
    """Seconds each stage spent working (not waiting); the largest is the bottleneck."""

    items: int = 0
    source_s: float = 0.0
    transform_s: float = 0.0
    sink_s: float = 0.0
    wall_s: float = 0.0


_END = object()
_POLL_S = 0.05


def _put(q: queue.Queue, item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _get(q: queue.Queue, stop: threading.Event) -> object:
    while not stop.is_set():
        try:
            return q.get(timeout=_POLL_S)
        except queue.Empty:
            continue
    return _END


def run_pipeline(
    source: Iterable[T],
    transform: Callable[[T], U],
    sink: Callable[[U], None],
    *,
    queue_size: int = 6,
    cancel: threading.Event | None = None,
) -> PipelineStats:
    """Run ``sink(transform(item))`` for every item of ``source``, three stages at once.

    ``source`` is iterated in a reader thread, ``transform`` runs in the calling thread
    (so Ctrl-C lands where it can stop everything) and ``sink`` runs in a writer thread;
    items keep their order. The first exception raised by any stage stops all three and
    is re-raised here, with its own traceback. Setting ``cancel`` stops the run and
    raises :class:`Cancelled`. When this returns or raises, both threads have finished,
    so the caller may close the source and the sink at once.
    """
    cancel = cancel or threading.Event()
    stop = threading.Event()  # any stage failed, or the run was cancelled
    inbox: queue.Queue = queue.Queue(maxsize=queue_size)
    outbox: queue.Queue = queue.Queue(maxsize=queue_size)
    errors: list[BaseException] = []
    stats = PipelineStats()
    started = time.perf_counter()

    def fail(e: BaseException) -> None:
        errors.append(e)
        stop.set()

    def read() -> None:
        try:
            it = iter(source)
            while not stop.is_set():
                t = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    break
                finally:
                    stats.source_s += time.perf_counter() - t
                if not _put(inbox, item, stop):
                    return
            _put(inbox, _END, stop)
        except BaseException as e:
            fail(e)

    def write() -> None:
        try:
            while True:
                item = _get(outbox, stop)
                if item is _END:
                    return
                t = time.perf_counter()
                sink(item)  # type: ignore[arg-type]
                stats.sink_s += time.perf_counter() - t
                stats.items += 1
        except BaseException as e:
            fail(e)

    threads = [threading.Thread(target=read, name="stylecam-decode", daemon=True),
               threading.Thread(target=write, name="stylecam-encode", daemon=True)]
    for th in threads:
        th.start()
    try:
        while True:
            if cancel.is_set():
                raise Cancelled()
            item = _get(inbox, stop)
            if item is _END:
                break
            t = time.perf_counter()
            out = transform(item)  # type: ignore[arg-type]
            stats.transform_s += time.perf_counter() - t
            if not _put(outbox, out, stop):
                break
        _put(outbox, _END, stop)
        # Wait for the writer to finish the queue, still honouring cancel.
        while threads[1].is_alive():
            if cancel.is_set():
                raise Cancelled()
            threads[1].join(timeout=_POLL_S)
    finally:
        stop.set()  # a no-op after a clean run: both threads are already done
        for th in threads:
            th.join()
        stats.wall_s = time.perf_counter() - started
    if errors:
        raise errors[0]
    if cancel.is_set():
        raise Cancelled()
    return stats
