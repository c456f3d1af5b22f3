"""The style menu: "Original" plus every style of the catalog, each with a thumbnail the
style itself rendered (its ``preview_png``). Keys 0-9 pick an entry, Left/Right cycle.

Entry 0 is always "Original"; entry i is ``styles[i - 1]``. A style that cannot be used
(broken file, engine failure) stays in the menu, disabled, with the reason, so a person
sees it exists and why it does not work.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QObject, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup, QColor, QIcon, QKeySequence, QPixmap
from PyQt6.QtWidgets import QComboBox, QMenu

THUMB = 48


def thumbnail(png: bytes | None, size: int = THUMB) -> QIcon:
    """An icon from a style's preview PNG; a plain grey square when it has none."""
    pixmap = QPixmap()
    if not png or not pixmap.loadFromData(png):
        pixmap = QPixmap(size, size)
        pixmap.fill(QColor(90, 90, 90))
    else:
        pixmap = pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                               Qt.TransformationMode.SmoothTransformation)
    return QIcon(pixmap)


class StyleMenu(QObject):
    """Keeps a menu and a combo box in step; emits ``chosen(index)`` when a person picks."""

    chosen = pyqtSignal(int)

    def __init__(self, menu: QMenu, combo: QComboBox, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.menu = menu
        self.combo = combo
        self.combo.setIconSize(QSize(24, 24))
        self.combo.activated.connect(self._combo_picked)
        self.styles: list[Any] = []
        self.actions: list[QAction] = []
        self.unavailable: dict[int, str] = {}
        self.current = 0
        self._group = QActionGroup(self)
        self._group.setExclusive(True)
        self.next_action = QAction("Next style", self)
        self.next_action.setShortcut(QKeySequence(Qt.Key.Key_Right))
        self.next_action.triggered.connect(lambda: self.step(+1))
        self.prev_action = QAction("Previous style", self)
        self.prev_action.setShortcut(QKeySequence(Qt.Key.Key_Left))
        self.prev_action.triggered.connect(lambda: self.step(-1))

    def populate(self, styles: list[Any]) -> None:
        """Rebuild the entries from catalog items (``name``, ``title``, ``preview_png``, ``broken``)."""
        self.styles = list(styles)
        self.menu.clear()
        self.combo.clear()
        for action in self.actions:
            self._group.removeAction(action)
        self.actions = []
        self.unavailable = {}
        entries = [("Original", None, None)] + [
            (getattr(s, "title", "") or s.name, getattr(s, "preview_png", None), getattr(s, "broken", None))
            for s in self.styles
        ]
        for i, (title, png, broken) in enumerate(entries):
            icon = thumbnail(png) if i else QIcon()
            action = QAction(icon, title, self)
            action.setCheckable(True)
            if i <= 9:
                action.setShortcut(QKeySequence(str(i)))
            action.triggered.connect(lambda _checked=False, index=i: self._picked(index))
            self._group.addAction(action)
            self.menu.addAction(action)
            self.actions.append(action)
            self.combo.addItem(icon, title)
            if broken:
                self.mark_unavailable(i, str(broken))
        self.menu.addSeparator()
        self.menu.addAction(self.prev_action)
        self.menu.addAction(self.next_action)
        self.set_current(min(self.current, len(entries) - 1))

    def index_of(self, name: str) -> int | None:
        """The entry of a style name (or "original"), or None."""
        if not name or name.lower() == "original":
            return 0
        for i, s in enumerate(self.styles, start=1):
            if s.name == name or str(getattr(s, "path", "")) == name:
                return i
        return None

    def name_of(self, index: int) -> str:
        return "original" if index == 0 else self.styles[index - 1].name

    def title_of(self, index: int) -> str:
        return self.actions[index].text() if 0 <= index < len(self.actions) else ""

    def set_current(self, index: int) -> None:
        """Show ``index`` as selected without emitting ``chosen``."""
        if not 0 <= index < len(self.actions):
            return
        self.current = index
        self.actions[index].setChecked(True)
        self.combo.setCurrentIndex(index)

    def mark_unavailable(self, index: int, reason: str) -> None:
        self.unavailable[index] = reason
        action = self.actions[index]
        action.setEnabled(False)
        action.setToolTip(reason)
        base = action.text().split("  (unavailable")[0]
        action.setText(f"{base}  (unavailable: {reason[:80]})")
        item = self.combo.model().item(index)
        if item is not None:
            item.setEnabled(False)
            item.setToolTip(reason)

    def mark_available(self, index: int) -> None:
        """Undo ``mark_unavailable`` (the reason may have been the engine, now changed)."""
        self.unavailable.pop(index, None)
        action = self.actions[index]
        action.setEnabled(True)
        action.setToolTip("")
        action.setText(action.text().split("  (unavailable")[0])
        item = self.combo.model().item(index)
        if item is not None:
            item.setEnabled(True)
            item.setToolTip("")

    def select(self, index: int) -> bool:
        """Pick an entry as if a person had (emits ``chosen``); False if it cannot be used."""
        if not 0 <= index < len(self.actions) or index in self.unavailable:
            self.set_current(self.current)
            return False
        self._picked(index)
        return True

    def step(self, delta: int) -> None:
        """The next usable entry in direction ``delta``, wrapping around."""
        n = len(self.actions)
        for k in range(1, n + 1):
            index = (self.current + delta * k) % n
            if index not in self.unavailable:
                self._picked(index)
                return

    def _picked(self, index: int) -> None:
        if index in self.unavailable:
            self.set_current(self.current)
            return
        self.set_current(index)
        self.chosen.emit(index)

    def _combo_picked(self, index: int) -> None:
        self.select(index)
