"""The control bar: style, strength, preserve colours, steady (temporal stabilisation)
and its strength, processing resolution, engine, split view, snapshot and record. Widgets only; the window decides what they do.

Sliders and combo boxes never take keyboard focus, so the arrow and digit keys always
reach the style shortcuts.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QCheckBox, QComboBox, QLabel, QSlider, QToolBar, QWidget

from stylecam.app.gui.preferences import RESOLUTIONS


class ControlBar(QToolBar):
    """Exposes its widgets as attributes; the shared actions are added by the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Controls", parent)
        self.setObjectName("controls")
        self.setMovable(False)
        self.style_combo = QComboBox()
        self.style_combo.setToolTip("Style (keys 0-9, Left/Right)")
        self.style_combo.setMinimumContentsLength(12)
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 100)
        self.strength.setFixedWidth(110)
        self.strength.setToolTip("Strength: how much of the style is mixed in (Up/Down)")
        self.strength_label = QLabel("100%")
        self.strength_label.setMinimumWidth(40)
        self.strength.valueChanged.connect(lambda v: self.strength_label.setText(f"{v}%"))
        self.preserve = QCheckBox("Keep colours")
        self.preserve.setToolTip("Preserve the original colours; take only the brush work from the style (C)")
        self.steady = QCheckBox("Steady")
        self.steady.setToolTip("Reduce flicker: carry the painting along with the motion from frame to frame, "
                               "except where the picture changed (T)")
        self.steady_strength = QSlider(Qt.Orientation.Horizontal)
        self.steady_strength.setRange(0, 100)
        self.steady_strength.setFixedWidth(70)
        self.steady_strength.setToolTip("Steadiness: how much of the previous frame's painting is kept")
        self.steady_strength.setEnabled(False)
        self.steady.toggled.connect(self.steady_strength.setEnabled)
        self.resolution = QComboBox()
        self.resolution.addItems(list(RESOLUTIONS))
        self.resolution.setToolTip("Processing resolution: lower is faster")
        self.engine = QComboBox()
        self.engine.setToolTip("Inference engine")
        self.engine_label = QLabel("")
        self.engine_label.setToolTip("The engine and provider that run the current style")
        for w in (self.style_combo, self.strength, self.preserve, self.steady, self.steady_strength, self.resolution,
                  self.engine):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.addWidget(self.style_combo)
        self.addSeparator()
        self.addWidget(QLabel(" Strength "))
        self.addWidget(self.strength)
        self.addWidget(self.strength_label)
        self.addWidget(self.preserve)
        self.addWidget(self.steady)
        self.addWidget(self.steady_strength)
        self.addSeparator()
        self.addWidget(QLabel(" Size "))
        self.addWidget(self.resolution)
        self.addWidget(QLabel(" Engine "))
        self.addWidget(self.engine)
        self.addWidget(self.engine_label)
        self.addSeparator()

    def add_actions(self, *actions: QAction) -> None:
        for action in actions:
            self.addAction(action)

    def set_engines(self, available: list[str], all_names: tuple[str, ...], current: str) -> None:
        """List "auto" and every engine; those not working here are shown but disabled."""
        self.engine.blockSignals(True)
        self.engine.clear()
        for name in ("auto", *all_names):
            self.engine.addItem(name)
            if name != "auto" and name not in available:
                item = self.engine.model().item(self.engine.count() - 1)
                item.setEnabled(False)
                item.setToolTip("not available on this machine")
        index = self.engine.findText(current)
        self.engine.setCurrentIndex(max(0, index))
        self.engine.blockSignals(False)
