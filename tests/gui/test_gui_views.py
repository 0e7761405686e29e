"""Cluster gallery, duplicates, detail panel, viewer and errors, in the real main window."""
from __future__ import annotations

from PySide6.QtCore import Qt

from photoapp.gui.cluster_view import ClusterRole, MosaicRole
from photoapp.gui.navigation import Clusters, Duplicates, Errors


def test_cluster_gallery_shows_cards_and_recomputes_with_a_new_count(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    with qtbot.waitSignal(window.clusters_shown, timeout=60000) as shown:
        window.navigate(Clusters())
    assert shown.args[0] > 0
    model = window.cluster_gallery.model
    assert model.rowCount() == shown.args[0]
    cluster = model.data(model.index(0), ClusterRole)
    assert cluster.size == len(cluster.member_ids) > 0
    qtbot.waitUntil(lambda: any(img is not None and not img.isNull()
                                for img in model.data(model.index(0), MosaicRole)), timeout=20000)
    # Change the count: the spin box drives a recompute in a worker.
    window.cluster_gallery.count_spin.setValue(2)
    with qtbot.waitSignal(window.clusters_shown, timeout=60000) as shown:
        qtbot.mouseClick(window.cluster_gallery.recompute_button, Qt.MouseButton.LeftButton)
    assert shown.args[0] == 2
    sizes = [model.data(model.index(r), ClusterRole).size for r in range(model.rowCount())]
    assert sum(sizes) == len(indexed_library.all_photos("date", 10_000, 0))
    # Opening a card lists its photos in the grid.
    biggest = model.data(model.index(0), ClusterRole)
    with qtbot.waitSignal(window.results_finished, timeout=30000) as done:
        window.cluster_gallery.view.clicked.emit(model.index(0))
    assert done.args[0] == biggest.size
    assert {window.model.hit(r).id for r in range(window.model.rowCount())} == set(biggest.member_ids)


def test_detail_panel_shows_tags_objects_and_metadata(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=20000)
    hit = window.model.hit(0)
    with qtbot.waitSignal(window.detail.loaded, timeout=20000):
        window.grid.setCurrentIndex(window.model.index(1))
        window.grid.setCurrentIndex(window.model.index(0))
    qtbot.waitUntil(lambda: window.detail.current_id == hit.id and window.detail.document is not None)
    doc = indexed_library.info(hit.id)
    # The most confident tag comes first (ties, e.g. a class and its ancestors, in any order).
    best = max(t.confidence for t in doc.tags)
    assert window.detail.tags.rows and window.detail.tags.rows[0][0] in {
        t.label for t in doc.tags if t.confidence == best}
    assert f"{doc.width} × {doc.height}" in window.detail.fields["Resolution"].text()
    assert not window.detail.preview.image.isNull()
    window.detail.boxes_checkbox.setEnabled(True)
    window.detail.boxes_checkbox.setChecked(True)
    assert window.detail.preview.show_boxes


def test_enter_opens_the_viewer_arrows_step_and_esc_returns(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    qtbot.waitUntil(lambda: window.model.rowCount() > 1, timeout=20000)
    window.grid.setCurrentIndex(window.model.index(0))
    window.grid.setFocus()
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.viewer
    qtbot.waitUntil(lambda: not window.viewer.canvas.image.isNull(), timeout=20000)
    qtbot.keyClick(window.viewer, Qt.Key.Key_Right)
    assert window.viewer.row == 1
    qtbot.keyClick(window.viewer, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.grid_page
    assert window.grid.currentIndex().row() == 1


def test_space_opens_a_quick_preview(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=20000)
    window.grid.setCurrentIndex(window.model.index(0))
    qtbot.keyClick(window.grid, Qt.Key.Key_Space)
    assert window.quick_preview is not None and window.quick_preview.isVisible()
    qtbot.keyClick(window.quick_preview, Qt.Key.Key_Space)
    assert not window.quick_preview.isVisible()


def test_duplicates_view_lists_groups_with_size_and_resolution(indexed_library, make_window, qtbot):
    from PIL import Image

    # A byte-identical copy and a smaller re-encoded copy of one photo: both are duplicates.
    doc = indexed_library.info(indexed_library.all_photos("name", 1, 0)[0].id)
    copies = indexed_library.photos_dir / "copies"
    copies.mkdir(exist_ok=True)
    (copies / "same.jpg").write_bytes(open(doc.path, "rb").read())
    with Image.open(doc.path) as img:
        img.convert("RGB").resize((max(32, img.width // 2), max(32, img.height // 2))).save(copies / "half.jpg", quality=90)
    indexed_library.index()
    window = make_window(indexed_library)
    with qtbot.waitSignal(window.duplicates_shown, timeout=60000) as shown:
        window.navigate(Duplicates())
    groups = indexed_library.duplicates()
    expected = sum(1 for g in groups if len(set(g.paths)) > 1)
    assert shown.args[0] == expected
    assert expected > 0
    for row in window.duplicates_view.model.rows:
        assert len(row.members) > 1
        assert all(m.width > 0 and m.size_bytes > 0 for m in row.members)
    shown_paths = {m.path for r in window.duplicates_view.model.rows for m in r.members}
    assert {doc.path, str(copies / "same.jpg"), str(copies / "half.jpg")} <= shown_paths


def test_errors_view_lists_the_library_errors(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    window.navigate(Errors())
    expected = len(indexed_library.errors())
    qtbot.waitUntil(lambda: window.errors_view.model.rowCount() == expected and
                    window.errors_view.subtitle.text() != "", timeout=20000)
