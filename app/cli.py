"""The ``stylecam`` command. Sub-commands that need torch import it only when run."""

from __future__ import annotations

import argparse
import sys

_ARGV: list[str] = []  # the command line being parsed, for the hint in Parser.error


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (the house rule for every failure), and a hint for a
    file whose name starts with '-', which argparse can only read as an unknown option."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from pathlib import Path

        dashed = [a for a in _ARGV if a.startswith("-") and len(a) > 1 and Path(a).is_file()]
        if dashed:
            message = (f"{dashed[0]}: a file name starting with '-' reads as an option; "
                       f"write ./{dashed[0]} (or put -- before the file names)")
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="stylecam",
        description="Turn a webcam or video files into moving paintings (fast neural style "
        "transfer, Johnson et al. 2016). Run without a command to open the app.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from stylecam.app.gui.command import add_gui_parser
    from stylecam.app.styles_cli import add_styles_parser
    from stylecam.app.stylize import add_stylize_parser
    from stylecam.app.upscale import add_upscale_parser
    from stylecam.export.cli import add_export_parser
    from stylecam.training.cli import add_optimize_parser, add_train_parser, add_train_sr_parser

    add_train_parser(sub)
    add_optimize_parser(sub)
    add_train_sr_parser(sub)
    add_export_parser(sub)
    add_styles_parser(sub)
    add_stylize_parser(sub)
    add_upscale_parser(sub)
    add_gui_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        _ARGV[:] = argv
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:  # plain `stylecam` opens the app
            args = parser.parse_args(["gui"])
        args.argv = list(argv)  # recorded in checkpoints as the exact command line
        return int(args.func(args) or 0)
    except KeyboardInterrupt:  # Ctrl-C before a command took charge (imports, parsing)
        print("\nstylecam: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `stylecam styles | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
