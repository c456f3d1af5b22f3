"""The one error base: every failure stylecam reports to a person is a ``StylecamError``.

It carries the file it is about (or None) and the problem in words, so every command can
print it as one line, ``PATH: PROBLEM``, and exit non-zero, whatever layer raised it.
"""

from __future__ import annotations

from pathlib import Path


class StylecamError(Exception):
    """A file (or None) that cannot be used, and why, in one line."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else Path(path)
        self.problem = problem
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")
