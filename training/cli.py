"""``stylecam train`` and ``stylecam optimize``: argument parsing (torch-free, so that
``--help`` works without the train extra) and the commands themselves (lazy torch)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from stylecam.training.recipe import PAPER


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a style from a painting (needs the 'train' extra: torch)",
        description="Train a feed-forward style net against the VGG16 perceptual loss "
        "(Johnson et al. 2016). Defaults are the paper's recipe; see training/recipe.py for "
        "the source of each number. Writes OUT/NAME.safetensors (checkpoint + recipe) and "
        "preview images to OUT/previews/.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("style_image", type=Path, metavar="STYLE_IMAGE", help="the painting to learn")
    p.add_argument("--data", type=Path, required=True, help="folder of content photos (read recursively)")
    p.add_argument("--name", required=True, help="style name (file name and catalog key)")
    # "%(default).0s" prints nothing; it stops the formatter from adding "(default: )".
    p.add_argument("--title", default="", help="human-readable title shown in menus (default: the --name)%(default).0s")
    p.add_argument("--out", type=Path, default=Path("runs"), help="output folder")
    p.add_argument("--arch", default=PAPER.arch,
                   help="transform net architecture: johnson (the paper's), lite (CPU), nano (CPU real time)")
    p.add_argument("--variant", choices=["default", "paper"], default="default",
                   help="johnson only: 'paper' = batch norm, transposed convs, scaled tanh")
    p.add_argument("--iterations", type=int, default=PAPER.iterations,
                   help="training steps; the paper's 40,000 need a GPU: on a 2-core CPU one johnson step at "
                   "256 px takes 8-13 s (about 100 hours for 40,000). On a CPU use --arch lite or nano and a "
                   "few thousand steps at --image-size 160")
    p.add_argument("--image-size", type=int, default=PAPER.image_size, help="training crop size in pixels")
    p.add_argument("--batch-size", type=int, default=PAPER.batch_size, help="per process")
    p.add_argument("--style-size", type=int, default=PAPER.style_size, help="long side of the style image")
    add_weight_args(p)
    p.add_argument("--content-layer", default=PAPER.content_layer, help="relu2_2 (paper) or relu3_3")
    p.add_argument("--lr", type=float, default=PAPER.lr, help="Adam learning rate (paper: 1e-3)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="auto: bf16 autocast where the CPU/GPU has bf16, else fp32")
    p.add_argument("--resume", type=Path, help="continue from this checkpoint (weights, Adam state, iteration)")
    p.add_argument("--grow-blocks", type=int, default=0, metavar="N",
                   help="with --resume: grow the net to N residual blocks; the new ones start as the identity "
                   "(the output is unchanged). For a net whose loss has stopped falling for want of capacity; "
                   "a net that already has N is left as it is, so the same command resumes")
    p.add_argument("--vgg-weights", type=Path, help="torchvision vgg16-397923af.pth or VGG16 ONNX to use")
    p.add_argument("--teacher", type=Path, metavar="CHECKPOINT",
                   help="distil: learn to reproduce this trained style's outputs (Hinton et al. 2015). With "
                   "--content-weight 0 --style-weight 0 no VGG runs, so a small CPU net trains in minutes")
    p.add_argument("--distill-weight", type=float, default=None,
                   help="weight of mean |student - teacher| on [0,1] RGB (default: 1 with --teacher, else 0)"
                   "%(default).0s")
    p.add_argument("--temporal-weight", type=float, default=PAPER.temporal_weight, metavar="W",
                   help="weight of the temporal loss: the output of a slightly moved and noised copy of a crop "
                   "must match the moved output of the crop (less flicker on video); 0 = off. With the bundled "
                   "recipes' weights, 100 halved the flicker in 300 iterations but raised the style loss 27%%")
    p.add_argument("--contextual-weight", type=float, default=PAPER.contextual_weight, metavar="W",
                   help="weight of the contextual loss (Mechrez et al. 2018) between the output's and the "
                   "painting's VGG features at relu3_2 and relu4_2: the painting's features must find close, distinct "
                   "matches among the output's, wherever they are (no Gram statistics, no alignment); 0 = off")
    p.add_argument("--contextual-band-width", type=_positive, default=PAPER.contextual_band_width, metavar="H",
                   help="band width h of the contextual loss: 0.5 (authors' style config) is forgiving, 0.1 "
                   "approaches a hard nearest-neighbour match")
    p.add_argument("--seed", type=int, default=PAPER.seed, help="random seed (crops, order, initial weights)")
    p.add_argument("--preview-every", type=int, default=100, help="write a preview image every N iterations")
    p.add_argument("--checkpoint-every", type=int, default=100, help="write a checkpoint every N iterations")
    p.add_argument("--log-every", type=int, default=50, help="average the loss history over N iterations")
    p.set_defaults(func=run_train)


def add_train_sr_parser(sub: argparse._SubParsersAction) -> None:
    """``stylecam train-sr``: super-resolution (recipe and options in training/sr_cli.py)."""
    from stylecam.training.sr_cli import add_parser

    add_parser(sub)


def add_optimize_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "optimize",
        help="stylize one image by direct optimisation (Gatys et al.; the slow baseline)",
        description="The optimisation baseline the paper compares against (Gatys et al. 2016; Johnson "
        "et al. 2016, Fig. 5): projected L-BFGS on the image itself, clipped to the valid range after "
        "every iteration, against the same perceptual objective as training. From white noise (the "
        "paper's yardstick) it needs a few hundred iterations; from the photo it keeps more of it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("content", type=Path, metavar="CONTENT_IMAGE")
    p.add_argument("--style", type=Path, required=True, help="the painting")
    p.add_argument("-o", "--output", type=Path, required=True, help="output image (PNG/JPEG)")
    p.add_argument("--iterations", type=int, default=300, help="L-BFGS iterations")
    p.add_argument("--init", choices=["noise", "photo"], default="noise",
                   help="start from white noise (as the paper's Fig. 5) or from the content photo")
    p.add_argument("--seed", type=int, default=0, help="seed of the white noise")
    p.add_argument("--style-reduction", choices=["sum", "mean"], default=PAPER.style_reduction,
                   help="Gram distance: sum over entries (the paper's formula) or mean (the authors' code)")
    p.add_argument("--size", type=int, default=512, help="long side of the content image")
    p.add_argument("--style-size", type=int, default=PAPER.style_size)
    add_weight_args(p)
    p.add_argument("--vgg-weights", type=Path)
    p.set_defaults(func=run_optimize)


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _recipe_from(args: argparse.Namespace):
    from stylecam.training.recipe import Recipe

    arch_config = {"variant": "paper"} if args.variant == "paper" else {}
    distill = args.distill_weight if args.distill_weight is not None else (1.0 if args.teacher else 0.0)
    return Recipe(arch=args.arch, image_size=args.image_size, batch_size=args.batch_size,
                  iterations=args.iterations, lr=args.lr, content_layer=args.content_layer,
                  style_size=args.style_size, content_weight=args.content_weight,
                  style_weight=args.style_weight, tv_weight=args.tv_weight, seed=args.seed,
                  arch_config=arch_config, distill_weight=distill, temporal_weight=args.temporal_weight,
                  contextual_weight=args.contextual_weight, contextual_band_width=args.contextual_band_width)


#: Seconds per step of the ``johnson`` net + VGG16 to relu4_3, batch 4, 256 px, on the
#: project's 2-core CPU (shared/RESOURCES.md: 7.9 s bf16 autocast, 12.9 s fp32).
CPU_JOHNSON_STEP_S = (7.9, 12.9)


def cpu_cost_warning(arch: str, device: str, iterations: int, image_size: int, batch_size: int) -> str | None:
    """A one-line estimate, said before a run that would take days: the paper's defaults
    on a CPU (about 100 hours for 40,000 steps)."""
    if arch != "johnson" or device == "cuda":
        return None
    if device == "auto":
        import torch

        if torch.cuda.is_available():
            return None
    scale = (image_size / 256) ** 2 * batch_size / 4
    lo, hi = (iterations * t * scale / 3600 for t in CPU_JOHNSON_STEP_S)
    if hi < 2:
        return None
    return (f"the johnson net on a CPU takes about {CPU_JOHNSON_STEP_S[0]:g}-{CPU_JOHNSON_STEP_S[1]:g} s a step "
            f"at 256 px, batch 4 (measured on 2 cores): {iterations} steps here is about {lo:.0f}-{hi:.0f} hours. "
            "On a CPU, train --arch lite or nano for a few thousand steps at --image-size 160")


def run_train(args: argparse.Namespace) -> int:
    warning = cpu_cost_warning(args.arch, args.device, args.iterations, args.image_size, args.batch_size)
    if warning and not args.resume:
        print(f"stylecam train: warning: {warning}", file=sys.stderr, flush=True)
    from stylecam.training.loop import TrainOptions, train

    opts = TrainOptions(
        style_image=args.style_image, data=args.data, name=args.name, out=args.out,
        recipe=_recipe_from(args), title=args.title, device=args.device, precision=args.precision,
        resume=args.resume, grow_blocks=args.grow_blocks, vgg_weights=args.vgg_weights, teacher=args.teacher,
        preview_every=args.preview_every,
        checkpoint_every=args.checkpoint_every, log_every=args.log_every,
        command=shlex.join(["stylecam", *getattr(args, "argv", sys.argv[1:])]),
    )
    from stylecam.training.command import run_training

    return run_training("stylecam train", train, opts)


def run_optimize(args: argparse.Namespace) -> int:
    from stylecam.training.optimize import OptimizeError, optimize_file
    from stylecam.training.vgg import VGGWeightsError

    try:
        result = optimize_file(args.content, args.style, args.output, iterations=args.iterations,
                               size=args.size, style_size=args.style_size,
                               weights=(args.content_weight, args.style_weight, args.tv_weight),
                               vgg_weights=args.vgg_weights, init=args.init, seed=args.seed,
                               style_reduction=args.style_reduction, progress=True)
    except (OptimizeError, VGGWeightsError) as e:
        print(f"stylecam optimize: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.output} (loss {result.losses[0]:.4g} -> {result.losses[-1]:.4g} after "
          f"{result.iterations} iterations, {result.evaluations} evaluations, {result.seconds:.1f} s)")
    return 0


def add_weight_args(p: argparse.ArgumentParser) -> None:
    """The objective's three weights: ``train`` and ``optimize`` weigh the same objective."""
    p.add_argument("--content-weight", type=float, default=PAPER.content_weight,
                   help="weight of the feature (content) loss (Johnson's reference code)")
    p.add_argument("--style-weight", type=float, default=PAPER.style_weight,
                   help="weight of the Gram (style) loss (Johnson's reference code, rescaled to our Gram)")
    p.add_argument("--tv-weight", type=float, default=PAPER.tv_weight,
                   help="weight of total variation (paper: between 1e-6 and 1e-4, per style)")
