"""The text stage end to end, with the real models and the real embedded index: a quick pass
leaves text for later, the backfill reads signs and pages, ``text:`` and plain words find them,
``info`` gives the lines back, and turning the analyzer off purges the text."""
from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from photoapp.bench.ocr import font, has_accents_font, render_sign
from photoapp.core.library import Library
from photoapp.core.ocr import engine
from photoapp.core.settings import Settings
from test_text_reader import background

pytestmark = pytest.mark.skipif(not engine.engine_available(), reason="rapidocr models missing")


@pytest.fixture
def text_photos(tmp_path):
    d = tmp_path / "photos"
    d.mkdir()
    render_sign(background(1), "NO PARKING", seed=2).save(d / "img_0001.jpg", quality=92)
    render_sign(background(2), "Café Noël", seed=4, tilt=0.15).save(d / "img_0002.jpg", quality=92)
    page = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(["Minutes of the meeting", "Budget for the garden party", "Next steps"]):
        draw.text((80, 100 + 70 * i), line, font=font(34), fill="black")
    page.save(d / "scan_17.png")
    background(9).save(d / "img_0003.jpg", quality=92)  # no text at all
    return d


def names(hits) -> list[str]:
    return [h.path.rsplit("/", 1)[1] for h in hits]


def test_text_is_a_later_stage_read_by_the_backfill(settings, model_bundle, text_photos):
    with Library.open(settings, bundle=model_bundle) as lib:
        lib.add_folder(text_photos)
        lib.index(quick=True)
        stages = {s.name: (s.done, s.total) for s in lib.status().stages}
        assert stages["text"] == (0, 4) and stages["tags"] == (4, 4)
        assert lib.search("text:parking") == []
        assert lib.search("text:parking").notes == ["text: 0% of photos analysed so far"]

        report = lib.index()
        assert report.analysed == 4
        assert {s.name: s.done for s in lib.status().stages}["text"] == 4

        assert names(lib.search("text:parking")) == ["img_0001.jpg"]
        assert names(lib.search('text:"no parking"')) == ["img_0001.jpg"]
        if has_accents_font():  # "Café Noël" drawn with its accents, read back, searched without
            assert names(lib.search("text:cafe")) == ["img_0002.jpg"]
            assert names(lib.search("text:NOËL")) == ["img_0002.jpg"]
        assert names(lib.search('"garden party"')) == ["scan_17.png"]  # plain words read it too
        hit = lib.search("text:budget")[0]
        assert ("text", "Budget for the garden party", hit.explanation[0][2]) == hit.explanation[0]

        page = lib.info(text_photos / "scan_17.png")
        assert [l.text for l in page.text] == ["Minutes of the meeting", "Budget for the garden party",
                                               "Next steps"]
        assert lib.info(text_photos / "img_0003.jpg").text == []


def test_turning_text_off_purges_it(settings, model_bundle, text_photos, data_dir):
    with Library.open(settings, bundle=model_bundle) as lib:
        lib.add_folder(text_photos)
        lib.index()
        assert names(lib.search("text:parking")) == ["img_0001.jpg"]
    off = Settings(data_dir=data_dir, models_dir=settings.models_dir, decode_workers=2, batch_size=4,
                   analyzers={"text": False})
    with Library.open(off, bundle=model_bundle) as lib:
        lib.index()
        assert lib.search("text:parking") == []
        assert lib.info(text_photos / "img_0001.jpg").text == []
        assert "text" not in {s.name for s in lib.status().stages}
