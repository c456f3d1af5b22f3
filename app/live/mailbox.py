"""A one-slot mailbox: the heart of the newest-frame-only pipeline.

Live video must not queue. A queue between a 30 frames/s camera and a 10 frames/s
network grows without bound and latency grows with it; a single slot that the producer
overwrites keeps latency at about one frame time, and every overwrite is a frame
dropped on purpose (counted, so the status bar can show it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


@dataclass(frozen=True)
class Frame:
    """A captured frame and when it was taken (for latency) and where in the media it is
    (for recording with the source's own timing and audio)."""

    image: np.ndarray  # uint8 H x W x 3 BGR
    captured_at: float  # time.monotonic() when the frame was read
    media_time: float  # seconds from the start of the source (grows across loops)
    index: int  # running count of frames read from this source
    source_id: int  # changes whenever the source changes


@dataclass(frozen=True)
class Result:
    """A processed frame ready to show: the original beside the stylized one."""

    frame: Frame
    stylized: np.ndarray
    style: str = ""


class Mailbox(Generic[T]):
    """Holds at most one item; ``put`` replaces an unread item instead of queueing it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self.dropped = 0

    def put(self, item: T) -> bool:
        """Store ``item``; returns True when it replaced one nobody took (a drop)."""
        with self._cond:
            dropped = self._item is not None
            if dropped:
                self.dropped += 1
            self._item = item
            self._cond.notify()
            return dropped

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item, waiting up to ``timeout`` seconds; None when there is none."""
        with self._cond:
            if self._item is None:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item

    def clear(self) -> None:
        with self._cond:
            self._item = None

    def wake(self) -> None:
        """Wake a waiting ``take`` (used at shutdown)."""
        with self._cond:
            self._cond.notify_all()
