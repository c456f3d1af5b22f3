"""Every engine present here, run on real frames, against the ONNX Runtime CPU reference."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stylecam.export.verify import compare, psnr
from stylecam.models.errors import EngineError, StyleError
from stylecam.models.nets.registry import list_models
from stylecam.models.runtime.engines import (
    ENGINE_NAMES,
    Engine,
    OpenVinoEngine,
    OrtEngine,
    available_engines,
    open_engine,
)
from stylecam.models.style.bundle import Reason, StyleBundle

from helpers.signals import signal_stack_problem
from helpers.styles import export_test_photos, write_toy_style

AVAILABLE = available_engines()


def real_frames() -> list[tuple[str, np.ndarray]]:
    """Each test photo at its own size and as an odd-sized crop."""
    frames = []
    for name, img in export_test_photos():
        frames.append((name, img))
        frames.append((f"{name} 97x131", np.ascontiguousarray(img[:97, :131])))
    return frames


@pytest.mark.parametrize("arch", list_models())
@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_engine_matches_reference_on_real_frames(engine: str, arch: str, exported_styles: dict) -> None:
    if engine not in AVAILABLE:
        pytest.skip(f"engine {engine!r} does not work on this machine (probed: {', '.join(AVAILABLE)})")
    style = exported_styles[arch].path
    ref = OrtEngine(style, "cpu")
    eng = open_engine(style, engine)
    assert eng.name == engine and eng.provider
    for label, frame in real_frames():
        want, got = ref.run(frame), eng.run(frame)
        assert got.shape == frame.shape and got.dtype == np.uint8 and got.flags.c_contiguous
        if engine == "cpu":
            assert np.array_equal(want, got), label
        elif "int8" in eng.provider:
            assert psnr(want, got) > 15, label
        elif engine in ("tensorrt", "cuda"):  # fp16 on the GPU
            assert psnr(want, got) > 35, label
        else:
            d = compare(want, got, label)
            assert d.fraction_off <= 0.001 and d.max <= 3, str(d)


@pytest.mark.skipif("openvino" not in AVAILABLE, reason="OpenVINO does not work here")
def test_openvino_fp32_and_int8(exported_styles: dict) -> None:
    style = exported_styles["lite"].path
    ref = OrtEngine(style, "cpu")
    frame = export_test_photos()[1][1]
    plain = OpenVinoEngine(style, int8=False)
    assert plain.provider == "OpenVINO CPU f32"
    d = compare(ref.run(frame), plain.run(frame))
    assert d.fraction_off <= 0.001, str(d)
    int8 = OpenVinoEngine(style)  # the .int8.xml next to the style is picked up
    assert int8.provider == "OpenVINO CPU int8" and int8.model_path.name == "test_lite.int8.xml"
    assert psnr(ref.run(frame), int8.run(frame)) > 15


def test_engine_contract(exported_styles: dict) -> None:
    eng = open_engine(exported_styles["johnson"].path, "cpu")
    assert isinstance(eng, Engine) and eng.provider == "CPUExecutionProvider"
    assert eng.constraints["dynamic_size"] and eng.constraints["min_side"] == 16
    frame = np.asfortranarray(export_test_photos()[0][1][:33, :47])  # odd, non-contiguous
    out = eng.run(frame)
    assert out.shape == (33, 47, 3) and out.flags.c_contiguous
    with pytest.raises(ValueError, match="uint8 H x W x 3"):
        eng.run(frame.astype(np.float32))
    with pytest.raises(ValueError, match="too small"):
        eng.run(np.zeros((8, 64, 3), np.uint8))


def test_auto_picks_a_working_engine_and_says_why(exported_styles: dict) -> None:
    eng = open_engine(exported_styles["lite"].path)
    assert eng.name in AVAILABLE
    if not {"tensorrt", "cuda"} & set(AVAILABLE):
        assert eng.name in ("openvino", "cpu")
        assert any(n.startswith("tensorrt:") for n in eng.notes) and any(n.startswith("cuda:") for n in eng.notes)
    out = eng.run(export_test_photos()[0][1])
    assert out.dtype == np.uint8


@pytest.mark.skipif("cuda" in AVAILABLE, reason="CUDA works here")
def test_forced_cuda_without_gpu_is_a_clear_error(toy_styles_dir: Path) -> None:
    with pytest.raises(EngineError, match="engine 'cuda' cannot run here") as e:
        open_engine(toy_styles_dir / "negative.onnx", "cuda")
    assert str(toy_styles_dir / "negative.onnx") in str(e.value)


def test_broken_and_foreign_files_are_style_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(StyleError, match="not an ONNX model") as e:
        open_engine(garbage)
    assert e.value.path == garbage
    with pytest.raises(StyleError, match="no such file"):
        open_engine(tmp_path / "missing.onnx")
    with pytest.raises(ValueError, match="unknown engine"):
        open_engine(garbage, "metal")


def test_runtime_modules_do_not_import_torch() -> None:
    code = ("import sys, stylecam.models.runtime.engines, stylecam.models.style.catalog, stylecam.models.runtime.tensorrt_engine, "
            "stylecam.app.styles_cli; stylecam.models.runtime.engines.available_engines(); assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'onnx' not in sys.modules, 'onnx imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


@pytest.fixture
def style_with_cpu_version(tmp_path: Path, exported_styles: dict) -> Path:
    """``pair.onnx`` (the lite test style) with ``pair.cpu.onnx`` (the nano one) beside it."""
    import shutil

    main_style = tmp_path / "pair.onnx"
    shutil.copy(exported_styles["lite"].path, main_style)
    shutil.copy(exported_styles["lite_cpu"].path, tmp_path / "pair.cpu.onnx")
    return main_style


@pytest.mark.parametrize("engine", ["cpu", "openvino", "auto"])
def test_cpu_engines_run_the_real_time_cpu_version(engine: str, style_with_cpu_version: Path) -> None:
    if engine != "auto" and engine not in AVAILABLE:
        pytest.skip(f"engine {engine!r} does not work on this machine")
    if engine == "auto" and {"tensorrt", "cuda"} & set(AVAILABLE):
        pytest.skip("a GPU works here: auto runs the full net on it")
    frame = export_test_photos()[0][1]
    eng = open_engine(style_with_cpu_version, engine)
    assert eng.cpu_version and eng.path.name == "pair.cpu.onnx" and eng.choice.reason is Reason.CPU_VERSION
    assert eng.label.endswith("real-time CPU version")
    nano_ref = OrtEngine(style_with_cpu_version.with_name("pair.cpu.onnx"), "cpu").run(frame)
    assert psnr(nano_ref, eng.run(frame)) > 30  # the nano net's output, not lite's
    full = open_engine(style_with_cpu_version, engine, full_net=True)
    assert not full.cpu_version and full.path == style_with_cpu_version and full.label == full.provider
    assert full.choice.reason is Reason.FULL_NET_ASKED
    lite_ref = OrtEngine(style_with_cpu_version, "cpu").run(frame)
    assert psnr(lite_ref, full.run(frame)) > 30


def test_a_cpu_version_of_another_style_is_refused(style_with_cpu_version: Path, exported_styles: dict) -> None:
    import shutil

    shutil.copy(exported_styles["nano"].path, style_with_cpu_version.with_name("pair.cpu.onnx"))
    with pytest.raises(StyleError, match="not a CPU version of pair.onnx: its style name is 'test_nano'") as e:
        open_engine(style_with_cpu_version, "openvino" if "openvino" in AVAILABLE else "cpu")
    assert e.value.path.name == "pair.cpu.onnx"
    if not {"tensorrt", "cuda"} & set(AVAILABLE):
        eng = open_engine(style_with_cpu_version)  # auto: the full net, with the reason noted
        assert not eng.cpu_version and eng.choice.reason is Reason.CPU_VERSION_INVALID
        assert "not a CPU version" in eng.choice.why


def test_a_broken_cpu_version_falls_back_to_the_full_net(style_with_cpu_version: Path) -> None:
    style_with_cpu_version.with_name("pair.cpu.onnx").write_bytes(b"not onnx at all" * 20)
    if {"tensorrt", "cuda"} & set(AVAILABLE):
        pytest.skip("a GPU works here: auto never looks at the CPU version")
    eng = open_engine(style_with_cpu_version)
    assert not eng.cpu_version and eng.path == style_with_cpu_version
    assert eng.choice.reason is Reason.CPU_VERSION_INVALID and eng.choice.why in eng.notes
    with pytest.raises(StyleError, match="not an ONNX model") as e:  # forced: named, not hidden
        open_engine(style_with_cpu_version, "cpu")
    assert e.value.path.name == "pair.cpu.onnx"


def _float_style(path: Path, name: str) -> Path:
    """A file with valid stylecam metadata whose graph takes float, not a uint8 frame: it
    reads as a style, and no engine loads it."""
    import onnx
    from onnx import TensorProto, helper

    from stylecam.models.style.format import FORMAT

    x = helper.make_tensor_value_info("frame", TensorProto.FLOAT, ["h", "w", 3])
    y = helper.make_tensor_value_info("stylized", TensorProto.FLOAT, ["h", "w", 3])
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["frame"], ["stylized"])], "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    for k, v in {"stylecam.format": FORMAT, "stylecam.name": name, "stylecam.arch": "float"}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("engine", ["cpu", "openvino"])
def test_an_engine_runs_what_the_bundle_chose(tmp_path: Path, engine: str) -> None:
    if engine not in AVAILABLE:
        pytest.skip(f"engine {engine!r} does not work on this machine")
    write_toy_style(tmp_path / "pair.onnx", name="pair")
    write_toy_style(tmp_path / "pair.cpu.onnx", name="pair")
    bundle = StyleBundle.read(tmp_path / "pair.onnx")
    eng = open_engine(bundle, engine)
    assert eng.choice == bundle.choose(engine) and eng.model_path == eng.choice.path == tmp_path / "pair.cpu.onnx"
    assert open_engine(tmp_path / "pair.onnx", engine).choice == eng.choice  # a path is opened as its bundle


def test_auto_runs_the_full_net_when_the_cpu_version_loads_nowhere(tmp_path: Path) -> None:
    if {"tensorrt", "cuda"} & set(AVAILABLE):
        pytest.skip("a GPU works here: auto runs the full net on it")
    write_toy_style(tmp_path / "pair.onnx", name="pair")
    _float_style(tmp_path / "pair.cpu.onnx", "pair")
    bundle = StyleBundle.read(tmp_path / "pair.onnx")
    assert bundle.cpu_version_ok  # its metadata is fine; only loading it fails
    eng = open_engine(bundle)
    assert eng.choice.reason is Reason.CPU_VERSION_FAILED and eng.path == bundle.path and not eng.cpu_version
    assert "pair.cpu.onnx runs on no CPU engine here" in eng.choice.why
    from stylecam.app.live.style_choice import as_if_chosen

    assert not as_if_chosen(bundle, eng)  # by name, the cpu engine would run (and refuse) the CPU version
    with pytest.raises(StyleError, match="takes a uint8 frame") as e:  # forced: named, not hidden
        open_engine(bundle, "cpu")
    assert e.value.path.name == "pair.cpu.onnx"


def test_openvino_engines_freed_first_in_first_out_keep_the_signal_stack_mapped() -> None:
    """OpenVINO's CPU plugin gives the thread that loads it a signal stack of its own and
    unmaps it when freed; with one Core per engine, two engines freed in the order they were
    opened (what ``auto`` does when it keeps the int8 one) left the thread's signal stack
    unmapped, and the next Python signal handler (Ctrl-C, SIGTERM) was a SIGSEGV."""
    pytest.importorskip("openvino")
    from stylecam.models.runtime.engines import OpenVinoEngine
    from stylecam.models.style.catalog import discover

    style = next((st for st in discover() if st.ok and st.source == "bundled"), None)
    if style is None:
        pytest.skip("no bundled style")
    first = OpenVinoEngine(style.path, int8=False)
    second = OpenVinoEngine(style.path, int8=True)
    del first
    gc.collect()
    del second
    gc.collect()
    assert signal_stack_problem() is None
