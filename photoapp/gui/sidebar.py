"""The navigation sidebar: library, folders, clusters, duplicates, tags with counts, errors.

Each selectable item carries a *view key*, a plain string the main window understands and
remembers between runs: ``all``, ``folder:<path>``, ``clusters``, ``cluster:<id>``,
``duplicates``, ``tag:<label>``, ``errors``.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from . import style
from .icons import icon

KEY_ROLE = Qt.ItemDataRole.UserRole + 10


class Sidebar(QTreeWidget):
    view_selected = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(14)
        self.setIconSize(QSize(18, 18))
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumWidth(150)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._sections: dict[str, QTreeWidgetItem] = {}
        for name in ("Library", "Folders", "Tags"):
            self._sections[name] = self._section(name)
        self._add(self._sections["Library"], "all", "All photos", "photos")
        self._add(self._sections["Library"], "clusters", "Clusters", "clusters")
        self._add(self._sections["Library"], "duplicates", "Duplicates", "duplicates")
        self._add(self._sections["Library"], "errors", "Errors", "error")
        self.expandAll()
        self._sections["Folders"].setHidden(True)  # until there are some
        self._sections["Tags"].setHidden(True)
        self.itemSelectionChanged.connect(self._on_selection)

    def _section(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self, [title.upper()])
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() - 1.5))
        font.setBold(True)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
        item.setFont(0, font)
        item.setForeground(0, QColor(style.TEXT_MUTED))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setSizeHint(0, QSize(0, 30))
        return item

    def _add(self, parent: QTreeWidgetItem, key: str, text: str, icon_name: str,
             tooltip: str = "") -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [text])
        item.setData(0, KEY_ROLE, key)
        item.setIcon(0, icon(icon_name))
        item.setSizeHint(0, QSize(0, 28))
        if tooltip:
            item.setToolTip(0, tooltip)
        self._items[key] = item
        return item

    # --- dynamic sections ---------------------------------------------------------------
    def set_folders(self, folders: list[str], subfolders: dict[str, list[str]] | None = None) -> None:
        self._rebuild(self._sections["Folders"], "folder:")
        for root in folders:
            item = self._add(self._sections["Folders"], f"folder:{root}",
                             os.path.basename(root.rstrip("/\\")) or root, "folder", root)
            for sub in (subfolders or {}).get(root, []):
                child = QTreeWidgetItem(item, [os.path.basename(sub)])
                child.setData(0, KEY_ROLE, f"folder:{sub}")
                child.setIcon(0, icon("folder"))
                child.setToolTip(0, sub)
                child.setSizeHint(0, QSize(0, 26))
                self._items[f"folder:{sub}"] = child
        self._sections["Folders"].setExpanded(True)
        self._sections["Folders"].setHidden(not folders)

    def set_tags(self, tag_counts: list[tuple[str, int]]) -> None:
        self._rebuild(self._sections["Tags"], "tag:")
        for label, count in tag_counts:
            self._add(self._sections["Tags"], f"tag:{label}", f"{label}  ·  {count:,}", "tag")
        self._sections["Tags"].setExpanded(True)
        self._sections["Tags"].setHidden(not tag_counts)

    def set_error_count(self, count: int) -> None:
        self._items["errors"].setText(0, f"Errors  ·  {count:,}" if count else "Errors")

    def set_duplicate_count(self, count: int | None) -> None:
        self._items["duplicates"].setText(0, f"Duplicates  ·  {count:,}" if count else "Duplicates")

    def set_cluster_count(self, count: int | None) -> None:
        self._items["clusters"].setText(0, f"Clusters  ·  {count:,}" if count else "Clusters")

    def _rebuild(self, section: QTreeWidgetItem, prefix: str) -> None:
        for key in [k for k in self._items if k.startswith(prefix)]:
            del self._items[key]
        section.takeChildren()

    # --- selection ----------------------------------------------------------------------
    def select_key(self, key: str, emit: bool = False) -> bool:
        item = self._items.get(key)
        self.blockSignals(not emit)
        try:
            if item is None:
                self.clearSelection()
                return False
            self.setCurrentItem(item)
            return True
        finally:
            self.blockSignals(False)

    def current_key(self) -> str | None:
        item = self.currentItem()
        return item.data(0, KEY_ROLE) if item is not None else None

    def has_key(self, key: str) -> bool:
        return key in self._items

    def _on_selection(self) -> None:
        items = self.selectedItems()
        if items and items[0].data(0, KEY_ROLE):
            self.view_selected.emit(items[0].data(0, KEY_ROLE))
