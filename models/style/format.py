"""What makes an ``.onnx`` file a stylecam style, and reading its metadata cheaply.

A style file carries its own description in the ONNX ``metadata_props``. The runtime
must read it without torch and without the ``onnx`` package (neither is a runtime
dependency), and the catalog must list dozens of styles without building an inference
session for each. ONNX files are protocol buffers, and ``metadata_props`` is a top-level
field of ``ModelProto``, so a tiny wire-format walk that *skips* the graph (by seeking
past it) reads the metadata of any style in microseconds.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, BinaryIO

from stylecam.models.errors import StyleError

FORMAT = "stylecam-style/1"

# metadata_props keys (all values are strings; JSON where noted)
KEY_FORMAT = "stylecam.format"
KEY_NAME = "stylecam.name"
KEY_TITLE = "stylecam.title"
KEY_ARCH = "stylecam.arch"
KEY_CONFIG = "stylecam.config"  # JSON
KEY_RECIPE = "stylecam.recipe"  # JSON: training recipe + command + losses
KEY_PREVIEW = "stylecam.preview_png"  # base64 PNG rendered by the style
KEY_PREVIEW_SOURCE = "stylecam.preview_source"  # what the preview was rendered from
KEY_PRECISION = "stylecam.precision"  # "fp32" | "fp16"
KEY_VERIFY = "stylecam.verification"  # JSON: export check figures
KEY_KIND = "stylecam.kind"  # "style" (absent in older files) | "upscaler"
KEY_FACTOR = "stylecam.factor"  # upscalers: the integer scale factor, e.g. "4"
KINDS = ("style", "upscaler")

INPUT_NAME = "frame"
OUTPUT_NAME = "stylized"

# ModelProto field numbers (onnx.proto3)
_IR_VERSION = 1
_GRAPH = 7
_METADATA_PROPS = 14


def _varint(f: BinaryIO) -> int | None:
    """One protobuf varint, or None at a clean end of file."""
    shift = result = 0
    while True:
        b = f.read(1)
        if not b:
            if shift == 0:
                return None
            raise ValueError("file ends inside a varint")
        result |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return result
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _string_pair(blob: bytes) -> tuple[str, str]:
    """Decode a StringStringEntryProto (1: key, 2: value)."""
    import io

    f = io.BytesIO(blob)
    out = {1: "", 2: ""}
    while (tag := _varint(f)) is not None:
        field, wire = tag >> 3, tag & 7
        if wire != 2:
            raise ValueError("malformed metadata entry")
        n = _varint(f)
        data = f.read(n or 0)
        if n is None or len(data) != n:
            raise ValueError("metadata entry runs past its end")
        if field in out:
            out[field] = data.decode("utf-8")
    return out[1], out[2]


def read_onnx_metadata(path: str | Path) -> dict[str, str]:
    """All ``metadata_props`` of an ONNX file, without loading the graph.

    Raises ``StyleError`` when the file is missing or is not an ONNX model (garbage,
    truncated, or some other protobuf without a graph).
    """
    path = Path(path)
    if not path.is_file():
        raise StyleError(path, "no such file")
    size = path.stat().st_size
    if size == 0:
        raise StyleError(path, "empty file")
    meta: dict[str, str] = {}
    seen: set[int] = set()
    try:
        with path.open("rb") as f:
            while (tag := _varint(f)) is not None:
                field, wire = tag >> 3, tag & 7
                if field == 0:
                    raise ValueError("field number 0")
                seen.add(field)
                if wire == 0:
                    _varint(f)
                elif wire == 1:
                    f.seek(8, 1)
                elif wire == 5:
                    f.seek(4, 1)
                elif wire == 2:
                    n = _varint(f)
                    if n is None or f.tell() + n > size:
                        raise ValueError("a field runs past the end of the file (truncated?)")
                    if field == _METADATA_PROPS:
                        key, value = _string_pair(f.read(n))
                        meta[key] = value
                    else:
                        f.seek(n, 1)
                else:
                    raise ValueError(f"invalid wire type {wire}")
            if f.tell() != size:
                raise ValueError("trailing bytes")
    except (ValueError, UnicodeDecodeError) as e:
        raise StyleError(path, f"not an ONNX model ({e})") from None
    except OSError as e:
        raise StyleError(path, f"cannot read ({e})") from None
    if _GRAPH not in seen or _IR_VERSION not in seen:
        raise StyleError(path, "not an ONNX model (no graph)")
    return meta


def read_style_metadata(path: str | Path) -> dict[str, Any]:
    """The decoded stylecam metadata of a style file, or ``StyleError`` if it is not one."""
    path = Path(path)
    raw = read_onnx_metadata(path)
    fmt = raw.get(KEY_FORMAT)
    if fmt is None:
        raise StyleError(path, "a valid ONNX model, but not a stylecam style (no stylecam metadata)")
    if fmt != FORMAT:
        raise StyleError(path, f"unsupported style format {fmt!r} (this stylecam reads {FORMAT!r})")
    if not raw.get(KEY_NAME):
        raise StyleError(path, "style metadata has no name")

    def js(key: str) -> dict[str, Any]:
        try:
            value = json.loads(raw.get(key) or "{}")
        except json.JSONDecodeError as e:
            raise StyleError(path, f"metadata {key} is not valid JSON ({e})") from None
        return value if isinstance(value, dict) else {}

    preview = None
    if raw.get(KEY_PREVIEW):
        try:
            preview = base64.b64decode(raw[KEY_PREVIEW], validate=True)
        except ValueError:
            preview = None
    kind = raw.get(KEY_KIND) or "style"
    if kind not in KINDS:
        raise StyleError(path, f"unknown kind of model {kind!r} (this stylecam knows {', '.join(KINDS)})")
    factor = 1
    if kind == "upscaler":
        try:
            factor = int(raw.get(KEY_FACTOR) or "")
        except ValueError:
            factor = 0
        if factor < 2:
            raise StyleError(path, f"an upscaler without a valid scale factor ({raw.get(KEY_FACTOR)!r})")
    return {
        "kind": kind,
        "factor": factor,
        "name": raw[KEY_NAME],
        "title": raw.get(KEY_TITLE) or raw[KEY_NAME],
        "arch": raw.get(KEY_ARCH, ""),
        "config": js(KEY_CONFIG),
        "recipe": js(KEY_RECIPE),
        "preview_png": preview,
        "preview_source": raw.get(KEY_PREVIEW_SOURCE, ""),
        "precision": raw.get(KEY_PRECISION, "fp32"),
        "verification": js(KEY_VERIFY),
    }
