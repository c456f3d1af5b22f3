"""Starting the Qt application around the main window."""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from pathlib import Path


def run(source: str | None = None, style: str | None = None, engine: str | None = None,
        styles_dirs: Sequence[str | Path] = ()) -> int:
    """Open the window and run the event loop until it closes; returns the exit status."""
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from stylecam.app.gui.settings import APPLICATION, ORGANISATION
    from stylecam.app.gui.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("stylecam")
    window = MainWindow(source=source, style=style, engine=engine, styles_dirs=styles_dirs)
    window.show()
    # Ctrl-C in the terminal (or a TERM from the session) closes the window the normal
    # way, so a recording in progress is finished. Python only sees signals when it runs,
    # hence the idle timer.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: window.close())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    return int(app.exec())
