"""``stylecam gui``: argument parsing (Qt-free, so ``stylecam --help`` needs no display)
and starting the app. Plain ``stylecam`` with no command runs this too."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_gui_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gui",
        help="open the live window (the default when no command is given)",
        description="Show a webcam or a video file stylized live, with a menu of styles. "
        "Keys: 0 original, 1-9 styles, Left/Right cycle, Up/Down strength, S split view, "
        "C keep colours, P snapshot, R record, F11 full screen, Esc leave it, Ctrl+O open.",
    )
    p.add_argument("--source", metavar="CAMERA_INDEX|FILE", default=None,
                   help="a camera index (0, 1, ...) or a video file, which loops (default: last used, "
                   "else the first camera)")
    p.add_argument("--style", metavar="NAME|FILE", default=None, help="style to start with (default: last used)")
    from stylecam.models.runtime.engines import CHOICES

    p.add_argument("--engine", choices=CHOICES, default=None, help="inference engine (default: last used, else auto)")
    p.add_argument("--styles-dir", metavar="DIR", type=Path, action="append", default=[],
                   help="another folder of .onnx styles (repeatable)")
    p.set_defaults(func=run_gui)


def _display_problem() -> str | None:
    """Qt aborts the process when it finds no display; say so in one line instead."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return None
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return ("no display found (neither DISPLAY nor WAYLAND_DISPLAY is set); run it on a desktop, "
                "or use `stylecam stylize` for files")
    return None


def run_gui(args: argparse.Namespace) -> int:
    for folder in getattr(args, "styles_dir", None) or []:
        if not Path(folder).is_dir():  # a typo must not pass as "no styles there"
            what = "no such folder" if not Path(folder).exists() else "not a folder"
            print(f"stylecam gui: error: --styles-dir {folder}: {what}", file=sys.stderr)
            return 2
    problem = _display_problem()
    if problem:
        print(f"stylecam: {problem}", file=sys.stderr)
        return 2
    from stylecam.app.gui.app import run

    return run(
        source=getattr(args, "source", None),
        style=getattr(args, "style", None),
        engine=getattr(args, "engine", None),
        styles_dirs=getattr(args, "styles_dir", None) or [],
    )
