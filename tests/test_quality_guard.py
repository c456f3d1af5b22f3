"""training.quality_guard: a CPU version ships only within 15% of its reference's objective.

The loss network here is the real VGG16Features with random weights (saved in the
safetensors form ``--vgg-weights`` reads), and the photos are the bundled test photos at
64x48: the guard's arithmetic and its two verdicts are under test, not ImageNet features.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import cv2  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

from stylecam.models.nets.checkpoint import load, save  # noqa: E402
from stylecam.training import vgg as vggmod  # noqa: E402
from stylecam.training.data import DataError, resize_long_side  # noqa: E402
from stylecam.training.objective import PerceptualObjective  # noqa: E402
from stylecam.training.quality_guard import (  # noqa: E402
    TOLERANCE,
    HeldOutObjective,
    guard_checkpoints,
    judge,
    torch_frames,
)

from helpers.styles import TEST_PHOTOS, export_test_photos, write_test_checkpoint  # noqa: E402

RECIPE = {"content_weight": 1.0, "style_weight": 1e-5, "tv_weight": 1e-5, "style_size": 48}


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random VGG16 conv weights (He-scaled, so activations neither vanish nor blow up)."""
    gen = torch.Generator().manual_seed(0)
    state, cin = {}, 3
    for i, width in enumerate(vggmod.WIDTHS[:10]):  # up to relu4_3, the deepest layer used
        state[f"conv{i}.weight"] = torch.randn(width, cin, 3, 3, generator=gen) * (2 / (9 * cin)) ** 0.5
        state[f"conv{i}.bias"] = torch.zeros(width)
        cin = width
    path = tmp_path_factory.mktemp("vgg") / "random_vgg16.safetensors"
    save_file(state, str(path))
    return path


@pytest.fixture(scope="module")
def vgg(vgg_file: Path):
    return vggmod.load_vgg16(["relu1_2", "relu2_2", "relu3_3", "relu4_3"], vgg_file)


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    return [cv2.resize(img, (64, 48), interpolation=cv2.INTER_AREA) for _, img in export_test_photos()]


@pytest.fixture(scope="module")
def painting() -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(TEST_PHOTOS / "coffee.jpg")), cv2.COLOR_BGR2RGB)


def noise(photo: np.ndarray) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, photo.shape, dtype=np.uint8)


def test_judge_accepts_within_the_tolerance_and_rejects_beyond() -> None:
    assert TOLERANCE == 0.15  # the README's "within 15% of johnson"
    near = judge([2.2, 2.2], [2.0, 2.0])
    assert near.accepted and near.ratio == pytest.approx(1.1) and near.photos == 2
    assert judge([1.15], [1.0]).accepted  # the limit itself is inside
    far = judge([1.2], [1.0])
    assert not far.accepted and "rejected" in far.line() and "1.200" in far.line()
    assert not judge([1.0, 1.4], [1.0, 1.0]).accepted  # the mean decides: one good photo does not save it
    assert judge([0.5], [1.0]).accepted  # better than the reference is fine
    assert not judge([1.1], [1.0], tolerance=0.05).accepted


def test_judge_refuses_unpaired_or_meaningless_numbers() -> None:
    with pytest.raises(ValueError, match="same photos"):
        judge([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="same photos"):
        judge([], [])
    with pytest.raises(ValueError, match="positive"):
        judge([1.0], [0.0])


def test_held_out_objective_is_the_one_training_objective(vgg, photos, painting) -> None:
    """Each photo's number is PerceptualObjective's, built from the same recipe, on the
    8-bit output: the guard judges a net by what it was trained on."""
    objective = HeldOutObjective(vgg, painting, RECIPE, photos)
    outputs = [cv2.GaussianBlur(p, (5, 5), 0) for p in photos]
    got = objective.losses(outputs)
    style = torch.from_numpy(resize_long_side(painting, RECIPE["style_size"])).permute(2, 0, 1)[None]  # as train does
    for photo, out, value in zip(photos, outputs, got, strict=True):
        def rgb01(bgr: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(bgr[:, :, ::-1].copy()).permute(2, 0, 1)[None].float() / 255

        direct = PerceptualObjective.from_recipe(vgg, rgb01(photo), style.float() / 255, RECIPE)
        with torch.no_grad():
            assert value == pytest.approx(float(direct(rgb01(out))), rel=1e-5)
    with pytest.raises(ValueError, match="outputs for"):
        objective.losses(outputs[:1])


def test_guard_accepts_a_close_net_and_rejects_a_worse_one(vgg, photos, painting) -> None:
    objective = HeldOutObjective(vgg, painting, RECIPE, photos)

    def reference(p: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(p, (3, 3), 0)

    def close(p: np.ndarray) -> np.ndarray:  # the reference, one 8-bit level off here and there
        return np.clip(reference(p).astype(np.int16) + np.random.default_rng(1).integers(-1, 2, p.shape), 0,
                       255).astype(np.uint8)

    accepted = objective.guard(close, reference)
    assert accepted.accepted and accepted.photos == len(photos) and 0.95 < accepted.ratio < 1.05
    rejected = objective.guard(noise, reference)
    assert not rejected.accepted and rejected.ratio > 2


def test_guard_checkpoints_end_to_end(tmp_path, vgg_file, photos) -> None:
    """Two checkpoints and a painting file, as scripts/guard_cpu_version.py runs it."""
    reference = write_test_checkpoint(tmp_path / "reference.safetensors", "nano", seed=0)
    same = guard_checkpoints(reference, reference, RECIPE, TEST_PHOTOS / "coffee.jpg", photos, vgg_file)
    assert same.accepted and same.ratio == pytest.approx(1.0)
    frames = torch_frames(load(reference).net)
    out = frames(photos[0])
    assert out.shape == photos[0].shape and out.dtype == np.uint8
    worse = load(reference)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():  # every weight shaken by 3 of its own standard deviations: a broken CPU version
        for param in worse.net.parameters():
            param.add_(torch.randn(param.shape, generator=gen) * 3 * (param.std() if param.numel() > 1 else 0.1))
    broken = save(tmp_path / "broken.safetensors", worse.net, worse.meta)
    rejected = guard_checkpoints(broken, reference, RECIPE, TEST_PHOTOS / "coffee.jpg", photos, vgg_file)
    assert not rejected.accepted and rejected.ratio > 2
    # the rule for replacing a shipped CPU version (scripts/ship_cpu_finetune.sh): no worse
    # than the one it replaces, tolerance 0: the better net passes, the worse one does not
    better = guard_checkpoints(reference, broken, RECIPE, TEST_PHOTOS / "coffee.jpg", photos, vgg_file, tolerance=0.0)
    assert better.accepted and better.ratio < 0.5 and "limit 1.00" in better.line()
    with pytest.raises(DataError, match="missing.png"):
        guard_checkpoints(reference, reference, RECIPE, tmp_path / "missing.png", photos, vgg_file)


def test_the_guard_script_says_where_the_held_out_photos_are_missing(tmp_path) -> None:
    """scripts/guard_cpu_version.py in a fresh clone (no runs/photos_heldout): one line, exit 2."""
    import subprocess
    import sys

    ck = write_test_checkpoint(tmp_path / "c.safetensors", "nano", seed=0)
    missing = tmp_path / "photos_heldout"
    script = Path(__file__).resolve().parents[1] / "scripts" / "guard_cpu_version.py"
    run = subprocess.run([sys.executable, str(script), str(ck), str(ck), "--style-checkpoint", str(ck),
                          "--photos", str(missing)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [run.stderr.strip()] and str(missing) in run.stderr
    assert "split_photos.py" in run.stderr


def test_the_pattern_guard_wants_a_weaker_grid_where_the_bench_measures_it() -> None:
    """quality_guard.judge_pattern (the rule for a fine-tune that raised the penalty on the
    grid-locked tile): a stylizer that adds a 2 px checker is rejected against one that does
    not, the other way round accepted, and a net against itself rejected (nothing fell)."""
    from stylecam.training.quality_guard import judge_pattern

    rng = np.random.default_rng(0)
    # smooth photos with some texture: low-frequency noise upsampled, plus a little fine noise
    photos = [np.clip(cv2.resize(rng.uniform(0, 255, (12, 16, 3)), (320, 240), interpolation=cv2.INTER_CUBIC)
                      + rng.normal(0, 4, (240, 320, 3)), 0, 255).astype(np.uint8) for _ in range(3)]
    yy, xx = np.mgrid[0:256, 0:256]
    checker = (((yy + xx) % 2) * 2 - 1)[..., None] * 6.0

    def clean(bgr: np.ndarray) -> np.ndarray:
        return bgr

    def gridded(bgr: np.ndarray) -> np.ndarray:
        return np.clip(bgr.astype(np.float64) + checker[: bgr.shape[0], : bgr.shape[1]], 0, 255).astype(np.uint8)

    worse = judge_pattern(gridded, clean, photos)
    assert not worse.accepted and worse.candidate[2] > worse.reference[2] + 10 and "rejected" in worse.line()
    better = judge_pattern(clean, gridded, photos)
    assert better.accepted and better.photos == 3
    assert not judge_pattern(clean, clean, photos).accepted
