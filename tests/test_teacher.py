"""The optimiser as teacher (training/teacher.py): aligned crops, the target cache, the
CPU clock, and one L-BFGS target that lowers its objective."""

import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from stylecam.training.objective import PerceptualObjective  # noqa: E402
from stylecam.training.recipe import Recipe  # noqa: E402
from stylecam.training.teacher import (  # noqa: E402
    AlignedCrops,
    CpuClock,
    TargetCache,
    objective_key,
    square_crop,
    teacher_target,
)

from helpers.nets import TinyVGG  # noqa: E402


def test_aligned_crops_take_the_same_window_and_flip_from_photo_and_target():
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    target = 255 - photo  # any pixel-wise function of the photo: aligned crops keep it
    crops = AlignedCrops([(photo, target)], 16, 8, seed=1)
    x, t = crops.batch()
    assert x.shape == t.shape == (8, 3, 16, 16)
    assert torch.allclose(t, 1.0 - x, atol=1e-6)
    # the windows really move (not always the corner) and some are flipped
    seen = {crops.crop()[0].tobytes() for _ in range(20)}
    assert len(seen) > 5
    with pytest.raises(ValueError):
        AlignedCrops([(photo, target[:30])], 16, 2)


def test_target_cache_round_trips_and_the_key_follows_the_objective(tmp_path):
    r = Recipe().to_dict()
    key = objective_key(r, "p.png", 256, 50)
    assert key == objective_key(dict(r), "p.png", 256, 50)
    assert key != objective_key({**r, "style_weight": 1e-4}, "p.png", 256, 50)
    assert key != objective_key({**r, "style_layer_weights": {"relu4_3": 1000.0}}, "p.png", 256, 50)
    assert key != objective_key(r, "p.png", 256, 100)
    cache = TargetCache(tmp_path, key)
    photo = tmp_path / "heron.jpg"
    assert cache.get(photo) is None
    img = np.random.default_rng(1).integers(0, 256, (12, 12, 3), dtype=np.uint8)
    cache.put(photo, img, {"cpu_seconds": 3.5, "losses": [2.0, 1.0]})
    back, record = cache.get(photo)
    assert np.array_equal(back, img) and record["cpu_seconds"] == 3.5


def test_cpu_clock_counts_work_charges_and_leaves_out_paused_time():
    clock = CpuClock(offset=10.0)
    assert clock.spent >= 10.0
    t = clock.spent
    with clock.paused():
        end = time.process_time() + 0.2
        while time.process_time() < end:
            pass
    assert clock.spent - t < 0.1
    end = time.process_time() + 0.2
    while time.process_time() < end:
        pass
    assert clock.spent - t >= 0.19
    clock.charge(5.0)
    assert clock.spent - t >= 5.19


def test_teacher_target_lowers_the_objective_and_stays_aligned():
    rng = np.random.default_rng(2)
    photo = square_crop(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8), 24)
    assert photo.shape == (24, 24, 3)
    content = torch.from_numpy(photo).permute(2, 0, 1).float().div(255).unsqueeze(0)
    obj = PerceptualObjective(TinyVGG(), content, torch.rand(1, 3, 20, 20), (1.0, 1e3, 1e-6), "relu2_2",
                              ("relu1_2", "relu2_2"))
    target, losses = teacher_target(obj, photo, 10)
    assert target.shape == photo.shape and target.dtype == np.uint8
    assert losses[-1] < 0.5 * losses[0]
    assert not np.array_equal(target, photo)
