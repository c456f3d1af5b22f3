"""Where live frames come from: webcams (OpenCV) and video files that loop (PyAV).

A source only reads; pacing, dropping and threading are the capture thread's job
(``stylecam.app.live.capture``). Every failure is a :class:`SourceError` with a sentence a person
can read, because the window shows it instead of crashing.
"""

from __future__ import annotations

import glob
import os
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np


class SourceError(Exception):
    """A source that cannot be opened or read, said in one sentence."""


class SourceLost(SourceError):
    """A camera stopped delivering frames (unplugged, taken by another program)."""


class FileSource:
    """A video file read with PyAV, looping forever; corrupt packets are skipped.

    Frames are shown as a player shows them (``stylecam.app.video``'s rules, after
    ffmpeg): turned upright by the display matrix, and anamorphic pixels stretched to
    square ones, since the screen, snapshots and recordings all have square pixels.

    ``media_time`` keeps growing across loops (``loop * loop_length + pts``) so a recording
    can place video and the file's audio on one time line.
    """

    paced = True  # a file must be slowed down to its own frame rate

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.description = self.path.name
        self.fps = 30.0
        self.loop_length = 0.0  # seconds; known from the header or after the first pass
        self.has_audio = False
        self.skipped = 0  # packets that failed to decode
        self._container = None
        self._frames = None
        self._sar = Fraction(1)
        self._loop = 0
        self._last_time = 0.0
        self._read_this_loop = 0

    def open(self) -> None:
        import av

        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file")
        if not self.path.is_file():
            raise SourceError(f"{self.path}: not a file (a folder?)")
        if self.path.stat().st_size == 0:
            raise SourceError(f"{self.path}: empty file (0 bytes)")
        if not os.access(self.path, os.R_OK):
            raise SourceError(f"{self.path}: permission denied (the file is not readable)")
        try:
            container = av.open(str(self.path))
        except (av.FFmpegError, OSError, UnicodeDecodeError) as e:
            from stylecam.app.safe_names import one_line

            raise SourceError(f"{self.path}: not a video file this app can read ({one_line(e, 200)})") from None
        if not container.streams.video:
            container.close()
            raise SourceError(f"{self.path}: has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        if rate and 1 <= float(rate) <= 240:
            self.fps = float(rate)
        if stream.duration and stream.time_base:
            self.loop_length = float(stream.duration * stream.time_base)
        elif container.duration:
            self.loop_length = container.duration / 1_000_000
        self.has_audio = bool(container.streams.audio)
        sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
        self._sar = Fraction(sar) if sar and sar > 0 else Fraction(1)
        self._container = container
        self._frames = self._decode(container)

    def _decode(self, container):
        import av

        stream = container.streams.video[0]
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError:
                self.skipped += 1
                continue
            yield from frames

    def read(self) -> tuple[np.ndarray, float]:
        """The next frame (BGR) and its time on the looping media time line."""
        import av

        if self._container is None:
            self.open()
        for _attempt in range(2):
            try:
                frame = next(self._frames)
            except StopIteration:
                self._restart()
                continue
            except av.FFmpegError as e:
                raise SourceError(f"{self.path}: cannot decode ({e})") from None
            t = float(frame.time) if frame.time is not None else self._read_this_loop / self.fps
            self._last_time = t
            self._read_this_loop += 1
            return self._as_shown(frame), self._loop * self.loop_length + t
        raise SourceError(f"{self.path}: no video frame could be decoded")

    def _as_shown(self, frame) -> np.ndarray:
        """The decoded frame upright and in square pixels, as a player shows it."""
        import cv2

        from stylecam.app.video import apply_orientation, frame_orientation, square_pixel_size

        image = frame.to_ndarray(format="bgr24")
        sar = self._sar
        if sar != 1:
            h, w = image.shape[:2]
            size = square_pixel_size(w, h, sar)
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA if sar < 1 else cv2.INTER_LINEAR)
        return apply_orientation(image, frame_orientation(frame))

    def _restart(self) -> None:
        """Start the next loop from a fresh container (more robust than seeking)."""
        if self._read_this_loop == 0:
            raise SourceError(f"{self.path}: no video frame could be decoded")
        # The loop is as long as the header says, or ends one frame after the last frame.
        self.loop_length = max(self.loop_length, self._last_time + 1.0 / self.fps)
        self.close()
        self._loop += 1
        self._read_this_loop = 0
        self.open()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
            self._frames = None


class CameraSource:
    """A webcam by OpenCV index; frames are timed by the wall clock."""

    paced = False  # a camera delivers at its own rate

    def __init__(self, index: int) -> None:
        self.index = index
        self.description = f"camera {index}"
        self.fps = 30.0
        self.loop_length = 0.0
        self.has_audio = False
        self._cap = None
        self._t0: float | None = None

    def open(self) -> None:
        import time

        import cv2

        _quiet_opencv()
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise SourceLost(f"camera {self.index} is not available")
        fps = cap.get(cv2.CAP_PROP_FPS)
        if 1 <= fps <= 240:
            self.fps = float(fps)
        self._cap = cap
        self._t0 = time.monotonic() if self._t0 is None else self._t0

    def read(self) -> tuple[np.ndarray, float]:
        import time

        if self._cap is None:
            self.open()
        ok, frame = self._cap.read()
        if not ok or frame is None:
            self.close()
            raise SourceLost(f"camera {self.index} stopped sending frames")
        if frame.ndim == 2:
            frame = np.repeat(frame[:, :, None], 3, axis=2)
        elif frame.shape[2] == 4:
            frame = np.ascontiguousarray(frame[:, :, :3])
        return frame, time.monotonic() - self._t0

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _quiet_opencv() -> None:
    """Probing absent cameras makes OpenCV print warnings; a menu probe should not."""
    try:
        import cv2

        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except (ImportError, AttributeError):
        pass


def list_cameras(max_index: int = 4) -> list[int]:
    """Indices of the cameras that really open. On Linux only existing /dev/video*
    nodes are tried, so a machine without cameras answers at once and silently."""
    import cv2

    _quiet_opencv()
    if sys.platform.startswith("linux"):
        nodes = sorted(int(p.removeprefix("/dev/video")) for p in glob.glob("/dev/video*")
                       if p.removeprefix("/dev/video").isdigit())
        candidates = [i for i in nodes if i < 16]
    else:
        candidates = list(range(max_index))
    found = []
    for i in candidates:
        cap = cv2.VideoCapture(i)
        try:
            if cap.isOpened() and cap.read()[0]:
                found.append(i)
        finally:
            cap.release()
    return found


def make_source(spec: str | int | os.PathLike) -> FileSource | CameraSource:
    """``--source`` semantics: a small integer is a camera index, anything else a file."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CameraSource(int(spec))
    return FileSource(Path(spec))


def frame_rate_fraction(fps: float) -> Fraction:
    """A rational frame rate for encoders (29.97 -> 30000/1001)."""
    return Fraction(fps).limit_denominator(1001)
