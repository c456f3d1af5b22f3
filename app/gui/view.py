"""The video view: the newest frame, scaled to fit with its aspect ratio kept, and an
optional split (original | stylized) with a divider the mouse can drag."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget


def to_qimage(frame: np.ndarray) -> QImage:
    """Wrap a BGR frame without copying; the caller keeps ``frame`` alive while it is used."""
    frame = np.ascontiguousarray(frame)
    h, w = frame.shape[:2]
    return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888)


def fit_rect(image_w: int, image_h: int, area: QRect) -> QRect:
    """The largest rectangle of the image's aspect ratio centred in ``area``."""
    if image_w <= 0 or image_h <= 0:
        return QRect(area)
    scale = min(area.width() / image_w, area.height() / image_h)
    w, h = max(1, round(image_w * scale)), max(1, round(image_h * scale))
    return QRect(area.x() + (area.width() - w) // 2, area.y() + (area.height() - h) // 2, w, h)


class VideoView(QWidget):
    """Paints frames handed over by ``show_frames``; the split divider follows the mouse."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        self.split = False
        self.divider = 0.5  # fraction of the picture's width shown as the original
        self.message = ""
        self._original: np.ndarray | None = None
        self._stylized: np.ndarray | None = None
        self._dragging = False
        self.painted = 0

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    def show_frames(self, original: np.ndarray, stylized: np.ndarray) -> None:
        self._original, self._stylized = original, stylized
        self.update()

    def clear(self) -> None:
        self._original = self._stylized = None
        self.update()

    def set_split(self, on: bool) -> None:
        self.split = on
        self.setCursor(Qt.CursorShape.SplitHCursor if on else Qt.CursorShape.ArrowCursor)
        self.update()

    def set_divider(self, fraction: float) -> None:
        self.divider = min(1.0, max(0.0, fraction))
        self.update()

    def set_message(self, text: str) -> None:
        """A line drawn over the video (errors, "loading…"); empty to hide it."""
        self.message = text
        self.update()

    def picture_rect(self) -> QRect:
        frame = self._stylized
        if frame is None:
            return QRect(self.rect())
        return fit_rect(frame.shape[1], frame.shape[0], self.rect())

    # -- painting ---------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        stylized, original = self._stylized, self._original
        if stylized is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            target = self.picture_rect()
            styl_img = to_qimage(stylized)
            if self.split and original is not None:
                orig_img = to_qimage(original)
                cut = target.x() + round(target.width() * self.divider)
                left = QRectF(target.x(), target.y(), cut - target.x(), target.height())
                right = QRectF(cut, target.y(), target.right() + 1 - cut, target.height())
                ox = orig_img.width() / target.width()
                sx = styl_img.width() / target.width()
                painter.drawImage(left, orig_img, QRectF(0, 0, left.width() * ox, orig_img.height()))
                painter.drawImage(right, styl_img, QRectF((cut - target.x()) * sx, 0, right.width() * sx,
                                                          styl_img.height()))
                painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
                painter.drawLine(QPointF(cut, target.top()), QPointF(cut, target.bottom()))
            else:
                painter.drawImage(target, styl_img)
            self.painted += 1
        if self.message:
            painter.setPen(QColor(255, 255, 255))
            font = painter.font()
            font.setPointSizeF(max(11.0, font.pointSizeF() * 1.2))
            painter.setFont(font)
            box = self.rect().adjusted(20, 20, -20, -20)
            flags = Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
            bound = painter.boundingRect(box, flags, self.message).adjusted(-10, -6, 10, 6)
            painter.fillRect(bound, QColor(0, 0, 0, 170))
            painter.drawText(box, flags, self.message)
        painter.end()

    # -- the divider ----------------------------------------------------------------

    def _fraction_at(self, x: float) -> float:
        target = self.picture_rect()
        return (x - target.x()) / max(1, target.width())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.split and event.button() == Qt.MouseButton.LeftButton:
            self._dragging = True
            self._drag_to(event.position().x())
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            self._drag_to(event.position().x())
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._dragging and event.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
        else:
            super().mouseReleaseEvent(event)

    def _drag_to(self, x: float) -> None:
        self.set_divider(self._fraction_at(x))
