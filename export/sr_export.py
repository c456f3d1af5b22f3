"""Upscaler checkpoint -> one self-describing, verified ``.onnx`` file, like a style.

Same contract as a style file (``export/onnx_export.py``): input ``frame`` (uint8 H x W x 3
BGR, dynamic H and W), output the frame itself, here ``factor`` times larger; cast,
scale, rounding and clamping inside the graph, the BGR <-> RGB swap folded into the
first and last convolutions (``swap_colours``). The metadata says it is an upscaler
(``stylecam.kind``) and its factor (``stylecam.factor``), so the catalog keeps it apart
from the styles and the same engines run it unchanged.

For the real-time net (``srfast``) the graph rounds and casts its f*f sub-pixel planes to
uint8 at the *input* resolution and then rearranges bytes: no full-resolution float map
exists anywhere (a float pixel shuffle and transpose at 1280x960 cost more than the net).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from stylecam.export import images
from stylecam.export.onnx_export import (
    Report,
    atomic_target,
    export_graph,
    ort_session,
    output_path,
    set_metadata,
    style_properties,
    subpixels_to_frame,
    torch_run,
)
from stylecam.export.verify import check, compare
from stylecam.models.errors import StyleError
from stylecam.models.nets.checkpoint import load as load_checkpoint
from stylecam.models.style import files
from stylecam.models.style import format as sf


class UpscaleFrameModule(nn.Module):
    """uint8 H x W x 3 BGR frame -> uint8 fH x fW x 3 BGR frame."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net.swap_colours()
        self.factor = net.factor

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        x = (frame.to(torch.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)
        if getattr(self.net, "subpixel_output", False):
            y = torch.clamp(torch.round(self.net.forward_subpixels(x) * 255.0), 0.0, 255.0).to(torch.uint8)
            return subpixels_to_frame(y, self.factor)
        y = torch.clamp(torch.round(self.net(x) * 255.0), 0.0, 255.0).to(torch.uint8)
        return y.squeeze(0).permute(1, 2, 0)


def _frames(real: list[tuple[str, np.ndarray]]) -> list[tuple[str, np.ndarray]]:
    """Small frames only: the full net's output is f*f times larger (a 480x640 frame at x4
    is 2.5 GMAC a ... far too slow to verify in torch); odd sizes included."""
    rng = np.random.default_rng(0)
    frames = [(f"random {h}x{w}", rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for h, w in ((37, 53), (64, 80))]
    for name, img in real or [("gradient", images.gradient(300, 400))]:
        frames.append((f"{name} 90x120", images.fit(img, 90, 120)))
    return frames


def export_upscaler(checkpoint: str | Path, out: str | Path | None = None, *, images_dir: Path | None = None,
                    preview_image: Path | None = None, name: str | None = None, title: str | None = None,
                    fp16: bool = False, max_real: int = 2, report: Report = print) -> Path:
    """Export an upscaler checkpoint to ``out`` (default: beside it, ``.onnx``), verified
    against torch with ONNX Runtime; nothing is left behind if it does not match.

    ``fp16`` also writes ``<out>.fp16.onnx`` (fp16 compute, uint8 I/O, for the cuda engine,
    which picks it up unless told fp32) and reports its PSNR against the fp32 file."""
    checkpoint = Path(checkpoint)
    out = output_path(checkpoint, out, fp16)
    ck = load_checkpoint(checkpoint)
    meta: dict[str, Any] = dict(ck.meta)
    if meta.get("kind") != "upscaler":
        raise StyleError(checkpoint, "not an upscaler checkpoint (no kind 'upscaler' in its metadata)")
    factor = int(meta.get("factor") or ck.net.factor)
    trained_name = (meta.get("style") or {}).get("name", "")
    final_name = name or files.style_name(out)  # a CPU version carries its upscaler's name (StyleBundle)
    meta["style"] = {"name": final_name, "title": title or f"{final_name} (x{factor} upscaler)"}
    meta["recipe"] = {**(meta.get("recipe") or {}), "checkpoint_name": trained_name}
    module = UpscaleFrameModule(ck.net.eval()).eval()

    real = images.load_images(images_dir, max_real, long_side=480) if images_dir else []
    src, src_note = images.preview_source(preview_image)
    small = cv2.resize(src, (max(16, src.shape[1] // factor), max(16, src.shape[0] // factor)),
                       interpolation=cv2.INTER_AREA)
    preview = images.preview_png(torch_run(module, small))

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_target(out)
    try:
        exporter = export_graph(module, tmp)
        session = ort_session(tmp)
        diffs = [compare(torch_run(module, f), session.run(None, {sf.INPUT_NAME: f})[0], label)
                 for label, f in _frames(real)]
        for d in diffs:
            report(f"  torch vs ONNX Runtime CPU, {d}")
        check(diffs, checkpoint)
        verification = {"exporter": exporter, "max_levels": max(d.max for d in diffs),
                        "mean_levels": float(np.mean([d.mean for d in diffs])), "frames": [d.label for d in diffs]}
        props = style_properties(meta, preview, f"{src_note} downscaled x{factor}", "fp32", verification)
        props[sf.KEY_KIND] = "upscaler"
        props[sf.KEY_FACTOR] = str(factor)
        set_metadata(tmp, props)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    report(f"wrote {out} (x{factor} upscaler {final_name!r}; {exporter}; max diff {verification['max_levels']} "
           f"levels, mean {verification['mean_levels']:.4f})")
    if fp16:
        _export_fp16(out, props, real, report)
    return out


def _resize_in_fp32(model: Any) -> Any:
    """Resize (the sr net's bicubic skip and nearest x2 stages) computed in fp32 between
    casts: ONNX Runtime's CPU provider has no fp16 Resize, and its ``roi`` / ``scales``
    inputs must stay float32 anyway. The convolutions, nearly all of the work, stay fp16."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    g = model.graph
    inits = {t.name: t for t in g.initializer}
    consts = {n.output[0]: n for n in g.node if n.op_type == "Constant"}
    nodes = []
    for node in g.node:
        if node.op_type != "Resize":
            nodes.append(node)
            continue
        for i in (1, 2):  # roi, scales: back to float32
            name = node.input[i] if len(node.input) > i else ""
            if name in inits and inits[name].data_type == TensorProto.FLOAT16:
                inits[name].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(inits[name]).astype(np.float32), name))
            elif name in consts:
                for a in consts[name].attribute:
                    if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT16:
                        a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float32)))
        x, y = node.input[0], node.output[0]
        nodes.append(helper.make_node("Cast", [x], [x + "__f32"], to=TensorProto.FLOAT))
        node.input[0] = x + "__f32"
        node.output[0] = y + "__f32"
        nodes.append(node)
        nodes.append(helper.make_node("Cast", [y + "__f32"], [y], to=TensorProto.FLOAT16))
    del g.node[:]
    g.node.extend(nodes)
    return model


def _export_fp16(fp32: Path, props: dict[str, str], real: list[tuple[str, np.ndarray]], report: Report) -> Path:
    import onnx

    from stylecam.export.fp16 import convert_to_fp16
    from stylecam.export.verify import psnr

    out = files.form_of(fp32, "fp16")  # output_path checked that it has one
    tmp = atomic_target(out)
    try:
        onnx.save(_resize_in_fp32(convert_to_fp16(onnx.load(str(fp32)))), str(tmp))
        ref, half = ort_session(fp32), ort_session(tmp)
        figures = {}
        for label, frame in _frames(real)[2:] or _frames([])[2:]:
            figures[label] = round(psnr(ref.run(None, {sf.INPUT_NAME: frame})[0],
                                        half.run(None, {sf.INPUT_NAME: frame})[0]), 2)
        set_metadata(tmp, {**props, sf.KEY_PRECISION: "fp16",
                            sf.KEY_VERIFY: json.dumps({"psnr_vs_fp32_db": figures}, sort_keys=True)})
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    report(f"wrote {out} (fp16; PSNR vs fp32 {', '.join(f'{k} {v:.1f} dB' for k, v in figures.items())})")
    return out
