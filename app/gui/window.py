"""The main window: wires the live session, the style menu, the controls and the view.

Everything slow happens elsewhere: capture and inference in the session's threads,
opening styles in the engine loader, encoding in the recorder, PNG writing in a small
I/O pool. The window only reacts to signals and paints the newest frame, so its event
loop stays responsive whatever the engine's speed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PyQt6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from stylecam.app.frame_processor import FrameProcessor
from stylecam.app.gui.controls import ControlBar
from stylecam.app.gui.live import LiveSession
from stylecam.app.gui.preferences import RESOLUTIONS, Preferences
from stylecam.app.gui.style_menu import StyleMenu
from stylecam.app.gui.switcher import StyleSwitcher
from stylecam.app.gui.upscale_toggle import UpscaleToggle
from stylecam.app.gui.view import VideoView
from stylecam.app.live.engine_loader import EngineFactory, default_factory
from stylecam.app.live.mailbox import Result
from stylecam.app.live.output import default_output_dir, output_name, write_png
from stylecam.app.live.sources import FileSource, SourceError, list_cameras, make_source
from stylecam.media_types import VIDEO_SUFFIXES
from stylecam.models.runtime.engines import CHOICES

KEYS_TEXT = """0  Original (no style)
1-9  the styles of the menu, in order
Left / Right  previous / next style
Up / Down  strength +10% / -10%
S  split view (drag the divider with the mouse)
C  keep the original colours
T  steady: less flicker (temporal stabilisation)
U  upscale ×4 a low-resolution source (before the style)
P  snapshot (PNG)
R  start / stop recording (MP4)
F11  full screen, Esc  leave it
Ctrl+O  open a video file or a style;  Ctrl+Q  quit"""
MESSAGE_SECONDS = 6.0  # how long a passing problem stays written over the video


class _Relay(QObject):
    """Carries results of background helpers (camera probe, PNG writer) to the GUI thread."""

    cameras = pyqtSignal(list)
    snapshot = pyqtSignal(str, str)  # path, error ("" when saved)


class NoSourcePage(QWidget):
    """Shown instead of the video when there is nothing to show: says why, offers a file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.label = QLabel("Looking for cameras…")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.button = QPushButton("Open a video file…")
        layout.addWidget(self.label)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)


class MainWindow(QMainWindow):
    """The stylecam window. Arguments mirror ``stylecam gui``; tests inject a settings
    store, an output folder and (for slow-engine tests) an engine factory."""

    def __init__(
        self,
        prefs: Preferences | None = None,
        *,
        source: str | None = None,
        style: str | None = None,
        engine: str | None = None,
        styles_dirs: Sequence[str | Path] = (),
        engine_factory: EngineFactory = default_factory,
        output_dir: str | Path | None = None,
        probe_cameras: bool = True,
    ) -> None:
        super().__init__()
        self.prefs = prefs or Preferences()
        self.styles_dirs = [Path(d) for d in styles_dirs]
        self.output_dir = Path(output_dir) if output_dir else (Path(self.prefs.output_dir) if self.prefs.output_dir else None)
        engine = engine or self.prefs.engine
        self._initial_engine = engine if engine in CHOICES else "auto"
        self.processor = FrameProcessor(strength=self.prefs.strength, preserve_colors=self.prefs.preserve_colors,
                                        size=RESOLUTIONS[self.prefs.resolution])
        self.session = LiveSession(self)
        self._engine_factory = engine_factory
        self.relay = _Relay(self)
        self.io_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stylecam-io")
        self.last_result: Result | None = None
        self.cameras: list[int] = []
        self._message_until = 0.0
        self._record_started = 0.0
        self._closed = False
        self._emit_lock = threading.Lock()
        self._threads: list[threading.Thread] = []  # helpers to wait for when quitting
        self._source_error: str | None = None  # why the source asked for could not be opened

        self.setWindowTitle("stylecam")
        self.setAcceptDrops(True)
        self._build_view()
        self._build_controls()
        self._build_menus()
        self._build_status()
        self._connect()
        self.switcher.load_catalog(self.styles_dirs)
        self._restore(style)

        if self.prefs.geometry is not None:
            self.restoreGeometry(self.prefs.geometry)
        else:  # wide enough for the whole toolbar (Split, Snapshot, Record) and the status line
            self.resize(max(1024, self.controls.sizeHint().width() + 24), 720)

        self._start_source(source, probe_cameras)
        # Any key or click in the window counts as the user having seen an error.
        QApplication.instance().installEventFilter(self)

    # ------------------------------------------------------------------ building

    def _build_view(self) -> None:
        self.view = VideoView()
        self.no_source = NoSourcePage()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.no_source)
        self.stack.addWidget(self.view)
        self.setCentralWidget(self.stack)

    def _build_controls(self) -> None:
        self.controls = ControlBar(self)
        self.addToolBar(self.controls)
        c = self.controls
        c.strength.setValue(round(self.prefs.strength * 100))
        c.preserve.setChecked(self.prefs.preserve_colors)
        c.steady_strength.setValue(round(self.prefs.steady_strength * 100))
        c.resolution.setCurrentText(self.prefs.resolution)
        from stylecam.models.runtime.engines import ENGINE_NAMES

        c.set_engines(list(ENGINE_NAMES), ENGINE_NAMES, self._initial_engine)

    def _action(self, text: str, shortcut: str | QKeySequence | None = None, *, checkable: bool = False,
                slot: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)  # shortcuts work in full screen, when the menu bar is hidden
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action("&Open video…", QKeySequence.StandardKey.Open, slot=self.open_file_dialog)
        file_menu.addAction(self.open_action)
        self.camera_menu = file_menu.addMenu("&Camera")
        self.camera_menu.addAction("(looking for cameras…)").setEnabled(False)
        file_menu.addSeparator()
        self.snapshot_action = self._action("&Snapshot", "P", slot=self.snapshot)
        self.snapshot_action.setToolTip("Save the current stylized frame as PNG (P)")
        self.record_action = self._action("&Record", "R", checkable=True, slot=self._record_toggled)
        self.record_action.setToolTip("Record the stylized video to MP4 (R)")
        file_menu.addAction(self.snapshot_action)
        file_menu.addAction(self.record_action)
        file_menu.addSeparator()
        quit_action = self._action("&Quit", QKeySequence.StandardKey.Quit, slot=self.close)
        file_menu.addAction(quit_action)

        style_menu = bar.addMenu("&Style")
        self.style_menu = StyleMenu(style_menu, self.controls.style_combo, self)
        self.upscale = UpscaleToggle(self, self.processor, self.prefs)  # its stage runs before the style
        self.switcher = StyleSwitcher(self.style_menu, self.upscale.processor, self.session, self.prefs,
                                      self._engine_factory, self._initial_engine, self)
        self.addAction(self.style_menu.next_action)
        self.addAction(self.style_menu.prev_action)

        view_menu = bar.addMenu("&View")
        self.split_action = self._action("&Split view (original | stylized)", "S", checkable=True,
                                         slot=self._split_toggled)
        self.preserve_action = self._action("Keep &colours", "C", checkable=True)
        self.preserve_action.toggled.connect(self.controls.preserve.setChecked)
        self.stronger_action = self._action("Stronger", Qt.Key.Key_Up, slot=lambda: self._nudge_strength(+10))
        self.weaker_action = self._action("Weaker", Qt.Key.Key_Down, slot=lambda: self._nudge_strength(-10))
        self.fullscreen_action = self._action("&Full screen", "F11", checkable=True, slot=self._fullscreen_toggled)
        self.leave_fullscreen_action = self._action("Leave full screen", "Esc",
                                                    slot=lambda: self.fullscreen_action.setChecked(False))
        for action in (self.split_action, self.preserve_action, self.stronger_action, self.weaker_action,
                       self.fullscreen_action):
            view_menu.addAction(action)
        self.steady_action = self._action("S&teady (less flicker)", "T", checkable=True)
        self.steady_action.toggled.connect(self.controls.steady.setChecked)
        view_menu.addAction(self.steady_action)
        view_menu.addAction(self.upscale.action)
        self.split_action.setIconText("Split")
        self.snapshot_action.setIconText("Snapshot")
        self.record_action.setIconText("Record")
        self.controls.add_actions(self.split_action, self.snapshot_action, self.record_action, self.upscale.action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&Keys", self._show_keys)

    def _show_keys(self) -> None:
        from PyQt6.QtWidgets import QMessageBox

        QMessageBox.information(self, "stylecam keys", KEYS_TEXT)

    def _build_status(self) -> None:
        # Errors stay here until the user acts (a key, a click, a new choice): a message
        # over the video fades, and a problem found while the window was opening (a
        # broken --style or --source) would otherwise be gone before anyone looked.
        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setStyleSheet("QLabel#error { color: #b00020; font-weight: bold; }")
        self.error_label.hide()
        self.statusBar().addWidget(self.error_label, 1)
        self.status_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # indeterminate: engine builds do not report a fraction
        self.progress.setMaximumWidth(120)
        self.progress.hide()
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.status_label)
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(500)
        self.status_timer.timeout.connect(self._update_status)
        self.status_timer.start()

    def _connect(self) -> None:
        s = self.session
        s.resultReady.connect(self._show_result)
        s.problem.connect(self._source_problem)
        s.processingError.connect(self.show_message)
        s.recovered.connect(self._source_recovered)
        s.recordingFinished.connect(self._recording_finished)
        self.switcher.engineRunning.connect(self._engine_running)
        self.switcher.busy.connect(self._busy)
        self.switcher.message.connect(self.show_message)
        self.switcher.enginesFound.connect(self._engines_found)
        self.relay.cameras.connect(self._cameras_found)
        self.relay.snapshot.connect(self._snapshot_saved)
        self.no_source.button.clicked.connect(self.open_file_dialog)
        c = self.controls
        c.strength.valueChanged.connect(self._strength_changed)
        c.preserve.toggled.connect(self._preserve_toggled)
        c.steady.toggled.connect(self._steady_changed)
        c.steady_strength.valueChanged.connect(self._steady_changed)
        c.resolution.currentTextChanged.connect(self._resolution_changed)
        c.engine.currentTextChanged.connect(self.switcher.set_engine_choice)

    # ------------------------------------------------------------------ styles

    def _restore(self, style: str | None) -> None:
        self.split_action.setChecked(self.prefs.split)
        self.preserve_action.setChecked(self.prefs.preserve_colors)
        self.controls.steady.setChecked(self.prefs.steady)
        wanted = style or self.prefs.style
        index = self.style_menu.index_of(wanted) if wanted else None
        if index is None and wanted:
            index = self.switcher.add_style_file(wanted, self.styles_dirs, complain=style is not None)
        if index is None:  # first run: the first usable style, the point of the app
            index = self.switcher.first_usable()
        self.switcher.choose(index)


    def _engine_running(self, engine: Any) -> None:
        self.controls.engine_label.setText(self.switcher.engine_text())
        self.controls.engine_label.setToolTip(
            f"{engine.name}: {getattr(engine, 'label', engine.provider)} ({getattr(engine, 'path', '')})"
            if engine is not None else "")
        self._update_status()

    def _busy(self, text: str) -> None:
        self.progress.setVisible(bool(text))
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def _engines_found(self, available: list[str]) -> None:
        from stylecam.models.runtime.engines import ENGINE_NAMES

        self.controls.set_engines(available, ENGINE_NAMES, self.switcher.engine_choice)

    # ------------------------------------------------------------------ sources

    def _start_source(self, source: str | None, probe_cameras: bool) -> None:
        spec = source if source is not None else self.prefs.source
        if spec and (spec.isdigit() or Path(spec).is_file() or source is not None):
            if self.open_source(spec):
                if probe_cameras:
                    self._probe_cameras(start_first=False)
                return
        if probe_cameras:
            self._probe_cameras(start_first=True)
        else:
            self._show_no_source("No source: open a video file (File > Open, or drop one here).")

    def _probe_cameras(self, start_first: bool) -> None:
        self._start_first_camera = start_first

        def probe() -> None:
            try:
                found = list_cameras()
            except Exception:
                found = []
            self._emit(self.relay.cameras, found)

        thread = threading.Thread(target=probe, name="camera-probe", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _cameras_found(self, found: list[int]) -> None:
        self.cameras = found
        self.camera_menu.clear()
        for index in found:
            self.camera_menu.addAction(f"Camera {index}", lambda i=index: self.open_source(str(i)))
        if not found:
            self.camera_menu.addAction("(no camera found)").setEnabled(False)
        self.camera_menu.addSeparator()
        self.camera_menu.addAction("Look again", lambda: self._probe_cameras(start_first=self.session.source is None))
        if getattr(self, "_start_first_camera", False) and self.session.source is None:
            if found:
                self.open_source(str(found[0]))
            elif self._source_error:  # the failure the user asked about stays the first thing said
                self._show_no_source(f"{self._source_error}\n\nNo camera was found either. Open another video "
                                     "file (File > Open, or drop a file on this window).")
            else:
                self._show_no_source("No camera was found. Open a video file to stylize it instead "
                                     "(File > Open, or drop a file on this window).")

    def _show_no_source(self, text: str) -> None:
        self.no_source.label.setText(text)
        self.stack.setCurrentWidget(self.no_source)

    def open_source(self, spec: str | Path) -> bool:
        """Switch to a camera index or a video file. A file that cannot be opened is
        reported and the old source keeps running; a camera is opened by the capture
        thread, which reports (and retries) one that is not there."""
        source = make_source(str(spec))
        try:
            self.session.set_source(source)
            self.processor.restart()  # Steady: a new source is a new clip
        except SourceError as e:
            self._source_error = str(e)
            self.show_message(str(e))
            if self.session.source is None:
                self._show_no_source(f"{e}\n\nOpen another video file, or choose a camera in File > Camera.")
            return False
        self._source_error = None
        if self.record_action.isChecked():  # the recording belonged to the old source
            self.record_action.blockSignals(True)
            self.record_action.setChecked(False)
            self.record_action.blockSignals(False)
        self.prefs.source = str(spec)
        self.stack.setCurrentWidget(self.view)
        self.last_result = None
        self.view.clear()
        self.setWindowTitle(f"stylecam — {self._source_text()}")
        self.show_message("")
        return True

    def _source_text(self) -> str:
        src = self.session.source
        return src.description if src is not None else "no source"

    def open_file_dialog(self) -> None:
        filters = "Videos (" + " ".join(f"*{s}" for s in VIDEO_SUFFIXES) + ");;Styles (*.onnx);;All files (*)"
        path, _ = QFileDialog.getOpenFileName(self, "Open a video or a style", "", filters)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> None:
        """A dropped or chosen file: a ``.onnx`` becomes a style, anything else a source."""
        path = Path(path)
        if path.suffix.lower() == ".onnx":
            index = self.switcher.add_style_file(str(path), self.styles_dirs)
            if index is not None:
                self.switcher.choose(index)
        else:
            self.open_source(path)

    def _source_problem(self, message: str, fatal: bool) -> None:
        """Stays on screen until the source is back or another one is chosen."""
        self.show_message(message, None)
        if fatal and isinstance(self.session.source, FileSource) and self.last_result is None:
            self._show_no_source(f"{message}\n\nOpen another video file.")

    # ------------------------------------------------------------------ frames

    def _show_result(self) -> None:
        result = self.session.take_result()
        if result is None or self._closed:
            return
        self.last_result = result
        self.view.show_frames(result.frame.image, result.stylized)

    def show_message(self, text: str, seconds: float | None = MESSAGE_SECONDS, *, error: bool = True) -> None:
        """Write a problem over the video, where it fades after ``seconds``; an error also
        stays in the status bar until the user acts (:meth:`dismiss_error`). An empty
        text clears the video only: it never hides an error nobody has seen."""
        self.view.set_message(text)
        self._message_until = time.monotonic() + seconds if seconds else float("inf")
        if text and error:
            self.report_error(text)
        elif text:
            self.statusBar().showMessage(text, int(seconds * 1000) if seconds else 0)

    def report_error(self, text: str) -> None:
        """Show ``text`` in the status bar until the next key press, click or choice."""
        from stylecam.app.safe_names import one_line

        self.error_label.setText(f"⚠ {one_line(text, limit=400)}")
        self.error_label.setToolTip(str(text))
        self.error_label.show()

    @property
    def error_text(self) -> str:
        """The error on show ("" when none), for tests and the status line."""
        return self.error_label.text().removeprefix("⚠ ") if not self.error_label.isHidden() else ""

    def dismiss_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress) and not self.error_label.isHidden():
            if isinstance(obj, QWidget) and obj.window() is self:
                self.dismiss_error()
        return False

    def _source_recovered(self) -> None:
        self.dismiss_error()  # the problem it reported is over
        self.show_message(f"{self._source_text()} is back", MESSAGE_SECONDS / 2, error=False)

    def join_background(self, timeout: float) -> bool:
        """Wait for the helper threads (a style being opened, the camera probe) to finish
        after the window closed; False if one is still running after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        threads = [*self._threads, getattr(self.switcher.loader, "_thread", None),
                   getattr(self.upscale.loader, "_thread", None)]
        for thread in threads:
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t is not None and t.is_alive() for t in threads)

    def _update_status(self) -> None:
        if self.view.message and time.monotonic() > self._message_until:
            self.view.set_message("")
        s = self.session
        parts = [f"shown {s.shown.rate():.1f} fps", f"processed {s.worker.processed.rate():.1f} fps",
                 f"latency {s.latency.mean() * 1000:.0f} ms"]
        if self.last_result is not None:
            h, w = self.last_result.frame.image.shape[:2]
            parts.append(f"{w}×{h} @ {self.controls.resolution.currentText()}")
        engine = self.switcher.active_engine
        parts.append(f"{engine.name} ({getattr(engine, 'label', engine.provider)})" if engine is not None else "original")
        if s.recorder is not None:
            parts.append(f"● REC {time.monotonic() - self._record_started:.0f} s")
        self.status_label.setText("  |  ".join(parts))
        self.status_label.setToolTip(
            f"frames read {s.captured}, processed {s.worker.processed.total}, shown {s.shown.total}; "
            f"{s.frames.dropped} stale frames dropped (newest-frame-only: inference never queues)")

    # ------------------------------------------------------------------ controls

    def _strength_changed(self, value: int) -> None:
        self.processor.strength = value / 100
        self.prefs.strength = value / 100

    def _nudge_strength(self, delta: int) -> None:
        self.controls.strength.setValue(max(0, min(100, self.controls.strength.value() + delta)))

    def _steady_changed(self, *_: object) -> None:
        """Temporal stabilisation on/off and its strength (app/stabilize.py)."""
        c = self.controls
        self.processor.stabilize = c.steady_strength.value() / 100 if c.steady.isChecked() else 0.0
        self.prefs.steady, self.prefs.steady_strength = c.steady.isChecked(), c.steady_strength.value() / 100
        if self.steady_action.isChecked() != c.steady.isChecked():
            self.steady_action.setChecked(c.steady.isChecked())

    def _preserve_toggled(self, on: bool) -> None:
        self.processor.preserve_colors = on
        self.prefs.preserve_colors = on
        if self.preserve_action.isChecked() != on:
            self.preserve_action.setChecked(on)

    def _resolution_changed(self, text: str) -> None:
        if text in RESOLUTIONS:
            self.processor.size = RESOLUTIONS[text]
            self.prefs.resolution = text

    def _split_toggled(self, on: bool) -> None:
        self.view.set_split(on)
        self.prefs.split = on

    def _fullscreen_toggled(self, on: bool) -> None:
        for w in (self.menuBar(), self.controls, self.statusBar()):
            w.setVisible(not on)
        if on:
            self.showFullScreen()
        else:
            self.showNormal()

    # ------------------------------------------------------------------ snapshot and record

    def _folder(self, kind: str) -> Path:
        return self.output_dir if self.output_dir is not None else default_output_dir(kind)

    def snapshot(self) -> Path | None:
        """Save the stylized frame on screen as PNG (written off the GUI thread)."""
        result = self.last_result
        if result is None:
            self.show_message("nothing to save yet")
            return None
        path = output_name(self._folder("snapshot"), result.style, ".png")
        frame = result.stylized

        def save() -> None:
            try:
                write_png(path, frame)
                self._emit(self.relay.snapshot, str(path), "")
            except Exception as e:
                self._emit(self.relay.snapshot, str(path), f"{type(e).__name__}: {e}")

        self.io_pool.submit(save)
        return path

    def _snapshot_saved(self, path: str, error: str) -> None:
        if error:
            self.show_message(f"snapshot not saved: {error}")
        else:
            self.statusBar().showMessage(f"Saved {path}", 5000)

    def _record_toggled(self, on: bool) -> None:
        if on:
            if self.session.source is None:
                self.show_message("nothing to record: open a source first")
                self.record_action.setChecked(False)
                return
            path = output_name(self._folder("recording"), self.style_menu.name_of(self.switcher.running), ".mp4")
            try:
                self.session.start_recording(path)
            except Exception as e:
                self.show_message(f"cannot record: {e}")
                self.record_action.setChecked(False)
                return
            self._record_started = time.monotonic()
            self.statusBar().showMessage(f"Recording to {path}", 3000)
        else:
            self.session.stop_recording()

    def _recording_finished(self, report: Any) -> None:
        if report.error:
            self.show_message(report.error)
        else:
            note = f", {report.dropped} frames left out" if report.dropped else ""
            note += f"; {report.note}" if report.note else ""
            self.statusBar().showMessage(f"Saved {report.path} ({report.frames} frames, {report.seconds:.1f} s{note})",
                                         8000)

    def _emit(self, signal: Any, *args: Any) -> None:
        """Emit from a helper thread, unless the window has closed (its objects may be gone)."""
        with self._emit_lock:
            if not self._closed:
                signal.emit(*args)

    # ------------------------------------------------------------------ window events

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_path(url.toLocalFile())
                event.acceptProposedAction()
                return

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop every thread; a recording in progress is finished into a playable file."""
        if not self._closed:
            with self._emit_lock:
                self._closed = True
            self.status_timer.stop()
            if not self.isFullScreen():
                self.prefs.geometry = self.saveGeometry()
            self.prefs.sync()
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            self.switcher.shutdown()
            self.upscale.shutdown()
            self.session.shutdown()
            self.io_pool.shutdown(wait=True)
        super().closeEvent(event)
