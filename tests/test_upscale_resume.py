"""Resuming a stopped ``stylecam upscale`` video (app/resume.py, app/segments.py).

A real run in a child process is stopped by SIGTERM once its first segment is on disk
(the documented test hook sends it, as ``kill`` would); the same command then resumes,
and its output must be the file an uninterrupted run writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from test_upscale import run_cli, upscalers  # noqa: F401 - the fixture, shared

from stylecam.app.resume import MANIFEST, STOP_AFTER_ENV, work_folder

from helpers.media import audio_packets, probe_video, write_media_clip

SEGMENT = ["--segment-seconds", "0.4"]  # 4 frames a segment at 10 frames/s: 12 frames, 3 segments


def common(src: Path, out: Path, ups: Path, *extra: str) -> list[str]:
    return [str(src), "--factor", "4", "-o", str(out), "--upscalers-dir", str(ups), "--full-net", *SEGMENT, *extra]


def stopped_run(argv: list[str], after: int = 1) -> subprocess.CompletedProcess:
    """The command in a child process that SIGTERMs itself after ``after`` finished segments."""
    env = {**os.environ, STOP_AFTER_ENV: str(after)}
    return subprocess.run([sys.executable, "-m", "stylecam", "upscale", "--quiet", "--engine", "cpu", *argv],
                          env=env, capture_output=True, text=True, timeout=300)


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="bgr24") for f in c.decode(c.streams.video[0])]


def video_packets(path: Path) -> list[tuple[bytes, int | None, int | None]]:
    with av.open(str(path)) as c:
        return [(bytes(p), p.pts, p.dts) for p in c.demux(c.streams.video[0]) if p.size]


@pytest.fixture
def clip(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv(STOP_AFTER_ENV, raising=False)
    return write_media_clip(tmp_path / "clip.mp4", 64, 48, seconds=1.2, fps=10, audio=True)


def test_a_stopped_run_resumes_and_equals_an_uninterrupted_one(
        upscalers: Path, clip: Path, tmp_path: Path, capsys) -> None:  # noqa: F811  (the shared fixture)
    out, ref = tmp_path / "big.mp4", tmp_path / "ref.mp4"
    stopped = stopped_run(common(clip, out, upscalers, "--tile", "32"))
    assert stopped.returncode == 128 + 15, stopped.stderr
    assert "stopped by SIGTERM" in stopped.stderr and "frames kept in" in stopped.stderr
    work = work_folder(out)
    assert not out.exists()
    manifest = json.loads((work / MANIFEST).read_text())
    assert [s["frames"] for s in manifest["segments"]] == [4]
    assert sorted(p.name for p in work.iterdir()) == [MANIFEST, "segment00000.mp4"]  # no segment in progress

    code, err = run_cli(capsys, *common(clip, out, upscalers, "--tile", "32"))
    assert code == 0, err
    assert "resuming at frame 4 of 12" in err
    code, err = run_cli(capsys, *common(clip, ref, upscalers, "--tile", "32"))
    assert code == 0 and "resuming" not in err

    a, b, c = probe_video(clip), probe_video(out), probe_video(ref)
    assert b["frames"] == c["frames"] == a["frames"] == 12
    assert b["times"] == c["times"] == a["times"] and b["size"] == (256, 192)
    with av.open(str(clip)) as c1, av.open(str(out)) as c2:
        v1, v2 = c1.streams.video[0], c2.streams.video[0]
        assert float(v2.duration * v2.time_base) == pytest.approx(float(v1.duration * v1.time_base), abs=1e-3)
    assert audio_packets(out) == audio_packets(ref) == audio_packets(clip) and len(audio_packets(clip)) > 5
    assert video_packets(out) == video_packets(ref)  # the same encoded frames, byte for byte
    frames_out, frames_ref = decoded(out), decoded(ref)
    assert all(np.array_equal(x, y) for x, y in zip(frames_out, frames_ref, strict=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.mp4", "clip.mp4", "ref.mp4"]  # work folders gone


def test_other_settings_or_a_broken_manifest_are_never_resumed(
        upscalers: Path, clip: Path, tmp_path: Path, capsys) -> None:  # noqa: F811  (the shared fixture)
    out, ref = tmp_path / "big.mp4", tmp_path / "ref.mp4"
    work = work_folder(out)
    assert stopped_run(common(clip, out, upscalers, "--tile", "32")).returncode == 143
    # other settings: refused in one line, the old work kept for the settings it belongs to
    code, err = run_cli(capsys, *common(clip, out, upscalers, "--tile", "0"))
    assert code == 1 and not out.exists()
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1 and "other settings" in lines[0] and "tile 32 -> 0" in lines[0] and "--restart" in lines[0]
    assert (work / "segment00000.mp4").exists()
    # --restart discards it; the output is the --tile 0 one, not a mix
    code, err = run_cli(capsys, *common(clip, out, upscalers, "--tile", "0", "--restart"))
    assert code == 0 and "discarded" in err and "resuming" not in err
    code, err = run_cli(capsys, *common(clip, ref, upscalers, "--tile", "0"))
    assert code == 0
    assert video_packets(out) == video_packets(ref) and not work.exists()

    # a manifest that does not parse: a note, and a fresh start
    out.unlink()
    assert stopped_run(common(clip, out, upscalers, "--tile", "0")).returncode == 143
    (work / MANIFEST).write_text('{"format": 1, "segm')
    code, err = run_cli(capsys, *common(clip, out, upscalers, "--tile", "0"))
    assert code == 0 and "unreadable manifest" in err and "resuming" not in err
    assert video_packets(out) == video_packets(ref)

    # a segment that is not what the manifest says (cut short): redone, not trusted
    out.unlink()
    assert stopped_run(common(clip, out, upscalers, "--tile", "0"), after=2).returncode == 143
    seg = work / "segment00001.mp4"
    seg.write_bytes(seg.read_bytes()[:100])
    code, err = run_cli(capsys, *common(clip, out, upscalers, "--tile", "0"))
    assert code == 0 and "damaged; redoing from frame 4" in err and "resuming at frame 4 of 12" in err
    assert video_packets(out) == video_packets(ref)

    # the input changed since: the old work is for another file
    out.unlink()
    assert stopped_run(common(clip, out, upscalers, "--tile", "0")).returncode == 143
    write_media_clip(clip, 64, 48, seconds=0.8, fps=10, audio=True)
    code, err = run_cli(capsys, *common(clip, out, upscalers, "--tile", "0"))
    assert code == 0 and "another input" in err and "resuming" not in err
    assert probe_video(out)["frames"] == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.mp4", "clip.mp4", "ref.mp4"]


def test_frames_done_before_are_decoded_not_inferred(upscalers: Path, clip: Path, tmp_path: Path) -> None:  # noqa: F811
    from stylecam.app.upscale import TiledUpscaler, upscale_video
    from stylecam.models.runtime.engines import open_engine

    out = tmp_path / "big.mp4"
    assert stopped_run(common(clip, out, upscalers, "--tile", "32"), after=2).returncode == 143
    engine = open_engine(upscalers / "tiny.onnx", "cpu", full_net=True)
    upscaler = TiledUpscaler(engine, 4, tile=32, overlap=16)  # the command's settings: the work is resumed
    result = upscale_video(clip, out, upscaler, progress=False, segment_seconds=0.4)
    assert result.frames == 12 and probe_video(out)["frames"] == 12
    assert upscaler.tiles_run == (12 - 8) * 4  # 2 x 2 tiles for each of the 4 frames not done before
    assert not work_folder(out).exists()
