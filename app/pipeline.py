"""The batch pipeline: three stages in three threads (decode -> process -> encode), and an
optional fourth (decode -> process -> finish -> encode).

:func:`run_pipeline` joins the stages by small bounded queues, so a file is stylized at
the speed of its slowest stage rather than the sum of all three, while memory stays
bounded by the queue sizes. numpy, OpenCV, PyAV and the inference runtimes all release
the GIL in their heavy work, so the threads really run in parallel. What happens to each
frame is ``stylecam.app.frame_processor``'s job; the live counterpart (newest frame
only, never a queue) is ``stylecam.app.live``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")



class Cancelled(Exception):
    """The pipeline was stopped by its cancel event before the source ended."""


@dataclass
class PipelineStats:
    """Seconds each stage spent working (not waiting); the largest is the bottleneck."""

    items: int = 0
    source_s: float = 0.0
    transform_s: float = 0.0
    finish_s: float = 0.0
    sink_s: float = 0.0
    wall_s: float = 0.0


_END = object()
_POLL_S = 0.05


def _put(q: queue.Queue, item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _get(q: queue.Queue, stop: threading.Event) -> object:
    while not stop.is_set():
        try:
            return q.get(timeout=_POLL_S)
        except queue.Empty:
            continue
    return _END


class _Stage(threading.Thread):
    """A pipeline stage's thread that says when its work is over (``done``).

    ``Thread.join`` cannot be trusted once a signal handler has raised into it: up to
    Python 3.12, an interrupted join marks the thread as stopped while it still runs
    (CPython's bpo-45274 fix), so a second join returns at once. ``done`` is set by the
    thread itself, so waiting on it stays right however often the wait is interrupted.

    With ``go`` given, the work waits until ``go`` is set and is skipped if ``stop`` comes
    first. ``Thread.start`` itself can be interrupted by a signal handler after the thread
    began, and such a stage is on no list its caller joins (CI crashed with -11 after
    "stopped by SIGTERM", the decode thread still in the demuxer its caller had closed).
    Gated, that stage never touches the source or the sink."""

    def __init__(self, target: Callable[[], None], name: str, go: threading.Event | None = None,
                 stop: threading.Event | None = None) -> None:
        super().__init__(name=name, daemon=True)
        self._work = target
        self._go, self._stop = go, stop
        self.done = threading.Event()

    def run(self) -> None:
        try:
            if self._go is None or self._gate_opened():
                self._work()
        finally:
            self.done.set()

    def _gate_opened(self) -> bool:
        assert self._go is not None
        while not self._go.wait(_POLL_S):
            if self._stop is not None and self._stop.is_set():
                return False
        return True


def _join_all(stages: list[_Stage]) -> None:
    """Wait until every started stage has finished, even if a signal handler (SIGTERM,
    SIGHUP, Ctrl-C) raises while we wait: the caller closes the reader and writer next, and
    a demuxer or muxer freed under a thread still inside it crashes the process (seen in
    CI: -11 after "stopped by SIGHUP"). The first such exception is raised after the wait."""
    pending: BaseException | None = None
    for stage in stages:
        while True:
            try:
                if stage.done.wait(_POLL_S):
                    break
            except BaseException as e:  # noqa: BLE001 - re-raised below, after the waits
                pending = pending or e
    if pending is not None:
        raise pending


def run_pipeline(
    source: Iterable[T],
    transform: Callable[[T], U],
    sink: Callable[[U], None],
    *,
    finish: Callable[[U], U] | None = None,
    queue_size: int = 6,
    cancel: threading.Event | None = None,
) -> PipelineStats:
    """Run ``sink(transform(item))`` for every item of ``source``, three stages at once
    (``sink(finish(transform(item)))``, four, when ``finish`` is given).

    ``source`` is iterated in a reader thread, ``transform`` runs in the calling thread
    (so Ctrl-C lands where it can stop everything), ``finish`` in a thread of its own (the
    second half of work that must stay in order, such as a temporal filter, overlapped
    with the next item's ``transform``) and ``sink`` runs in a writer thread; items keep
    their order. The first exception raised by any stage stops them all and is
    re-raised here, with its own traceback. Setting ``cancel`` stops the run and raises
    :class:`Cancelled`. When this returns or raises, every stage's thread has finished,
    so the caller may close the source and the sink at once.
    """
    cancel = cancel or threading.Event()
    stop = threading.Event()  # any stage failed, or the run was cancelled
    inbox: queue.Queue = queue.Queue(maxsize=queue_size)
    outbox: queue.Queue = queue.Queue(maxsize=queue_size)
    finished: queue.Queue = queue.Queue(maxsize=queue_size) if finish is not None else outbox
    errors: list[BaseException] = []
    stats = PipelineStats()
    started = time.perf_counter()

    def fail(e: BaseException) -> None:
        errors.append(e)
        stop.set()

    def read() -> None:
        it = None
        try:
            it = iter(source)
            while not stop.is_set():
                t = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    break
                finally:
                    stats.source_s += time.perf_counter() - t
                if not _put(inbox, item, stop):
                    return
            _put(inbox, _END, stop)
        except BaseException as e:
            fail(e)
        finally:
            # Finish a generator source here, in its own thread, while what it reads from is
            # still open: left suspended, it would be finalised later (at exit, say), after the
            # caller closed the file under it, and a demuxer freed twice crashes the process.
            close = getattr(it, "close", None)
            if close is not None:
                try:
                    close()
                except BaseException as e:  # noqa: BLE001 - reported like any stage's failure
                    fail(e)

    def finish_all() -> None:
        try:
            while True:
                item = _get(outbox, stop)
                if item is _END:
                    break
                t = time.perf_counter()
                done = finish(item)  # type: ignore[misc]
                stats.finish_s += time.perf_counter() - t
                if not _put(finished, done, stop):
                    return
            _put(finished, _END, stop)
        except BaseException as e:
            fail(e)

    def write() -> None:
        try:
            while True:
                item = _get(finished, stop)
                if item is _END:
                    return
                t = time.perf_counter()
                sink(item)  # type: ignore[arg-type]
                stats.sink_s += time.perf_counter() - t
                stats.items += 1
        except BaseException as e:
            fail(e)

    go = threading.Event()  # every stage started and listed: they may begin their work
    threads = [_Stage(read, "stylecam-decode", go, stop), _Stage(write, "stylecam-encode", go, stop)]
    if finish is not None:
        threads.append(_Stage(finish_all, "stylecam-finish", go, stop))
    started_threads: list[_Stage] = []
    try:
        for th in threads:  # a signal raised inside start() hides a thread that runs: gated
            th.start()
            started_threads.append(th)
        go.set()
        while True:
            if cancel.is_set():
                raise Cancelled()
            item = _get(inbox, stop)
            if item is _END:
                break
            t = time.perf_counter()
            out = transform(item)  # type: ignore[arg-type]
            stats.transform_s += time.perf_counter() - t
            if not _put(outbox, out, stop):
                break
        _put(outbox, _END, stop)
        # Wait for the writer to finish the queue, still honouring cancel.
        while not threads[1].done.wait(_POLL_S):
            if cancel.is_set():
                raise Cancelled()
    finally:
        stop.set()  # a no-op after a clean run: both threads are already done
        _join_all(started_threads)
        stats.wall_s = time.perf_counter() - started
    if errors:
        raise errors[0]
    if cancel.is_set():
        raise Cancelled()
    return stats
