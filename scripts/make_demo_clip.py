"""Make a short demo clip (H.264 + AAC) from the bundled test photos: a slow pan and
zoom across each photo, with a quiet tone as its audio track, so the README's first
command has a video with sound to stylize on any machine.

    python scripts/make_demo_clip.py [OUT.mp4] [--size 640x480] [--seconds 6] [--fps 30]
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

PHOTOS = Path(__file__).resolve().parent.parent / "tests" / "data"


def frames(width: int, height: int, count: int) -> list[np.ndarray]:
    photos = [cv2.imread(str(p)) for p in sorted(PHOTOS.glob("*.jpg"))]
    out = []
    per = max(1, count // len(photos))
    for i in range(count):
        img = photos[min(i // per, len(photos) - 1)]
        t = (i % per) / per
        zoom = 1.0 + 0.25 * t  # slow push-in
        scale = max(width / img.shape[1], height / img.shape[0]) * zoom
        big = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        x = int((big.shape[1] - width) * t)
        y = (big.shape[0] - height) // 2
        out.append(np.ascontiguousarray(big[y : y + height, x : x + width]))
    return out


def write(path: Path, width: int, height: int, seconds: float, fps: int) -> None:
    tmp = path.with_name(path.name + ".tmp.mp4")
    with av.open(str(tmp), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=44100)
        audio.layout = "mono"
        for img in frames(width, height, int(seconds * fps)):
            for packet in video.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        n = int(seconds * 44100)
        tone = (0.1 * np.sin(2 * np.pi * 220 * np.arange(n) / 44100)).astype(np.float32)
        for start in range(0, n, 1024):
            chunk = tone[start : start + 1024].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = 44100
            frame.pts = start
            frame.time_base = Fraction(1, 44100)
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    tmp.replace(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", nargs="?", type=Path, default=Path("demo.mp4"))
    p.add_argument("--size", default="640x480")
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--fps", type=int, default=30)
    args = p.parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    write(args.out, w, h, args.seconds, args.fps)
    print(f"wrote {args.out} ({w}x{h}, {args.seconds:g} s at {args.fps} fps, with audio)")


if __name__ == "__main__":
    main()
