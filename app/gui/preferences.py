"""What the app remembers between runs (QSettings, organisation "stylecam").

Typed accessors keep the rest of the GUI from parsing strings; a value that does not
parse (an older version, a hand edit) falls back to the default instead of failing.
Tests pass their own ``QSettings`` (an INI file in a temporary folder).
"""

from __future__ import annotations

from PyQt6.QtCore import QByteArray, QSettings

from stylecam.app.stabilize import DEFAULT_STRENGTH as DEFAULT_STABILIZE

ORGANISATION = "stylecam"
APPLICATION = "stylecam"
RESOLUTIONS: dict[str, int | None] = {"360p": 360, "480p": 480, "720p": 720, "native": None}
DEFAULT_RESOLUTION = "480p"


def default_settings() -> QSettings:
    return QSettings(ORGANISATION, APPLICATION)


class _Toggle:
    """An on/off preference stored under its own name: one rule for every toggle
    (an INI store hands back strings; see _bool)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __get__(self, prefs: Preferences | None, owner: type) -> bool:
        if prefs is None:
            return self  # type: ignore[return-value]
        return _bool(prefs._get(self.key, False))

    def __set__(self, prefs: Preferences, value: bool) -> None:
        prefs._set(self.key, bool(value))


class Preferences:
    """Last style, source, strength, resolution, engine, toggles and window geometry."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else default_settings()

    def _get(self, key: str, default: object) -> object:
        value = self.store.value(key, default)
        return default if value is None else value

    def _set(self, key: str, value: object) -> None:
        self.store.setValue(key, value)

    @property
    def style(self) -> str:
        return str(self._get("style", ""))

    @style.setter
    def style(self, name: str) -> None:
        self._set("style", name)

    @property
    def source(self) -> str:
        """A camera index ("0") or a file path; empty for "choose for me"."""
        return str(self._get("source", ""))

    @source.setter
    def source(self, spec: str) -> None:
        self._set("source", spec)

    @property
    def strength(self) -> float:
        try:
            return min(1.0, max(0.0, float(self._get("strength", 1.0))))
        except (TypeError, ValueError):
            return 1.0

    @strength.setter
    def strength(self, value: float) -> None:
        self._set("strength", float(value))

    @property
    def resolution(self) -> str:
        value = str(self._get("resolution", DEFAULT_RESOLUTION))
        return value if value in RESOLUTIONS else DEFAULT_RESOLUTION

    @resolution.setter
    def resolution(self, value: str) -> None:
        self._set("resolution", value)

    @property
    def engine(self) -> str:
        return str(self._get("engine", "auto"))

    @engine.setter
    def engine(self, value: str) -> None:
        self._set("engine", value)

    preserve_colors = _Toggle("preserve_colors")  # keep-colours toggle

    split = _Toggle("split")  # split view

    steady = _Toggle("steady")  # the "Steady" toggle (temporal stabilisation, app/stabilize.py)

    @property
    def steady_strength(self) -> float:
        try:
            return min(1.0, max(0.0, float(self._get("steady_strength", DEFAULT_STABILIZE))))
        except (TypeError, ValueError):
            return DEFAULT_STABILIZE

    @steady_strength.setter
    def steady_strength(self, value: float) -> None:
        self._set("steady_strength", float(value))

    upscale = _Toggle("upscale")  # the "Upscale ×4" toggle (low-resolution sources; app/gui/upscale_toggle.py)

    @property
    def geometry(self) -> QByteArray | None:
        value = self.store.value("geometry")
        return value if isinstance(value, QByteArray) else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._set("geometry", value)

    @property
    def output_dir(self) -> str:
        """Where snapshots and recordings go; empty means the platform's pictures/videos."""
        return str(self._get("output_dir", ""))

    @output_dir.setter
    def output_dir(self, value: str) -> None:
        self._set("output_dir", value)

    def sync(self) -> None:
        self.store.sync()


def _bool(value: object) -> bool:
    if isinstance(value, str):  # INI files give strings back
        return value.lower() in ("1", "true", "yes", "on")
    return bool(value)
