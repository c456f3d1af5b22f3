"""app.video: reading, writing, timestamps, audio copy, damaged input, temporary files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from stylecam.app.video import DecodedFrame, VideoError, VideoReader, VideoWriter, output_suffix

from helpers.media import MEDIA_FRAMES, audio_packets, probe_video


def copy_through(src: Path, dst: Path, change=lambda img: img) -> VideoReader:
    """Decode src and write dst the way ``stylecam stylize`` does (one pass, audio interleaved)."""
    with VideoReader(src) as r:
        info = r.info
        with VideoWriter(dst, info.width, info.height, fps=info.fps, time_base=info.time_base,
                         audio_streams=r.audio_streams, crf=23) as w:
            for item in r.items():
                if isinstance(item, DecodedFrame):
                    w.write_frame(item, change(item.image))
                else:
                    w.mux_packet(item)
    return r


def test_reader_reports_what_the_header_says(media_dir: Path) -> None:
    with VideoReader(media_dir / "clip.mp4") as r:
        info = r.info
        frames = list(r.frames())
    assert (info.width, info.height) == (160, 120)
    assert info.fps == 25
    assert info.frame_count == MEDIA_FRAMES
    assert info.audio_streams == 1
    assert len(frames) == MEDIA_FRAMES
    first = frames[0]
    assert first.image.dtype == np.uint8 and first.image.shape == (120, 160, 3)
    assert [f.index for f in frames] == list(range(MEDIA_FRAMES))
    assert frames[1].time == pytest.approx(1 / 25)
    assert r.corrupt_frames == 0 and not r.truncated


@pytest.mark.parametrize("name", ["clip.mp4", "odd.mp4", "silent.mkv"])
def test_copy_keeps_frames_size_rate_timestamps_and_audio_bytes(media_dir: Path, name: str) -> None:
    src = media_dir / name
    dst = media_dir / f"out{src.suffix}"
    copy_through(src, dst, change=lambda img: 255 - img)
    a, b = probe_video(src), probe_video(dst)
    w, h = a["size"]
    assert b["size"] == (w + w % 2, h + h % 2)  # 161x121 is padded to 162x122 (4:2:0)
    assert b["rate"] == a["rate"]
    assert b["frames"] == a["frames"]
    assert b["times"] == a["times"]
    assert b["audio_streams"] == a["audio_streams"]
    assert audio_packets(dst) == audio_packets(src)  # bytes, pts, times: copied, not re-encoded
    assert [p.name for p in media_dir.iterdir() if ".tmp" in p.name] == []


def test_written_pixels_are_the_frames_given(media_dir: Path) -> None:
    src, dst = media_dir / "clip.mp4", media_dir / "neg.mp4"
    copy_through(src, dst, change=lambda img: 255 - img)
    with VideoReader(src) as r1, VideoReader(dst) as r2:
        for f1, f2 in zip(r1.frames(), r2.frames(), strict=True):
            diff = np.abs((255 - f1.image).astype(int) - f2.image.astype(int))
            assert diff.mean() < 6  # lossy H.264 at crf 23, yuv420p


def test_odd_size_written_as_420_padded_with_its_edge(media_dir: Path) -> None:
    """Every size is yuv420p High profile (playable everywhere); an odd side gains one
    pixel that repeats the edge, and the picture itself is untouched."""
    for name in ("odd.mp4", "clip.mp4"):
        dst = media_dir / f"o_{name}"
        copy_through(media_dir / name, dst)
        with av.open(str(dst)) as c:
            s = c.streams.video[0]
            assert s.codec_context.pix_fmt == "yuv420p"
            assert s.codec_context.name == "h264" and s.profile == "High"
    with VideoReader(media_dir / "odd.mp4") as r1, VideoReader(media_dir / "o_odd.mp4") as r2:
        a, b = next(r1.frames()).image.astype(int), next(r2.frames()).image.astype(int)
    assert b.shape == (122, 162, 3)
    assert np.abs(b[:121, :161] - a).mean() < 4
    assert np.abs(b[121, :161] - b[120, :161]).mean() < 6 and np.abs(b[:121, 161] - b[:121, 160]).mean() < 6


def test_truncated_file_decodes_what_is_there_and_says_so(media_dir: Path) -> None:
    with VideoReader(media_dir / "truncated.mp4") as r:
        n = sum(1 for _ in r.frames())
        assert 0 < n < MEDIA_FRAMES
        assert r.truncated
    with VideoReader(media_dir / "clip.mp4") as r:
        sum(1 for _ in r.frames())
        assert not r.truncated


def test_corrupt_frame_is_counted_and_skipped(media_dir: Path) -> None:
    with VideoReader(media_dir / "damaged.mkv") as r:
        frames = list(r.frames())
    assert r.corrupt_frames == 1
    assert len(frames) == 20 - 1
    assert not r.truncated


def bad_file(folder: Path, kind: str) -> Path:
    """The bad inputs a user can hand us, made for real."""
    if kind == "missing":
        return folder / "missing.mp4"
    if kind == "folder":
        return folder
    path = folder / f"{kind}.mp4"
    path.write_bytes(b"" if kind == "empty" else np.random.default_rng(1).bytes(50_000))
    return path


@pytest.mark.parametrize(
    "kind, problem",
    [("missing", "no such file"), ("empty", "empty file"), ("noise", "not a readable video"), ("folder", "not a file")],
)
def test_reader_rejects_bad_files_with_one_line(tmp_path: Path, kind: str, problem: str) -> None:
    path = bad_file(tmp_path, kind)
    with pytest.raises(VideoError) as e:
        VideoReader(path)
    assert problem in str(e.value) and "\n" not in str(e.value)
    assert e.value.path == path


def test_audio_only_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tone.m4a"
    with av.open(str(path), "w", format="mp4") as c:
        a = c.add_stream("aac", rate=8000)
        af = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        af.sample_rate, af.pts = 8000, 0
        c.mux(a.encode(af))
        c.mux(a.encode(None))
    with pytest.raises(VideoError, match="no video stream"):
        VideoReader(path)


def test_writer_leaves_nothing_when_interrupted(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt), VideoWriter(out, 64, 48, fps=Fraction(25)) as w:
        for i in range(5):
            w.write(np.full((48, 64, 3), i * 40, np.uint8))
        assert len(list(tmp_path.iterdir())) == 1  # the temporary file, hidden
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_writer_replaces_only_when_complete(tmp_path: Path) -> None:
    out = tmp_path / "out.mkv"
    out.write_bytes(b"old")
    with VideoWriter(out, 64, 48) as w:
        w.write(np.zeros((48, 64, 3), np.uint8))
        assert out.read_bytes() == b"old"
    assert probe_video(out)["frames"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out.mkv"]


def test_writer_without_timestamps_counts_frames_at_the_rate(tmp_path: Path) -> None:
    out = tmp_path / "gen.mp4"
    with VideoWriter(out, 64, 48, fps=Fraction(30)) as w:
        for _ in range(10):
            w.write(np.zeros((48, 64, 3), np.uint8))
    assert probe_video(out)["times"] == pytest.approx([i / 30 for i in range(10)])


def test_writer_refuses_what_it_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="cannot write video as .avi"):
        VideoWriter(tmp_path / "x.avi", 64, 48)
    with VideoWriter(tmp_path / "x.mp4", 64, 48) as w, pytest.raises(VideoError, match="stream is 64x48"):
        w.write(np.zeros((10, 10, 3), np.uint8))
    assert output_suffix(".MP4") == ".mp4" and output_suffix(".avi") == ".mkv" and output_suffix(".webm") == ".mkv"


def test_audio_packets_alone_are_the_ones_items_interleaves(media_dir: Path) -> None:
    with VideoReader(media_dir / "clip.mp4") as r:
        interleaved = [(p.pts, p.size) for p in r.items() if isinstance(p, av.Packet)]
    with VideoReader(media_dir / "clip.mp4") as r:
        alone = [(p.pts, p.size) for p in r.audio_packets()]
        assert r.decoded_frames == 0  # no video was decoded for them
    assert alone == interleaved and len(alone) > 0


def test_square_pixels_resamples_anamorphic_frames_as_a_player_shows_them(tmp_path: Path) -> None:
    """The live preview's reading (``low_latency``, ``square_pixels``): a 3:2 pixel shape is
    stretched to square pixels and ``info`` describes the frames delivered."""
    path = tmp_path / "ana.mkv"
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.codec_context.sample_aspect_ratio = Fraction(3, 2)
        for i in range(5):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 40, np.uint8), format="bgr24")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(v.encode(f))
        c.mux(v.encode(None))
    with VideoReader(path) as r:
        assert (r.info.width, r.info.sar) == (64, Fraction(3, 2))
        assert next(r.frames()).image.shape == (48, 64, 3)
    with VideoReader(path, low_latency=True, square_pixels=True) as r:
        assert (r.info.width, r.info.height, r.info.sar) == (96, 48, Fraction(1))
        frames = list(r.frames())
    assert len(frames) == 5 and all(f.image.shape == (48, 96, 3) for f in frames)
