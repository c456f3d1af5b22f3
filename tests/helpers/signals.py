"""Signals for the tests that stop a child process as a user would (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """Popen preexec_fn for the Ctrl-C tests: a shell that runs the suite as a background job
    starts it with SIGINT ignored, and children inherit that, so the signal the test sends
    would never arrive. The child gets the default action back, as in a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# --------------------------------------------------------------------------- the signal stack (Linux)
# CPython installs every Python-level handler (SIGINT's default one, our SIGTERM/SIGHUP, a
# test's SIGALRM) with SA_ONSTACK, so the kernel builds the signal frame on the thread's
# alternate signal stack when one is set. If that stack has been unmapped, the frame cannot
# be written and the process dies with SIGSEGV (si_code SI_KERNEL) instead of running the
# handler. OpenVINO's CPU plugin (2026.4) leaves it so when two Cores are freed first in,
# first out (see stylecam.models.runtime.engines); the crash then comes in whichever later
# test sends a signal, not in the test that freed them.

_spare_stacks: list = []  # stacks installed by restore_signal_stack, kept alive for good


def _libc():  # noqa: ANN202 - ctypes objects
    import ctypes

    class StackT(ctypes.Structure):
        _fields_ = [("ss_sp", ctypes.c_void_p), ("ss_flags", ctypes.c_int), ("ss_size", ctypes.c_size_t)]

    return ctypes, ctypes.CDLL(None, use_errno=True), StackT


def signal_stack_problem() -> str | None:
    """None if the calling thread has no alternate signal stack or one inside mapped,
    writable memory; else a line saying where it points (Linux only; None elsewhere)."""
    import sys

    if not sys.platform.startswith("linux"):
        return None
    ctypes, libc, StackT = _libc()
    ss = StackT()
    if libc.sigaltstack(None, ctypes.byref(ss)) != 0 or ss.ss_flags & 2 or not ss.ss_sp:  # 2: SS_DISABLE
        return None
    lo, hi = ss.ss_sp, ss.ss_sp + ss.ss_size
    covered = lo  # the stack must lie in writable mappings that follow one another
    with open("/proc/self/maps") as f:
        for line in f:  # in address order
            span, perms = line.split()[:2]
            a, b = (int(x, 16) for x in span.split("-"))
            if a <= covered < b:
                if not perms.startswith("rw"):
                    return f"the signal stack {lo:#x}+{ss.ss_size} lies in {span} {perms}"
                covered = b
                if covered >= hi:
                    return None
    what = "is not mapped (freed)" if covered == lo else "runs past its mapping"
    return f"the signal stack {lo:#x}+{ss.ss_size} {what}"


def restore_signal_stack(size: int = 64 * 1024) -> None:
    """Give the calling thread a fresh alternate signal stack that is never freed."""
    ctypes, libc, StackT = _libc()
    buf = ctypes.create_string_buffer(size)
    _spare_stacks.append(buf)
    ss = StackT(ctypes.addressof(buf), 0, size)
    if libc.sigaltstack(ctypes.byref(ss), None) != 0:
        raise OSError(ctypes.get_errno(), "sigaltstack failed")
