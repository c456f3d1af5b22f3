"""``stylecam export --tensorrt``: build (or reuse) the cached TensorRT plan of a style.

The builder itself lives in ``stylecam.models.runtime.tensorrt_plan`` because the app also builds plans
on first use and ``models`` never imports ``export``; this module is the export-side
front end that reports what it did. Needs a GPU and TensorRT 10: unverified here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stylecam.models.runtime.tensorrt_plan import (
    DEFAULT_PROFILE,
    FrameProfile,
    TensorRTUnavailable,
    cache_key,
    ensure_plan,
    import_tensorrt,
    model_sha256,
    query_gpu,
)

__all__ = ["DEFAULT_PROFILE", "FrameProfile", "TensorRTUnavailable", "build_for_export", "cache_key", "model_sha256"]


def build_for_export(style: Path, profile: FrameProfile = DEFAULT_PROFILE, rebuild: bool = False,
                     report: Callable[[str], None] = print) -> Path:
    """Build the plan for this GPU into the plan cache; raises ``TensorRTUnavailable`` saying why not."""
    trt = import_tensorrt()
    gpu = query_gpu()
    lo, opt, hi = profile.shapes()
    report(f"building TensorRT {trt.__version__} fp16 plan for {gpu.name} (sm {gpu.compute_capability}), "
           f"frame profile min {lo} opt {opt} max {hi}")
    plan = ensure_plan(style, profile, fp16=True, rebuild=rebuild)
    report(f"TensorRT plan: {plan}")
    return plan
