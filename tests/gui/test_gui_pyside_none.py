"""PySide6 6.12.0 released None once too often when a QVariant became Python None, so any view
over a Python model crashed after a few thousand calls ("deallocating None"). pyproject pins
below it; this test fails on any PySide6 with that bug."""
from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractListModel, QModelIndex, QSortFilterProxyModel, Qt


class _NoneModel(QAbstractListModel):
    def rowCount(self, parent=None):
        return 0 if parent is not None and parent.isValid() else 3

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return None


def test_none_from_item_data_keeps_its_reference_count(qapp):
    model = _NoneModel()
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    index = proxy.index(0, 0)
    before = sys.getrefcount(None)
    for _ in range(500):  # C++ proxy -> Python data() -> QVariant -> Python None
        index.data(Qt.ItemDataRole.DisplayRole)
    assert abs(sys.getrefcount(None) - before) < 50
    assert QModelIndex().data() is None
