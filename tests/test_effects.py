"""app.effects: strength, colour preservation (Gatys et al. 2016), processing size."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from stylecam.app import effects


@pytest.fixture
def photo() -> np.ndarray:
    img = cv2.imread("tests/data/astronaut.jpg")
    assert img is not None
    return img


def test_blend_ends_return_inputs_and_middle_mixes(photo: np.ndarray) -> None:
    other = 255 - photo
    assert effects.blend(other, photo, 1.0) is other
    assert effects.blend(other, photo, 0.0) is photo
    half = effects.blend(other, photo, 0.5).astype(int)
    assert np.abs(half - 127.5).max() <= 1  # x/2 + (255-x)/2


def test_preserve_colors_takes_luminance_from_style_and_colour_from_original(photo: np.ndarray) -> None:
    stylized = np.zeros_like(photo)
    stylized[..., 2] = 200  # a strongly red "painting"
    out = effects.preserve_colors(stylized, photo)
    y_out, y_sty, y_org = (cv2.cvtColor(x, cv2.COLOR_BGR2YCrCb).astype(int) for x in (out, stylized, photo))
    # Where no channel clips, luminance is the style's and chroma the photo's.
    ok = (out > 2).all(-1) & (out < 253).all(-1)
    assert ok.mean() > 0.5
    assert np.abs(y_out[..., 0] - y_sty[..., 0])[ok].max() <= 2
    assert np.abs(y_out[..., 1:] - y_org[..., 1:])[ok].mean() <= 2
    # The red cast of the style is gone: the photo's hue survives.
    assert abs(int(out[..., 2].mean()) - int(out[..., 0].mean())) < abs(200 - 0)


def test_preserve_colors_of_the_photo_itself_is_the_photo(photo: np.ndarray) -> None:
    assert np.abs(effects.preserve_colors(photo, photo).astype(int) - photo).max() <= 3


@pytest.mark.parametrize(
    "w, h, size, want",
    [(1280, 720, 360, (640, 360)), (720, 1280, 360, (360, 640)), (640, 480, 720, (640, 480)),
     (640, 480, None, (640, 480)), (161, 121, 60, (80, 60))],
)
def test_processing_size_sets_the_short_side_and_never_enlarges(w: int, h: int, size: int | None, want) -> None:
    assert effects.processing_size(w, h, size) == want


def test_processing_size_rounds_to_a_multiple() -> None:
    assert effects.processing_size(161, 121, None, multiple=4) == (160, 120)


def test_resize_round_trip_shape(photo: np.ndarray) -> None:
    assert effects.resize(photo, photo.shape[1], photo.shape[0]) is photo
    small = effects.resize(photo, 100, 64)
    assert small.shape == (64, 100, 3)
    assert effects.resize(small, 321, 257).shape == (257, 321, 3)


def test_effects_chain_on_a_720p_frame() -> None:
    """Every effect in turn on a 720p frame keeps its shape and type (what each costs per
    frame is measured by bench/bench_effects.py, not asserted here)."""
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    out = effects.blend(effects.preserve_colors(a, b), b, 0.7)
    out = effects.resize(effects.resize(out, 640, 360), 1280, 720)
    assert out.shape == a.shape and out.dtype == np.uint8
