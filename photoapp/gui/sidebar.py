"""The navigation sidebar: library, folders, clusters, duplicates, tags with counts, errors.

Each selectable item carries a ``navigation.View`` value; selecting it asks the window to go
there, and the window tells the sidebar which view is current (``show_view``), so the highlight
always follows the page on screen — none while a search or a similar search is shown.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from . import style
from .icons import icon
from .color_swatches import ColorSwatchRow
from .navigation import All, Clusters, Color, Duplicates, Errors, Folder, Tag, View
from .navigation import Map, OnThisDay, People

VIEW_ROLE = Qt.ItemDataRole.UserRole + 10


class Sidebar(QTreeWidget):
    view_selected = Signal(object)  # View

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
        self._items: dict[View, QTreeWidgetItem] = {}
        self._sections: dict[str, QTreeWidgetItem] = {}
        for name in ("Library", "Folders", "Colours", "Tags"):
            self._sections[name] = self._section(name)
        # Colour filter: one row of palette swatches; a click shows that colour's photos.
        swatch_row = QTreeWidgetItem(self._sections["Colours"])
        swatch_row.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.color_swatches = ColorSwatchRow()
        self.color_swatches.color_chosen.connect(lambda name: self.view_selected.emit(Color(name)))
        self.setItemWidget(swatch_row, 0, self.color_swatches)
        self._add(self._sections["Library"], All(), "All photos", "photos")
        self._add(self._sections["Library"], OnThisDay(), "On this day", "calendar",
                  "Photos taken on this day in earlier years")
        self._add(self._sections["Library"], Map(), "Map", "map", "Photos with a GPS position on a world map")
        self._add(self._sections["Library"], People(), "People", "people", "Faces grouped into people; name them here")
        self._add(self._sections["Library"], Clusters(), "Clusters", "clusters")
        self._add(self._sections["Library"], Duplicates(), "Duplicates", "duplicates")
        self._add(self._sections["Library"], Errors(), "Errors", "error")
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

    def _add(self, parent: QTreeWidgetItem, view: View, text: str, icon_name: str,
             tooltip: str = "", height: int = 28) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [text])
        item.setData(0, VIEW_ROLE, view)
        item.setIcon(0, icon(icon_name))
        item.setSizeHint(0, QSize(0, height))
        if tooltip:
            item.setToolTip(0, tooltip)
        self._items[view] = item
        return item

    # --- dynamic sections ---------------------------------------------------------------
    def set_folders(self, folders: list[str], subfolders: dict[str, list[str]] | None = None) -> None:
        self._rebuild(self._sections["Folders"], Folder)
        for root in folders:
            item = self._add(self._sections["Folders"], Folder(root), Folder(root).title, "folder", root)
            for sub in (subfolders or {}).get(root, []):
                self._add(item, Folder(sub), os.path.basename(sub), "folder", sub, height=26)
        self._sections["Folders"].setExpanded(True)
        self._sections["Folders"].setHidden(not folders)

    def set_tags(self, tag_counts: list[tuple[str, int]]) -> None:
        self._rebuild(self._sections["Tags"], Tag)
        for label, count in tag_counts:
            self._add(self._sections["Tags"], Tag(label), f"{label}  ·  {count:,}", "tag")
        self._sections["Tags"].setExpanded(True)
        self._sections["Tags"].setHidden(not tag_counts)

    def set_error_count(self, count: int) -> None:
        self._items[Errors()].setText(0, f"Errors  ·  {count:,}" if count else "Errors")

    def set_duplicate_count(self, count: int | None) -> None:
        self._items[Duplicates()].setText(0, f"Duplicates  ·  {count:,}" if count else "Duplicates")

    def set_on_this_day_count(self, count: int | None) -> None:
        self._items[OnThisDay()].setText(0, f"On this day  ·  {count:,}" if count else "On this day")

    def set_cluster_count(self, count: int | None) -> None:
        self._items[Clusters()].setText(0, f"Clusters  ·  {count:,}" if count else "Clusters")

    def _rebuild(self, section: QTreeWidgetItem, kind: type) -> None:
        for view in [v for v in self._items if isinstance(v, kind)]:
            del self._items[view]
        section.takeChildren()

    # --- selection ----------------------------------------------------------------------
    def show_view(self, view: View | None) -> bool:
        """Highlight ``view``'s item (without emitting), or nothing when the sidebar has none."""
        item = self._items.get(view) if view is not None else None
        self.blockSignals(True)
        try:
            if item is None:
                # Clearing the selection alone leaves the old item current, and a later refresh
                # would select it again (the "Errors" highlight that stayed during a search).
                self.clearSelection()
                self.setCurrentItem(None)
                return False
            self.setCurrentItem(item)
            return True
        finally:
            self.blockSignals(False)

    def highlighted_view(self) -> View | None:
        items = self.selectedItems()
        return items[0].data(0, VIEW_ROLE) if items else None

    def has_view(self, view: View) -> bool:
        return view in self._items

    def _on_selection(self) -> None:
        items = self.selectedItems()
        if items and items[0].data(0, VIEW_ROLE) is not None:
            self.view_selected.emit(items[0].data(0, VIEW_ROLE))
