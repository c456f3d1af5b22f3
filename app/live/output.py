"""Where snapshots and recordings go, and writing snapshots off the GUI thread."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from stylecam import atomic
from stylecam.app.safe_names import file_component


def default_output_dir(kind: str) -> Path:
    """The platform's Pictures (snapshots) or Videos (recordings) folder, under stylecam/."""
    import platformdirs

    base = platformdirs.user_pictures_dir() if kind == "snapshot" else platformdirs.user_videos_dir()
    return Path(base) / "stylecam"


def output_name(folder: Path, style: str, suffix: str) -> Path:
    """``stylecam-<style>-<date>-<time>[-n]<suffix>``: sortable and never overwriting."""
    safe = file_component(style or "original", fallback="original")  # the same rule as `stylecam stylize`
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"stylecam-{safe}-{stamp}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"stylecam-{safe}-{stamp}-{n}{suffix}"
    return path


def write_png(path: Path, frame: np.ndarray) -> Path:
    """Encode and write a BGR frame as PNG (temporary name, then rename)."""
    import cv2

    ok, data = cv2.imencode(".png", frame)
    if not ok:
        raise OSError(f"{path}: the frame could not be encoded as PNG")
    return atomic.write_bytes(path, data.tobytes())
