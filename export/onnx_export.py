"""Checkpoint -> one self-describing, verified style file (``.onnx``).

The graph's input is the frame itself (``frame``: uint8 H x W x 3 BGR, dynamic H and W)
and so is its output (``stylized``): cast, scale, channel swap, layout change, rounding
and clamping all happen inside the graph so the runtime fuses them and no Python touches
pixels. The file is verified against torch before it is written (temporary name, then
rename); a file that does not match is never left behind.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from stylecam import atomic
from stylecam.export import images
from stylecam.export.verify import FrameDiff, check, compare, psnr
from stylecam.models.errors import StyleError
from stylecam.models.nets.checkpoint import load as load_checkpoint
from stylecam.models.style import files
from stylecam.models.style import format as sf

OPSET = 18  # the dynamo exporter's opset; the TorchScript fallback writes 17
MAX_SIDE = 8192
Report = Callable[[str], None]


class FrameModule(nn.Module):
    """Wraps a transform net so that the exported graph maps frames to frames.

    ``dtype`` is the compute precision (float16 for the GPU variant); input and output
    stay uint8, and the final scaling and rounding are done in float32.
    """

    def __init__(self, net: nn.Module, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.net = net.swap_colours()
        self.dtype = dtype

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        # BGR <-> RGB is folded into the first and last convolutions (the net's swap_colours):
        # a channel flip exports as a reverse Slice that cost ~7 ms a 640x480 frame on CPUs.
        x = frame.to(self.dtype) / 255.0
        x = x.permute(2, 0, 1).unsqueeze(0)  # HWC -> NCHW (channels stay BGR)
        if self.net.subpixel_output:
            return self._from_subpixels(x, frame.shape[0], frame.shape[1])
        y = self.net(x).to(torch.float32)
        y = torch.clamp(torch.round(y * 255.0), 0.0, 255.0).to(torch.uint8)
        return y.squeeze(0).permute(1, 2, 0)  # NCHW -> HWC

    def _from_subpixels(self, x: torch.Tensor, height: Any, width: Any) -> torch.Tensor:
        """Round and cast the s*s sub-pixel planes at their own (low) resolution, then
        do the pixel shuffle and the NCHW -> HWC change as one byte rearrangement: on a
        CPU the full-resolution float shuffle and transpose cost more than the net's
        last convolutions (measured at 640x480 with OpenVINO)."""
        y = self.net.forward_subpixels(x).to(torch.float32)
        y = torch.clamp(torch.round(y * 255.0), 0.0, 255.0).to(torch.uint8)
        return subpixels_to_frame(y, self.net.shuffle)[:height, :width]


def subpixels_to_frame(planes: torch.Tensor, s: int) -> torch.Tensor:
    """1 x 3*s*s x h x w uint8 sub-pixel planes -> sh x sw x 3 frame, as one byte
    rearrangement (pixel shuffle and NCHW -> HWC together); styles and upscalers share it."""
    h, w = planes.shape[-2], planes.shape[-1]
    # channel c*s*s + i*s + j holds pixel (h*s + i, w*s + j) of colour c (pixel_shuffle's order)
    return planes.reshape(3, s, s, h, w).permute(3, 1, 4, 2, 0).reshape(h * s, w * s, 3)


@dataclass
class ExportResult:
    path: Path
    diffs: list[FrameDiff]
    exporter: str
    preview_source: str
    real_images: list[str]
    fp16_path: Path | None = None
    fp16_psnr: list[tuple[str, float]] = field(default_factory=list)


def export_graph(module: FrameModule, out: Path) -> str:
    """torch -> ONNX with dynamic frame size; the dynamo exporter first, TorchScript as fallback."""
    example = torch.randint(0, 256, (97, 131, 3), dtype=torch.uint8)
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            try:
                h = torch.export.Dim("height", min=16, max=MAX_SIDE)
                w = torch.export.Dim("width", min=16, max=MAX_SIDE)
                program = torch.onnx.export(
                    module, (example,), None, dynamo=True, opset_version=OPSET, verbose=False,
                    input_names=[sf.INPUT_NAME], output_names=[sf.OUTPUT_NAME],
                    dynamic_shapes={"frame": {0: h, 1: w}},
                )
                program.save(str(out))
                return f"dynamo opset {OPSET}"
            except Exception as e:  # an exporter failure, not a model problem: try the other one
                reason = f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"
                torch.onnx.export(
                    module, (example,), str(out), dynamo=False, opset_version=17,
                    input_names=[sf.INPUT_NAME], output_names=[sf.OUTPUT_NAME],
                    dynamic_axes={sf.INPUT_NAME: {0: "height", 1: "width"}, sf.OUTPUT_NAME: {0: "height", 1: "width"}},
                )
                return f"torchscript opset 17 (the dynamo exporter failed: {reason})"
    finally:
        quiet.setLevel(level)


def style_properties(meta: dict[str, Any], preview: bytes, preview_source: str, precision: str,
                     verification: dict[str, Any]) -> dict[str, str]:
    """The ``metadata_props`` of a style file, from a checkpoint's metadata."""
    style = meta.get("style") or {}
    name = style.get("name") or meta.get("name")
    if not name:
        raise ValueError("checkpoint metadata has no style name")
    recipe = {
        **(meta.get("recipe") or {}),
        "command": meta.get("command"),
        "losses": meta.get("losses"),
        "iteration": meta.get("iteration"),
        "style_image": style.get("image"),
        "versions": meta.get("versions"),
    }
    return {
        sf.KEY_FORMAT: sf.FORMAT,
        sf.KEY_NAME: name,
        sf.KEY_TITLE: style.get("title") or name,
        sf.KEY_ARCH: meta.get("arch", ""),
        sf.KEY_CONFIG: json.dumps(meta.get("config") or {}, sort_keys=True),
        sf.KEY_RECIPE: json.dumps(recipe, sort_keys=True, default=str),
        sf.KEY_PREVIEW: base64.b64encode(preview).decode("ascii"),
        sf.KEY_PREVIEW_SOURCE: preview_source,
        sf.KEY_PRECISION: precision,
        sf.KEY_VERIFY: json.dumps(verification, sort_keys=True),
    }


def set_metadata(path: Path, props: dict[str, str]) -> None:
    import onnx

    model = onnx.load(str(path))
    del model.metadata_props[:]
    for k, v in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    model.producer_name = "stylecam"
    onnx.save(model, str(path))


def ort_session(path: Path) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def test_frames(real: list[tuple[str, np.ndarray]], seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """Random frames and real photos at odd and common sizes (97x131, 480x640, native)."""
    rng = np.random.default_rng(seed)
    frames = [(f"random {h}x{w}", rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for h, w in ((97, 131), (480, 640))]
    sources = real or [("gradient", images.gradient(300, 400))]
    for name, img in sources:
        frames.append((f"{name} {img.shape[0]}x{img.shape[1]}", img))
        frames.append((f"{name} 480x640", images.fit(img, 480, 640)))
        frames.append((f"{name} 97x131", images.fit(img, 97, 131)))
    return frames


def torch_run(module: nn.Module, frame: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return module(torch.from_numpy(frame)).numpy()


def atomic_target(out: Path) -> Path:
    """Where an export is written until verified (``stylecam.atomic``'s one temporary-name scheme)."""
    return atomic.temporary_sibling(out)


def output_path(checkpoint: Path, out: str | Path | None, fp16: bool = False) -> Path:
    """Where an export goes (default: beside the checkpoint, ``.onnx``); ``StyleError`` for a
    name that is not a style's file (``NAME.onnx``, or a sibling such as ``NAME.cpu.onnx``)
    or, with ``fp16``, one that can have no fp16 file beside it."""
    out = Path(out) if out is not None else checkpoint.with_suffix(files.STYLE_SUFFIX)
    if out.suffix != files.STYLE_SUFFIX:
        raise StyleError(out, "the output must be an .onnx file")
    if fp16:
        try:
            files.form_of(out, "fp16")
        except ValueError as e:
            raise StyleError(out, f"no fp16 file can go beside it: {e}") from None
    return out


def export_style(
    checkpoint: str | Path,
    out: str | Path | None = None,
    *,
    images_dir: Path | None = None,
    preview_image: Path | None = None,
    fp16: bool = False,
    max_real: int = 3,
    report: Report = print,
) -> ExportResult:
    """Export a checkpoint to ``out`` (default: next to it, ``.onnx``), verified against torch.

    ``images_dir`` holds real photos for verification (up to ``max_real`` are used, each
    at its own size, at 480x640 and at 97x131). ``fp16`` also writes ``<out>.fp16.onnx``
    (fp16 compute, uint8 I/O) and reports its PSNR against the fp32 file on those photos.
    Raises ``StyleError`` (``VerificationError`` for a mismatch); leaves no file behind then.
    """
    checkpoint = Path(checkpoint)
    out = output_path(checkpoint, out, fp16)
    ck = load_checkpoint(checkpoint)
    module = FrameModule(ck.net.eval()).eval()
    real = images.load_images(images_dir, max_real, long_side=640) if images_dir else []
    if not real:
        report("note: no real photos given (--images DIR); verifying on random and generated images only")
    src_img, src_note = images.preview_source(preview_image)
    preview = images.preview_png(torch_run(module, src_img))

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_target(out)
    try:
        exporter = export_graph(module, tmp)
        session = ort_session(tmp)
        diffs = []
        for label, frame in test_frames(real):
            diffs.append(compare(torch_run(module, frame), session.run(None, {sf.INPUT_NAME: frame})[0], label))
        for d in diffs:
            report(f"  torch vs ONNX Runtime CPU, {d}")
        check(diffs, checkpoint)
        verification = {
            "exporter": exporter,
            "max_levels": max(d.max for d in diffs),
            "mean_levels": float(np.mean([d.mean for d in diffs])),
            "frames": [d.label for d in diffs],
        }
        set_metadata(tmp, style_properties(ck.meta, preview, src_note, "fp32", verification))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    result = ExportResult(out, diffs, exporter, src_note, [n for n, _ in real])
    report(f"wrote {out} ({exporter}; max diff {verification['max_levels']} levels, "
           f"mean {verification['mean_levels']:.4f})")
    if fp16:
        result.fp16_path, result.fp16_psnr = _export_fp16(ck, out, real, preview, src_note, report)
    return result


def _export_fp16(ck: Any, fp32: Path, real: list[tuple[str, np.ndarray]], preview: bytes, src_note: str,
                 report: Report) -> tuple[Path, list[tuple[str, float]]]:
    """fp16 compute inside the graph (for GPUs), uint8 I/O kept; drift reported as PSNR."""
    import onnx

    from export.fp16 import convert_to_fp16

    out = files.form_of(fp32, "fp16")  # output_path checked that it has one
    tmp = atomic_target(out)
    try:
        onnx.save(convert_to_fp16(onnx.load(str(fp32))), str(tmp))
        ref, half = ort_session(fp32), ort_session(tmp)
        figures = []
        for name, img in real or [("gradient", images.gradient(300, 400))]:
            frame = images.fit(img, 480, 640)
            a = ref.run(None, {sf.INPUT_NAME: frame})[0]
            b = half.run(None, {sf.INPUT_NAME: frame})[0]
            figures.append((name, psnr(a, b)))
            report(f"  fp16 vs fp32 on {name} 480x640: PSNR {figures[-1][1]:.2f} dB")
        set_metadata(tmp, style_properties(ck.meta, preview, src_note, "fp16",
                                            {"psnr_vs_fp32_db": {n: round(p, 2) for n, p in figures}}))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    report(f"wrote {out} (fp16; mean PSNR vs fp32 {np.mean([p for _, p in figures]):.2f} dB)")
    return out, figures
