"""``stylecam upscale`` (app/upscale.py): tiles without seams, images, videos with audio."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from test_sr import _perturbed, save_upscaler

from stylecam.app.cli import main
from stylecam.app.upscale import TiledUpscaler, tile_spans

from helpers.media import audio_packets, probe_video, write_media_clip


@pytest.fixture(scope="module")
def upscalers(tmp_path_factory) -> Path:
    """A folder with one x4 upscaler ``tiny`` (full net + real-time CPU version, random weights)."""
    from stylecam.export.sr_export import export_upscaler

    folder = tmp_path_factory.mktemp("ups")
    for arch, out in (("sr", "tiny.onnx"), ("srfast", "tiny.cpu.onnx")):
        net = _perturbed(arch, channels=8, blocks=1, seed=3)
        export_upscaler(save_upscaler(folder / f"{arch}.safetensors", net), folder / out, report=lambda s: None)
        (folder / f"{arch}.safetensors").unlink()
    return folder


def test_tile_spans_cover_every_pixel_once() -> None:
    for length, tile, overlap in ((100, 32, 8), (33, 32, 16), (1000, 384, 16), (20, 384, 16)):
        spans = tile_spans(length, tile, overlap)
        cores = [i for a, b, _, _ in spans for i in range(a, b)]
        assert cores == list(range(length))
        for a, b, ra, rb in spans:
            assert b - a <= tile and ra == max(0, a - overlap) and rb == min(length, b + overlap)


@pytest.mark.parametrize("full_net", [True, False])
def test_tiled_output_matches_untiled(upscalers: Path, full_net: bool) -> None:
    from stylecam.models.runtime.engines import open_engine

    engine = open_engine(upscalers / "tiny.onnx", "cpu", full_net=full_net)
    rng = np.random.default_rng(0)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (75, 110, 3), dtype=np.uint8), (0, 0), 1.5)
    whole = TiledUpscaler(engine, 4, tile=0)(frame)
    tiler = TiledUpscaler(engine, 4, tile=32, overlap=16)
    tiled = tiler(frame)
    assert tiler.tiles_run == 3 * 4 and whole.shape == tiled.shape == (300, 440, 3)
    diff = np.abs(whole.astype(int) - tiled.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3  # float rounding only: no seams
    # the check can fail: without context around the tiles, the seams show
    seams = np.abs(whole.astype(int) - TiledUpscaler(engine, 4, tile=32, overlap=0)(frame).astype(int))
    assert seams.max() > 8


def test_tiny_frames_are_padded_then_cropped(upscalers: Path) -> None:
    from stylecam.models.runtime.engines import open_engine

    engine = open_engine(upscalers / "tiny.onnx", "cpu")
    out = TiledUpscaler(engine, 4)(np.full((9, 13, 3), 100, np.uint8))
    assert out.shape == (36, 52, 3)


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(["upscale", "--quiet", "--engine", "cpu", *argv])
    return code, capsys.readouterr().err


def test_upscale_an_image(upscalers: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "photo.png"
    img = cv2.GaussianBlur(np.random.default_rng(1).integers(0, 256, (50, 70, 3), dtype=np.uint8), (0, 0), 2)
    cv2.imwrite(str(src), img)
    code, err = run_cli(capsys, str(src), "--factor", "4", "--upscalers-dir", str(upscalers))
    assert code == 0, err
    out = tmp_path / "photo.x4.png"
    up = cv2.imread(str(out))
    assert up.shape == (200, 280, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png", "photo.x4.png"]
    assert "upscaler 'tiny'" in err and "real-time CPU version" in err
    # close to the original at low frequencies (an untrained-but-perturbed net, so loosely)
    assert np.abs(cv2.resize(up, (70, 50), interpolation=cv2.INTER_AREA).astype(int) - img).mean() < 40


def test_upscale_a_clip_keeps_frames_duration_and_audio(upscalers: Path, tmp_path: Path, capsys) -> None:
    src = write_media_clip(tmp_path / "clip.mp4", 64, 48, seconds=1.2, fps=10, audio=True)
    out = tmp_path / "big.mp4"
    code, err = run_cli(capsys, str(src), "--factor", "4", "-o", str(out), "--upscalers-dir", str(upscalers),
                        "--full-net", "--tile", "32")
    assert code == 0, err
    a, b = probe_video(src), probe_video(out)
    assert b["size"] == (256, 192)
    assert b["frames"] == a["frames"] == 12 and b["times"] == a["times"] and b["rate"] == a["rate"]
    with av.open(str(src)) as c1, av.open(str(out)) as c2:
        v1, v2 = c1.streams.video[0], c2.streams.video[0]
        assert float(v2.duration * v2.time_base) == pytest.approx(float(v1.duration * v1.time_base), abs=1e-3)
        assert c2.duration == pytest.approx(c1.duration, abs=2e4)  # container, microseconds
    assert audio_packets(out) == audio_packets(src) and len(audio_packets(src)) > 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.mp4", "clip.mp4"]


def test_bad_inputs_say_one_line_and_write_nothing(upscalers: Path, tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    code, err = run_cli(capsys, str(broken), str(tmp_path / "missing.mp4"), "--upscalers-dir", str(upscalers),
                        "-o", str(tmp_path / "out") + "/")
    assert code != 0
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 2 and "broken.png" in lines[0] + lines[1] and "missing.mp4" in lines[0] + lines[1]
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    code, err = run_cli(capsys, str(broken), "--factor", "8", "--upscalers-dir", str(upscalers))
    assert code == 2 and "no x8 upscaler" in err and "tiny (x4)" in err
    code, err = run_cli(capsys, str(broken), "--model", str(upscalers / "tiny.onnx"), "--factor", "8")
    assert code == 2 and "is a x4 upscaler, not x8" in err


def test_a_style_is_not_an_upscaler(tmp_path: Path, capsys) -> None:
    from stylecam.models.style.catalog import BUNDLED_DIR

    style = next(p for p in sorted(BUNDLED_DIR.glob("*.onnx")) if ".cpu." not in p.name)
    src = tmp_path / "a.png"
    cv2.imwrite(str(src), np.zeros((20, 20, 3), np.uint8))
    code, err = run_cli(capsys, str(src), "--model", str(style))
    assert code == 2 and "is a style, not an upscaler" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]
