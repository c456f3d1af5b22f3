"""The README's quality grid: each bundled style's full net beside its
real-time CPU version (fp32, and the int8 IR that `auto` runs where it times faster), and the
`johnson` reference net where one is trained, on the same photos, so a person can judge
what the CPU speed costs.

    python scripts/make_quality_grid.py [-o docs/cpu_quality_grid.png] [--photos a.jpg b.jpg]

The style files run on ONNX Runtime CPU (fp32) and OpenVINO (int8); the johnson column
needs torch (the `train` extra) and is left out without it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from make_readme_grid import label  # noqa: E402

from stylecam.models.runtime.engines import OpenVinoEngine, OrtEngine  # noqa: E402
from stylecam.models.style.catalog import discover  # noqa: E402

JOHNSON = ROOT / "models" / "styles" / "checkpoints" / "johnson"
DEFAULT_PHOTOS = [ROOT / "tests" / "data" / "astronaut.jpg",
                  ROOT / "runs" / "photos_heldout" / "frame_bigbuckbunny_0072.jpg"]


def tile(path: Path, height: int, width: int) -> np.ndarray:
    img = cv2.imread(str(path))
    if img is None:
        raise SystemExit(f"{path}: not a readable image")
    scale = max(height / img.shape[0], width / img.shape[1])
    img = cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    y, x = (img.shape[0] - height) // 2, (img.shape[1] - width) // 2
    return np.ascontiguousarray(img[y : y + height, x : x + width])


def johnson_runner(name: str, iterations: int) -> tuple[object, str]:
    """A frame -> frame function for the trained johnson reference (or None) and its label.
    A reference with fewer iterations than the style's full net is still in training."""
    path = JOHNSON / f"{name}.safetensors"
    if not path.is_file():
        return None, "johnson: not trained"
    try:
        import torch

        from stylecam.models.nets.checkpoint import load, read_metadata
    except ImportError:
        return None, "johnson: needs torch"
    done = int(read_metadata(path).get("iteration", 0))
    if done < iterations:
        return None, f"johnson: in training ({done}/{iterations})"
    net = load(path).net.eval()

    def run(bgr: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(bgr[:, :, ::-1].copy()).permute(2, 0, 1)[None].float() / 255
        with torch.inference_mode():
            y = net(x).clamp(0, 1)[0].permute(1, 2, 0).numpy()
        return np.ascontiguousarray((y * 255).round().astype(np.uint8)[:, :, ::-1])

    return run, "johnson reference"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "cpu_quality_grid.png")
    p.add_argument("--photos", type=Path, nargs="+", default=[q for q in DEFAULT_PHOTOS if q.is_file()])
    p.add_argument("--size", default="320x240", help="WxH of each tile")
    args = p.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    photos = [tile(q, h, w) for q in args.photos]
    rows = []
    for style in (s for s in discover() if s.ok and s.source == "bundled"):
        runs = [(f"{style.name}: full net ({style.arch})", OrtEngine(style.path, "cpu").run)]
        if style.cpu_version_ok:
            runs.append(("CPU version fp32", OrtEngine(style.choose("cpu"), "cpu").run))
            int8 = style.choose("openvino")
            if int8.variant.precision == "int8":
                runs.append(("CPU version int8", OpenVinoEngine(int8).run))
        john, john_label = johnson_runner(style.name, int(style.recipe.get("iteration") or 0))
        runs.append((john_label, john))
        for photo in photos:
            tiles = [label(photo, "photo")]
            for text, run in runs:
                tiles.append(label(run(photo) if run else np.full_like(photo, 40), text))
            rows.append(np.hstack(tiles))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.output), np.vstack(rows))
    print(f"wrote {args.output}: {len(rows)} rows")


if __name__ == "__main__":
    main()
