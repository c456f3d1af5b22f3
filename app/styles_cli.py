"""``stylecam styles``: list the style catalog as a table (torch-free)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_styles_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "styles",
        help="list the available styles (bundled, your styles folder, --styles-dir)",
        description="List every style file found: name, title, architecture, notes that matter for "
        "engines (int8 / fp16 variants), and the file. Broken or foreign files are shown as broken "
        "with the reason.",
    )
    p.add_argument("--styles-dir", type=Path, action="append", default=[], metavar="DIR",
                   help="another folder of .onnx styles (repeatable; searched first)")
    p.set_defaults(func=run_styles)


def format_table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_styles(args: argparse.Namespace) -> int:
    from stylecam.models.style.catalog import discover, user_styles_dir

    styles = discover(args.styles_dir)
    if not styles:
        print(f"no styles found; put .onnx style files in {user_styles_dir()} or pass --styles-dir")
        return 0
    rows = []
    for s in styles:
        if s.ok:
            rows.append([s.name, s.title, s.arch, ", ".join([s.source, *s.notes]), str(s.path)])
        else:
            rows.append([s.name, f"broken: {s.broken}", "", s.source, str(s.path)])
    print(format_table(rows, ["name", "title", "architecture", "notes", "file"]))
    _print_upscalers(args.styles_dir)
    print(f"\nyour styles folder: {user_styles_dir()}")
    return 0


def _print_upscalers(extra_dirs: list[Path]) -> None:
    """Upscalers (``stylecam upscale``) are listed apart: they are not styles."""
    from stylecam.models.style.catalog import discover

    ups = [u for u in discover(extra_dirs, kind="upscaler") if u.ok]  # broken files are in the table above
    if not ups:
        return
    rows = [[u.name, f"x{u.factor}", u.arch, ", ".join([u.source, *u.notes]), str(u.path)] for u in ups]
    print("\nupscalers (stylecam upscale):")
    print(format_table(rows, ["name", "factor", "architecture", "notes", "file"]))
