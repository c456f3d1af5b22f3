"""Waiting inside the Qt event loop, for the benches that drive the real window."""

from __future__ import annotations

import time
from collections.abc import Callable

from PyQt6.QtCore import QEventLoop, QTimer


def wait(cond: Callable[[], bool], seconds: float, poll_ms: int = 50) -> bool:
    """Run the event loop until ``cond()`` or ``seconds`` pass (no busy polling): the
    window keeps painting and its threads keep delivering while a bench waits."""
    if cond():
        return True
    deadline = time.monotonic() + seconds
    loop, timer = QEventLoop(), QTimer()
    timer.setInterval(poll_ms)
    timer.timeout.connect(lambda: loop.quit() if cond() or time.monotonic() > deadline else None)
    timer.start()
    loop.exec()
    timer.stop()
    return bool(cond())
