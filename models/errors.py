"""Typed errors that name the file and what is wrong, so commands can print one line."""

from __future__ import annotations

from pathlib import Path


class StyleError(Exception):
    """A style file (checkpoint or ONNX) that cannot be used, and why."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else Path(path)
        self.problem = problem
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")
