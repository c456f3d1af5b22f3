"""Each perceptual loss against a direct NumPy computation of the paper's formula."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from stylecam.training.losses import feature_loss, gram, pixel_loss, style_loss, tv_loss  # noqa: E402

RNG = np.random.default_rng(0)


def np_gram(f: np.ndarray) -> np.ndarray:
    c, h, w = f.shape
    m = f.reshape(c, h * w).astype(np.float64)
    return m @ m.T / (c * h * w)


def test_gram_matches_numpy():
    f = RNG.standard_normal((2, 5, 7, 3)).astype(np.float32)
    got = gram(torch.from_numpy(f)).numpy()
    for i in range(2):
        np.testing.assert_allclose(got[i], np_gram(f[i]), rtol=1e-5, atol=1e-6)


def test_feature_loss_is_squared_l2_over_chw():
    a = RNG.standard_normal((3, 4, 6, 5)).astype(np.float32)
    b = RNG.standard_normal((3, 4, 6, 5)).astype(np.float32)
    want = np.mean([((a[i] - b[i]).astype(np.float64) ** 2).sum() / (4 * 6 * 5) for i in range(3)])
    assert float(feature_loss(torch.from_numpy(a), torch.from_numpy(b))) == pytest.approx(want, rel=1e-5)


def test_style_loss_sums_squared_frobenius_over_layers():
    layers = {"a": (4, 8, 8), "b": (6, 4, 4)}
    feats = {k: RNG.standard_normal((2, *s)).astype(np.float32) for k, s in layers.items()}
    style = {k: RNG.standard_normal((1, *s)).astype(np.float32) for k, s in layers.items()}
    want = np.mean([
        sum(((np_gram(feats[k][i]) - np_gram(style[k][0])) ** 2).sum() for k in layers) for i in range(2)
    ])
    got = style_loss({k: gram(torch.from_numpy(v)) for k, v in feats.items()},
                     {k: gram(torch.from_numpy(v)) for k, v in style.items()})
    assert float(got) == pytest.approx(want, rel=1e-5)


def test_tv_loss_on_0_255_scale():
    x = RNG.random((2, 3, 5, 7)).astype(np.float32)
    y = x.astype(np.float64) * 255
    per = [((y[i, :, 1:, :] - y[i, :, :-1, :]) ** 2).sum() + ((y[i, :, :, 1:] - y[i, :, :, :-1]) ** 2).sum()
           for i in range(2)]
    assert float(tv_loss(torch.from_numpy(x))) == pytest.approx(np.mean(per), rel=1e-5)


def test_tv_loss_zero_on_flat_image():
    assert float(tv_loss(torch.full((1, 3, 8, 8), 0.5))) == 0.0


def test_pixel_loss():
    a = RNG.random((2, 3, 4, 4)).astype(np.float32)
    b = RNG.random((2, 3, 4, 4)).astype(np.float32)
    want = ((a.astype(np.float64) - b) ** 2).mean()
    assert float(pixel_loss(torch.from_numpy(a), torch.from_numpy(b))) == pytest.approx(want, rel=1e-5)


def test_periodic_loss_sees_a_tile_locked_to_the_grid_and_not_moving_texture():
    """A 2x2 tile repeated over the frame (what a stride-2 net's hatch is) scores high; the
    same pattern with its phase varying across the frame, noise, and a flat image score
    (near) nothing; the loss has a gradient that removes the tile."""
    from stylecam.training.losses import periodic_loss

    g = torch.Generator().manual_seed(0)
    tile = torch.rand(1, 3, 2, 2, generator=g)
    locked = 0.5 + (tile - tile.mean()).repeat(1, 1, 64, 64)
    assert float(periodic_loss(torch.full((1, 3, 128, 128), 0.5))) == 0.0
    noise = torch.rand(1, 3, 128, 128, generator=g)
    assert float(periodic_loss(locked)) > 100 * float(periodic_loss(noise))
    # the same tile, its phase random in every 8 x 8 block: texture that is not locked
    drifting = locked.clone()
    for by in range(0, 128, 8):
        for bx in range(0, 128, 8):
            dy, dx = (int(v) for v in torch.randint(0, 2, (2,), generator=g))
            drifting[..., by:by + 8, bx:bx + 8] = drifting[..., by:by + 8, bx:bx + 8].roll((dy, dx), dims=(-2, -1))
    assert float(periodic_loss(drifting)) < 0.1 * float(periodic_loss(locked))
    x = locked.clone().requires_grad_(True)
    periodic_loss(x).backward()
    with torch.no_grad():
        stepped = x - 0.5 * x.grad / x.grad.abs().max() * (locked - 0.5).abs().max()
    assert float(periodic_loss(stepped)) < float(periodic_loss(locked))
