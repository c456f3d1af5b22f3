"""The live session as the window sees it: ``stylecam.app.live.session.Session`` with its
callbacks turned into Qt signals, which arrive on the GUI thread."""

from __future__ import annotations

from PyQt6.QtCore import QObject, pyqtSignal

from stylecam.app.live.session import Session


class LiveSession(QObject):
    """A :class:`Session` (``core``) that signals; its parts and methods are the core's."""

    resultReady = pyqtSignal()  # a new Result waits in ``results``; at most one pending
    problem = pyqtSignal(str, bool)  # a source problem: message, fatal (the source stopped)
    processingError = pyqtSignal(str)  # the engine failed on a frame (the original is shown)
    recovered = pyqtSignal()
    recordingFinished = pyqtSignal(object)  # RecordingReport

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core = Session(on_result=self.resultReady.emit, on_problem=self.problem.emit,
                            on_processing_error=self.processingError.emit, on_recovered=self.recovered.emit,
                            on_recording_finished=self.recordingFinished.emit)
        c = self.core
        # The parts, shared (they are objects, not copies) ...
        self.frames, self.results, self.worker = c.frames, c.results, c.worker
        self.shown, self.latency = c.shown, c.latency
        # ... and the methods.
        self.set_source, self.set_processor, self.take_result = c.set_source, c.set_processor, c.take_result
        self.start_recording, self.stop_recording, self.shutdown = c.start_recording, c.stop_recording, c.shutdown

    # What changes over the session's life is read from the core each time.
    @property
    def source(self):
        return self.core.source

    @property
    def capture(self):
        return self.core.capture

    @property
    def recorder(self):
        return self.core.recorder

    @property
    def captured(self) -> int:
        return self.core.captured
