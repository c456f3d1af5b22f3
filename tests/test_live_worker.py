"""app.live.worker: the inference thread, and the finishing thread that runs the second
half of a two-half processor (the Steady blend) one frame behind, in order."""

from __future__ import annotations

import threading
import time

import numpy as np

from stylecam.app.live.mailbox import Frame, Mailbox, Result
from stylecam.app.live.source_upscale import UpscaledProcessor
from stylecam.app.live.worker import InferenceWorker


def frame(i: int) -> Frame:
    return Frame(np.full((8, 8, 3), i, np.uint8), time.monotonic(), i / 30, i, 1)


class TwoHalves:
    """begin on frame k+1 and finish on frame k must run at the same time (a barrier only
    both threads together can pass); records which thread ran each half."""

    def __init__(self) -> None:
        self.meet = threading.Barrier(2, timeout=30)
        self.threads: dict[str, set[str]] = {"begin": set(), "finish": set()}

    def begin(self, image: np.ndarray) -> int:
        self.threads["begin"].add(threading.current_thread().name)
        k = int(image[0, 0, 0])
        if k == 3:
            self.meet.wait()
        return k

    def finish(self, k: int) -> np.ndarray:
        self.threads["finish"].add(threading.current_thread().name)
        if k == 2:
            self.meet.wait()
        return np.full((8, 8, 3), 100 + k, np.uint8)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return self.finish(self.begin(image))


class CountedMailbox(Mailbox):
    """A mailbox that counts the items taken, so a test can put the next one only then."""

    taken = 0

    def take(self, timeout: float | None = None):
        item = super().take(timeout)
        if item is not None:
            self.taken += 1
        return item


def run_worker(processor, frames: int) -> tuple[list[Result], InferenceWorker]:
    """Feed ``frames`` frames one at a time (each put once the last was taken), collect
    every result the sinks see."""
    inbox = CountedMailbox()
    outbox: Mailbox[Result] = Mailbox()
    seen: list[Result] = []
    worker = InferenceWorker(inbox, outbox, notify=lambda: None)
    worker.sinks.append(seen.append)
    worker.set_processor(processor, "two")
    worker.start()
    try:
        for i in range(frames):
            inbox.put(frame(i))
            deadline = time.monotonic() + 30
            while inbox.taken <= i and time.monotonic() < deadline:
                time.sleep(0.001)
        deadline = time.monotonic() + 30
        while len(seen) < frames and time.monotonic() < deadline:
            time.sleep(0.001)
    finally:
        worker.stop()
        worker.join(5)
    return seen, worker


def test_the_second_half_runs_in_its_own_thread_overlapped_and_in_order() -> None:
    p = TwoHalves()
    seen, worker = run_worker(p, 8)
    assert [r.frame.index for r in seen] == list(range(8))  # every frame begun is finished, in order
    assert [int(r.stylized[0, 0, 0]) for r in seen] == [100 + i for i in range(8)]
    assert p.threads == {"begin": {"inference"}, "finish": {"inference-finish"}}
    assert not p.meet.broken  # begin(3) and finish(2) did meet
    assert not worker.is_alive() and worker.processed.total == 8 and worker.busy_seconds > 0


def test_a_one_piece_processor_and_a_failing_half_still_give_every_frame() -> None:
    seen, _ = run_worker(lambda image: 255 - image, 3)
    assert [int(r.stylized[0, 0, 0]) for r in seen] == [255, 254, 253]

    class Broken(TwoHalves):
        def finish(self, k: int) -> np.ndarray:
            raise RuntimeError("no")

    errors: list[str] = []
    inbox: Mailbox[Frame] = Mailbox()
    outbox: Mailbox[Result] = Mailbox()
    worker = InferenceWorker(inbox, outbox, notify=lambda: None, on_error=errors.append)
    worker.set_processor(Broken(), "broken")
    worker.start()
    inbox.put(frame(5))
    deadline = time.monotonic() + 30
    while worker.processed.total < 1 and time.monotonic() < deadline:
        time.sleep(0.001)
    worker.stop()
    worker.join(5)
    result = outbox.take(timeout=1)
    assert result is not None and int(result.stylized[0, 0, 0]) == 5  # the original is shown
    assert errors == ["broken: RuntimeError: no"]


def test_the_upscale_stage_passes_both_halves_through() -> None:
    p = TwoHalves()
    stage = UpscaledProcessor(p)
    stage.enabled, stage.upscaler = True, lambda f: np.repeat(np.repeat(f, 4, 0), 4, 1)
    half = stage.begin(np.full((8, 8, 3), 7, np.uint8))
    assert stage.upscaled == 1 and int(stage.finish(half)[0, 0, 0]) == 107
    one_piece = UpscaledProcessor(lambda image: 255 - image)
    assert int(one_piece.finish(one_piece.begin(np.full((8, 8, 3), 5, np.uint8)))[0, 0, 0]) == 250
