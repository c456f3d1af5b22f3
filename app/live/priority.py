"""Background threads yield to the GUI thread: the recorder and the engine loader lower
their own priority so that the preview stays smooth on a busy machine."""

from __future__ import annotations

import os
import sys
import threading


def lower_priority(nice: int = 5) -> None:
    """Make the calling thread (and the encoder threads it starts) yield the CPU to the GUI
    thread when the machine is busy. Linux only (threads are tasks there); elsewhere a no-op."""
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except OSError:
            pass
