"""TensorRT 10 plans for styles: import guard, optimisation profile, cache key, builder.

Lives in ``models/`` (not ``export/``) because the app builds a plan on first use of a
style on a new GPU, and ``models`` must not import ``export``; ``stylecam.export.tensorrt_build``
is the command-line front end. Written against the TensorRT 10 Python API
(``Builder.create_network``, ``OnnxParser``, ``IBuilderConfig.add_optimization_profile``,
``create_timing_cache``/``set_timing_cache``, ``build_serialized_network``); TensorRT
cannot be installed on the project machines, so only the parts around it are tested.

A plan is only valid for the GPU model, compute capability and TensorRT version it was
built with, so the cache key holds all of them plus the style's sha256 and the profile.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stylecam import atomic

INSTALL_HINT = (
    "install the 'tensorrt' extra (pip install 'stylecam[tensorrt]', TensorRT 10) on a machine "
    "with an NVIDIA GPU and driver"
)


class TensorRTUnavailable(RuntimeError):
    """TensorRT (or a GPU for it) is not usable here; the message says why and what to do."""


def import_tensorrt() -> Any:
    """The ``tensorrt`` module, or ``TensorRTUnavailable`` with a message a user can act on.

    Catches OSError as well as ImportError: the wheel imports but fails to load
    ``libnvinfer`` when the CUDA libraries or the driver are missing.
    """
    try:
        import tensorrt
    except (ImportError, OSError) as e:
        raise TensorRTUnavailable(f"TensorRT is not available ({type(e).__name__}: {e}); {INSTALL_HINT}") from None
    major = int(str(tensorrt.__version__).split(".")[0])
    if major != 10:
        raise TensorRTUnavailable(f"TensorRT {tensorrt.__version__} found, stylecam needs TensorRT 10")
    return tensorrt


@dataclass(frozen=True)
class FrameProfile:
    """Min / opt / max frame sizes (height, width) the plan accepts; opt is tuned for."""

    min: tuple[int, int] = (144, 176)
    opt: tuple[int, int] = (480, 640)
    max: tuple[int, int] = (1080, 1920)

    def __post_init__(self) -> None:
        for a, b in ((self.min, self.opt), (self.opt, self.max)):
            if a[0] > b[0] or a[1] > b[1]:
                raise ValueError(f"profile sizes must grow min <= opt <= max, got {self.min}, {self.opt}, {self.max}")
        if min(self.min) < 16:
            raise ValueError("profile min side must be at least 16 pixels")

    def shapes(self) -> tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]:
        """The ``frame`` input shapes (H, W, 3) for ``IOptimizationProfile.set_shape``."""
        return ((*self.min, 3), (*self.opt, 3), (*self.max, 3))

    def ort_options(self, input_name: str) -> dict[str, str]:
        """The same profile as ONNX Runtime TensorRT-provider options."""
        lo, opt, hi = self.shapes()

        def fmt(s: tuple[int, ...]) -> str:
            return f"{input_name}:{'x'.join(map(str, s))}"

        return {"trt_profile_min_shapes": fmt(lo), "trt_profile_opt_shapes": fmt(opt), "trt_profile_max_shapes": fmt(hi)}


DEFAULT_PROFILE = FrameProfile()


@dataclass(frozen=True)
class GpuInfo:
    name: str
    compute_capability: str  # "8.9"


def model_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_key(gpu: GpuInfo, trt_version: str, sha256: str, profile: FrameProfile = DEFAULT_PROFILE, fp16: bool = True) -> str:
    """A file-name-safe key that changes when anything a plan depends on changes."""
    blob = json.dumps(
        {"gpu": gpu.name, "cc": gpu.compute_capability, "trt": trt_version, "model": sha256,
         "profile": asdict(profile), "fp16": fp16},
        sort_keys=True,
    )
    digest = hashlib.sha256(blob.encode()).hexdigest()[:20]
    gpu_slug = "".join(c if c.isalnum() else "-" for c in gpu.name).strip("-").lower()
    return f"{gpu_slug}-sm{gpu.compute_capability.replace('.', '')}-trt{trt_version}-{digest}"


def plan_cache_dir() -> Path:
    """``$STYLECAM_CACHE/tensorrt`` or the platform's user cache folder."""
    root = os.environ.get("STYLECAM_CACHE")
    if root:
        return Path(root) / "tensorrt"
    import platformdirs

    return Path(platformdirs.user_cache_dir("stylecam")) / "tensorrt"


def cached_plan_path(style: Path, gpu: GpuInfo, trt_version: str, profile: FrameProfile = DEFAULT_PROFILE,
                     fp16: bool = True, cache_dir: Path | None = None) -> Path:
    key = cache_key(gpu, trt_version, model_sha256(style), profile, fp16)
    return (cache_dir or plan_cache_dir()) / f"{style.stem}.{key}.plan"


def query_gpu(index: int = 0) -> GpuInfo:
    """Name and compute capability of a GPU, from ``nvidia-smi`` (no CUDA Python binding needed)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        raise TensorRTUnavailable("no NVIDIA driver found (nvidia-smi is missing)")
    try:
        out = subprocess.run(
            [smi, f"--id={index}", "--query-gpu=name,compute_cap", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        raise TensorRTUnavailable(f"nvidia-smi failed ({e})") from None
    name, _, cc = out.partition(",")
    if not name or not cc.strip():
        raise TensorRTUnavailable(f"nvidia-smi gave no GPU ({out!r})")
    return GpuInfo(name.strip(), cc.strip())


def build_plan(style: Path, out: Path, profile: FrameProfile = DEFAULT_PROFILE, fp16: bool = True,
               timing_cache: Path | None = None, workspace_bytes: int = 1 << 30) -> Path:
    """Build a serialized TensorRT engine from a style's ONNX file, atomically.

    Explicit batch (the only mode in TensorRT 10), one optimisation profile over frame
    sizes, fp16 kernels allowed, and a timing cache that is read before and written after
    the build so that rebuilding for another style on the same GPU is fast.
    """
    trt = import_tensorrt()
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # TensorRT 10: networks are always explicit-batch
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(style)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"{style}: TensorRT cannot parse the ONNX model: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace_bytes)
    if fp16 and builder.platform_has_fast_fp16:
        config.set_flag(trt.BuilderFlag.FP16)
    opt_profile = builder.create_optimization_profile()
    lo, opt, hi = profile.shapes()
    opt_profile.set_shape(network.get_input(0).name, lo, opt, hi)
    config.add_optimization_profile(opt_profile)
    blob = timing_cache.read_bytes() if timing_cache and timing_cache.is_file() else b""
    cache = config.create_timing_cache(blob)
    config.set_timing_cache(cache, ignore_mismatch=False)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError(f"{style}: TensorRT failed to build a plan (see the messages above)")
    atomic.write_bytes(out, bytes(serialized))
    if timing_cache is not None:
        atomic.write_bytes(timing_cache, bytes(config.get_timing_cache().serialize()))
    return out


def ensure_plan(style: Path, profile: FrameProfile = DEFAULT_PROFILE, fp16: bool = True,
                cache_dir: Path | None = None, rebuild: bool = False) -> Path:
    """The cached plan for this style on this GPU and TensorRT, built if missing."""
    trt = import_tensorrt()
    gpu = query_gpu()
    cache_dir = cache_dir or plan_cache_dir()
    plan = cached_plan_path(style, gpu, trt.__version__, profile, fp16, cache_dir)
    if plan.is_file() and not rebuild:
        return plan
    timing = cache_dir / f"timing-{cache_key(gpu, trt.__version__, 'any', profile, fp16)}.cache"
    return build_plan(style, plan, profile, fp16, timing)
