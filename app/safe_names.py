"""Making untrusted text safe for file names and for the terminal.

A style's name and title come from its file's metadata, which anyone can write: a name
like ``../../tmp/x`` must not steer an output path out of its folder, and escape codes
or newlines must not reach a file name or the terminal raw. The GUI and the CLI use
the same two functions, so a style is called the same everywhere.
"""

from __future__ import annotations

import re

#: Longest file-name component made from a style name: file systems allow 255 bytes and
#: the output name adds the input's stem and suffix around it.
MAX_COMPONENT = 64

_UNSAFE = re.compile(r"[^\w.+-]+")  # \w is Unicode-aware: letters of every script stay


def file_component(name: str, fallback: str = "style") -> str:
    """``name`` as one file-name component: no separators, dots at the ends, control or
    shell-special characters (each run becomes ``_``), at most ``MAX_COMPONENT`` long."""
    safe = _UNSAFE.sub("_", name or "")
    safe = safe.strip("._-")[:MAX_COMPONENT].strip("._-")
    return safe or fallback


def printable(text: object, limit: int | None = 200) -> str:
    """``text`` for one line of a terminal: control characters (escape codes, newlines,
    bidi overrides) shown as ``\\xNN`` / ``\\uNNNN`` escapes, cut to ``limit`` characters."""
    out = []
    for ch in str(text):
        if ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    line = "".join(out)
    if limit is not None and len(line) > limit:
        line = line[: max(1, limit - 1)] + "…"
    return line


def one_line(text: object, limit: int | None = 300) -> str:
    """A message from a library (OpenVINO, ONNX Runtime, OpenCV print several lines) as one
    line: lines joined with " / ", blank ones and repeated whitespace dropped."""
    lines = [" ".join(part.split()) for part in str(text).splitlines()]
    return printable(" / ".join(line for line in lines if line), limit)
