"""Post-training static int8 quantisation for OpenVINO on the CPU (NNCF).

Calibrated on real photos: activation ranges taken from noise or gradients would not
match what a camera sends. The result is an OpenVINO IR (``<style>.int8.xml/.bin``)
next to the style, which ``models.engines.OpenVinoEngine`` picks up. IR rather than a
QDQ ONNX because it ran faster in OpenVINO: on the 100-iteration ``lite`` starry_night
checkpoint at 640x480, IR int8 ~200-215 ms vs QDQ ONNX (NNCF's ONNX backend) ~350 ms,
measured on the loaded 2-core project machine (load average ~8, so absolute figures are
inflated; the ranking held over repeated runs). int8 does not beat f32 on the
depthwise-separable ``lite`` net there; ``open_engine("auto")`` times both and keeps
the faster, so an int8 file never slows a user down. On the random-weight ``johnson``
net (standard convolutions) int8 ran 2.0x faster than f32 (790-890 vs 1600-1830 ms, same
load). Drift on held-out photos (lite, 100 iterations): ~23-28 dB PSNR with NNCF
defaults; the MIXED preset, full bias correction, leaving out depthwise convolutions or
Add inputs each moved it by under 1 dB; keeping the regular convolutions in f32 gave
+4 dB but removes the speed-up, so the defaults stay and the drift is reported.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylecam import atomic
from stylecam.export import images
from stylecam.export.verify import psnr
from stylecam.models.errors import StyleError
from stylecam.models.style import files
from stylecam.models.style.format import INPUT_NAME


@dataclass
class Int8Result:
    xml: Path
    calibration_images: int
    psnr: list[tuple[str, float]]
    ms_fp32: float  # OpenVINO f32, 640x480
    ms_int8: float  # OpenVINO int8, 640x480


def _ms_per_frame(compiled: object, frame: np.ndarray, runs: int = 5) -> float:
    request = compiled.create_infer_request()
    request.infer({0: frame})
    request.infer({0: frame})
    t = time.perf_counter()
    for _ in range(runs):
        request.infer({0: frame})
    return (time.perf_counter() - t) / runs * 1000


def quantize_int8(
    style: Path,
    calibration_dir: Path,
    *,
    max_images: int = 48,
    check_images: list[tuple[str, np.ndarray]] | None = None,
    report: Callable[[str], None] = print,
) -> Int8Result:
    """Write ``<style>.int8.xml/.bin`` calibrated on photos from ``calibration_dir``; report drift and speed."""
    import nncf
    import openvino as ov

    from stylecam.models.runtime.engines import ov_core

    try:
        xml = files.form_of(style, "int8")
    except ValueError as e:
        raise StyleError(style, f"cannot be quantized: {e}") from None
    photos = images.load_images(calibration_dir, max_images, long_side=640)
    if not photos:
        raise StyleError(calibration_dir, "no decodable photos for int8 calibration")
    core = ov_core()  # one per process (models/runtime/engines.py: ov_core)
    model = core.read_model(str(style))
    quantized = nncf.quantize(
        model,
        nncf.Dataset([img for _, img in photos], lambda f: {INPUT_NAME: f}),
        subset_size=len(photos),
        preset=nncf.QuantizationPreset.PERFORMANCE,
    )
    tmp_xml = atomic.temporary_sibling(xml)  # OpenVINO writes the weights beside it, as .bin
    tmp_bin = files.ir_weights(tmp_xml)
    try:
        ov.save_model(quantized, str(tmp_xml), compress_to_fp16=False)
        # bin first: the engine looks for the .xml, so it never sees an xml without its weights
        os.replace(tmp_bin, files.ir_weights(xml))
        os.replace(tmp_xml, xml)
    finally:
        tmp_xml.unlink(missing_ok=True)
        tmp_bin.unlink(missing_ok=True)

    cfg = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
    fp32 = core.compile_model(str(style), "CPU", cfg)
    int8 = core.compile_model(str(xml), "CPU", cfg)
    figures = []
    for name, img in check_images or photos[:3]:
        frame = images.fit(img, 480, 640)
        figures.append((name, psnr(fp32({0: frame})[0], int8({0: frame})[0])))
        report(f"  int8 vs fp32 on {name} 480x640: PSNR {figures[-1][1]:.2f} dB")
    bench = images.fit(photos[0][1], 480, 640)
    ms32, ms8 = _ms_per_frame(fp32, bench), _ms_per_frame(int8, bench)
    report(f"wrote {xml} (+ .bin; {len(photos)} calibration photos; OpenVINO CPU 640x480: "
           f"f32 {ms32:.1f} ms, int8 {ms8:.1f} ms; mean PSNR vs fp32 {np.mean([p for _, p in figures]):.2f} dB)")
    return Int8Result(xml, len(photos), figures, ms32, ms8)
