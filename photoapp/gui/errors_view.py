"""Files that could not be indexed: path, reason, detail, when."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .file_actions import copy_paths, show_in_file_manager
from .icons import icon
from .pages import EmptyHint

COLUMNS = ("File", "Reason", "Detail", "When")


class ErrorTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.records: list = []

    def set_records(self, records: list) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        record = self.records[index.row()]
        value = (getattr(record, "path", ""), getattr(record, "reason", ""), getattr(record, "detail", ""),
                 getattr(record, "when", None))[index.column()]
        if index.column() == 3 and value is not None and hasattr(value, "strftime"):
            return value.strftime("%Y-%m-%d %H:%M")
        return "" if value is None else str(value)


class ErrorsView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("Errors")
        title.setObjectName("ViewTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("ViewSubtitle")
        self.model = ErrorTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(title)
        layout.addWidget(self.subtitle)
        layout.addSpacing(8)
        self.empty = EmptyHint("info", "No errors — every file was read and indexed.")
        self.body = QStackedWidget()
        self.body.addWidget(self.table)
        self.body.addWidget(self.empty)
        layout.addWidget(self.body, 1)

    def set_records(self, records: list) -> None:
        self.model.set_records(records)
        self.body.setCurrentWidget(self.table if records else self.empty)
        self.subtitle.setText(f"{len(records):,} files could not be indexed; they are skipped and "
                              "retried when they change." if records else "Files that cannot be read are listed here.")

    def _menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        path = getattr(self.model.records[index.row()], "path", "")
        menu = QMenu(self)
        menu.addAction(icon("folder"), "Show in file manager", lambda: show_in_file_manager(path))
        menu.addAction(icon("copy"), "Copy path", lambda: copy_paths([path]))
        menu.exec(self.table.viewport().mapToGlobal(pos))
