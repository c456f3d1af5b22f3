"""The window's "Upscale ×4" toggle (View menu, toolbar, key U): a low-resolution source is
upscaled by the bundled super-resolution net before the style runs.

The frame logic is Qt-free (``stylecam.app.live.source_upscale``); this module owns the
action, the preference, the background load of the upscaler (the engine loader of the
styles, with its own thread) and a status-bar label that says what the toggle does now:
running, loading, off, not found, or not applied because the source is already large.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QLabel, QMainWindow

from stylecam.app.gui.preferences import Preferences
from stylecam.app.live.engine_loader import EngineLoader
from stylecam.app.live.source_upscale import MAX_SOURCE_SIDE, UpscaledProcessor, why_not

FACTOR = 4
TEXT = f"&Upscale ×{FACTOR} (low-resolution sources)"
HELP = (f"Upscale a low-resolution source ×{FACTOR} with the super-resolution net before the style (U); "
        f"for sources up to {MAX_SOURCE_SIDE} pixels on their long side")


def open_live_upscaler(path: Path, engine: str) -> Any:
    """The upscaler's engine (on a CPU its real-time version) in tiles, as ``stylecam upscale`` runs it."""
    from stylecam.app.upscale import TiledUpscaler, open_upscaler_engine
    from stylecam.models.style.format import read_style_metadata

    factor = int(read_style_metadata(path).get("factor") or FACTOR)
    return TiledUpscaler(open_upscaler_engine(path, engine, full_net=False, precision="auto"), factor)


class _Signals(QObject):
    loaded = pyqtSignal(str, object)
    failed = pyqtSignal(str, str)


class UpscaleToggle(QObject):
    """``processor`` is what the style switcher hands the live session: this toggle's
    upscaling stage in front of the window's frame processor."""

    def __init__(self, window: QMainWindow, inner: Any, prefs: Preferences,
                 upscalers_dirs: Sequence[Path] = (), engine: str = "auto") -> None:
        super().__init__(window)
        self.window = window
        self.prefs = prefs
        self.processor = UpscaledProcessor(inner)
        self.processor.factor = FACTOR
        self.engine_choice = engine
        self.info: Any = None
        self.problem = ""  # why there is no upscaler ("" when one was found and loads)
        self.loading = False
        self.action = QAction(TEXT, window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("U"))
        self.action.setIconText(f"×{FACTOR}")
        self.action.setToolTip(HELP)
        window.addAction(self.action)  # the key works in full screen too
        self.label = QLabel("")
        self.label.setObjectName("upscale")
        window.statusBar().addPermanentWidget(self.label)

        self.signals = _Signals(self)
        self.signals.loaded.connect(self._loaded)
        self.signals.failed.connect(self._failed)
        self.loader = EngineLoader(open_live_upscaler, on_loaded=self.signals.loaded.emit,
                                   on_failed=self.signals.failed.emit)
        self._find(upscalers_dirs)
        self.action.setChecked(prefs.upscale and not self.problem)
        self.action.toggled.connect(self._toggled)
        if self.action.isChecked():
            self._toggled(True)
        elif prefs.upscale and self.problem:  # asked for last time, impossible now: say so once,
            QTimer.singleShot(0, lambda: self._report(f"Upscale ×{FACTOR} is off: {self.problem}"))  # window built
        self.timer = QTimer(self)
        self.timer.setInterval(300)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def _find(self, dirs: Sequence[Path]) -> None:
        from stylecam.app.upscale import find_upscaler
        from stylecam.models.errors import StyleError

        try:
            self.info = find_upscaler(None, FACTOR, list(dirs))
        except StyleError as e:
            self.problem = e.problem if hasattr(e, "problem") else str(e)

    # -- reacting -------------------------------------------------------------------

    def _toggled(self, on: bool) -> None:
        self.prefs.upscale = on
        self.processor.enabled = on
        if on and self.processor.upscaler is None and self.info is not None and not self.loading:
            self.loading = True
            self.loader.request("upscaler", self.info.path, self.engine_choice)
        self.refresh()

    def _loaded(self, _key: str, upscaler: Any) -> None:
        self.loading = False
        self.processor.upscaler = upscaler
        self.refresh()

    def _failed(self, _key: str, reason: str) -> None:
        self.loading = False
        self.problem = f"the upscaler {self.info.name!r} cannot be used: {reason}"
        self.action.setChecked(False)
        self._report(f"Upscale ×{FACTOR}: {self.problem}")
        self.refresh()

    def _report(self, text: str) -> None:
        """An error in the window's status bar, there until the person acts."""
        report = getattr(self.window, "report_error", None)
        if report is not None:
            report(text)

    def refresh(self) -> None:
        """Action enabled or not, with the reason in its tooltip; the status label."""
        size = self.processor.last_size
        large = why_not(*size, FACTOR) if size is not None else ""
        if self.problem:
            self.action.setEnabled(False)
            self.action.setText(f"Upscale ×{FACTOR} (unavailable)")
            self.action.setToolTip(f"Upscale ×{FACTOR} is unavailable: {self.problem}")
            text = f"×{FACTOR}: no upscaler" if self.info is None else f"×{FACTOR}: unavailable"
        elif large:
            self.action.setEnabled(False)
            self.action.setText(f"Upscale ×{FACTOR} (source already large)")
            self.action.setToolTip(f"Not needed: {large}")
            text = f"×{FACTOR}: source already large" if self.action.isChecked() else ""
        else:
            self.action.setEnabled(True)
            self.action.setText(TEXT)
            self.action.setToolTip(HELP)
            if not self.action.isChecked():
                text = ""
            elif self.loading or self.processor.upscaler is None:
                text = f"×{FACTOR}: loading {self.info.name}…"
            else:
                engine = getattr(self.processor.upscaler, "engine", None)
                label = getattr(engine, "label", getattr(engine, "name", ""))
                text = f"×{FACTOR} {self.info.name} ({label})"
        self.label.setText(text)
        self.label.setToolTip(self.action.toolTip())

    @property
    def status(self) -> str:
        return self.label.text()

    def shutdown(self) -> None:
        self.timer.stop()
        self.loader.shutdown()
