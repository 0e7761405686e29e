"""The banner over the pages when the index backend cannot be reached (degraded state).

It says which backend failed and why, and offers the two ways on: try again, or switch back to
the embedded library at once (no restart). Photos already indexed into the cluster are not
touched by switching; the embedded library picks up where it was.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from . import style
from .icons import icon


class BackendBanner(QWidget):
    switch_requested = Signal()
    retry_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("BackendBanner")
        self.setStyleSheet(f"#BackendBanner {{ background: #fdecec; border-bottom: 1px solid {style.ERROR}; }}"
                           f"#BackendBanner QLabel {{ color: {style.TEXT}; }}")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setMinimumWidth(120)
        badge = QLabel()
        badge.setPixmap(icon("error", style.ERROR).pixmap(18, 18))
        self.retry_button = QPushButton(icon("refresh"), "Retry")
        self.retry_button.clicked.connect(self.retry_requested.emit)
        self.switch_button = QPushButton("Switch back to the embedded library")
        self.switch_button.setObjectName("Primary")
        self.switch_button.clicked.connect(self.switch_requested.emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(badge)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.switch_button)

    def show_error(self, backend: str, detail: str) -> None:
        where = backend if backend.lower().startswith(("http://", "https://")) else "the index backend"
        self.message.setText(f"<b>Cannot reach {where}.</b> Photos cannot be searched or indexed "
                             f"until it answers.<br>{_escape(detail)}")
        self.message.setToolTip(detail)
        self.show()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
