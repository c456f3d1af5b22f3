"""Starting the Qt application around the main window."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

#: How long quitting waits for a style that is still being opened (OpenVINO compiles and
#: ``auto``'s timing take a few seconds on a CPU) before leaving without finalisers.
JOIN_SECONDS = 30.0


def run(source: str | None = None, style: str | None = None, engine: str | None = None,
        styles_dirs: Sequence[str | Path] = ()) -> int:
    """Open the window and run the event loop until it closes; returns the exit status."""
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from stylecam.app.gui.preferences import APPLICATION, ORGANISATION
    from stylecam.app.gui.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("stylecam")
    window = MainWindow(source=source, style=style, engine=engine, styles_dirs=styles_dirs)
    window.show()
    # Ctrl-C in the terminal (or a TERM or HUP from the session) closes the window the
    # normal way, so a recording in progress is finished. Python only sees signals when it
    # runs, hence the idle timer.
    for sig in (signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])):
        signal.signal(sig, lambda *_: window.close())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    code = int(app.exec())
    window.close()  # idempotent: stops the threads if the loop ended another way
    # Background threads may be inside OpenVINO or ONNX Runtime (opening a style takes
    # seconds); an interpreter that shuts down under them aborts ("terminate called
    # without an active exception") or crashes. Wait for them; if one is stuck (a first
    # TensorRT build can take minutes), leave without running the finalisers.
    if not window.join_background(timeout=JOIN_SECONDS):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
