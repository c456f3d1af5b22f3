"""What resuming a stopped ``stylecam upscale`` saves, and what the segments cost.

Runs the real command in child processes on a made-up clip (tests' media helper): one
uninterrupted run, one stopped by SIGTERM after ``--stop-after`` segments (the test hook
of ``stylecam.app.resume``), and its resumed rerun; prints each one's process CPU time
(children's user + system, so other load on the machine does not count) and whether the
resumed output's video and audio packets equal the uninterrupted one's. Also times the
final join alone (segments + audio copied into one file) on the uninterrupted run's
segments.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_resume.py --seconds 8
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from stylecam.app.resume import STOP_AFTER_ENV, work_folder  # noqa: E402

from helpers.media import audio_packets, write_media_clip  # noqa: E402


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, float]:
    before = children_cpu()
    p = subprocess.run([sys.executable, "-m", "stylecam", "upscale", "--quiet", *argv],
                       env={**os.environ, **(env or {})}, capture_output=True, text=True)
    return p.returncode, children_cpu() - before


def packets(path: Path) -> list[tuple[bytes, int | None]]:
    with av.open(str(path)) as c:
        return [(bytes(p), p.pts) for p in c.demux(c.streams.video[0]) if p.size]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--segment-seconds", type=float, default=2.0)
    ap.add_argument("--stop-after", type=int, default=2)
    ap.add_argument("--engine", default="auto")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        src = write_media_clip(d / "clip.mp4", w, h, seconds=a.seconds, fps=25, audio=True)
        common = [str(src), "--engine", a.engine, "--segment-seconds", str(a.segment_seconds)]
        rc_full, cpu_full = run([*common, "-o", str(d / "full.mp4")])
        rc_stop, cpu_stop = run([*common, "-o", str(d / "out.mp4")], {STOP_AFTER_ENV: str(a.stop_after)})
        rc_res, cpu_res = run([*common, "-o", str(d / "out.mp4")])
        same = packets(d / "out.mp4") == packets(d / "full.mp4") and \
            audio_packets(d / "out.mp4") == audio_packets(d / "full.mp4") == audio_packets(src)
        # the join alone: stop a run after its last segment, then time join_segments in-process
        frames = int(a.seconds * 25)
        per = round(a.segment_seconds * 25)
        run([*common, "-o", str(d / "j.mp4")], {STOP_AFTER_ENV: str(-(-frames // per))})
        from stylecam.app.segments import join_segments

        segs = sorted(work_folder(d / "j.mp4").glob("segment*.mp4"))
        t0 = time.process_time()
        join_segments(segs, src, d / "j.mp4")
        cpu_join = time.process_time() - t0
    print(f"clip {w}x{h}, {a.seconds:g} s at 25 frames/s ({frames} frames), x4, segments of {a.segment_seconds:g} s, "
          f"engine {a.engine}")
    print("| run | exit | process CPU s |")
    print("|---|---|---|")
    print(f"| uninterrupted | {rc_full} | {cpu_full:.1f} |")
    print(f"| stopped after {a.stop_after} segment(s) | {rc_stop} | {cpu_stop:.1f} |")
    print(f"| resumed | {rc_res} | {cpu_res:.1f} |")
    print(f"| join alone ({len(segs)} segments + audio) | - | {cpu_join:.2f} |")
    print(f"resumed output's video and audio packets equal the uninterrupted run's: {same}")


if __name__ == "__main__":
    main()
