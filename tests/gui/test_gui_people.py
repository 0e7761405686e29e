"""The People page, a person's page and the face boxes of the detail panel, on a real library
(real photos, real models) whose faces carry constructed descriptors (tests/people_support.py):
cards named first then by size, naming inline, merge by multi-select, "more like this face",
and a click on a face box opening its person."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from people_support import face
from photoapp.gui.navigation import People, Person

SAMPLE_PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
# Boxes on the sample photos (normalised): the astronaut's face, the cameraman's head.
ASTRONAUT_FACE = (0.36, 0.08, 0.56, 0.34)
CAMERAMAN_FACE = (0.40, 0.10, 0.58, 0.36)


def _faces_version(library):
    from photoapp.core.analyzers import analyzer_named

    analyzer = analyzer_named("faces")
    return analyzer.version(library.models()) if analyzer is not None else "faces/test"


@pytest.fixture(scope="module")
def people_library(tmp_path_factory):
    """Four real photos indexed with the analyzers people need, faces put on them as if the
    faces stage had found them (constructed descriptors); people grouped."""
    from photoapp.core.library import Library

    root = tmp_path_factory.mktemp("gui-people")
    photos = root / "photos"
    photos.mkdir()
    for name in ("astronaut.jpg", "rocket.jpg", "camera.jpg", "coffee.jpg"):
        shutil.copy(SAMPLE_PHOTOS / name, photos / name)
    from photoapp.core.settings import Settings

    settings = Settings(data_dir=root / "appdata", models_dir=MODELS_DIR, decode_workers=2, batch_size=4,
                        analyzers={"objects": False, "text": False, "places": False})
    lib = Library.open(settings)
    lib.add_folder(photos)
    lib.index()
    plan = {"astronaut.jpg": [face("anna", ASTRONAUT_FACE, seed=1)],
            "rocket.jpg": [face("anna", (0.1, 0.1, 0.2, 0.2), seed=2)],
            "camera.jpg": [face("bob", CAMERAMAN_FACE, seed=3)],
            "coffee.jpg": [face("carl", (0.3, 0.3, 0.5, 0.55), seed=4), face("bob", (0.6, 0.3, 0.75, 0.5), seed=5)]}
    version = _faces_version(lib)
    for name, faces in plan.items():
        doc = lib.info(photos / name)
        lib.backend.update_fields(doc.id, {"faces": faces})
        with lib.catalog.write() as w:
            w.put_analyses(doc.id, {"faces": version})
    lib.backend.flush()
    lib.people.refresh()
    anna = next(p for p in lib.people.list() if str(photos / "astronaut.jpg") in p.paths)
    lib.people.name(anna.id, "Anna")
    try:
        yield lib
    finally:
        lib.close()


def _cards(window):
    page = window.people_pages.people_page
    return [page.model.person(r) for r in range(page.model.rowCount())]


def _open_people(qtbot, window):
    window.browse.go(People())
    page = window.people_pages.people_page
    qtbot.waitUntil(lambda: page.model.rowCount() > 0 and "Loading" not in page.subtitle.text(), timeout=10000)
    return page


def test_people_page_cards_naming_and_merge(qtbot, make_window, people_library, tmp_path):
    window = make_window(people_library)
    page = _open_people(qtbot, window)
    cards = _cards(window)
    assert [(p.name, p.size) for p in cards] == [("Anna", 2), (None, 2), (None, 1)]
    assert window.stack.currentWidget() is page
    # the faces are cut from the photos after the cards show
    qtbot.waitUntil(lambda: all(not page.model.data(page.model.index(r), Qt.ItemDataRole.DecorationRole).isNull()
                                for r in range(page.model.rowCount())), timeout=10000)
    page.grab().save(str(tmp_path / "people.png"))

    # naming inline: the model's edit goes through the core and the card shows the name
    bob = next(p for p in cards if p.size == 2 and p.name is None)
    row = cards.index(bob)
    assert page.model.setData(page.model.index(row), "Bob")
    qtbot.waitUntil(lambda: [p.name for p in _cards(window)] == ["Anna", "Bob", None], timeout=10000)
    assert {h.path.rsplit("/", 1)[-1] for h in people_library.search("bob")} == {"camera.jpg", "coffee.jpg"}

    # merge by multi-select: Bob and the unnamed person become Bob
    sel = page.grid.selectionModel()
    for r in (1, 2):
        sel.select(page.model.index(r), sel.SelectionFlag.Select)
    assert page.merge_button.isEnabled() and page.merge_button.text() == "Merge 2 people"
    page.merge_button.click()
    qtbot.waitUntil(lambda: [(p.name, p.size) for p in _cards(window)] == [("Anna", 2), ("Bob", 2)], timeout=10000)


def test_person_page_more_like_this_and_face_boxes(qtbot, make_window, people_library):
    window = make_window(people_library)
    _open_people(qtbot, window)
    anna = _cards(window)[0]
    window.browse.go(Person(anna.id, anna.name))
    person = window.people_pages.person_page
    qtbot.waitUntil(lambda: person.model.rowCount() == 2, timeout=10000)
    assert person.name_edit.text() == "Anna" and window.detail.isVisible()
    person.more_button.setChecked(True)
    qtbot.waitUntil(lambda: "face like this" in person.subtitle.text() or "no other" in person.subtitle.text(),
                    timeout=10000)
    person.more_button.setChecked(False)
    qtbot.waitUntil(lambda: person.model.rowCount() == 2, timeout=10000)

    # The detail panel draws the faces of the current photo; a click on Anna's box opens Anna.
    row = next(r for r in range(person.model.rowCount()) if person.model.hit(r).path.endswith("astronaut.jpg"))
    person.grid.setCurrentIndex(person.model.index(row))
    overlay = window.people_pages.overlay
    qtbot.waitUntil(lambda: [f[2] for f in overlay.faces] == ["Anna"], timeout=10000)
    window.browse.go(People())
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.people_pages.people_page, timeout=5000)
    center = overlay._rects()[0].center().toPoint()
    qtbot.mouseClick(overlay, Qt.MouseButton.LeftButton, pos=QPoint(center.x(), center.y()))
    qtbot.waitUntil(lambda: window.browse.nav.current == Person(anna.id), timeout=5000)
    qtbot.waitUntil(lambda: person.model.rowCount() == 2, timeout=10000)

    # renaming on the person page
    person.name_edit.setText("Anna Maria")
    person.name_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: "anna maria" in people_library.people.name_keys(), timeout=10000)
    qtbot.waitUntil(lambda: person.person.name == "Anna Maria", timeout=10000)  # the page reloaded
    window.setFocus()  # leaving the field says nothing new: the name is already saved
    assert people_library.people.get(anna.id).name == "Anna Maria"

    # corrections: "Not Anna Maria" on a selected photo, then "Not a face" from the face box
    row = next(r for r in range(person.model.rowCount()) if person.model.hit(r).path.endswith("rocket.jpg"))
    person.grid.setCurrentIndex(person.model.index(row))
    assert person.remove_button.isVisibleTo(person) and person.remove_button.text() == "Not Anna Maria"
    person.remove_button.click()
    qtbot.waitUntil(lambda: person.model.rowCount() == 1, timeout=10000)
    assert "rocket.jpg" not in " ".join(people_library.people.get(anna.id).paths)
    person.grid.setCurrentIndex(person.model.index(0))  # the astronaut
    qtbot.waitUntil(lambda: [f[2] for f in overlay.faces] == ["Anna Maria"], timeout=10000)
    overlay.not_face_requested.emit(overlay.faces[0][3])
    # Anna Maria has no face left: her page gives way to People
    qtbot.waitUntil(lambda: window.browse.nav.current == People(), timeout=10000)
    assert people_library.people.get(anna.id) is None


def test_face_recognition_off_forgets_people_after_asking(qtbot, make_window, people_library):
    window = make_window(people_library)
    page = _open_people(qtbot, window)
    pages = window.people_pages
    asked = []
    pages.confirm_off = lambda: asked.append(True) or False  # the user cancels
    page.switch_button.click()
    assert asked and page.model.rowCount() > 0 and people_library.people.enabled
    pages.confirm_off = lambda: True
    page.switch_button.click()
    qtbot.waitUntil(lambda: page.switch_button.text() == "Turn on face recognition", timeout=10000)
    assert page.model.rowCount() == 0 and people_library.people.list() == []
    assert people_library.search("person:anna") == []
    page.switch_button.click()  # on again: faces come back with the next analysis
    qtbot.waitUntil(lambda: people_library.people.enabled, timeout=10000)
