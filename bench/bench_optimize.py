"""Our trained nets against the Gatys optimisation baseline (Johnson et al. 2016, Fig. 5):
the perceptual loss (content + style + TV, the training objective) each reaches on
held-out photos, and the time per image.

    python bench/bench_optimize.py [--styles starry_night ...] [--photos runs/photos_heldout] [--n 3] [--size 256]

Held-out photos are those `scripts/split_photos.py` kept out of training.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from stylecam.models.nets import checkpoint as ckpt  # noqa: E402
from stylecam.training.data import find_images, read_rgb, resize_long_side, to_tensor  # noqa: E402
from stylecam.training.objective import PerceptualObjective  # noqa: E402
from stylecam.training.optimize import initial_image, optimize  # noqa: E402
from stylecam.training.vgg import load_vgg16  # noqa: E402

STEPS = (50, 100, 300)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoints", type=Path, default=ROOT / "models" / "styles" / "checkpoints")
    p.add_argument("--styles", nargs="*", help="checkpoint names (default: all)")
    p.add_argument("--photos", type=Path, default=ROOT / "runs" / "photos_heldout")
    p.add_argument("--paintings", type=Path, default=ROOT.parent / "shared" / "data" / "paintings")
    p.add_argument("--n", type=int, default=3, help="number of held-out photos")
    p.add_argument("--size", type=int, default=256, help="long side of the photos")
    args = p.parse_args()

    files = sorted(args.checkpoints.glob("*.safetensors"))
    if args.styles:
        files = [f for f in files if f.stem in args.styles]
    photos = find_images(args.photos)[: args.n]
    print(f"{len(photos)} held-out photos at {args.size}px long side; loss = content + style + TV with each "
          f"style's own training weights; projected L-BFGS from white noise, as Fig. 5 (see bench_fig5.py for "
          f"the full figure)\n")
    print("| style | method | mean loss | vs net | seconds / image |")
    print("|---|---|---|---|---|")
    for f in files:
        loaded = ckpt.load(f)
        r = loaded.meta["recipe"]
        vgg = load_vgg16(sorted({r["content_layer"], *r["style_layers"]}))
        style = to_tensor(resize_long_side(read_rgb(args.paintings / loaded.meta["style"]["image"]), r["style_size"]))
        rows: dict[str, list[tuple[float, float]]] = {"net": [], **{f"L-BFGS {s}": [] for s in STEPS}}
        for photo in photos:
            content = to_tensor(resize_long_side(read_rgb(photo), args.size))
            objective = PerceptualObjective.from_recipe(vgg, content, style, r)
            t0 = time.perf_counter()
            with torch.no_grad():
                out = loaded.net(content).clamp(0, 1)
            net_s = time.perf_counter() - t0
            with torch.no_grad():
                rows["net"].append((float(objective(out)), net_s))
            result = optimize(objective, initial_image("noise", content), max(STEPS))
            per_step = result.seconds / max(STEPS)
            for s in STEPS:
                rows[f"L-BFGS {s}"].append((result.losses[s], per_step * s))  # losses[0] is the start
        net_loss = sum(v for v, _ in rows["net"]) / len(photos)
        for method, vals in rows.items():
            loss = sum(v for v, _ in vals) / len(vals)
            secs = sum(t for _, t in vals) / len(vals)
            print(f"| {f.stem} | {method} | {loss:.4g} | {loss / net_loss:.2f}x | {secs:.3f} |", flush=True)


if __name__ == "__main__":
    main()
