"""The long run of issue 13: every bundled style (training/recipe.py STYLES, johnson net),
trained under growing CPU budgets, round-robin, resumable by running the same command again.

    python scripts/train_styles_long.py [--approach b] [--round 60] [--rounds 100] [--threads 1]
                                        [--styles starry_night ...] [--out runs/styles_long]

Round k gives each style (in ``ORDER``: the four bundled ones first) a budget of k x --round
CPU minutes in all; a style already past it is skipped. Every style checkpoints every
--checkpoint-every CPU minutes to ``OUT/NAME/NAME.safetensors`` (net, Adam state, clock,
phase, owned teacher targets) and keeps a copy at the end of each round
(``NAME_cpuMMMMM.M.safetensors``) for the Fig. 5 bench. A style with no checkpoint under --out
continues from its shipped net when that has this run's net, recipe and painting (``SHIPPED``,
``--from-shipped``). A kill (SIGTERM) or Ctrl-C saves
first. The phase plan, in cumulative CPU minutes, is ``plan()``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from stylecam.training.budgeted import WARMUP_STEPS, BudgetedRun, BudgetOptions, Phase  # noqa: E402
from stylecam.training.recipe import PAINTINGS, PERIODIC, STYLES, TITLES  # noqa: E402

# Where a style's shipped full net lives: a long-run net (its budget and recipe recorded) that
# the run continues from when --out has no checkpoint of it (runs/ is scratch and may be lost
# between sessions), with a fresh Adam; see --from-shipped.
SHIPPED = ROOT / "models" / "styles" / "checkpoints"
DEFAULT_OUT = ROOT / "runs" / "styles_long"
ORDER = ["starry_night", "great_wave", "the_scream", "composition_viii", "houses_at_auvers", "moulin_de_la_galette",
         "poppies", "spring"]


def plan(approach: str, budget: float, large_from: float = 120.0, lr: float | None = None,
         periodic_weight: float | None = None) -> list[Phase]:
    """Phases in cumulative CPU minutes. (b): 40 min of L-BFGS targets (~30 photos at 256 px),
    30 of pixel loss on them, then the perceptual loss at 128 px (batch 4) to ``large_from``
    and at the paper's 256 px (batch 2) beyond. (a): the same without the first two phases.
    ``lr``, ``periodic_weight``: Adam's rate and the periodic penalty's weight in the last phase
    (None: the recipe's)."""
    small = Phase("perceptual", large_from, 128, 4)
    if approach == "b":
        head = [Phase("teacher", 40), Phase("pixel", 70, 128, 4), small]
    else:
        head = [small]
    head = [p for p in head if p.until < budget and p.until <= large_from]
    large = budget > large_from
    return head + [Phase("perceptual", budget, 256 if large else 128, 2 if large else 4, lr=lr,
                         periodic_weight=periodic_weight)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--approach", choices=("a", "b"), default="a")  # (a) won at 15 CPU-min, docs/fig5.md
    p.add_argument("--round", type=float, default=60.0, help="CPU minutes added per style per round")
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--styles", nargs="*", default=ORDER, choices=ORDER)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--large-crops-from", type=float, default=120.0, metavar="MIN",
                   help="cumulative CPU minutes after which the perceptual loss sees 256 px crops (batch 2) "
                        "instead of 128 px (batch 4); a shipped net past it continues at 256 px at once")
    p.add_argument("--lr", type=float, default=None,
                   help="Adam's rate in the last phase of the plan, the one this round extends (default: the "
                        "recipe's, 1e-3; at 256 px, batch 2, great_wave's trained net diverged at it and trained at "
                        "3e-4; once 3e-4 stops paying, 1e-4 buys an annealing drop: great_wave 1.61 -> 1.56 x "
                        "L-BFGS@100 in 20 CPU-min, where 3e-4 gave 1.63; docs/fig5.md, rounds four and five)")
    p.add_argument("--periodic-weight", type=float, default=None,
                   help="weight of the periodic penalty (the 2 / 4 px grid-locked tile, training/losses.periodic_loss) "
                        f"in the phase this round extends (default: the recipe's, {PERIODIC:g}; 0: off). Raise it "
                        "when the Fig. 5 bench shows a 2 / 4 px pattern: 1e10 lowered it for four styles at no loss "
                        "(docs/fig5.md, round four). The recipe keeps its own weight, so --from-shipped still "
                        "continues the shipped net; every loss entry records the weight it trained at. Give it "
                        "again when resuming, or the phase trains on at the recipe's (said in the log)")
    p.add_argument("--warmup-steps", type=int, default=WARMUP_STEPS,
                   help="steps over which a fresh Adam on a trained net (the shipped one, or at a change of loss) "
                        "ramps its rate up to the phase's; 0: full rate at once")
    p.add_argument("--checkpoint-every", type=float, default=5.0, help="CPU minutes")
    p.add_argument("--data", type=Path, default=ROOT / "runs" / "photos_train")
    p.add_argument("--paintings", type=Path, default=ROOT.parent / "shared" / "data" / "paintings")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--from-shipped", action=argparse.BooleanOptionalAction, default=None,
                   help="continue a style that has no checkpoint under --out from its shipped net when that has "
                        "this run's net, recipe and painting (default: only with the default --out and --approach a, "
                        "so that an experiment in another folder starts from scratch)")
    args = p.parse_args()
    from_shipped = args.from_shipped if args.from_shipped is not None else (
        args.out.resolve() == DEFAULT_OUT.resolve() and args.approach == "a")
    torch.set_num_threads(args.threads)
    for k in range(1, args.rounds + 1):
        budget = k * args.round
        for name in args.styles:
            out = args.out / name
            opts = BudgetOptions(name=name, style_image=args.paintings / PAINTINGS[name], data=args.data, out=out,
                                 recipe=STYLES[name], phases=plan(args.approach, budget, args.large_crops_from,
                                                         lr=args.lr, periodic_weight=args.periodic_weight),
                                 snapshots=tuple(j * args.round for j in range(1, k + 1)),
                                 checkpoint_every=args.checkpoint_every, teacher_cache=args.out / "targets",
                                 resume_from=SHIPPED / f"{name}.safetensors" if from_shipped else None,
                                 warmup_steps=args.warmup_steps,
                                 title=TITLES[name])
            BudgetedRun(opts).run()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # kill / Ctrl-C: the run saved its checkpoint first (budgeted.py)
        print("train_styles_long: stopped; run scripts/train_styles_long.sh again to resume", file=sys.stderr)
        sys.exit(130)
