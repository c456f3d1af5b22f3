"""``stylecam train-sr``: its command line (torch-free, so that ``--help`` works without the
train extra). The recipe and the source of each default are in ``training/sr_recipe.py``,
the training in ``training/sr.py``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from stylecam.training.sr_recipe import LOSSES, PAPER_SR, SRRecipe


def _factor(text: str) -> int:
    if text not in ("2", "4", "8"):
        raise argparse.ArgumentTypeError(f"must be 2, 4 or 8, not {text!r}")
    return int(text)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-sr",
        help="train a super-resolution net (x4 or x8; needs the 'train' extra: torch)",
        description="Train a super-resolution net (Johnson et al. 2016, section 4.2). Low-resolution "
        "inputs are made from the photos in --data: Gaussian blur (sigma 1.0) then bicubic downsampling. "
        "Defaults are the paper's recipe; --loss pixel is its baseline. Writes OUT/NAME.safetensors "
        "(weights, Adam state, recipe) and previews to OUT/previews/; --resume continues a run, "
        "Ctrl-C saves a checkpoint. Export with `stylecam export` to get an upscaler for `stylecam upscale`.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    d = PAPER_SR
    p.add_argument("--factor", type=_factor, default=d.factor, help="upscaling factor")
    p.add_argument("--data", type=Path, required=True, help="folder of photos (read recursively)")
    p.add_argument("--loss", choices=LOSSES, default=d.loss,
                   help="feature: VGG16 relu2_2 (the paper); pixel: mean squared error (the baseline); "
                   "contextual: Mechrez et al. 2018 at the same layer")
    p.add_argument("--name", default=None, help="upscaler name (default: sr_x<factor>)")
    p.add_argument("--title", default="", help="human-readable title")
    p.add_argument("--out", type=Path, default=Path("runs"), help="output folder")
    p.add_argument("--arch", default=d.arch, choices=["sr", "srfast"],
                   help="sr: the paper's net; srfast: the real-time CPU net (all layers at input resolution)")
    p.add_argument("--variant", choices=["default", "paper"], default="default",
                   help="sr only: 'paper' = fractionally-strided convs and scaled tanh (default: nearest "
                   "upsample + conv, linear output)")
    p.add_argument("--iterations", type=int, default=d.iterations)
    p.add_argument("--image-size", type=int, default=d.image_size,
                   help="high-resolution patch size in pixels (a multiple of the factor)")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--blur-sigma", type=float, default=d.blur_sigma, help="Gaussian blur before downsampling")
    p.add_argument("--content-layer", default=d.content_layer, help="VGG16 layer of the feature/contextual loss")
    p.add_argument("--tv-weight", type=float, default=None,
                   help="total variation weight (default: 0 for pixel, 1e-6 otherwise)")
    p.add_argument("--pixel-weight", type=float, default=d.pixel_weight,
                   help="add this weight times the pixel (MSE) loss to --loss feature or contextual "
                   "(not in the paper; holds down the sub-pixel net's 4-px grid; ~1e6-1e8 is useful)")
    p.add_argument("--grid-weight", type=float, default=d.grid_weight,
                   help="weight of the sub-pixel grid term (levels^2: variance over the f*f output phases of "
                   "the mean error; not in the paper); for the srfast net")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="leave photos whose file name matches this glob out of training (repeatable), "
                   "e.g. to hold them out for evaluation; recorded in the checkpoint")
    p.add_argument("--init", type=Path, metavar="CHECKPOINT",
                   help="start from this trained upscaler's weights (a new run: iteration 0, fresh Adam)")
    p.add_argument("--resume", type=Path, help="continue from this checkpoint (weights, Adam state, iteration)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto")
    p.add_argument("--vgg-weights", type=Path, help="torchvision vgg16-397923af.pth or VGG16 ONNX to use")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--preview-every", type=int, default=100)
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--log-every", type=int, default=50)
    p.set_defaults(func=run_train_sr)


def recipe_from(args: argparse.Namespace) -> SRRecipe:
    arch_config = {"variant": "paper"} if args.variant == "paper" else {}
    return SRRecipe(factor=args.factor, arch=args.arch, loss=args.loss, image_size=args.image_size,
                    batch_size=args.batch_size, iterations=args.iterations, lr=args.lr, blur_sigma=args.blur_sigma,
                    content_layer=args.content_layer, tv_weight=args.tv_weight,
                    pixel_weight=args.pixel_weight, grid_weight=args.grid_weight, seed=args.seed,
                    exclude=tuple(args.exclude), init=str(args.init) if args.init else "", arch_config=arch_config)


def run_train_sr(args: argparse.Namespace) -> int:
    from stylecam.training.command import run_training
    from stylecam.training.sr import SROptions, train_sr

    recipe = recipe_from(args)
    opts = SROptions(data=args.data, name=args.name or f"sr_x{recipe.factor}", out=args.out, recipe=recipe,
                     title=args.title, device=args.device, precision=args.precision, resume=args.resume,
                     vgg_weights=args.vgg_weights, preview_every=args.preview_every,
                     checkpoint_every=args.checkpoint_every, log_every=args.log_every,
                     command=shlex.join(["stylecam", *getattr(args, "argv", sys.argv[1:])]))
    return run_training("stylecam train-sr", train_sr, opts)
