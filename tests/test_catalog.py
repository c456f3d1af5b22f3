"""The style catalog: discovery across folders, broken and foreign files, name resolution."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stylecam.app.cli import main
from stylecam.models.errors import StyleError
from stylecam.models.style.bundle import Reason
from stylecam.models.style.catalog import discover, resolve, user_styles_dir
from stylecam.models.style.files import Variant

from helpers.styles import write_toy_style


def write_foreign_onnx(path: Path) -> Path:
    """A valid ONNX model with no stylecam metadata (someone else's model)."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))
    return path


@pytest.fixture
def styles_dir(tmp_path: Path, exported_styles: dict, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a real exported style (+ its fp16 and int8 variants) and three bad files."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # an empty user styles folder
    d = tmp_path / "styles"
    d.mkdir()
    lite = exported_styles["lite"]
    for src in (lite.path, lite.fp16_path, exported_styles["lite_int8"].xml,
                exported_styles["lite_int8"].xml.with_suffix(".bin")):
        shutil.copy(src, d / src.name)
    (d / "x.onnx").write_bytes(b"\x93garbage, not a model" * 50)
    write_foreign_onnx(d / "foreign.onnx")
    data = lite.path.read_bytes()
    (d / "truncated.onnx").write_bytes(data[: len(data) // 2])
    (d / "empty.onnx").write_bytes(b"")
    return d


def test_discover_lists_good_and_broken_files(styles_dir: Path) -> None:
    found = {s.path.name: s for s in discover([styles_dir]) if s.source == "extra"}
    assert set(found) == {"test_lite.onnx", "x.onnx", "foreign.onnx", "truncated.onnx", "empty.onnx"}
    good = found["test_lite.onnx"]
    assert good.ok and good.name == "test_lite" and good.title == "Test Lite" and good.arch == "lite"
    assert good.preview_png and good.preview_png.startswith(b"\x89PNG")
    assert good.recipe["command"].startswith("stylecam train")
    assert good.has(Variant.INT8) and good.has(Variant.FP16) and not good.has(Variant.CPU)
    assert good.choose("openvino").variant is Variant.INT8 and good.choose("cuda").variant is Variant.FP16
    assert "not an ONNX model" in found["x.onnx"].broken
    assert "not a stylecam style" in found["foreign.onnx"].broken
    assert "truncated" in found["truncated.onnx"].broken
    assert found["empty.onnx"].broken == "empty file"


def test_user_folder_and_precedence(tmp_path: Path, styles_dir: Path) -> None:
    user = user_styles_dir()
    assert user == tmp_path / "xdg" / "stylecam" / "styles"
    user.mkdir(parents=True)
    write_toy_style(user / "negative.onnx")
    write_toy_style(user / "test_lite.onnx", name="test_lite", title="Shadowed")
    styles = discover([styles_dir])
    assert {s.source for s in styles} >= {"extra", "user"}
    assert resolve("negative", [styles_dir]).source == "user"
    assert resolve("test_lite", [styles_dir]).title == "Test Lite"  # --styles-dir wins over user
    assert resolve("test_lite").title == "Shadowed"


def test_resolve_by_path_and_unknown_name(styles_dir: Path) -> None:
    info = resolve(styles_dir / "test_lite.onnx")
    assert info.name == "test_lite"
    with pytest.raises(StyleError, match=r"unknown style 'monet'; available: .*test_lite"):
        resolve("monet", [styles_dir])
    with pytest.raises(StyleError, match="not a stylecam style") as e:
        resolve(styles_dir / "foreign.onnx")
    assert e.value.path == styles_dir / "foreign.onnx"
    with pytest.raises(StyleError, match="no such style file"):
        resolve(styles_dir / "nope.onnx")


def test_styles_command_prints_a_table(styles_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["styles", "--styles-dir", str(styles_dir)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["name", "title", "architecture", "notes", "file"]
    row = next(line for line in lines if line.startswith("test_lite "))
    assert "Test Lite" in row and " lite " in row and row.endswith("test_lite.onnx")
    assert f"extra: {styles_dir}" in out  # files by name in the table, their folders listed once below
    assert sum("broken:" in line for line in lines) == 4
    assert "test_lite.fp16" not in out.split("file")[1].replace("fp16 variant", "")


def test_a_cpu_version_is_a_note_of_its_style_not_a_style(tmp_path: Path, exported_styles: dict,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    d = tmp_path / "styles"
    d.mkdir()
    shutil.copy(exported_styles["lite"].path, d / "pair.onnx")
    shutil.copy(exported_styles["lite_cpu"].path, d / "pair.cpu.onnx")
    first = tmp_path / "first"  # searched before d
    first.mkdir()
    shutil.copy(exported_styles["lite"].path, first / "test_lite.cpu.onnx")  # its style is not beside it
    found = {s.path.name: s for s in discover([first, d]) if s.source == "extra"}
    assert set(found) == {"pair.onnx", "test_lite.cpu.onnx"}
    assert found["pair.onnx"].cpu_version_ok and found["pair.onnx"].cpu_arch == "nano"
    assert found["pair.onnx"].choose("cpu").reason is Reason.CPU_VERSION
    # an orphan variant is listed as broken, and never shadows the style named inside it
    orphan = found["test_lite.cpu.onnx"]
    assert not orphan.ok and "test_lite.onnx" in orphan.broken and orphan.name == "test_lite.cpu"
    assert resolve("test_lite", [first, d]).path == d / "pair.onnx"
    (d / "pair.cpu.onnx").write_bytes(b"")
    pair = next(s for s in discover([d]) if s.path.name == "pair.onnx")
    assert pair.cpu_problem == "empty file" and pair.choose("cpu").reason is Reason.CPU_VERSION_INVALID
    shutil.copy(exported_styles["nano"].path, d / "pair.cpu.onnx")  # another style's CPU version
    pair = next(s for s in discover([d]) if s.path.name == "pair.onnx")
    assert pair.cpu_problem.startswith("not a CPU version of pair.onnx: its style name is 'test_nano'")
    assert pair.choose("openvino").path == d / "pair.onnx"
