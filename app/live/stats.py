"""Frame rates and latency over a sliding window, for the status bar and the tests."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateMeter:
    """Events per second over the last ``window`` seconds (thread-safe)."""

    def __init__(self, window: float = 2.0) -> None:
        self.window = window
        self.total = 0
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self.total += 1
            self._times.append(now)
            self._trim(now)

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._trim(now)
            if len(self._times) < 2:
                return 0.0
            span = max(now - self._times[0], self._times[-1] - self._times[0])
            return (len(self._times) - 1) / span if span > 0 else 0.0

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.window:
            self._times.popleft()

    def reset(self) -> None:
        with self._lock:
            self._times.clear()


class LatencyMeter:
    """Capture-to-screen delays in seconds over the last ``window`` seconds, so the
    figure follows a style change at once instead of averaging old and new."""

    def __init__(self, window: float = 2.0) -> None:
        self.window = window
        self._values: deque[tuple[float, float]] = deque()
        self.count = 0

    def add(self, seconds: float, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._values.append((now, seconds))
        self.count += 1
        while len(self._values) > 1 and now - self._values[0][0] > self.window:
            self._values.popleft()

    def values(self) -> list[float]:
        """The delays of the last ``window`` seconds (at least the newest one), oldest first:
        what a benchmark takes percentiles of, over a window it sets to its measurement."""
        now = time.monotonic()
        recent = [v for t, v in self._values if now - t <= self.window]
        return recent or [v for _, v in list(self._values)[-1:]]

    def mean(self) -> float:
        recent = self.values()
        return sum(recent) / len(recent) if recent else 0.0

    def max(self) -> float:
        return max(self.values(), default=0.0)

    def reset(self) -> None:
        self._values.clear()
        self.count = 0
