"""The TensorRT plan engine (guarded): runs a cached plan with the TensorRT 10 name-based API.

Device memory and streams come from NVIDIA's ``cuda-python`` (``cuda.bindings.runtime``),
which ships with the ``tensorrt`` extra's CUDA stack; torch is never needed. Unverified
on the project machines (no GPU): written against the TensorRT 10 documentation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from stylecam.models.errors import EngineError
from stylecam.models.runtime.engine import Engine
from stylecam.models.runtime.tensorrt_plan import (
    DEFAULT_PROFILE,
    TensorRTUnavailable,
    ensure_plan,
    import_tensorrt,
    query_gpu,
)
from stylecam.models.style.bundle import FileChoice
from stylecam.models.style.format import INPUT_NAME, OUTPUT_NAME


def _cudart() -> Any:
    try:
        from cuda.bindings import runtime as cudart
    except (ImportError, OSError):
        try:
            from cuda import cudart  # cuda-python < 12.6 layout
        except (ImportError, OSError) as e:
            raise TensorRTUnavailable(f"cuda-python is not installed ({e}); pip install cuda-python") from None
    return cudart


def tensorrt_runtime_problem() -> str | None:
    """None when a TensorRT plan can run here, else the reason in one line."""
    try:
        import_tensorrt()
        _cudart()
        query_gpu()
    except TensorRTUnavailable as e:
        return str(e)
    return None


def _check(result: Any) -> Any:
    err, *rest = result if isinstance(result, tuple) else (result,)
    if int(err) != 0:
        raise RuntimeError(f"CUDA error {err}")
    return rest[0] if len(rest) == 1 else rest


class TensorRTEngine(Engine):
    name = "tensorrt"

    def __init__(self, model: Path | FileChoice) -> None:
        super().__init__(model)
        path = self.model_path
        try:
            trt = import_tensorrt()
            self._cuda = _cudart()
            plan = ensure_plan(path)
        except TensorRTUnavailable as e:
            raise EngineError(path, "tensorrt", str(e)) from None
        except RuntimeError as e:
            raise EngineError(path, "tensorrt", f"building the plan failed: {e}") from None
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        self._engine = self._runtime.deserialize_cuda_engine(plan.read_bytes())
        if self._engine is None:
            raise EngineError(path, "tensorrt", f"cannot deserialize plan {plan}")
        self._context = self._engine.create_execution_context()
        self._stream = _check(self._cuda.cudaStreamCreate())
        self._buffers: dict[str, tuple[int, int]] = {}  # name -> (device pointer, bytes)
        self.provider = f"TensorRT {trt.__version__} plan fp16"
        lo, _, hi = DEFAULT_PROFILE.shapes()
        self.constraints = {"min_side": min(lo[:2]), "max_side": max(hi[:2]), "dynamic_size": True,
                            "min": lo[:2], "max": hi[:2], "plan": str(plan)}

    def _device(self, name: str, nbytes: int) -> int:
        ptr, size = self._buffers.get(name, (0, 0))
        if size < nbytes:
            if ptr:
                _check(self._cuda.cudaFree(ptr))
            ptr = _check(self._cuda.cudaMalloc(nbytes))
            self._buffers[name] = (ptr, nbytes)
        return ptr

    def _infer(self, frame: np.ndarray) -> np.ndarray:
        cu = self._cuda
        lo, _, hi = DEFAULT_PROFILE.shapes()
        h, w = frame.shape[:2]
        if not (lo[0] <= h <= hi[0] and lo[1] <= w <= hi[1]):
            raise ValueError(f"frame {w}x{h} is outside the TensorRT profile {lo[1]}x{lo[0]}..{hi[1]}x{hi[0]}")
        self._context.set_input_shape(INPUT_NAME, frame.shape)
        out = np.empty_like(frame)
        d_in = self._device(INPUT_NAME, frame.nbytes)
        d_out = self._device(OUTPUT_NAME, out.nbytes)
        self._context.set_tensor_address(INPUT_NAME, d_in)
        self._context.set_tensor_address(OUTPUT_NAME, d_out)
        h2d, d2h = cu.cudaMemcpyKind.cudaMemcpyHostToDevice, cu.cudaMemcpyKind.cudaMemcpyDeviceToHost
        _check(cu.cudaMemcpyAsync(d_in, frame.ctypes.data, frame.nbytes, h2d, self._stream))
        if not self._context.execute_async_v3(self._stream):
            raise RuntimeError("TensorRT execution failed")
        _check(cu.cudaMemcpyAsync(out.ctypes.data, d_out, out.nbytes, d2h, self._stream))
        _check(cu.cudaStreamSynchronize(self._stream))
        return out

    def close(self) -> None:
        for ptr, _ in self._buffers.values():
            self._cuda.cudaFree(ptr)
        self._buffers.clear()
        self._context = self._engine = None
