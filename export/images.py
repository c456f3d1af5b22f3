"""Images an export needs: real photos for verification and calibration, preview sources.

Real photos matter: random noise exercises every rounding path, but a net's failure
modes (saturated colours, flat skies) show on photographs. The product ships no photos,
so callers pass folders (``--images``, ``--calibration``); a deterministic gradient
image stands in when none is given, and the metadata says so.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from stylecam.media_types import IMAGE_SUFFIXES


def list_images(folder: Path) -> list[Path]:
    """Image files in a folder and its subfolders, sorted for reproducibility."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def read_bgr(path: Path, long_side: int | None = None) -> np.ndarray:
    """A BGR uint8 image, optionally shrunk so that its long side is at most ``long_side``."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"{path}: cannot decode image")
    if long_side and max(img.shape[:2]) > long_side:
        s = long_side / max(img.shape[:2])
        img = cv2.resize(img, (max(16, round(img.shape[1] * s)), max(16, round(img.shape[0] * s))),
                         interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img)


def load_images(folder: Path, limit: int, long_side: int | None = None) -> list[tuple[str, np.ndarray]]:
    """Up to ``limit`` decodable images spread evenly over a folder; undecodable ones are skipped."""
    paths = list_images(folder)
    if len(paths) > limit:
        step = len(paths) / limit
        paths = [paths[int(i * step)] for i in range(limit)]
    out = []
    for p in paths:
        try:
            out.append((p.name, read_bgr(p, long_side)))
        except ValueError:
            continue
    return out


def fit(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Resize to cover h x w and centre-crop: a photo at an exact test size."""
    s = max(h / img.shape[0], w / img.shape[1])
    big = cv2.resize(img, (max(w, round(img.shape[1] * s)), max(h, round(img.shape[0] * s))),
                     interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    y, x = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return np.ascontiguousarray(big[y:y + h, x:x + w])


def gradient(h: int = 256, w: int = 256) -> np.ndarray:
    """A deterministic colourful test image with edges, for when no photo is available."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([x / w, y / h, 0.5 + 0.5 * np.sin((x + y) / 17.0)], axis=-1) * 255
    img[h // 3: 2 * h // 3, w // 3: 2 * w // 3] = (40, 200, 230)
    return np.ascontiguousarray(img.astype(np.uint8))


def preview_source(image: Path | None) -> tuple[np.ndarray, str]:
    """The image a preview is rendered from, and a note saying which it was."""
    if image is not None:
        return read_bgr(image, 512), f"image:{image.name}"
    return gradient(), "generated:gradient"


def preview_png(stylized: np.ndarray, size: int = 256) -> bytes:
    """PNG bytes of a stylized image shrunk so its long side is ``size``."""
    s = size / max(stylized.shape[:2])
    small = cv2.resize(stylized, (max(1, round(stylized.shape[1] * s)), max(1, round(stylized.shape[0] * s))),
                       interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", small)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()
