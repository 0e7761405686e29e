"""Screenshots of the photographer features, for ``photoapp screenshot`` (gui/screenshot.py calls
``render_photographer_views`` with its window): ratings and the selection bar, the fuller
context menu, the zoomed and full-screen viewer, duplicates side by side, the empty-search help,
and the compare and viewer pages again at 800×600.

Ratings are given through the library as a user would and taken back with undo afterwards, so
a screenshot run leaves the library's user data as it found it.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QPoint, QPointF


def _go(window, name: str) -> None:
    try:
        from . import navigation
    except ImportError:  # older windows name views by strings
        window.navigate(name.lower())
        return
    window.navigate(getattr(navigation, name)())


def render_photographer_views(window, library, out_dir: Path) -> list[Path]:
    from .window_idle import grab_when_idle as _grab
    from .window_idle import wait_until_idle

    written: list[Path] = []
    organiser = getattr(window, "organiser", None)
    if organiser is None:
        return written
    marks = organiser.marks
    _go(window, "All")
    wait_until_idle(window)
    model, grid = window.model, window.grid
    ids = [model.id_at(r) for r in range(min(model.rowCount(), 4))]
    changes = 0
    try:
        if len(ids) >= 3:
            library.set_rating(ids[:2], 4)
            library.set_favorite(ids[1:3], True)
            library.set_rating(ids[3:4], 2)
            changes = 3
            marks.set_library(library)  # re-read the marks just given
            wait_until_idle(window)
            grid.setCurrentIndex(model.index(0))
            for r in (1, 2):
                grid.selectionModel().select(model.index(r), QItemSelectionModel.SelectionFlag.Select)
            organiser.bar.show_feedback("4 stars on 2 photos")
            wait_until_idle(window)
            written.append(_grab(window, window, out_dir / "11-ratings-selection.png"))
            menu = grid.build_context_menu(model.index(0))
            menu.popup(window.mapToGlobal(QPoint(300, 200)))
            wait_until_idle(window)
            written.append(_grab(menu, window, out_dir / "12-context-menu.png"))
            menu.close()

        if model.rowCount():
            grid.setCurrentIndex(model.index(1 if model.rowCount() > 1 else 0))
            window.open_viewer(model, grid.currentIndex().row())
            wait_until_idle(window)
            viewer = window.viewer
            canvas = viewer.canvas
            canvas.set_zoom(max(canvas.fit_scale() * 2.5, 0.5), QPointF(canvas.width() * 0.45, canvas.height() * 0.4))
            viewer.rotate(90)
            canvas.set_zoom(canvas.fit_scale() * 2)
            wait_until_idle(window)
            written.append(_grab(window, window, out_dir / "13-viewer-zoom-rotated.png"))
            viewer.rotate(-90)
            viewer.set_fullscreen(True)
            wait_until_idle(window)
            written.append(_grab(window, window, out_dir / "14-viewer-fullscreen.png"))
            viewer.set_fullscreen(False)
            size = window.size()
            window.resize(800, 600)
            wait_until_idle(window)
            written.append(_grab(window, window, out_dir / "18-viewer-800x600.png"))
            window.resize(size)
            window.go_back()
            wait_until_idle(window)

        _go(window, "Duplicates")
        wait_until_idle(window, timeout_s=180)
        view = window.duplicates_view
        if view.model.rows:
            view.open_group(0)
            wait_until_idle(window)
            written.append(_grab(window, window, out_dir / "15-duplicates-compare.png"))
            first = view.compare.panes[0].canvas
            first.set_zoom(first.raw_fit_scale() * 3, QPointF(first.width() * 0.4, first.height() * 0.4))
            wait_until_idle(window)
            written.append(_grab(window, window, out_dir / "16-duplicates-compare-zoomed.png"))
            size = window.size()
            window.resize(800, 600)
            wait_until_idle(window)
            written.append(_grab(window, window, out_dir / "19-duplicates-compare-800x600.png"))
            window.resize(size)
            view.close_compare()

        tags = [t for t, _ in library.tag_counts(30, "") if t.isalpha() and len(t) >= 5]
        if tags:
            word = tags[0]
            typo = word[0] + word[2] + word[1] + word[3:]
            window.search_bar.setText(typo)
            window.search(typo)
            wait_until_idle(window)
            written.append(_grab(window, window, out_dir / "17-search-did-you-mean.png"))
    finally:
        for _ in range(changes):  # leave the user's ratings as they were
            library.undo()
        marks.set_library(library)
    return written
