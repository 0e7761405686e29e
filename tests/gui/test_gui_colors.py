"""Analysis stages and colours in the real main window: colour chips in the detail panel, the
sidebar's colour filter, per-stage progress in the status bar and the note a search on a field
still being filled carries."""
from __future__ import annotations

import shutil

from conftest import SAMPLE_PHOTOS, _settings
from photoapp.core.stages import StageProgress
from photoapp.gui.navigation import Color


def test_detail_panel_shows_colour_chips_and_a_chip_filters(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=20000)
    hit = window.model.hit(0)
    with qtbot.waitSignal(window.detail.loaded, timeout=20000):
        window.grid.setCurrentIndex(window.model.index(1))
        window.grid.setCurrentIndex(window.model.index(0))
    qtbot.waitUntil(lambda: window.detail.current_id == hit.id and window.detail.document is not None)
    doc = indexed_library.info(hit.id)
    assert doc.colors
    assert window.detail.colors.names() == [name for name, _ in doc.colors]
    clicked = []
    window.detail.colors.color_clicked.connect(clicked.append)
    window.detail.colors.chips[0].click()
    assert clicked == [doc.colors[0][0]]


def test_sidebar_colour_swatch_lists_the_photos_of_that_colour(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=20000)
    docs = list(indexed_library.backend.iter_documents())
    name = docs[0].colors[0][0]  # a colour some photo has
    expected = {h.id for h in indexed_library.search(f"color:{name}", limit=1000)}
    assert expected
    with qtbot.waitSignal(window.results_finished, timeout=30000) as done:
        window.sidebar.color_swatches.buttons[name].click()
    assert window.current_view == Color(name)
    assert done.args[0] == len(expected)
    assert {window.model.hit(r).id for r in range(window.model.rowCount())} == expected


def test_status_bar_shows_stages_still_running(make_window, qtbot):
    from photoapp.gui.status_widget import IndexStatusWidget

    widget = IndexStatusWidget()
    qtbot.addWidget(widget)
    widget.set_summary(12400, 3, False, [StageProgress("tags", 1, 12400, 12400),
                                         StageProgress("objects", 2, 10044, 12400)])
    assert widget.summary.text() == "12,400 photos · 3 folders · objects 81%"
    widget.set_summary(12400, 3, False, [StageProgress("objects", 2, 12400, 12400)])
    assert widget.summary.text() == "12,400 photos · 3 folders"


def test_a_search_on_objects_before_the_backfill_says_so(tmp_path, make_window, qtbot):
    from photoapp.core.library import Library

    photos = tmp_path / "photos"
    shutil.copytree(SAMPLE_PHOTOS, photos)
    library = Library.open(_settings(tmp_path / "appdata"))
    try:
        library.add_folder(photos)
        library.index(quick=True)
        window = make_window(library)
        assert "objects 0%" in window.status.summary.text()
        with qtbot.waitSignal(window.results_finished, timeout=30000):
            window.search("person")
        qtbot.waitUntil(lambda: "objects: 0% of photos analysed so far"
                        in window.grid_page.subtitle.text(), timeout=10000)
        window.shutdown()
    finally:
        library.close()
