"""The README's grid: bundled photos through every bundled style, rendered by the
shipped style files on ONNX Runtime CPU (the reference engine), no torch needed.

    python scripts/make_readme_grid.py [-o docs/styles_grid.png] [--engine cpu] [--full-net]

By default each style runs as a CPU-only machine runs it (its real-time CPU version);
``--full-net`` renders the full nets instead, what a GPU engine shows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stylecam.models.runtime.engines import open_engine  # noqa: E402
from stylecam.models.style.catalog import discover  # noqa: E402

PHOTOS = ["astronaut.jpg", "coffee.jpg", "chelsea.jpg"]


def label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 22), (0, 0, 0), -1)
    cv2.putText(out, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "styles_grid.png")
    p.add_argument("--engine", default="cpu")
    p.add_argument("--size", type=int, default=256, help="short side of each tile")
    p.add_argument("--full-net", action="store_true", help="the full nets (what GPUs run), not the CPU versions")
    args = p.parse_args()
    styles = [s for s in discover() if s.ok and s.source == "bundled"]
    rows = []
    for name in PHOTOS:
        photo = cv2.imread(str(ROOT / "tests" / "data" / name))
        h, w = photo.shape[:2]
        photo = cv2.resize(photo, (round(w * args.size / min(h, w)), args.size), interpolation=cv2.INTER_AREA)
        photo = photo[:, (photo.shape[1] - args.size) // 2 :][:, : args.size]
        tiles = [label(photo, "photo")]
        for style in styles:
            engine = open_engine(style.path, args.engine, full_net=args.full_net)
            tiles.append(label(engine.run(np.ascontiguousarray(photo)), style.name))
        rows.append(np.hstack(tiles))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.output), np.vstack(rows))
    print(f"wrote {args.output}: {len(PHOTOS)} photos x {len(styles)} styles ({', '.join(s.name for s in styles)})")


if __name__ == "__main__":
    main()
