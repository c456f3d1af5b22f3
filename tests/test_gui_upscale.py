"""The window's "Upscale ×4" toggle, driven for real (pytest-qt, offscreen): a 160x120
clip as the low-resolution source, the bundled x4 upscaler, the toy styles of the GUI
tests on ONNX Runtime CPU, settings in a temporary INI file; and its Qt-free stage."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import av
import numpy as np
import pytest
from PyQt6.QtCore import QSettings

from stylecam.app.gui.preferences import Preferences
from stylecam.app.gui.window import MainWindow
from stylecam.app.live.source_upscale import MAX_SOURCE_SIDE, UpscaledProcessor, why_not
from stylecam.models.style import catalog


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 160x120, 30 frames/s, 1 s H.264 clip of moving stripes (it loops in the window)."""
    path = tmp_path_factory.mktemp("upscale_clip") / "small.mp4"
    yy, xx = np.mgrid[0:120, 0:160]
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=30)
        v.width, v.height, v.pix_fmt = 160, 120, "yuv420p"
        for i in range(30):
            img = np.stack([(xx * 3 + i * 4) % 256, (yy * 5) % 256, ((xx + yy) * 2) % 256], -1).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts, frame.time_base = i, Fraction(1, 30)
            c.mux(v.encode(frame))
        c.mux(v.encode(None))
    return path


def _prefs(folder: Path) -> Preferences:
    return Preferences(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def open_window(qtbot, tmp_path: Path, gui_styles_dir: Path, monkeypatch):
    """Windows on the toy styles only (bundled and user style folders empty), the user's
    upscaler folder empty (so only the bundled upscaler is found); closed after the test."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(catalog, "BUNDLED_DIR", empty)
    monkeypatch.setattr(catalog, "user_styles_dir", lambda: empty)
    monkeypatch.setattr(catalog, "user_upscalers_dir", lambda: empty)
    windows: list[MainWindow] = []

    def make(source: Path, prefs: Preferences) -> MainWindow:
        window = MainWindow(prefs, source=str(source), engine="cpu", styles_dirs=[gui_styles_dir],
                            output_dir=tmp_path / "out", probe_cameras=False)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield make
    for window in windows:
        window.close()


def _wait_for_size(qtbot, window: MainWindow, h: int, w: int, timeout: int = 20000):
    qtbot.waitUntil(lambda: window.last_result is not None and window.last_result.stylized.shape[:2] == (h, w),
                    timeout=timeout)
    return window.last_result


def test_upscale_runs_before_the_style_and_is_remembered(qtbot, open_window, small_clip: Path, tmp_path: Path) -> None:
    prefs = _prefs(tmp_path)
    window = open_window(small_clip, prefs)
    toggle = window.upscale
    qtbot.waitUntil(lambda: window.last_result is not None and window.last_result.style == "a_negative", timeout=15000)
    assert window.last_result.stylized.shape[:2] == (120, 160)  # off by default
    assert toggle.action.isEnabled() and not toggle.action.isChecked()
    assert toggle.action in window.controls.actions()  # on the toolbar, and in the View menu
    assert any(a is toggle.action for m in window.menuBar().actions() if m.menu() for a in m.menu().actions())

    qtbot.keyClick(window, "u")
    result = _wait_for_size(qtbot, window, 480, 640)
    assert prefs.upscale
    qtbot.waitUntil(lambda: "sr_x4" in toggle.status, timeout=5000)
    # Upscale, then stylize: the frame on screen is the style run on the upscaled source.
    upscaled = toggle.processor.upscaler(result.frame.image)
    assert upscaled.shape == (480, 640, 3)
    expected = window.switcher.active_engine.run(upscaled)
    assert np.array_equal(result.stylized, expected)
    bicubic_like = np.repeat(np.repeat(result.frame.image, 4, 0), 4, 1)
    assert not np.array_equal(upscaled, bicubic_like)  # a real upscaler, not pixel repetition

    qtbot.keyClick(window, "u")  # off again: the source's own size
    _wait_for_size(qtbot, window, 120, 160)
    assert not prefs.upscale and toggle.status == ""
    qtbot.keyClick(window, "u")
    window.close()

    again = open_window(small_clip, _prefs(tmp_path))  # the same settings file
    assert again.upscale.action.isChecked()
    _wait_for_size(qtbot, again, 480, 640)


def test_no_upscaler_disables_the_toggle_and_says_why(qtbot, open_window, small_clip: Path, tmp_path: Path,
                                                      monkeypatch) -> None:
    monkeypatch.setattr(catalog, "BUNDLED_UPSCALERS_DIR", tmp_path / "empty")
    prefs = _prefs(tmp_path)
    prefs.upscale = True  # asked for last time
    window = open_window(small_clip, prefs)
    toggle = window.upscale
    assert not toggle.action.isEnabled() and not toggle.action.isChecked()
    assert "unavailable" in toggle.action.text()
    assert "no x4 upscaler found" in toggle.action.toolTip()
    assert toggle.status == "×4: no upscaler"
    qtbot.waitUntil(lambda: "Upscale ×4 is off" in window.error_text, timeout=3000)  # said once the window is up
    assert "no x4 upscaler found" in window.error_text
    qtbot.keyClick(window, "u")  # a disabled action does nothing
    qtbot.waitUntil(lambda: window.last_result is not None and window.last_result.style == "a_negative", timeout=15000)
    assert window.last_result.stylized.shape[:2] == (120, 160)
    assert toggle.processor.upscaled == 0


def test_a_large_source_is_not_upscaled_and_the_toggle_explains(qtbot, open_window, gui_clip: Path,
                                                               tmp_path: Path) -> None:
    prefs = _prefs(tmp_path)
    prefs.upscale = True
    window = open_window(gui_clip, prefs)  # 640x480: already large
    toggle = window.upscale
    qtbot.waitUntil(lambda: toggle.processor.upscaler is not None, timeout=20000)
    qtbot.waitUntil(lambda: window.last_result is not None and window.last_result.style == "a_negative", timeout=15000)
    qtbot.waitUntil(lambda: not toggle.action.isEnabled(), timeout=3000)
    assert window.last_result.stylized.shape[:2] == (480, 640)
    assert toggle.processor.upscaled == 0
    assert "already 640×480" in toggle.action.toolTip() and "source already large" in toggle.status
    assert toggle.action.isChecked() and prefs.upscale  # still wanted, for the next small source


def test_the_upscale_stage_without_qt() -> None:
    assert why_not(320, 240) == "" and why_not(MAX_SOURCE_SIDE, 100) == ""
    assert "already 640×480" in why_not(640, 480) and "2560×1920" in why_not(640, 480)

    def inner(frame: np.ndarray) -> np.ndarray:
        return 255 - frame

    stage = UpscaledProcessor(inner)
    small = np.arange(30 * 40 * 3, dtype=np.uint8).reshape(30, 40, 3)
    assert np.array_equal(stage(small), 255 - small)  # off: the style only
    stage.enabled = True
    assert np.array_equal(stage(small), 255 - small)  # on, but nothing loaded yet
    stage.upscaler = lambda f: np.repeat(np.repeat(f, 4, 0), 4, 1)
    assert stage(small).shape == (120, 160, 3) and stage.upscaled == 1 and stage.applies()
    large = np.zeros((480, 640, 3), np.uint8)
    assert stage(large).shape == (480, 640, 3) and stage.upscaled == 1 and not stage.applies()
