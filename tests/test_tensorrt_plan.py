"""TensorRT plan support around the parts that need a GPU: cache keys, profiles, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from stylecam.models.runtime.tensorrt_plan import (
    DEFAULT_PROFILE,
    FrameProfile,
    GpuInfo,
    TensorRTUnavailable,
    cache_key,
    cached_plan_path,
    import_tensorrt,
    model_sha256,
    plan_cache_dir,
)

GPU = GpuInfo("NVIDIA H100 80GB HBM3", "9.0")
SHA = "ab" * 32


def test_cache_key_changes_with_everything_a_plan_depends_on() -> None:
    base = cache_key(GPU, "10.7.0", SHA)
    assert base == cache_key(GpuInfo("NVIDIA H100 80GB HBM3", "9.0"), "10.7.0", SHA)  # stable
    variants = [
        cache_key(GpuInfo("NVIDIA L4", "9.0"), "10.7.0", SHA),
        cache_key(GpuInfo(GPU.name, "8.9"), "10.7.0", SHA),
        cache_key(GPU, "10.8.0", SHA),
        cache_key(GPU, "10.7.0", "cd" * 32),
        cache_key(GPU, "10.7.0", SHA, FrameProfile((144, 176), (720, 1280), (1080, 1920))),
        cache_key(GPU, "10.7.0", SHA, fp16=False),
    ]
    assert len({base, *variants}) == len(variants) + 1
    assert base.startswith("nvidia-h100-80gb-hbm3-sm90-trt10.7.0-")
    assert all(c.isalnum() or c in "-." for c in base)


def test_plan_path_uses_the_model_hash(tmp_path: Path) -> None:
    style = tmp_path / "wave.onnx"
    style.write_bytes(b"one")
    p1 = cached_plan_path(style, GPU, "10.7.0", cache_dir=tmp_path)
    assert p1.parent == tmp_path and p1.name.startswith("wave.") and p1.suffix == ".plan"
    style.write_bytes(b"two")  # re-exported style -> a different plan
    assert cached_plan_path(style, GPU, "10.7.0", cache_dir=tmp_path) != p1
    assert len(model_sha256(style)) == 64


def test_plan_cache_dir_honours_stylecam_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STYLECAM_CACHE", str(tmp_path))
    assert plan_cache_dir() == tmp_path / "tensorrt"


def test_profile_shapes() -> None:
    assert DEFAULT_PROFILE.shapes() == ((144, 176, 3), (480, 640, 3), (1080, 1920, 3))
    assert DEFAULT_PROFILE.ort_options("frame") == {
        "trt_profile_min_shapes": "frame:144x176x3",
        "trt_profile_opt_shapes": "frame:480x640x3",
        "trt_profile_max_shapes": "frame:1080x1920x3",
    }
    with pytest.raises(ValueError, match="min <= opt <= max"):
        FrameProfile((480, 640), (144, 176), (1080, 1920))
    with pytest.raises(ValueError, match="at least 16"):
        FrameProfile((8, 8), (480, 640), (1080, 1920))


def _tensorrt_missing() -> bool:
    try:
        import tensorrt  # noqa: F401
    except (ImportError, OSError):
        return True
    return False


@pytest.mark.skipif(not _tensorrt_missing(), reason="tensorrt is installed here")
def test_refusal_when_tensorrt_is_missing(tmp_path: Path) -> None:
    from stylecam.export.tensorrt_build import build_for_export

    with pytest.raises(TensorRTUnavailable, match=r"TensorRT is not available.*stylecam\[tensorrt\]"):
        import_tensorrt()
    with pytest.raises(TensorRTUnavailable, match="TensorRT is not available"):
        build_for_export(tmp_path / "x.onnx")


@pytest.mark.skipif(not _tensorrt_missing(), reason="tensorrt is installed here")
def test_forced_tensorrt_engine_says_why(toy_styles_dir: Path) -> None:
    from stylecam.models.errors import EngineError
    from stylecam.models.runtime.engines import open_engine

    with pytest.raises(EngineError, match="engine 'tensorrt' cannot run here: TensorRT is not available") as e:
        open_engine(toy_styles_dir / "negative.onnx", "tensorrt")
    assert e.value.path == toy_styles_dir / "negative.onnx"
