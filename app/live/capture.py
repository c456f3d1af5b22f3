"""The capture thread: reads a source, paces files to real time, keeps only the newest
frame in a mailbox. Capture never waits for inference; if inference is slow the frame
that was not taken yet is replaced (and counted as dropped)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from stylecam.app.live.mailbox import Frame, Mailbox
from stylecam.app.live.sources import CameraSource, FileSource, SourceError, SourceLost

RETRY_SECONDS = 1.0  # how often a lost camera is tried again
RESYNC_SECONDS = 0.25  # a file that falls this far behind real time restarts its clock


class CaptureThread(threading.Thread):
    """Runs one source until stopped. Problems go to ``on_problem`` (a sentence), a
    recovered camera to ``on_recovered``; neither is called on the GUI thread."""

    def __init__(
        self,
        source: FileSource | CameraSource,
        mailbox: Mailbox[Frame],
        source_id: int,
        on_problem: Callable[[str, bool], None] = lambda msg, fatal: None,
        on_recovered: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(name=f"capture-{source_id}", daemon=True)
        self.source = source
        self.mailbox = mailbox
        self.source_id = source_id
        self.on_problem = on_problem
        self.on_recovered = on_recovered
        self.captured = 0
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        anchor_wall = anchor_media = None
        lost = False
        try:
            while not self._stop_event.is_set():
                try:
                    image, media_time = self.source.read()
                except SourceLost as e:
                    if not lost:
                        self.on_problem(f"{e}; retrying…", False)
                        lost = True
                    self.source.close()
                    if self._stop_event.wait(RETRY_SECONDS):
                        break
                    continue
                except SourceError as e:
                    self.on_problem(str(e), True)
                    return
                except Exception as e:  # an unexpected decoder failure must not kill the app
                    self.on_problem(f"{self.source.description}: {type(e).__name__}: {e}", True)
                    return
                if lost:
                    lost = False
                    self.on_recovered()
                if self.source.paced:
                    now = time.monotonic()
                    if anchor_wall is None or media_time < anchor_media:
                        anchor_wall, anchor_media = now, media_time
                    due = anchor_wall + (media_time - anchor_media)
                    if now - due > RESYNC_SECONDS:  # decoding fell behind: do not rush to catch up
                        anchor_wall, anchor_media, due = now, media_time, now
                    if due > now and self._stop_event.wait(due - now):
                        break
                self.captured += 1
                self.mailbox.put(Frame(image, time.monotonic(), media_time, self.captured, self.source_id))
        finally:
            self.source.close()
