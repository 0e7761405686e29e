"""Colour widgets for the dominant-colour analyzer (photoapp.core.analyzers.colors):

- ``ColorSwatchRow``: the twelve palette colours as small round buttons, a colour filter for the
  sidebar; clicking one asks for the photos where that colour dominates (``color:NAME``).
- ``ColorChips``: one photo's colours as chips (swatch, name, share) for the detail panel;
  clicking a chip runs the same filter.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from ..core.analyzers.colors import PALETTE, SWATCHES
from . import style
from .flow_layout import FlowLayout

_LIGHT = {"white", "yellow", "gray"}  # swatches that need a darker ring to be seen


def _swatch_css(name: str, radius: int) -> str:
    ring = "#9aa0ab" if name in _LIGHT else SWATCHES[name]
    return (f"QToolButton {{ background: {SWATCHES[name]}; border: 1px solid {ring};"
            f" border-radius: {radius}px; }}"
            f"QToolButton:hover {{ border: 2px solid {style.ACCENT}; }}")


class ColorSwatchRow(QWidget):
    color_chosen = Signal(str)  # palette name

    def __init__(self, parent=None, side: int = 14):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(3)
        self.buttons: dict[str, QToolButton] = {}
        for name in PALETTE:
            b = QToolButton()
            b.setFixedSize(QSize(side, side))
            b.setStyleSheet(_swatch_css(name, side // 2))
            b.setToolTip(f"Photos where {name} dominates (color:{name})")
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.clicked.connect(lambda _=False, n=name: self.color_chosen.emit(n))
            layout.addWidget(b)
            self.buttons[name] = b
        layout.addStretch(1)


class ColorChips(QWidget):
    color_clicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        # Chips wrap onto more rows in a narrow panel (squeezed into one row they showed "…").
        self._layout = FlowLayout(self, spacing=6)
        self.chips: list[QToolButton] = []
        self.empty = QLabel("—")
        self.empty.setStyleSheet(f"color: {style.TEXT_MUTED};")
        self._layout.addWidget(self.empty)

    def set_colors(self, colors: list[tuple[str, float]]) -> None:
        for chip in self.chips:
            self._layout.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for name, share in (c for c in colors if c[0] in SWATCHES):
            chip = QToolButton()
            chip.setText(f"{name} {round(share * 100)}%")
            chip.setToolTip(f"{share:.0%} of the photo is {name}: show photos where {name} dominates")
            chip.setCursor(Qt.CursorShape.PointingHandCursor)
            chip.setStyleSheet(
                f"QToolButton {{ border: 1px solid {style.BORDER}; border-radius: 9px;"
                f" padding: 1px 7px 1px 4px; border-left: 12px solid {SWATCHES[name]}; }}")
            chip.clicked.connect(lambda _=False, n=name: self.color_clicked.emit(n))
            self._layout.addWidget(chip)
            self.chips.append(chip)
        self.empty.setVisible(not self.chips)
        self.updateGeometry()  # the height for the panel's width changes with the chips

    def names(self) -> list[str]:
        return [c.text().rsplit(" ", 1)[0] for c in self.chips]
