"""What every engine is: ``run(frame) -> frame`` plus its name, provider and input constraints.

This base lives alone so that each backend's module (``engines``, ``tensorrt_engine``)
imports it downwards, and no two engine modules import each other.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from stylecam.models.style.bundle import FileChoice

# Smallest frame side every exported net accepts (reflection padding of the 9x9 first
# convolution needs more than 4 pixels; 16 keeps a margin and is never a useful frame).
MIN_SIDE = 16


class Engine(ABC):
    """A style ready to run on one backend. ``run`` is safe to call from one thread at a time
    per engine (a lock serialises concurrent callers)."""

    name: str  # one of ENGINE_NAMES
    provider: str  # what it really got, e.g. "CPUExecutionProvider", "OpenVINO CPU int8"
    constraints: dict[str, Any]  # e.g. {"min_side": 16, "max_side": None, "dynamic_size": True}
    choice: FileChoice  # which file of the style runs, and why (StyleBundle.choose)
    path: Path  # the net that runs: the style file or its .cpu.onnx real-time version
    model_path: Path  # the file loaded: ``path``, or its fp16 file or int8 IR
    notes: list[str]  # why faster engines were not chosen (filled by open_engine)

    def __init__(self, model: Path | FileChoice) -> None:
        """``model``: a choice of a style's bundle, or a path (exactly that file runs)."""
        self.choice = model if isinstance(model, FileChoice) else FileChoice.given(model)
        self.path = self.choice.net
        self.model_path = self.choice.path
        self.notes = []
        self.constraints = {"min_side": MIN_SIDE, "max_side": None, "dynamic_size": True}
        self._lock = threading.Lock()

    def run(self, frame: np.ndarray) -> np.ndarray:
        """Stylize one uint8 H x W x 3 BGR frame; returns a new C-contiguous frame of the same shape."""
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            got = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame).__name__
            raise ValueError(f"a frame must be uint8 H x W x 3 (BGR), got {got}")
        h, w = frame.shape[:2]
        lo, hi = self.constraints.get("min_side"), self.constraints.get("max_side")
        if lo and min(h, w) < lo:
            raise ValueError(f"frame {w}x{h} is too small for engine {self.name!r} (min side {lo})")
        if hi and max(h, w) > hi:
            raise ValueError(f"frame {w}x{h} is too large for engine {self.name!r} (max side {hi})")
        with self._lock:
            out = self._infer(np.ascontiguousarray(frame))
        return np.ascontiguousarray(out)

    @abstractmethod
    def _infer(self, frame: np.ndarray) -> np.ndarray: ...

    def close(self) -> None:
        """Release the session; the engine must not be used afterwards."""
        self.closed = True

    @property
    def cpu_version(self) -> bool:
        """The style's real-time CPU version runs."""
        return self.choice.cpu_version

    @property
    def label(self) -> str:
        """What a person is told runs the style, e.g. ``OpenVINO CPU int8, real-time CPU version``."""
        return f"{self.provider}, real-time CPU version" if self.cpu_version else self.provider

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} ({self.provider}) {self.path.name}>"
