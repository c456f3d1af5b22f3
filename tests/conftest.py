"""Shared fixtures, and nothing else: the helpers they are built from live in the
``helpers`` package (tests/helpers/), which test modules import directly. Fixture names
stay distinct because sections belong to different test modules."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers.media import write_damaged_clip, write_media_clip
from helpers.signals import restore_signal_stack, signal_stack_problem
from helpers.styles import (
    TEST_PHOTOS,
    as_style_of,
    write_test_checkpoint,
    write_toy_style,
    write_toy_style_with_preview,
)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication

# --------------------------------------------------------------------------- every test


@pytest.fixture(autouse=True)
def signal_stack_stays_mapped():
    """After each test, the main thread's alternate signal stack must still be mapped: a
    freed one makes the next Python signal handler a SIGSEGV (helpers/signals.py), in some
    later test that only sends a signal (test_pipeline's SIGALRM test after test_stabilize's
    OpenVINO one). The test that freed it fails (a user's process would have crashed on its
    next Ctrl-C or SIGTERM: models/runtime/engines.py ov_core), and the stack is replaced,
    so the later tests are unaffected."""
    yield
    problem = signal_stack_problem()
    if problem is not None:
        restore_signal_stack()
        pytest.fail(f"{problem} after this test: a signal with a Python handler would have "
                    "crashed the process (SIGSEGV); a fresh stack was put in its place")


# --------------------------------------------------------------------------- media clips and a toy style
# (tests/test_video.py, test_effects.py, test_pipeline.py, test_stylize.py)


@pytest.fixture(scope="session")
def media_originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Clips made once per session; tests get copies (outputs land beside inputs)."""
    d = tmp_path_factory.mktemp("media")
    clips = {
        "clip": write_media_clip(d / "clip.mp4", 160, 120),
        "odd": write_media_clip(d / "odd.mp4", 161, 121),
        "silent": write_media_clip(d / "silent.mkv", 96, 64, seconds=0.6, audio=False),
    }
    data = clips["clip"].read_bytes()
    (d / "truncated.mp4").write_bytes(data[: int(len(data) * 0.6)])
    clips["truncated"] = d / "truncated.mp4"
    clips["damaged"] = write_damaged_clip(d / "damaged.mkv")
    return clips


@pytest.fixture
def media_dir(tmp_path: Path, media_originals: dict[str, Path]) -> Path:
    """A fresh folder holding copies of every test clip (clip, odd, silent, truncated, damaged)."""
    for src in media_originals.values():
        shutil.copy(src, tmp_path / src.name)
    return tmp_path


@pytest.fixture(scope="session")
def toy_styles_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A styles folder with two toy styles, ``negative`` and ``negative2``."""
    d = tmp_path_factory.mktemp("toy_styles")
    write_toy_style(d / "negative.onnx")
    write_toy_style(d / "negative2.onnx", name="negative2", title="Negative again")
    return d


@pytest.fixture
def stylize(toy_styles_dir: Path, capsys: pytest.CaptureFixture):
    """Run ``stylecam stylize ARGS --styles-dir <toy styles>`` in-process; returns (exit code, stderr)
    (tests/test_stylize.py, test_bad_inputs.py)."""

    def run(*args: str | Path, engine: str = "cpu") -> tuple[int, str]:
        argv = ["stylize", *map(str, args), "--styles-dir", str(toy_styles_dir)]
        if engine:
            argv += ["--engine", engine]
        from stylecam.app.cli import main

        code = main(argv)
        return code, capsys.readouterr().err

    return run


# --------------------------------------------------------------------------- exported test styles
# (tests/test_export.py, test_engines.py, test_catalog.py)


@pytest.fixture(scope="session")
def export_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{arch: path}`` for every registered architecture: small real checkpoints of
    untrained nets, scaled so that outputs are mid-grey images, not saturated."""
    from stylecam.models.nets.registry import list_models

    d = tmp_path_factory.mktemp("export_ck")
    return {arch: write_test_checkpoint(d / f"test_{arch}.safetensors", arch, seed=i)
            for i, arch in enumerate(list_models())}


@pytest.fixture(scope="session")
def exported_styles(export_checkpoints: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``{arch: ExportResult}`` for every architecture; lite also gets fp16 and int8 variants
    and a CPU version (``lite_cpu``: the nano net trained, in name, for the same style)."""
    from stylecam.export.onnx_export import export_style
    from stylecam.export.quantize import quantize_int8

    d = tmp_path_factory.mktemp("export_out")
    results = {}
    for arch, ck in export_checkpoints.items():
        results[arch] = export_style(ck, d / f"test_{arch}.onnx", images_dir=TEST_PHOTOS,
                                     preview_image=TEST_PHOTOS / "coffee.jpg", fp16=arch == "lite",
                                     max_real=1, report=lambda s: None)
    results["lite_int8"] = quantize_int8(results["lite"].path, TEST_PHOTOS, report=lambda s: None)
    apart = tmp_path_factory.mktemp("export_cpu")  # not beside test_lite.onnx: that one runs as is
    student = as_style_of(export_checkpoints["nano"], export_checkpoints["lite"], apart / "test_lite_cpu.safetensors")
    results["lite_cpu"] = export_style(student, apart / "test_lite.cpu.onnx", images_dir=TEST_PHOTOS,
                                       preview_image=TEST_PHOTOS / "coffee.jpg", max_real=1,
                                       report=lambda s: None)
    return results


# --------------------------------------------------------------------------- the desktop app (tests/test_gui.py)

GUI_FPS = 30
GUI_SECONDS = 2.0


@pytest.fixture(scope="session")
def gui_styles_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Styles for the window: ``a_negative`` (first in the menu), ``b_swap`` (BGR -> RGB),
    both with previews, and ``c_broken.onnx`` (garbage, shown as unavailable)."""
    d = tmp_path_factory.mktemp("gui_styles")
    write_toy_style_with_preview(d / "a_negative.onnx", "a_negative", "Negative", (0, 0, 255))
    write_toy_style_with_preview(d / "b_swap.onnx", "b_swap", "Swap", (255, 0, 0), channels=(2, 1, 0))
    (d / "c_broken.onnx").write_bytes(b"this is not an onnx model")
    return d


@pytest.fixture(scope="session")
def gui_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 640x480, 30 frames/s, 2 s H.264 clip with an AAC tone: the live source (it loops)."""
    d = tmp_path_factory.mktemp("gui_clip")
    return write_media_clip(d / "live.mp4", 640, 480, seconds=GUI_SECONDS, fps=GUI_FPS)
