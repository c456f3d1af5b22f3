"""app.pipeline: the frame processor (real engine, toy style) and the threaded pipeline."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from stylecam.app import pipeline
from stylecam.app.frame_processor import FrameProcessor
from stylecam.app.pipeline import Cancelled, run_pipeline
from stylecam.models.runtime.engines import open_engine

from helpers.media import pan
from helpers.media import photo as media_photo


@pytest.fixture(scope="module")
def negative_engine(toy_styles_dir: Path):
    return open_engine(toy_styles_dir / "negative.onnx", "cpu")


@pytest.fixture
def photo() -> np.ndarray:
    return cv2.imread("tests/data/chelsea.jpg")


def test_processor_runs_the_engine(negative_engine, photo: np.ndarray) -> None:
    out = FrameProcessor(negative_engine)(photo)
    assert np.array_equal(out, 255 - photo)


def test_processor_original_and_strength_zero_pass_through(negative_engine, photo: np.ndarray) -> None:
    assert FrameProcessor(None)(photo) is photo
    assert FrameProcessor(negative_engine, strength=0.0)(photo) is photo
    half = FrameProcessor(negative_engine, strength=0.5)(photo).astype(int)
    assert np.abs(half - 127.5).max() <= 1


def test_processor_size_keeps_output_size(negative_engine, photo: np.ndarray) -> None:
    p = FrameProcessor(negative_engine, size=64, preserve_colors=True)
    assert p(photo).shape == photo.shape
    odd = np.ascontiguousarray(photo[:121, :161])
    assert p(odd).shape == odd.shape


def test_processor_scales_up_frames_below_the_engine_minimum(negative_engine) -> None:
    tiny = np.full((6, 9, 3), 10, np.uint8)
    out = FrameProcessor(negative_engine)(tiny)
    assert out.shape == tiny.shape and (out == 245).all()


def test_processor_rejects_bad_settings(negative_engine) -> None:
    p = FrameProcessor(negative_engine)
    with pytest.raises(ValueError):
        p.strength = 1.5
    with pytest.raises(ValueError):
        p.size = 0
    with pytest.raises(TypeError):
        p.configure(colour=True)


def test_processor_swaps_engines_while_running(negative_engine, photo: np.ndarray) -> None:
    """Every frame is wholly one style or the other, never a mixture, while another
    thread flips the style as fast as it can (the GUI's style menu)."""
    p = FrameProcessor(negative_engine)
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            p.engine = None
            p.engine = negative_engine

    th = threading.Thread(target=flip)
    th.start()
    try:
        seen = set()
        for _ in range(40):
            out = p(photo)
            if np.array_equal(out, photo):
                seen.add("original")
            else:
                assert np.array_equal(out, 255 - photo)
                seen.add("negative")
    finally:
        stop.set()
        th.join()
    assert seen  # and no frame was a mixture


def test_pipeline_keeps_order_and_every_item() -> None:
    out: list[int] = []
    stats = run_pipeline(range(200), lambda x: x * 2, out.append, queue_size=4)
    assert out == [2 * i for i in range(200)]
    assert stats.items == 200


def test_pipeline_overlaps_stages() -> None:
    """The three stages work at the same time: each waits at one three-party barrier (the
    source before item 6, the transform on item 3, the sink on item 0), which only opens
    when all three are busy at once. Run one after the other, the stages would never meet
    and the barrier's timeout would break it (an event waited for, not a duration)."""
    meet = threading.Barrier(3, timeout=30)

    def source():
        for i in range(20):
            if i == 6:
                meet.wait()
            yield i

    def transform(x: int) -> int:
        if x == 3:
            meet.wait()
        return x

    out: list[int] = []

    def sink(x: int) -> None:
        if x == 0:
            meet.wait()
        out.append(x)

    stats = run_pipeline(source(), transform, sink, queue_size=4)
    assert out == list(range(20)) and stats.items == 20
    assert not meet.broken


def test_pipeline_finish_stage_overlaps_the_transform_and_keeps_order() -> None:
    """With ``finish``, four stages work at once (a four-party barrier: source before item
    8, transform on item 5, finish on item 2, sink on item 0), every item passes through
    finish exactly once, in order, in a thread of its own."""
    meet = threading.Barrier(4, timeout=30)
    finish_threads: set[str] = set()

    def source():
        for i in range(20):
            if i == 8:
                meet.wait()
            yield i

    def transform(x: int) -> int:
        if x == 5:
            meet.wait()
        return 10 * x

    def finish(x: int) -> int:
        finish_threads.add(threading.current_thread().name)
        if x == 20:
            meet.wait()
        return x + 1

    out: list[int] = []

    def sink(x: int) -> None:
        if x == 1:
            meet.wait()
        out.append(x)

    stats = run_pipeline(source(), transform, sink, finish=finish, queue_size=4)
    assert out == [10 * i + 1 for i in range(20)] and stats.items == 20
    assert finish_threads == {"stylecam-finish"} and not meet.broken
    assert not [t for t in threading.enumerate() if t.name.startswith("stylecam-")]


def test_pipeline_reraises_an_error_of_the_finish_stage() -> None:
    with pytest.raises(Boom, match="at 10"):
        run_pipeline(iter(range(1000)), lambda x: x, lambda x: None, finish=fail_at(10), queue_size=4)
    assert not [t for t in threading.enumerate() if t.name.startswith("stylecam-")]


def test_processor_begin_then_finish_equals_one_call(negative_engine) -> None:
    """The batch pipeline stylizes frame t+1 (``begin``) while it blends frame t
    (``finish``): the stabilised frames must be those of the one-call path."""
    # (with sensor noise: on an exact whole-pixel pan a per-pixel net's moved painting is the
    # next painting exactly, so the blend would change nothing to check)
    rng = np.random.default_rng(0)
    frames = [np.clip(f + rng.normal(0, 8, f.shape), 0, 255).astype(np.uint8) for f in pan(media_photo(), 5, (3, 1))]
    one = FrameProcessor(negative_engine, stabilize=0.85)
    expected = [one(f) for f in frames]
    two = FrameProcessor(negative_engine, stabilize=0.85)
    pending = [two.begin(f) for f in frames]  # every begin before any finish: as far apart as it gets
    got = [two.finish(p) for p in pending]
    for e, g in zip(expected, got, strict=True):
        assert np.array_equal(e, g)
    assert not np.array_equal(got[3], negative_engine.run(frames[3]))  # it did blend


def test_pipeline_stats_count_each_stage_working_time() -> None:
    """Each stage's working time (what a benchmark reads to find the bottleneck) includes
    its 20 ms per item. Lower bounds only: a sleep never ends early, a busy machine only
    makes the figures larger, so this cannot flake."""

    def slow(x):
        time.sleep(0.02)
        return x

    def source():
        for i in range(20):
            time.sleep(0.02)
            yield i

    stats = run_pipeline(source(), slow, lambda x: time.sleep(0.02), queue_size=4)
    assert stats.items == 20
    assert min(stats.source_s, stats.transform_s, stats.sink_s) >= 20 * 0.02 * 0.95
    assert stats.wall_s >= max(stats.source_s, stats.transform_s, stats.sink_s)


def test_pipeline_queues_are_bounded() -> None:
    produced = 0
    lead = []

    def source():
        nonlocal produced
        for i in range(60):
            produced += 1
            yield i

    def sink(x):
        time.sleep(0.002)
        lead.append(produced - x)

    run_pipeline(source(), lambda x: x, sink, queue_size=4)
    assert max(lead) <= 2 * 4 + 4  # two queues plus the item each stage holds


class Boom(Exception):
    pass


def fail_at(n):
    def f(x):
        if x == n:
            raise Boom(f"at {n}")
        return x

    return f


@pytest.mark.parametrize("stage", ["source", "transform", "sink"])
def test_pipeline_reraises_the_first_error_and_stops_its_threads(stage: str) -> None:
    def source():
        for i in range(1000):
            yield fail_at(10)(i) if stage == "source" else i

    transform = fail_at(10) if stage == "transform" else (lambda x: x)
    sink = fail_at(10) if stage == "sink" else (lambda x: None)
    with pytest.raises(Boom, match="at 10"):
        run_pipeline(source(), transform, sink, queue_size=4)
    assert not [t for t in threading.enumerate() if t.name.startswith("stylecam-")]


def test_pipeline_cancel() -> None:
    cancel = threading.Event()
    seen: list[int] = []

    def sink(x):
        seen.append(x)
        if x == 5:
            cancel.set()

    with pytest.raises(Cancelled):
        run_pipeline(iter(range(10_000)), lambda x: x, sink, queue_size=4, cancel=cancel)
    assert len(seen) < 50
    assert not [t for t in threading.enumerate() if t.name.startswith("stylecam-")]


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer (POSIX)")
def test_a_signal_while_joining_still_waits_for_every_stage() -> None:
    """A SIGTERM/SIGHUP handler raises in the main thread; if that lands while the stages
    are being joined, the caller must not close the files under a stage still inside them
    (CI once crashed with -11 that way). The exception comes out only after the joins."""
    class Stop(Exception):
        pass

    def boom(signum, frame):
        raise Stop()

    release = threading.Event()
    worker = pipeline._Stage(lambda: release.wait(5.0), "test-stage")
    worker.start()
    old = signal.signal(signal.SIGALRM, boom)
    try:
        # the alarm interrupts the join; the worker is then released by a second timer thread
        threading.Timer(0.3, release.set).start()
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(Stop):
            pipeline._join_all([worker])
        assert worker.done.is_set() and release.is_set()  # it really finished its work
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_a_signal_while_the_stages_start_never_leaves_one_working() -> None:
    """A SIGTERM handler that raises inside ``Thread.start`` used to leave that stage running
    unseen: run_pipeline raised, the caller closed the demuxer under the decode thread and
    CI crashed with -11 after "stopped by SIGTERM". Here SIGTERM lands at random moments
    around the start; once run_pipeline has raised, nothing may touch the source again."""
    class Stop(Exception):
        pass

    def boom(signum, frame):
        raise Stop()

    closed = threading.Event()  # the caller has closed the source
    late: list[str] = []

    def touch(where: str) -> None:
        if closed.is_set():
            late.append(where)

    def source():
        try:
            while True:
                time.sleep(0.001)
                touch("read")
                yield 0
        finally:
            touch("close")

    old = signal.signal(signal.SIGTERM, boom)
    rng = random.Random(0)
    try:
        for _ in range(150):
            closed.clear()
            killer = threading.Timer(rng.uniform(0.0, 0.002), os.kill, (os.getpid(), signal.SIGTERM))
            with pytest.raises(Stop):
                killer.start()
                run_pipeline(source(), lambda x: x, lambda x: None, queue_size=2)
            closed.set()
            killer.join()
            for t in threading.enumerate():
                if isinstance(t, pipeline._Stage):
                    assert t.done.wait(2.0)
            assert not late
    finally:
        signal.signal(signal.SIGTERM, old)
