"""The timeline scrubber beside All photos, the On this day page and the date's source in the
detail panel, in the real main window over a real library dated by file names and EXIF.

Set PHOTOAPP_TIMELINE_SHOTS=DIR to also save what each test shows as PNG files there."""
from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from PySide6.QtCore import QPoint, Qt

from photoapp.gui.navigation import All, OnThisDay, Tag

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "photos"
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def _today() -> date:
    today = date.today()
    return today.replace(day=28) if (today.month, today.day) == (2, 29) else today


def _names(today: date) -> list[str]:
    """One file name per sample photo: three taken on today's month and day in earlier years,
    the others spread over a decade, all dated by the patterns phones write."""
    y = today.year
    return [
        f"PXL_{y - 1}{today:%m%d}_093000123.jpg",             # on this day, 1 year ago
        f"IMG_{y - 3}{today:%m%d}_181500.jpg",                # 3 years ago
        f"IMG-{y - 6}{today:%m%d}-WA0004.jpg",                # 6 years ago (WhatsApp)
        "exif.jpg",                                           # EXIF with a UTC offset, below
        f"{y - 2}-06-01 10.00.00.jpg",
        f"Screenshot_{y - 4}0105-101010.png",
        f"IMG_{y - 5}0704_120000.jpg",
        f"IMG_{y - 8}0820_080000.jpg",
        f"IMG_{y - 9}1111_111111.jpg",
        f"IMG_{y - 10}0202_020202.jpg",
    ]


@pytest.fixture(scope="module")
def dated_library(tmp_path_factory):
    from photoapp.core.library import Library
    from photoapp.core.settings import Settings

    samples = sorted(p for p in SAMPLES.glob("*.jpg"))
    if len(samples) < 10:
        pytest.skip("tests/data/photos is missing")
    root = tmp_path_factory.mktemp("timeline-gui")
    photos = root / "photos"
    photos.mkdir()
    today = _today()
    for sample, name in zip(samples, _names(today)):
        if name == "exif.jpg":
            exif = Image.Exif()
            sub = exif.get_ifd(ExifTags.IFD.Exif)
            sub[ExifTags.Base.DateTimeOriginal] = f"{today.year - 7}:03:14 15:09:26"
            sub[ExifTags.Base.OffsetTimeOriginal] = "+02:00"
            with Image.open(sample) as img:
                img.save(photos / name, exif=exif.tobytes())
        else:
            shutil.copy(sample, photos / name)
    library = Library.open(Settings(data_dir=root / "appdata", models_dir=MODELS_DIR, decode_workers=2,
                                    batch_size=4))
    library.add_folder(photos)
    assert library.index().indexed == 10
    library.photos_dir = photos
    try:
        yield library
    finally:
        library.close()


def _shot(widget, name: str) -> None:
    folder = os.environ.get("PHOTOAPP_TIMELINE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


def test_scrubber_shows_years_and_jumps_the_grid(dated_library, make_window, qtbot):
    window = make_window(dated_library, size=(900, 520))
    window.size_slider.setValue(200)  # 10 photos that do not fit: the grid scrolls
    scrubber = window.timeline.scrubber
    qtbot.waitUntil(lambda: scrubber.isVisible() and scrubber.timeline.total == 10, timeout=20000)
    qtbot.waitUntil(lambda: window.model.rowCount() == 10, timeout=20000)
    y = _today().year
    years = [m.year for m in scrubber.timeline.years()]
    assert years == [y - 1, y - 2, y - 3, y - 4, y - 5, y - 6, y - 7, y - 8, y - 9, y - 10]
    marks = scrubber.year_marks()
    assert [m[0] for m in marks] == years and marks[0][2]  # newest year labelled, at the top
    assert [m[1] for m in marks] == sorted(m[1] for m in marks)
    # The scrubber stands in for the scroll bar.
    assert window.grid.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    # Jump to the oldest year: the grid scrolls so that its photo is the first one shown.
    row = scrubber.jump_to(y - 10)
    assert row == 9
    index = window.model.index(row)
    qtbot.waitUntil(lambda: window.grid.viewport().rect().intersects(window.grid.visualRect(index)), timeout=5000)
    assert window.grid.verticalScrollBar().value() > 0
    assert Path(window.model.hit(row).path).name == f"IMG_{y - 10}0202_020202.jpg"
    # A click on the strip jumps to the photo under it, and hovering names its month.
    top = int(scrubber.y_of_row(0)) + 1
    qtbot.mouseClick(scrubber, Qt.MouseButton.LeftButton, pos=QPoint(20, top))
    qtbot.waitUntil(lambda: window.grid.verticalScrollBar().value() == 0, timeout=5000)
    assert window.timeline.first_visible_row() == 0
    scrubber.show_hover(int(scrubber.y_of_row(3)) + 2)  # rows: newest first, y-4 is the 4th year
    assert scrubber.bubble.isVisible() and scrubber.bubble.text() == f"January {y - 4}"
    _shot(window, "timeline-all-photos")
    # Another listing, or All photos by name: the counts describe neither, so no scrubber.
    window.navigate(Tag("dog"))
    qtbot.waitUntil(lambda: not scrubber.isVisible(), timeout=5000)
    assert window.grid.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
    window.navigate(All())
    qtbot.waitUntil(lambda: scrubber.isVisible(), timeout=10000)
    window.sort_combo.setCurrentIndex(window.sort_combo.findData("name"))
    qtbot.waitUntil(lambda: not scrubber.isVisible(), timeout=5000)
    window.sort_combo.setCurrentIndex(window.sort_combo.findData("date"))
    qtbot.waitUntil(lambda: scrubber.isVisible(), timeout=10000)


def test_on_this_day_page_groups_earlier_years(dated_library, make_window, qtbot):
    window = make_window(dated_library, size=(1100, 700))
    assert window.sidebar.has_view(OnThisDay())
    item = window.sidebar._items[OnThisDay()]
    qtbot.waitUntil(lambda: item.text(0) == "On this day  ·  3", timeout=20000)  # today's photos, counted
    window.navigate(OnThisDay())
    page = window.on_this_day_page
    qtbot.waitUntil(lambda: len(page.sections) == 3, timeout=20000)
    assert window.stack.currentWidget() is page
    y = _today().year
    assert [(s.group.year, s.group.title) for s in page.sections] == [
        (y - 1, "1 year ago"), (y - 3, "3 years ago"), (y - 6, "6 years ago")]
    assert all(s.model.rowCount() == 1 for s in page.sections)
    assert "3 photos from 3 earlier years" in page.subtitle.text()
    # Every year's grid is as tall as its photos: the page scrolls, not the grids.
    for section in page.sections:
        cell = section.grid.gridSize()
        assert cell.height() <= section.grid.height() <= 2 * cell.height()
    # Selecting a photo shows it in the detail panel, with where its date came from.
    grid = page.sections[2].grid
    with qtbot.waitSignal(window.detail.loaded, timeout=20000):
        grid.setCurrentIndex(page.sections[2].model.index(0))
    qtbot.waitUntil(lambda: "from the file name" in window.detail.fields["Date"].text(), timeout=5000)
    _shot(window, "on-this-day")
    # Opening it shows the viewer; Back returns to the page.
    grid.open_requested.emit(0)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.viewer, timeout=5000)
    window.browse.back()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is page, timeout=5000)


def test_on_this_day_without_photos_says_so(dated_library, make_window, qtbot):
    window = make_window(dated_library, size=(900, 600))
    page = window.on_this_day_page
    page.load(dated_library, date(2030, 10, 31))
    qtbot.waitUntil(lambda: page.empty.isVisible() and "No photos from 31 October" in page.empty.text(),
                    timeout=20000)
    assert page.sections == []


def test_detail_panel_names_the_date_source_and_time_zone(dated_library, make_window, qtbot):
    window = make_window(dated_library, size=(1100, 700))
    window.navigate(All())  # the window reopens on the last view: On this day, above
    qtbot.waitUntil(lambda: window.model.rowCount() == 10, timeout=20000)
    row = next(r for r in range(10) if Path(window.model.hit(r).path).name == "exif.jpg")
    with qtbot.waitSignal(window.detail.loaded, timeout=20000):
        window.grid.setCurrentIndex(window.model.index(row))
    qtbot.waitUntil(lambda: "from the camera" in window.detail.fields["Date"].text(), timeout=5000)
    text = window.detail.fields["Date"].text()
    assert f"{_today().year - 7}-03-14 15:09" in text and "UTC+02:00" in text
    assert "with its time zone" in text
    _shot(window.detail, "detail-date-source")


def test_the_wheel_over_a_year_scrolls_the_page(dated_library, make_window, qtbot):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    window = make_window(dated_library, size=(900, 420))
    window.size_slider.setValue(220)
    window.navigate(OnThisDay())
    page = window.on_this_day_page
    qtbot.waitUntil(lambda: len(page.sections) == 3, timeout=20000)
    bar = page.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)  # three years do not fit
    viewport = page.sections[0].grid.viewport()
    at = QPointF(20, 20)
    wheel = QWheelEvent(at, viewport.mapToGlobal(at), QPoint(0, 0), QPoint(0, -240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, wheel)
    assert bar.value() > 0
