"""Similar search by drop (file URL, raw image data), by paste, and from the context menu."""
from __future__ import annotations

import shutil

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from photoapp.gui.navigation import All, Similar
from photoapp.gui.photo_model import HitRole


def _drop(window, mime: QMimeData) -> bool:
    """Deliver a real drag-enter and drop to the window, as the platform would."""
    pos = window.stack.geometry().center()
    enter = QDragEnterEvent(QPoint(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return drop.isAccepted()


def _a_photo(library):
    hit = library.all_photos("name", 1, 0)[0]
    return hit, library.info(hit.id)


def test_dropping_an_outside_file_finds_the_same_photo_first(indexed_library, make_window, qtbot, tmp_path):
    window = make_window(indexed_library)
    hit, doc = _a_photo(indexed_library)
    outside = tmp_path / ("dropped" + doc.path[doc.path.rfind("."):])
    shutil.copyfile(doc.path, outside)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(outside))])
    with qtbot.waitSignal(window.similar_shown, timeout=60000) as shown:
        assert _drop(window, mime)
    assert shown.args[0] > 0
    assert isinstance(window.current_view, Similar)
    assert window.stack.currentWidget() is window.similar_page
    first = window.similar_model.data(window.similar_model.index(0), HitRole)
    assert first.id == hit.id and first.score > 0.95
    scores = [window.similar_model.hit(r).score for r in range(window.similar_model.rowCount())]
    assert scores == sorted(scores, reverse=True)
    assert window.similar_model.show_scores
    assert window.similar_page.query_image.pixmap() is not None
    assert not window.similar_page.query_image.pixmap().isNull()
    assert "dropped" in window.similar_page.subtitle.text()


def test_dropping_raw_image_data_searches_by_pixels(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    hit, doc = _a_photo(indexed_library)
    mime = QMimeData()
    mime.setImageData(QImage(doc.path))
    with qtbot.waitSignal(window.similar_shown, timeout=60000) as shown:
        assert _drop(window, mime)
    assert shown.args[0] > 0
    assert window.similar_model.hit(0).id == hit.id


def test_a_drop_without_an_image_is_refused(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    mime = QMimeData()
    mime.setText("just text")
    assert not _drop(window, mime)
    assert window.current_view == All()


def test_ctrl_v_pastes_an_image_from_the_clipboard(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    hit, doc = _a_photo(indexed_library)
    mime = QMimeData()
    mime.setImageData(QImage(doc.path))
    QGuiApplication.clipboard().setMimeData(mime)
    window.activateWindow()
    window.grid.setFocus()
    try:
        with qtbot.waitSignal(window.similar_shown, timeout=60000):
            qtbot.keyClick(window.grid, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert window.similar_model.hit(0).id == hit.id
    finally:
        # The clipboard owns the mime data; left there, Qt frees it after Python has gone at exit
        # (a segfault on interpreter shutdown).
        QGuiApplication.clipboard().clear()


def test_find_similar_from_the_context_menu(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    qtbot.waitUntil(lambda: window.model.rowCount() > 1, timeout=20000)
    index = window.model.index(0)
    source = window.model.data(index, HitRole)
    menu = window.grid.build_context_menu(index)
    action = next(a for a in menu.actions() if a.text() == "Find similar")
    with qtbot.waitSignal(window.similar_shown, timeout=60000):
        action.trigger()
    ids = [window.similar_model.hit(r).id for r in range(window.similar_model.rowCount())]
    assert source.id not in ids  # the photo itself is excluded
    assert ids == [h.id for h in indexed_library.similar(source.id, limit=200,
                                                          min_score=window.similar_page.min_score())]
    menu.deleteLater()


def test_the_minimum_score_slider_hides_weaker_results_at_once(indexed_library, make_window, qtbot):
    from photoapp.core.similar_cutoff import DEFAULT_MIN_SCORE, SLIDER_MIN

    window = make_window(indexed_library)
    page = window.similar_page
    assert page.min_score() == DEFAULT_MIN_SCORE  # the measured default
    hit, _ = _a_photo(indexed_library)
    with qtbot.waitSignal(window.similar_shown, timeout=60000):
        window.actions.find_similar_to_hit(hit)
    page.set_min_score(SLIDER_MIN)  # lowest: everything the search found
    everything = [window.similar_model.hit(r) for r in range(window.similar_model.rowCount())]
    assert [h.id for h in everything] == [h.id for h in indexed_library.similar(hit.id, limit=200)]
    scores = sorted(h.score for h in everything)
    assert len(scores) >= 3 and scores[0] < scores[-1]
    cut = scores[len(scores) // 2]  # a real score: at least half the results fall below it
    page.set_min_score(cut)
    shown = [window.similar_model.hit(r) for r in range(window.similar_model.rowCount())]
    assert shown and len(shown) < len(everything)
    assert all(h.score >= page.min_score() for h in shown)
    assert [h.id for h in shown] == [h.id for h in everything if h.score >= page.min_score()]
    assert "hidden" in page.subtitle.text() and page.slider_value.text() == f"{page.min_score():.2f}"
    page.slider.setValue(page.slider.minimum())  # as a user drags it back
    assert window.similar_model.rowCount() == len(everything)
    assert "hidden" not in page.subtitle.text()
