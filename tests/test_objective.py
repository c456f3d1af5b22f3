"""The one perceptual objective: training, the optimiser and the benches share it."""

import pytest

torch = pytest.importorskip("torch")

from stylecam.training.losses import feature_loss, gram, style_loss, tv_loss  # noqa: E402
from stylecam.training.objective import PerceptualObjective, style_term  # noqa: E402
from stylecam.training.recipe import Recipe  # noqa: E402

from helpers.nets import TinyVGG  # noqa: E402

LAYERS = ("relu1_2", "relu2_2")


def test_terms_are_the_paper_formulas_and_the_total_their_weighted_sum():
    vgg = TinyVGG()
    content, style, y = torch.rand(1, 3, 12, 12), torch.rand(1, 3, 10, 10), torch.rand(2, 3, 12, 12)
    obj = PerceptualObjective(vgg, content, style, (2.0, 3e-2, 1e-4), "relu2_2", LAYERS)
    with torch.no_grad():
        t = obj.terms(y)
    with torch.no_grad():
        target = vgg(content)["relu2_2"]
        grams = {k: gram(v) for k, v in vgg(style).items()}
        feats = vgg(y)
    assert float(t["content"]) == pytest.approx(float(feature_loss(feats["relu2_2"], target)), rel=1e-6)
    assert float(t["style"]) == pytest.approx(float(style_loss({k: gram(feats[k]) for k in LAYERS}, grams)), rel=1e-6)
    assert float(t["tv"]) == pytest.approx(float(tv_loss(y)), rel=1e-6)
    assert float(t["total"]) == pytest.approx(2.0 * float(t["content"]) + 3e-2 * float(t["style"])
                                              + 1e-4 * float(t["tv"]), rel=1e-6)
    with torch.no_grad():
        assert float(obj(y)) == pytest.approx(float(t["total"]), rel=1e-6)


def test_mean_reduction_is_the_sum_over_c_squared_per_layer():
    """[JL]'s MSECriterion on Grams: weight w under "mean" = w / C^2 under "sum"."""
    g = {"relu1_2": torch.rand(2, 4, 4), "relu2_2": torch.rand(2, 8, 8)}
    t = {"relu1_2": torch.rand(1, 4, 4), "relu2_2": torch.rand(1, 8, 8)}
    by_layer_sum = {k: float(style_term({k: g[k]}, t, "sum")) for k in g}
    mean = float(style_term(g, t, "mean"))
    assert mean == pytest.approx(by_layer_sum["relu1_2"] / 16 + by_layer_sum["relu2_2"] / 64, rel=1e-6)
    with pytest.raises(ValueError):
        style_term(g, t, "max")


def test_from_recipe_reads_the_recorded_weights_and_old_recipes_mean_sum():
    vgg = TinyVGG()
    style = torch.rand(1, 3, 10, 10)
    r = Recipe(content_weight=0.5, style_weight=7.0, tv_weight=0.0, content_layer="relu1_2", style_layers=LAYERS,
               style_reduction="mean")
    obj = PerceptualObjective.from_recipe(vgg, None, style, r)
    assert obj.weights == (0.5, 7.0, 0.0) and obj.content_layer == "relu1_2" and obj.style_reduction == "mean"
    old = {k: v for k, v in r.to_dict().items() if k != "style_reduction"}  # a checkpoint from before the field
    assert PerceptualObjective.from_recipe(vgg, None, style, old).style_reduction == "sum"
    with pytest.raises(ValueError, match="content target"):
        obj.terms(torch.rand(1, 3, 12, 12))
    x = torch.rand(1, 3, 12, 12)
    assert float(obj.terms(x, obj.target_of(x))["content"].detach()) == 0.0


def test_style_layer_weights_scale_single_layers() -> None:
    """A per-layer factor multiplies exactly that layer's Gram distance (issue 13: relu4_3
    needs ~1000x under "sum" to count), and the recipe's record reaches the objective."""
    g = {"a": torch.rand(2, 4, 4), "b": torch.rand(2, 4, 4)}
    t = {"a": torch.rand(1, 4, 4), "b": torch.rand(1, 4, 4)}
    plain = {k: float(style_term({k: g[k]}, t)) for k in g}
    weighted = float(style_term(g, t, "sum", {"b": 1000.0}))
    assert weighted == pytest.approx(plain["a"] + 1000.0 * plain["b"], rel=1e-5)
    assert float(style_term(g, t, "sum", {})) == pytest.approx(plain["a"] + plain["b"], rel=1e-5)
    vgg = TinyVGG()
    r = Recipe(style_layers=LAYERS, style_layer_weights={"relu2_2": 5.0})
    obj = PerceptualObjective.from_recipe(vgg, None, torch.rand(1, 3, 10, 10), r)
    plain_obj = PerceptualObjective.from_recipe(vgg, None, torch.rand(1, 3, 10, 10), Recipe(style_layers=LAYERS))
    assert obj.style_layer_weights == {"relu2_2": 5.0} and plain_obj.style_layer_weights == {}
