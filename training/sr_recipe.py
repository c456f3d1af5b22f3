"""The super-resolution training recipe, with the source of every number (torch-free, so
that ``stylecam train-sr --help`` shows the defaults without torch).

Sources:
  [J16] Johnson, Alahi & Fei-Fei, ECCV 2016, section 4.2 (single-image super-resolution):
        "288x288 patches from 10k images from the MS-COCO training set", "blurring with a
        Gaussian kernel of width sigma = 1.0 and downsampling with bicubic interpolation",
        "batch size 4 for 200k iterations using Adam with a learning rate of 1e-3",
        feature loss at relu2_2, pixel loss as the baseline, "lambda_TV chosen by
        cross-validation" between 1e-6 and 1e-4 (section 4.1).
  [M18] Mechrez, Talmi & Zelnik-Manor, ECCV 2018 (the contextual loss).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

LOSSES = ("feature", "pixel", "contextual")


@dataclass
class SRRecipe:
    factor: int = 4                              # [J16] x4 and x8
    arch: str = "sr"                             # [J16] supplementary Table 2
    loss: str = "feature"                        # [J16] the paper's point; "pixel" is its baseline
    image_size: int = 288                        # [J16] 288x288 high-resolution patches
    batch_size: int = 4                          # [J16]
    iterations: int = 200_000                    # [J16]
    lr: float = 1e-3                             # [J16] Adam, no weight decay
    blur_sigma: float = 1.0                      # [J16] Gaussian blur before bicubic downsampling
    content_layer: str = "relu2_2"               # [J16] feature loss at relu2_2 (VGG blocks 1-2 only)
    # [J16] lambda_TV between 1e-6 and 1e-4: the smallest, for the feature and contextual
    # losses (their scale, Caffe VGG features, is ~1e3-1e4 a patch); 0 for the pixel loss,
    # whose scale on [0, 1] RGB (~1e-3) any TV weight in that range would swamp.
    tv_weight: float | None = None
    # Mechrez et al. 2018 [M18]: band width h; our contextual module's default (0.5), see
    # training/contextual.py for why. Applied at content_layer, with its 65x65 position sampling.
    contextual_band_width: float = 0.5
    # Not in [J16]: a pixel (MSE) term added to the feature or contextual loss. The
    # sub-pixel net (srfast) trained on the feature loss alone grows a 4-px grid that
    # relu2_2 does not penalise (docs/upscale.md); the pixel term holds it down and keeps
    # PSNR near bicubic's. Scale: the feature loss (Caffe VGG features) is ~1e4-1e5 a
    # patch, MSE on [0, 1] ~1e-3, so useful weights are ~1e6-1e8. 0 = the paper.
    pixel_weight: float = 0.0
    # Not in [J16]: weight of the sub-pixel grid term (``training.sr.grid_loss``, in levels^2:
    # the variance over the f*f output phases of the mean error at each phase), which
    # penalises exactly the f-px periodic pattern a sub-pixel output can make. 0 = off.
    grid_weight: float = 0.0
    seed: int = 0
    exclude: tuple[str, ...] = ()                # file-name patterns held out of --data (evaluation photos)
    init: str = ""                               # a checkpoint whose weights start the run (fine-tuning)
    arch_config: dict = field(default_factory=dict)

    def resolved_tv(self) -> float:
        if self.tv_weight is not None:
            return self.tv_weight
        return 0.0 if self.loss == "pixel" else 1e-6

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tv_weight"] = self.resolved_tv()
        return d


PAPER_SR = SRRecipe()
