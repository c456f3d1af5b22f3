"""The naming rules of a style's files, in one place (torch-free).

A style (or an upscaler) is one base file ``NAME.onnx`` — the full net, the paper's —
and the siblings ``stylecam export`` may write beside it:

=================  ======================  ============================================
variant            file                    what it is
=================  ======================  ============================================
``FULL``           ``NAME.onnx``           the full net (what GPUs run); the style itself
``FP16``           ``NAME.fp16.onnx``      the full net computing in fp16 (the cuda engine)
``INT8``           ``NAME.int8.xml/.bin``  the full net, OpenVINO int8 IR
``CPU``            ``NAME.cpu.onnx``       the real-time CPU version (a smaller net)
``CPU_FP16``       ``NAME.cpu.fp16.onnx``  the CPU version in fp16 (written, never chosen)
``CPU_INT8``       ``NAME.cpu.int8.xml``   the CPU version, OpenVINO int8 IR (+ ``.bin``)
=================  ======================  ============================================

Everything else in the tree (catalog, engines, export, benches) builds and parses these
names through this module, so a new sibling is one line here. A name is read greedily:
a file whose name ends in a sibling's suffix is that sibling, never a style of its own
(so no style can be called ``x.cpu``); ``parse`` tells a sibling back to its base.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

STYLE_SUFFIX = ".onnx"
IR_WEIGHTS_SUFFIX = ".bin"  # an OpenVINO IR is ``.xml`` (the graph) + ``.bin`` (the weights)


class Variant(Enum):
    """One file of a style: (net tag, precision tag, extension)."""

    FULL = ("", "", ".onnx")
    FP16 = ("", ".fp16", ".onnx")
    INT8 = ("", ".int8", ".xml")
    CPU = (".cpu", "", ".onnx")
    CPU_FP16 = (".cpu", ".fp16", ".onnx")
    CPU_INT8 = (".cpu", ".int8", ".xml")

    @property
    def suffix(self) -> str:
        """What follows the style's name in this file's name, e.g. ``.cpu.int8.xml``."""
        return "".join(self.value)

    @property
    def net(self) -> Variant:
        """The ONNX net this file is a form of: ``FULL`` or ``CPU``."""
        return Variant.CPU if self.value[0] else Variant.FULL

    @property
    def precision(self) -> str:
        """``fp32``, ``fp16`` or ``int8``."""
        return self.value[1].lstrip(".") or "fp32"

    @property
    def is_ir(self) -> bool:
        """An OpenVINO IR (two files, ``.xml`` + ``.bin``)."""
        return self.value[2] == ".xml"

    def at(self, precision: str) -> Variant:
        """The same net at another precision (``fp32``, ``fp16``, ``int8``)."""
        tag = "" if precision == "fp32" else "." + precision
        for v in Variant:
            if v.value[0] == self.value[0] and v.value[1] == tag:
                return v
        raise ValueError(f"no {precision} form of the {self.net.name.lower()} net")


# Longest first: ``x.cpu.int8.xml`` is the CPU version's IR, not a file of a style ``x.cpu``.
_BY_LENGTH = sorted(Variant, key=lambda v: len(v.suffix), reverse=True)


def parse(path: str | Path) -> tuple[Path, Variant] | None:
    """``(base, variant)`` for any file of a style family (``x.cpu.onnx`` -> ``(x.onnx, CPU)``,
    ``x.onnx`` -> ``(x.onnx, FULL)``, an IR's ``.bin`` as its ``.xml``); None for other files."""
    path = Path(path)
    name = path.name
    for v in _BY_LENGTH:
        for suffix in (v.suffix, v.suffix[: -len(".xml")] + IR_WEIGHTS_SUFFIX) if v.is_ir else (v.suffix,):
            if name.endswith(suffix) and len(name) > len(suffix):
                return path.with_name(name[: -len(suffix)] + STYLE_SUFFIX), v
    return None


def base_of(path: str | Path) -> Path | None:
    """The style file a file belongs to (itself for a style); None for a file of no style."""
    found = parse(path)
    return None if found is None else found[0]


def is_sibling(path: str | Path) -> bool:
    """A file that belongs to another file's style (``x.fp16.onnx``, ``x.cpu.int8.bin``, ...)."""
    found = parse(path)
    return found is not None and found[1] is not Variant.FULL


def style_name(path: str | Path) -> str:
    """The name a file's place in its family implies: ``sr_x4.cpu.onnx`` -> ``sr_x4``."""
    base = base_of(path)
    return Path(path).stem if base is None else base.stem


def sibling(base: str | Path, variant: Variant) -> Path:
    """Where ``variant`` of the style ``base`` (a ``NAME.onnx``) sits."""
    base = Path(base)
    if base.suffix != STYLE_SUFFIX or is_sibling(base):
        raise ValueError(f"{base.name} is not a style's base file (NAME{STYLE_SUFFIX})")
    return base.with_name(base.name[: -len(STYLE_SUFFIX)] + variant.suffix)


def ir_weights(xml: str | Path) -> Path:
    """The ``.bin`` weights of an OpenVINO IR ``.xml``."""
    return Path(xml).with_suffix(IR_WEIGHTS_SUFFIX)


def present(path: str | Path) -> bool:
    """The file is there; for an IR, both its ``.xml`` and its ``.bin`` (one alone cannot load)."""
    path = Path(path)
    found = parse(path)
    if found is not None and found[1].is_ir:
        return path.is_file() and ir_weights(path).is_file()
    return path.is_file()


def present_variants(base: str | Path) -> frozenset[Variant]:
    """Which of a style's files are beside it (the base itself included when it exists)."""
    return frozenset(v for v in Variant if present(sibling(base, v)))


def form_of(net: str | Path, precision: str) -> Path:
    """A net file's form at ``precision``: ``x.onnx`` -> ``x.int8.xml``, ``x.cpu.onnx`` ->
    ``x.cpu.int8.xml``. ``net`` must be a style's ``FULL`` or ``CPU`` file."""
    found = parse(net)
    if found is None or found[1] not in (Variant.FULL, Variant.CPU):
        raise ValueError(f"{Path(net).name} is not a style's net (NAME.onnx or NAME.cpu.onnx)")
    return sibling(found[0], found[1].at(precision))
