"""Issue 14, defect 4: nothing sent, nothing written outside stylecam's folders.

OpenVINO sent an analytics event on import (from a forked child) and wrote ``~/intel/``;
ONNX Runtime wrote ``~/.cache/Microsoft/DeveloperTools/.onnxruntime/``; an empty TensorRT
cache folder appeared on a machine without a GPU. None of it showed in CI because
``CI=true`` turns OpenVINO's telemetry off, so these tests run the real commands in a
fresh ``HOME`` with ``CI`` (and every variable that would redirect the folders) removed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers.media import write_media_clip

#: Folders below HOME that stylecam may write: its cache, config and data (platformdirs).
ALLOWED = (".cache/stylecam", ".config/stylecam", ".local/share/stylecam")
#: Variables that would turn telemetry off or move the folders, so the test would not see it.
SCRUB = ("CI", "TF_BUILD", "JENKINS_URL", "ORT_DISABLE_TELEMETRY", "STYLECAM_CACHE", "XDG_CACHE_HOME",
         "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR")


def fresh_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env["HOME"] = str(home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def written_outside(home: Path) -> list[str]:
    """Every file or folder under ``home`` that is not (on the way to) an allowed folder."""
    found = []
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home).as_posix()
        inside = any(rel == a or rel.startswith(a + "/") for a in ALLOWED)
        on_the_way = path.is_dir() and any(a.startswith(rel + "/") for a in ALLOWED)
        if not (inside or on_the_way):
            found.append(rel)
    return found


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


def test_stylize_writes_nothing_outside_its_folders(home: Path, tmp_path: Path, toy_styles_dir: Path) -> None:
    """``auto`` imports OpenVINO and ONNX Runtime and probes the GPU providers."""
    clip = write_media_clip(tmp_path / "clip.mp4", 64, 48, seconds=0.4, audio=False)
    run = subprocess.run([sys.executable, "-m", "stylecam", "stylize", str(clip), "-s", "negative", "--styles-dir",
                          str(toy_styles_dir), "--engine", "auto"], env=fresh_env(home), capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "on engine openvino" in run.stderr or "on engine cpu" in run.stderr
    assert written_outside(home) == []
    assert not (home / ".cache/stylecam/tensorrt").exists()  # no GPU here: no empty TensorRT cache
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "clip.negative.mp4", "home"]


GUI_SCRIPT = textwrap.dedent("""
    import sys
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from stylecam.app.gui import app as gui_app

    app = QApplication(sys.argv[:1])
    shown = []

    def close_when_a_frame_is_shown():
        for w in app.topLevelWidgets():
            result = getattr(w, "last_result", None)
            if result is not None and result.style == "negative" and not shown:
                shown.append(w.last_result.style)
                w.close()

    timer = QTimer()
    timer.timeout.connect(close_when_a_frame_is_shown)
    timer.start(50)
    QTimer.singleShot(90_000, app.quit)  # a safety net, never the expected way out
    code = gui_app.run(source=sys.argv[1], style="negative", engine="auto", styles_dirs=[sys.argv[2]])
    print("shown:", shown)
    sys.exit(code)
""")


def test_gui_start_writes_nothing_outside_its_folders(home: Path, tmp_path: Path, toy_styles_dir: Path) -> None:
    """The real app start (settings, camera probe, engine probe, ``auto``) until a stylized
    frame is on screen, then a normal quit."""
    clip = write_media_clip(tmp_path / "clip.mp4", 160, 120, seconds=1.0, audio=True)
    run = subprocess.run([sys.executable, "-c", GUI_SCRIPT, str(clip), str(toy_styles_dir)], env=fresh_env(home),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "shown: ['negative']" in run.stdout, run.stdout + run.stderr
    assert written_outside(home) == []


def test_telemetry_modules_are_switched_off_before_import() -> None:
    """In-process: importing stylecam blocks ``openvino_telemetry`` (OpenVINO's ``ovc``
    falls back to its no-op stub, so no event is sent and no child is forked) and sets
    ``ORT_DISABLE_TELEMETRY`` before ONNX Runtime loads."""
    code = textwrap.dedent("""
        import os, sys
        import stylecam
        import openvino
        from openvino.tools.ovc import telemetry_utils
        assert sys.modules["openvino_telemetry"] is None
        assert telemetry_utils.tm.__name__.endswith("telemetry_stub"), telemetry_utils.tm
        assert os.environ["ORT_DISABLE_TELEMETRY"] == "1"
        print("ok")
    """)
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
