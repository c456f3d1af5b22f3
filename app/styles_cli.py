"""``stylecam styles``: list the style catalog as a table (torch-free).

A style's name, title and notes come from files anyone can write, so every cell is made
printable (no escape codes or newlines reach the terminal) and cut to a column width:
one 5 MB title once padded every row to 5 MB. The table fits a terminal: files are
shown by name, and the folders they are in are listed once underneath.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from stylecam.app.safe_names import printable

#: Widest each column may be (characters); cells beyond it end in "…". The notes column
#: takes what the terminal has left, so the table fits the terminal.
COLUMN_LIMITS = {"name": 24, "title": 32, "architecture": 12, "notes": 44, "file": 36}


def add_styles_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "styles",
        help="list the available styles (bundled, your styles folder, --styles-dir)",
        description="List every style file found: name, title, architecture, notes that matter for "
        "engines (int8 / fp16 variants, the real-time CPU version), and the file; the folders "
        "searched are listed underneath. Broken or foreign files are shown as broken with the reason.",
    )
    p.add_argument("--styles-dir", type=Path, action="append", default=[], metavar="DIR",
                   help="another folder of .onnx styles (repeatable; searched first)")
    p.set_defaults(func=run_styles)


def format_table(rows: list[list[str]], header: list[str], limits: list[int] | None = None) -> str:
    """Columns padded to their widest cell, each cell printable and cut to its limit."""
    limits = limits or [COLUMN_LIMITS.get(h, 40) for h in header]
    cells = [[printable(c, lim) for c, lim in zip(r, limits, strict=True)] for r in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_styles(args: argparse.Namespace) -> int:
    from stylecam.models.style.catalog import discover, user_styles_dir

    for folder in args.styles_dir:
        if not folder.is_dir():
            print(f"stylecam styles: error: --styles-dir {printable(folder)}: "
                  f"{'no such folder' if not folder.exists() else 'not a folder'}", file=sys.stderr)
            return 2
    styles = discover(args.styles_dir)
    if not styles:
        print(f"no styles found; put .onnx style files in {user_styles_dir()} or pass --styles-dir")
        return 0
    rows = []
    folders: dict[Path, str] = {}
    for s in styles:
        folders.setdefault(s.path.parent, s.source)
        if s.ok:
            rows.append([s.name, s.title, s.arch, ", ".join([s.source, *s.notes]), s.path.name])
        else:
            rows.append([s.name, f"broken: {s.broken}", "", s.source, s.path.name])
    header = ["name", "title", "architecture", "notes", "file"]
    limits = [COLUMN_LIMITS[h] for h in header]
    # The notes take what the terminal has left (at least 30 characters, at most 90).
    used = sum(min(lim, max(len(printable(r[i], None)) for r in [header, *rows]))
               for i, lim in enumerate(limits) if header[i] != "notes")
    columns = shutil.get_terminal_size((100, 24)).columns
    limits[3] = max(30, min(90, columns - used - 2 * (len(header) - 1)))
    print(format_table(rows, header, limits))
    _print_upscalers(args.styles_dir)
    print()
    for folder, source in folders.items():
        print(f"{source}: {printable(folder, 300)}")
    print(f"your styles folder: {user_styles_dir()}")
    return 0


def _print_upscalers(extra_dirs: list[Path]) -> None:
    """Upscalers (``stylecam upscale``) are listed apart: they are not styles."""
    from stylecam.models.style.catalog import discover

    ups = [u for u in discover(extra_dirs, kind="upscaler") if u.ok]  # broken files are in the table above
    if not ups:
        return
    rows = [[u.name, f"x{u.factor}", u.arch, ", ".join([u.source, *u.notes]), u.path.name] for u in ups]
    print("\nupscalers (stylecam upscale):")
    print(format_table(rows, ["name", "factor", "arch", "notes", "file"],
                       [COLUMN_LIMITS.get("name", 24), 6, 12, 60, COLUMN_LIMITS.get("file", 36)]))
