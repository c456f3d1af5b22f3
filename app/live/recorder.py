"""Recording the stylized stream to MP4 (H.264 via PyAV) in a writer thread.

The GUI and the inference thread only drop frames into a bounded queue and never wait:
when the encoder cannot keep up, frames are left out of the recording (and counted), the
preview never stutters. Video timestamps are the source's own media times, so a clip
recorded from a file keeps its pace and its audio, which is copied packet for packet
from the source (looping with the video). The file is written under a temporary name
and renamed when complete, so a crash never leaves a half file under the real name.
"""

from __future__ import annotations

import math
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from stylecam.app.live.mailbox import Result
from stylecam.app.live.sources import frame_rate_fraction

TIME_BASE = Fraction(1, 1000)  # milliseconds: frames arrive at uneven times
# Audio codecs that MP4 holds as they are (copied packet for packet, never re-encoded).
MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac", "mp2"}


class _NothingRecorded(Exception):
    pass


@dataclass
class RecordingReport:
    path: Path
    frames: int
    dropped: int
    seconds: float
    audio_packets: int
    error: str | None = None
    note: str | None = None  # e.g. why the audio was not kept


@dataclass
class AudioSource:
    """The file whose audio goes with the recording, and how long one loop of it is."""

    path: Path
    loop_length: Callable[[], float]


class Recorder:
    """Writes submitted results to ``path``; ``stop`` finishes the file asynchronously."""

    def __init__(
        self,
        path: str | Path,
        fps: float,
        audio: AudioSource | None = None,
        on_finished: Callable[[RecordingReport], None] = lambda report: None,
        queue_size: int = 48,
        crf: int = 20,
    ) -> None:
        self.path = Path(path)
        self.temp_path = self.path.with_name(f".{self.path.name}.tmp")
        self.fps = fps
        self.audio = audio
        self.on_finished = on_finished
        self.crf = crf
        self.frames = 0
        self.dropped = 0
        self.audio_packets = 0
        self.report: RecordingReport | None = None
        self.note: str | None = None
        self._last_audio_pts: int | None = None
        self._queue: queue.Queue[Result | None] = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._stopping = False
        self._source_id: int | None = None

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def submit(self, result: Result) -> None:
        """Called from the inference thread; never blocks."""
        if self._stopping:
            return
        if self._source_id is None:
            self._source_id = result.frame.source_id
        elif result.frame.source_id != self._source_id:
            return  # another source: not part of this recording
        try:
            self._queue.put_nowait(result)
        except queue.Full:
            self.dropped += 1

    def stop(self) -> None:
        """Ask the writer to finish; returns at once (``join`` waits)."""
        if self._stopping:
            return
        self._stopping = True
        while True:  # the end marker must get in even when the queue is full
            try:
                self._queue.put_nowait(None)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # -- the writer thread -------------------------------------------------------------

    def _run(self) -> None:
        import av

        lower_priority()
        error = None
        out = audio_in = None
        t0 = last_t = None
        try:
            first = self._queue.get()
            if first is None:
                raise _NothingRecorded()
            out = av.open(str(self.temp_path), "w", format="mp4")
            audio_out = None
            if self.audio is not None:
                try:
                    audio_in = av.open(str(self.audio.path))
                except (av.FFmpegError, OSError) as e:  # the video is still worth having
                    self.note = f"audio not kept: {e}"
                if audio_in is not None and audio_in.streams.audio:
                    codec = audio_in.streams.audio[0].codec_context.name
                    if codec in MP4_AUDIO:
                        audio_out = out.add_stream_from_template(audio_in.streams.audio[0])
                    else:
                        self.note = f"audio not kept: {codec} cannot be copied into MP4"
            h, w = (first.stylized.shape[0] // 2) * 2, (first.stylized.shape[1] // 2) * 2
            video = out.add_stream("libx264", rate=frame_rate_fraction(self.fps))
            video.width, video.height, video.pix_fmt = w, h, "yuv420p"
            video.codec_context.time_base = TIME_BASE
            video.options = {"preset": "veryfast", "crf": str(self.crf)}
            t0 = first.frame.media_time
            audio_packets = self._audio_packets(audio_in, t0) if audio_out is not None else None
            pending_audio = None
            item: Result | None = first
            while item is not None:
                pts = round((item.frame.media_time - t0) / TIME_BASE)
                if last_t is None or pts > last_t:
                    last_t = pts
                    image = _fit(item.stylized, w, h)
                    vf = av.VideoFrame.from_ndarray(image, format="bgr24")
                    vf.pts, vf.time_base = pts, TIME_BASE
                    for packet in video.encode(vf):
                        out.mux(packet)
                    self.frames += 1
                    if audio_packets is not None:  # interleave audio up to this frame's time
                        pending_audio = self._mux_audio(out, audio_out, audio_packets, pending_audio,
                                                        item.frame.media_time - t0)
                item = self._queue.get()
            for packet in video.encode():
                out.mux(packet)
            end = last_t * float(TIME_BASE) + 1.0 / self.fps
            if audio_packets is not None:
                self._mux_audio(out, audio_out, audio_packets, pending_audio, end)
            out.close()
            out = None
            os.replace(self.temp_path, self.path)
        except _NothingRecorded:
            error = "nothing was recorded: no frame arrived before the recording stopped"
        except Exception as e:  # reported in the window; the temporary file is removed
            error = f"recording failed: {type(e).__name__}: {e}"
            if out is not None:
                try:
                    out.close()
                except Exception:
                    pass
            self.temp_path.unlink(missing_ok=True)
        finally:
            if audio_in is not None:
                audio_in.close()
        seconds = 0.0 if last_t is None else last_t * float(TIME_BASE) + 1.0 / self.fps
        self.report = RecordingReport(self.path, self.frames, self.dropped, seconds, self.audio_packets, error,
                                      self.note)
        self.on_finished(self.report)

    def _audio_packets(self, container, t0: float) -> Iterator[tuple[float, object]]:
        """The source's audio packets from media time ``t0`` on, across loops, each with
        its time relative to the start of the recording."""
        stream = container.streams.audio[0]
        length = self.audio.loop_length() if self.audio else 0.0
        loop = int(t0 // length) if length > 0 else 0
        first_loop = True
        while True:
            if not first_loop:
                container.seek(0, stream=stream)
            first_loop = False
            any_packet = False
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                any_packet = True
                pts_time = float(packet.pts * stream.time_base)
                if length > 0 and pts_time >= length:
                    continue  # audio that outlasts the video would overlap the next loop
                t = loop * length + pts_time
                if t >= t0:
                    yield t - t0, packet
            length = self.audio.loop_length() if self.audio else 0.0
            if not any_packet or length <= 0:
                return
            loop += 1

    def _mux_audio(self, out, stream, packets, pending, until: float):
        """Mux audio packets with times before ``until``; returns the first one left over."""
        while True:
            if pending is None:
                pending = next(packets, None)
                if pending is None:
                    return None
            t, packet = pending
            if t >= until:
                return pending
            tb = packet.time_base
            pts = math.floor(t / tb)
            pending = None
            if self._last_audio_pts is not None and pts <= self._last_audio_pts:
                continue  # never out of order (rounding at a loop seam)
            self._last_audio_pts = pts
            packet.pts = packet.dts = pts
            packet.stream = stream
            out.mux(packet)
            self.audio_packets += 1
            pending = None


def lower_priority(nice: int = 5) -> None:
    """Make the calling thread (and the encoder threads it starts) yield the CPU to the GUI
    thread when the machine is busy. Linux only (threads are tasks there); elsewhere a no-op."""
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except OSError:
            pass


def _fit(image: np.ndarray, w: int, h: int) -> np.ndarray:
    """The frame at the recording's size (even sides, fixed when recording started)."""
    if image.shape[0] == h and image.shape[1] == w:
        return image
    if image.shape[0] >= h and image.shape[1] >= w and image.shape[0] - h <= 1 and image.shape[1] - w <= 1:
        return np.ascontiguousarray(image[:h, :w])
    import cv2

    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
