"""Search flow in the real main window: Enter, ranked results, explanations, errors, completion."""
from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt

from photoapp.gui.navigation import All, Search
from photoapp.gui.photo_model import HitRole


def _common_tag(library) -> str:
    tags = library.tag_counts(50, "")
    assert tags, "the indexed library has no tags"
    # One word without spaces, present on at least one photo.
    return next(label for label, count in tags if " " not in label and count > 0)


def test_enter_shows_ranked_results_with_explanations(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    tag = _common_tag(indexed_library)
    window.search_bar.clear()
    window.search_bar.setFocus()
    qtbot.keyClicks(window.search_bar, tag)
    with qtbot.waitSignal(window.results_finished, timeout=30000):
        qtbot.keyClick(window.search_bar, Qt.Key.Key_Return)
    assert window.current_view == Search(tag)
    assert window.model.rowCount() > 0
    hits = [window.model.data(window.model.index(r), HitRole) for r in range(window.model.rowCount())]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    expected = [h.id for h in indexed_library.search(tag, limit=1000)]
    assert [h.id for h in hits] == expected
    tooltip = window.model.data(window.model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert "Matched" in tooltip and "%" in tooltip
    # Esc goes back to where we came from.
    window.grid.setFocus()
    qtbot.keyClick(window.grid, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.current_view == All())


def test_a_bad_query_marks_the_field_and_says_why(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    window.search_bar.setText('"unbalanced')
    with qtbot.waitSignal(window.loader.failed, timeout=30000):
        window.search('"unbalanced')
    assert window.search_bar.property("invalid") is True
    assert "quote" in window.search_bar.toolTip()


def test_tag_completion_offers_library_tags_for_the_word_being_typed(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    tag = _common_tag(indexed_library)
    window.search_bar.clear()
    window.search_bar.setFocus()
    qtbot.waitUntil(window.search_bar.hasFocus)
    qtbot.keyClicks(window.search_bar, "-" + tag[:2])
    model = window.search_bar.completer.completionModel()
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=20000)
    offered = [model.index(r, 0).data(Qt.ItemDataRole.UserRole + 1) for r in range(model.rowCount())]
    assert all(label.startswith(tag[:2].lower()) for label in offered)
    assert tag in offered
    window.search_bar.completer.activated[str].emit(tag)
    assert window.search_bar.text().startswith("-" + tag)


def test_ctrl_f_focuses_the_search_field(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    window.grid.setFocus()
    window.activateWindow()
    qtbot.keyClick(window.grid, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.search_bar.hasFocus)
    assert window.current_view == All()
