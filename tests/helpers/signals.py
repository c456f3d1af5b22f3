"""Signals for the tests that stop a child process as a user would (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """Popen preexec_fn for the Ctrl-C tests: a shell that runs the suite as a background job
    starts it with SIGINT ignored, and children inherit that, so the signal the test sends
    would never arrive. The child gets the default action back, as in a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
