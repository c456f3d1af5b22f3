"""Resumable video jobs: a long ``stylecam upscale`` that is stopped goes on where it stopped.

The job encodes its video in closed segments (``--segment-seconds`` of video each, every
one a complete H.264 file starting with a keyframe) in a hidden work folder beside the
output, ``.<output name>.partial/``, with a small JSON manifest: the input (path, size,
modification time), the settings that decide the pixels (upscaler file, engine, factor,
tiles, quality) and the segments finished. A segment is written under a temporary name
and renamed when complete, and only then entered in the manifest (itself replaced
atomically), so Ctrl-C, SIGTERM, a crash or a power cut loses at most the segment in
progress. Rerunning the same command finds the manifest, checks it, decodes but does not
infer the frames already done, and encodes the rest; at the end the segments and the
source's audio are joined without re-encoding (``stylecam.app.segments``) into the output
(a temporary sibling, then a rename) and the work folder is removed.

Every run goes through segments, interrupted or not, so a resumed output is the same
file as an uninterrupted one: the same packets, frames, timestamps and audio.

What is trusted from a work folder: nothing that does not match. Another input, or the
same path with another size or time, makes the old work useless: it is discarded with a
note. Other settings (another upscaler, factor, tile, quality) refuse the run in one
line, because the work may be hours and the user may have mistyped: rerun with the old
settings to resume, or ``--restart`` to discard. A manifest that does not parse, or a
segment missing or of another size than recorded, is never resumed from.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from stylecam import atomic
from stylecam.app.pipeline import run_pipeline
from stylecam.app.segments import join_segments
from stylecam.app.stylize import InputError, VideoResult, open_input
from stylecam.app.video import DecodedFrame, VideoError, VideoWriter

MANIFEST = "manifest.json"
FORMAT = 1  # the manifest's own version: another one is never resumed from
DEFAULT_SEGMENT_SECONDS = 10.0
#: Test hook: after this many segments are finished in one run, the process sends itself
#: SIGTERM, as a user's ``kill`` would (the tests' way to stop a run at a known point).
STOP_AFTER_ENV = "STYLECAM_TEST_STOP_AFTER_SEGMENTS"


def work_folder(output: Path) -> Path:
    """The hidden folder beside ``output`` where its unfinished job lives."""
    return output.parent / f".{output.name}.partial"


def _input_identity(source: Path) -> dict[str, Any]:
    st = source.stat()
    return {"path": str(source.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def file_identity(path: Path) -> dict[str, Any]:
    """A file a job's pixels depend on (the upscaler's net), as the manifest records it."""
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


class WorkFolder:
    """One output's work folder: the manifest and the segments it lists."""

    def __init__(self, output: Path, source: Path, settings: dict[str, Any], say: Callable[[str], None]) -> None:
        self.output = output
        self.path = work_folder(output)
        self.source = source
        self.settings = settings
        self.say = say
        self.segments: list[dict[str, Any]] = []

    # -- finding what an earlier run left -------------------------------------------
    def open(self, restart: bool) -> None:
        """Resume what matches, discard what cannot be trusted, refuse other settings."""
        if self.path.exists() and restart:
            self.discard()
            self.say(f"--restart: discarded the unfinished job in {self.path}")
        elif self.path.exists():
            self._adopt()
        self.path.mkdir(exist_ok=True)
        known = {s["file"] for s in self.segments} | {MANIFEST}
        for stray in self.path.iterdir():  # a segment in progress when the last run stopped
            if stray.name not in known:
                if stray.is_dir():
                    shutil.rmtree(stray, ignore_errors=True)
                else:
                    stray.unlink(missing_ok=True)
        self._save()

    def _adopt(self) -> None:
        try:
            manifest = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT:
                raise ValueError(f"format {manifest.get('format')!r}")
            segments = list(manifest["segments"])
            old_input, old_settings = dict(manifest["input"]), dict(manifest["settings"])
            for s in segments:
                if not (isinstance(s["file"], str) and isinstance(s["frames"], int) and isinstance(s["size"], int)):
                    raise ValueError("a segment entry")
        except (OSError, ValueError, KeyError, TypeError) as e:
            self.say(f"{self.path}: unreadable manifest ({type(e).__name__}); starting over")
            self.discard()
            return
        if old_input != _input_identity(self.source):
            self.say(f"{self.path}: was made from another input (or the input changed); starting over")
            self.discard()
            return
        if old_settings != self.settings:
            raise InputError(self.output, f"an unfinished job with other settings is in {self.path} "
                                          f"({'; '.join(_differences(old_settings, self.settings))}): rerun "
                                          "with those settings to resume it, or pass --restart to discard it")
        for i, s in enumerate(segments):
            p = self.path / s["file"]
            if Path(s["file"]).name != s["file"] or not p.is_file() or p.stat().st_size != s["size"] \
                    or s["frames"] <= 0:
                self.say(f"{self.path}: segment {s['file']} is missing or damaged; redoing from frame "
                         f"{sum(x['frames'] for x in segments[:i])}")
                segments = segments[:i]
                break
        self.segments = segments

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.segments = []

    # -- recording progress -----------------------------------------------------------
    @property
    def frames_done(self) -> int:
        return sum(s["frames"] for s in self.segments)

    def next_segment_path(self, suffix: str) -> Path:
        return self.path / f"segment{len(self.segments):05d}{suffix}"

    def add(self, path: Path, frames: int) -> None:
        self.segments.append({"file": path.name, "frames": frames, "size": path.stat().st_size})
        self._save()

    def _save(self) -> None:
        manifest = {"format": FORMAT, "output": self.output.name, "input": _input_identity(self.source),
                    "settings": self.settings, "segments": self.segments}
        atomic.write_bytes(self.path / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode("utf-8"))


def _stop_hook() -> int:
    try:
        return int(os.environ.get(STOP_AFTER_ENV, "0"))
    except ValueError:
        return 0


def resumable_transform(source: Path, output: Path, frame_fn: Callable[[np.ndarray], np.ndarray], *,
                        settings: dict[str, Any], scale: int = 1, crf: int = 18, preset: str = "superfast",
                        segment_seconds: float = DEFAULT_SEGMENT_SECONDS, restart: bool = False,
                        progress: bool = True, queue_size: int = 6,
                        say: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True),
                        ) -> VideoResult:
    """``transform_video``'s work (same reader, pipeline and writer, same rules), in
    segments that survive an interruption; see the module docstring. ``settings`` are
    whatever decides the output's pixels besides ``crf``, ``preset`` and ``scale``."""
    from tqdm import tqdm

    started = time.perf_counter()
    with open_input(source) as reader:
        info = reader.info
        rate = Fraction(info.fps) if info.fps else Fraction(25)
        per_segment = max(1, round(segment_seconds * float(rate)))
        full = {**settings, "scale": scale, "crf": crf, "preset": preset, "segment_frames": per_segment}
        work = WorkFolder(output, source, full, say)
        work.open(restart)
        skip = work.frames_done
        if skip:
            say(f"{output}: resuming at frame {skip} of {info.frame_count or '?'} "
                f"({len(work.segments)} segment{'s' if len(work.segments) != 1 else ''} done in {work.path})")
        # Segments are MP4 whatever the output: it keeps every packet's pts and dts in the
        # source's time base (Matroska keeps milliseconds and no dts), and the join rescales
        # once into the output's container, as a direct write would.
        suffix = ".mp4"
        size = (info.width * scale, info.height * scale)
        state: dict[str, Any] = {"writer": None, "finished": 0}
        stop_after = _stop_hook()
        step = max(1, round(1 / (rate * Fraction(info.time_base))))

        def new_writer() -> VideoWriter:
            return VideoWriter(work.next_segment_path(suffix), *size, fps=info.fps, time_base=info.time_base,
                               crf=crf, preset=preset, sar=info.sar)

        def close_segment() -> None:
            writer = state["writer"]
            state["writer"] = None
            path = writer.close()  # complete under its final name, only now listed
            work.add(path, writer.frames_written)
            state["finished"] += 1
            if stop_after and state["finished"] == stop_after:
                os.kill(os.getpid(), signal.SIGTERM)

        with tqdm(total=info.frame_count, initial=0, unit="frame", desc=source.name, disable=not progress,
                  dynamic_ncols=True, leave=True, mininterval=0.5) as bar:

            def transform(item: DecodedFrame) -> tuple[DecodedFrame, np.ndarray | None]:
                if item.index < skip:
                    return item, None  # done in an earlier run: decoded, not inferred
                return item, frame_fn(item.image)

            def sink(item: tuple[DecodedFrame, np.ndarray | None]) -> None:
                frame, image = item
                bar.update(1)
                if image is None:
                    return
                if state["writer"] is None:
                    try:
                        state["writer"] = new_writer()
                    except VideoError as e:
                        raise InputError(output, e.problem) from None
                if frame.pts is None:  # no source timestamp: the frame's slot, counted over the whole video
                    state["writer"].write(image, frame.index * step, info.time_base)
                else:
                    state["writer"].write_frame(frame, image)
                if state["writer"].frames_written >= per_segment:
                    close_segment()

            try:
                run_pipeline(reader.frames(), transform, sink, queue_size=queue_size)
                if state["writer"] is not None:
                    close_segment()
            except BaseException:
                if state["writer"] is not None:
                    state["writer"].abort()
                if work.segments:
                    say(f"{output}: {work.frames_done} frames kept in {work.path}; the same command resumes "
                        "there (--restart discards them)")
                else:
                    work.discard()
                raise
        if not work.segments:
            work.discard()
            raise InputError(source, "no decodable video frames (corrupt file?)")
        frames = join_segments([work.path / s["file"] for s in work.segments], source, output)
        work.discard()
        notes = [f"{', '.join(info.dropped)} not kept (the output has one H.264 video stream and the audio)"] \
            if info.dropped else []
        if size[0] % 2 or size[1] % 2:
            notes.append(f"odd size {size[0]}x{size[1]} encoded as {size[0] + size[0] % 2}x{size[1] + size[1] % 2} "
                         "(4:2:0 H.264 needs even sides; the last column/row is repeated)")
        return VideoResult(frames=frames, corrupt=reader.corrupt_frames, truncated=reader.truncated,
                           expected=info.frame_count, seconds=time.perf_counter() - started, notes=tuple(notes))
