"""Recording the stylized stream to MP4 in a writer thread, with the batch writer.

The GUI and the inference thread only drop frames into a bounded queue and never wait:
when the encoder cannot keep up, the newest frame is left out of the recording (and
counted), and the preview never stutters. The file itself is ``stylecam.app.video``'s
:class:`VideoWriter`, the one ``stylecam stylize`` writes with, so a recording follows
the batch rules: H.264 yuv420p, an odd side padded by one repeated edge pixel (never
cropped), the one temporary-name scheme (``stylecam.atomic``) and a rename when
complete, so a crash never leaves a half file under the real name. The frames come
upright and in square pixels from the source (``VideoReader(square_pixels=True)``), so
the recording is written with a sample aspect ratio of 1 and no rotation.

Video timestamps are the source's own media times (in milliseconds: frames arrive at
uneven times), so a clip recorded from a file keeps its pace and its audio, which is
copied packet for packet from the source, looping with the video. Each pass over the
audio is a fresh reader (no seek, so no packet is sent twice: the MP4 muxer rejects a
repeated timestamp, and the whole recording used to be lost at the loop seam).
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from stylecam.app.live.mailbox import Result
from stylecam.app.live.priority import lower_priority
from stylecam.app.video import VideoError, VideoReader, VideoWriter

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


def frame_rate_fraction(fps: float) -> Fraction:
    """A rational frame rate for encoders (29.97 -> 30000/1001)."""
    return Fraction(fps).limit_denominator(1001)


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
        """Called from the inference thread; never blocks (a full queue drops this, the newest, frame)."""
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
        lower_priority()
        error = None
        writer: VideoWriter | None = None
        last_pts: int | None = None
        readers: list[VideoReader] = []  # the audio passes open now, closed at the end
        try:
            first = self._queue.get()
            if first is None:
                raise _NothingRecorded()
            template = self._audio_template(readers)
            h, w = first.stylized.shape[:2]
            writer = VideoWriter(self.path, w, h, fps=frame_rate_fraction(self.fps), time_base=TIME_BASE,
                                 audio_streams=[template] if template is not None else [], crf=self.crf)
            t0 = first.frame.media_time
            packets = self._audio_from(t0, readers) if template is not None else None
            pending = None
            item: Result | None = first
            while item is not None:
                pts = round((item.frame.media_time - t0) / TIME_BASE)
                if last_pts is None or pts > last_pts:  # a frame at the same media time is a repeat
                    last_pts = pts
                    writer.write(_fit(item.stylized, w, h), pts, TIME_BASE)
                    self.frames += 1
                    if packets is not None:  # interleave audio up to this frame's time
                        pending = self._mux_audio(writer, packets, pending, item.frame.media_time - t0)
                item = self._queue.get()
            if packets is not None:
                self._mux_audio(writer, packets, pending, last_pts * float(TIME_BASE) + 1.0 / self.fps)
            writer.close()
        except _NothingRecorded:
            error = "nothing was recorded: no frame arrived before the recording stopped"
        except Exception as e:  # reported in the window; the temporary file is removed
            message = str(e) if isinstance(e, VideoError) else f"{type(e).__name__}: {e}"
            error = f"recording failed: {message}"
            if writer is not None:
                writer.abort()
        finally:
            for reader in readers:
                reader.close()
        seconds = 0.0 if last_pts is None else last_pts * float(TIME_BASE) + 1.0 / self.fps
        self.report = RecordingReport(self.path, self.frames, self.dropped, seconds, self.audio_packets, error,
                                      self.note)
        self.on_finished(self.report)

    def _audio_template(self, readers: list[VideoReader]) -> Any | None:
        """The source's first audio stream when MP4 can hold it as it is; else None and a note."""
        if self.audio is None:
            return None
        try:
            reader = VideoReader(self.audio.path)
        except VideoError as e:  # the video is still worth having
            self.note = f"audio not kept: {e.problem}"
            return None
        readers.append(reader)
        if not reader.audio_streams:
            return None
        stream = reader.audio_streams[0]
        codec = stream.codec_context.codec.canonical_name  # "mp3", not the decoder's "mp3float"
        if codec not in MP4_AUDIO:
            self.note = f"audio not kept: {codec} cannot be copied into MP4"
            return None
        return stream

    def _audio_from(self, t0: float, readers: list[VideoReader]) -> Iterator[tuple[float, Any]]:
        """The source's first audio stream's packets from media time ``t0`` on, across loops,
        each with its time relative to the start of the recording; one fresh reader a pass."""
        length = self.audio.loop_length()
        loop = int(t0 // length) if length > 0 else 0
        reader = readers[0]
        while True:
            index = reader.audio_streams[0].index
            any_packet = False
            for packet in reader.audio_packets():
                if packet.stream.index != index or packet.pts is None:
                    continue
                any_packet = True
                pts_time = float(packet.pts * packet.time_base)
                if length > 0 and pts_time >= length:
                    continue  # audio that outlasts the video would overlap the next loop
                t = loop * length + pts_time
                if t >= t0:
                    yield t - t0, packet
            length = self.audio.loop_length()
            if not any_packet or length <= 0:
                return
            loop += 1
            reader = VideoReader(self.audio.path)
            readers.append(reader)
            if not reader.audio_streams:
                return

    def _mux_audio(self, writer: VideoWriter, packets: Iterator[tuple[float, Any]], pending: Any, until: float):
        """Copy audio packets with times before ``until``; returns the first one left over."""
        while True:
            if pending is None:
                pending = next(packets, None)
                if pending is None:
                    return None
            t, packet = pending
            if t >= until:
                return pending
            pending = None
            pts = math.floor(t / packet.time_base)
            if self._last_audio_pts is not None and pts <= self._last_audio_pts:
                continue  # never out of order (rounding at a loop seam)
            self._last_audio_pts = pts
            packet.pts = packet.dts = pts
            writer.mux_packet(packet)
            self.audio_packets += 1


def _fit(image: np.ndarray, w: int, h: int) -> np.ndarray:
    """The frame at the recording's size, fixed when recording started (the processing
    size can change while recording; the file's cannot)."""
    if image.shape[0] == h and image.shape[1] == w:
        return image
    import cv2

    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
