"""Which style runs: the menu's choice -> an engine opened in the background -> the
frame processor of the live session.

The person's choice (``wanted``) and what actually runs (``running``) are kept apart: a
style that is still loading leaves the previous one running, a style that fails to load
is marked unavailable with the reason and the previous one stays. With engine ``auto``
the first style decides by timing the engines; the others are opened on the engine it
chose and loaded ahead of time, so switching is instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from stylecam.app.frame_processor import FrameProcessor
from stylecam.app.gui.live import LiveSession
from stylecam.app.gui.preferences import Preferences
from stylecam.app.gui.style_menu import StyleMenu
from stylecam.app.live.engine_loader import EngineFactory, EngineLoader
from stylecam.app.live.style_choice import as_if_chosen, menu_order
from stylecam.models.runtime.engines import CHOICES


def _available_engines() -> list[str]:
    from stylecam.models.runtime.engines import available_engines

    return available_engines()


class _LoaderSignals(QObject):
    """The engine loader's callbacks as signals: they are called on the loader thread, and
    a queued signal runs its slot on the GUI thread."""

    loaded = pyqtSignal(str, object)
    failed = pyqtSignal(str, str)
    busy = pyqtSignal(str)
    engines = pyqtSignal(list)


class StyleSwitcher(QObject):
    """Owns the engine loader; tells the window what runs (``engineRunning``), what is
    being prepared (``busy``; "" when nothing) and what went wrong (``message``)."""

    engineRunning = pyqtSignal(object)  # the engine now running, None for "Original"
    busy = pyqtSignal(str)
    message = pyqtSignal(str)
    enginesFound = pyqtSignal(list)  # engines that really work on this machine

    def __init__(self, menu: StyleMenu, processor: FrameProcessor, session: LiveSession, prefs: Preferences,
                 factory: EngineFactory, engine_choice: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.menu = menu
        self.processor = processor
        self.session = session
        self.prefs = prefs
        self.engine_choice = engine_choice if engine_choice in CHOICES else "auto"
        self.loader_signals = _LoaderSignals(self)
        s = self.loader_signals
        # Connected before the loader's thread starts: its first report (the probe) may come at once.
        s.loaded.connect(self._loaded)
        s.failed.connect(self._failed)
        s.busy.connect(lambda key: self.busy.emit(f"Preparing {key} on {self.engine_choice}…"))
        s.engines.connect(self.enginesFound.emit)
        self.loader = EngineLoader(factory, probe=_available_engines, on_loaded=s.loaded.emit,
                                   on_failed=s.failed.emit, on_busy=s.busy.emit, on_engines=s.engines.emit)
        self.wanted = 0  # the entry the person asked for (may still be loading)
        self.running = 0  # the entry whose engine is running now
        self.active_engine: Any = None
        self.auto_resolved: str | None = None  # the engine ``auto`` chose for the first style
        self._retried_auto: set[str] = set()
        self._prefetched = False
        menu.chosen.connect(self.choose)

    # -- the catalog ----------------------------------------------------------------

    def load_catalog(self, styles_dirs: Sequence[Path]) -> None:
        from stylecam.models.style.catalog import discover

        try:
            styles = discover(styles_dirs)
        except Exception as e:  # a catalog failure leaves "Original" usable
            styles = []
            self.message.emit(f"cannot list styles: {e}")
        self.menu.populate(menu_order(styles))

    def add_style_file(self, name_or_path: str, styles_dirs: Sequence[Path], complain: bool = True) -> int | None:
        """A style given by name or path (``--style``, drag and drop) joins the menu."""
        from stylecam.models.errors import StyleError
        from stylecam.models.style.catalog import resolve

        try:
            info = resolve(name_or_path, styles_dirs)
        except StyleError as e:
            if complain:
                self.message.emit(str(e))
            return None
        existing = self.menu.index_of(info.name)
        if existing is not None and existing > 0 and self.menu.styles[existing - 1].path == info.path:
            return existing
        self.menu.populate([*self.menu.styles, info])
        return len(self.menu.actions) - 1

    def first_usable(self) -> int:
        """The first style that is not broken, else "Original"."""
        return next((i for i in range(1, len(self.menu.actions)) if i not in self.menu.unavailable), 0)

    # -- choosing -------------------------------------------------------------------

    def choose(self, index: int) -> None:
        """Switch to entry ``index`` (0 = Original); the running style goes on meanwhile."""
        if not 0 <= index < len(self.menu.actions):
            return
        if index in self.menu.unavailable:
            self.message.emit(f"{self._title(index)} is unavailable: {self.menu.unavailable[index]}")
            self.menu.set_current(self.running)
            return
        self.wanted = index
        self.menu.set_current(index)
        self.prefs.style = self.menu.name_of(index)
        if index == 0:
            self._run(0, None)
            return
        info = self.menu.styles[index - 1]
        self.loader.request(info.name, info.path, self._engine_to_open())

    def set_engine_choice(self, name: str) -> None:
        """Another engine (or ``auto``): styles that failed get another chance."""
        if not name or name == self.engine_choice or name not in CHOICES:
            return
        self.engine_choice = name
        self.auto_resolved = None
        self._retried_auto.clear()
        self._prefetched = False
        self.loader.clear_prefetches()
        self.loader.forget_failures()
        for i in list(self.menu.unavailable):
            if i and not self.menu.styles[i - 1].broken:
                self.menu.mark_available(i)
        self.choose(self.wanted)

    def engine_text(self) -> str:
        """Beside the selector: what really runs (with ``auto``, what it chose)."""
        engine = self.active_engine
        if engine is None:
            return ""
        label = getattr(engine, "label", engine.provider)
        return f" → {label}" if self.engine_choice == "auto" else f" {label}"

    def shutdown(self) -> None:
        self.loader.shutdown()

    # -- internals ------------------------------------------------------------------

    def _title(self, index: int) -> str:
        return self.menu.title_of(index).split("  (unavailable")[0]

    def _engine_to_open(self) -> str:
        return (self.auto_resolved or "auto") if self.engine_choice == "auto" else self.engine_choice

    def _prefetch(self) -> None:
        """Open the other styles in the background, so switching to them is instant."""
        if self._prefetched:
            return
        self._prefetched = True
        for i, info in enumerate(self.menu.styles, start=1):
            if i not in self.menu.unavailable and i != self.running:
                self.loader.prefetch(info.name, info.path, self._engine_to_open())

    def _loaded(self, key: str, engine: Any) -> None:
        if self.loader.pending == 0:
            self.busy.emit("")
        index = self.menu.index_of(key)
        if engine is not None and self.engine_choice == "auto" and self.auto_resolved is None:
            self.auto_resolved = engine.name
            if index and as_if_chosen(self.menu.styles[index - 1], engine):
                self.loader.remember(self.menu.styles[index - 1].path, engine.name, engine)
        if index is None or index != self.wanted:
            return  # a prefetch, or a newer choice was made meanwhile; it stays cached
        self._run(index, engine)
        self._prefetch()

    def _failed(self, key: str, reason: str) -> None:
        if self.loader.pending == 0:
            self.busy.emit("")
        index = self.menu.index_of(key)
        if index is None or index == 0:
            return
        if self.engine_choice == "auto" and self.auto_resolved and key not in self._retried_auto:
            self._retried_auto.add(key)  # the engine chosen for the others may not suit this one
            path = self.menu.styles[index - 1].path
            if index == self.wanted:
                self.loader.request(key, path, "auto")
            else:
                self.loader.prefetch(key, path, "auto")
            return
        self.menu.mark_unavailable(index, reason)
        self.message.emit(f"{self._title(index)} cannot be used: {reason}")
        if index == self.wanted:
            self.wanted = self.running
            self.menu.set_current(self.running)

    def _run(self, index: int, engine: Any) -> None:
        self.processor.configure(engine=engine)
        self.session.set_processor(self.processor, self.menu.name_of(index))
        self.running = index
        self.active_engine = engine
        if engine is not None:
            self.prefs.engine = self.engine_choice  # remembered once it has worked
        self.engineRunning.emit(engine)
