"""People end to end with the real faces models: a real photo with a face (the astronaut of
tests/data/photos) and a smaller re-encoded copy of it (other bytes: another document) are one
person; naming makes both findable by name; a rename of the file keeps it; a "not a face" mark
follows the photo through an edit in place; turning face analysis off purges faces, people and
names."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from photoapp.core.library import Library
from photoapp.core.settings import Settings

PHOTOS = Path(__file__).parent / "data" / "photos"
MODELS = Path(__file__).resolve().parents[1] / "models"


@pytest.fixture
def library(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(PHOTOS / "astronaut.jpg", photos / "astronaut.jpg")
    shutil.copy(PHOTOS / "coffee.jpg", photos / "coffee.jpg")
    with Image.open(PHOTOS / "astronaut.jpg") as im:
        im.resize((im.width * 3 // 4, im.height * 3 // 4)).save(photos / "eileen_small.jpg", quality=80)
    # Only what people need (tags cannot be turned off): the test stays quick.
    settings = Settings(data_dir=tmp_path / "data", models_dir=MODELS, decode_workers=2, batch_size=4,
                        analyzers={"objects": False, "text": False, "places": False, "colors": False})
    lib = Library.open(settings)
    lib.add_folder(photos)
    lib.index()
    lib.photos = photos
    yield lib
    lib.close()


def _names(hits):
    return sorted(Path(h.path).name for h in hits)


def test_real_faces_form_one_person_that_a_name_finds(library):
    people = library.people.list()
    assert [(p.name, sorted(Path(x).name for x in p.paths)) for p in people] == \
        [(None, ["astronaut.jpg", "eileen_small.jpg"])]
    library.people.name(people[0].id, "Eileen")
    assert _names(library.search("eileen")) == ["astronaut.jpg", "eileen_small.jpg"]
    assert _names(library.search("person:eileen faces>=1")) == ["astronaut.jpg", "eileen_small.jpg"]
    assert library.search("person:eileen espresso") == []

    # a rename: same bytes, same person, same name
    (library.photos / "eileen_small.jpg").rename(library.photos / "renamed.jpg")
    library.index()
    assert _names(library.search("eileen")) == ["astronaut.jpg", "renamed.jpg"]
    assert [p.name for p in library.people.list()] == ["Eileen"]

    # a correction follows an edit in place: the face of renamed.jpg is "not a face"; the file is
    # then brightened (new bytes, a new document) and indexed again: still not a face
    renamed = library.info(library.photos / "renamed.jpg")
    (wrong,) = library.people.faces_in(renamed.id)
    library.people.not_a_face(wrong.id)
    assert _names(library.search("eileen")) == ["astronaut.jpg"]
    with Image.open(library.photos / "renamed.jpg") as im:
        im.point(lambda v: min(255, v + 12)).save(library.photos / "renamed.jpg", quality=90)
    library.index()
    edited = library.info(library.photos / "renamed.jpg")
    assert edited.id != renamed.id and len(edited.faces) == 1
    assert [f.not_face for f in library.people.faces_in(edited.id)] == [True]
    assert _names(library.search("eileen")) == ["astronaut.jpg"]

    # privacy: face analysis off purges faces, people and names (they are about people in photos)
    library.set_analyzer_enabled("faces", False)
    assert library.people.list() == [] and library.people.names() == []
    assert library.search("person:eileen") == []
    assert all(not library.info(library.photos / n).faces for n in ("astronaut.jpg", "renamed.jpg"))
