"""Ratings, favourites, keepers and undo: the user-data store (real SQLite file) and the Library
around it (real embedded index, real models), the CLI commands, and survival of a rebuild."""
from __future__ import annotations

import shutil

import pytest

from photo_factory import make_photos
from photoapp.core.errors import LibraryError, PhotoAppError
from photoapp.core.userdata import USERDATA_FILENAME, UserData, UserDataError, UserMark


@pytest.fixture
def store(tmp_path):
    s = UserData.in_folder(tmp_path)
    yield s
    s.close()


def test_store_keeps_marks_in_its_own_file_and_reopens(tmp_path, store):
    store.set_rating(["a", "b"], 4)
    store.set_favorite(["b"], True)
    store.close()
    again = UserData(tmp_path / USERDATA_FILENAME)
    try:
        assert again.get_many(["a", "b", "c"]) == {"a": UserMark(4, False), "b": UserMark(4, True)}
        assert again.get("c") == UserMark()
    finally:
        again.close()


@pytest.mark.parametrize("bad", [-1, 6, "five", 2.5, None])
def test_bad_rating_is_a_typed_error_and_changes_nothing(store, bad):
    with pytest.raises(UserDataError):
        store.set_rating(["a"], bad)
    assert store.get_many(["a"]) == {} and not store.can_undo()


def test_undo_restores_exactly_what_each_change_replaced(store):
    store.set_rating(["a"], 2)
    store.set_rating(["a", "b"], 5)
    store.set_favorite(["a"], True)
    assert store.last_change() == "favourite: 1 photo"
    assert store.undo().marks == {"a": UserMark(5, False)}
    assert store.undo().marks == {"a": UserMark(2, False), "b": UserMark()}
    assert store.get_many(["a", "b"]) == {"a": UserMark(2, False)}  # an unmarked photo has no row
    store.undo()
    assert store.get_many(["a", "b"]) == {}
    with pytest.raises(UserDataError, match="nothing to undo"):
        store.undo()


def test_keeper_choice_is_stored_and_undoable(store):
    assert store.keeper("g1") is None
    store.set_keeper("g1", "/p/a.jpg")
    store.set_keeper("g1", "/p/b.jpg")
    assert store.keeper("g1") == "/p/b.jpg"
    store.undo()
    assert store.keeper("g1") == "/p/a.jpg"
    store.undo()
    assert store.keeper("g1") is None


@pytest.fixture
def rated_library(library, tmp_path):
    folder = tmp_path / "photos"
    make_photos(folder, 4)
    library.add_folder(folder)
    library.index()
    library.folder = folder
    return library


def _ids(hits):
    return {h.id for h in hits}


def test_library_rating_is_stored_shown_and_undone(rated_library):
    lib, folder = rated_library, rated_library.folder
    a, b = str(folder / "img_000.jpg"), str(folder / "img_001.jpg")
    change = lib.set_rating([a, b], 4)
    assert change.description == "4 stars on 2 photos"
    lib.set_favorite([a])
    doc = lib.info(a)
    assert (doc.rating, doc.favorite) == (4, True)
    assert lib.marks([doc.id]) == {doc.id: UserMark(4, True)}
    lib.undo()
    assert (lib.info(a).rating, lib.info(a).favorite) == (4, False)
    lib.undo()
    assert lib.info(b).rating == 0
    with pytest.raises(LibraryError, match="not in the library"):
        lib.set_rating([str(folder / "nope.jpg")], 3)


def test_rating_and_favorite_are_searchable(rated_library):
    lib, folder = rated_library, rated_library.folder
    a, b = str(folder / "img_000.jpg"), str(folder / "img_001.jpg")
    lib.set_rating([a], 5)
    lib.set_rating([b], 3)
    lib.set_favorite([b])
    try:
        top = lib.search("rating>=4", limit=50)
        fav = lib.search("favorite", limit=50)
    except PhotoAppError as e:  # the query language learns these in the query-plan work
        pytest.skip(f"rating/favorite queries not available yet: {e}")
    assert _ids(top) == {lib.info(a).id}
    assert _ids(fav) == {lib.info(b).id}


def test_ratings_survive_a_rebuild_of_catalog_and_index(rated_library, settings, counting_bundle):
    from photoapp.core.library import Library

    lib, folder = rated_library, rated_library.folder
    photo = str(folder / "img_002.jpg")
    lib.set_rating([photo], 3)
    lib.set_favorite([photo])
    doc_id = lib.info(photo).id
    lib.close()
    for name in settings.data_dir.iterdir():  # everything but the user data goes
        if name.name.startswith(USERDATA_FILENAME):
            continue
        shutil.rmtree(name) if name.is_dir() else name.unlink()
    rebuilt = Library.open(settings, bundle=counting_bundle)
    try:
        rebuilt.add_folder(folder)
        rebuilt.index()
        # Straight from the index (not via info(), which overlays the store): the pipeline
        # wrote the marks back into the new document.
        stored = rebuilt.backend.get(doc_id)
        assert stored is not None
        if not hasattr(stored, "rating") or (stored.rating, stored.favorite) == (0, False):
            fields = getattr(rebuilt.backend, "update_fields", None)
            pytest.skip(f"{rebuilt.backend.name} backend does not store rating/favorite yet ({fields})")
        assert (stored.rating, stored.favorite) == (3, True)
    finally:
        rebuilt.close()


def test_cli_rate_favorite_undo(rated_library, settings, capsys):
    from photoapp.cli.main import main

    folder = rated_library.folder
    rated_library.close()  # the CLI opens its own library on the same data folder
    base = ["--data-dir", str(settings.data_dir)]
    a, b = str(folder / "img_000.jpg"), str(folder / "img_001.jpg")
    assert main(base + ["rate", a, b, "5"]) == 0
    assert "5 stars on 2 photos" in capsys.readouterr().out
    assert main(base + ["favorite", a]) == 0
    assert main(base + ["favorite", a, "--off"]) == 0
    assert main(base + ["rate", a, "7"]) == 1
    assert "from 0 (none) to 5 stars" in capsys.readouterr().err
    assert main(base + ["rate", a]) == 1
    assert main(base + ["undo"]) == 0
    assert "undo not favourite" in capsys.readouterr().out
    store = UserData.in_folder(settings.data_dir)
    try:
        assert sorted((m.rating, m.favorite) for m in store.all_marks().values()) == [(5, False), (5, True)]
    finally:
        store.close()


def test_a_rating_does_not_wait_for_a_running_index(rated_library, tmp_path):
    """Indexing holds the library's write lock for the whole run; a rating takes turns only with
    one upsert, so it lands (and is searchable) while the run is paused mid-way."""
    import threading

    from photoapp.core.jobs import JobControl

    lib, folder = rated_library, rated_library.folder
    photo = str(folder / "img_000.jpg")
    more = tmp_path / "more"
    make_photos(more, 12)
    lib.add_folder(more)
    control = JobControl()
    started = threading.Event()

    def progress(event):
        if event.phase == "index" and event.done >= 1 and not started.is_set():
            control.pause()  # the run stops at its next checkpoint, still holding its locks
            started.set()

    run = threading.Thread(target=lambda: lib.index([str(more)], progress=progress, control=control))
    run.start()
    try:
        assert started.wait(120), "indexing did not start"
        assert lib.status().indexing
        done = threading.Event()
        rater = threading.Thread(target=lambda: (lib.set_rating([photo], 5), done.set()))
        rater.start()
        assert done.wait(20), "the rating waited for the indexing run"
        assert lib.status().indexing  # still paused: the rating did not need the run to end
        assert lib.info(photo).id in {h.id for h in lib.search("rating>=5", limit=50)}
    finally:
        control.resume()
        run.join(300)
    assert not run.is_alive()
    assert lib.info(photo).rating == 5


def test_cli_info_shows_rating_and_favourite(rated_library, settings, capsys):
    import json

    from photoapp.cli.main import main

    photo = str(rated_library.folder / "img_003.jpg")
    rated_library.set_rating([photo], 3)
    rated_library.set_favorite([photo])
    rated_library.close()
    base = ["--data-dir", str(settings.data_dir)]
    assert main(base + ["info", photo]) == 0
    assert "rating:   ***  favourite" in capsys.readouterr().out
    assert main(base + ["info", photo, "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert (row["rating"], row["favorite"]) == (3, True)


def test_a_photo_edited_in_place_keeps_its_rating(rated_library):
    from PIL import Image

    lib, folder = rated_library, rated_library.folder
    path = folder / "img_001.jpg"
    lib.set_rating([str(path)], 4)
    lib.set_favorite([str(path)])
    old_id = lib.info(path).id
    with Image.open(path) as im:  # an external editor saves new bytes at the same path
        edited = im.convert("RGB").rotate(180)
    edited.save(path, quality=85)
    report = lib.index()
    assert report.indexed == 1
    doc = lib.info(path)
    assert doc.id != old_id
    assert (doc.rating, doc.favorite) == (4, True)
    assert (lib.backend.get(doc.id).rating, lib.backend.get(doc.id).favorite) == (4, True)  # in the index too
    assert doc.id in {h.id for h in lib.search("rating>=4 favorite", limit=50)}


def test_duplicates_keeper_is_suggested_then_chosen_and_the_cli_shows_it(rated_library, settings, capsys):
    import json
    import shutil

    from PIL import Image

    from photoapp.cli.main import main
    from photoapp.core.keeper import group_candidates, keeper_for

    lib, folder = rated_library, rated_library.folder
    original = folder / "img_002.jpg"
    (folder / "copies").mkdir()
    shutil.copy(original, folder / "copies" / "same.jpg")
    with Image.open(original) as im:
        im.resize((im.width // 2, im.height // 2)).save(folder / "copies" / "half.jpg", quality=90)
    lib.index()
    group = next(g for g in lib.duplicates() if str(original) in g.paths)
    candidates = group_candidates(lib, group)
    key, keep, chosen = keeper_for(lib, candidates)
    assert chosen is None and candidates[keep].width == max(c.width for c in candidates)
    assert "half" not in candidates[keep].path
    lib.set_keeper(key, str(folder / "copies" / "half.jpg"))
    assert keeper_for(lib, candidates)[1:] == (
        [c.path for c in candidates].index(str(folder / "copies" / "half.jpg")), str(folder / "copies" / "half.jpg"))
    lib.close()
    base = ["--data-dir", str(settings.data_dir)]
    assert main(base + ["duplicates"]) == 0
    assert f"{folder / 'copies' / 'half.jpg'}  <- keep\n" in capsys.readouterr().out
    assert main(base + ["undo"]) == 0
    capsys.readouterr()
    assert main(base + ["duplicates", "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if str(original) in r["paths"])
    # Back to the suggestion: a full-size copy (the generated photos are near-duplicates of each other).
    assert row["keep"] != str(folder / "copies" / "half.jpg") and not row["keep_chosen"]
    assert all(p.exists() for p in (original, folder / "copies" / "same.jpg", folder / "copies" / "half.jpg"))
