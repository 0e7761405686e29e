"""The faces analyzer end to end: a real library, the real models, the embedded index. Faces are
a later stage (a quick index leaves them for the backfill), they are searchable by count, and
the privacy switch purges every face and brings them back when turned on again."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from library_support import MODELS_DIR, SAMPLE_PHOTOS
from photoapp.core.library import Library
from photoapp.core.models import build_bundle
from photoapp.core.settings import Settings

FACES = Path(__file__).parent / "data" / "faces"


@pytest.fixture
def photos(tmp_path) -> Path:
    d = tmp_path / "photos"
    d.mkdir()
    for name in ("astronaut.jpg", "coffee.jpg", "brick.jpg"):
        shutil.copy(SAMPLE_PHOTOS / name, d / name)
    shutil.copy(FACES / "hopper.jpg", d / "hopper.jpg")
    group = Image.new("RGB", (800, 400), (200, 200, 190))
    hopper = Image.open(FACES / "hopper.jpg").convert("RGB").resize((220, 220), Image.Resampling.BICUBIC)
    astronaut = Image.open(SAMPLE_PHOTOS / "astronaut.jpg").convert("RGB").crop((120, 0, 400, 260))
    for x in (20, 280):
        group.paste(hopper, (x, 60))
    group.paste(astronaut, (520, 60))
    group.save(d / "group.jpg", quality=92)
    return d


@pytest.fixture
def settings(tmp_path) -> Settings:
    # Only the analyzers this test is about (and the required tagger): the others' cost is theirs.
    return Settings(data_dir=tmp_path / "data", models_dir=MODELS_DIR, decode_workers=2, batch_size=4,
                    analyzers={"objects": False, "text": False})


def face_counts(lib) -> dict[str, int]:
    return {Path(d.path).name: len(d.faces) for d in lib.backend.iter_documents()}


def names(hits) -> set[str]:
    return {Path(h.path).name for h in hits}


def test_faces_are_a_later_stage_searchable_by_count(settings, model_bundle, photos):
    with Library.open(settings, bundle=model_bundle) as lib:
        lib.add_folder(photos)
        lib.index(quick=True)
        assert sum(face_counts(lib).values()) == 0
        assert {s.name: s.done for s in lib.status().stages}["faces"] == 0

        report = lib.index()
        assert report.analysed == 5
        assert face_counts(lib) == {"astronaut.jpg": 1, "hopper.jpg": 1, "group.jpg": 3,
                                    "coffee.jpg": 0, "brick.jpg": 0}
        assert {s.name: s.done for s in lib.status().stages}["faces"] == 5
        group = lib.info(photos / "group.jpg")
        assert [round(f.box[0], 1) for f in sorted(group.faces, key=lambda f: f.box[0])] == [0.1, 0.4, 0.7]
        assert all(f.embedding is not None and 0.0 <= f.quality <= 1.0 for f in group.faces)

        assert names(lib.search("faces>=3")) == {"group.jpg"}
        assert names(lib.search("faces:1")) == {"astronaut.jpg", "hopper.jpg"}
        assert names(lib.search("faces:0")) == {"coffee.jpg", "brick.jpg"}
        assert names(lib.search("faces>=1 after:1900")) <= {"astronaut.jpg", "hopper.jpg", "group.jpg"}
        assert lib.index().analysed == 0  # nothing left to do


def test_turning_faces_off_purges_them_and_on_brings_them_back(settings, model_bundle, photos):
    with Library.open(settings, bundle=model_bundle) as lib:
        lib.add_folder(photos)
        lib.index()
        assert sum(face_counts(lib).values()) == 5
        lib.set_analyzer_enabled("faces", False)
        assert sum(face_counts(lib).values()) == 0
        assert names(lib.search("faces>=1")) == set()
        assert "faces" not in {s.name for s in lib.status().stages}
        assert lib.index().analysed == 0  # off stays off
        assert sum(face_counts(lib).values()) == 0

        lib.set_analyzer_enabled("faces", True)
        assert lib.index().analysed == 5
        assert sum(face_counts(lib).values()) == 5

    # The switch is a setting: a library opened again with faces off purges at its next index.
    off = Settings(**{**settings.__dict__, "analyzers": {**settings.analyzers, "faces": False}})
    with Library.open(off, bundle=model_bundle) as lib:
        lib.index()
        assert sum(face_counts(lib).values()) == 0


def test_a_bundle_without_face_models_indexes_without_faces(settings, tmp_path, photos):
    models = tmp_path / "models"
    models.mkdir()
    layout = json.loads((MODELS_DIR / "bundle.json").read_text())
    for key in ("tagger", "detector"):
        (models / layout[key]).symlink_to(MODELS_DIR / layout[key])
    (models / "vocabulary").symlink_to(MODELS_DIR / "vocabulary")
    layout.pop("face_detector")
    layout.pop("face_embedder")
    (models / "bundle.json").write_text(json.dumps(layout))
    bundle = build_bundle(models, compute="cpu")
    assert bundle.faces is None
    with Library.open(settings, bundle=bundle) as lib:
        lib.add_folder(photos)
        lib.index()
        assert sum(face_counts(lib).values()) == 0
        assert "faces" not in {s.name for s in lib.status().stages}
