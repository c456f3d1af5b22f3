"""The live app's timing claims, measured (they were asserts in tests/test_gui.py; tests
never time the machine):

1. The event loop stays responsive while video plays and records: a 10 ms precise Qt
   timer runs on the GUI thread; its ticks and its worst and 99th-percentile lateness
   are printed, beside the frames shown and processed per second.
2. Slow inference drops frames instead of queueing them: an engine that takes ``--delay``
   seconds a frame (5 frames/s against a 30 frames/s source); capture-to-screen latency
   (mean, max) is printed beside what newest-frame-only allows (one inference plus one
   frame interval). A queue would make it grow by about 0.17 s every second.

The real window, offscreen, on a generated looping 640x480, 30 frames/s clip with audio,
with the tests' toy style (a colour negative, so inference costs next to nothing and the
GUI thread's own work is what is measured) on ONNX Runtime CPU.

    python bench/bench_live_app.py [--seconds 2.5] [--delay 0.2]

Not a test: it prints tables; other load on the machine makes every figure worse.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers make the clip and the toy style

import numpy as np  # noqa: E402
from PyQt6.QtCore import QSettings, Qt, QTimer  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402
from qt_wait import wait  # noqa: E402  (bench/ is the script's folder)

from stylecam.app.gui.preferences import Preferences  # noqa: E402
from stylecam.app.gui.window import MainWindow  # noqa: E402
from stylecam.models.runtime.engines import open_engine  # noqa: E402

from helpers.media import write_media_clip  # noqa: E402
from helpers.styles import write_toy_style  # noqa: E402

FPS = 30


class SlowEngine:
    """A real engine that takes at least ``delay`` seconds a frame."""

    def __init__(self, engine: Any, delay: float) -> None:
        self.engine, self.delay = engine, delay
        self.name, self.provider, self.constraints = engine.name, engine.provider, engine.constraints

    def run(self, frame: np.ndarray) -> np.ndarray:
        time.sleep(self.delay)
        return self.engine.run(frame)

    def close(self) -> None:
        self.engine.close()


def open_window(tmp: Path, clip: Path, styles: Path, **kw: Any) -> MainWindow:
    prefs = Preferences(QSettings(str(tmp / f"settings_{time.monotonic_ns()}.ini"), QSettings.Format.IniFormat))
    win = MainWindow(prefs, source=str(clip), style="negative", engine="cpu", styles_dirs=[styles],
                     output_dir=tmp / "out", probe_cameras=False, **kw)
    win.show()
    if not wait(lambda: win.last_result is not None and win.last_result.style == "negative", 60):
        raise SystemExit("no stylized frame within 60 s")
    return win


def responsiveness(tmp: Path, clip: Path, styles: Path, seconds: float) -> None:
    win = open_window(tmp, clip, styles)
    win.record_action.setChecked(True)  # encoding too must stay off the GUI thread
    lateness: list[float] = []
    last = [time.monotonic()]

    def tick() -> None:
        now = time.monotonic()
        lateness.append(now - last[0] - 0.010)
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    s = win.session
    shown0, processed0, t0 = s.shown.total, s.worker.processed.total, time.monotonic()
    timer.start(10)
    wait(lambda: False, seconds)
    timer.stop()
    secs = time.monotonic() - t0
    shown, processed = (s.shown.total - shown0) / secs, (s.worker.processed.total - processed0) / secs
    win.record_action.setChecked(False)
    win.close()
    late = sorted(lateness)
    p99 = late[min(len(late) - 1, int(0.99 * len(late)))] if late else float("nan")
    print("## 1. GUI thread while playing and recording (10 ms timer)\n")
    print("| seconds | timer ticks (ideal) | worst lateness ms | p99 lateness ms | shown fps | processed fps |")
    print("|---|---|---|---|---|---|")
    print(f"| {secs:.1f} | {len(late)} ({secs / 0.010:.0f}) | {max(late, default=0) * 1000:.1f} | {p99 * 1000:.1f} | "
          f"{shown:.1f} | {processed:.1f} |\n")
    print("Lateness: how much later than 10 ms after the previous tick each tick came. Targets (the old "
          "test's): worst < 100 ms, shown > 10 fps.\n")


def slow_inference(tmp: Path, clip: Path, styles: Path, seconds: float, delay: float) -> None:
    win = open_window(tmp, clip, styles, engine_factory=lambda path, eng: SlowEngine(open_engine(path, eng), delay))
    s = win.session
    s.latency.window = seconds + 1  # keep every delay of the measurement
    s.latency.reset()
    captured0, processed0, dropped0 = s.captured, s.worker.processed.total, s.frames.dropped
    wait(lambda: False, seconds)
    captured, processed = s.captured - captured0, s.worker.processed.total - processed0
    dropped = s.frames.dropped - dropped0
    lat = s.latency.values()
    win.close()
    print(f"## 2. Slow inference ({delay * 1000:.0f} ms a frame, {FPS} frames/s source)\n")
    print("| seconds | captured | processed | stale frames dropped | latency mean ms | latency max ms | "
          "allowed: delay + 1 frame ms |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {seconds:g} | {captured} | {processed} | {dropped} | {statistics.fmean(lat) * 1000:.0f} | "
          f"{max(lat) * 1000:.0f} | {(delay + 1 / FPS) * 1000:.0f} |\n")
    print("Latency: capture time to the moment the GUI thread takes the frame to paint it "
          "(`LiveSession.latency`). The old test allowed mean < delay + 150 ms, max < delay + 300 ms.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=2.5, help="seconds measured per part")
    ap.add_argument("--delay", type=float, default=0.2, help="seconds the slow engine takes a frame")
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication(["stylecam-bench"])
    with tempfile.TemporaryDirectory(prefix="stylecam-live-") as d:
        tmp = Path(d)
        (tmp / "styles").mkdir()
        (tmp / "none").mkdir()
        from stylecam.models.style import catalog

        # Only the toy style in the menu, as in the tests: no bundled net loads in the background.
        catalog.BUNDLED_DIR = tmp / "none"
        catalog.user_styles_dir = lambda: tmp / "none"
        write_toy_style(tmp / "styles" / "negative.onnx")
        clip = write_media_clip(tmp / "live.mp4", 640, 480, seconds=2.0, fps=FPS)
        print(f"# stylecam live app timing\n\nload average at start: "
              f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
        responsiveness(tmp, clip, tmp / "styles", args.seconds)
        slow_inference(tmp, clip, tmp / "styles", args.seconds, args.delay)
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
