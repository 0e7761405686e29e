"""People over a real catalog, embedded index and user-data file, with faces whose descriptors
are constructed (noisy copies of random unit vectors per identity): grouping as photos arrive,
the index mirror, names and corrections, and what survives re-analysis, rebuilds and moves."""
from __future__ import annotations

import pytest

from people_support import LEFT, RIGHT, Lib, face
from photoapp.core.index.embedded.backend import EmbeddedIndex
from photoapp.core.people import PeopleError
from photoapp.core.query import parse_query
from photoapp.core.query.listing import Person


@pytest.fixture
def lib(tmp_path):
    lib = Lib(tmp_path)
    yield lib
    lib.close()


def by_name(lib):
    return {tuple(sorted(p.paths)): p for p in lib.people.list()}


def search(lib, text):
    return {h.id for h in lib.index.search(parse_query(text, people=lib.people.name_keys()))}


def test_faces_group_into_people_as_photos_arrive(lib):
    a1 = lib.add("a1", [face("anna", LEFT, seed=1), face("bob", RIGHT, seed=2)])
    report = lib.people.refresh()
    assert report.photos == 1 and report.new_people == 2
    a2 = lib.add("a2", [face("anna", seed=3)])
    c1 = lib.add("c1", [face("carl", seed=4)])
    report = lib.people.refresh()
    assert report.photos == 2 and report.new_people == 1  # anna joined her person, carl is new
    assert lib.people.refresh().photos == 0  # nothing new: nothing read
    people = lib.people.list()
    assert [(p.name, p.size) for p in people] == [(None, 2), (None, 1), (None, 1)]
    anna = people[0]
    assert set(anna.doc_ids) == {a1, a2} and sorted(anna.paths) == ["/photos/a1.jpg", "/photos/a2.jpg"]
    assert {p.doc_ids for p in people[1:]} == {(a1,), (c1,)}
    # The index mirror: a person's page lists their photos on the index itself.
    assert {h.id for h in lib.index.list_photos(Person(anna.id))} == {a1, a2}
    assert [r.id for r in lib.index.get(a1).people] == sorted(p.id for p in people if a1 in p.doc_ids)


def test_low_quality_faces_are_kept_but_form_no_people(lib):
    doc = lib.add("blurry", [face("anna", LEFT, quality=0.05, seed=1), face("bob", RIGHT, seed=2)])
    lib.people.refresh()
    faces = lib.people.faces_in(doc)
    assert len(faces) == 2
    unknown = [f for f in faces if f.person_id is None]
    assert len(unknown) == 1 and not unknown[0].usable
    assert len(lib.people.list()) == 1


def test_naming_merging_and_search(lib):
    a1 = lib.add("a1", [face("anna", seed=1)])
    lib.people.refresh()
    a2 = lib.add("beach", [face("anna", LEFT, seed=2), face("bob", RIGHT, seed=3)])
    lib.people.refresh()
    anna = next(p for p in lib.people.list() if p.size == 2)
    bob = next(p for p in lib.people.list() if p.size == 1)
    assert lib.people.name(anna.id, "  Anna   Maria ") == "Anna Maria"
    assert search(lib, "person:\"anna maria\"") == {a1, a2}
    assert search(lib, "Anna Maria beach") == {a2}  # a plain name, combined with a word
    lib.people.name(bob.id, "Bob")
    assert [p.name for p in lib.people.list()] == ["Anna Maria", "Bob"]  # named first, by name
    with pytest.raises(PeopleError):
        lib.people.name(bob.id, "12")  # a number is a person id, not a name
    with pytest.raises(PeopleError):
        lib.people.merge(bob.id, bob.id)
    lib.people.merge(anna.id, bob.id)
    assert [(p.name, p.size, p.faces) for p in lib.people.list()] == [("Anna Maria", 2, 3)]
    assert search(lib, "person:bob") == set()
    with pytest.raises(PeopleError):
        lib.people.name(bob.id, "Bob")  # merged away


def test_removed_faces_never_rejoin_and_not_a_face_leaves_people(lib):
    a1 = lib.add("a1", [face("anna", seed=1)])
    a2 = lib.add("a2", [face("anna", seed=2)])
    a3 = lib.add("a3", [face("anna", seed=3)])
    lib.people.refresh()
    (anna,) = lib.people.list()
    lib.people.name(anna.id, "Anna")
    wrong = lib.people.faces_in(a3)[0]
    assert lib.people.remove_face(wrong.id) == anna.id
    people = lib.people.list()
    assert [p.size for p in people] == [2, 1]  # it is a person of its own now, never Anna again
    assert search(lib, "anna") == {a1, a2}
    lib.people.refresh()
    assert [p.size for p in lib.people.list()] == [2, 1]
    lib.people.not_a_face(lib.people.faces_in(a2)[0].id)
    assert [(p.name, p.size) for p in lib.people.list()] == [("Anna", 1), (None, 1)]
    assert search(lib, "person:anna") == {a1}
    lib.people.remove_face(lib.people.faces_in(a1)[0].id)
    assert "anna" not in lib.people.name_keys()  # Anna is in no photo: "anna" is a word again
    with pytest.raises(PeopleError):
        lib.people.remove_face(999)
    with pytest.raises(PeopleError):
        lib.people.not_a_face("x")


def test_names_and_corrections_survive_a_new_model_and_an_index_rebuild(lib, tmp_path):
    a1 = lib.add("a1", [face("anna", LEFT, seed=1), face("bob", RIGHT, seed=2)])
    a2 = lib.add("a2", [face("anna", seed=3)])
    lib.people.refresh()
    anna = next(p for p in lib.people.list() if p.size == 2)
    lib.people.name(anna.id, "Anna")
    not_face = lib.people.faces_in(a1)[1]  # bob's box: the user says it is not a face
    lib.people.not_a_face(not_face.id)
    # A new faces model: boxes move a little, descriptors change, the order of detection flips.
    moved = lambda b: (b[0] + 0.01, b[1] + 0.02, b[2] + 0.01, b[3])  # noqa: E731
    lib.reanalyse(a1, [face("bob", moved(RIGHT), seed=12), face("anna", moved(LEFT), seed=11)])
    assert lib.people.refresh().photos == 1
    assert [(p.name, set(p.doc_ids)) for p in lib.people.list()] == [("Anna", {a1, a2})]
    assert [f.not_face for f in sorted(lib.people.faces_in(a1), key=lambda f: f.box)] == [False, True]
    # The index is deleted and rebuilt: the same photos (same content hashes) get their people back.
    lib.index.close()
    import shutil
    shutil.rmtree(tmp_path / "index")
    lib.index = EmbeddedIndex(tmp_path / "index")
    lib.people.backend = lib.index
    lib.add("a1", [face("anna", LEFT, seed=21), face("bob", RIGHT, seed=22)])
    lib.add("a2", [face("anna", seed=23)])
    lib.people.refresh()
    assert search(lib, "person:anna") == {a1, a2}
    assert [(p.name, p.size) for p in lib.people.list()] == [("Anna", 2)]


def test_moved_photo_keeps_its_people_and_purge_forgets_everything(lib):
    a1 = lib.add("a1", [face("anna", seed=1)])
    lib.people.refresh()
    (anna,) = lib.people.list()
    lib.people.name(anna.id, "Anna")
    with lib.catalog.write() as w:  # a rename: same bytes, new path
        w.delete_file("/photos/a1.jpg")
        w.put_indexed("/photos/renamed/a1.jpg", 1, 1, a1)
    lib.index.set_paths(a1, ["/photos/renamed/a1.jpg"])
    assert [(p.name, p.paths) for p in lib.people.list()] == [("Anna", ("/photos/renamed/a1.jpg",))]
    assert search(lib, "anna") == {a1}
    lib.people.purge()
    assert lib.people.list() == [] and lib.people.names() == []
    assert lib.index.get(a1).people == []
    # face analysis back on: the faces are grouped again, as strangers
    lib.people.refresh()
    assert [(p.name, p.size) for p in lib.people.list()] == [(None, 1)]


def test_more_like_this_face_and_confirming_a_face(lib):
    a1 = lib.add("a1", [face("anna", seed=1)])
    a2 = lib.add("a2", [face("anna", seed=2)])
    b1 = lib.add("b1", [face("bob", seed=3)])
    lib.people.refresh()
    anna = next(p for p in lib.people.list() if p.size == 2)
    far = lib.people.faces_in(a2)[0]
    lib.people.remove_face(far.id)  # wrongly taken out: now a person of its own
    suggestions = lib.people.similar_faces(anna.id)
    assert [f.doc_id for f, _ in suggestions] == []  # a face taken out of Anna is not suggested back
    suggestions = lib.people.similar_faces(anna.id, floor=-1.0)
    assert [f.doc_id for f, _ in suggestions] == [b1]  # everyone else, least alike last
    lib.people.confirm([far.id], anna.id)  # the user puts it back by hand
    assert {p.size for p in lib.people.list()} == {2, 1}
    assert search_person(lib, anna.id) == {a1, a2}


def search_person(lib, pid):
    return {h.id for h in lib.index.list_photos(Person(pid))}


def test_a_new_model_that_sees_two_people_as_one_merges_them(lib):
    """Boxes keep faces with their people through a model upgrade; once the new descriptors put
    two unnamed people together, the refresh merges them (never two named people)."""
    a1 = lib.add("a1", [face("anna", seed=1)])
    a2 = lib.add("a2", [face("bob", seed=2)])  # the old model got this one wrong
    lib.people.refresh()
    assert len(lib.people.list()) == 2
    lib.reanalyse(a2, [face("anna", seed=3)])
    report = lib.people.refresh()
    assert report.merged == 1
    assert [set(p.doc_ids) for p in lib.people.list()] == [{a1, a2}]


def test_a_photo_edited_in_place_keeps_its_faces_people_and_corrections(lib):
    old = lib.add("a1", [face("anna", LEFT, seed=1), face("bob", RIGHT, seed=2)])
    lib.people.refresh()
    anna = lib.people.get(next(f.person_id for f in lib.people.faces_in(old) if f.box == LEFT))
    lib.people.name(anna.id, "Anna")
    lib.people.not_a_face(next(f.id for f in lib.people.faces_in(old) if f.box == RIGHT))
    # The file now holds new bytes (brightened): a new document; the pipeline reports the edit.
    new_id = ("edited".encode().hex() + "0" * 40)[:40]
    assert lib.store.inherit({new_id: [old]}) == 1
    assert lib.store.inherit({new_id: [old]}) == 0  # once
    lib.add("edited", [face("anna", LEFT, seed=3), face("bob", RIGHT, seed=4)])
    lib.people.refresh()
    faces = sorted(lib.people.faces_in(new_id), key=lambda f: f.box)
    assert [(f.person_id, f.not_face) for f in faces] == [(anna.id, False), (None, True)]
    assert new_id in lib.people.get(anna.id).doc_ids


def test_a_user_data_file_from_before_people_opens_when_nothing_can_be_written(tmp_path):
    """A full disk (no file may grow, as in tests/faults): the store opens empty, reads work."""
    import resource
    import signal
    import sqlite3
    import subprocess
    import sys

    path = tmp_path / "userdata.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode=WAL; CREATE TABLE marks (doc_id TEXT PRIMARY KEY);")
    db.close()

    def no_file_growth():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    code = ("import sys; from photoapp.core.people import PeopleStore; s = PeopleStore(sys.argv[1]); "
            "print(s.people(), s.names(), s.synced())")
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                       preexec_fn=no_file_growth, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[] [] {}"
