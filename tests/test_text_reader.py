"""The text reader (core/ocr) with the real PP-OCR models on photos made here: words drawn with
Pillow's bundled font on a photo-like background, straight, tilted, blurred and small; a photo
without text costs one small detection and keeps nothing; nothing is ever downloaded."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from photoapp.bench.ocr import font, read_words, render_sign
from photoapp.core.errors import ModelError
from photoapp.core.ocr import engine
from photoapp.core.ocr.words import fold, matched_lines, split_words, tokens
from photoapp.core.records import TextLine

pytestmark = pytest.mark.skipif(not engine.engine_available(), reason="rapidocr models missing")


def background(seed: int = 0, size=(640, 480)) -> Image.Image:
    """A photo-like background: smooth colour gradients plus sensor-like noise (no text)."""
    rng = np.random.default_rng(seed)
    h, w = size[1], size[0]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([120 + 80 * np.sin(x / 97 + seed), 110 + 60 * np.cos(y / 83),
                     100 + 50 * np.sin((x + y) / 150)], axis=-1)
    noisy = base + rng.normal(0, 6, base.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def reader():
    return engine.reader_for("cpu", 0).load()


def read(reader, image):
    return reader.read(reader.probe(image))


@pytest.mark.parametrize("words, kwargs", [
    ("NO PARKING", {}),
    ("Bakery", {"tilt": 0.2}),
    ("EXIT", {"blur": 1.2}),
    ("Museum", {"height_share": 0.06}),
])
def test_reads_words_on_a_sign(reader, words, kwargs):
    photo = render_sign(background(1), words, seed=3, **kwargs)
    lines = read(reader, photo)
    assert read_words(lines) == tokens(words)
    line = lines[0]
    assert 0.6 <= line.score <= 1.0
    x0, y0, x1, y1 = line.box
    assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0
    assert [w.text for w in line.words] == words.split()
    assert all(0.3 <= w.score <= 1.0 for w in line.words)  # each word's own confidence


def test_reads_a_page_of_small_lines_in_order(reader):
    page = Image.new("RGB", (1400, 1000), "white")
    from PIL import ImageDraw

    draw = ImageDraw.Draw(page)
    lines = ["The quick brown fox", "jumps over the lazy dog", "Pack my box with", "five dozen liquor jugs"]
    for i, text in enumerate(lines):
        draw.text((60, 80 + i * 60), text, font=font(30), fill="black")
    got = read(reader, page)
    assert [" ".join(tokens(l.text)) for l in got] == [" ".join(tokens(t)) for t in lines]
    ys = [l.box[1] for l in got]
    assert ys == sorted(ys)


def test_a_photo_without_text_costs_one_probe_and_keeps_nothing(reader):
    probe = reader.probe(background(5))
    assert not probe.has_text and probe.image is None
    assert reader.read(probe) == []


def test_tiny_text_is_skipped(reader):
    photo = render_sign(background(2, (1600, 1200)), "tiny words here", height_share=0.004, seed=1)
    assert read(reader, photo) == []


def test_downloads_are_refused(reader):
    from rapidocr.utils.download_file import DownloadFile, DownloadFileInput

    import logging

    with pytest.raises(ModelError, match="offline"):
        DownloadFile.run(DownloadFileInput("https://example.invalid/model.onnx", "/nonexistent/x.onnx",
                                           logging.getLogger("t")))


def test_model_files_are_checked(monkeypatch, tmp_path):
    bad = tmp_path / "models"
    bad.mkdir()
    (bad / engine.DET_FILE).write_bytes(b"not a model")
    (bad / engine.REC_FILE).write_bytes(b"not a model")
    monkeypatch.setattr(engine, "_rapidocr_models_dir", lambda: bad)
    with pytest.raises(ModelError, match="sha256"):
        engine.TextReader("cpu").load()


def test_fold_and_matched_lines():
    assert fold("Café NOËL") == "cafe noel"
    lines = [TextLine("NO", 0.9, (0, 0, 1, 0.1)), TextLine("PARKING", 0.9, (0, 0.2, 1, 0.3)),
             TextLine("Crème brûlée", 0.8, (0, 0.5, 1, 0.6))]
    assert matched_lines(lines, "no parking") == [0, 1]
    assert matched_lines(lines, "creme brulee") == [2]
    assert matched_lines(lines, "parking no") == []
    words = split_words("NO PARKING", (0.0, 0.0, 1.0, 0.1))
    assert [w.text for w in words] == ["NO", "PARKING"]
    assert words[0].box[2] < words[1].box[0]  # the space between them
