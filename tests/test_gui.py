"""The desktop app, driven for real (pytest-qt, offscreen): a looping 640x480 clip with
audio as the source, toy styles on the ONNX Runtime CPU engine, the real window, threads,
recorder and settings (in a temporary INI file, never the user's)."""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import av
import cv2
import numpy as np
import pytest
from PyQt6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PyQt6.QtGui import QDragEnterEvent, QDropEvent
from PyQt6.QtWidgets import QApplication

from stylecam.app.gui.preferences import Preferences
from stylecam.app.gui.window import MESSAGE_SECONDS, MainWindow
from stylecam.app.live.sources import list_cameras
from stylecam.models.runtime.engines import open_engine

FPS = 30


@pytest.fixture
def gui_prefs(tmp_path: Path) -> Preferences:
    return Preferences(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot, tmp_path: Path, gui_clip: Path, gui_styles_dir: Path, gui_prefs: Preferences, monkeypatch):
    """Opens windows on the test clip (engine cpu, toy styles, output in tmp_path/out) and
    closes them after the test, so no thread outlives it. Only the toy styles are in the
    menu: the bundled and user folders point at empty folders, so key positions are fixed."""
    from stylecam.models.style import catalog

    (tmp_path / "no_styles").mkdir()
    monkeypatch.setattr(catalog, "BUNDLED_DIR", tmp_path / "no_styles")
    monkeypatch.setattr(catalog, "user_styles_dir", lambda: tmp_path / "no_styles")
    windows: list[MainWindow] = []

    def make(prefs: Preferences | None = None, **kw) -> MainWindow:
        kw.setdefault("source", str(gui_clip))
        kw.setdefault("engine", "cpu")
        kw.setdefault("styles_dirs", [gui_styles_dir])
        kw.setdefault("output_dir", tmp_path / "out")
        kw.setdefault("probe_cameras", False)
        window = MainWindow(prefs or gui_prefs, **kw)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        return window

    yield make
    for window in windows:
        window.close()


def index_of(window: MainWindow, name: str) -> int:
    index = window.style_menu.index_of(name)
    assert index is not None, name
    return index


def wait_for_style(qtbot, window: MainWindow, name: str, timeout: int = 15000):
    """Waits until a frame processed by ``name`` is on screen; returns its result."""
    qtbot.waitUntil(lambda: window.last_result is not None and window.last_result.style == name, timeout=timeout)
    return window.last_result


def fresh_result(qtbot, window: MainWindow, timeout: int = 10000):
    """A result produced after this call (settings changed before it are in effect)."""
    start = time.monotonic()
    qtbot.waitUntil(lambda: window.last_result is not None and window.last_result.frame.captured_at > start,
                    timeout=timeout)
    return window.last_result


def press(qtbot, window: MainWindow, key: Qt.Key) -> None:
    qtbot.keyClick(window, key)


def test_frames_arrive_stylized_with_status(qtbot, make_window) -> None:
    window = make_window(style="a_negative")
    result = wait_for_style(qtbot, window, "a_negative")
    assert result.frame.image.shape == (480, 640, 3)
    assert np.array_equal(result.stylized, 255 - result.frame.image)  # strength 1, 480p: exact
    qtbot.waitUntil(lambda: window.session.shown.total >= 15, timeout=15000)
    window._update_status()
    status = window.status_label.text()
    for part in ("shown", "processed", "latency", "640×480 @ 480p", "cpu (CPUExecutionProvider)"):
        assert part in status
    assert window.controls.engine_label.text().strip() == "CPUExecutionProvider"
    assert window.view.painted > 0


def test_style_menu_thumbnails_and_unavailable_style(qtbot, make_window) -> None:
    window = make_window(style="a_negative")
    menu = window.style_menu
    assert menu.actions[0].text() == "Original"
    neg = menu.actions[index_of(window, "a_negative")]
    colour = neg.icon().pixmap(16, 16).toImage().pixelColor(8, 8)
    assert (colour.red(), colour.green(), colour.blue()) == (255, 0, 0)  # preview was BGR (0, 0, 255)
    broken = index_of(window, "c_broken")
    assert broken in menu.unavailable and not menu.actions[broken].isEnabled()
    assert "unavailable" in menu.actions[broken].text()
    wait_for_style(qtbot, window, "a_negative")
    assert not menu.select(broken)  # refused, the running style stays
    assert window.switcher.running == index_of(window, "a_negative")


def test_switch_styles_by_menu_and_keys(qtbot, make_window) -> None:
    window = make_window(style="a_negative")
    wait_for_style(qtbot, window, "a_negative")
    swap = window.style_menu.styles[index_of(window, "b_swap") - 1]
    qtbot.waitUntil(lambda: window.switcher.loader.cached(swap.path, "cpu") is not None, timeout=15000)  # prefetched
    window.style_menu.actions[index_of(window, "b_swap")].trigger()  # the menu
    assert window.switcher.running == index_of(window, "b_swap")  # instant: no load to wait for
    result = wait_for_style(qtbot, window, "b_swap")
    assert np.array_equal(result.stylized, result.frame.image[:, :, ::-1])
    press(qtbot, window, Qt.Key.Key_0)  # Original
    result = wait_for_style(qtbot, window, "original")
    assert np.array_equal(result.stylized, result.frame.image)
    press(qtbot, window, Qt.Key.Key_1)
    wait_for_style(qtbot, window, "a_negative")
    press(qtbot, window, Qt.Key.Key_Right)
    wait_for_style(qtbot, window, "b_swap")
    press(qtbot, window, Qt.Key.Key_Right)  # skips the broken style, wraps to Original
    wait_for_style(qtbot, window, "original")
    press(qtbot, window, Qt.Key.Key_Left)
    wait_for_style(qtbot, window, "b_swap")
    assert window.controls.style_combo.currentIndex() == index_of(window, "b_swap")
    before = window.session.captured
    qtbot.waitUntil(lambda: window.session.captured > before, timeout=10000)  # switching never stopped the video


def test_auto_engine_is_shown_and_reused_for_other_styles(qtbot, make_window) -> None:
    from stylecam.models.runtime.engines import available_engines

    window = make_window(style="a_negative", engine="auto")
    wait_for_style(qtbot, window, "a_negative", timeout=30000)
    chosen = window.switcher.active_engine
    assert window.switcher.auto_resolved == chosen.name and chosen.name in available_engines()
    assert window.controls.engine_label.text().strip() == f"→ {chosen.provider}"
    press(qtbot, window, Qt.Key.Key_2)
    wait_for_style(qtbot, window, "b_swap", timeout=30000)
    assert window.switcher.active_engine.name == chosen.name


def test_strength_slider_preserve_colours_and_split_view(qtbot, make_window) -> None:
    window = make_window(style="a_negative")
    wait_for_style(qtbot, window, "a_negative")
    window.controls.strength.setValue(50)
    result = fresh_result(qtbot, window)
    assert np.abs(result.stylized.astype(int) - 127.5).max() <= 1  # half negative + half original
    press(qtbot, window, Qt.Key.Key_Up)
    assert window.controls.strength.value() == 60 and window.processor.strength == pytest.approx(0.6)
    window.controls.strength.setValue(100)
    window.controls.preserve.setChecked(True)
    assert window.preserve_action.isChecked() and window.processor.preserve_colors
    result = fresh_result(qtbot, window)
    assert not np.array_equal(result.stylized, 255 - result.frame.image)

    window.controls.preserve.setChecked(False)
    press(qtbot, window, Qt.Key.Key_S)
    assert window.split_action.isChecked() and window.view.split
    result = fresh_result(qtbot, window)
    view = window.view
    target = view.picture_rect()

    def patch_mean(image, fx: float) -> np.ndarray:
        x, y = target.x() + int(target.width() * fx), target.y() + target.height() // 2
        return np.array([[image.pixelColor(x + dx, y + dy).getRgb()[:3] for dx in range(-3, 4)]
                         for dy in range(-3, 4)], float).mean(axis=(0, 1))

    def frame_mean(frame: np.ndarray, fx: float) -> np.ndarray:
        h, w = frame.shape[:2]
        x, y = int(w * fx), h // 2
        return frame[y - 4:y + 5, x - 4:x + 5, ::-1].astype(float).mean(axis=(0, 1))  # as RGB

    shot = view.grab().toImage()
    original, stylized = view._original, view._stylized
    assert np.abs(patch_mean(shot, 0.25) - frame_mean(original, 0.25)).max() < 20  # left: original
    assert np.abs(patch_mean(shot, 0.75) - frame_mean(stylized, 0.75)).max() < 20  # right: stylized
    # drag the divider to 80%
    x0 = target.x() + target.width() // 2
    y = target.y() + target.height() // 2
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(x0, y))
    qtbot.mouseMove(view, QPoint(target.x() + int(target.width() * 0.8), y))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(target.x() + int(target.width() * 0.8), y))
    assert view.divider == pytest.approx(0.8, abs=0.02)
    press(qtbot, window, Qt.Key.Key_S)
    assert not view.split


def test_snapshot_writes_the_stylized_frame(qtbot, make_window, tmp_path: Path) -> None:
    window = make_window(style="a_negative")
    wait_for_style(qtbot, window, "a_negative")
    with qtbot.waitSignal(window.relay.snapshot, timeout=15000) as blocker:
        result = window.last_result
        path = window.snapshot()
    assert blocker.args == [str(path), ""]
    assert path.parent == tmp_path / "out" and path.suffix == ".png"
    assert np.array_equal(cv2.imread(str(path)), result.stylized)


def _probe(path: Path) -> dict:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        times = [float(f.pts * f.time_base) for f in c.decode(v)]
        audio = c.streams.audio
        audio_seconds = float(audio[0].duration * audio[0].time_base) if audio and audio[0].duration else 0.0
        return {"frames": len(times), "size": (v.codec_context.width, v.codec_context.height),
                "codec": v.codec_context.name, "video_seconds": times[-1] + 1 / FPS if times else 0.0,
                "audio_streams": len(audio), "audio_seconds": audio_seconds}


def test_record_two_seconds_keeps_size_frames_and_audio(qtbot, make_window) -> None:
    window = make_window(style="a_negative")
    wait_for_style(qtbot, window, "a_negative")
    press(qtbot, window, Qt.Key.Key_R)
    assert window.record_action.isChecked() and window.session.recorder is not None
    s, shown_before = window.session, window.session.shown.total
    # Events, not durations (a busy machine only makes them come later): the preview goes on
    # while recording, and the recording gets a second's worth of frames.
    qtbot.waitUntil(lambda: s.shown.total - shown_before > 20 and s.recorder.frames >= FPS, timeout=60000)
    with qtbot.waitSignal(window.session.recordingFinished, timeout=10000) as blocker:
        press(qtbot, window, Qt.Key.Key_R)
    report = blocker.args[0]
    assert report.error is None and report.path.is_file()
    info = _probe(report.path)
    assert info["codec"] == "h264" and info["size"] == (640, 480)
    assert info["frames"] == report.frames >= FPS
    # the source's clock, not the frame count: frames the CPU could not stylize leave gaps,
    # never a faster video
    assert info["video_seconds"] >= info["frames"] / FPS - 0.01
    assert info["audio_streams"] == 1 and report.audio_packets > 0
    assert abs(info["audio_seconds"] - info["video_seconds"]) < 0.1  # the source's audio, in step
    assert not list(report.path.parent.glob(".*.tmp*"))


def test_close_during_recording_leaves_a_playable_file(qtbot, make_window, tmp_path: Path) -> None:
    window = make_window(style="b_swap")
    wait_for_style(qtbot, window, "b_swap")
    window.record_action.setChecked(True)
    recorder = window.session.recorder
    qtbot.waitUntil(lambda: recorder.frames >= 15, timeout=60000)  # written by the writer thread
    window.close()
    assert not window.session.worker.is_alive()
    assert window.session.capture is None
    files = list((tmp_path / "out").glob("*.mp4"))
    assert len(files) == 1 and not list((tmp_path / "out").glob(".*.tmp*"))
    info = _probe(files[0])
    assert info["frames"] >= 15 and info["size"] == (640, 480) and info["audio_streams"] == 1


class SlowEngine:
    """Test double: a real engine that takes at least ``delay`` seconds per frame."""

    def __init__(self, engine, delay: float) -> None:
        self.engine, self.delay = engine, delay
        self.name, self.provider, self.constraints = engine.name, engine.provider, engine.constraints

    def run(self, frame: np.ndarray) -> np.ndarray:
        time.sleep(self.delay)
        return self.engine.run(frame)


def test_slow_inference_drops_frames_instead_of_queueing(qtbot, make_window) -> None:
    """An engine slower than the source: a newer frame replaces one not yet taken, so frames
    are dropped and none wait in a queue. Counts, not durations, so it holds however busy
    the machine is; what this does to latency is measured by bench/bench_live_app.py."""
    delay = 0.2  # 5 frames/s against a 30 frames/s source
    window = make_window(style="a_negative", engine_factory=lambda path, eng: SlowEngine(open_engine(path, eng), delay))
    wait_for_style(qtbot, window, "a_negative")
    s = window.session
    captured0, dropped0 = s.captured, s.frames.dropped
    qtbot.waitUntil(lambda: s.captured - captured0 >= 40, timeout=30000)
    processed, dropped = s.worker.processed.total, s.frames.dropped
    captured = s.captured  # read last: it only grows
    assert dropped - dropped0 > 0  # newer frames replaced ones the net never saw ...
    # ... and nothing queues: every frame read was processed, dropped, or is one of the two
    # in flight (the mailbox's one slot and the frame the net is on), plus one read meanwhile
    assert 0 <= captured - processed - dropped <= 3


def test_failing_engine_and_broken_file_are_reported_not_fatal(qtbot, make_window, tmp_path: Path) -> None:
    window = make_window(style="a_negative")
    wait_for_style(qtbot, window, "a_negative")
    window.controls.engine.setCurrentText("tensorrt")  # no GPU here: the engine cannot load
    qtbot.waitUntil(lambda: "cannot" in window.view.message, timeout=15000)
    assert window.switcher.running == index_of(window, "a_negative")
    fresh_result(qtbot, window)  # the video went on with the engine that works
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 5000)
    captured = window.session.captured
    assert not window.open_source(bad)
    assert "broken.mp4" in window.view.message
    qtbot.waitUntil(lambda: window.session.captured > captured + 5, timeout=10000)  # old source still plays


class FailingEngine(SlowEngine):
    """Test double: a real engine that fails on every frame, as a lost GPU would."""

    def run(self, frame: np.ndarray) -> np.ndarray:
        raise RuntimeError("device lost")


def test_engine_failing_on_frames_shows_the_original_and_says_why(qtbot, make_window) -> None:
    def factory(path: Path, engine: str):
        real = open_engine(path, engine)
        return FailingEngine(real, 0) if "swap" in path.name else real

    window = make_window(style="b_swap", engine_factory=factory)
    result = wait_for_style(qtbot, window, "b_swap")
    assert np.array_equal(result.stylized, result.frame.image)
    qtbot.waitUntil(lambda: "device lost" in window.view.message, timeout=10000)
    press(qtbot, window, Qt.Key.Key_1)  # another style still works
    result = wait_for_style(qtbot, window, "a_negative")
    assert np.array_equal(result.stylized, 255 - result.frame.image)


def test_settings_are_remembered(qtbot, make_window, gui_prefs: Preferences, gui_clip: Path) -> None:
    window = make_window(style="b_swap")
    wait_for_style(qtbot, window, "b_swap")
    window.controls.strength.setValue(70)
    window.controls.resolution.setCurrentText("360p")
    window.close()
    again = make_window(source=None)  # source, style, strength and size come from the settings
    assert again.session.source is not None and again.session.source.path == gui_clip
    assert again.style_menu.current == index_of(again, "b_swap")
    assert again.controls.strength.value() == 70 and again.processor.size == 360
    assert gui_prefs.geometry is not None


def test_drop_a_file_and_full_screen(qtbot, make_window, gui_clip: Path, tmp_path: Path) -> None:
    window = make_window(source=None, probe_cameras=False, style="original")
    assert window.session.source is None and window.stack.currentWidget() is window.no_source
    copy = tmp_path / "dropped.mp4"
    copy.write_bytes(gui_clip.read_bytes())
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(copy))])
    pos = QPointF(50, 50)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert window.session.source is not None and window.session.source.path == copy
    wait_for_style(qtbot, window, "original")
    press(qtbot, window, Qt.Key.Key_F11)
    assert window.fullscreen_action.isChecked() and not window.controls.isVisible()
    press(qtbot, window, Qt.Key.Key_Escape)
    assert not window.fullscreen_action.isChecked() and window.controls.isVisible()


@pytest.mark.skipif(bool(list_cameras()), reason="this machine has a camera")
def test_no_camera_says_so_and_offers_a_file(qtbot, make_window) -> None:
    window = make_window(source=None, probe_cameras=True)
    qtbot.waitUntil(lambda: "No camera" in window.no_source.label.text(), timeout=15000)
    assert window.stack.currentWidget() is window.no_source
    assert window.no_source.button.text().startswith("Open a video file")


def test_cli_registers_gui_command() -> None:
    from stylecam.app.cli import build_parser

    args = build_parser().parse_args(["gui", "--source", "0", "--style", "x", "--engine", "cpu",
                                      "--styles-dir", "/tmp"])
    assert args.command == "gui" and args.source == "0" and args.engine == "cpu"
    assert args.styles_dir == [Path("/tmp")]


class FlakyCamera:
    """Test double for a webcam that is unplugged after a few frames and comes back."""

    paced = False
    description = "flaky camera"
    fps = 100.0

    def __init__(self) -> None:
        self.reads = 0
        self.opened = 0

    def open(self) -> None:
        self.opened += 1

    def read(self):
        from stylecam.app.live.sources import SourceLost

        self.reads += 1
        if 5 <= self.reads < 8:
            raise SourceLost(None, "flaky camera stopped sending frames")
        time.sleep(0.01)
        return np.zeros((48, 64, 3), np.uint8), self.reads / self.fps

    def close(self) -> None:
        pass


def test_lost_camera_is_reported_and_recovers(monkeypatch) -> None:
    from stylecam.app.live import capture
    from stylecam.app.live.capture import CaptureThread
    from stylecam.app.live.mailbox import Mailbox

    monkeypatch.setattr(capture, "RETRY_SECONDS", 0.05)
    events: list[str] = []
    box: Mailbox = Mailbox()
    thread = CaptureThread(FlakyCamera(), box, 1, on_problem=lambda msg, fatal: events.append(f"{fatal}:{msg}"),
                           on_recovered=lambda: events.append("back"))
    thread.start()
    deadline = time.monotonic() + 3
    while thread.captured < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    thread.stop()
    thread.join(2)
    assert events[0] == "False:flaky camera stopped sending frames; retrying…"  # reported once, not fatal
    assert events[1] == "back" and len(events) == 2
    assert thread.captured >= 10 and not thread.is_alive()


def test_no_display_is_one_line_not_a_crash(monkeypatch, capsys) -> None:
    import sys

    from stylecam.app.gui.command import run_gui

    if not sys.platform.startswith("linux"):
        pytest.skip("the check is for X11/Wayland")
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    assert run_gui(build_args()) == 2
    assert "no display found" in capsys.readouterr().err


def build_args():
    from stylecam.app.cli import build_parser

    return build_parser().parse_args(["gui"])


def _record_from(source_path: Path, out: Path, skip: int, frames: int):
    """Feed ``frames`` frames of a looping file (after ``skip``) straight to a Recorder.

    Frames arrive faster than a live source would send them, so the queue holds them all:
    what is tested is the file written, not the live drop policy (which a slow machine
    would otherwise trigger before the writer thread has opened its file)."""
    from stylecam.app.live.mailbox import Frame, Result
    from stylecam.app.live.recorder import AudioSource, Recorder
    from stylecam.app.live.sources import FileSource

    src = FileSource(source_path)
    src.open()
    audio = AudioSource(src.path, lambda: src.loop_length) if src.has_audio else None
    recorder = Recorder(out, src.fps, audio, queue_size=frames + 1)
    recorder.start()
    for i in range(skip + frames):
        image, media_time = src.read()
        if i >= skip:
            recorder.submit(Result(Frame(image, time.monotonic(), media_time, i, 1), 255 - image))
    recorder.stop()
    assert recorder.join(30)
    src.close()
    return recorder.report


def test_recording_across_the_loop_seam_keeps_audio_in_step(gui_clip: Path, tmp_path: Path) -> None:
    report = _record_from(gui_clip, tmp_path / "seam.mp4", skip=45, frames=60)  # 1.5 s .. 3.5 s: one seam
    assert report.error is None and report.frames == 60
    info = _probe(report.path)
    assert info["frames"] == 60 and abs(info["video_seconds"] - 2.0) < 0.05
    assert abs(info["audio_seconds"] - info["video_seconds"]) < 0.05


def test_recording_across_an_avi_loop_seam_keeps_every_frame_and_its_audio(tmp_path: Path) -> None:
    """Issue 12: recording across the end of a looping AVI re-sent the file's first audio
    packet, the MP4 muxer rejected it and the whole recording was lost."""
    from helpers.media import write_media_clip

    src = write_media_clip(tmp_path / "live.avi", 160, 120, seconds=1.0, fps=FPS, codec="mjpeg")
    report = _record_from(src, tmp_path / "avi_seam.mp4", skip=20, frames=50)  # 0.67 s .. 2.33 s: two seams
    assert report.error is None and report.frames == 50 and report.audio_packets > 0
    times = _media_times(src, 70)[20:]  # the file's own timing (this AVI has a gap after its first frame)
    info = _probe(report.path)
    assert info["frames"] == 50 and abs(info["video_seconds"] - (times[-1] - times[0] + 1 / FPS)) < 0.01
    assert info["audio_streams"] == 1 and abs(info["audio_seconds"] - info["video_seconds"]) < 0.08
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_mp3_audio_of_an_avi_is_kept_in_the_recording(tmp_path: Path) -> None:
    """MP4 holds MP3 as it is; the recorder read the decoder's name ("mp3float") and left it out."""
    from fractions import Fraction

    if "libmp3lame" not in av.codecs_available:
        pytest.skip("this FFmpeg build cannot encode MP3")
    src = tmp_path / "xvid.avi"
    with av.open(str(src), "w") as c:
        v = c.add_stream("mpeg4", rate=FPS)
        v.width, v.height, v.pix_fmt = 160, 120, "yuv420p"
        a = c.add_stream("libmp3lame", rate=44100)
        a.layout = "stereo"
        for i in range(FPS):
            f = av.VideoFrame.from_ndarray(np.full((120, 160, 3), i * 8, np.uint8), format="bgr24")
            f.pts, f.time_base = i, Fraction(1, FPS)
            c.mux(v.encode(f))
        c.mux(v.encode(None))
        for t in range(0, 44100, 1152):
            af = av.AudioFrame.from_ndarray(np.zeros((2, 1152), np.float32), format="fltp", layout="stereo")
            af.sample_rate, af.pts = 44100, t
            c.mux(a.encode(af))
        c.mux(a.encode(None))
    report = _record_from(src, tmp_path / "xvid.mp4", skip=20, frames=30)  # across the seam
    assert report.error is None and report.note is None and report.audio_packets > 0
    info = _probe(report.path)
    assert info["frames"] == 30 and info["audio_streams"] == 1


def _media_times(path: Path, n: int) -> list[float]:
    from stylecam.app.live.sources import FileSource

    src = FileSource(path)
    times = [src.read()[1] for _ in range(n)]
    src.close()
    return times


def test_file_source_media_time_grows_across_loops(gui_clip: Path) -> None:
    from stylecam.app.live.sources import FileSource

    src = FileSource(gui_clip)
    times = [src.read()[1] for _ in range(int(2.5 * 2 * FPS))]  # two and a half passes of a 2 s clip
    src.close()
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    assert abs(src.loop_length - 2.0) < 0.05 and abs(times[-1] - (len(times) - 1) / FPS) < 0.05


def test_an_odd_sized_recording_is_padded_like_a_stylized_file(tmp_path: Path) -> None:
    """The batch writer's rule (one place): an odd side gains one repeated edge pixel, never
    loses a column; the recorder used to crop to even sides."""
    from helpers.media import write_media_clip

    src = write_media_clip(tmp_path / "odd.mkv", 65, 47, seconds=0.5, fps=FPS, audio=False)
    report = _record_from(src, tmp_path / "odd.mp4", skip=0, frames=10)
    assert report.error is None and report.frames == 10
    assert _probe(report.path)["size"] == (66, 48)


def test_audio_mp4_cannot_hold_is_left_out_with_a_note(tmp_path: Path) -> None:
    from fractions import Fraction

    src = tmp_path / "pcm.mkv"
    with av.open(str(src), "w", format="matroska") as c:
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = c.add_stream("pcm_s16le", rate=8000)
        a.layout = "mono"
        for i in range(15):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 10, np.uint8), format="bgr24")
            f.pts, f.time_base = i, Fraction(1, FPS)
            c.mux(v.encode(f))
        c.mux(v.encode(None))
        af = av.AudioFrame.from_ndarray(np.zeros((1, 4000), np.int16), format="s16", layout="mono")
        af.sample_rate, af.pts = 8000, 0
        c.mux(a.encode(af))
        c.mux(a.encode(None))
    report = _record_from(src, tmp_path / "pcm.mp4", skip=0, frames=10)
    assert report.error is None and "pcm_s16le" in report.note
    assert _probe(report.path)["audio_streams"] == 0 and _probe(report.path)["frames"] == 10


def test_auto_full_net_fallback_is_not_filed_under_the_cpu_engine(tmp_path: Path, exported_styles: dict) -> None:
    """After ``auto`` passed over a broken CPU version, choosing its engine by name must
    not be handed that full-net engine from the cache: by name, it runs the CPU version."""
    import shutil

    from stylecam.app.live.style_choice import as_if_chosen
    from stylecam.models.style.bundle import StyleBundle

    style = tmp_path / "pair.onnx"
    shutil.copy(exported_styles["lite"].path, style)
    shutil.copy(exported_styles["lite_cpu"].path, tmp_path / "pair.cpu.onnx")
    good = open_engine(style)
    if good.name in ("tensorrt", "cuda"):
        pytest.skip("a GPU works here: auto runs the full net on it by design")
    assert good.cpu_version and as_if_chosen(StyleBundle.read(style), good)
    (tmp_path / "pair.cpu.onnx").write_bytes(b"not onnx" * 8)
    fallback = open_engine(style)
    assert not fallback.cpu_version and not as_if_chosen(StyleBundle.read(style), fallback)


# --------------------------------------------------------------------------- issue 14: errors stay, quitting is clean


@pytest.mark.skipif(bool(list_cameras()), reason="this machine has a camera")
@pytest.mark.parametrize("kind", ["broken", "missing", "directory"])
def test_a_bad_source_stays_said_after_the_camera_probe(qtbot, make_window, tmp_path: Path, kind: str) -> None:
    """Issue 14, defect 10: a broken, missing or directory ``--source`` showed its error for
    ~3 s, then only "No camera was found"."""
    bad = {"broken": tmp_path / "broken.mp4", "missing": tmp_path / "missing.mp4", "directory": tmp_path / "dir.mp4"}[kind]
    if kind == "broken":
        bad.write_bytes(b"\x00" * 5000)
    elif kind == "directory":
        bad.mkdir()
    window = make_window(source=str(bad), probe_cameras=True)
    qtbot.waitUntil(lambda: "No camera" in window.no_source.label.text(), timeout=15000)
    assert bad.name in window.no_source.label.text()  # the camera probe did not replace it
    qtbot.wait(int(MESSAGE_SECONDS * 1000) + 600)  # longer than a passing message lasts
    assert bad.name in window.error_text and window.error_label.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Space)  # the user acts: now it may go
    assert window.error_text == ""


@pytest.mark.parametrize("style", ["c_broken.onnx", "no_such_style"])
def test_a_bad_start_style_is_shown_until_the_user_acts(qtbot, make_window, gui_styles_dir: Path,
                                                         style: str) -> None:
    """Issue 14, defect 10: ``--style broken.onnx`` or an unknown name was cleared before the
    window appeared, and another style ran without a word."""
    spec = str(gui_styles_dir / style) if style.endswith(".onnx") else style
    window = make_window(style=spec)
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=15000)  # video runs meanwhile ...
    qtbot.wait(int(MESSAGE_SECONDS * 1000) + 600)
    assert style.removesuffix(".onnx") in window.error_text  # ... and the user is told why theirs does not
    window.style_menu.chosen.emit(index_of(window, "b_swap"))  # a choice made by the user ...
    qtbot.mouseClick(window.view, Qt.MouseButton.LeftButton)  # ... and a click dismiss it
    assert window.error_text == ""


class SlowLoad:
    """Test double for an engine library that takes a while to open a style (OpenVINO
    compiling): the real engine, opened after a pause inside the loader thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.finished = False

    def __call__(self, path: Path, engine: str):
        time.sleep(self.seconds)
        eng = open_engine(path, engine)
        self.finished = True
        return eng


def test_closing_while_a_style_loads_waits_for_the_loader(qtbot, make_window) -> None:
    """Issue 14, defect 5: quitting within ~4 s of the start aborted the process, because the
    daemon loader thread was inside OpenVINO when the interpreter shut down. The window
    now lets the run loop wait for it (``join_background``) before Python finalises."""
    slow = SlowLoad(1.5)
    window = make_window(style="a_negative", engine_factory=slow)
    qtbot.wait(300)  # the loader thread is inside the factory now
    assert not slow.finished
    window.close()
    assert window.join_background(timeout=30)
    assert slow.finished  # the load ran to its end before we let go
    assert not window.switcher.loader._thread.is_alive()


def test_quitting_the_app_soon_after_start_is_clean(tmp_path: Path, gui_clip: Path) -> None:
    """Issue 14, defect 5, end to end: ``stylecam gui`` with the bundled styles on ``auto``
    (OpenVINO compiling and timing engines), quit with SIGTERM a few seconds in."""
    import signal
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    env.pop("XDG_CONFIG_HOME", None)
    for delay in (2.0, 3.0):
        proc = subprocess.Popen([sys.executable, "-m", "stylecam", "gui", "--source", str(gui_clip),
                                 "--engine", "auto"], env=env, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=90)
        assert proc.returncode in (0, -signal.SIGTERM), err  # clean, or killed before the app ran
        assert "terminate called" not in err and "Traceback" not in err


def test_rotated_file_is_shown_upright_in_the_window(qtbot, make_window, tmp_path: Path) -> None:
    """Issue 14, defect 1 in the GUI preview: a portrait phone clip is shown portrait."""
    from fractions import Fraction as F

    path = tmp_path / "phone.mp4"
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=30)
        v.width, v.height, v.pix_fmt = 320, 180, "yuv420p"
        v.set_display_rotation(-90)
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(np.full((180, 320, 3), i * 8, np.uint8), format="bgr24")
            frame.pts, frame.time_base = i, F(1, 30)
            c.mux(v.encode(frame))
        c.mux(v.encode(None))
    window = make_window(source=str(path), style="original")
    result = wait_for_style(qtbot, window, "original")
    assert result.frame.image.shape[:2] == (320, 180)


def test_default_window_shows_the_whole_toolbar(qtbot, make_window) -> None:
    """Issue 14, defect 13: at the default width Split / Snapshot / Record hid behind the
    toolbar's overflow button."""
    from PyQt6.QtWidgets import QToolButton

    window = make_window(style="original")
    qtbot.wait(100)
    overflow = [b for b in window.controls.findChildren(QToolButton) if b.objectName() == "qt_toolbar_ext_button"]
    assert not any(b.isVisible() for b in overflow)
    assert window.width() >= window.controls.sizeHint().width()


def test_recording_and_snapshot_names_are_safe(tmp_path: Path) -> None:
    """Issue 14, defect 6: the GUI and the CLI make file names from a style's name alike."""
    from stylecam.app.live.output import output_name

    path = output_name(tmp_path, "../../x\x1b[31m\nevil", ".mp4")
    assert path.parent == tmp_path and "/" not in path.name and "\x1b" not in path.name and "\n" not in path.name


def test_a_user_style_comes_after_the_bundled_ones(qtbot, make_window, tmp_path: Path, monkeypatch) -> None:
    """Issue 14, defect 13: a style in the user's folder took key 1 and shifted every bundled
    style by one. The bundled styles keep keys 1..N in a fixed order; user styles follow,
    then the ``--styles-dir`` ones."""
    from stylecam.models.style import catalog

    from helpers.styles import write_toy_style

    bundled, user = tmp_path / "bundled", tmp_path / "user"
    bundled.mkdir()
    user.mkdir()
    write_toy_style(bundled / "m_bundled.onnx", name="m_bundled", title="Bundled M")
    write_toy_style(bundled / "n_bundled.onnx", name="n_bundled", title="Bundled N")
    write_toy_style(user / "a_mine.onnx", name="a_mine", title="Mine")  # first by name, and by precedence
    window = make_window(style="original")
    monkeypatch.setattr(catalog, "BUNDLED_DIR", bundled)  # after make_window's own patch
    monkeypatch.setattr(catalog, "user_styles_dir", lambda: user)
    window.switcher.load_catalog(window.styles_dirs)
    names = [window.style_menu.name_of(i) for i in range(1, 6)]
    assert names[:3] == ["m_bundled", "n_bundled", "a_mine"]
    assert names[3:] == ["a_negative", "b_swap"]  # the --styles-dir folder last
    assert window.style_menu.actions[1].shortcut().toString() == "1"


def test_the_live_session_runs_and_records_without_qt(gui_clip: Path, tmp_path: Path) -> None:
    """``stylecam.app.live`` is the whole live pipeline without a window: a file source,
    the inference thread and a recording, reported through plain callbacks."""
    import threading

    from stylecam.app.live.session import Session
    from stylecam.app.live.sources import FileSource

    arrived = threading.Event()
    reports: list = []
    session = Session(on_result=arrived.set, on_recording_finished=reports.append)
    session.set_processor(lambda image: 255 - image, "negative")
    session.set_source(FileSource(gui_clip))
    assert arrived.wait(15)
    result = session.take_result()
    assert result is not None and result.style == "negative"
    assert np.array_equal(result.stylized, 255 - result.frame.image)
    session.start_recording(tmp_path / "live.mp4")
    deadline = time.monotonic() + 15
    while session.recorder.frames < 10 and time.monotonic() < deadline:  # written by the writer thread
        time.sleep(0.05)
    report = session.shutdown()
    assert reports == [report] and report.error is None and report.frames >= 10
    info = _probe(report.path)
    assert info["frames"] == report.frames and info["size"] == (640, 480) and info["audio_streams"] == 1


def test_the_engine_loader_reports_without_qt(tmp_path: Path, gui_styles_dir: Path) -> None:
    """``stylecam.app.live.engine_loader`` opens styles in its thread and answers by callbacks:
    a load, a cached answer at once, a failure with its reason."""
    import threading

    from stylecam.app.live.engine_loader import EngineLoader

    events: list[tuple[str, str]] = []
    done = threading.Event()

    def note(kind: str):
        def record(key: str, what) -> None:
            events.append((kind, key))
            if len(events) == 2:
                done.set()
        return record

    loader = EngineLoader(on_loaded=note("loaded"), on_failed=note("failed"))
    try:
        assert loader.request("neg", gui_styles_dir / "a_negative.onnx", "cpu")
        assert loader.request("broken", gui_styles_dir / "c_broken.onnx", "cpu")
        assert done.wait(30)
        assert sorted(events) == [("failed", "broken"), ("loaded", "neg")]
        assert not loader.request("neg", gui_styles_dir / "a_negative.onnx", "cpu")  # cached: answered at once
        assert events[-1] == ("loaded", "neg") and loader.pending == 0
    finally:
        loader.shutdown()
