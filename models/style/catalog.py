"""The style catalog (torch-free): which styles exist, where, and which are broken.

Styles are ``.onnx`` files in three places, searched in this order of precedence when
names clash: folders given on the command line (``--styles-dir``, source "extra"), the
user's styles folder (``platformdirs.user_data_dir("stylecam")/styles``, "user"), and the
styles shipped in ``models/styles/`` ("bundled"). Only metadata is read (a wire-format
walk, see ``stylecam.models.style.format``), so listing is instant and needs neither torch nor
onnx. A broken or foreign file is listed with the reason and never hides the others.
Variants written by ``stylecam export`` (``x.fp16.onnx``, ``x.int8.xml``, and the
real-time CPU version ``x.cpu.onnx`` with its ``x.cpu.int8.xml``) belong to their style
``x.onnx`` and are shown as its notes rather than as styles of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stylecam.models.errors import StyleError
from stylecam.models.style.format import read_style_metadata

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "styles"
# Upscalers (super-resolution nets, ``stylecam upscale``) are the same kind of file with
# ``stylecam.kind = upscaler`` in their metadata; they have their own folders and are never
# listed or resolved as styles (nor styles as upscalers).
BUNDLED_UPSCALERS_DIR = Path(__file__).resolve().parent.parent / "upscalers"


def user_styles_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("stylecam")) / "styles"


@dataclass
class StyleInfo:
    name: str
    title: str
    arch: str
    path: Path
    source: str  # "bundled" | "user" | "extra"
    preview_png: bytes | None = None
    recipe: dict[str, Any] = field(default_factory=dict)
    broken: str | None = None  # why the file cannot be used; None when it is fine
    notes: list[str] = field(default_factory=list)  # engine-relevant: variants, precision
    kind: str = "style"  # "style" | "upscaler" (stylecam.models.style.format.KINDS)
    factor: int = 1  # an upscaler's scale factor

    @property
    def ok(self) -> bool:
        return self.broken is None


VARIANT_SUFFIXES = (".fp16.onnx", ".cpu.onnx")


def _variant_base(path: Path) -> Path | None:
    """The style file a variant belongs to (``x.cpu.onnx`` -> ``x.onnx``); None for a style."""
    for v in VARIANT_SUFFIXES:
        if path.name.endswith(v):
            return path.with_name(path.name[: -len(v)] + ".onnx")
    return None


def _orphan(path: Path, base: Path, source: str) -> StyleInfo:
    """A variant whose style is not beside it: listed as broken, never as a style of its own,
    so that it cannot shadow (or stand in for) a style of the same name elsewhere."""
    return StyleInfo(name=path.name[: -len(".onnx")], title="", arch="", path=path, source=source,
                     broken=f"a variant of {base.name}, which is not in this folder; put it beside "
                            f"{base.name}, or pass the file itself to run it")


def cpu_variant_path(style: Path) -> Path:
    """Where a style's real-time CPU version sits: ``<style>.cpu.onnx``."""
    return style.with_name(style.stem + ".cpu.onnx")


def check_cpu_version(style: Path, variant: Path) -> dict[str, Any]:
    """The CPU version's metadata; ``StyleError`` unless it reads and was trained for the
    same style.

    A CPU version is picked by file name alone, so a copied or renamed file could quietly
    paint another painting under this style's name: the name and the painting in the two
    files' recipes must agree.
    """
    main, cpu = read_style_metadata(style), read_style_metadata(variant)
    for what, a, b in (("style name", main["name"], cpu["name"]),
                       ("painting", main["recipe"].get("style_image"), cpu["recipe"].get("style_image"))):
        if a != b:
            raise StyleError(variant, f"not a CPU version of {style.name}: its {what} is {b!r}, not {a!r}")
    return cpu


def read_style(path: Path, source: str) -> StyleInfo:
    """A ``StyleInfo`` for one file; a broken file gives ``broken`` set instead of an error."""
    try:
        meta = read_style_metadata(path)
    except StyleError as e:
        return StyleInfo(name=path.stem, title="", arch="", path=path, source=source, broken=e.problem)
    notes = []
    if meta["precision"] != "fp32":
        notes.append(meta["precision"])
    if path.with_name(path.stem + ".int8.xml").is_file():
        notes.append("OpenVINO int8")
    if path.with_name(path.stem + ".fp16.onnx").is_file():
        notes.append("fp16 variant (GPU)")
    cpu = cpu_variant_path(path)
    if cpu.is_file():
        try:
            cpu_arch = check_cpu_version(path, cpu)["arch"]
            int8 = " + int8" if cpu.with_name(cpu.stem + ".int8.xml").is_file() else ""
            notes.append(f"real-time CPU version ({cpu_arch}{int8})")
        except StyleError as e:
            notes.append(f"CPU version broken ({e.problem})")
    return StyleInfo(
        name=meta["name"], title=meta["title"], arch=meta["arch"], path=path, source=source,
        preview_png=meta["preview_png"], recipe=meta["recipe"], notes=notes, kind=meta["kind"],
        factor=meta["factor"],
    )


def user_upscalers_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("stylecam")) / "upscalers"


def _folders(extra_dirs: Iterable[str | Path], kind: str = "style") -> list[tuple[Path, str]]:
    if kind == "upscaler":
        return [*((Path(d), "extra") for d in extra_dirs), (user_upscalers_dir(), "user"),
                (BUNDLED_UPSCALERS_DIR, "bundled")]
    return [*((Path(d), "extra") for d in extra_dirs), (user_styles_dir(), "user"), (BUNDLED_DIR, "bundled")]


def discover(extra_dirs: Iterable[str | Path] = (), kind: str = "style") -> list[StyleInfo]:
    """Every style file in precedence order (extra, user, bundled), broken ones included."""
    found: list[StyleInfo] = []
    seen: set[Path] = set()
    for folder, source in _folders(extra_dirs, kind):
        if not folder.is_dir():
            continue
        try:
            files = sorted(p for p in folder.iterdir() if p.suffix == ".onnx" and not p.name.startswith("."))
        except OSError:
            continue
        for path in files:
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            base = _variant_base(path)
            if base is None:
                info = read_style(path, source)
                if info.ok and info.kind != kind:
                    continue  # an upscaler among styles (or the reverse) is not this list's business
                found.append(info)
            elif not base.is_file():
                found.append(_orphan(path, base, source))
    return found


def resolve(name_or_path: str | Path, extra_dirs: Iterable[str | Path] = (), kind: str = "style") -> StyleInfo:
    """A usable style by name (first match in precedence order) or by file path.

    Raises ``StyleError``: for an unknown name it lists the available ones; for a broken
    file it says why.
    """
    text = str(name_or_path)
    candidate = Path(text).expanduser()
    if candidate.suffix == ".onnx" or candidate.is_file() or "/" in text or "\\" in text:
        if not candidate.is_file():
            raise StyleError(candidate, "no such style file")
        info = read_style(candidate, "extra")
        if info.broken:
            raise StyleError(candidate, info.broken)
        if info.kind != kind:
            use = "stylecam upscale" if info.kind == "upscaler" else "stylecam stylize"
            raise StyleError(candidate, f"is {'an' if info.kind == 'upscaler' else 'a'} {info.kind}, not "
                                        f"{'an' if kind == 'upscaler' else 'a'} {kind} (use it with {use})")
        return info
    styles = discover(extra_dirs, kind)
    for info in styles:
        if info.ok and info.name == text:
            return info
    broken = [s for s in styles if not s.ok and s.name == text]
    if broken:
        raise StyleError(broken[0].path, broken[0].broken or "broken")
    names = sorted({s.name for s in styles if s.ok})
    listing = ", ".join(names) if names else "none found (add .onnx styles to " + str(user_styles_dir()) + ")"
    raise StyleError(None, f"unknown style {text!r}; available: {listing}")
