"""What the Gatys optimum looks like under candidate objectives (issue 13, "choose each
style's weights by looking at what Gatys' optimisation makes of several photos"):
projected L-BFGS from the photo, a few settings of the weights and of the Gram reduction,
one grid PNG to look at and a table of the terms.

    python bench/bench_weights.py [--styles starry_night great_wave] [--photos heron.jpg ...]
                                  [--size 128] [--iterations 60] [--grid docs/fig5_weights.png]

Settings (content / style / TV weights; see training/objective.py for "sum" and "mean"):
  shipped   sum,  1 / 1e-5 / 1e-5, content relu2_2   (every shipped style)
  sum x10   sum,  1 / 1e-4 / 1e-5, content relu2_2
  JL        mean, 1 / 5 / 1e-6,    content relu3_3   ([JL] train.lua defaults)
  JL r2_2   mean, 1 / 5 / 1e-6,    content relu2_2   ([JL]'s Gram term with the paper's content layer)
  x10 deep  sum,  1 / 1e-4 / 1e-5, relu4_3 x1000 (the deep layer brought to the others' scale)
  x3 deep   sum,  1 / 3e-5 / 1e-5, relu4_3 x1000
  x30 deep  sum,  1 / 3e-4 / 1e-5, relu4_3 x1000
  recipe    each style's chosen recipe, training/recipe.py STYLES
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from bench_fig5 import held_out_photos  # noqa: E402

from stylecam.training.data import read_rgb, resize_long_side, to_tensor  # noqa: E402
from stylecam.training.objective import PerceptualObjective  # noqa: E402
from stylecam.training.optimize import initial_image, optimize  # noqa: E402
from stylecam.training.pattern import square  # noqa: E402
from stylecam.training.recipe import PAINTINGS, PAPER, STYLES  # noqa: E402
from stylecam.training.vgg import load_vgg16  # noqa: E402

DEEP = {"relu4_3": 1000.0}
SETTINGS = {
    "shipped": ("sum", (1.0, 1e-5, 1e-5), "relu2_2", {}),
    "sum x10": ("sum", (1.0, 1e-4, 1e-5), "relu2_2", {}),
    "JL": ("mean", (1.0, 5.0, 1e-6), "relu3_3", {}),
    "JL r2_2": ("mean", (1.0, 5.0, 1e-6), "relu2_2", {}),
    "x10 deep": ("sum", (1.0, 1e-4, 1e-5), "relu2_2", DEEP),
    "x3 deep": ("sum", (1.0, 3e-5, 1e-5), "relu2_2", DEEP),
    "x30 deep": ("sum", (1.0, 3e-4, 1e-5), "relu2_2", DEEP),
}


def setting(name: str, style: str) -> tuple[str, tuple[float, float, float], str, dict[str, float]]:
    """(reduction, weights, content layer, per-layer style factors) of a named setting."""
    if name != "recipe":
        return SETTINGS[name]
    r = STYLES[style]
    return r.style_reduction, (r.content_weight, r.style_weight, r.tv_weight), r.content_layer, r.style_layer_weights


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--styles", nargs="+", default=["starry_night", "great_wave"], choices=list(PAINTINGS))
    p.add_argument("--photos", nargs="*", help="photo files (default: 2 held-out photos)")
    p.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=[*SETTINGS, "recipe"])
    p.add_argument("--paintings", type=Path, default=ROOT.parent / "shared" / "data" / "paintings")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--iterations", type=int, default=60)
    p.add_argument("--grid", type=Path, default=ROOT / "docs" / "fig5_weights.png")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    photos = [Path(x) for x in args.photos] if args.photos else held_out_photos(
        ROOT.parent / "shared" / "data" / "photos", 2, [])
    vgg = load_vgg16(sorted({"relu2_2", "relu3_3", *PAPER.style_layers}))
    cell = args.size
    header = ["setting"] + [f"{s} / {ph.stem[:18]}" for s in args.styles for ph in photos]
    rows_img = []
    # first row: the photo, second row: the painting (thumbnails), then one row per setting
    crops = {ph: square(read_rgb(ph), args.size) for ph in photos}
    rows_img.append(np.hstack([crops[ph] for _ in args.styles for ph in photos]))
    paint = {s: to_tensor(resize_long_side(read_rgb(args.paintings / PAINTINGS[s]), PAPER.style_size))
             for s in args.styles}
    thumbs = []
    for s in args.styles:
        rgb = square(read_rgb(args.paintings / PAINTINGS[s]), args.size)
        thumbs += [rgb] * len(photos)
    rows_img.append(np.hstack(thumbs))
    print("| setting | style | photo | content | style | tv | total | start | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    # one row of images per setting; several styles side by side
    for name in args.settings:
        row = []
        for s in args.styles:
            reduction, weights, layer, layer_weights = setting(name, s)
            for ph in photos:
                content = to_tensor(crops[ph])
                obj = PerceptualObjective(vgg, content, paint[s], weights, layer, PAPER.style_layers,
                                          style_reduction=reduction, style_layer_weights=layer_weights)
                t0 = time.perf_counter()
                r = optimize(obj, initial_image("photo", content), args.iterations)
                t = r.terms
                print(f"| {name} | {s} | {ph.name} | {t['content']:.4g} | {t['style']:.4g} | {t['tv']:.4g} | "
                      f"{t['total']:.4g} | {r.losses[0]:.4g} | {time.perf_counter() - t0:.0f} |", flush=True)
                row.append((r.image[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8))
        rows_img.append(np.hstack(row))
    labels = ["photo", "painting", *args.settings]
    pad = 90
    grid = np.full((len(rows_img) * cell + 22, pad + len(header[1:]) * cell, 3), 255, np.uint8)
    for i, (lab, im) in enumerate(zip(labels, rows_img, strict=True)):
        grid[22 + i * cell:22 + (i + 1) * cell, pad:] = im
        cv2.putText(grid, lab, (4, 22 + i * cell + cell // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                    cv2.LINE_AA)
    for j, h in enumerate(header[1:]):
        cv2.putText(grid, h, (pad + j * cell + 2, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (0, 0, 0), 1, cv2.LINE_AA)
    args.grid.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.grid), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    print(f"\nwrote {args.grid}")


if __name__ == "__main__":
    main()
