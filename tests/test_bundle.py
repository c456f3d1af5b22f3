"""One style, one object: the naming rules of its files (``models/style/files.py``) and the
bundle that answers which file runs on which backend (``models/style/bundle.py``).

Parametrised over every bundled style and upscaler (as timm's tests run over every
model), so a file shipped with a broken sibling, a CPU version of another style or a
name the package data does not carry fails here; then the edge cases on toy styles."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

from stylecam.models.style import files
from stylecam.models.style.bundle import BACKENDS, CPU_BACKENDS, GPU_BACKENDS, FileChoice, Reason, StyleBundle
from stylecam.models.style.catalog import BUNDLED_DIR, BUNDLED_UPSCALERS_DIR, discover, resolve, user_styles_dir
from stylecam.models.style.files import Variant
from stylecam.models.style.format import read_style_metadata

from helpers.styles import write_toy_style

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [(folder, p) for folder in (BUNDLED_DIR, BUNDLED_UPSCALERS_DIR)
           for p in sorted(folder.glob("*.onnx")) if files.base_of(p) == p]


# --------------------------------------------------------------------------- naming rules


@pytest.mark.parametrize("variant", list(Variant))
def test_every_sibling_name_parses_back_to_its_style(variant: Variant) -> None:
    base = Path("/s/the_scream.onnx")
    path = files.sibling(base, variant)
    assert path.parent == base.parent and path.name == "the_scream" + variant.suffix
    assert files.parse(path) == (base, variant) and files.base_of(path) == base
    assert files.is_sibling(path) is (variant is not Variant.FULL)
    assert files.style_name(path) == "the_scream"
    if variant.is_ir:  # the weights belong to the same file
        assert files.parse(files.ir_weights(path)) == (base, variant)
    assert files.form_of(files.sibling(base, variant.net), variant.precision) == path


def test_names_outside_the_rules() -> None:
    assert files.parse("notes.txt") is None and files.parse("model.xml") is None
    assert files.parse(".onnx") is None
    assert files.parse("a.b.onnx") == (Path("a.b.onnx"), Variant.FULL)  # dots are fine in a name
    assert files.parse("x.int8.onnx") == (Path("x.int8.onnx"), Variant.FULL)  # not a sibling's suffix
    with pytest.raises(ValueError, match="not a style's base file"):
        files.sibling("x.cpu.onnx", Variant.INT8)  # read greedily: x.cpu.onnx is a CPU version
    with pytest.raises(ValueError, match="not a style's net"):
        files.form_of("x.fp16.onnx", "int8")


# --------------------------------------------------------------------------- every shipped style


def _package_data() -> dict[str, list[str]]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]["package-data"]


@pytest.mark.parametrize("folder,path", SHIPPED, ids=[p.name for _, p in SHIPPED])
def test_shipped_bundle(folder: Path, path: Path) -> None:
    bundle = StyleBundle.read(path, "bundled")
    assert bundle.ok, bundle.broken
    assert bundle.kind == ("upscaler" if folder == BUNDLED_UPSCALERS_DIR else "style")
    # every file beside it that the rules give to this style is known to the bundle, and
    # an IR ships with its weights
    family = {v for p in folder.iterdir() if (found := files.parse(p)) and found[0] == path for v in [found[1]]}
    assert family == set(bundle.variants), "a sibling without its other half (an IR's .xml/.bin)?"
    assert all(files.present(bundle.file(v)) for v in bundle.variants)
    # a CPU version that ships must be this style's (name and painting agree)
    assert bundle.cpu_problem is None
    patterns = _package_data()["stylecam.models." + folder.name]
    for v in bundle.variants:
        names = [bundle.file(v).name] + ([files.ir_weights(bundle.file(v)).name] if v.is_ir else [])
        for name in names:
            assert any(fnmatch.fnmatch(name, pat) for pat in patterns), f"{name} is not in the package data"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", [p for _, p in SHIPPED], ids=[p.name for _, p in SHIPPED])
def test_shipped_bundle_chooses(path: Path, backend: str) -> None:
    bundle = StyleBundle.read(path, "bundled")
    choice = bundle.choose(backend)
    assert files.present(choice.path) and choice.path == bundle.file(choice.variant)
    assert read_style_metadata(choice.net)["name"] == bundle.name  # the chosen net paints this style
    if backend in GPU_BACKENDS:
        assert (choice.reason, choice.variant.net) == (Reason.GPU, Variant.FULL)
    elif bundle.has(Variant.CPU):
        assert (choice.reason, choice.net) == (Reason.CPU_VERSION, bundle.file(Variant.CPU))
    else:
        assert (choice.reason, choice.net) == (Reason.NO_CPU_VERSION, path)
    lower = {"cuda": "fp16", "openvino": "int8"}.get(backend)
    want = choice.variant.net.at(lower) if lower else None
    assert choice.variant.precision == (lower if want in bundle.variants else "fp32")
    full = bundle.choose(backend, full_net=True, low_precision=False)
    assert full.path == path and full.variant is Variant.FULL
    assert full.reason is (Reason.GPU if backend in GPU_BACKENDS else Reason.FULL_NET_ASKED)


# --------------------------------------------------------------------------- edge cases


def _pair(folder: Path, cpu_name: str = "pair") -> StyleBundle:
    """``pair.onnx`` with a CPU version ``pair.cpu.onnx`` whose style name is ``cpu_name``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_toy_style(folder / "pair.onnx", name="pair")
    write_toy_style(folder / "pair.cpu.onnx", name=cpu_name)
    return StyleBundle.read(folder / "pair.onnx")


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_no_cpu_version_runs_the_full_net(tmp_path: Path, backend: str) -> None:
    bundle = StyleBundle.read(write_toy_style(tmp_path / "solo.onnx", name="solo"))
    assert bundle.variants == {Variant.FULL} and not bundle.cpu_version_ok
    choice = bundle.choose(backend)
    assert (choice.path, choice.variant, choice.reason) == (bundle.path, Variant.FULL, Reason.NO_CPU_VERSION)
    assert "solo.cpu.onnx" in choice.why


def test_a_valid_cpu_version_runs_on_cpu_engines_only(tmp_path: Path) -> None:
    bundle = _pair(tmp_path)
    assert bundle.cpu_version_ok and bundle.cpu_arch == "toy"
    assert {b: bundle.choose(b).variant for b in BACKENDS} == {
        "tensorrt": Variant.FULL, "cuda": Variant.FULL, "openvino": Variant.CPU, "cpu": Variant.CPU}
    assert bundle.choose("cpu").cpu_version and not bundle.choose("cuda").cpu_version


def test_a_cpu_version_of_another_style_is_passed_over(tmp_path: Path) -> None:
    bundle = _pair(tmp_path, cpu_name="other")
    assert not bundle.cpu_version_ok
    assert bundle.cpu_problem == "not a CPU version of pair.onnx: its style name is 'other', not 'pair'"
    for backend in CPU_BACKENDS:
        choice = bundle.choose(backend)
        assert (choice.path, choice.reason) == (bundle.path, Reason.CPU_VERSION_INVALID)
        assert choice.why.startswith("pair.cpu.onnx: not a CPU version") and choice.why.endswith("running the full net")
    assert bundle.choose("cpu", full_net=True).reason is Reason.FULL_NET_ASKED  # asked for: nothing passed over


def test_a_broken_cpu_version_is_passed_over(tmp_path: Path) -> None:
    write_toy_style(tmp_path / "pair.onnx", name="pair")
    (tmp_path / "pair.cpu.onnx").write_bytes(b"not onnx" * 8)
    bundle = StyleBundle.read(tmp_path / "pair.onnx")
    assert bundle.ok and bundle.has(Variant.CPU) and "not an ONNX model" in bundle.cpu_problem
    assert bundle.choose("openvino").reason is Reason.CPU_VERSION_INVALID


def test_an_ir_without_its_weights_is_not_chosen(tmp_path: Path) -> None:
    bundle = _pair(tmp_path)
    bundle.file(Variant.CPU_INT8).write_text("<net/>")  # the .xml alone cannot load
    assert not StyleBundle.read(bundle.path).has(Variant.CPU_INT8)
    assert StyleBundle.read(bundle.path).choose("openvino").variant is Variant.CPU
    files.ir_weights(bundle.file(Variant.CPU_INT8)).write_bytes(b"\0")
    again = StyleBundle.read(bundle.path)
    assert again.choose("openvino").variant is Variant.CPU_INT8 and again.choose("openvino").net == bundle.file(Variant.CPU)
    assert again.choose("openvino", low_precision=False).variant is Variant.CPU


def test_orphan_siblings_are_broken_entries_never_styles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    d = tmp_path / "styles"
    d.mkdir()
    write_toy_style(d / "lonely.cpu.onnx", name="lonely")
    write_toy_style(d / "lonely.fp16.onnx", name="lonely")
    (d / "lonely.int8.xml").write_text("<net/>")  # not an .onnx: not listed at all
    found = [s for s in discover([d]) if s.source == "extra"]
    assert sorted(s.path.name for s in found) == ["lonely.cpu.onnx", "lonely.fp16.onnx"]
    assert all(not s.ok and "a variant of lonely.onnx" in s.broken for s in found)
    assert "lonely" not in {s.name for s in discover([d]) if s.ok}
    given = StyleBundle.open(d / "lonely.cpu.onnx")  # passed by path, it runs as it is
    choice = given.choose("cpu")
    assert choice.path == d / "lonely.cpu.onnx" and choice.cpu_version


def test_user_styles_folder_bundles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    user = user_styles_dir()
    bundle = _pair(user)
    (user / "pair.fp16.onnx").write_bytes((user / "pair.onnx").read_bytes())
    mine = resolve("pair")
    assert mine.source == "user" and mine.path == bundle.path
    assert mine.variants == {Variant.FULL, Variant.CPU, Variant.FP16}
    assert mine.choose("cuda").path == user / "pair.fp16.onnx" and mine.choose("cpu").path == user / "pair.cpu.onnx"
    assert [s.path.name for s in discover() if s.source == "user"] == ["pair.onnx"]  # siblings are not styles


def test_a_file_given_to_an_engine_is_its_own_choice(tmp_path: Path) -> None:
    bundle = _pair(tmp_path)
    given = FileChoice.given(bundle.file(Variant.CPU_INT8))
    assert (given.variant, given.reason, given.net) == (Variant.CPU_INT8, Reason.FILE_GIVEN, bundle.file(Variant.CPU))
    assert FileChoice.given(tmp_path / "model.bin").net == tmp_path / "model.bin"  # no family: itself
