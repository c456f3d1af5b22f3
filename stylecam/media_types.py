"""The one table of the media file suffixes stylecam reads and writes.

Every command that decides "is this an image or a video, and what container does its
output get" asks here, so the CLI, the app's file dialog, training and export agree.
"""

from __future__ import annotations

from pathlib import Path

# Still images OpenCV decodes everywhere (and that EXIF orientation is honoured for).
IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".webp", ".bmp")

# Videos PyAV (FFmpeg) decodes; an animated GIF is a video too.
VIDEO_SUFFIXES: tuple[str, ...] = (
    ".mp4", ".m4v", ".mov", ".mkv", ".avi", ".webm", ".mpg", ".mpeg", ".ts", ".wmv", ".flv", ".3gp", ".gif",
)

# Containers an output keeps from its input (suffix -> FFmpeg muxer): they hold H.264
# and the audio codecs we copy. Any other input is written as FALLBACK_SUFFIX, which
# holds H.264 with any audio codec.
KEPT_CONTAINERS: dict[str, str] = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
FALLBACK_SUFFIX = ".mkv"


def media_kind(path: str | Path) -> str | None:
    """``"image"``, ``"video"`` or None (not a medium we handle), by suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    return None

