"""The paper's training recipe in one place, with the source of every number.

Torch-free so that ``stylecam train --help`` can show the defaults without torch.
Sources:
  [J16] Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
        Super-Resolution", ECCV 2016, section 4.1 (style transfer, training details).
  [JL]  jcjohnson/fast-neural-style (the authors' Lua code), train.lua defaults.
  [G16] Gatys, Ecker & Bethge, "Image Style Transfer Using CNNs", CVPR 2016.
  [H15] Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015:
        a small student trained to reproduce a trained teacher's outputs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Recipe:
    arch: str = "johnson"                       # [J16] supplementary Table 1
    image_size: int = 256                       # [J16] "resized to 256x256"
    batch_size: int = 4                         # [J16] "batch size of 4"
    iterations: int = 40_000                    # [J16] "40,000 iterations (~2 epochs of COCO)"
    lr: float = 1e-3                            # [J16] "Adam with a learning rate of 1e-3"
    content_layer: str = "relu2_2"              # [J16] "feature reconstruction loss at relu2_2"
    style_layers: tuple[str, ...] = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")  # [J16]
    style_size: int = 256                       # [JL] -style_image_size 256
    content_weight: float = 1.0                 # [JL] -content_weights 1.0
    # [JL] uses -style_weights 5.0 on a *mean* over the C x C Gram entries; the paper's
    # formula (and ours) is the squared Frobenius norm, a *sum*, so [JL]'s number does not
    # carry over. Calibrated here on the bundled styles (lite net, 160 px crops): 5e-5
    # gives strong texture but loses faces; 1e-5 keeps photos recognisable (README).
    style_weight: float = 1e-5
    tv_weight: float = 1e-5                     # [J16] "lambda_TV between 1e-6 and 1e-4" (per style)
    # How the Gram difference is reduced over its C x C entries: "sum" is [J16] eq. 4 as
    # written (squared Frobenius norm; every shipped style), "mean" is [JL]'s MSECriterion.
    # See training/objective.py. Old checkpoints without the key mean "sum".
    style_reduction: str = "sum"
    pixel_weight: float = 0.0                   # [J16] pixel loss: super-resolution baseline only
    # [H15] distillation: mean |student(x) - teacher(x)| on [0, 1] RGB. With the perceptual
    # weights at 0 no VGG runs at all, which is what makes a CPU student cheap to train
    # (~0.3 s per batch of 8 at 256 px here, against ~1.4 s per batch of 2 at 160 px for
    # the perceptual loss).
    distill_weight: float = 0.0
    teacher: str = ""                            # the teacher checkpoint, as given
    # Issue 15: weight of training/losses.temporal_loss (synthetic motion on stills, squared
    # error on 0-255). 0 = off, the paper's recipe. Calibrated on the bundled nano nets at
    # 160 px: 100 makes the term about half the content loss at first, a fifth after 300
    # iterations (docs/stabilize.md: it halved great_wave's flicker, at +27% style loss).
    temporal_weight: float = 0.0
    # [M18] Mechrez, Talmi & Zelnik-Manor 2018 (training/contextual.py): weight of the
    # contextual loss between the output's and the style image's VGG features, which asks
    # that the output's features be drawn from the painting's wherever they are. 0 = off
    # (the paper's recipe). Layers: the VGG16 names of [M18]'s style layers (VGG19 conv3_2,
    # conv4_2); band width h = 0.5, [M18]'s style-transfer config (see contextual.py).
    contextual_weight: float = 0.0
    contextual_layers: tuple[str, ...] = ("relu3_2", "relu4_2")
    contextual_band_width: float = 0.5
    seed: int = 0
    arch_config: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


PAPER = Recipe()

# What the bundled styles were trained with on two CPU cores (see README "Bundled styles").
CPU_BUNDLED = Recipe(arch="lite", image_size=160, batch_size=2, iterations=1500)

# The CPU real-time versions of the bundled styles: a nano student per lite teacher, pure
# distillation (no VGG), see README "Bundled styles" and scripts/distill_bundled_styles.sh.
CPU_FAST = Recipe(arch="nano", image_size=256, batch_size=8, iterations=2000, content_weight=0.0,
                  style_weight=0.0, tv_weight=0.0, distill_weight=1.0)

# Issue 13: weights chosen by looking at what Gatys' optimisation makes of held-out photos
# (bench/bench_weights.py, docs/fig5_weights.png; docs/fig5.md). Measured on the
# heron photo at 128 px, 30 projected-L-BFGS iterations from the photo, starry_night and
# great_wave:
#   * the shipped 1 / 1e-5 / 1e-5 ("sum") optimum is the photo with a faint tint and texture:
#     it does not read as the painting. On that objective the photo itself scores better
#     than every shipped net (bench/bench_fig5.py), so training towards it cannot give style.
#   * style 1e-4 (10x) gives Van Gogh's brush swirls and palette and the print's foam curls
#     while the heron stays whole: it reads as the painting.
#   * [JL]'s own balance ("mean", style 5, TV 1e-6; content at relu2_2) overshoots: the
#     heron breaks up and great_wave turns to a beige wash.
#   * relu4_3 adds ~0.01% of the style term under either reduction, so the painting's larger
#     shapes are not in the objective at all; per-layer weights are the next thing to try.
# One photo, two styles, 30 iterations: a direction, not yet a verdict. A lite net trained
# with it (runs/h13_sw1e-4, started 2026-12-01) has to beat the shipped one on the Fig. 5
# bench before it replaces anything.
STYLE_FORWARD = Recipe(arch="lite", image_size=160, batch_size=2, iterations=1500, style_weight=1e-4)
