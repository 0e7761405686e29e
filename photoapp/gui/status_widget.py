"""Indexing status for the status bar: counts, rate, ETA, pause/resume and an errors link."""
from __future__ import annotations

import os
import time

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from . import formatting
from .icons import icon

_PHASES = {"scan": "Scanning folders", "index": "Indexing", "remove": "Removing",
           "watch": "Updating changed photos", "analyze": "Analysing (objects…)", "done": "Indexed"}
# A rate means something once a pass has run this long; before, one fast batch (files already
# known, only re-attached) reads as thousands of photos a second with an ETA of 0 s.
RATE_AFTER_S = 3.0


class IndexStatusWidget(QWidget):
    pause_toggled = Signal()
    errors_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(10)
        self.summary = QLabel("")
        self.activity = QLabel("")
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(160)
        self.progress_bar.setTextVisible(False)
        self.pause_button = QToolButton()
        self.pause_button.setIconSize(QSize(14, 14))
        self.pause_button.clicked.connect(self.pause_toggled.emit)
        self.errors_button = QToolButton()
        self.errors_button.setIcon(icon("error", "#d14343"))
        self.errors_button.setIconSize(QSize(14, 14))
        self.errors_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.errors_button.setToolTip("Show files that could not be indexed")
        self.errors_button.clicked.connect(self.errors_clicked.emit)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addWidget(self.activity)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.pause_button)
        layout.addWidget(self.errors_button)
        self._pass_started: float | None = None  # the first event of the pass on screen
        self.set_idle()
        self.set_paused(False)
        self.set_error_count(0)

    def set_summary(self, photos: int, folders: int, watching: bool = False, stages=()) -> None:
        """``stages``: LibraryStatus.stages; each analyzer still running shows as "objects 81%"."""
        text = f"{photos:,} photo{'s' if photos != 1 else ''} · {folders:,} folder{'s' if folders != 1 else ''}"
        text += "".join(f" · {s.name} {s.percent}%" for s in stages if not s.complete)
        if watching:
            text += " · watching for changes"
        self.summary.setText(text)

    def set_idle(self) -> None:
        self._pass_started = None
        self.activity.setText("")
        self.progress_bar.hide()
        self.pause_button.hide()

    def set_progress(self, event) -> None:
        phase = _PHASES.get(event.phase, event.phase.capitalize())
        if event.phase == "done":
            self.set_idle()
            return
        if self._pass_started is None:
            self._pass_started = time.monotonic()
        parts = [phase]
        if event.total:
            parts.append(f"{event.done:,} / {event.total:,}")
            self.progress_bar.setRange(0, max(1, event.total))
            self.progress_bar.setValue(min(event.done, event.total))
        else:
            parts.append(f"{event.done:,} found" if event.phase == "scan" else f"{event.done:,}")
            self.progress_bar.setRange(0, 0)  # busy indicator while the total is unknown
        if event.rate and time.monotonic() - self._pass_started >= RATE_AFTER_S:
            parts.append(f"{event.rate:.1f} photos/s" if event.rate < 100 else f"{event.rate:,.0f} photos/s")
            if event.eta_s is not None and event.total and event.eta_s >= 1:
                parts.append(f"ETA {formatting.duration(event.eta_s)}")
        self.activity.setText("  ·  ".join(parts))
        self.activity.setToolTip(event.current_path or "")
        self.progress_bar.show()
        self.pause_button.show()

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setIcon(icon("play" if paused else "pause"))
        self.pause_button.setToolTip("Resume indexing" if paused else "Pause indexing")
        if paused:
            self.activity.setText("Paused — " + self.activity.text().split(" — ")[-1])

    def set_error_count(self, count: int) -> None:
        self.errors_button.setText(f"{count:,} error{'s' if count != 1 else ''}")
        self.errors_button.setVisible(count > 0)


def short_path(path: str, keep: int = 2) -> str:
    parts = path.replace("\\", "/").split("/")
    return os.sep.join(parts[-keep:])
