"""Media the tests make and read back: real PyAV clips (H.264 + AAC), and an independent
decode of what a command wrote, so a test never checks the video stack with itself."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"  # tests/data: the photos tests move and stylize
MEDIA_FPS = 25
MEDIA_SECONDS = 1.5
MEDIA_FRAMES = int(MEDIA_FPS * MEDIA_SECONDS)  # 37
MEDIA_SAMPLE_RATE = 44100


def media_picture(i: int, w: int, h: int) -> np.ndarray:
    """A moving, colourful BGR test picture (gradients and a sliding bar), deterministic."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.uint8)
    img[..., 0] = (x * 255 // max(w - 1, 1) + i * 5) % 256
    img[..., 1] = y * 255 // max(h - 1, 1)
    img[..., 2] = 60
    bar = (i * 3) % w
    img[:, bar : bar + 6, 2] = 230
    return img


def write_media_clip(
    path: Path,
    width: int,
    height: int,
    *,
    seconds: float = MEDIA_SECONDS,
    fps: int = MEDIA_FPS,
    audio: bool = True,
    codec: str = "libx264",
) -> Path:
    """An H.264 (+ AAC stereo tone) clip with its index at the front (faststart), so that
    a truncated copy still opens, as a real half-downloaded file often does."""
    fmt = "matroska" if path.suffix == ".mkv" else None
    options = {"movflags": "+faststart"} if path.suffix in (".mp4", ".mov") else {}
    with av.open(str(path), "w", format=fmt, options=options) as c:
        v = c.add_stream(codec, rate=fps)
        v.width, v.height = width, height
        if codec == "mjpeg":
            v.pix_fmt = "yuvj420p"
        else:
            v.pix_fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
            v.options = {"preset": "ultrafast"}
        a = None
        if audio:
            a = c.add_stream("aac", rate=MEDIA_SAMPLE_RATE)
            a.layout = "stereo"
        for i in range(int(fps * seconds)):
            frame = av.VideoFrame.from_ndarray(media_picture(i, width, height), format="bgr24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            c.mux(v.encode(frame))
        c.mux(v.encode(None))
        if a is not None:
            total, t = int(MEDIA_SAMPLE_RATE * seconds), 0
            while t < total:
                n = min(1024, total - t)
                tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(t, t + n) / MEDIA_SAMPLE_RATE)).astype(np.float32)
                af = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
                af.sample_rate = MEDIA_SAMPLE_RATE
                af.pts = t
                c.mux(a.encode(af))
                t += n
            c.mux(a.encode(None))
    return path


def write_damaged_clip(path: Path) -> Path:
    """An MJPEG clip whose 8th frame is random bytes: the decoder refuses that one frame."""
    src = write_media_clip(path.with_name("mjpeg_src.mkv"), 96, 64, seconds=0.8, audio=False, codec="mjpeg")
    rng = np.random.default_rng(0)
    with av.open(str(src)) as inp, av.open(str(path), "w", format="matroska") as out:
        s = out.add_stream_from_template(inp.streams.video[0])
        for k, packet in enumerate(inp.demux(inp.streams.video[0])):
            if packet.dts is None:
                continue
            if k == 7:
                bad = av.Packet(rng.integers(0, 256, packet.size, dtype=np.uint8).tobytes())
                bad.pts, bad.dts, bad.time_base = packet.pts, packet.dts, packet.time_base
                packet = bad
            packet.stream = s
            out.mux(packet)
    return path


def probe_video(path: Path) -> dict:
    """What an independent PyAV decode sees: size, rate, frame times (s), frame count."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        times = [float(f.pts * f.time_base) for f in c.decode(s)]
        return {
            "size": (s.codec_context.width, s.codec_context.height),
            "rate": s.average_rate,
            "times": times,
            "frames": len(times),
            "audio_streams": len(c.streams.audio),
        }


def audio_packets(path: Path) -> list[tuple[bytes, int | None, float]]:
    """Every audio packet's bytes, pts and time in seconds, in file order."""
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return []
        return [(bytes(p), p.pts, float(p.pts * p.time_base))
                for p in c.demux(c.streams.audio[0]) if p.size]


def photo(name: str = "astronaut.jpg", size: tuple[int, int] = (900, 700)) -> np.ndarray:
    """One of tests/data's photos, resized (larger than a 640x480 frame, so it can pan)."""
    return cv2.resize(cv2.imread(str(DATA / name)), size, interpolation=cv2.INTER_AREA)


def pan(image: np.ndarray, n: int, step: tuple[int, int], w: int = 640, h: int = 480) -> list[np.ndarray]:
    """Frames of a camera panning over ``image`` by ``step`` pixels a frame (exact motion)."""
    dx, dy = step
    return [image[40 + i * dy:40 + i * dy + h, 40 + i * dx:40 + i * dx + w].copy() for i in range(n)]
