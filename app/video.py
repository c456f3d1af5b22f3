"""Reading and writing video files with PyAV (FFmpeg).

PyAV rather than OpenCV because OpenCV's pip wheels cannot encode H.264 and cannot
touch audio; PyAV encodes libx264 and copies audio packets unchanged, and it hands
over each frame's own timestamp, so variable frame rates and start offsets survive.

Frames are uint8 H x W x 3 BGR numpy arrays, the same frames every engine takes.
Errors that a user can cause (a missing, empty, corrupt or foreign file) are raised as
:class:`VideoError`, which names the file and the problem in one line.

A video is delivered as a player shows it, following ffmpeg's semantics (the reference
users compare against): a display matrix (phone videos) is applied to the pixels the
way ``ffmpeg``'s autorotate does, so frames arrive upright and the output needs no
matrix; a non-square sample aspect ratio (anamorphic video) is kept and written on the
output stream, as ``ffmpeg`` does by default, so the output displays at the same shape
without resampling (swapped, as ffmpeg's transpose does, when the picture was turned).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import cv2
import numpy as np

from stylecam import atomic
from stylecam.errors import StylecamError
from stylecam.media_types import FALLBACK_SUFFIX as _FALLBACK_SUFFIX
from stylecam.media_types import KEPT_CONTAINERS as _KEEP_CONTAINER


class VideoError(StylecamError):
    """A video file that cannot be read or written, and why (one line)."""


@dataclass(frozen=True)
class VideoInfo:
    """What a source promises before decoding; counts and durations are estimates."""

    path: Path
    width: int
    height: int
    fps: Fraction | None
    time_base: Fraction
    frame_count: int | None
    duration: float | None
    codec: str
    audio_streams: int
    #: Sample aspect ratio of the delivered (upright) frames; 1 for square pixels.
    sar: Fraction = Fraction(1)
    #: What was done to make the coded pictures upright ("" when nothing), e.g. "cclock".
    orientation: str = ""
    #: Things the source has that a stylized copy cannot keep (alpha, subtitles, ...).
    dropped: tuple[str, ...] = ()


#: How ffmpeg's autorotate turns a picture upright, as numpy operations on H x W x C arrays.
_ORIENT_OPS = {
    "": lambda a: a,
    "clock": lambda a: np.rot90(a, -1),
    "cclock": lambda a: np.rot90(a, 1),
    "cclock_flip": lambda a: a.transpose(1, 0, 2),
    "clock_flip": lambda a: np.rot90(a, -1)[::-1],
    "hflip": lambda a: a[:, ::-1],
    "vflip": lambda a: a[::-1],
    "hflip,vflip": lambda a: a[::-1, ::-1],
}


def orientation_from_matrix(matrix: tuple[int, ...] | None) -> str:
    """ffmpeg's autorotate decision (fftools/ffmpeg_filter.c) for a display matrix.

    Returns the key of the transform that shows the picture as a player does: a
    ``transpose`` mode for quarter turns (with the flip the matrix carries), h/v flips
    for a half turn, a v flip for a mirrored matrix. Angles that are not quarter turns
    (rare; ffmpeg rotates with black corners) are rounded to the nearest quarter turn.
    """
    if not matrix or len(matrix) != 9:
        return ""
    m = [v / 65536.0 for v in matrix]
    s0, s1 = math.hypot(m[0], m[3]), math.hypot(m[1], m[4])
    if s0 == 0 or s1 == 0:
        return ""
    rotation = -math.degrees(math.atan2(m[1] / s1, m[0] / s0))  # av_display_rotation_get
    theta = -round(rotation)  # get_rotation(): clockwise degrees
    theta -= 360 * math.floor(theta / 360 + 0.9 / 360)
    theta = (round(theta / 90) * 90) % 360
    if theta == 90:
        return "cclock_flip" if matrix[3] > 0 else "clock"
    if theta == 180:
        ops = [op for op, flip in (("hflip", matrix[0] < 0), ("vflip", matrix[4] < 0)) if flip]
        return ",".join(ops)
    if theta == 270:
        return "clock_flip" if matrix[3] < 0 else "cclock"
    return "vflip" if matrix[4] < 0 else ""


def apply_orientation(image: np.ndarray, orientation: str) -> np.ndarray:
    """The picture as a player shows it (C-contiguous, as encoders and engines want)."""
    if not orientation:
        return image
    return np.ascontiguousarray(_ORIENT_OPS[orientation](image))


def frame_orientation(frame: av.VideoFrame) -> str:
    """The autorotate transform for one decoded PyAV frame (from its display matrix)."""
    for sd in frame.side_data:
        if sd.type == av.sidedata.sidedata.Type.DISPLAYMATRIX:
            data = bytes(sd)
            if len(data) >= 36:
                return orientation_from_matrix(struct.unpack("<9i", data[:36]))
    return ""


def _turns(orientation: str) -> bool:
    return orientation.startswith(("clock", "cclock"))


def square_pixel_size(width: int, height: int, sar: Fraction) -> tuple[int, int]:
    """The size a player shows a ``width`` x ``height`` picture at (ffmpeg's ``scale=iw*sar:ih``)."""
    if not sar or sar == 1:
        return width, height
    return max(1, round(width * sar)), height


def _probe_orientation(path: Path) -> str:
    """The first frame's display-matrix transform; a file that will not decode has none."""
    try:
        with av.open(str(path)) as c:
            for frame in c.decode(c.streams.video[0]):
                return frame_orientation(frame)
    except Exception:  # the reader proper reports damage; orientation is only a hint here
        return ""
    return ""


_DURATION_TAG = re.compile(r"^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$")


def _duration_tag(stream: Any) -> float | None:
    """Matroska/WebM keep each stream's length in a ``DURATION`` tag (HH:MM:SS.nnnnnnnnn)."""
    text = (stream.metadata or {}).get("DURATION") or (stream.metadata or {}).get("duration")
    match = _DURATION_TAG.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    h, m, sec = match.groups()
    return int(h) * 3600 + int(m) * 60 + float(sec)


@dataclass
class DecodedFrame:
    """One decoded picture with the timestamp it had in the source."""

    image: np.ndarray
    pts: int | None
    time_base: Fraction
    index: int

    @property
    def time(self) -> float | None:
        """Presentation time in seconds, or None when the source had no timestamp."""
        return None if self.pts is None else float(self.pts * self.time_base)


def output_suffix(source_suffix: str) -> str:
    """The suffix a stylized copy of a video gets: the source's own when we can write
    H.264 into that container, else ``.mkv``."""
    return source_suffix.lower() if source_suffix.lower() in _KEEP_CONTAINER else _FALLBACK_SUFFIX


def _error_text(e: BaseException) -> str:
    # PyAV's messages end with the file name, which our messages already lead with.
    text = getattr(e, "strerror", None) or str(e)
    return text.strip().rstrip(":").strip() or type(e).__name__


class VideoReader:
    """Decode the first video stream of a file into BGR frames.

    Decoding never dies on bad data: a packet the decoder rejects is counted in
    ``corrupt_frames`` and skipped, and when the data ends early (a truncated file)
    iteration simply stops and ``truncated`` says so afterwards. Audio packets can be
    interleaved into the same iteration (:meth:`items`) so that a writer can copy
    them in order without a second pass over the file.

    ``low_latency`` (the live preview's file source) decodes with slice threads only:
    frame threads decode several frames at once, which is throughput for batch work, but
    hold that many frames back, and a live source wants each frame as soon as it exists.
    ``square_pixels`` (also the preview's) resamples anamorphic frames to the shape a
    player shows (``ffmpeg``'s ``scale=iw*sar:ih``, after the rotation), because a
    screen, a snapshot and a recording of what the screen shows have square pixels;
    ``info`` then describes the delivered frames (``sar`` 1). Batch work keeps the
    source's pixels and writes their ``sar`` instead (no resampling).
    """

    def __init__(self, path: str | Path, *, low_latency: bool = False, square_pixels: bool = False) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise VideoError(self.path, "no such file")
        if not self.path.is_file():
            raise VideoError(self.path, "not a file")
        if self.path.stat().st_size == 0:
            raise VideoError(self.path, "empty file (0 bytes)")
        if not os.access(self.path, os.R_OK):
            raise VideoError(self.path, "permission denied (the file is not readable)")
        try:
            self._container = av.open(str(self.path), mode="r")
        except av.error.FFmpegError as e:
            raise VideoError(self.path, f"not a readable video: corrupt, cut off before its index, or not a video "
                                        f"({_error_text(e)})") from None
        except (OSError, ValueError) as e:
            raise VideoError(self.path, f"cannot open ({e})") from None
        if not self._container.streams.video:
            self._container.close()
            raise VideoError(self.path, "no video stream in this file")
        self._video = self._container.streams.video[0]
        self._video.thread_type = "SLICE" if low_latency else "AUTO"
        self._audio = list(self._container.streams.audio)
        cc = self._video.codec_context
        if not cc.width or not cc.height:
            self._container.close()
            raise VideoError(self.path, "video stream has no frame size (corrupt header)")
        self._coded = (cc.height, cc.width)
        self._orientation = _probe_orientation(self.path)
        sar = Fraction(self._video.sample_aspect_ratio or cc.sample_aspect_ratio or 1)
        sar = Fraction(1) if sar <= 0 else sar
        width, height = cc.width, cc.height
        if _turns(self._orientation):  # a quarter turn swaps the sides and the pixel shape
            width, height, sar = height, width, 1 / sar
        self._resample_to: tuple[int, int] | None = None  # (width, height) of square-pixel frames
        self._resample_sar = sar
        if square_pixels and sar != 1:
            self._resample_to = square_pixel_size(width, height, sar)
            width, height, sar = *self._resample_to, Fraction(1)
        self.info = VideoInfo(
            path=self.path,
            width=width,
            height=height,
            fps=self._rate(),
            time_base=self._video.time_base or Fraction(1, 1000),
            frame_count=self._estimate_frames(),
            duration=self._duration(),
            codec=cc.name,
            audio_streams=len(self._audio),
            sar=sar,
            orientation=self._orientation,
            dropped=self._dropped(),
        )
        self._video_end = self._announced_end()
        self._header_frames = int(self._video.frames or 0)  # exact where the container indexes frames
        self.decoded_frames = 0
        self._rejected = 0  # packets or pictures the decoder refused outright
        self._video_packets = 0
        self._drained = False
        self.demux_error: str | None = None
        self._last_time: float | None = None

    # -- what the header says -------------------------------------------------------
    def _dropped(self) -> tuple[str, ...]:
        """What a stylized copy leaves out, so the user can be told rather than find out."""
        out = []
        fmt = self._video.codec_context.format
        if fmt is not None and any(c.is_alpha for c in fmt.components):
            out.append("its alpha channel (transparency)")
        c = self._container.streams
        for what, streams in (("subtitle", c.subtitles), ("data", c.data), ("attachment", c.attachments)):
            if streams:
                out.append(f"{len(streams)} {what} stream{'s' if len(streams) != 1 else ''}")
        if len(c.video) > 1:
            out.append(f"{len(c.video) - 1} more video stream{'s' if len(c.video) > 2 else ''}")
        return tuple(out)

    def _rate(self) -> Fraction | None:
        for rate in (self._video.average_rate, self._video.guessed_rate, self._video.base_rate):
            if rate:
                return Fraction(rate)
        return None

    def _duration(self) -> float | None:
        v = self._video
        if v.duration and v.time_base:
            return float(v.duration * v.time_base)
        if self._container.duration:
            return self._container.duration / av.time_base
        return None

    def _announced_end(self) -> float | None:
        """When the header says the video ends (seconds), if it says so for the video itself."""
        v, c = self._video, self._container
        start = float((v.start_time or 0) * v.time_base) if v.time_base else 0.0
        if v.duration and v.time_base:
            return start + float(v.duration * v.time_base)
        tagged = _duration_tag(v)  # Matroska/WebM: the video's own length, even beside audio
        if tagged:
            return start + tagged
        if c.duration and not self._audio:
            # The container's duration is the longest stream's: only the video's when alone.
            return (c.start_time or 0) / av.time_base + c.duration / av.time_base
        return None

    def _estimate_frames(self) -> int | None:
        if self._video.frames:
            return int(self._video.frames)
        duration, rate = self._duration(), self._rate()
        if duration and rate:
            return max(1, round(duration * rate))
        return None

    @property
    def audio_streams(self) -> list[Any]:
        """The source's audio streams, as templates for a writer."""
        return list(self._audio)

    # -- decoding ---------------------------------------------------------------------
    def frames(self) -> Iterator[DecodedFrame]:
        """Every decodable frame of the video stream, in presentation order."""
        for item in self.items(audio=False):
            if isinstance(item, DecodedFrame):
                yield item

    def items(self, audio: bool = True) -> Iterator[DecodedFrame | av.Packet]:
        """Decoded frames, and (with ``audio``) the audio packets demuxed between them."""
        streams = [self._video, *self._audio] if audio else [self._video]
        packets = self._container.demux(*streams)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.EOFError:
                break
            except av.error.FFmpegError as e:
                # The demuxer gave up on the rest of the file: keep what we have.
                self.demux_error = _error_text(e)
                break
            if packet.stream.type == "audio":
                if packet.dts is not None and packet.size:
                    yield packet
                continue
            if packet.size:
                self._video_packets += 1
            yield from self._decode(packet)
        yield from self._decode(None)  # drain the decoder's delayed frames
        self._drained = True

    def audio_packets(self) -> Iterator[av.Packet]:
        """The audio packets alone, in file order, without decoding any video (a recorder
        copying a looping source's audio opens one reader per pass: no seek, no packet
        seen twice)."""
        if not self._audio:
            return
        packets = self._container.demux(*self._audio)
        while True:
            try:
                packet = next(packets)
            except (StopIteration, av.error.EOFError):
                return
            except av.error.FFmpegError as e:
                self.demux_error = _error_text(e)
                return
            if packet.dts is not None and packet.size:
                yield packet

    def _decode(self, packet: av.Packet | None) -> Iterator[DecodedFrame]:
        try:
            frames = self._video.decode(packet)
        except av.error.EOFError:
            return
        except (av.error.FFmpegError, ValueError):
            self._rejected += 1
            return
        for frame in frames:
            try:
                image = frame.to_ndarray(format="bgr24")
            except (av.error.FFmpegError, ValueError):
                self._rejected += 1
                continue
            if image.shape[:2] != self._coded:
                # A mid-stream size change would break the encoder; treat it as damage.
                self._rejected += 1
                continue
            image = apply_orientation(image, self._orientation)
            if self._resample_to is not None:
                shrink = self._resample_sar < 1  # area averaging when pixels get fewer, else linear
                image = cv2.resize(image, self._resample_to, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
            tb = Fraction(frame.time_base) if frame.time_base else self.info.time_base
            pts = frame.pts
            if pts is not None:
                self._last_time = float(pts * tb)
            yield DecodedFrame(image=image, pts=pts, time_base=tb, index=self.decoded_frames)
            self.decoded_frames += 1

    @property
    def corrupt_frames(self) -> int:
        """Frames lost to damage: refused by the decoder, or silently dropped (H.264
        conceals damage by dropping the picture, so once decoding has finished, a packet
        that never became a frame counts too; decoders hold packets back until then)."""
        if not self._drained:
            return self._rejected
        return max(self._rejected, self._video_packets - self.decoded_frames)

    @property
    def truncated(self) -> bool:
        """Whether decoding stopped well before the end the header announced.

        Judged by time where the header gives the video's own duration (robust to frames
        merely dropped as corrupt), else by the header's frame count; a file whose
        header says neither cannot be judged and counts as complete. Only meaningful
        after iteration has finished.
        """
        if self.demux_error is not None:
            return True
        info = self.info
        frame_time = float(1 / info.fps) if info.fps else 0.04
        end = self._video_end
        # Both checks, where the header gives both: an AVI cut short has no index, so its
        # duration is estimated from the file size (and shrinks with it), but its header
        # still says how many frames were written.
        if end is not None and self._last_time is not None and \
                self._last_time + frame_time < end - max(2 * frame_time, 0.1):
            return True
        if self._header_frames:
            return self.decoded_frames + self.corrupt_frames < self._header_frames - 1
        return False

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def temporary_sibling(final: Path) -> Path:
    """``stylecam.atomic.temporary_sibling``, failing as a ``VideoError`` that names ``final``."""
    try:
        return atomic.temporary_sibling(final)
    except OSError as e:  # named by the output the user asked for, never by our temporary name
        raise VideoError(final, f"cannot write in {final.parent} ({e.strerror or type(e).__name__})") from None


class VideoWriter:
    """Encode BGR frames to H.264 and copy audio packets, into a file that appears
    under its final name only when complete.

    Frames keep the timestamps they are given (copied from the source), so frame rate,
    variable timing and start offsets survive. Video is always yuv420p (High profile),
    what every player and browser decodes. 4:2:0 needs even sides and H.264 can only
    crop whole chroma pixels away, so an odd side is padded by one pixel that repeats
    the edge (no picture is lost, nothing is resampled, no black line appears); the
    output is then at most one pixel wider and taller than the frames given (``padded``).
    ``sar`` (sample aspect ratio) is written on the stream, so anamorphic video keeps
    its displayed shape.

    Use as a context manager: leaving it with an exception (Ctrl-C included) deletes
    the temporary file and leaves nothing behind. Only audio streams are copied
    (subtitle and data streams are dropped). For a live source, give ``time_base``
    (e.g. 1/1000) and pass each frame's capture time as ``pts`` in it.
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        *,
        fps: Fraction | None = None,
        time_base: Fraction | None = None,
        audio_streams: list[Any] | tuple[Any, ...] = (),
        crf: int = 18,
        preset: str = "veryfast",
        codec: str = "libx264",
        sar: Fraction | None = None,
    ) -> None:
        self.path = Path(path)
        fmt = _KEEP_CONTAINER.get(self.path.suffix.lower())
        if fmt is None:
            raise VideoError(self.path, f"cannot write video as {self.path.suffix or 'a file without a suffix'} "
                                        f"(use one of {', '.join(sorted(_KEEP_CONTAINER))})")
        self.width, self.height = int(width), int(height)
        self.encoded_size = (self.width + self.width % 2, self.height + self.height % 2)
        self.padded = self.encoded_size != (self.width, self.height)
        self._rate = Fraction(fps) if fps else Fraction(25)
        self._time_base = Fraction(time_base) if time_base else 1 / self._rate
        self._tmp = temporary_sibling(self.path)
        self._last_pts: int | None = None
        self._index = 0
        self.frames_written = 0
        options = {"movflags": "+faststart"} if fmt in ("mp4", "mov") else {}
        try:
            self._container = av.open(str(self._tmp), mode="w", format=fmt, options=options)
            v = self._container.add_stream(codec, rate=self._rate)
            v.width, v.height = self.encoded_size
            v.pix_fmt = "yuv420p"
            if sar and Fraction(sar) > 0 and Fraction(sar) != 1:
                v.codec_context.sample_aspect_ratio = Fraction(sar)
            v.time_base = self._time_base
            v.codec_context.time_base = self._time_base
            v.options = {"crf": str(crf), "preset": preset}
            self._stream = v
            self._audio_map: dict[int, Any] = {}
            for a in audio_streams:
                self._audio_map[a.index] = self._container.add_stream_from_template(a)
        except BaseException as e:
            self._discard()
            if isinstance(e, av.error.FFmpegError | ValueError):
                raise VideoError(self.path, f"cannot start writing ({_error_text(e)})") from None
            raise

    def write(self, image: np.ndarray, pts: int | None = None, time_base: Fraction | None = None) -> None:
        """Encode one BGR frame at the given source timestamp (or the next frame slot)."""
        if image.shape[:2] != (self.height, self.width):
            raise VideoError(self.path, f"frame is {image.shape[1]}x{image.shape[0]}, stream is {self.width}x{self.height}")
        if pts is not None and time_base is not None and Fraction(time_base) != self._time_base:
            pts = round(pts * Fraction(time_base) / self._time_base)
        if pts is None:
            pts = self._index if self._last_pts is None else self._last_pts + round(1 / (self._rate * self._time_base))
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # the encoder refuses non-increasing timestamps
        if self.padded:  # repeat the last column/row: see the class docstring
            image = cv2.copyMakeBorder(image, 0, self.encoded_size[1] - self.height, 0,
                                       self.encoded_size[0] - self.width, cv2.BORDER_REPLICATE)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        frame.pts = pts
        frame.time_base = self._time_base
        try:
            self._container.mux(self._stream.encode(frame))
        except av.error.FFmpegError as e:
            raise VideoError(self.path, f"cannot encode frame {self._index} ({_error_text(e)})") from None
        self._last_pts = pts
        self._index += 1
        self.frames_written += 1

    def write_frame(self, frame: DecodedFrame, image: np.ndarray | None = None) -> None:
        """Encode ``image`` (default: the frame's own) at ``frame``'s source timestamp."""
        self.write(frame.image if image is None else image, frame.pts, frame.time_base)

    def mux_packet(self, packet: av.Packet) -> None:
        """Copy one demuxed audio packet, unchanged, into its matching output stream."""
        stream = self._audio_map.get(packet.stream.index)
        if stream is None or packet.dts is None:
            return
        packet.stream = stream
        try:
            self._container.mux(packet)
        except av.error.FFmpegError as e:
            raise VideoError(self.path, f"cannot copy {stream.codec_context.name} audio into "
                                        f"{self.path.suffix} ({_error_text(e)})") from None

    def close(self) -> Path:
        """Flush the encoder, finish the file and move it to its final name."""
        try:
            self._container.mux(self._stream.encode(None))
            self._container.close()
        except BaseException as e:
            self._discard()
            if isinstance(e, av.error.FFmpegError | OSError | ValueError):
                raise VideoError(self.path, f"cannot finish writing ({_error_text(e)})") from None
            raise
        try:
            os.replace(self._tmp, self.path)
        except OSError as e:
            self._discard()
            raise VideoError(self.path, f"cannot move the finished video into place "
                                        f"({e.strerror or type(e).__name__})") from None
        return self.path

    def abort(self) -> None:
        """Stop and delete the partial file; the final name is never touched."""
        self._discard()

    def _discard(self) -> None:
        container = getattr(self, "_container", None)
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
