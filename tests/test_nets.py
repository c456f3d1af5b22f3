"""Every registered net (timm-style, parametrised over the registry): builds, keeps any
input size, runs as a uint8 frame module, exports, has the parameter count of its card,
its layers are the rows of its documented table, and it learns (has gradients)."""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from stylecam.export.onnx_export import FrameModule, export_graph  # noqa: E402
from stylecam.export.sr_export import UpscaleFrameModule  # noqa: E402
from stylecam.models.nets import checkpoint as ckpt  # noqa: E402
from stylecam.models.nets.base import StyleNet, multiply_adds_per_pixel  # noqa: E402
from stylecam.models.nets.johnson import JohnsonNet  # noqa: E402
from stylecam.models.nets.registry import create_model, list_models, model_card  # noqa: E402
from stylecam.models.nets.sr import SRNet  # noqa: E402

STYLES = list_models()
UPSCALERS = list_models("upscaler")
EVERY = STYLES + UPSCALERS


def test_registry_lists_the_style_nets_and_the_upscalers_apart():
    assert STYLES == ["johnson", "lite", "nano"]
    assert UPSCALERS == ["sr", "srfast"]


def test_listing_the_nets_needs_no_torch():
    """The registry's cards are plain data: with torch made unimportable, they still list."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "from stylecam.models.nets.registry import list_models, model_card\n"
            "print(list_models(), list_models('upscaler'), model_card('nano').parameters)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "['johnson', 'lite', 'nano'] ['sr', 'srfast']" in out.stdout


def test_unknown_architecture():
    with pytest.raises(KeyError, match="johnson"):
        create_model("nope")


def test_unknown_config_key():
    with pytest.raises(TypeError, match="widht"):
        create_model("lite", widht=3)


def _frame_module(net):
    return FrameModule(net) if isinstance(net, StyleNet) else UpscaleFrameModule(net)


def _scale(name):
    return 1 if name in STYLES else create_model(name).factor


@pytest.mark.parametrize("name", EVERY)
@pytest.mark.parametrize("size", [(64, 64), (37, 53), (31, 18)])
def test_output_has_input_size_times_the_scale(name, size):
    net = create_model(name).eval()
    with torch.no_grad():
        y = net(torch.rand(1, 3, *size))
    s = _scale(name)
    assert y.shape == (1, 3, size[0] * s, size[1] * s)


@pytest.mark.parametrize("name", EVERY)
def test_uint8_frame_wrapper_is_the_net_on_bgr_frames(name):
    """What the exported graph computes: BGR uint8 in and out, the colour swap folded into the
    net's first and output convolutions (swap_colours), equal to flipping around the net."""
    torch.manual_seed(0)
    net = create_model(name).eval()
    frame = torch.randint(0, 256, (23, 31, 3), dtype=torch.uint8)
    with torch.no_grad():
        got = _frame_module(net).eval()(frame)
        x = frame.float().div(255).flip(-1).permute(2, 0, 1).unsqueeze(0)
        want = net(x).mul(255).round().clamp(0, 255).to(torch.uint8)[0].permute(1, 2, 0).flip(-1)
    s = _scale(name)
    assert got.dtype == torch.uint8 and got.shape == (23 * s, 31 * s, 3)
    assert (got.int() - want.int()).abs().max() <= 1
    assert want.float().std() > 0  # not a constant image: the comparison means something


@pytest.mark.parametrize("name", EVERY)
def test_checkpoint_round_trip_rebuilds_the_same_net(name, tmp_path):
    torch.manual_seed(1)
    net = create_model(name).eval()
    path = ckpt.save(tmp_path / f"{name}.safetensors", net, {"arch": name, "config": net.config})
    loaded = ckpt.load(path).net
    x = torch.rand(1, 3, 29, 35)
    with torch.no_grad():
        assert torch.equal(net(x), loaded(x))
    assert loaded.config == net.config and type(loaded) is type(net)


@pytest.mark.parametrize("name", STYLES)
def test_export_round_trip_through_onnx_runtime(name, exported_styles, export_checkpoints):
    """The exported file (conftest's exporter run) computes what torch does, at a new odd size.
    (The upscalers' round trip is in tests/test_sr.py.)"""
    import onnxruntime as ort

    module = FrameModule(ckpt.load(export_checkpoints[name]).net).eval()
    frame = np.random.default_rng(3).integers(0, 256, (41, 67, 3), dtype=np.uint8)
    with torch.no_grad():
        ref = module(torch.from_numpy(frame)).numpy()
    session = ort.InferenceSession(str(exported_styles[name].path), providers=["CPUExecutionProvider"])
    out = session.run(None, {"frame": frame})[0]
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 2


@pytest.mark.parametrize("name", EVERY)
def test_parameter_count_is_the_cards(name):
    net = create_model(name)
    assert sum(p.numel() for p in net.parameters()) == model_card(name).parameters


def _called_layers(net, x):
    """The net's direct layers in the order its forward calls them."""
    order = []
    handles = [layer.register_forward_hook(lambda m, i, o, n=n: order.append(n))
               for n, layer in net.named_children()]
    with torch.no_grad():
        net.eval()(x)
    for h in handles:
        h.remove()
    return order


@pytest.mark.parametrize("name,config,table", [
    *[(n, {}, None) for n in EVERY],
    ("johnson", {"variant": "paper"}, JohnsonNet.PAPER_TABLE),
    ("sr", {"variant": "paper"}, SRNet.PAPER_TABLE),
])
def test_layers_are_the_rows_of_the_documented_table(name, config, table):
    net = create_model(name, **config)
    cls = type(net)
    table = table or cls.TABLE
    assert net.table() == list(table)
    assert all(row in cls.__doc__ for row in table), "the class docstring shows every row of its table"
    # the table is read in registration order; the forward must call the layers in that order
    assert _called_layers(net, torch.rand(1, 3, 17, 23)) == [n for n, _ in net.named_children()]


def test_the_table_follows_the_config():
    rows = create_model("johnson", channels=(8, 16, 24), blocks=2).table()
    assert rows[0] == "8 × 9 × 9 conv, stride 1" and rows.count("residual block, 24 filters") == 2


@pytest.mark.parametrize("name", STYLES)
def test_hooks_name_the_first_and_output_convolutions(name):
    """export folds the colour swap into these two; they must be what reads RGB and what
    writes colours (3 planes, or 3 colour blocks of s*s sub-pixel planes)."""
    net = create_model(name)
    assert net.first_conv.in_channels == 3
    assert net.output_conv.out_channels == 3 * (net.shuffle**2 if net.subpixel_output else 1)
    assert net.output_conv is [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)][-1]
    assert len(net.residual_blocks) == net.config["blocks"]


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


def test_bilinear_upsampling_takes_the_nearest_nets_weights(tmp_path):
    """``upsample="bilinear"`` has the same parameters as the default, so a net trained with
    nearest upsampling loads into it (docs/fig5.md tries it against the periodic pattern);
    it keeps odd sizes exact, paints differently, and exports to ONNX Runtime."""
    torch.manual_seed(0)
    nearest = create_model("johnson", channels=(8, 16, 24), blocks=1).eval()
    bilinear = create_model("johnson", channels=(8, 16, 24), blocks=1, upsample="bilinear").eval()
    bilinear.load_state_dict(nearest.state_dict())
    assert "x2 bilinear upsampling, 16 × 3 × 3 conv, stride 1" in bilinear.table()
    x = torch.rand(1, 3, 37, 53)
    with torch.no_grad():
        a, b = nearest(x), bilinear(x)
    assert b.shape == x.shape and not torch.allclose(a, b)
    path = tmp_path / "bilinear.onnx"
    export_graph(FrameModule(bilinear), path)
    ort = pytest.importorskip("onnxruntime")
    frame = (np.random.default_rng(0).random((37, 53, 3)) * 255).astype(np.uint8)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"frame": frame})[0]
    with torch.no_grad():
        want = FrameModule(bilinear)(torch.from_numpy(frame)).numpy()
    assert got.shape == want.shape and np.abs(got.astype(int) - want.astype(int)).max() <= 1


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


def test_bad_choices_are_named():
    with pytest.raises(ValueError, match="transposed"):
        create_model("johnson", upsample="bicubic")
    with pytest.raises(ValueError, match="norm"):
        create_model("johnson", norm="group")
    with pytest.raises(ValueError, match="tanh"):
        create_model("johnson", output="sigmoid")
    with pytest.raises(ValueError, match="variant"):
        create_model("johnson", variant="papr")


@pytest.mark.parametrize("name", EVERY)
def test_every_parameter_gets_a_gradient(name):
    net = create_model(name)
    net(torch.rand(2, 3, 32, 32)).mean().backward()
    assert all(p.grad is not None for p in net.parameters())
