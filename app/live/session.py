"""One live session, free of Qt: capture thread -> newest frame -> inference thread -> the
screen, and the recorder beside it.

:class:`Session` owns the threads and the two one-slot mailboxes and reports through
callbacks, which run on its threads (``stylecam.app.gui.live`` turns them into Qt signals
for the window, which therefore never waits on capture, inference or encoding).
Switching source replaces the capture thread; the inference thread lives as long as the
session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from stylecam.app.live.capture import CaptureThread
from stylecam.app.live.mailbox import Frame, Mailbox, Result
from stylecam.app.live.recorder import AudioSource, Recorder, RecordingReport
from stylecam.app.live.sources import CameraSource, FileSource
from stylecam.app.live.stats import LatencyMeter, RateMeter
from stylecam.app.live.worker import InferenceWorker, Processor


class Session:
    """Threads and counters of one live view."""

    def __init__(
        self,
        on_result: Callable[[], None] = lambda: None,
        on_problem: Callable[[str, bool], None] = lambda message, fatal: None,
        on_processing_error: Callable[[str], None] = lambda message: None,
        on_recovered: Callable[[], None] = lambda: None,
        on_recording_finished: Callable[[RecordingReport], None] = lambda report: None,
    ) -> None:
        self.on_problem, self.on_recovered = on_problem, on_recovered
        self.on_recording_finished = on_recording_finished
        self.frames: Mailbox[Frame] = Mailbox()
        self.results: Mailbox[Result] = Mailbox()
        self.worker = InferenceWorker(self.frames, self.results, on_result, on_error=on_processing_error)
        self.worker.start()
        self.source: FileSource | CameraSource | None = None
        self.capture: CaptureThread | None = None
        self.recorder: Recorder | None = None
        self._finishing: list[Recorder] = []  # stopped, still writing their files
        self.shown = RateMeter()
        self.latency = LatencyMeter()
        self._source_id = 0

    # -- source ---------------------------------------------------------------------

    def set_source(self, source: FileSource | CameraSource) -> None:
        """Start reading ``source``. A file is opened here, so a broken one raises
        SourceError at once and the old source keeps running; a camera is opened by the
        capture thread (that can take seconds) and problems arrive as ``problem``."""
        if isinstance(source, FileSource):
            source.open()
        self.stop_recording()
        self._stop_capture()
        self._source_id += 1
        self.source = source
        self.frames.clear()
        self.capture = CaptureThread(source, self.frames, self._source_id,
                                     on_problem=self.on_problem, on_recovered=self.on_recovered)
        self.capture.start()
        self.latency.reset()

    def _stop_capture(self) -> None:
        if self.capture is not None:
            self.capture.stop()
            self.capture.join(timeout=5)
            self.capture = None

    @property
    def captured(self) -> int:
        return self.capture.captured if self.capture else 0

    # -- processing -----------------------------------------------------------------

    def set_processor(self, processor: Processor | None, style_name: str) -> None:
        self.worker.set_processor(processor, style_name)

    def take_result(self) -> Result | None:
        """The newest result for the screen (called on the GUI thread); counts it as shown."""
        result = self.results.take(timeout=0)
        if result is not None:
            now = time.monotonic()
            self.shown.tick(now)
            self.latency.add(now - result.frame.captured_at)
        return result

    # -- recording ------------------------------------------------------------------

    def start_recording(self, path: str | Path) -> Recorder:
        """Record the stylized stream to ``path``; the source's audio is kept for files."""
        if self.source is None:
            raise RuntimeError("no source to record")
        self.stop_recording()
        src = self.source
        audio = AudioSource(src.path, lambda: src.loop_length) if isinstance(src, FileSource) and src.has_audio else None
        recorder = Recorder(path, src.fps, audio, on_finished=self.on_recording_finished)
        recorder.start()
        self.recorder = recorder
        self.worker.sinks.append(recorder.submit)
        return recorder

    def stop_recording(self) -> Recorder | None:
        """Finish the recording in the background; returns the recorder (``join`` to wait)."""
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            try:
                self.worker.sinks.remove(recorder.submit)
            except ValueError:
                pass
            recorder.stop()
            self._finishing = [r for r in self._finishing if r.running] + [recorder]
        return recorder

    # -- shutdown -------------------------------------------------------------------

    def shutdown(self, timeout: float = 15.0) -> RecordingReport | None:
        """Stop every thread; a recording in progress is finished and its file completed."""
        recorder = self.stop_recording()
        self._stop_capture()
        self.worker.stop()
        self.worker.join(timeout=5)
        for r in self._finishing:  # no thread may signal this object after it is gone
            r.join(timeout)
        return recorder.report if recorder is not None else None
