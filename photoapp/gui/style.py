"""The look: Fusion with a light, calm palette and a small style sheet for spacing."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from photoapp.core.settings import bundled_path

ACCENT = "#3d6df2"
ACCENT_SOFT = "#e3eafe"
WINDOW_BG = "#f4f5f8"
SIDEBAR_BG = "#eceef3"
PANEL_BG = "#ffffff"
TEXT = "#1f2430"
TEXT_MUTED = "#6b7280"
BORDER = "#dcdfe6"
PLACEHOLDER = "#e4e7ee"
ERROR = "#d14343"

ICONS = (bundled_path("resources") / "icons").as_posix()

STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: {WINDOW_BG}; }}
QToolTip {{ background: #ffffff; color: {TEXT}; border: 1px solid {BORDER}; padding: 6px; }}
#Sidebar {{ background: {SIDEBAR_BG}; border: none; padding: 6px 4px; }}
#Sidebar::item {{ padding: 4px 6px; border-radius: 6px; }}
#Sidebar {{ show-decoration-selected: 0; }}
#Sidebar::branch {{ background: transparent; border: none; image: none; }}
#Sidebar::item:selected {{ background: {ACCENT_SOFT}; color: {TEXT}; }}
#Sidebar::item:hover:!selected {{ background: #e2e5ec; }}
#TopBar {{ background: {PANEL_BG}; border-bottom: 1px solid {BORDER}; }}
#SearchField {{ border: 1px solid {BORDER}; border-radius: 8px; padding: 6px 10px;
               background: {WINDOW_BG}; font-size: 11pt; }}
#SearchField:focus {{ border: 1px solid {ACCENT}; background: #ffffff; }}
#SearchField[invalid="true"] {{ border: 1px solid {ERROR}; }}
#PhotoGrid, #ClusterGrid, #DuplicateList {{ background: {WINDOW_BG}; border: none; }}
#DetailPanel {{ background: {PANEL_BG}; border-left: 1px solid {BORDER}; }}
#DetailPanel QLabel[role="key"] {{ color: {TEXT_MUTED}; }}
#SectionTitle {{ font-weight: 600; color: {TEXT}; font-size: 10pt; margin-top: 8px; }}
#ViewTitle {{ font-size: 15pt; font-weight: 600; color: {TEXT}; }}
#ViewSubtitle {{ color: {TEXT_MUTED}; }}
#EmptyTitle {{ font-size: 18pt; font-weight: 600; color: {TEXT}; }}
#EmptyText {{ color: {TEXT_MUTED}; font-size: 11pt; }}
QPushButton {{ padding: 5px 12px; border-radius: 6px; border: 1px solid {BORDER}; background: #ffffff; }}
QPushButton:hover {{ border-color: #b9c0cf; }}
QPushButton:pressed {{ background: {ACCENT_SOFT}; }}
QPushButton#Primary {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT}; font-weight: 600; padding: 8px 18px; }}
QPushButton#Primary:hover {{ background: #335fd9; }}
QToolButton {{ border: none; border-radius: 6px; padding: 4px; }}
QToolButton:hover {{ background: #e6e9f0; }}
QToolButton:checked {{ background: {ACCENT_SOFT}; }}
QStatusBar {{ background: {PANEL_BG}; border-top: 1px solid {BORDER}; color: {TEXT_MUTED}; }}
QStatusBar::item {{ border: none; }}
QProgressBar {{ border: none; background: {PLACEHOLDER}; border-radius: 3px; max-height: 6px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QSplitter::handle {{ background: {BORDER}; }}
QScrollArea {{ border: none; }}
QHeaderView::section {{ background: {WINDOW_BG}; border: none; border-bottom: 1px solid {BORDER};
                        padding: 4px 6px; font-weight: 600; }}
QTableView {{ background: #ffffff; border: none; gridline-color: {BORDER}; }}
QTabWidget::pane {{ border: 1px solid {BORDER}; border-radius: 8px; background: #ffffff; top: -1px; }}
QTabBar::tab {{ background: transparent; border: none; border-bottom: 2px solid transparent;
                padding: 7px 14px; margin-right: 4px; color: {TEXT_MUTED}; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QTabBar::tab:hover:!selected {{ color: {TEXT}; }}
QScrollBar:vertical {{ background: transparent; width: 11px; margin: 2px 1px 2px 1px; }}
QScrollBar:horizontal {{ background: transparent; height: 11px; margin: 1px 2px 1px 2px; }}
QScrollBar::handle:vertical {{ background: #c5cad5; border-radius: 4px; min-height: 32px; }}
QScrollBar::handle:horizontal {{ background: #c5cad5; border-radius: 4px; min-width: 32px; }}
QScrollBar::handle:hover {{ background: #a9b0be; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0px; height: 0px; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
QTreeView, QListView {{ outline: 0; }}
QLineEdit, QSpinBox, QComboBox {{ padding: 4px 6px; border: 1px solid {BORDER}; border-radius: 6px; background: #ffffff; }}
QLineEdit:focus, QSpinBox:focus, QComboBox:focus {{ border-color: {ACCENT}; }}
QListWidget {{ border: 1px solid {BORDER}; border-radius: 6px; background: #ffffff; }}
QComboBox {{ padding-right: 22px; }}
QComboBox::drop-down {{ border: none; width: 20px; subcontrol-position: center right; }}
QComboBox::down-arrow {{ image: url("{ICONS}/chevron-down.svg"); width: 12px; height: 12px; }}
QComboBox QAbstractItemView {{ border: 1px solid {BORDER}; background: #ffffff; selection-background-color: {ACCENT_SOFT};
                               selection-color: {TEXT}; outline: 0; }}
QSpinBox {{ padding-right: 18px; }}
QSpinBox::up-button, QSpinBox::down-button {{ border: none; width: 16px; subcontrol-origin: border; }}
QSpinBox::up-button {{ subcontrol-position: top right; }}
QSpinBox::down-button {{ subcontrol-position: bottom right; }}
QSpinBox::up-arrow {{ image: url("{ICONS}/chevron-up.svg"); width: 10px; height: 10px; }}
QSpinBox::down-arrow {{ image: url("{ICONS}/chevron-down.svg"); width: 10px; height: 10px; }}
"""


def build_palette() -> QPalette:
    p = QPalette()
    colors = {
        QPalette.ColorRole.Window: WINDOW_BG,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: PANEL_BG,
        QPalette.ColorRole.AlternateBase: "#f7f8fb",
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#ffffff",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: "#9aa1ae",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Mid: BORDER,
    }
    for role, value in colors.items():
        p.setColor(role, QColor(value))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#a0a6b2"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#a0a6b2"))
    return p


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    app.setPalette(build_palette())
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 9.5))
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
