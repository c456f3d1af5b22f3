"""The style catalog (torch-free): which styles exist, where, and which are broken.

Styles are ``.onnx`` files in three places, searched in this order of precedence when
names clash: folders given on the command line (``--styles-dir``, source "extra"), the
user's styles folder (``platformdirs.user_data_dir("stylecam")/styles``, "user"), and the
styles shipped in ``models/styles/`` ("bundled"). Only metadata is read (a wire-format
walk, see ``stylecam.models.style.format``), so listing is instant and needs neither torch nor
onnx. A broken or foreign file is listed with the reason and never hides the others.
Each style is returned as a ``StyleBundle`` (``stylecam.models.style.bundle``): the siblings
written by ``stylecam export`` (``x.fp16.onnx``, ``x.int8.xml``, the real-time CPU version
``x.cpu.onnx``, ...; the names are ``stylecam.models.style.files``'s) belong to their style
``x.onnx`` rather than being styles of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from stylecam.models.errors import StyleError
from stylecam.models.style import files
from stylecam.models.style.bundle import StyleBundle

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "styles"
# Upscalers (super-resolution nets, ``stylecam upscale``) are the same kind of file with
# ``stylecam.kind = upscaler`` in their metadata; they have their own folders and are never
# listed or resolved as styles (nor styles as upscalers).
BUNDLED_UPSCALERS_DIR = Path(__file__).resolve().parent.parent / "upscalers"


def user_styles_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("stylecam")) / "styles"


def user_upscalers_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("stylecam")) / "upscalers"


def _folders(extra_dirs: Iterable[str | Path], kind: str = "style") -> list[tuple[Path, str]]:
    if kind == "upscaler":
        return [*((Path(d), "extra") for d in extra_dirs), (user_upscalers_dir(), "user"),
                (BUNDLED_UPSCALERS_DIR, "bundled")]
    return [*((Path(d), "extra") for d in extra_dirs), (user_styles_dir(), "user"), (BUNDLED_DIR, "bundled")]


def discover(extra_dirs: Iterable[str | Path] = (), kind: str = "style") -> list[StyleBundle]:
    """Every style file in precedence order (extra, user, bundled), broken ones included."""
    found: list[StyleBundle] = []
    seen: set[Path] = set()
    for folder, source in _folders(extra_dirs, kind):
        if not folder.is_dir():
            continue
        try:
            entries = sorted(p for p in folder.iterdir()
                             if p.suffix == files.STYLE_SUFFIX and not p.name.startswith("."))
        except OSError:
            continue
        for path in entries:
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            base = files.base_of(path)
            if base == path:
                info = StyleBundle.read(path, source)
                if info.ok and info.kind != kind:
                    continue  # an upscaler among styles (or the reverse) is not this list's business
                found.append(info)
            elif base is not None and not base.is_file():
                found.append(StyleBundle.orphan(path, source))
    return found


def resolve(name_or_path: str | Path, extra_dirs: Iterable[str | Path] = (), kind: str = "style") -> StyleBundle:
    """A usable style by name (first match in precedence order) or by file path.

    Raises ``StyleError``: for an unknown name it lists the available ones; for a broken
    file it says why.
    """
    text = str(name_or_path)
    candidate = Path(text).expanduser()
    if candidate.suffix == ".onnx" or candidate.is_file() or "/" in text or "\\" in text:
        if not candidate.is_file():
            raise StyleError(candidate, "no such style file")
        info = StyleBundle.read(candidate, "extra")
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
