"""stylecam export: torch vs ONNX Runtime equivalence, metadata, fp16/int8 drift, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from stylecam.app.cli import main
from stylecam.export.verify import VerificationError, check, compare, psnr
from stylecam.models.errors import StyleError
from stylecam.models.style.format import read_style_metadata

pytest.importorskip("torch")

from stylecam.models.nets.registry import list_models  # noqa: E402


@pytest.mark.parametrize("arch", list_models())
def test_export_matches_torch_on_random_and_real_frames(exported_styles: dict, arch: str) -> None:
    result = exported_styles[arch]
    labels = [d.label for d in result.diffs]
    assert any("random 97x131" in s for s in labels) and any("random 480x640" in s for s in labels)
    assert any(s.startswith("astronaut.jpg") and "97x131" in s for s in labels)  # real photo, odd size
    for d in result.diffs:
        assert d.fraction_off <= 0.001, str(d)
        assert d.max <= 2, str(d)
    assert result.path.is_file()
    assert not list(result.path.parent.glob(".*.tmp.onnx"))


def test_export_matches_torch_at_another_odd_size(exported_styles: dict, export_checkpoints: dict) -> None:
    """Independent of the exporter's own check: a new odd size on a real photo."""
    import onnxruntime as ort
    import torch

    from stylecam.export.onnx_export import FrameModule
    from stylecam.models.nets.checkpoint import load

    module = FrameModule(load(export_checkpoints["lite"]).net)
    frame = np.ascontiguousarray(cv2.imread(str(Path(__file__).parent / "data" / "chelsea.jpg"))[7:68, 11:214])
    with torch.inference_mode():
        ref = module(torch.from_numpy(frame)).numpy()
    sess = ort.InferenceSession(str(exported_styles["lite"].path), providers=["CPUExecutionProvider"])
    out = sess.run(None, {"frame": frame})[0]
    assert out.shape == frame.shape == (61, 203, 3) and out.dtype == np.uint8
    d = compare(ref, out)
    assert d.fraction_off <= 0.001 and d.max <= 2
    assert 10 < out.mean() < 245  # not a saturated image: the comparison means something


def test_graph_interface_and_metadata_round_trip(exported_styles: dict, export_checkpoints: dict) -> None:
    import onnx

    from stylecam.models.nets.checkpoint import read_metadata

    path = exported_styles["johnson"].path
    model = onnx.load(str(path))
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    (inp,), (out,) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == ("frame", "stylized")
    for v in (inp, out):
        assert v.type.tensor_type.elem_type == onnx.TensorProto.UINT8
        dims = v.type.tensor_type.shape.dim
        assert dims[0].dim_param and dims[1].dim_param and dims[2].dim_value == 3
    props = {p.key: p.value for p in model.metadata_props}
    assert props["stylecam.format"] == "stylecam-style/1"

    ck = read_metadata(export_checkpoints["johnson"])
    meta = read_style_metadata(path)  # the runtime's torch-free reader
    assert meta["name"] == "test_johnson" and meta["title"] == "Test Johnson" and meta["arch"] == "johnson"
    assert meta["config"]["channels"] == list(ck["config"]["channels"])
    assert meta["recipe"]["command"] == ck["command"] and meta["recipe"]["losses"] == ck["losses"]
    assert meta["recipe"]["image_size"] == 64
    assert meta["preview_source"] == "image:coffee.jpg"
    png = cv2.imdecode(np.frombuffer(meta["preview_png"], np.uint8), cv2.IMREAD_COLOR)
    assert max(png.shape[:2]) == 256 and png.std() > 1
    assert json.loads(props["stylecam.verification"])["max_levels"] <= 2


def test_verifier_accepts_one_level_everywhere() -> None:
    ref = np.full((50, 40, 3), 128, np.uint8)
    out = ref.copy()
    out[::2] += 1
    d = compare(ref, out, "one level")
    assert d.max == 1 and d.fraction_off == 0
    check([d])


def test_verifier_refuses_more_than_a_tenth_of_a_percent_off(tmp_path: Path) -> None:
    ref = np.full((100, 100, 3), 100, np.uint8)
    out = ref.copy()
    out.reshape(-1)[:31] += 2  # 31 of 30000 values = 0.103 %
    d = compare(ref, out, "slightly off")
    assert d.fraction_off > 0.001
    with pytest.raises(VerificationError, match="nothing was written") as e:
        check([d], tmp_path / "x.safetensors")
    assert e.value.path == tmp_path / "x.safetensors"
    out.reshape(-1)[30] -= 2  # 30 values = exactly 0.1 %: accepted
    check([compare(ref, out)])


def test_psnr() -> None:
    a = np.zeros((4, 4, 3), np.uint8)
    assert psnr(a, a) == float("inf")
    assert psnr(a, a + 1) == pytest.approx(48.13, abs=0.01)


def test_fp16_variant_keeps_uint8_io_and_reports_psnr(exported_styles: dict) -> None:
    result = exported_styles["lite"]
    assert result.fp16_path and result.fp16_path.name == "test_lite.fp16.onnx"
    meta = read_style_metadata(result.fp16_path)
    assert meta["precision"] == "fp16" and meta["name"] == "test_lite"
    assert all(p > 35 for _, p in result.fp16_psnr), result.fp16_psnr


def test_int8_ir_is_written_and_drift_reported(exported_styles: dict) -> None:
    r = exported_styles["lite_int8"]
    assert r.xml.name == "test_lite.int8.xml" and r.xml.with_suffix(".bin").is_file()
    assert r.calibration_images == 3
    assert all(np.isfinite(p) and p > 15 for _, p in r.psnr), r.psnr
    assert r.ms_int8 > 0 and r.ms_fp32 > 0


def test_export_of_a_broken_checkpoint_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x00garbage" * 10)
    assert main(["export", str(bad)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.onnx")) and not list(tmp_path.glob(".*"))
    with pytest.raises(StyleError):
        from stylecam.export.onnx_export import export_style

        export_style(bad)


def test_int8_needs_calibration_photos(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["export", str(tmp_path / "x.safetensors"), "--int8"]) == 2
    assert "--calibration" in capsys.readouterr().err
