"""``stylecam stylize`` end to end: the real command, real clips, real (toy) style files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from stylecam.app.cli import main

from helpers.media import MEDIA_FRAMES, audio_packets, probe_video, write_media_clip
from helpers.signals import default_sigint

ROOT = Path(__file__).resolve().parents[1]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name or p.name.startswith("."))


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "error:" in line]


def test_video_keeps_frames_size_rate_timestamps_and_audio(media_dir: Path, stylize) -> None:
    src = media_dir / "clip.mp4"
    code, err = stylize(src, "--style", "negative", engine="auto")
    assert code == 0, err
    out = media_dir / "clip.negative.mp4"
    a, b = probe_video(src), probe_video(out)
    assert b["frames"] == a["frames"] == MEDIA_FRAMES
    assert b["size"] == a["size"] and b["rate"] == a["rate"] and b["times"] == a["times"]
    assert audio_packets(out) == audio_packets(src) and len(audio_packets(src)) > 10
    assert "on engine " in err and "Traceback" not in err
    assert leftovers(media_dir) == []
    # the pixels really went through the style (a colour negative), up to H.264 loss
    import av

    with av.open(str(src)) as c1, av.open(str(out)) as c2:
        f1 = next(c1.decode(video=0)).to_ndarray(format="bgr24").astype(int)
        f2 = next(c2.decode(video=0)).to_ndarray(format="bgr24").astype(int)
    assert np.abs((255 - f1) - f2).mean() < 6


def test_odd_size_video_is_padded_to_420_and_says_so(media_dir: Path, stylize) -> None:
    """Defect 12: odd sizes were High 4:4:4, which many players cannot play. Now 4:2:0,
    one repeated edge pixel added per odd side, and the user is told."""
    import av

    code, err = stylize(media_dir / "odd.mp4", "--style", "negative", "--size", "48", "--preserve-colors")
    assert code == 0, err
    out = media_dir / "odd.negative.mp4"
    b = probe_video(out)
    assert b["size"] == (162, 122) and b["frames"] == MEDIA_FRAMES
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
        assert c.streams.video[0].profile == "High"
    assert "odd size 161x121 encoded as 162x122" in err


def test_several_inputs_times_several_styles(media_dir: Path, stylize) -> None:
    img = media_dir / "cat.png"
    cv2.imwrite(str(img), cv2.imread(str(ROOT / "tests/data/chelsea.jpg")))
    code, err = stylize(media_dir / "silent.mkv", img, "--style", "negative,negative2")
    assert code == 0, err
    for name in ["silent.negative.mkv", "silent.negative2.mkv", "cat.negative.png", "cat.negative2.png"]:
        assert (media_dir / name).is_file(), name
    assert np.array_equal(cv2.imread(str(media_dir / "cat.negative.png")), 255 - cv2.imread(str(img)))
    assert leftovers(media_dir) == []


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".bmp"])
def test_images(tmp_path: Path, stylize, suffix: str) -> None:
    src = tmp_path / f"photo{suffix}"
    photo = cv2.imread(str(ROOT / "tests/data/coffee.jpg"))
    assert cv2.imwrite(str(src), photo)
    code, err = stylize(src, "--style", "negative", "--strength", "0.5")
    assert code == 0, err
    out = cv2.imread(str(tmp_path / f"photo.negative{suffix}"))
    assert out.shape == photo.shape
    assert abs(float(out.mean()) - 127.5) < 4  # half-way between a photo and its negative
    assert leftovers(tmp_path) == []


def test_output_file_and_folder(media_dir: Path, stylize, tmp_path_factory) -> None:
    out = media_dir / "chosen.mkv"
    code, err = stylize(media_dir / "silent.mkv", "--style", "negative", "-o", out)
    assert code == 0, err
    assert out.is_file()
    folder = tmp_path_factory.mktemp("outs")
    code, err = stylize(media_dir / "silent.mkv", media_dir / "clip.mp4", "--style", "negative,negative2", "-o", folder)
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == [
        "clip.negative.mp4", "clip.negative2.mp4", "silent.negative.mkv", "silent.negative2.mkv"]
    code, err = stylize(media_dir / "silent.mkv", "--style", "negative", "-o", f"{folder}/new/")
    assert code == 0, err
    assert (folder / "new" / "silent.negative.mkv").is_file()


def test_output_file_refused_for_many_outputs_or_the_input(media_dir: Path, stylize) -> None:
    code, err = stylize(media_dir / "silent.mkv", "--style", "negative,negative2", "-o", media_dir / "x.mkv")
    assert code == 2 and "one output file cannot hold" in err
    code, err = stylize(media_dir / "silent.mkv", "--style", "negative", "-o", media_dir / "silent.mkv")
    assert code == 2 and "would overwrite the input" in err  # refused before any work
    code, err = stylize(media_dir / "silent.mkv", "--style", "negative", "-o", media_dir / "x.avi")
    assert code == 2 and "cannot write a video as '.avi'" in err


def make_bad(folder: Path, kind: str) -> Path:
    if kind == "missing":
        return folder / "missing.mp4"
    if kind == "empty":
        (folder / "empty.mp4").write_bytes(b"")
        return folder / "empty.mp4"
    if kind == "random-bytes":
        (folder / "noise.mp4").write_bytes(np.random.default_rng(2).bytes(30_000))
        return folder / "noise.mp4"
    if kind == "bad-image":
        (folder / "noise.png").write_bytes(np.random.default_rng(3).bytes(3_000))
        return folder / "noise.png"
    if kind == "unsupported":
        (folder / "notes.txt").write_text("not a video\n")
        return folder / "notes.txt"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind, problem",
    [("missing", "no such file"), ("empty", "empty file"), ("random-bytes", "not a readable video"),
     ("bad-image", "not a readable image"), ("unsupported", "unsupported file type '.txt'")],
)
def test_bad_input_one_line_error_no_output_and_the_others_still_run(media_dir: Path, stylize, kind, problem) -> None:
    bad = make_bad(media_dir, kind)
    before = {p.name for p in media_dir.iterdir()}
    code, err = stylize(bad, media_dir / "silent.mkv", "--style", "negative")
    assert code == 1
    lines = error_lines(err)
    assert len(lines) == 1 and lines[0].startswith(f"stylecam stylize: error: {bad}: {problem}"), err
    assert "Traceback" not in err
    created = {p.name for p in media_dir.iterdir()} - before
    assert created == {"silent.negative.mkv"}  # the good input ran; nothing for the bad one


def test_truncated_video_is_stylized_as_far_as_it_decodes(media_dir: Path, stylize) -> None:
    code, err = stylize(media_dir / "truncated.mp4", "--style", "negative")
    assert code == 0, err
    assert "warning:" in err and "truncated" in err
    n = probe_video(media_dir / "truncated.negative.mp4")["frames"]
    assert 0 < n < MEDIA_FRAMES
    assert f"stylized the {n} frames" in err


def test_corrupt_frames_are_counted_and_skipped(media_dir: Path, stylize) -> None:
    code, err = stylize(media_dir / "damaged.mkv", "--style", "negative")
    assert code == 0, err
    assert "1 corrupt frame skipped" in err
    assert probe_video(media_dir / "damaged.negative.mkv")["frames"] == 19


def test_unknown_style_lists_the_available_ones(media_dir: Path, stylize) -> None:
    code, err = stylize(media_dir / "clip.mp4", "--style", "nosuch")
    assert code == 2
    assert error_lines(err) == [err.strip()]
    assert "unknown style 'nosuch'" in err and "negative, negative2" in err
    assert not (media_dir / "clip.nosuch.mp4").exists()


def test_broken_style_file_is_one_line(media_dir: Path, stylize) -> None:
    bad = media_dir / "broken.onnx"
    bad.write_bytes(b"\x00garbage")
    code, err = stylize(media_dir / "clip.mp4", "--style", bad)
    assert code == 2 and len(error_lines(err)) == 1 and str(bad) in err and "Traceback" not in err


def test_ctrl_c_leaves_no_file_and_exits_130(tmp_path: Path, toy_styles_dir: Path) -> None:
    clip = write_media_clip(tmp_path / "long.mp4", 320, 240, seconds=8, audio=True)
    before = set(tmp_path.iterdir())
    proc = subprocess.Popen(
        [sys.executable, "-m", "stylecam", "stylize", str(clip), "--style", "negative", "--engine", "cpu",
         "--styles-dir", str(toy_styles_dir)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (set(tmp_path.iterdir()) - before) and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(0.2)  # well inside the encode
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert set(tmp_path.iterdir()) == before  # no output, no temporary file


def test_runtime_never_imports_torch(media_dir: Path, toy_styles_dir: Path) -> None:
    code = (
        "import sys; from stylecam.app.cli import main; "
        f"rc = main(['stylize', {str(media_dir / 'silent.mkv')!r}, '--style', 'negative', "
        f"'--styles-dir', {str(toy_styles_dir)!r}]); "
        "assert 'torch' not in sys.modules, 'torch was imported'; sys.exit(rc)"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={**os.environ})
    assert r.returncode == 0, r.stderr


def test_a_real_exported_style_on_every_engine_present(media_dir: Path, exported_styles: dict, capsys) -> None:
    """The trained-net path end to end: a ``lite`` net exported by ``stylecam export``."""
    from stylecam.models.runtime.engines import available_engines

    style = exported_styles["lite"].path
    for engine in available_engines():
        out = media_dir / f"real_{engine}.mp4"
        code = main(["stylize", str(media_dir / "clip.mp4"), "--style", str(style), "--engine", engine, "-o", str(out)])
        err = capsys.readouterr().err
        assert code == 0, err
        assert f"on engine {engine} " in err
        a, b = probe_video(media_dir / "clip.mp4"), probe_video(out)
        assert (b["frames"], b["size"], b["times"]) == (a["frames"], a["size"], a["times"])
        assert audio_packets(out) == audio_packets(media_dir / "clip.mp4")


def test_cpu_version_is_used_and_full_net_is_honoured(media_dir: Path, exported_styles: dict, tmp_path: Path,
                                                      capsys) -> None:
    """A style with a real-time CPU version: the CPU engine runs it and says so; --full-net
    runs the full net. The two outputs differ (two different nets), both keep every frame."""
    import shutil

    style = tmp_path / "pair.onnx"
    shutil.copy(exported_styles["lite"].path, style)
    shutil.copy(exported_styles["lite_cpu"].path, tmp_path / "pair.cpu.onnx")
    outs = {}
    for full in (False, True):
        out = tmp_path / f"out_{full}.mp4"
        code = main(["stylize", str(media_dir / "clip.mp4"), "--style", str(style), "--engine", "cpu", "-o", str(out),
                     *(["--full-net"] if full else [])])
        err = capsys.readouterr().err
        assert code == 0, err
        assert ("real-time CPU version" in err) is not full
        outs[full] = out
        assert probe_video(out)["frames"] == probe_video(media_dir / "clip.mp4")["frames"]
    assert outs[False].read_bytes() != outs[True].read_bytes()
