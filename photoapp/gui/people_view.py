"""People in the app: the People page (a card per person: face, name, photo count; named first,
then by size), a person's page (their photos, "More like this face", naming inline), merging by
multi-select, and face boxes with names over the detail panel's preview (click one: its person).

Everything people *are* lives in the core (``Library.people``, core/people); this module lays it
out, edits through that object in workers, and crops faces from the photos for display.

    install(window) -> PeoplePages      # one line in main_window.py; browse.py shows the views
"""
from __future__ import annotations

import os

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QLineEdit, QListView, QPushButton,
                               QSizePolicy, QStackedWidget, QStyle, QStyledItemDelegate, QVBoxLayout, QWidget)

from . import style
from .icons import icon
from .navigation import People, Person
from .pages import back_button
from .photo_grid import PhotoGridView
from .photo_model import PhotoListModel
from .thumbnails import read_scaled

CROP_SIDE = 112  # face on a card, in pixels
CROP_SOURCE_SIDE = 1024  # the photo is decoded at this size to cut a face from it
CARD = QSize(150, 178)
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
PERSON_ROLE = Qt.ItemDataRole.UserRole + 2


# --- face crops (worker threads: QImage only) ------------------------------------------------
def face_crop(path: str, box, side: int = CROP_SIDE) -> QImage:
    """A round crop of the face ``box`` (normalised x0, y0, x1, y1) of the photo at ``path``, with
    some room around it (hair, chin), ``side`` pixels square; a null image when unreadable."""
    image = read_scaled(path, CROP_SOURCE_SIDE)
    if image.isNull():
        return QImage()
    w, h = image.width(), image.height()
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2 * w, (y0 + y1) / 2 * h
    half = max((x1 - x0) * w, (y1 - y0) * h) * 0.8
    half = max(8.0, min(half, w / 2, h / 2))
    left = int(min(max(0.0, cx - half), w - 2 * half))
    top = int(min(max(0.0, cy - half), h - 2 * half))
    square = image.copy(QRect(left, top, int(2 * half), int(2 * half)))
    scaled = square.scaled(side, side, Qt.AspectRatioMode.IgnoreAspectRatio,
                           Qt.TransformationMode.SmoothTransformation)
    out = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    clip = QPainterPath()
    clip.addEllipse(QRectF(0, 0, side, side))
    painter.setClipPath(clip)
    painter.drawImage(0, 0, scaled)
    painter.end()
    return out


CROPS_PER_TASK = 8  # cover faces cut per worker task: the cards fill in while the page is usable


def cover_crop(library, person) -> QImage:
    """The face shown on a person's card, cut from its photo (a worker: it decodes the photo)."""
    face = library.people.cover_face(person.id)
    if face is None:
        return QImage()
    path = dict(zip(person.doc_ids, person.paths)).get(face.doc_id)
    return face_crop(path, face.box) if path and os.path.exists(path) else QImage()


# --- the People page ---------------------------------------------------------------------------
class PeopleModel(QAbstractListModel):
    """One row per person; the name is editable in place (``name_edited`` asks the core)."""

    name_edited = Signal(int, str)  # person id, new name ("" clears)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cards: list[tuple] = []

    def set_cards(self, cards: list[tuple]) -> None:
        self.beginResetModel()
        self.cards = list(cards)
        self.endResetModel()

    def set_crop(self, person_id: int, crop: QImage) -> None:
        for row, (person, _) in enumerate(self.cards):
            if person.id == person_id:
                self.cards[row] = (person, crop)
                self.dataChanged.emit(self.index(row), self.index(row), [Qt.ItemDataRole.DecorationRole])
                return

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self.cards)

    def person(self, row: int):
        return self.cards[row][0] if 0 <= row < len(self.cards) else None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.cards):
            return None
        person, crop = self.cards[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, NAME_ROLE):
            return person.name or ""
        if role == Qt.ItemDataRole.DecorationRole:
            return crop
        if role == PERSON_ROLE:
            return person
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{person.name or 'Unnamed person'} · {person.size} photo{'s' if person.size != 1 else ''}"
                    "\nDouble-click the name to edit it, the face to open")
        return None

    def flags(self, index: QModelIndex):
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.isValid() else base

    def setData(self, index: QModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        person = self.person(index.row())
        text = " ".join(str(value or "").split())
        if person is None or text == (person.name or ""):
            return False
        self.name_edited.emit(person.id, text)
        return True


class PersonCardDelegate(QStyledItemDelegate):
    """A round face, the name (or "Add a name") and the number of photos."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt override
        return CARD

    @staticmethod
    def name_rect(rect: QRect) -> QRect:
        return QRect(rect.left() + 6, rect.top() + CROP_SIDE + 16, rect.width() - 12, 22)

    def paint(self, painter: QPainter, option, index) -> None:
        person = index.data(PERSON_ROLE)
        if person is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(3, 3, -3, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            painter.setPen(QPen(QColor(style.ACCENT), 1.5) if selected else Qt.PenStyle.NoPen)
            painter.setBrush(QColor(style.ACCENT_SOFT) if selected else QColor(style.PLACEHOLDER).lighter(104))
            painter.drawRoundedRect(QRectF(rect), 10, 10)
        face = QRect(rect.left() + (rect.width() - CROP_SIDE) // 2, rect.top() + 8, CROP_SIDE, CROP_SIDE)
        crop = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(crop, QImage) and not crop.isNull():
            painter.drawImage(face, crop)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(style.PLACEHOLDER))
            painter.drawEllipse(face)
            painter.drawPixmap(face.adjusted(30, 30, -30, -30), icon("people", style.TEXT_MUTED).pixmap(52, 52))
        name_rect = self.name_rect(option.rect)
        font = QFont(option.font)
        font.setBold(bool(person.name))
        font.setItalic(not person.name)
        painter.setFont(font)
        painter.setPen(QColor(style.TEXT if person.name else style.TEXT_MUTED))
        name = QFontMetrics(font).elidedText(person.name or "Add a name", Qt.TextElideMode.ElideRight,
                                             name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, name)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        painter.setFont(small)
        painter.setPen(QColor(style.TEXT_MUTED))
        count = f"{person.size:,} photo{'s' if person.size != 1 else ''}"
        painter.drawText(QRect(name_rect.left(), name_rect.bottom() + 1, name_rect.width(), 18),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, count)
        painter.restore()

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt override
        editor = QLineEdit(parent)
        editor.setPlaceholderText("Name")
        editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return editor

    def updateEditorGeometry(self, editor, option, index) -> None:  # noqa: N802 - Qt override
        editor.setGeometry(self.name_rect(option.rect).adjusted(-2, -2, 2, 2))


class PeopleGrid(QListView):
    """Cards in rows; double-click on a name edits it, anywhere else opens the person."""

    person_opened = Signal(object)  # Person

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(6)
        self.setMouseTracking(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setItemDelegate(PersonCardDelegate(self))
        self.setFrameShape(QListView.Shape.NoFrame)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt override
        index = self.indexAt(event.position().toPoint())
        if not index.isValid():
            return
        if PersonCardDelegate.name_rect(self.visualRect(index)).contains(event.position().toPoint()):
            self.edit(index)
        else:
            self.person_opened.emit(index.data(PERSON_ROLE))

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != self.State.EditingState:
            index = self.currentIndex()
            if index.isValid():
                self.person_opened.emit(index.data(PERSON_ROLE))
                return
        super().keyPressEvent(event)


def _header(title: str):
    back = back_button()
    back.hide()
    title_label = QLabel(title)
    title_label.setObjectName("ViewTitle")
    subtitle = QLabel("")
    subtitle.setObjectName("ViewSubtitle")
    row = QHBoxLayout()
    row.setSpacing(8)
    row.addWidget(back)
    row.addWidget(title_label)
    row.addSpacing(6)
    row.addWidget(subtitle, 1, Qt.AlignmentFlag.AlignBottom)
    return row, back, title_label, subtitle


class PeoplePage(QWidget):
    """Every person as a card. Select several and Merge; F2 or double-click a name to name."""

    person_requested = Signal(object)  # Person
    merge_requested = Signal(list)  # [person ids], the first is kept
    name_requested = Signal(int, str)
    switch_requested = Signal(bool)  # face recognition on (True) / off (False)

    def __init__(self, parent=None):
        super().__init__(parent)
        header, self.back_button, self.title, self.subtitle = _header("People")
        self.merge_button = QPushButton("Merge selected")
        self.merge_button.setToolTip("Make the selected people one person (select two or more)")
        self.merge_button.setEnabled(False)
        self.merge_button.clicked.connect(self._merge)
        header.addWidget(self.merge_button)
        # The privacy switch: off forgets every face, person and name (asked first).
        self.switch_button = QPushButton("Turn off face recognition…")
        self.switch_button.setFlat(True)
        self.switch_button.setToolTip("Stop finding faces and forget every face, person and name")
        self.switch_button.clicked.connect(lambda: self.switch_requested.emit(not self.recognition_on))
        header.addWidget(self.switch_button)
        self.recognition_on = True
        self.model = PeopleModel(self)
        self.model.name_edited.connect(self.name_requested)
        self.grid = PeopleGrid()
        self.grid.setModel(self.model)
        self.grid.person_opened.connect(self.person_requested)
        self.grid.selectionModel().selectionChanged.connect(self._selection_changed)
        self.empty = QLabel("No people yet.\nFaces are grouped into people as photos are analysed; "
                            "people seen once are here too.")
        self.empty.setObjectName("EmptyText")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.body = QStackedWidget()
        self.body.addWidget(self.grid)
        self.body.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 8, 0)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.body, 1)

    def set_loading(self) -> None:
        self.subtitle.setText("Loading…")

    def set_recognition(self, on: bool) -> None:
        """Face recognition on or off (settings): off shows why the page is empty."""
        self.recognition_on = on
        self.switch_button.setText("Turn off face recognition…" if on else "Turn on face recognition")
        self.switch_button.setFlat(on)
        self.switch_button.setObjectName("" if on else "Primary")
        self.switch_button.style().unpolish(self.switch_button)
        self.switch_button.style().polish(self.switch_button)
        self.merge_button.setVisible(on)
        if not on:
            self.model.set_cards([])
            self.subtitle.setText("face recognition is off")
            self.empty.setText("Face recognition is off.\nphotoapp does not look for faces, and keeps no faces, "
                               "people or names. Turn it on to group the faces in your photos into people.")
            self.body.setCurrentWidget(self.empty)
        else:
            self.empty.setText("No people yet.\nFaces are grouped into people as photos are analysed; "
                               "people seen once are here too.")

    def set_cards(self, cards: list[tuple]) -> None:
        selected = {p.id for p in self.selected_people()}
        self.model.set_cards(cards)
        named = sum(1 for p, _ in cards if p.name)
        self.subtitle.setText(f"{len(cards):,} {'person' if len(cards) == 1 else 'people'}"
                              + (f" · {named:,} named" if named else ""))
        self.body.setCurrentWidget(self.grid if cards else self.empty)
        for row, (person, _) in enumerate(cards):
            if person.id in selected:
                self.grid.selectionModel().select(self.model.index(row), self.grid.selectionModel().SelectionFlag.Select)
        self._selection_changed()

    def selected_people(self) -> list:
        rows = sorted(i.row() for i in self.grid.selectionModel().selectedIndexes())
        return [p for p in (self.model.person(r) for r in rows) if p is not None]

    def _selection_changed(self, *_) -> None:
        n = len(self.selected_people())
        self.merge_button.setEnabled(n >= 2)
        self.merge_button.setText(f"Merge {n} people" if n >= 2 else "Merge selected")

    def _merge(self) -> None:
        people = self.selected_people()
        if len(people) < 2:
            return
        # Keep a named person (the first named, as listed), else the most photographed.
        keep = next((p for p in people if p.name), max(people, key=lambda p: (p.size, -p.id)))
        self.merge_requested.emit([keep.id] + [p.id for p in people if p.id != keep.id])


# --- a person's page --------------------------------------------------------------------------
class PersonPage(QWidget):
    """A person's photos; name them inline; "More like this face" lists photos with faces that
    look like them (not yet theirs): select and "Add to this person"."""

    name_requested = Signal(int, str)
    more_like_toggled = Signal(bool)
    confirm_requested = Signal(int, list)  # person id, [face ids]
    remove_requested = Signal(list)  # [face ids]: not this person

    def __init__(self, thumbnails, parent=None):
        super().__init__(parent)
        self.person = None
        self.suggested_faces: dict[str, int] = {}  # doc id -> face id shown in "more like this"
        self.own_faces: dict[str, list[int]] = {}  # doc id -> this person's face ids in it
        self.back_button = back_button()
        self.face = QLabel()
        self.face.setFixedSize(56, 56)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("PersonName")
        self.name_edit.setPlaceholderText("Add a name")
        self.name_edit.setToolTip("Type a name and press Enter")
        self.name_edit.setMaximumWidth(320)
        self.name_edit.setMinimumWidth(140)
        self.name_edit.editingFinished.connect(self._name_edited)
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("ViewSubtitle")
        self.subtitle.setContentsMargins(6, 0, 0, 0)  # under the name's text, past the field's padding
        self.more_button = QPushButton(icon("similar"), "  More like this face")
        self.more_button.setCheckable(True)
        self.more_button.setToolTip("Photos with faces that look like this person but are not in it yet")
        self.more_button.toggled.connect(self._more_toggled)
        self.more_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.add_button = QPushButton("Add to this person")
        self.add_button.setObjectName("Primary")
        self.add_button.hide()
        self.add_button.clicked.connect(self._confirm)
        self.remove_button = QPushButton("Not this person")
        self.remove_button.setToolTip("Take this person's face out of the selected photos "
                                      "(it is never put back by itself)")
        self.remove_button.hide()
        self.remove_button.clicked.connect(self._remove)
        # The name gets the whole first row; what acts on the selection sits beside the count.
        actions = QHBoxLayout()
        actions.setSpacing(8)
        actions.addWidget(self.subtitle)
        actions.addWidget(self.add_button)
        actions.addWidget(self.remove_button)
        actions.addStretch(1)
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(self.name_edit)
        names.addLayout(actions)
        header = QHBoxLayout()
        header.setSpacing(10)
        header.addWidget(self.back_button)
        header.addWidget(self.face)
        header.addLayout(names, 1)
        header.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignTop)
        self.model = PhotoListModel(thumbnails, self)
        self.grid = PhotoGridView()
        self.grid.setModel(self.model)
        self.grid.selectionModel().selectionChanged.connect(lambda *_: self._update_add())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 4, 0)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.grid, 1)
        self.setStyleSheet("QLineEdit#PersonName { font-size: 15pt; font-weight: 600; border: 1px solid transparent;"
                           " background: transparent; padding: 1px 4px; }"
                           " QLineEdit#PersonName:hover, QLineEdit#PersonName:focus {"
                           f" border: 1px solid {style.BORDER}; background: {style.PANEL_BG}; border-radius: 6px; }}")

    def _more_toggled(self, on: bool) -> None:
        self.more_button.setText("  Back to their photos" if on else "  More like this face")
        self.more_button.setIcon(icon("back" if on else "similar"))
        self.more_like_toggled.emit(on)

    def set_person(self, person, crop: QImage | None = None) -> None:
        self.person = person
        self.name_edit.setText(person.name or "" if person else "")
        if crop is not None and not crop.isNull():
            self.face.setPixmap(_pixmap(crop.scaled(56, 56, Qt.AspectRatioMode.KeepAspectRatio,
                                                   Qt.TransformationMode.SmoothTransformation)))
        else:
            self.face.setPixmap(icon("people", style.TEXT_MUTED).pixmap(56, 56))

    def set_photos(self, hits, suggestions: bool = False) -> None:
        self.model.set_hits(hits, show_scores=suggestions)
        n = len(hits)
        if suggestions:
            self.subtitle.setText(f"{n:,} photo{'s' if n != 1 else ''} with a face like this one — "
                                  "select the right ones and add them" if n else "no other face looks like this one")
        else:
            self.subtitle.setText(f"{n:,} photo{'s' if n != 1 else ''}")
        self._update_add()

    def _update_add(self) -> None:
        rows = self.grid.selectionModel().selectedIndexes()
        more = self.more_button.isChecked()
        who = (self.person.name if self.person else None) or "this person"
        self.add_button.setVisible(bool(rows) and more)
        self.remove_button.setVisible(bool(rows) and not more)
        if rows:
            self.add_button.setText(f"Add {len(rows)} to {who}")
            self.remove_button.setText(f"Not {who}" + (f" ({len(rows)})" if len(rows) > 1 else ""))

    def _remove(self) -> None:
        faces = []
        for index in self.grid.selectionModel().selectedIndexes():
            hit = self.model.hit(index.row())
            if hit is not None:
                faces += self.own_faces.get(hit.id, [])
        if faces:
            self.remove_requested.emit(faces)

    def _confirm(self) -> None:
        if self.person is None:
            return
        faces = []
        for index in self.grid.selectionModel().selectedIndexes():
            hit = self.model.hit(index.row())
            if hit is not None and hit.id in self.suggested_faces:
                faces.append(self.suggested_faces[hit.id])
        if faces:
            self.confirm_requested.emit(self.person.id, faces)

    def _name_edited(self) -> None:
        if self.person is None:
            return
        text = " ".join(self.name_edit.text().split())
        if text != (self.person.name or ""):
            self.name_requested.emit(self.person.id, text)


def _pixmap(image: QImage):
    from PySide6.QtGui import QPixmap
    return QPixmap.fromImage(image)


# --- face boxes over the detail panel's preview ------------------------------------------------
class FaceOverlay(QWidget):
    """Transparent layer over ``PreviewWidget``: each stored face as a box with its person's name;
    a click on a box opens that person. Mouse events outside boxes pass through."""

    person_clicked = Signal(int)
    not_face_requested = Signal(int)  # face id
    remove_requested = Signal(int)  # face id: not this person

    def __init__(self, preview):
        super().__init__(preview)
        self.preview = preview
        self.faces: list[tuple] = []  # (box, person id | None, label, face id)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, False)
        self.setGeometry(preview.rect())
        preview.installEventFilter(self)
        self._hover = -1

    def set_faces(self, faces: list[tuple]) -> None:
        self.faces = faces
        self.setVisible(bool(faces))
        self.raise_()
        self.update()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self.preview and event.type() == event.Type.Resize:
            self.setGeometry(self.preview.rect())
        return False

    def _rects(self) -> list[QRectF]:
        target = self.preview.image_rect()
        return [QRectF(target.left() + x0 * target.width(), target.top() + y0 * target.height(),
                       (x1 - x0) * target.width(), (y1 - y0) * target.height())
                for (x0, y0, x1, y1), *_ in self.faces]

    def _at(self, pos: QPoint, any_face: bool = False) -> int:
        for i, rect in enumerate(self._rects()):
            if rect.contains(pos.toPointF()) and (any_face or self.faces[i][1] is not None):
                return i
        return -1

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt override
        i = self._at(event.pos(), any_face=True)
        if i < 0:
            event.ignore()
            return
        from PySide6.QtWidgets import QMenu

        _, pid, label, face_id = self.faces[i]
        menu = QMenu(self)
        if pid is not None:
            menu.addAction(f"Open {label or 'this person'}", lambda: self.person_clicked.emit(int(pid)))
            menu.addAction(f"Not {label or 'this person'}", lambda: self.remove_requested.emit(int(face_id)))
        menu.addAction("Not a face", lambda: self.not_face_requested.emit(int(face_id)))
        menu.exec(event.globalPos())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        hover = self._at(event.position().toPoint())
        if hover != self._hover:
            self._hover = hover
            self.setCursor(Qt.CursorShape.PointingHandCursor if hover >= 0 else Qt.CursorShape.ArrowCursor)
            self.update()

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._hover = -1
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        i = self._at(event.position().toPoint())
        if i >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.person_clicked.emit(int(self.faces[i][1]))
            return
        event.ignore()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        if self.preview.image.isNull() or not self.faces:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(8)
        font.setBold(True)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        target = self.preview.image_rect()
        for i, (rect, (_, pid, label, _face_id)) in enumerate(zip(self._rects(), self.faces)):
            named = pid is not None
            color = QColor("#ffffff") if named else QColor(255, 255, 255, 170)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(0, 0, 0, 90), 3.5))
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(QPen(QColor(style.ACCENT) if i == self._hover else color, 2 if named else 1.4))
            painter.drawRoundedRect(rect, 4, 4)
            if not label and i == self._hover:
                label = "Unnamed person"
            if not label:
                continue
            tag = QRectF(0, 0, metrics.horizontalAdvance(label) + 10, metrics.height() + 4)
            tag.moveCenter(rect.center())
            tag.moveTop(min(rect.bottom() + 3, target.bottom() - tag.height()))
            tag.moveLeft(max(target.left(), min(tag.left(), target.right() - tag.width())))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(style.ACCENT) if i == self._hover else QColor(20, 24, 32, 200))
            painter.drawRoundedRect(tag, 4, 4)
            painter.setPen(QColor("white"))
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)


def faces_for_overlay(library, doc_id: str) -> list[tuple]:
    """(box, person id | None, name or "", face id) of a photo's faces (not-a-face marks left out):
    worker. Unnamed people get a box without a label (clickable all the same); faces in the
    unknown pool (too small or blurred to group) a fainter box."""
    faces = [f for f in library.people.faces_in(doc_id) if not f.not_face]
    ids = {f.person_id for f in faces if f.person_id is not None}
    names = {pid: (library.people.store.person(pid) or (pid, None))[1] for pid in ids}
    return [(f.box, f.person_id, names.get(f.person_id) or "", f.id) for f in faces]


# --- the controller ------------------------------------------------------------------------------
class PeoplePages:
    """Shows the People and Person views in the main window and runs their edits in workers."""

    def __init__(self, window):
        self.w = window
        self.people_page = PeoplePage()
        self.person_page = PersonPage(window.thumbnails)
        self.crops: dict[int, QImage] = {}
        self._generation = 0
        window.stack.addWidget(self.people_page)
        window.stack.addWidget(self.person_page)
        browse = window.browse
        for page in (self.people_page, self.person_page):
            page.back_button.clicked.connect(browse.back)
        self.people_page.person_requested.connect(lambda p: browse.go(Person(p.id, p.name or "")))
        self.people_page.name_requested.connect(self.rename)
        self.people_page.merge_requested.connect(self.merge)
        self.people_page.switch_requested.connect(self.switch_recognition)
        self.person_page.name_requested.connect(self.rename)
        self.person_page.more_like_toggled.connect(lambda _on: self._load_person_photos())
        self.person_page.confirm_requested.connect(self.confirm)
        self.person_page.remove_requested.connect(self.remove_faces)
        grid = self.person_page.grid
        grid.open_requested.connect(lambda row: browse.open_viewer(self.person_page.model, row))
        grid.preview_requested.connect(lambda row: browse.open_viewer(self.person_page.model, row))
        grid.current_hit_changed.connect(window.detail.show_hit)
        grid.similar_requested.connect(lambda hit: window.actions.find_similar_to_hit(hit))
        grid.set_thumbnail_size(window.size_slider.value())
        window.size_slider.valueChanged.connect(grid.set_thumbnail_size)
        self.overlay = FaceOverlay(window.detail.preview)
        self.overlay.set_faces([])
        self.overlay.person_clicked.connect(lambda pid: browse.go(Person(pid)))
        self.overlay.remove_requested.connect(lambda face_id: self.remove_faces([face_id]))
        self.overlay.not_face_requested.connect(self.not_a_face)
        window.detail.loaded.connect(self._detail_loaded)

    # --- views ------------------------------------------------------------------------------
    @staticmethod
    def handles(view) -> bool:
        return isinstance(view, (People, Person))

    def show(self, view, back: bool = False) -> None:
        self._generation += 1
        if isinstance(view, People):
            self.w.stack.setCurrentWidget(self.people_page)
            self.people_page.back_button.setVisible(back)
            self.load_people()
        else:
            self.w.stack.setCurrentWidget(self.person_page)
            self.person_page.back_button.setVisible(back)
            self.person_page.more_button.setChecked(False)
            self.load_person(int(view.id))

    def load_people(self) -> None:
        """The cards at once (names and counts), then their faces, a few per worker task."""
        library, generation = self.w.library, self._generation
        self.people_page.set_recognition(library.people.enabled)
        if not library.people.enabled:
            return
        self.people_page.set_loading()

        def shown(people) -> None:
            if generation != self._generation:
                return
            self.people_page.set_cards([(p, self.crops.get(p.id, QImage())) for p in people])
            self._cut_crops(library, [p for p in people if p.id not in self.crops], generation)

        self.w.runner.submit(library.people.list, shown, self._error)

    def _cut_crops(self, library, people: list, generation: int) -> None:
        if not people or generation != self._generation:
            return
        batch, rest = people[:CROPS_PER_TASK], people[CROPS_PER_TASK:]

        def shown(crops) -> None:
            for person, crop in zip(batch, crops):
                self.crops[person.id] = crop
                self.people_page.model.set_crop(person.id, crop)
            self._cut_crops(library, rest, generation)

        self.w.runner.submit(lambda: [cover_crop(library, p) for p in batch], shown, self._error)

    def load_person(self, person_id: int) -> None:
        library, generation = self.w.library, self._generation

        def fetch():
            person = library.people.get(person_id)
            crop = self.crops.get(person_id)
            if person is not None and crop is None:
                crop = cover_crop(library, person)
            return person, crop

        def shown(result) -> None:
            person, crop = result
            if generation != self._generation:
                return
            if person is None:  # merged away or gone: the People page instead
                self.w.browse.replace(People())
                return
            self.person_page.set_person(person, crop)
            self._load_person_photos()

        self.w.runner.submit(fetch, shown, self._error)

    def _load_person_photos(self) -> None:
        person = self.person_page.person
        if person is None:
            return
        library, suggestions = self.w.library, self.person_page.more_button.isChecked()
        generation = self._generation

        def fetch():
            from ..core.query.listing import Person as PersonListing
            from ..core.records import SearchHit
            if not suggestions:
                own: dict[str, list[int]] = {}
                for face in library.people.faces_of(person.id):
                    own.setdefault(face.doc_id, []).append(face.id)
                return library.list_photos(PersonListing(person.id), "date", 10_000), own
            hits, faces = [], {}
            for face, score in library.people.similar_faces(person.id):
                paths = library.catalog.paths_of(face.doc_id)
                if paths:
                    hits.append(SearchHit(id=face.doc_id, path=paths[0], score=score, paths=paths))
                    faces[face.doc_id] = face.id
            return hits, faces

        def shown(result) -> None:
            if generation == self._generation:
                hits, faces = result
                if suggestions:
                    self.person_page.suggested_faces = faces
                else:
                    self.person_page.own_faces = faces
                self.person_page.set_photos(hits, suggestions)

        self.w.runner.submit(fetch, shown, self._error)

    # --- edits (the core writes the store and the index mirror) --------------------------------
    def rename(self, person_id: int, name: str) -> None:
        self._edit(lambda people: people.name(person_id, name or None))

    def merge(self, ids: list[int]) -> None:
        keep, others = ids[0], ids[1:]

        def run(people):
            for other in others:
                people.merge(keep, other)
        self._edit(run)

    def remove_faces(self, face_ids: list[int]) -> None:
        def run(people):
            for face_id in face_ids:
                people.remove_face(face_id)
        self._edit(run)

    def not_a_face(self, face_id: int) -> None:
        self._edit(lambda people: people.not_a_face(face_id))

    def confirm_off(self) -> bool:
        """Ask before forgetting (names cannot be brought back)."""
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            self.w, "Turn off face recognition",
            "photoapp will stop looking for faces and forget every face, person and name it knows.\n\n"
            "Names cannot be brought back: turning it on again groups the faces anew.",
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def switch_recognition(self, on: bool) -> None:
        if not on and not self.confirm_off():
            return
        library = self.w.library
        self.crops.clear()
        self.w.runner.submit(lambda: library.set_analyzer_enabled("faces", on),
                             lambda _=None: self._after_edit(), self._error)

    def confirm(self, person_id: int, face_ids: list[int]) -> None:
        self._edit(lambda people: people.confirm(face_ids, person_id))

    def _edit(self, change) -> None:
        library = self.w.library
        self.w.runner.submit(lambda: change(library.people), lambda _=None: self._after_edit(), self._error)

    def _after_edit(self) -> None:
        self.crops.clear()
        view = self.w.browse.nav.current
        if self.handles(view):
            self.show(view, back=self.w.browse.nav.can_go_back)
        if self.w.detail.current_id:
            self._detail_loaded(self.w.detail.current_id)

    def _error(self, exc: BaseException) -> None:
        self.people_page.subtitle.setText(f"Error: {exc}")
        self.person_page.subtitle.setText(f"Error: {exc}")

    # --- the detail panel's face boxes -----------------------------------------------------------
    def _detail_loaded(self, doc_id: str) -> None:
        library = self.w.library
        self.overlay.set_faces([])
        if library is None:
            return

        def shown(faces) -> None:
            if self.w.detail.current_id == doc_id:
                self.overlay.set_faces(faces)

        self.w.runner.submit(lambda: faces_for_overlay(library, doc_id), shown, lambda _exc: None)


def install(window) -> PeoplePages:
    """Add the People and Person pages to the main window (one line in main_window.py)."""
    return PeoplePages(window)
