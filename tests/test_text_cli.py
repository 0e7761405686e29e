"""The CLI shows text read in photos: `photoapp info` lists the lines, `search --json` hits carry
the line they matched."""
from __future__ import annotations

import json

import pytest

from photoapp.bench.ocr import render_sign
from library_support import run_cli
from photoapp.core.ocr import engine
from test_text_reader import background

pytestmark = pytest.mark.skipif(not engine.engine_available(), reason="rapidocr models missing")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("text-cli")
    photos = root / "photos"
    photos.mkdir()
    render_sign(background(1), "NO PARKING", seed=2).save(photos / "img_0001.jpg", quality=92)
    background(3).save(photos / "img_0002.jpg", quality=92)
    data = root / "data"
    code, _, err = run_cli("--data-dir", str(data), "index", str(photos))
    assert code == 0, err
    return {"photos": photos, "data": data}


def test_info_lists_the_text(indexed):
    code, out, err = run_cli("--data-dir", str(indexed["data"]), "info", str(indexed["photos"] / "img_0001.jpg"))
    assert code == 0, err
    assert "  text:     NO PARKING" in out.splitlines()
    code, out, _ = run_cli("--data-dir", str(indexed["data"]), "info", str(indexed["photos"] / "img_0001.jpg"),
                           "--json")
    doc = json.loads(out)
    doc = doc[0] if isinstance(doc, list) else doc
    assert [line["text"] for line in doc["text"]] == ["NO PARKING"]
    assert [w["text"] for w in doc["text"][0]["words"]] == ["NO", "PARKING"]


def test_search_json_hits_carry_the_matched_text(indexed):
    code, out, err = run_cli("--data-dir", str(indexed["data"]), "search", 'text:"no parking"', "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["path"].rsplit("/", 1)[1] for r in rows] == ["img_0001.jpg"]
    assert rows[0]["matched_text"] == ["NO PARKING"]
    code, out, _ = run_cli("--data-dir", str(indexed["data"]), "search", "text:parking")
    assert "text NO PARKING" in out
