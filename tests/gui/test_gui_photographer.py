"""What a photographer expects: zoom/pan/turn/full screen in the viewer, ratings and favourites
(keys, persistence, search, undo), exposure in the detail panel, and duplicates compared side by
side. Real widgets over a real indexed library (real SQLite index, real models)."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from PIL import ExifTags, Image, TiffImagePlugin
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from photoapp.core.userdata import UserData, UserMark
from photoapp.gui.detail_panel import DetailPanel
from photoapp.gui.duplicates_view import DuplicatesView, build_rows
from photoapp.gui.marks import MarksController
from photoapp.gui.photo_model import PhotoListModel
from photoapp.gui.thumbnails import ThumbnailCache
from photoapp.gui.viewer import ViewerWidget
from photoapp.gui.workers import TaskRunner


@pytest.fixture
def parts(indexed_library, qtbot):
    """A runner, a thumbnail cache, a marks controller and a model listing every photo."""
    lib = indexed_library
    runner = TaskRunner()
    thumbs = ThumbnailCache(lambda doc_id: lib.thumbnail_path(doc_id, 256))
    marks = MarksController(runner)
    with qtbot.waitSignal(marks.changed, timeout=10000):
        marks.set_library(lib)
    model = PhotoListModel(thumbs)
    model.set_hits(lib.all_photos("name", 1000, 0))
    yield runner, thumbs, marks, model
    runner.close()
    thumbs.wait()


def _digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _viewer(parts, qtbot, row=0) -> ViewerWidget:
    runner, _, marks, model = parts
    viewer = ViewerWidget(runner, marks=marks)
    qtbot.addWidget(viewer)
    viewer.resize(900, 640)
    viewer.show()
    viewer.show_row(model, row)
    qtbot.waitUntil(lambda: viewer.canvas.source_size.isValid()
                    and viewer.canvas.image.width() >= min(viewer.canvas.source_size.width(), 2560), timeout=10000)
    viewer.setFocus()
    return viewer


def test_viewer_zooms_pans_turns_and_goes_full_screen_without_touching_the_file(parts, qtbot):
    viewer = _viewer(parts, qtbot)
    canvas = viewer.canvas
    before = _digest(viewer.path)
    assert canvas.fit and viewer.zoom_label.text() in ("Fit", "100%")

    qtbot.keyClick(viewer, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert not canvas.fit and canvas.zoom() == 1.0 and viewer.zoom_label.text() == "100%"
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    assert canvas.zoom() == pytest.approx(1.25)

    # Ctrl+scroll zooms about the pointer: the picture point under it stays put (once the
    # picture is larger than the canvas; a smaller one stays centred).
    canvas.set_zoom(3.0)
    anchor = QPointF(canvas.width() * 0.3, canvas.height() * 0.4)
    rect = canvas.picture_rect()
    fx = (anchor.x() - rect.left()) / rect.width()
    wheel = QWheelEvent(anchor, canvas.mapToGlobal(anchor), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, wheel)
    assert canvas.zoom() == pytest.approx(3.0 * 1.25)
    rect = canvas.picture_rect()
    assert (anchor.x() - rect.left()) / rect.width() == pytest.approx(fx, abs=0.002)

    # Drag to pan.
    canvas.set_zoom(4.0)
    center = canvas.center
    for kind, pos, buttons in ((QEvent.Type.MouseButtonPress, QPointF(400, 300), Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, QPointF(300, 250), Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseButtonRelease, QPointF(300, 250), Qt.MouseButton.NoButton)):
        QApplication.sendEvent(canvas, QMouseEvent(kind, pos, canvas.mapToGlobal(pos), Qt.MouseButton.LeftButton,
                                                   buttons, Qt.KeyboardModifier.NoModifier))
    assert canvas.center.x() > center.x() and canvas.center.y() > center.y()  # dragged left/up: see right/down

    qtbot.keyClick(viewer, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert canvas.fit

    # R turns right, Shift+R left; the turn is remembered for the photo, the file never changes.
    qtbot.keyClick(viewer, Qt.Key.Key_R)
    assert canvas.rotation == 90
    assert canvas.turned_size().width() == canvas.source_size.height()
    qtbot.keyClick(viewer, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(viewer, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
    assert canvas.rotation == 270
    if viewer.model.rowCount() > 1:
        viewer.next()
        assert canvas.rotation == 0
        viewer.previous()
        assert canvas.rotation == 270

    # F: full screen (tool bar hidden); Esc leaves full screen first, the viewer only on a second Esc.
    qtbot.keyClick(viewer, Qt.Key.Key_F)
    assert viewer.fullscreen and viewer.window().isFullScreen() and not viewer.bar.isVisible()
    with qtbot.assertNotEmitted(viewer.closed):
        qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.fullscreen and not viewer.window().isFullScreen() and viewer.bar.isVisible()
    qtbot.keyClick(viewer, Qt.Key.Key_F11)
    assert viewer.fullscreen
    qtbot.keyClick(viewer, Qt.Key.Key_F11)
    assert not viewer.fullscreen
    with qtbot.waitSignal(viewer.closed, timeout=1000):
        qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert _digest(viewer.path) == before


def test_small_images_show_at_100_percent_with_sharp_pixels(qtbot):
    from photoapp.gui.zoom_canvas import ZoomCanvas

    canvas = ZoomCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.show()
    image = QImage(8, 6, QImage.Format.Format_RGB32)
    for x in range(8):
        for y in range(6):
            image.setPixel(x, y, QColor("red" if (x + y) % 2 else "blue").rgb())
    canvas.set_image(image)
    assert canvas.fit and canvas.zoom() == 1.0  # fit never enlarges a small picture
    canvas.set_zoom(10.0)
    shot = canvas.grab().toImage()
    rect = canvas.picture_rect()
    colours = {shot.pixelColor(int(rect.left() + 10 * x + 5), int(rect.top() + 10 * y + 5)).name()
               for x in range(8) for y in range(6)}
    assert colours == {"#ff0000", "#0000ff"}  # every enlarged pixel a pure colour: no blur
    edge = shot.pixelColor(int(rect.left() + 9), int(rect.top() + 5)).name()
    assert edge in ("#ff0000", "#0000ff")


def test_rating_keys_persist_are_searchable_and_undo(parts, indexed_library, qtbot):
    _, _, marks, _ = parts
    lib = indexed_library
    viewer = _viewer(parts, qtbot, row=1)
    doc_id = viewer.doc_id
    with qtbot.waitSignal(marks.changed, timeout=10000):
        qtbot.keyClick(viewer, Qt.Key.Key_4)
    with qtbot.waitSignal(marks.changed, timeout=10000):
        qtbot.keyClick(viewer, Qt.Key.Key_Period)
    assert marks.mark(doc_id) == UserMark(4, True)
    assert viewer.mark_badge.mark == UserMark(4, True)
    # Kept in the library's own user-data file...
    store = UserData.in_folder(lib.settings.data_dir)
    try:
        assert store.get(doc_id) == UserMark(4, True)
    finally:
        store.close()
    # ... and searchable.
    assert doc_id in {h.id for h in lib.search("rating>=4", limit=100)}
    assert doc_id in {h.id for h in lib.search("favorite", limit=100)}
    # Undo takes back the last change only.
    with qtbot.waitSignal(marks.changed, timeout=10000):
        marks.undo()
    assert marks.mark(doc_id) == UserMark(4, False)
    assert doc_id not in {h.id for h in lib.search("favorite", limit=100)}
    with qtbot.waitSignal(marks.changed, timeout=10000):
        marks.undo()
    assert marks.mark(doc_id) == UserMark()
    assert doc_id not in {h.id for h in lib.search("rating>=1", limit=100)}


def _exposure_photo(folder: Path) -> Path:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Nikon"
    exif[ExifTags.Base.Model] = "Nikon Z6"
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.ISOSpeedRatings] = 800
    sub[ExifTags.Base.FNumber] = TiffImagePlugin.IFDRational(4, 1)
    sub[ExifTags.Base.ExposureTime] = TiffImagePlugin.IFDRational(1, 60)
    sub[ExifTags.Base.FocalLength] = TiffImagePlugin.IFDRational(35, 1)
    sub[ExifTags.Base.LensModel] = "NIKKOR Z 35mm f/1.8 S"
    path = folder / "exposure_test.jpg"
    source = next(p for p in sorted(folder.iterdir()) if p.suffix.lower() == ".jpg")
    Image.open(source).convert("RGB").save(path, "JPEG", exif=exif.tobytes())
    return path


def test_detail_panel_shows_exposure_and_rating(parts, indexed_library, qtbot):
    runner, _, marks, _ = parts
    lib = indexed_library
    path = _exposure_photo(Path(lib.photos_dir))
    lib.index()
    before = _digest(path)
    doc = lib.info(path)
    panel = DetailPanel(runner, lib)
    panel.set_marks(marks)
    qtbot.addWidget(panel)
    panel.resize(340, 900)
    panel.show()
    from photoapp.core.records import SearchHit

    with qtbot.waitSignal(panel.loaded, timeout=10000):
        panel.show_hit(SearchHit(doc.id, str(path), 0.0, [str(path)]))
    fields = {k: v.text() for k, v in panel.fields.items()}
    assert (fields["Aperture"], fields["Shutter"], fields["ISO"], fields["Focal length"]) == \
        ("f/4", "1/60 s", "800", "35 mm")
    assert fields["Lens"] == "NIKKOR Z 35mm f/1.8 S"
    assert panel.mark_badge.mark == UserMark()
    with qtbot.waitSignal(marks.changed, timeout=10000):
        panel.mark_badge.rate_clicked.emit(3)
    assert panel.mark_badge.mark == UserMark(3, False)
    assert _digest(path) == before


def test_duplicates_compare_side_by_side_with_synchronised_zoom_and_a_keeper(parts, indexed_library, qtbot):
    runner, thumbs, marks, _ = parts
    lib = indexed_library
    folder = Path(lib.photos_dir)
    original = folder / "chelsea.jpg"
    if not original.exists():
        pytest.skip("chelsea.jpg is not among the sample photos")
    (folder / "backup").mkdir(exist_ok=True)
    small = folder / "backup" / "chelsea_small.jpg"
    with Image.open(original) as im:
        im.resize((im.width // 2, im.height // 2)).save(small, quality=80)
    shutil.copy(original, folder / "backup" / "chelsea_copy.jpg")
    lib.index()
    rows = build_rows(lib, lib.duplicates())
    row = next(r for r in rows if str(original) in {m.path for m in r.members})
    files_before = {m.path: _digest(m.path) for m in row.members}

    view = DuplicatesView(thumbs, marks=marks)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    view.set_rows(rows)
    view.open_group(rows.index(row))
    assert view.comparing
    panes = view.compare.panes
    assert len(panes) == len(row.members) >= 3
    qtbot.waitUntil(lambda: all(not p.canvas.image.isNull() for p in panes), timeout=10000)

    # Suggested keeper: the largest resolution (then the oldest); the half-size copy is not it.
    keeper = next(p for p in panes if p.is_keeper)
    assert keeper.member.width == max(m.width for m in row.members)
    small_pane = next(p for p in panes if p.member.path == str(small))
    assert {"Resolution", "File size", "Name", "Folder"} <= small_pane.differs
    assert small_pane.fact_labels["Resolution"].property("differs") is True
    assert not keeper.differs

    # Zoom and pan one: every other copy shows the same part of its own picture.
    first = panes[0].canvas
    first.set_zoom(first.raw_fit_scale() * 3, QPointF(first.width() * 0.3, first.height() * 0.3))
    first.pan_by(-20, -10)
    state = first.view_state()
    for pane in panes[1:]:
        other = pane.canvas.view_state()
        assert other.relative == pytest.approx(state.relative, rel=1e-6)
        assert other.center[0] == pytest.approx(state.center[0], abs=0.01)

    # Choose another keeper; it is stored in the library and undoable; no file was touched.
    with qtbot.waitSignal(marks.changed, timeout=10000):
        qtbot.mouseClick(small_pane.keep_button, Qt.MouseButton.LeftButton)
    assert small_pane.is_keeper and not keeper.is_keeper
    assert lib.keeper(row.key) == str(small)
    assert "Resolution" in keeper.differs
    with qtbot.waitSignal(marks.changed, timeout=10000):
        marks.undo()
    assert lib.keeper(row.key) is None and keeper.is_keeper
    qtbot.keyClick(view.compare, Qt.Key.Key_Escape)
    assert not view.comparing and not view.compare.panes  # the decoded pictures are let go
    assert {p: _digest(p) for p in files_before} == files_before


def test_main_window_selection_bar_rating_keys_context_menu_undo_and_full_screen(indexed_library, make_window,
                                                                                  qtbot):
    from PySide6.QtCore import QItemSelectionModel

    lib = indexed_library
    window = make_window(lib)
    qtbot.waitUntil(lambda: window.model.rowCount() >= 3, timeout=20000)
    grid, model, marks = window.grid, window.model, window.organiser.marks
    qtbot.waitUntil(lambda: marks.library is lib)
    grid.setFocus()
    grid.setCurrentIndex(model.index(0))
    for r in (1, 2):
        grid.selectionModel().select(model.index(r), QItemSelectionModel.SelectionFlag.Select)
    bar = window.organiser.bar
    assert bar.count.text() == "3 selected" and bar.rate_button.isVisibleTo(window)
    ids = [model.id_at(r) for r in range(3)]
    before = {i: marks.mark(i) for i in ids}  # earlier tests in this module may have rated some

    # "5" on the grid rates the whole selection; the thumbnails get their stars.
    # (waitUntil, not waitSignal(marks.changed): a marks refresh of the library may emit first)
    qtbot.keyClick(grid, Qt.Key.Key_5)
    qtbot.waitUntil(lambda: all(marks.mark(i).rating == 5 for i in ids), timeout=10000)
    assert set(ids) <= {h.id for h in lib.search("rating>=5", limit=100)}
    assert "5 stars on 3 photos" in bar.feedback.text()
    shot = grid.viewport().grab().toImage()
    star = QColor("#f5b301")
    assert any(abs(shot.pixelColor(x, y).red() - star.red()) < 12 and abs(shot.pixelColor(x, y).green() - star.green()) < 12
               and shot.pixelColor(x, y).blue() < 60
               for x in range(0, shot.width(), 2) for y in range(0, shot.height(), 2))

    # The context menu is fuller: open, preview, rate, favourite, undo, select all.
    menu = grid.build_context_menu(model.index(0))
    texts = [a.text().split("\t")[0] for a in menu.actions()]
    for expected in ("Open", "Quick preview", "Find similar", "Rate 3 photos", "Add to favourites", "Undo",
                     "Select all"):
        assert expected in texts, texts
    favourite = next(a for a in menu.actions() if a.text().startswith("Add to favourites"))
    favourite.trigger()
    qtbot.waitUntil(lambda: all(marks.mark(i).favorite for i in ids), timeout=10000)

    # Ctrl+Z undoes the last change only.
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: all(marks.mark(i).favorite == before[i].favorite for i in ids), timeout=10000)
    assert all(marks.mark(i).rating == 5 for i in ids)
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: {i: marks.mark(i) for i in ids} == before, timeout=10000)

    # Batch "find similar": photos like the three, the three themselves left out.
    with qtbot.waitSignal(window.similar_shown, timeout=30000) as shown:
        bar.similar_button.click()
    assert shown.args[0] > 0
    assert not set(ids) & {window.similar_model.id_at(r) for r in range(window.similar_model.rowCount())}

    # Full-screen viewer: the window's chrome goes, and comes back.
    window.browse.back() if hasattr(window, "browse") else window.go_back()
    qtbot.waitUntil(lambda: window.model.rowCount() >= 3, timeout=20000)
    grid.setCurrentIndex(model.index(0))
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.viewer
    shown_before = [w for w in (window.sidebar, window.statusBar()) if w.isVisible()]
    qtbot.keyClick(window.viewer, Qt.Key.Key_F)
    assert window.isFullScreen() and not any(w.isVisible() for w in shown_before)
    qtbot.keyClick(window.viewer, Qt.Key.Key_Escape)
    assert not window.isFullScreen() and all(w.isVisible() for w in shown_before)
    assert window.stack.currentWidget() is window.viewer


def test_an_empty_search_offers_did_you_mean_and_a_way_back(indexed_library, make_window, qtbot):
    lib = indexed_library
    if not hasattr(lib, "suggest"):
        pytest.skip("Library.suggest has not landed yet")
    tag = next((t for t, _ in lib.tag_counts(50, "") if t.isalpha() and len(t) >= 4), None)
    assert tag, "the sample library has tags"
    typo = tag[0] + tag[2] + tag[1] + tag[3:]  # two letters swapped: one edit away
    window = make_window(lib)
    hint = window.organiser.search_help.hint
    with qtbot.waitSignal(window.results_shown, timeout=30000) as shown:
        window.search(typo)
    assert shown.args[0] == 0
    qtbot.waitUntil(lambda: hint.isVisible() and hint.did_you_mean.isVisible(), timeout=10000)
    assert "No photos match" in hint.message.text()
    suggestion = hint.suggestion
    assert suggestion and f">{suggestion}</a>" in hint.did_you_mean.text()
    # The link runs the corrected search...
    with qtbot.waitSignal(window.results_shown, timeout=30000) as shown:
        hint.did_you_mean.linkActivated.emit("suggestion")
    assert shown.args[0] > 0 and not hint.isVisible()
    assert window.search_bar.text() == suggestion
    # ... and "Show all photos" leads back from an empty result.
    with qtbot.waitSignal(window.results_shown, timeout=30000):
        window.search("zzqqxx")
    qtbot.waitUntil(hint.isVisible, timeout=10000)
    with qtbot.waitSignal(window.results_shown, timeout=30000) as shown:
        hint.show_all.linkActivated.emit("all")
    assert shown.args[0] > 0 and not hint.isVisible()


def test_rating_keys_work_in_the_quick_preview_and_the_viewer_of_the_window(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    # The whole listing in and every background job done: a late page or re-sort would reorder
    # the rows under the ids read below.
    qtbot.waitUntil(lambda: window.model.rowCount() > 1 and not window.loader.loading
                    and not window.runner.pending, timeout=20000)
    marks = window.organiser.marks
    qtbot.waitUntil(lambda: marks.library is indexed_library)
    window.grid.setCurrentIndex(window.model.index(0))
    first, second = window.model.id_at(0), window.model.id_at(1)
    before = (marks.mark(first), marks.mark(second))
    qtbot.keyClick(window.grid, Qt.Key.Key_Space)
    preview = window.quick_preview() if callable(window.quick_preview) else window.quick_preview
    assert preview is not None and preview.isVisible()
    with qtbot.waitSignal(marks.changed, timeout=10000):
        qtbot.keyClick(preview.viewer, Qt.Key.Key_2)
    assert marks.mark(first).rating == 2
    qtbot.keyClick(preview, Qt.Key.Key_Space)
    window.grid.setCurrentIndex(window.model.index(1))
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.viewer
    with qtbot.waitSignal(marks.changed, timeout=10000):
        qtbot.keyClick(window.viewer, Qt.Key.Key_Period)
    assert marks.mark(second).favorite != before[1].favorite
    assert window.viewer.mark_badge.mark == marks.mark(second)
    for _ in range(2):
        with qtbot.waitSignal(marks.changed, timeout=10000):
            marks.undo()
    assert (marks.mark(first), marks.mark(second)) == before


def test_marks_given_elsewhere_show_after_a_library_refresh(parts, indexed_library, qtbot):
    _, _, marks, model = parts
    doc_id = model.id_at(0)
    before = marks.mark(doc_id)
    change = indexed_library.set_rating([doc_id], 1 if before.rating != 1 else 2)  # as `photoapp rate` would
    with qtbot.waitSignal(marks.changed, timeout=10000) as changed:
        marks.reload()
    assert doc_id in changed.args[0] and marks.mark(doc_id) == change.marks[doc_id]
    indexed_library.undo()
    with qtbot.waitSignal(marks.changed, timeout=10000):
        marks.reload()
    assert marks.mark(doc_id) == before
