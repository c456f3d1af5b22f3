"""The one perceptual objective: content + style + TV, used by training, the optimiser
and the benches, so that a net is trained and judged on exactly the number that the
Gatys baseline minimises (Johnson et al. 2016, Fig. 5 compares the two directly).

Before this module the sum was written twice (``Trainer.losses`` and the optimiser); a
change of weights or of the Gram normalisation in one place silently broke the Fig. 5
comparison. Now both ask this class.

The style term has two readings, kept selectable because they weigh VGG's layers very
differently (issue 13):
  * ``"sum"`` — the paper's eq. 4 as written: the squared Frobenius norm of the Gram
    difference, a *sum* over the C x C entries (what every shipped style was trained with);
  * ``"mean"`` — the authors' code [JL]: ``nn.MSECriterion`` on the same Gram matrices, a
    *mean* over the C x C entries. A style weight w under "mean" equals w / C_j^2 under
    "sum": relu1_2 (C = 64) counts 64x more, relative to relu4_3 (C = 512), than under "sum".
[JL] jcjohnson/fast-neural-style, fast_neural_style/StyleLoss.lua and GramMatrix.lua.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from stylecam.training.losses import feature_loss, gram, tv_loss
from stylecam.training.recipe import PAPER

STYLE_REDUCTIONS = ("sum", "mean")


def style_term(grams: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor],
               reduction: str = "sum", layer_weights: Mapping[str, float] | None = None) -> torch.Tensor:
    """Sum over layers of the Gram distance, batch-averaged; ``reduction`` as in the module
    docstring. ``targets`` hold one 1 x C x C Gram per layer and broadcast over the batch.
    ``layer_weights`` multiply single layers (missing: 1): under "sum" relu4_3's Gram
    distance is ~1e-4 of relu2_2's, so without a factor the painting's larger shapes are
    not in the objective at all (issue 13, docs/fig5.md)."""
    if reduction not in STYLE_REDUCTIONS:
        raise ValueError(f"style reduction must be one of {STYLE_REDUCTIONS}, got {reduction!r}")
    total = torch.zeros((), device=next(iter(grams.values())).device)
    for name, g in grams.items():
        d = (g - targets[name]).pow(2)
        per_image = d.sum(dim=(1, 2)) if reduction == "sum" else d.mean(dim=(1, 2))
        w = 1.0 if layer_weights is None else float(layer_weights.get(name, 1.0))
        total = total + w * per_image.mean()
    return total


class PerceptualObjective:
    """content + style + TV for one style, and for one fixed content image if given.

    ``content`` may be None (training: the content changes every batch; pass the content
    target to :meth:`terms` instead). ``style`` may be None when ``style_grams`` are given
    (a bench scoring many photos computes the style image's Grams once).
    """

    def __init__(self, vgg: torch.nn.Module, content: torch.Tensor | None, style: torch.Tensor | None,
                 weights: tuple[float, float, float], content_layer: str = PAPER.content_layer,
                 style_layers: tuple[str, ...] = PAPER.style_layers, *, style_reduction: str = "sum",
                 style_grams: Mapping[str, torch.Tensor] | None = None,
                 content_vgg: torch.nn.Module | None = None,
                 style_layer_weights: Mapping[str, float] | None = None) -> None:
        if style_reduction not in STYLE_REDUCTIONS:
            raise ValueError(f"style reduction must be one of {STYLE_REDUCTIONS}, got {style_reduction!r}")
        self.vgg = vgg
        # A VGG cut at the content layer computes content targets at a fraction of the cost.
        self.content_vgg = content_vgg or vgg
        self.weights = tuple(float(w) for w in weights)
        self.content_layer = content_layer
        self.style_layers = tuple(style_layers)
        self.style_reduction = style_reduction
        self.style_layer_weights = {k: float(v) for k, v in (style_layer_weights or {}).items()}
        if style_grams is None:
            if style is None:
                raise ValueError("PerceptualObjective needs a style image or its Gram matrices")
            style_grams = self.grams_of(style)
        self.style_grams = dict(style_grams)
        self.content_target = None if content is None else self.target_of(content)

    @classmethod
    def from_recipe(cls, vgg: torch.nn.Module, content: torch.Tensor | None, style: torch.Tensor | None,
                    recipe: Mapping[str, Any] | Any, **kw: Any) -> PerceptualObjective:
        """The objective a style was trained with, from its recorded recipe (a Recipe or the
        dict stored in a checkpoint / style file); missing keys take the paper's values."""
        r = recipe if isinstance(recipe, Mapping) else recipe.to_dict()
        weights = (float(r.get("content_weight", PAPER.content_weight)), float(r.get("style_weight", PAPER.style_weight)),
                   float(r.get("tv_weight", PAPER.tv_weight)))
        return cls(vgg, content, style, weights, r.get("content_layer", PAPER.content_layer),
                   tuple(r.get("style_layers", PAPER.style_layers)),
                   style_reduction=r.get("style_reduction", PAPER.style_reduction),
                   style_layer_weights=r.get("style_layer_weights") or None, **kw)

    def grams_of(self, style: torch.Tensor) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            feats = self.vgg(style)
            return {k: gram(feats[k].float()) for k in self.style_layers}

    def target_of(self, content: torch.Tensor) -> torch.Tensor:
        """phi_j(content), the feature reconstruction target (no gradient)."""
        with torch.no_grad():
            return self.content_vgg(content)[self.content_layer]

    def feature_terms(self, feats: Mapping[str, torch.Tensor], target: torch.Tensor) -> dict[str, torch.Tensor]:
        """content and style from VGG features already computed (training runs VGG under
        autocast itself); the losses are taken in fp32."""
        content = feature_loss(feats[self.content_layer].float(), target.float())
        style = style_term({k: gram(feats[k].float()) for k in self.style_layers}, self.style_grams,
                           self.style_reduction, self.style_layer_weights)
        return {"content": content, "style": style}

    def terms(self, image: torch.Tensor, target: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Every term and the weighted total for ``image`` (RGB in [0, 1], N x 3 x H x W)."""
        target = self.content_target if target is None else target
        if target is None:
            raise ValueError("no content target: give the objective a content image or pass target=")
        out = self.feature_terms(self.vgg(image), target)
        out["tv"] = tv_loss(image.float())
        cw, sw, tw = self.weights
        out["total"] = cw * out["content"] + sw * out["style"] + tw * out["tv"]
        return out

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.terms(image)["total"]
