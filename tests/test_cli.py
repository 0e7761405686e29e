"""The CLI contract, end to end: real photos, real models, real embedded index."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from library_support import run_cli

SAMPLE_PHOTOS = Path(__file__).parent / "data" / "photos"


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    photos = root / "photos"
    shutil.copytree(SAMPLE_PHOTOS, photos, ignore=shutil.ignore_patterns("*.txt"))
    # A near-duplicate (cropped, shrunk, re-encoded) and a corrupt file, beside the originals.
    with Image.open(photos / "rocket.jpg") as im:
        w, h = im.size
        im.crop((int(w * .05), int(h * .05), int(w * .95), int(h * .95))).resize(
            (int(w * .6), int(h * .6))).save(photos / "rocket_small.jpg", quality=60)
    (photos / "broken.jpg").write_bytes((photos / "coffee.jpg").read_bytes()[:900])
    data = root / "data"
    before = snapshot(photos)
    code, out, err = run_cli("--data-dir", str(data), "index", str(photos))
    assert code == 0, err
    return {"photos": photos, "data": data, "root": root, "before": before}


def query_json(indexed, *args):
    code, out, err = run_cli("--data-dir", str(indexed["data"]), *args, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list)
    return rows


def test_search_returns_ranked_json_hits(indexed):
    rows = query_json(indexed, "search", "cat")
    assert rows and Path(rows[0]["path"]).name == "chelsea.jpg"
    assert all({"path", "score"} <= set(r) for r in rows)
    assert rows == sorted(rows, key=lambda r: -r["score"])


def test_search_with_confidence_filter_and_exclusion(indexed):
    names = {Path(r["path"]).name for r in query_json(indexed, "search", "person>=0.5")}
    assert "astronaut.jpg" in names
    excluded = {Path(r["path"]).name for r in query_json(indexed, "search", "person>=0.5", "-astronaut")}
    assert "astronaut.jpg" not in excluded


def test_similar_to_an_outside_image(indexed):
    outside = indexed["root"] / "query.png"
    with Image.open(indexed["photos"] / "coffee.jpg") as im:
        im.resize((300, 200)).save(outside)
    rows = query_json(indexed, "similar", str(outside), "--limit", "3")
    assert Path(rows[0]["path"]).name == "coffee.jpg"
    assert rows[0]["score"] > 0.9 and len(rows) == 3


def test_clusters_cover_every_photo(indexed):
    rows = query_json(indexed, "clusters", "--k", "3")
    assert len(rows) == 3
    assert all(r["name"] and r["size"] == len(r["paths"]) for r in rows)
    assert all(-1 <= r["silhouette"] <= 1 and r["davies_bouldin"] >= 0 and r["k"] == 3 for r in rows)
    assert sum(r["size"] for r in rows) == 11  # 10 photos + the near-duplicate copy


def test_duplicates_find_the_cropped_copy(indexed):
    groups = query_json(indexed, "duplicates")
    names = [sorted(Path(p).name for p in g["paths"]) for g in groups]
    assert ["rocket.jpg", "rocket_small.jpg"] in names


def test_info_errors_status(indexed):
    [info] = query_json(indexed, "info", str(indexed["photos"] / "astronaut.jpg"))
    assert info["width"] > 0 and any(o["label"] == "person" for o in info["objects"])
    errors = query_json(indexed, "errors")
    assert [(Path(e["path"]).name, e["reason"]) for e in errors] == [("broken.jpg", "truncated")]
    [status] = query_json(indexed, "status")
    assert status["documents"] == 11 and status["errors"] == 1


def test_rerun_does_no_model_work_and_photos_untouched(indexed):
    code, out, _ = run_cli("--data-dir", str(indexed["data"]), "index", str(indexed["photos"]))
    assert code == 0 and " 0 indexed," in out and "12 unchanged" in out
    assert snapshot(indexed["photos"]) == indexed["before"]


def test_failures_exit_nonzero_with_one_line(indexed, tmp_path):
    code, out, err = run_cli("--data-dir", str(indexed["data"]), "index", str(tmp_path / "nope"))
    assert code == 1 and err.count("\n") == 1 and "not found" in err
    code, _, err = run_cli("--data-dir", str(indexed["data"]), "search", "after:2020-99-99")
    assert code == 1 and "date" in err
    code, _, err = run_cli("--data-dir", str(indexed["data"]), "info", str(tmp_path / "x.jpg"))
    assert code == 1 and "not in the library" in err
