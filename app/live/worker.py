"""The inference thread: always takes the newest captured frame, processes it and hands
the result to the GUI through a one-slot mailbox plus a Qt signal.

The GUI is notified only when it has taken the previous result, so however fast frames
come, at most one notification is ever waiting in the event loop: nothing queues.

A processor made of two halves (``begin``/``finish``, as
:class:`~stylecam.app.frame_processor.FrameProcessor` is) has its second half run in a
finishing thread of its own, one frame behind: with Steady on, the temporal blend of frame
t then overlaps the style net on frame t+1, so the app keeps its frame rate (measured in
``bench/bench_realtime.py``, section 3). Every frame begun is finished, in order (the
blend's memory needs each tracked frame), through a one-place hand-off: the net waits
rather than letting frames pile up, so latency stays one net plus one blend.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from stylecam.app.live.mailbox import Frame, Mailbox, Result
from stylecam.app.live.stats import RateMeter

Processor = Callable[[np.ndarray], np.ndarray]


def _passed(out: np.ndarray) -> np.ndarray:
    """The second half of a one-piece processor: its output is already the frame."""
    return out


class InferenceWorker(threading.Thread):
    """Runs ``processor`` (swappable at any time from any thread) on the newest frame.

    ``processor`` None shows the original. A processor that raises is reported through
    ``on_error`` once per distinct message and the original frame is shown meanwhile.
    Results (the outbox, the notification, ``sinks``) come from the finishing thread, in
    the order the frames were taken.
    """

    def __init__(
        self,
        inbox: Mailbox[Frame],
        outbox: Mailbox[Result],
        notify: Callable[[], None],
        on_error: Callable[[str], None] = lambda msg: None,
    ) -> None:
        super().__init__(name="inference", daemon=True)
        self.inbox = inbox
        self.outbox = outbox
        self.notify = notify
        self.on_error = on_error
        self.processor: Processor | None = None
        self.style_name = ""
        self.sinks: list[Callable[[Result], None]] = []  # e.g. the recorder; must not block
        self.processed = RateMeter()
        self._busy = [0.0, 0.0]  # working seconds of the two halves (each written by one thread)
        self._last_error = ""
        self._stop_event = threading.Event()
        self._handoff: queue.Queue = queue.Queue(maxsize=1)
        self._finisher = threading.Thread(target=self._finish_loop, name="inference-finish", daemon=True)

    @property
    def busy_seconds(self) -> float:
        """Seconds spent working on frames, both halves together."""
        return self._busy[0] + self._busy[1]

    def set_processor(self, processor: Processor | None, style_name: str) -> None:
        """Swap what runs on the next frame (a tuple assignment: atomic under the GIL)."""
        self.processor, self.style_name = processor, style_name

    def start(self) -> None:
        self._finisher.start()
        super().start()

    def stop(self) -> None:
        self._stop_event.set()
        self.inbox.wake()

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        self._finisher.join(timeout)

    def run(self) -> None:
        while not self._stop_event.is_set():
            frame = self.inbox.take(timeout=0.1)
            if frame is None:
                continue
            processor, name = self.processor, self.style_name
            start = time.monotonic()
            finish: Callable[[Any], np.ndarray] = _passed
            half: Any = frame.image
            failed = False
            if processor is not None:
                begin = getattr(processor, "begin", None)
                try:
                    if begin is not None:
                        half, finish = begin(frame.image), processor.finish  # type: ignore[attr-defined]
                    else:
                        half = processor(frame.image)
                except Exception as e:  # an engine failure is shown, never fatal
                    self._report(name, e)
                    half, finish, failed = frame.image, _passed, True
            self._busy[0] += time.monotonic() - start
            while not self._stop_event.is_set():
                try:
                    self._handoff.put((frame, name, half, finish, failed or processor is None), timeout=0.1)
                    break
                except queue.Full:
                    continue

    def _finish_loop(self) -> None:
        while not self._stop_event.is_set():
            try:
                frame, name, half, finish, failed = self._handoff.get(timeout=0.1)
            except queue.Empty:
                continue
            start = time.monotonic()
            try:
                out = finish(half)
                if not failed:  # the whole frame worked: a later failure is news again
                    self._last_error = ""
            except Exception as e:
                self._report(name, e)
                out = frame.image
            self._busy[1] += time.monotonic() - start
            result = Result(frame, out, style=name)
            self.processed.tick()
            for sink in list(self.sinks):
                sink(result)
            if not self.outbox.put(result):
                self.notify()

    def _report(self, name: str, e: Exception) -> None:
        msg = f"{name}: {type(e).__name__}: {e}"
        if msg != self._last_error:
            self._last_error = msg
            self.on_error(msg)
