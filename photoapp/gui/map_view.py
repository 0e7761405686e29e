"""The map: every photo with a GPS position as a clustered marker on an offline world map.

Countries come from resources/map/countries.json (Natural Earth via npm world-atlas, drawn with
Qt's painter: no tiles, no network); marker clusters from core/places/clusters.py (screen-space
grid, recomputed when the zoom changes, not while panning). Mouse wheel (or +/-) zooms about the
pointer, dragging (or the arrow keys) pans, 0 fits every photo, a click on a marker emits
``area_selected`` with a ``within:`` query
that lists exactly that marker's photos. Photos without GPS are not placed anywhere: the header
says how many there are.

Everything heavy happens off the GUI thread or once: reading positions (``load_map_data`` runs
in the window's worker pool), projecting them (numpy, once per data set), the country outlines
(one QPainterPath in world units, drawn under a transform, so zoom and pan never rebuild it).
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap, QTransform
from PySide6.QtWidgets import QWidget

from photoapp.core.places import clusters as cl
from photoapp.core.places.index_reads import Positions, positions, without_location
from photoapp.core.places.world import load_countries, project, world_scale_for

from .style import ACCENT, TEXT, TEXT_MUTED

OCEAN = QColor("#dce8f3")
LAND = QColor("#f7f5f0")
BORDER_PEN = QColor("#c3c9d4")
GRATICULE = QColor(255, 255, 255, 120)
MAX_SCALE = 256 * 2 ** 19  # street level
ZOOM_STEP = 1.25
SETTLE_MS = 140  # the land is drawn anew this long after the last zoom step


@dataclass
class MapData:
    positions: Positions
    without_location: int


def load_map_data(library) -> MapData:
    """Runs in a worker: what the map shows, and the country outlines at every detail level
    (a second or two of Python the first time, which the GUI thread must not spend)."""
    for level in range(MIN_DETAIL_LEVEL, FULL_DETAIL_LEVEL + 1):
        world_path(level)
    return MapData(positions(library.backend), without_location(library.backend))


def _world_path(tolerance: float) -> QPainterPath:
    """Every country outline, simplified to ``tolerance`` world units (about half a pixel at the
    zoom it is drawn at): points snapped to that grid, repeats dropped, specks left out. At the
    world view this keeps a few thousand of the 99k points, which is what makes it fast."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    for country in load_countries():
        for ring in country.rings:
            if tolerance > 0:
                span = ring.max(axis=0) - ring.min(axis=0)
                if span[0] < tolerance and span[1] < tolerance:
                    continue  # smaller than a pixel
                snapped = np.round(ring / tolerance)
                keep = np.r_[True, np.any(snapped[1:] != snapped[:-1], axis=1)]
                ring = snapped[keep] * tolerance
                if len(ring) < 3:
                    continue
            points = ring.tolist()  # Python floats: iterating numpy rows costs 5x more
            path.moveTo(*points[0])
            line_to = path.lineTo
            for x, y in points[1:]:
                line_to(x, y)
            path.closeSubpath()
    return path


def _detail_level(scale: float) -> int:
    """Zoom bucket (a power of two) whose simplified outlines serve ``scale``."""
    return min(max(int(math.floor(math.log2(max(scale, 1.0)))), MIN_DETAIL_LEVEL), FULL_DETAIL_LEVEL)


FIT_MAX_SCALE = 256 * 2 ** 6  # world width in px at the closest zoom fit() picks
MIN_DETAIL_LEVEL = 8  # the whole world in 256 px
FULL_DETAIL_LEVEL = 13  # from here on (3 km a pixel: 1:50m data is no finer) the outlines are whole
_paths: dict[int, QPainterPath] = {}
_paths_lock = threading.Lock()


def world_path(level: int) -> QPainterPath:
    """The outlines for a detail level, built once per process (QPainterPath is a value type:
    a worker may build it, the GUI thread draws it)."""
    with _paths_lock:
        if level not in _paths:
            _paths[level] = _world_path(0.0 if level >= FULL_DETAIL_LEVEL else 0.8 / 2 ** level)
        return _paths[level]


class MapView(QWidget):
    """The Map page. ``set_data`` gives it positions; ``area_selected(query, label)`` asks the
    window to list a marker's photos."""

    area_selected = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("MapView")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 240)
        self._land: tuple | None = None  # (pixmap, scale, world x, world y of its top-left)
        self._settle = QTimer(self)  # running while the wheel turns: the land is redrawn after
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.update)
        self._data: MapData | None = None
        self._x = self._y = np.zeros(0)
        self._clusters: cl.Clusters | None = None
        self._cluster_area: tuple[float, float, float, float] | None = None
        self._sprites: dict[tuple, QPixmap] = {}  # (radius, label, hovered) -> drawn marker
        self.scale = 0.0  # pixels per world unit; 0 = not placed yet (fit on first paint)
        self.center = QPointF(0.5, 0.45)  # world units at the middle of the widget
        self._drag_from: QPointF | None = None
        self._drag_center = QPointF()
        self._dragged = False
        self._hover = -1
        self.loading = True

    # --- data -------------------------------------------------------------------------------
    def set_data(self, data: MapData) -> None:
        self._data = data
        self.loading = False
        self._x, self._y = project(data.positions.lat, data.positions.lon)
        self._clusters = None
        self.scale = 0.0  # fit the photos on the next paint
        self.update()

    @property
    def photo_count(self) -> int:
        return len(self._x)

    def fit(self) -> None:
        """Show every photo (the whole world when there are none or they are spread out)."""
        w, h = max(1, self.width()), max(1, self.height())
        world = world_scale_for(w, h, 0.0, 0.08, 1.0, 0.92, margin=0.0)
        if len(self._x):
            x0, x1 = float(self._x.min()), float(self._x.max())
            y0, y1 = float(self._y.min()), float(self._y.max())
            # Never closer than about 2.4 km a pixel (a country and its neighbours in a window):
            # photos from one town would otherwise fill the view with land and no outline, and
            # the user could not tell where on earth the map is.
            self.scale = min(max(world, world_scale_for(w, h, x0, y0, x1, y1)), FIT_MAX_SCALE)
            self.center = QPointF((x0 + x1) / 2, (y0 + y1) / 2)
        else:
            self.scale, self.center = world, QPointF(0.5, 0.5)
        self._clusters = None
        self._clamp()

    def _min_scale(self) -> float:
        return 0.6 * min(self.width(), self.height())

    def _clamp(self) -> None:
        self.scale = min(max(self.scale, self._min_scale()), MAX_SCALE)
        half_h = self.height() / 2 / self.scale
        y = min(max(self.center.y(), min(half_h, 0.5)), max(1 - half_h, 0.5))
        x = min(max(self.center.x(), 0.0), 1.0)
        self.center = QPointF(x, y)

    def clusters(self) -> cl.Clusters:
        """The clusters at the current zoom: recomputed when the zoom changes, or when panning
        leaves the area they were computed for (the view and one view's size around it: zoomed
        in on a city, the photos of other continents are not clustered at street level)."""
        if self.scale == 0.0:
            self.fit()  # not painted yet: place the view first
        w, h = self.width() / self.scale, self.height() / self.scale
        view = (self.center.x() - w / 2, self.center.y() - h / 2, self.center.x() + w / 2, self.center.y() + h / 2)
        area = self._cluster_area
        if (self._clusters is None or self._clusters.scale != self.scale or area is None
                or view[0] < area[0] or view[1] < area[1] or view[2] > area[2] or view[3] > area[3]):
            area = (view[0] - w, view[1] - h, view[2] + w, view[3] + h)
            if area[0] <= 0 and area[1] <= 0 and area[2] >= 1 and area[3] >= 1:
                self._clusters = cl.cluster(self._x, self._y, self.scale)  # the whole world
            else:
                inside = np.flatnonzero((self._x >= area[0]) & (self._x <= area[2])
                                        & (self._y >= area[1]) & (self._y <= area[3]))
                c = cl.cluster(self._x[inside], self._y[inside], self.scale)
                c.order = inside[c.order]  # members as indices of every position
                self._clusters = c
            self._cluster_area = area
        return self._clusters

    # --- coordinates --------------------------------------------------------------------------
    def _offset(self) -> QPointF:
        if self.scale == 0.0:
            self.fit()  # new data, not painted yet: place the view first
        return QPointF(self.center.x() * self.scale - self.width() / 2,
                       self.center.y() * self.scale - self.height() / 2)

    def to_screen(self, wx, wy):
        off = self._offset()
        return np.asarray(wx) * self.scale - off.x(), np.asarray(wy) * self.scale - off.y()

    def to_world(self, p: QPointF) -> QPointF:
        off = self._offset()
        return QPointF((p.x() + off.x()) / self.scale, (p.y() + off.y()) / self.scale)

    @staticmethod
    def marker_radius(counts) -> np.ndarray:
        return 9.0 + 4.0 * np.log10(np.maximum(1, np.asarray(counts, dtype=np.float64))) * 1.6

    # --- painting -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        if self.scale == 0.0:
            self.fit()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), OCEAN)
        self._paint_world(p)
        self._paint_markers(p)
        self._paint_header(p)
        p.end()

    def _paint_world(self, p: QPainter) -> None:
        """The land, from a pixmap drawn at this zoom with a margin around the view: panning
        only moves it; it is drawn again when the zoom changes or the view leaves it."""
        off = self._offset()
        land = self._land
        if land is not None:
            pixmap, scale, wx, wy = land
            dx, dy = wx * self.scale - off.x(), wy * self.scale - off.y()
            ratio = pixmap.devicePixelRatio()
            if scale == self.scale and dx <= 0 and dy <= 0 and \
                    dx + pixmap.width() / ratio >= self.width() and dy + pixmap.height() / ratio >= self.height():
                p.drawPixmap(QPointF(dx, dy), pixmap)
                return
            if scale != self.scale and self._settle.isActive():
                # Mid-zoom: the land drawn at the last zoom, stretched (blurry for a moment,
                # never a stall); drawn sharp once the wheel has been still for SETTLE_MS.
                k = self.scale / scale
                p.save()
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
                p.drawPixmap(QRectF(dx, dy, pixmap.width() / ratio * k, pixmap.height() / ratio * k), pixmap,
                             QRectF(pixmap.rect()))
                p.restore()
                return
        margin_x, margin_y = self.width() // 2, self.height() // 2
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(int((self.width() + 2 * margin_x) * ratio), int((self.height() + 2 * margin_y) * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(OCEAN)
        level = _detail_level(self.scale)
        path = _paths.get(level)
        if path is None and self.loading:
            p.fillRect(self.rect(), OCEAN)  # the worker is still building the outlines: wait for them
            return
        path = path if path is not None else world_path(level)
        q = QPainter(pixmap)
        q.setRenderHint(QPainter.RenderHint.Antialiasing)
        q.setTransform(QTransform(self.scale, 0, 0, self.scale, -(off.x() - margin_x), -(off.y() - margin_y)))
        pen = QPen(BORDER_PEN, 0.8)
        pen.setCosmetic(True)  # one device pixel whatever the zoom
        q.setPen(pen)
        q.setBrush(LAND)
        q.drawPath(path)
        q.end()
        self._land = (pixmap, self.scale, (off.x() - margin_x) / self.scale, (off.y() - margin_y) / self.scale)
        p.drawPixmap(QPointF(-margin_x, -margin_y), pixmap)

    def _paint_markers(self, p: QPainter) -> None:
        c = self.clusters()
        if not len(c):
            return
        sx, sy = self.to_screen(c.x, c.y)
        radius = self.marker_radius(c.counts)
        visible = np.flatnonzero((sx > -radius) & (sx < self.width() + radius)
                                 & (sy > -radius) & (sy < self.height() + radius))
        for i in visible[np.argsort(c.counts[visible], kind="stable")]:  # big markers on top
            sprite = self._sprite(float(radius[i]), int(c.counts[i]), i == self._hover)
            half = sprite.width() / sprite.devicePixelRatio() / 2
            p.drawPixmap(QPointF(float(sx[i]) - half, float(sy[i]) - half), sprite)

    def _sprite(self, r: float, n: int, hover: bool) -> QPixmap:
        """A marker drawn once and reused (an antialiased ellipse costs ~0.5 ms; a pixmap
        blit a few microseconds, which keeps hundreds of markers cheap while panning)."""
        text = "" if n <= 1 else (f"{n / 1000:.0f}k" if n >= 10_000 else (f"{n / 1000:.1f}k" if n >= 1000 else str(n)))
        key = (round(r * 2) / 2, text, hover)
        sprite = self._sprites.get(key)
        if sprite is not None:
            return sprite
        r = key[0]
        ratio = self.devicePixelRatioF()
        side = int(math.ceil(2 * (r + 5)))
        sprite = QPixmap(int(side * ratio), int(side * ratio))
        sprite.setDevicePixelRatio(ratio)
        sprite.fill(Qt.GlobalColor.transparent)
        q = QPainter(sprite)
        q.setRenderHint(QPainter.RenderHint.Antialiasing)
        center = QPointF(side / 2, side / 2)
        accent = QColor(ACCENT)
        halo = QColor(accent)
        halo.setAlpha(60)
        q.setPen(Qt.PenStyle.NoPen)
        q.setBrush(halo)
        q.drawEllipse(center, r + 4, r + 4)
        q.setPen(QPen(QColor("white"), 2))
        q.setBrush(accent.darker(115) if hover else accent)
        q.drawEllipse(center, r, r)
        if text:
            font = QFont(self.font())
            font.setPointSizeF(8.5)
            font.setBold(True)
            q.setFont(font)
            q.setPen(QColor("white"))
            q.drawText(QRectF(center.x() - r, center.y() - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, text)
        q.end()
        if len(self._sprites) > 4000:
            self._sprites.clear()
        self._sprites[key] = sprite
        return sprite

    def header_text(self) -> str:
        if self.loading:
            return "Loading the map…"
        n = self.photo_count
        missing = self._data.without_location if self._data else 0
        placed = f"{n:,} photo{'s' if n != 1 else ''} on the map"
        if not n:
            placed = "No photo has a GPS position yet"
        return f"{placed} · {missing:,} without location" if missing else placed

    def _paint_header(self, p: QPainter) -> None:
        title = self.header_text()
        hint = "Scroll to zoom · drag to move · click a marker to see its photos"
        bold = QFont(self.font())
        bold.setPointSizeF(10.5)
        bold.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(8.5)
        from PySide6.QtGui import QFontMetricsF

        w = max(QFontMetricsF(bold).horizontalAdvance(title), QFontMetricsF(small).horizontalAdvance(hint)) + 28
        box = QRectF(12, 12, min(w, self.width() - 24), 52)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(255, 255, 255, 235))
        p.drawRoundedRect(box, 8, 8)
        p.setFont(bold)
        p.setPen(QColor(TEXT))
        p.drawText(box.adjusted(12, 7, -12, -26), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        p.setFont(small)
        p.setPen(QColor(TEXT_MUTED))
        p.drawText(box.adjusted(12, 27, -12, -6), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, hint)

    # --- interaction --------------------------------------------------------------------------
    def zoom_at(self, pos: QPointF, factor: float) -> None:
        """Zoom by ``factor`` keeping the world point under ``pos`` where it is."""
        before = self.to_world(pos)
        self.scale = min(max(self.scale * factor, self._min_scale()), MAX_SCALE)
        after = self.to_world(pos)
        self.center = QPointF(self.center.x() + before.x() - after.x(), self.center.y() + before.y() - after.y())
        self._clamp()
        self.update()

    def pan_by(self, dx: float, dy: float) -> None:
        self.center = QPointF(self.center.x() - dx / self.scale, self.center.y() - dy / self.scale)
        self._clamp()
        self.update()

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self._settle.start()
            self.zoom_at(event.position(), ZOOM_STEP ** steps)
        event.accept()

    def keyPressEvent(self, event) -> None:
        middle = QPointF(self.width() / 2, self.height() / 2)
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_at(middle, ZOOM_STEP * ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_at(middle, 1 / (ZOOM_STEP * ZOOM_STEP))
        elif key == Qt.Key.Key_0:
            self.fit()
            self.update()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = 0.25 * min(self.width(), self.height())  # a quarter of the view per press
            dx = {Qt.Key.Key_Left: step, Qt.Key.Key_Right: -step}.get(key, 0.0)
            dy = {Qt.Key.Key_Up: step, Qt.Key.Key_Down: -step}.get(key, 0.0)
            self.pan_by(dx, dy)
        else:
            super().keyPressEvent(event)

    def marker_at(self, pos: QPointF) -> int:
        c = self.clusters()
        if not len(c):
            return -1
        w = self.to_world(pos)
        return c.at(w.x(), w.y(), (self.marker_radius(c.counts) + 2) / self.scale)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            # Copies: the event's point is gone once the event is.
            self._drag_from, self._drag_center, self._dragged = QPointF(event.position()), QPointF(self.center), False
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._drag_from is not None:
            d = event.position() - self._drag_from
            if self._dragged or abs(d.x()) + abs(d.y()) > 4:
                self._dragged = True
                self.center = QPointF(self._drag_center.x() - d.x() / self.scale,
                                      self._drag_center.y() - d.y() / self.scale)
                self._clamp()
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
                self.update()
            return
        hover = self.marker_at(event.position())
        if hover != self._hover:
            self._hover = hover
            self.setCursor(Qt.CursorShape.PointingHandCursor if hover >= 0 else Qt.CursorShape.ArrowCursor)
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._drag_from is not None:
            clicked = not self._dragged
            self._drag_from, self._dragged = None, False
            self.setCursor(Qt.CursorShape.ArrowCursor)
            if clicked:
                self.select_marker(self.marker_at(event.position()))
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        if self.marker_at(event.position()) < 0:
            self.zoom_at(event.position(), ZOOM_STEP ** 3)

    def select_marker(self, i: int) -> None:
        if i < 0 or self._data is None:
            return
        c = self.clusters()
        box = c.box(i, self._data.positions.lat, self._data.positions.lon)
        n = int(c.counts[i])
        self.area_selected.emit(box.query_text(), f"{n:,} photo{'s' if n != 1 else ''} on the map")

    def marker_screen_positions(self) -> list[tuple[float, float, int]]:
        """(x, y, count) of the markers inside the widget (tests, screenshots)."""
        c = self.clusters()
        sx, sy = self.to_screen(c.x, c.y)
        inside = (sx >= 0) & (sx < self.width()) & (sy >= 0) & (sy < self.height())
        return [(float(sx[i]), float(sy[i]), int(c.counts[i])) for i in np.flatnonzero(inside)]



class MapPage(MapView):
    """The map as a page of the main window: loads the library's positions in the worker pool
    whenever it is shown (a photo indexed meanwhile appears), keeping the view where it was."""

    def __init__(self, runner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self._generation = 0

    def load(self, library, on_error=None) -> None:
        self._generation += 1
        generation = self._generation

        def show(data: MapData) -> None:
            if generation != self._generation:
                return
            keep = (self.scale, QPointF(self.center)) if self._data is not None else None
            self.set_data(data)
            if keep is not None and keep[0]:
                self.scale, self.center = keep
                self._clamp()

        self.runner.submit(lambda: load_map_data(library), show, on_error)


def install(window) -> MapPage:
    """Add the map page to the main window's stack; a marker's photos open as a search (one
    line in main_window.py)."""
    from .navigation import MapArea

    page = MapPage(window.runner)
    window.stack.addWidget(page)
    page.area_selected.connect(lambda query, label: window.browse.go(MapArea(query)))
    return page
