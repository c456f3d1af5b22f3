"""Joining closed video segments and a source's audio into one file, without re-encoding.

A resumable job (``stylecam.app.resume``) encodes its video in segments, each a complete
H.264 file that starts with a keyframe (a fresh encoder session), so work already on disk
survives an interruption. At the end the segments' packets are copied, unchanged, into
the output, in order, and the source's audio packets are copied once, interleaved by
time: the same copy ``ffmpeg -f concat -c copy`` does, with no second encode and no
timestamp rewritten (every packet keeps the pts and dts the encoder gave it).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error

from stylecam import atomic
from stylecam.app.video import VideoError, VideoReader
from stylecam.media_types import KEPT_CONTAINERS


def _time(packet: av.Packet) -> Fraction:
    """When a packet is due in the file (dts, else pts), in seconds, for interleaving."""
    ts = packet.dts if packet.dts is not None else packet.pts
    return Fraction(ts or 0) * Fraction(packet.time_base)


def _video_packets(segments: list[Path]) -> Iterator[tuple[Fraction, int, av.Packet]]:
    for path in segments:
        try:
            with av.open(str(path)) as c:
                for packet in c.demux(c.streams.video[0]):
                    if packet.size:
                        yield _time(packet), 0, packet
        except av.error.FFmpegError as e:
            raise VideoError(path, f"a finished segment does not read back ({e}); rerun with --restart") from None


def _audio_packets(reader: VideoReader) -> Iterator[tuple[Fraction, int, av.Packet]]:
    for packet in reader.audio_packets():
        yield _time(packet), 1, packet


def join_segments(segments: list[Path], source: Path, output: Path) -> int:
    """Write ``output``: the video packets of ``segments`` (in order) and the audio packets
    of ``source``, interleaved by time; the file appears only when complete. Returns the
    number of video packets copied."""
    if not segments:
        raise VideoError(output, "no segments to join")
    fmt = KEPT_CONTAINERS.get(output.suffix.lower())
    if fmt is None:
        raise VideoError(output, f"cannot write video as {output.suffix or 'a file without a suffix'}")
    with av.open(str(segments[0])) as first:
        template = first.streams.video[0]
        extradata = template.codec_context.extradata
        with VideoReader(source) as reader:
            options = {"movflags": "+faststart"} if fmt in ("mp4", "mov") else {}
            copied = 0
            try:
                with atomic.replacing(output, make_parents=False) as tmp:
                    with av.open(str(tmp), mode="w", format=fmt, options=options) as out:
                        video = out.add_stream_from_template(template)
                        audio: dict[int, Any] = {a.index: out.add_stream_from_template(a)
                                                 for a in reader.audio_streams}
                        for _, _, packet in heapq.merge(_video_packets(segments), _audio_packets(reader),
                                                        key=lambda t: (t[0], t[1])):
                            if packet.stream.type == "video":
                                if packet.stream.codec_context.extradata != extradata:
                                    raise VideoError(output, "segments were encoded with different settings; "
                                                             "rerun with --restart")
                                packet.stream = video
                                copied += 1
                            else:
                                stream = audio.get(packet.stream.index)
                                if stream is None:
                                    continue
                                packet.stream = stream
                            out.mux(packet)
            except av.error.FFmpegError as e:
                raise VideoError(output, f"cannot join the segments ({e})") from None
            except OSError as e:
                raise VideoError(output, f"cannot write it ({e.strerror or type(e).__name__})") from None
    return copied
