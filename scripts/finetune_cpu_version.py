"""The last stage of a long-run style's CPU version (scripts/ship_long_run_style.sh): the
`nano` net distilled from the new johnson net, fine-tuned on the style's own objective
(training/recipe.py STYLES: its weights, relu4_3 x1000, the periodic penalty) for a CPU
budget, with the same budgeted trainer as the long run.

    python scripts/finetune_cpu_version.py NAME --init DISTILLED.safetensors [--arch nano] [--minutes 15]
                                           [--size 128] [--batch 4] [--lr 3e-4] [--periodic-weight W]
                                           [--out runs/ship/nano_ft]

Why: distillation is a pixel loss, which learns the teacher's colours and shapes but
leaves the brush texture blurred (measured on the old CPU versions: 23 dB from the teacher
after 450 iterations); the perceptual fine-tune brings it back. `stylecam train` cannot set
the recipe's layer weights and periodic penalty, so this uses `BudgetedRun` with the
style's recipe, its architecture switched to `nano`, started from the distilled net (fresh
Adam, clock at 0). Resumable: the same command continues from OUT/NAME.safetensors.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from stylecam.models.nets.checkpoint import read_metadata  # noqa: E402
from stylecam.training.budgeted import BudgetedRun, BudgetOptions, Phase  # noqa: E402
from stylecam.training.recipe import PAINTINGS, STYLES, TITLES  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", choices=sorted(STYLES))
    p.add_argument("--init", type=Path, required=True, help="the distilled checkpoint to start from")
    p.add_argument("--arch", default="nano", choices=("nano", "lite"), help="the CPU net's architecture (the --init's)")
    p.add_argument("--minutes", type=float, default=15.0, help="CPU minutes of fine-tuning in all")
    p.add_argument("--size", type=int, default=128, help="crop size (the long run's johnson nets: 128)")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--lr", type=float, default=3e-4,
                   help="Adam's rate (a third of the recipe's: the distilled net is already close, and a fresh "
                        "Adam at 1e-3 jolts a trained net first, docs/fig5.md approach (c))")
    p.add_argument("--periodic-weight", type=float, default=None,
                   help="weight of the periodic penalty (the 2 / 4 px grid-locked tile; default: the recipe's, "
                        "training/recipe.py PERIODIC). Unlike train_styles_long.py --periodic-weight, which sets a "
                        "phase's, this rewrites the fine-tune's recipe: a CPU version is a new net, with no shipped "
                        "run of its own to stay continuable with")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--data", type=Path, default=ROOT / "runs" / "photos_train")
    p.add_argument("--paintings", type=Path, default=ROOT.parent / "shared" / "data" / "paintings")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "ship" / "nano_ft")
    args = p.parse_args()
    if not args.init.is_file():
        sys.exit(f"{args.init}: no such checkpoint (distil the CPU version first)")
    recipe = replace(STYLES[args.name], arch=args.arch, lr=args.lr)
    if args.periodic_weight is not None:
        recipe = replace(recipe, periodic_weight=args.periodic_weight)
    done = args.out / f"{args.name}.safetensors"
    if done.is_file():  # a resume: only of a fine-tune that began from this very net, with these settings
        had = read_metadata(done)
        began, now = had.get("start", {}), read_metadata(args.init)
        if (began.get("path"), began.get("iteration")) != (str(args.init), now.get("iteration")):
            sys.exit(f"{done}: a fine-tune of {began.get('path')} at iteration {began.get('iteration')}, not of "
                     f"{args.init} at {now.get('iteration')}; delete it (and its _cpu* copies) to start again")
        for field in ("lr", "periodic_weight"):
            was, wanted = (had.get("recipe") or {}).get(field), getattr(recipe, field)
            if was != wanted:
                sys.exit(f"{done}: a fine-tune with {field} {was}, not {wanted}; delete it (and its _cpu* copies) "
                         "to start again, or pass the same settings to resume it")
    torch.set_num_threads(args.threads)
    opts = BudgetOptions(name=args.name, style_image=args.paintings / PAINTINGS[args.name], data=args.data,
                         out=args.out, recipe=recipe,
                         phases=[Phase("perceptual", args.minutes, args.size, args.batch)],
                         snapshots=(args.minutes,), init=args.init, title=TITLES[args.name])
    print(BudgetedRun(opts).run())


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the run saved its checkpoint first (budgeted.py)
        print("finetune_cpu_version: stopped; run the same command again to resume", file=sys.stderr)
        sys.exit(130)
