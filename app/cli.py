"""The ``stylecam`` command. Sub-commands that need torch import it only when run."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stylecam",
        description="Turn a webcam or video files into moving paintings (fast neural style "
        "transfer, Johnson et al. 2016). Run without a command to open the app.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from training.cli import add_optimize_parser, add_train_parser

    add_train_parser(sub)
    add_optimize_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv)  # recorded in checkpoints as the exact command line
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
