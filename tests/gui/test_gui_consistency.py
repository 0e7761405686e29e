"""Navigation that stays consistent (issue 15): folder views without sibling folders, Enter with
suggestions showing, Esc in the search field, the sidebar highlight, Ctrl+Q, the clusters' k box,
the detail panel following the viewer, back/forward, small screens."""
from __future__ import annotations

import shutil
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from photoapp.gui.navigation import All, Clusters, Errors, Folder, People, Search


def _common_tag(library) -> str:
    return next(label for label, count in library.tag_counts(50, "") if " " not in label and count > 0)


def test_a_folder_view_does_not_list_a_sibling_folder(indexed_library, make_window, qtbot):
    photos = indexed_library.photos_dir
    sibling = photos.parent / (photos.name + "2")  # "photos2" next to "photos"
    sibling.mkdir(exist_ok=True)
    for source in sorted(photos.glob("*.jpg"))[:2]:
        shutil.copy(source, sibling / ("copy-" + source.name))
    indexed_library.add_folder(sibling)
    indexed_library.index([sibling])
    try:
        window = make_window(indexed_library)
        qtbot.waitUntil(lambda: window.sidebar.has_view(Folder(str(sibling))), timeout=20000)
        with qtbot.waitSignal(window.results_finished, timeout=30000) as done:
            window.navigate(Folder(str(photos)))
        paths = [window.model.hit(r).path for r in range(done.args[0])]
        assert paths and all(p.startswith(str(photos) + "/") for p in paths)
        assert len(paths) == len([p for p in photos.rglob("*.jpg")])
        with qtbot.waitSignal(window.results_finished, timeout=30000) as done:
            window.navigate(Folder(str(sibling)))
        assert sorted(window.model.hit(r).path for r in range(done.args[0])) == \
            sorted(str(p) for p in sibling.glob("*.jpg"))
        assert window.sidebar.highlighted_view() == Folder(str(sibling))
    finally:
        indexed_library.remove_folder(sibling)


def test_enter_searches_while_tag_suggestions_show(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    tag = _common_tag(indexed_library)
    window.focus_search()
    qtbot.waitUntil(window.search_bar.hasFocus)
    qtbot.keyClicks(window.search_bar, tag)
    popup = window.search_bar.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=20000)
    with qtbot.waitSignal(window.results_finished, timeout=30000):
        qtbot.keyClick(popup, Qt.Key.Key_Return)  # the popup holds the keyboard while it shows
    assert window.current_view == Search(tag)
    assert not popup.isVisible()
    # An explicitly picked suggestion is inserted instead (arrow down, Enter).
    window.focus_search()
    window.search_bar.clear()
    qtbot.keyClicks(window.search_bar, tag[:2])
    qtbot.waitUntil(popup.isVisible, timeout=20000)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert window.search_bar.text().endswith(" ") and len(window.search_bar.text()) > 3


def test_esc_in_the_search_field_clears_the_results_too(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    tag = _common_tag(indexed_library)
    with qtbot.waitSignal(window.results_finished, timeout=30000):
        window.navigate(Folder(str(indexed_library.photos_dir)))
    window.search_bar.setText(tag)
    with qtbot.waitSignal(window.results_finished, timeout=30000):
        window.search(tag)
    window.search_bar.setFocus()
    qtbot.waitUntil(window.search_bar.hasFocus)
    with qtbot.waitSignal(window.results_finished, timeout=30000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Escape)
    assert window.search_bar.text() == ""
    assert window.current_view == Folder(str(indexed_library.photos_dir))  # where the search began
    assert window.grid_page.title.text() == indexed_library.photos_dir.name


def test_the_sidebar_highlight_follows_the_page_through_refreshes(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    window.navigate(Errors())
    assert window.sidebar.highlighted_view() == Errors()
    with qtbot.waitSignal(window.results_finished, timeout=30000):
        window.search(_common_tag(indexed_library))
    assert window.sidebar.highlighted_view() is None
    with qtbot.waitSignal(window.library_refreshed, timeout=20000):
        window.refresh_library()  # what indexing and the watcher trigger
    assert window.sidebar.highlighted_view() is None and window.sidebar.currentItem() is None
    window.go_back()
    assert window.current_view == Errors() and window.sidebar.highlighted_view() == Errors()
    window.go_forward()
    assert isinstance(window.current_view, Search) and window.sidebar.highlighted_view() is None


def test_ctrl_q_closes_the_app(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    window.grid.setFocus()
    qtbot.keyClick(window.grid, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert window._closing  # closing stopped the workers


def test_enter_in_the_clusters_k_box_recomputes(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    with qtbot.waitSignal(window.clusters_shown, timeout=60000):
        window.navigate(Clusters())
    spin = window.cluster_gallery.count_spin
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "3")
    with qtbot.waitSignal(window.clusters_shown, timeout=60000) as shown:
        qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert shown.args[0] == 3


def test_the_detail_panel_and_the_grid_follow_the_viewer(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    window.navigate(All())  # the last view of an earlier test is restored
    qtbot.waitUntil(lambda: window.model.rowCount() > 3, timeout=20000)
    window.grid.setCurrentIndex(window.model.index(0))
    window.open_viewer(window.model, 0)
    for _ in range(2):
        qtbot.keyClick(window.viewer, Qt.Key.Key_Right)
    third = window.model.hit(2)
    assert window.viewer.row == 2
    qtbot.waitUntil(lambda: window.detail.current_id == third.id and window.detail.document is not None
                    and window.detail.document.id == third.id, timeout=20000)
    assert window.grid.currentIndex().row() == 2
    # Space preview: stepping moves the grid selection (and the detail panel) along.
    window.go_back()
    window.quick_look(window.model, 2)
    qtbot.keyClick(window.quick_preview, Qt.Key.Key_Right)
    assert window.grid.currentIndex().row() == 3
    qtbot.waitUntil(lambda: window.detail.current_id == window.model.hit(3).id, timeout=20000)
    window.quick_preview.close()


def test_usable_at_800_by_600_with_collapsible_panels(indexed_library, make_window, qtbot):
    window = make_window(indexed_library, size=(800, 600))
    window.navigate(All())
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=20000)
    assert window.minimumSizeHint().width() <= 800 and window.minimumSizeHint().height() <= 600
    qtbot.waitUntil(lambda: window.width() <= 800 and window.height() <= 600)
    assert window.detail.isVisible() and window.sidebar.isVisible()
    # The detail panel at its narrowest shows its rows whole: nothing wider than the panel (its
    # horizontal scroll bar is off, so a wider row was cut off), colour chips wrap, unelided.
    window.grid.setCurrentIndex(window.model.index(0))
    qtbot.waitUntil(lambda: bool(window.detail.colors.chips), timeout=20000)
    body = window.detail.widget()
    assert body.minimumSizeHint().width() <= window.detail.viewport().width()
    chips = window.detail.colors.chips
    # (waitUntil: the chips are placed at the layout's next pass, later under load)
    qtbot.waitUntil(lambda: all(c.width() >= c.sizeHint().width() for c in chips)
                    and (len({c.y() for c in chips}) > 1 or len(chips) < 3), timeout=10000)
    # A wide page elsewhere (people, duplicates) does not widen the window on this one.
    window.navigate(People())
    window.navigate(All())
    assert window.minimumSizeHint().width() <= 800
    grid_width = window.grid.width()
    window.sidebar_button.click()
    window.detail_button.click()
    assert not window.sidebar.isVisible() and not window.detail.isVisible()
    qtbot.waitUntil(lambda: window.grid.width() > grid_width + 300)
    window.navigate(Errors())
    window.navigate(All())
    assert not window.detail.isVisible()  # the choice holds across views
    window.detail_button.click()
    window.sidebar_button.click()
    assert window.detail.isVisible() and window.sidebar.isVisible()


def test_the_status_bar_shows_no_rate_until_a_pass_has_run_a_while(qtbot):
    from photoapp.core.jobs import ProgressEvent
    from photoapp.gui.status_widget import RATE_AFTER_S, IndexStatusWidget

    widget = IndexStatusWidget()
    qtbot.addWidget(widget)
    # Adding a second folder of known photos: a burst of re-attached files, not a real rate.
    widget.set_progress(ProgressEvent(228, 230, 8329.6, 0.0, "/p/x.jpg", "index"))
    assert widget.activity.text() == "Indexing  ·  228 / 230"
    started = time.monotonic()  # waitUntil, not wait: a window closing elsewhere may end one wait early
    qtbot.waitUntil(lambda: time.monotonic() - started > RATE_AFTER_S + 0.1, timeout=int(RATE_AFTER_S * 1000) + 5000)
    widget.set_progress(ProgressEvent(400, 1000, 12.46, 48.0, "/p/y.jpg", "index"))
    assert widget.activity.text() == "Indexing  ·  400 / 1,000  ·  12.5 photos/s  ·  ETA 48s"
    widget.set_progress(ProgressEvent(999, 1000, 12.5, 0.2, "/p/z.jpg", "index"))
    assert "ETA" not in widget.activity.text()  # under a second left: no "ETA 0s"
    widget.set_idle()
    widget.set_progress(ProgressEvent(3, 3, 900.0, 0.0, "/p/w.jpg", "index"))  # a new pass starts over
    assert "photos/s" not in widget.activity.text()
