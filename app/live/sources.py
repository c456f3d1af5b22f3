"""Where live frames come from: webcams (OpenCV) and video files that loop (PyAV).

A source only reads; pacing, dropping and threading are the capture thread's job
(``stylecam.app.live.capture``). Every failure is a :class:`SourceError` with a sentence a person
can read, because the window shows it instead of crashing.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from stylecam.app.video import DecodedFrame, VideoError, VideoReader
from stylecam.errors import StylecamError


class SourceError(StylecamError):
    """A source that cannot be opened or read, said in one sentence."""


class SourceLost(SourceError):
    """A camera stopped delivering frames (unplugged, taken by another program)."""


class FileSource:
    """A video file that loops forever, read by the batch reader (``stylecam.app.video``).

    The frames are the batch reader's: the same frame rate, the same skipping of
    corrupt packets, turned upright by the display matrix as ffmpeg does, with
    ``low_latency`` decoding (no frames held back) and ``square_pixels`` (the screen,
    snapshots and recordings show what a player shows). Each pass is a fresh reader,
    which is more robust than seeking.

    ``media_time`` keeps growing across loops (``loop * loop_length + pts``) so a recording
    can place video and the file's audio on one time line.
    """

    paced = True  # a file must be slowed down to its own frame rate

    #: Pacing when the header gives no usable rate (the writer's default too, ``VideoWriter``).
    DEFAULT_FPS = 25.0

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.description = self.path.name
        self.fps = self.DEFAULT_FPS
        self.loop_length = 0.0  # seconds; known from the header or after the first pass
        self.has_audio = False
        self._reader: VideoReader | None = None
        self._frames: Iterator[DecodedFrame] | None = None
        self._loop = 0
        self._last_time = 0.0
        self._read_this_loop = 0

    def open(self) -> None:
        try:
            reader = VideoReader(self.path, low_latency=True, square_pixels=True)
        except VideoError as e:
            raise SourceError(e.path, e.problem) from None
        info = reader.info
        if info.fps and 1 <= float(info.fps) <= 240:  # a header rate outside this is damage
            self.fps = float(info.fps)
        if info.duration:  # never shorter than a pass has shown it to be
            self.loop_length = max(self.loop_length, info.duration)
        self.has_audio = info.audio_streams > 0
        self._reader = reader
        self._frames = reader.frames()

    def read(self) -> tuple[np.ndarray, float]:
        """The next frame (BGR) and its time on the looping media time line."""
        if self._reader is None:
            self.open()
        for _attempt in range(2):
            try:
                frame = next(self._frames)
            except StopIteration:
                self._restart()
                continue
            except VideoError as e:
                raise SourceError(e.path, e.problem) from None
            t = frame.time if frame.time is not None else self._read_this_loop / self.fps
            self._last_time = t
            self._read_this_loop += 1
            return frame.image, self._loop * self.loop_length + t
        raise SourceError(self.path, "no video frame could be decoded")

    def _restart(self) -> None:
        """Start the next loop from a fresh reader."""
        if self._read_this_loop == 0:
            raise SourceError(self.path, "no video frame could be decoded")
        # The loop is as long as the header says, or ends one frame after the last frame.
        self.loop_length = max(self.loop_length, self._last_time + 1.0 / self.fps)
        self.close()
        self._loop += 1
        self._read_this_loop = 0
        self.open()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
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
            raise SourceLost(None, f"camera {self.index} is not available")
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
            raise SourceLost(None, f"camera {self.index} stopped sending frames")
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
