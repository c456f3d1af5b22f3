"""Typed errors that name the file and what is wrong, so commands can print one line."""

from __future__ import annotations

from pathlib import Path

from stylecam.errors import StylecamError


class StyleError(StylecamError):
    """A style file (checkpoint or ONNX) that cannot be used, and why."""


class EngineError(StyleError):
    """An inference engine that cannot run a style on this machine, and why.

    A subclass of ``StyleError`` so that callers which only want one line for "this style
    cannot be used" need to catch one type; callers that want to fall back to another
    engine can catch this one.
    """

    def __init__(self, path: str | Path | None, engine: str, problem: str) -> None:
        self.engine = engine
        self.reason = problem  # without the "engine ... cannot run here" prefix
        super().__init__(path, f"engine {engine!r} cannot run here: {problem}")
