"""The checkpoint format: one ``.safetensors`` file with JSON metadata (torch side).

Weights are read with safetensors only, never pickle, because style files are shared
between people. The metadata (architecture and config, style, full recipe, command
line, loss summary, library versions) is what makes a style reproducible.
Tensors under ``optimizer/`` hold Adam's state so that training can resume exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from stylecam import atomic
from stylecam.models.errors import StyleError
from stylecam.models.nets.registry import create_model

FORMAT = "stylecam-checkpoint"
FORMAT_VERSION = 1
_OPT = "optimizer/"


@dataclass
class Checkpoint:
    net: torch.nn.Module
    meta: dict[str, Any]
    optimizer_state: dict[str, torch.Tensor] = field(default_factory=dict)


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The JSON metadata of a checkpoint, without loading its weights."""
    path = Path(path)
    if not path.is_file():
        raise StyleError(path, "no such file")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get("stylecam")
    except (SafetensorError, OSError, ValueError) as e:
        raise StyleError(path, f"not a safetensors checkpoint ({e})") from None
    except Exception as e:  # safetensors raises bare exceptions on some corrupt headers
        raise StyleError(path, f"not a safetensors checkpoint ({type(e).__name__}: {e})") from None
    if raw is None:
        raise StyleError(path, "a safetensors file, but not a stylecam checkpoint (no 'stylecam' metadata)")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as e:
        raise StyleError(path, f"checkpoint metadata is not valid JSON ({e})") from None
    if meta.get("format") != FORMAT:
        raise StyleError(path, f"unknown checkpoint format {meta.get('format')!r}")
    return meta


# Checkpoints written before the nets were their own classes (one TransformNet with a flag
# for every choice) record every flag in their config. Each class now fixes what its
# checkpoints all had; this is the one map from those flags to the classes: a recorded key
# with exactly this value is dropped, any other value is refused (that net no longer
# exists). Parameter names did not change, so the weights load as they are.
LEGACY_CONFIG: dict[str, dict[str, Any]] = {
    "johnson": {"first_stride": 1, "first_kernel": 9, "last_kernel": 9, "separable": False,
                "separable_encoder": False, "separable_output": False, "smooth": "full"},
    "lite": {"first_stride": 2, "first_kernel": 5, "last_kernel": 3, "norm": "instance", "upsample": "nearest",
             "output": "linear", "separable": True, "separable_encoder": False, "separable_output": False,
             "smooth": "full"},
    "nano": {"first_stride": 2, "first_kernel": 3, "last_kernel": 3, "norm": "instance",
             "upsample": "pointwise_first", "output": "linear", "separable": True, "separable_encoder": True,
             "separable_output": True, "smooth": "subpixel"},
}


def current_config(path: Path, arch: str, config: dict[str, Any]) -> dict[str, Any]:
    """A recorded config in terms of today's net class (see ``LEGACY_CONFIG``)."""
    fixed = LEGACY_CONFIG.get(arch, {})
    for key in set(config) & set(fixed):
        if config[key] != fixed[key]:
            raise StyleError(path, f"was made by a {arch!r} net with {key}={config[key]!r}, which stylecam no "
                                   f"longer builds (the {arch} net has {key}={fixed[key]!r})")
    return {k: v for k, v in config.items() if k not in fixed}


def load(path: str | Path, device: str = "cpu") -> Checkpoint:
    """Rebuild the net described by the metadata and load its weights."""
    path = Path(path)
    meta = read_metadata(path)
    try:
        tensors = load_file(str(path), device=device)
    except Exception as e:
        raise StyleError(path, f"cannot read weights ({type(e).__name__}: {e})") from None
    optimizer_state = {k[len(_OPT):]: v for k, v in tensors.items() if k.startswith(_OPT)}
    weights = {k: v for k, v in tensors.items() if not k.startswith(_OPT)}
    try:
        net = create_model(meta["arch"], **current_config(path, meta["arch"], meta.get("config", {})))
        net.load_state_dict(weights, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise StyleError(path, f"weights do not match architecture {meta.get('arch')!r} ({e})") from None
    return Checkpoint(net.to(device).eval(), meta, optimizer_state)


def save(
    path: str | Path,
    net: torch.nn.Module,
    meta: dict[str, Any],
    optimizer_state: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write atomically (temporary name, then rename) so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().cpu() for k, v in net.state_dict().items()}
    for k, v in (optimizer_state or {}).items():
        tensors[_OPT + k] = v.detach().contiguous().cpu()
    full = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta}
    with atomic.replacing(path) as tmp:
        save_file(tensors, str(tmp), metadata={"stylecam": json.dumps(full, default=_jsonable)})
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, set)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in checkpoint metadata")
