"""Every registered architecture: builds, keeps any input size, trains (has gradients)."""

import pytest

torch = pytest.importorskip("torch")

from stylecam.models.nets.registry import create_model, list_models  # noqa: E402
from stylecam.models.nets.transform import multiply_adds_per_pixel  # noqa: E402


def test_registry_lists_johnson_lite_and_nano():
    assert {"johnson", "lite", "nano"} <= set(list_models())


def test_unknown_architecture():
    with pytest.raises(KeyError, match="johnson"):
        create_model("nope")


def test_unknown_config_key():
    with pytest.raises(TypeError, match="widht"):
        create_model("lite", widht=3)


@pytest.mark.parametrize("name", list_models())
@pytest.mark.parametrize("size", [(64, 64), (37, 53), (31, 18)])
def test_output_has_input_size(name, size):
    net = create_model(name).eval()
    with torch.no_grad():
        y = net(torch.rand(1, 3, *size))
    assert y.shape == (1, 3, *size)


def test_paper_variant_is_selectable():
    net = create_model("johnson", variant="paper")
    kinds = {type(m).__name__ for m in net.modules()}
    assert "BatchNorm2d" in kinds and "ConvTranspose2d" in kinds and "InstanceNorm2d" not in kinds
    net.eval()
    with torch.no_grad():
        y = net(torch.rand(1, 3, 33, 47))
    assert y.shape == (1, 3, 33, 47)
    assert float(y.min()) >= 0 and float(y.max()) <= 1  # scaled tanh


def test_default_johnson_is_instance_norm_nearest():
    kinds = {type(m).__name__ for m in create_model("johnson").modules()}
    assert "InstanceNorm2d" in kinds and "ConvTranspose2d" not in kinds


def test_lite_is_much_cheaper_than_johnson():
    j = multiply_adds_per_pixel(create_model("johnson"), 64)
    lite = multiply_adds_per_pixel(create_model("lite"), 64)
    nano = multiply_adds_per_pixel(create_model("nano"), 64)
    assert 140_000 < j < 170_000
    assert lite < j / 10
    assert nano < lite / 2


@pytest.mark.parametrize("size", [(64, 64), (37, 53), (31, 18)])
def test_subpixel_planes_are_the_output_before_the_shuffle(size):
    """forward_subpixels (what the exporter casts to bytes) is forward without the shuffle."""
    net = create_model("nano").eval()
    x = torch.rand(1, 3, *size)
    with torch.no_grad():
        planes = net.forward_subpixels(x)
        y = net(x)
    assert planes.shape[1] == 12
    shuffled = torch.nn.functional.pixel_shuffle(planes, 2)[..., : size[0], : size[1]]
    assert torch.equal(shuffled, y)
    with pytest.raises(ValueError, match="subpixel"):
        create_model("lite").forward_subpixels(x)


def test_bad_smooth_and_upsample_choices_are_named():
    with pytest.raises(ValueError, match="smooth"):
        create_model("nano", smooth="sideways")
    with pytest.raises(ValueError, match="pointwise_first"):
        create_model("lite", upsample="bicubic")


@pytest.mark.parametrize("name", list_models())
def test_every_parameter_gets_a_gradient(name):
    net = create_model(name)
    net(torch.rand(2, 3, 32, 32)).mean().backward()
    assert all(p.grad is not None for p in net.parameters())
