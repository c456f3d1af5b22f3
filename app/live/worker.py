"""The inference thread: always takes the newest captured frame, processes it and hands
the result to the GUI through a one-slot mailbox plus a Qt signal.

The GUI is notified only when it has taken the previous result, so however fast frames
come, at most one notification is ever waiting in the event loop: nothing queues.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from stylecam.app.live.mailbox import Frame, Mailbox, Result
from stylecam.app.live.stats import RateMeter

Processor = Callable[[np.ndarray], np.ndarray]


class InferenceWorker(threading.Thread):
    """Runs ``processor`` (swappable at any time from any thread) on the newest frame.

    ``processor`` None shows the original. A processor that raises is reported through
    ``on_error`` once per distinct message and the original frame is shown meanwhile.
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
        self.busy_seconds = 0.0
        self._last_error = ""
        self._stop_event = threading.Event()

    def set_processor(self, processor: Processor | None, style_name: str) -> None:
        """Swap what runs on the next frame (a tuple assignment: atomic under the GIL)."""
        self.processor, self.style_name = processor, style_name

    def stop(self) -> None:
        self._stop_event.set()
        self.inbox.wake()

    def run(self) -> None:
        while not self._stop_event.is_set():
            frame = self.inbox.take(timeout=0.1)
            if frame is None:
                continue
            processor, name = self.processor, self.style_name
            start = time.monotonic()
            out = frame.image
            if processor is not None:
                try:
                    out = processor(frame.image)
                    self._last_error = ""
                except Exception as e:  # an engine failure is shown, never fatal
                    msg = f"{name}: {type(e).__name__}: {e}"
                    if msg != self._last_error:
                        self._last_error = msg
                        self.on_error(msg)
                    out = frame.image
            self.busy_seconds += time.monotonic() - start
            result = Result(frame, out, style=name)
            self.processed.tick()
            for sink in list(self.sinks):
                sink(result)
            if not self.outbox.put(result):
                self.notify()
