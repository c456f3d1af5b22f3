"""The quality guard on a CPU version's checkpoint, before it is exported (README,
"Quality guard against johnson"): exit 0 if its objective on held-out photos is within
15% of the reference's, 1 if not (the numbers on stderr).

    python scripts/guard_cpu_version.py CPU_CKPT REFERENCE_CKPT --style-checkpoint FULL_CKPT
    python scripts/guard_cpu_version.py CPU_CKPT SHIPPED_CPU_CKPT --pattern

``--pattern`` judges the grid instead (``quality_guard.judge_pattern``: the periodic energy at
the nets' upsampling periods, median over the held-out photos at 256 px, as the Fig. 5 bench
measures it), for a fine-tune that raised the penalty on the grid-locked tile.

The reference is the style's ``johnson`` net where one is trained, else its full net; the
objective is the style's own (the full net's recorded recipe and painting). The photos are
fitted to 640x480 as ``bench/bench_realtime.py`` section 5 fits them. The guard itself is
``stylecam.training.quality_guard``; this script only finds its inputs (it may import
both ``export`` and ``training``, which the layers may not import from each other).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stylecam.export.images import fit, load_images  # noqa: E402
from stylecam.models.nets.checkpoint import read_metadata  # noqa: E402
from stylecam.training.quality_guard import TOLERANCE, guard_checkpoints, guard_pattern_checkpoints  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("candidate", type=Path, help="the CPU version's checkpoint")
    ap.add_argument("reference", type=Path, help="the reference checkpoint (johnson, else the style's full net)")
    ap.add_argument("--style-checkpoint", type=Path,
                    help="the style's full-net checkpoint: its recipe and painting define the objective "
                         "(required unless --pattern)")
    ap.add_argument("--pattern", action="store_true",
                    help="judge the grid pattern (periodic energy at 2 and 4 px, 256 px crops), not the objective: "
                         "no period's energy may rise, one must fall")
    ap.add_argument("--paintings", type=Path, default=ROOT.parent / "shared" / "data" / "paintings",
                    help="folder of the paintings named in the recipe")
    ap.add_argument("--photos", type=Path, default=ROOT / "runs" / "photos_heldout", help="held-out photos")
    ap.add_argument("--count", type=int, default=10, help="photos used (default 10)")
    ap.add_argument("--size", default="640x480", help="WxH the photos are fitted to")
    ap.add_argument("--vgg-weights", type=Path, help="VGG16 weights (default: where stylecam train finds them)")
    ap.add_argument("--tolerance", type=float, default=TOLERANCE,
                    help=f"how much worse than the reference the candidate may score (default {TOLERANCE}; 0: "
                         "no worse, the test for replacing a shipped CPU version by a fine-tuned one)")
    args = ap.parse_args(argv)
    if not args.photos.is_dir():
        print(f"{args.photos}: no held-out photos here; make them with `python scripts/split_photos.py "
              f"../shared/data/photos runs`, or pass --photos DIR", file=sys.stderr)
        return 2
    if args.pattern:
        photos = [img for _, img in load_images(args.photos, args.count, long_side=1280)]
        result = guard_pattern_checkpoints(args.candidate, args.reference, photos)
        print(f"{args.candidate}: pattern guard {result.line()}", file=sys.stderr)
        return 0 if result.accepted else 1
    if args.style_checkpoint is None:
        ap.error("--style-checkpoint is required (or --pattern)")
    meta = read_metadata(args.style_checkpoint)
    recipe = dict(meta.get("recipe") or {})
    painting = args.paintings / str(recipe.get("style_image") or (meta.get("style") or {}).get("image") or "")
    w, h = (int(v) for v in args.size.lower().split("x"))
    photos = [fit(img, h, w) for _, img in load_images(args.photos, args.count, long_side=1280)]
    result = guard_checkpoints(args.candidate, args.reference, recipe, painting, photos, args.vgg_weights,
                                args.tolerance)
    print(f"{args.candidate}: quality guard {result.line()}", file=sys.stderr)
    return 0 if result.accepted else 1


if __name__ == "__main__":
    sys.exit(main())
