"""The map page in the real main window: markers for photos with GPS (JPEGs with GPS EXIF made
here, indexed with the real models), how many have no location, zoom and pan with the mouse,
clusters that split when zooming in, and a click on a marker listing exactly its photos."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import _settings  # noqa: E402
from photo_factory import exif_bytes, gradient, save  # noqa: E402

from photoapp.gui.navigation import Map, MapArea  # noqa: E402

PHOTOS = {"arezzo1.jpg": (43.4674483, 11.8851267), "arezzo2.jpg": (43.464455, 11.8814783),
          "florence.jpg": (43.7855944, 11.2346194), "sydney.jpg": (-33.8568, 151.2153)}


@pytest.fixture(scope="module")
def gps_library(tmp_path_factory):
    from photoapp.core.library import Library

    root = tmp_path_factory.mktemp("map-lib")
    for i, (name, gps) in enumerate(PHOTOS.items()):
        save(gradient(96, 64, seed=i), root / "photos" / name, "JPEG", exif=exif_bytes(gps=gps))
    save(gradient(96, 64, seed=99), root / "photos" / "no_gps.jpg", "JPEG")
    library = Library.open(_settings(root / "appdata"))
    library.add_folder(root / "photos")
    library.index()
    yield library
    library.close()


def _open_map(window, qtbot):
    window.browse.go(Map())
    page = window.map_page
    qtbot.waitUntil(lambda: not page.loading, timeout=20000)
    assert window.stack.currentWidget() is page
    return page


def test_map_shows_markers_and_the_photos_without_location(gps_library, make_window, qtbot, tmp_path):
    window = make_window(gps_library)
    page = _open_map(window, qtbot)
    assert page.header_text() == "4 photos on the map · 1 without location"
    assert not page.grab().isNull()  # the whole page draws (land, markers, header)
    markers = page.marker_screen_positions()
    assert sum(n for _, _, n in markers) == 4
    # Seen whole, the three Tuscan photos are one marker and Sydney another.
    assert sorted(n for _, _, n in markers) == [1, 3]


def test_zoom_splits_clusters_and_drag_pans(gps_library, make_window, qtbot):
    window = make_window(gps_library)
    page = _open_map(window, qtbot)
    from photoapp.core.places.world import project

    scale = page.scale
    middle = project(43.62, 11.56)  # between Florence and Arezzo (63 km apart)
    sx, sy = page.to_screen(*middle)
    for _ in range(20):  # zoom in over Tuscany: the point under the pointer stays put
        page.zoom_at(QPointF(float(sx), float(sy)), 1.25)
    # ... then drag it to the middle of the map
    qtbot.mousePress(page, Qt.MouseButton.LeftButton, pos=QPoint(round(sx), round(sy)))
    qtbot.mouseMove(page, QPoint(round(sx) + 10, round(sy)))
    qtbot.mouseMove(page, QPoint(page.width() // 2, page.height() // 2))
    qtbot.mouseRelease(page, Qt.MouseButton.LeftButton, pos=QPoint(page.width() // 2, page.height() // 2))
    mx, my = page.to_screen(*middle)
    assert (float(mx), float(my)) == pytest.approx((page.width() // 2, page.height() // 2), abs=1)
    assert page.scale > scale * 50
    counts = sorted(n for _, _, n in page.marker_screen_positions())
    assert counts in ([1, 2], [1, 1, 1])  # Florence apart from Arezzo (Sydney is off screen)
    center = QPointF(page.center)
    qtbot.mousePress(page, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    for x in range(210, 300, 10):
        qtbot.mouseMove(page, QPoint(x, 200))
    qtbot.mouseRelease(page, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    assert page.center.x() < center.x() and page.center.y() == pytest.approx(center.y())
    assert window.current_view == Map()  # a drag is not a click on a marker


def test_clicking_a_marker_lists_exactly_its_photos(gps_library, make_window, qtbot):
    window = make_window(gps_library)
    page = _open_map(window, qtbot)
    x, y, n = max(page.marker_screen_positions(), key=lambda m: m[2])
    assert n == 3
    with qtbot.waitSignal(window.results_finished, timeout=30000) as done:
        qtbot.mouseClick(page, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert isinstance(window.current_view, MapArea) and window.current_view.text.startswith("within:")
    assert window.grid_page.title.text() == "On the map"
    assert done.args[0] == 3
    names = sorted(Path(window.model.hit(r).path).name for r in range(window.model.rowCount()))
    assert names == ["arezzo1.jpg", "arezzo2.jpg", "florence.jpg"]
    window.browse.back()
    qtbot.waitUntil(lambda: window.current_view == Map())


def test_an_empty_map_says_so(make_window, qtbot, tmp_path):
    from photoapp.core.library import Library

    save(gradient(64, 48), tmp_path / "photos" / "plain.jpg", "JPEG")
    library = Library.open(_settings(tmp_path / "appdata"))
    try:
        library.add_folder(tmp_path / "photos")
        library.index()
        window = make_window(library)
        page = _open_map(window, qtbot)
        assert page.header_text() == "No photo has a GPS position yet · 1 without location"
        assert page.marker_screen_positions() == []
        assert np.isfinite(page.scale) and page.scale > 0
    finally:
        window.shutdown() if "window" in locals() else None
        library.close()


def test_mouse_wheel_zooms_about_the_pointer(qtbot):
    from photoapp.core.places.index_reads import Positions
    from photoapp.core.places.world import project
    from photoapp.gui.map_view import MapData, MapView

    view = MapView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    lat, lon = np.array([43.4674483, -33.8568]), np.array([11.8851267, 151.2153])
    view.set_data(MapData(Positions(["a", "b"], lat, lon), 0))
    view.fit()
    arezzo = project(lat[0], lon[0])
    before = view.to_screen(*arezzo)
    scale = view.scale
    _wheel(view, QPointF(float(before[0]), float(before[1])), 240)
    assert view.scale == pytest.approx(scale * 1.25 ** 2)
    after = view.to_screen(*arezzo)
    assert (float(after[0]), float(after[1])) == pytest.approx((float(before[0]), float(before[1])), abs=0.5)
    _wheel(view, QPointF(400, 300), -120 * 40)  # far out: held at the whole world
    assert view.scale == pytest.approx(view._min_scale())


def _wheel(widget, pos: QPointF, delta: int) -> None:
    from PySide6.QtCore import QPoint as P
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    event = QWheelEvent(pos, widget.mapToGlobal(pos), P(0, 0), P(0, delta), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_detail_panel_names_the_place_with_its_coordinates(gps_library, make_window, qtbot):
    window = make_window(gps_library)
    window.browse.search("place:arezzo")
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=20000)
    hit = window.model.hit(0)
    with qtbot.waitSignal(window.detail.loaded, timeout=20000):
        window.grid.setCurrentIndex(window.model.index(1))
        window.grid.setCurrentIndex(window.model.index(0))
    qtbot.waitUntil(lambda: window.detail.current_id == hit.id and window.detail.document is not None)
    place, coordinates = window.detail.fields["Place"].text().split("\n")
    assert place == "Arezzo, Tuscany, Italy"
    assert coordinates.startswith("43.46") and coordinates.endswith("° E")


def test_keys_pan_zoom_and_fit(qtbot):
    from photoapp.core.places.index_reads import Positions
    from photoapp.gui.map_view import MapData, MapView

    view = MapView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.set_data(MapData(Positions(["a"], np.array([43.46]), np.array([11.88])), 0))
    view.fit()
    fitted = (view.scale, QPointF(view.center))
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.scale == pytest.approx(fitted[0] * 1.25 ** 2)
    x = view.center.x()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.center.x() > x
    qtbot.keyClick(view, Qt.Key.Key_0)
    assert (view.scale, view.center) == (fitted[0], fitted[1])
