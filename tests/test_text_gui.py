"""The detail panel shows the text read in a photo: the lines, "Copy text", boxes over the
preview; a search hit on text highlights the line it matched. Real library, real models, real
widgets (offscreen); the panel is rendered to PNG (TEXT_GUI_SHOTS=folder keeps the pictures)."""
from __future__ import annotations

import os

import pytest
from PIL import Image, ImageDraw

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from photoapp.bench.ocr import font, render_sign  # noqa: E402
from photoapp.core.library import Library  # noqa: E402
from photoapp.core.ocr import engine  # noqa: E402
from test_text_reader import background  # noqa: E402

pytestmark = pytest.mark.skipif(not engine.engine_available(), reason="rapidocr models missing")


@pytest.fixture(scope="module")
def text_library(tmp_path_factory):
    from library_support import MODELS_DIR
    from photoapp.core.settings import Settings

    root = tmp_path_factory.mktemp("text-gui")
    photos = root / "photos"
    photos.mkdir()
    render_sign(background(1, (900, 600)), "NO PARKING", seed=5, tilt=0.1).save(photos / "street.jpg", quality=92)
    page = Image.new("RGB", (1000, 700), "white")
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(["Shopping list", "two loaves of bread", "fresh basil", "olive oil"]):
        draw.text((70, 80 + 80 * i), line, font=font(40), fill="black")
    page.save(photos / "note.png")
    lib = Library.open(Settings(data_dir=root / "data", models_dir=MODELS_DIR, decode_workers=2, batch_size=4))
    lib.add_folder(photos)
    lib.index()
    yield lib, photos
    lib.close()


@pytest.fixture
def panel(qtbot, text_library):
    from photoapp.gui.detail_panel import DetailPanel
    from photoapp.gui.workers import TaskRunner

    runner = TaskRunner()
    panel = DetailPanel(runner, text_library[0])
    qtbot.addWidget(panel)
    panel.resize(360, 1000)
    panel.show()
    yield panel
    runner.close()


def show(qtbot, panel, hit):
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.show_hit(hit)


def shot(widget, name: str) -> None:
    folder = os.environ.get("TEXT_GUI_SHOTS")
    from PySide6.QtWidgets import QApplication

    widget.widget().layout().activate()  # the rows set_rows just sized, laid out as on screen
    QApplication.processEvents()
    image = widget.grab().toImage()
    assert not image.isNull() and image.width() > 100
    if folder:
        image.save(os.path.join(folder, name))


def test_search_hit_on_text_highlights_its_line(qtbot, panel, text_library):
    lib, _ = text_library
    hit = lib.search("basil")[0]
    assert hit.path.endswith("note.png")
    show(qtbot, panel, hit)
    section = panel.text_section
    assert [section.list.item(i).text() for i in range(section.list.count())] == \
        ["Shopping list", "two loaves of bread", "fresh basil", "olive oil"]
    assert section.matched == {2}
    assert section.overlay.highlighted == {2}
    assert section.overlay.boxes[2][1] > section.overlay.boxes[1][1]  # below the line before
    shot(panel, "text-detail-note.png")

    section.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == "Shopping list\ntwo loaves of bread\nfresh basil\nolive oil"
    section.list.item(0).setSelected(True)  # a line chosen: its box lights up, copy takes it alone
    assert section.overlay.highlighted == {0}
    section.copy_button.click()
    assert QGuiApplication.clipboard().text() == "Shopping list"


def test_sign_boxes_over_the_preview_and_a_photo_without_text(qtbot, panel, text_library):
    lib, photos = text_library
    hit = lib.search('text:"no parking"')[0]
    show(qtbot, panel, hit)
    section = panel.text_section
    assert section.list.count() == 1 and section.matched == {0}
    x0, y0, x1, y1 = section.overlay.boxes[0]
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    assert section.overlay.geometry() == panel.preview.rect()
    shot(panel, "text-detail-sign.png")
    section.boxes_checkbox.setChecked(False)
    assert not section.overlay.show_all

    from photoapp.core.records import SearchHit

    plain = lib.search("folder:photos")  # every photo; one without text: none here, so a fresh hit
    assert plain
    panel.set_empty()
    assert section.list.count() == 0 and section.empty.isVisibleTo(panel) and not section.copy_button.isEnabled()
    doc = lib.info(photos / "street.jpg")
    show(qtbot, panel, SearchHit(doc.id, str(photos / "street.jpg"), 0.0, [str(photos / "street.jpg")]))
    assert section.matched == set()  # shown without a text search: nothing highlighted
    assert section.overlay.highlighted == set()
