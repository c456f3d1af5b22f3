"""One style as one object: its metadata, its files, and which file runs where (torch-free).

A style is a family of files (``stylecam.models.style.files``): the full net and the
siblings export wrote beside it. ``StyleBundle`` is that family read once — the
metadata of the style file, which siblings are present, whether its real-time CPU
version is valid — and ``StyleBundle.choose`` is the one place that answers "which file
runs on this backend, and why". The catalog returns bundles; the engines open them;
the GUI, the commands and the benches ask them instead of looking at file names.

The rules ``choose`` applies, in order:

1. GPU engines (``tensorrt``, ``cuda``) run the full net: the CPU version is a smaller
   net distilled for CPUs, and a GPU runs the full one in real time anyway.
2. CPU engines (``openvino``, ``cpu``) run the real-time CPU version when it is present
   and valid, unless the full net is asked for. A CPU version is picked by file name, so
   it counts only when its metadata names the same style and painting as the full net's
   (a copied or renamed file must not paint another painting under this name).
3. Then the precision: ``cuda`` takes the fp16 file of the chosen net where one is
   present, ``openvino`` its int8 IR, unless told not to (``low_precision=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from stylecam.models.errors import StyleError
from stylecam.models.style import files
from stylecam.models.style.files import Variant
from stylecam.models.style.format import read_style_metadata

GPU_BACKENDS: tuple[str, ...] = ("tensorrt", "cuda")
CPU_BACKENDS: tuple[str, ...] = ("openvino", "cpu")
BACKENDS: tuple[str, ...] = (*GPU_BACKENDS, *CPU_BACKENDS)  # fastest kind first

#: The lower precision each backend can take from a file beside the net.
LOW_PRECISION = {"cuda": "fp16", "openvino": "int8"}


class Reason(StrEnum):
    """Why a net was chosen (machine-readable; ``FileChoice.why`` says it in words)."""

    GPU = "gpu"  # a GPU engine: the full net
    FULL_NET_ASKED = "full-net-asked"  # a CPU engine, told to run the full net
    NO_CPU_VERSION = "no-cpu-version"  # a CPU engine; the style has no CPU version
    CPU_VERSION = "cpu-version"  # a CPU engine runs the real-time CPU version
    CPU_VERSION_INVALID = "cpu-version-invalid"  # present, but broken or of another style: the full net
    CPU_VERSION_FAILED = "cpu-version-failed"  # valid, but it loads on no CPU engine here (set by open_engine)
    FILE_GIVEN = "file-given"  # exactly this file was given to an engine; nothing chosen


@dataclass(frozen=True)
class FileChoice:
    """Which file an engine runs, as ``variant`` of its style, and why."""

    path: Path  # the file the runtime loads (an .onnx, or an IR's .xml)
    variant: Variant
    reason: Reason
    why: str  # one sentence for a person

    @property
    def net(self) -> Path:
        """The ONNX net ``path`` is a form of (the style file, or its ``.cpu.onnx``)."""
        found = files.parse(self.path)
        return self.path if found is None or found[1] is not self.variant else files.sibling(found[0], self.variant.net)

    @property
    def cpu_version(self) -> bool:
        """The real-time CPU version runs (in any precision)."""
        return self.variant.net is Variant.CPU

    @classmethod
    def given(cls, path: str | Path) -> FileChoice:
        """Exactly this file, as an engine's constructor is handed it (tests, benches)."""
        path = Path(path)
        found = files.parse(path)
        variant = Variant.FULL if found is None else found[1]
        return cls(path, variant, Reason.FILE_GIVEN, f"{path.name} was given")


@dataclass(frozen=True)
class StyleBundle:
    """A style (or upscaler) file with its siblings, read once. ``broken`` says why the
    style file itself cannot be used (None when it can)."""

    path: Path  # the style file, NAME.onnx: the full net
    source: str  # "bundled" | "user" | "extra"
    name: str
    title: str = ""
    arch: str = ""
    kind: str = "style"  # "style" | "upscaler" (stylecam.models.style.format.KINDS)
    factor: int = 1  # an upscaler's scale factor
    precision: str = "fp32"  # of the style file itself
    preview_png: bytes | None = None
    recipe: dict[str, Any] = field(default_factory=dict)
    broken: str | None = None
    variants: frozenset[Variant] = frozenset()  # the files present, FULL included
    cpu_arch: str = ""  # the CPU version's architecture, when it is valid
    cpu_problem: str | None = None  # why a present CPU version cannot be used

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def is_base(self) -> bool:
        """The file is a style's base (``NAME.onnx``), not a sibling's file passed by path."""
        return files.base_of(self.path) == self.path

    def file(self, variant: Variant) -> Path:
        """Where ``variant`` of this style sits (present or not)."""
        return self.path if variant is Variant.FULL else files.sibling(self.path, variant)

    def has(self, variant: Variant) -> bool:
        return variant in self.variants

    @property
    def cpu_version_ok(self) -> bool:
        """A real-time CPU version is present and belongs to this style."""
        return self.has(Variant.CPU) and self.cpu_problem is None

    def choose(self, backend: str, full_net: bool = False, *, low_precision: bool = True) -> FileChoice:
        """The file ``backend`` runs for this style, and why (see the module docstring)."""
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; one of {', '.join(BACKENDS)}")
        cpu = self.file(Variant.CPU).name if self.is_base else "NAME.cpu.onnx"
        if backend in GPU_BACKENDS:
            net, reason, why = Variant.FULL, Reason.GPU, "GPU engines run the full net"
        elif full_net:
            net, reason, why = Variant.FULL, Reason.FULL_NET_ASKED, "the full net was asked for"
        elif not self.has(Variant.CPU):
            net, reason, why = Variant.FULL, Reason.NO_CPU_VERSION, f"no real-time CPU version ({cpu})"
        elif self.cpu_problem is not None:
            net, reason, why = Variant.FULL, Reason.CPU_VERSION_INVALID, f"{cpu}: {self.cpu_problem}; running the full net"
        else:
            net, reason, why = Variant.CPU, Reason.CPU_VERSION, f"the real-time CPU version ({cpu})"
        if not self.is_base:  # a sibling's file passed as a style: it runs as it is
            return FileChoice(self.path, FileChoice.given(self.path).variant, reason, why)
        variant = net
        lower = LOW_PRECISION.get(backend)
        if low_precision and lower is not None and self.has(net.at(lower)):
            variant = net.at(lower)
            why += f", {lower} ({self.file(variant).name})"
        return FileChoice(self.file(variant), variant, reason, why)

    @property
    def notes(self) -> list[str]:
        """What matters for engines, in words, for the ``styles`` table."""
        out = []
        if self.precision != "fp32":
            out.append(self.precision)
        if self.has(Variant.INT8):
            out.append("OpenVINO int8")
        if self.has(Variant.FP16):
            out.append("fp16 variant (GPU)")
        if self.cpu_version_ok:
            out.append(f"real-time CPU version ({self.cpu_arch}{' + int8' if self.has(Variant.CPU_INT8) else ''})")
        elif self.has(Variant.CPU):
            out.append(f"CPU version broken ({self.cpu_problem})")
        return out

    # -------------------------------------------------------------------- reading

    @classmethod
    def read(cls, path: str | Path, source: str = "extra") -> StyleBundle:
        """The bundle of a style file; a broken file gives ``broken`` set, never an error."""
        path = Path(path)
        try:
            meta = read_style_metadata(path)
        except StyleError as e:
            return cls(path=path, source=source, name=path.stem, broken=e.problem)
        variants = files.present_variants(path) if files.base_of(path) == path else frozenset({Variant.FULL})
        cpu_arch, cpu_problem = "", None
        if Variant.CPU in variants:
            try:
                cpu_arch = _check_cpu_version(path, meta, files.sibling(path, Variant.CPU))["arch"]
            except StyleError as e:
                cpu_problem = e.problem
        return cls(path=path, source=source, name=meta["name"], title=meta["title"], arch=meta["arch"],
                   kind=meta["kind"], factor=meta["factor"], precision=meta["precision"],
                   preview_png=meta["preview_png"], recipe=meta["recipe"], variants=variants,
                   cpu_arch=cpu_arch, cpu_problem=cpu_problem)

    @classmethod
    def open(cls, path: str | Path, source: str = "extra") -> StyleBundle:
        """The bundle of a style file that can be used; ``StyleError`` naming it otherwise."""
        bundle = cls.read(path, source)
        if bundle.broken is not None:
            raise StyleError(bundle.path, bundle.broken)
        return bundle

    @classmethod
    def orphan(cls, path: Path, source: str) -> StyleBundle:
        """A sibling whose style is not beside it: listed as broken, never as a style of its
        own, so that it cannot shadow (or stand in for) a style of the same name elsewhere."""
        base = files.base_of(path) or path
        return cls(path=path, source=source, name=path.name[: -len(path.suffix)],
                   broken=f"a variant of {base.name}, which is not in this folder; put it beside "
                          f"{base.name}, or pass the file itself to run it")


def _check_cpu_version(style: Path, style_meta: dict[str, Any], cpu: Path) -> dict[str, Any]:
    """The CPU version's metadata; ``StyleError`` (naming the CPU version) unless it reads
    and was trained for the same style: the style name and the painting must agree."""
    meta = read_style_metadata(cpu)
    for what, a, b in (("style name", style_meta["name"], meta["name"]),
                       ("painting", style_meta["recipe"].get("style_image"), meta["recipe"].get("style_image"))):
        if a != b:
            raise StyleError(cpu, f"not a CPU version of {style.name}: its {what} is {b!r}, not {a!r}")
    return meta
