"""Library end to end with the real models and the real embedded index."""
import os
import shutil
import threading

import pytest
from PIL import Image

from photo_factory import make_photos, png_bomb, save, gradient, snapshot, truncated_jpeg
from photoapp.core.errors import LibraryError, QueryError
from photoapp.core.jobs import JobControl


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "photos"
    make_photos(d, 6)
    return d


def indexed_paths(lib) -> list[str]:
    return sorted(p for doc in lib.backend.iter_documents() for p in doc.paths)


def test_index_then_rerun_does_no_model_work(library, counting_bundle, folder):
    library.add_folder(folder)
    report = library.index()
    assert (report.indexed, report.errors, report.scanned) == (6, 0, 6)
    assert counting_bundle.calls > 0
    st = library.status()
    assert (st.documents, st.files, st.errors) == (6, 6, 0)
    doc = library.info(folder / "img_000.jpg")
    assert doc.tags and doc.embedding is not None and doc.phash
    assert (doc.width, doc.height, doc.format) == (320, 240, "JPEG")
    assert library.thumbnail_path(doc.id).is_file()

    calls = counting_bundle.calls
    again = library.index()
    assert counting_bundle.calls == calls
    assert (again.unchanged, again.indexed, again.reused) == (6, 0, 0)


def test_real_sample_photos(library, photo_dir):
    library.add_folder(photo_dir)
    report = library.index()
    assert report.indexed > 0 and report.errors == 0
    assert library.status().documents == report.indexed


def test_moved_renamed_touched_and_copied_photos_keep_their_document(library, counting_bundle,
                                                                      folder):
    library.add_folder(folder)
    library.index()
    before = library.info(folder / "img_001.jpg")
    calls = counting_bundle.calls

    (folder / "sub").mkdir()
    os.rename(folder / "img_001.jpg", folder / "sub" / "renamed.jpg")
    shutil.copy(folder / "img_002.jpg", folder / "copy.jpg")
    os.utime(folder / "img_003.jpg", ns=(1, 10**18))  # touched: new mtime, same bytes
    report = library.index()

    assert counting_bundle.calls == calls  # nothing went through the models again
    assert (report.reused, report.removed, report.indexed) == (3, 1, 0)
    after = library.info(folder / "sub" / "renamed.jpg")
    assert after.id == before.id and after.tags == before.tags
    assert library.info(folder / "img_001.jpg") is None
    copies = library.info(folder / "copy.jpg")
    assert sorted(copies.paths) == [str(folder / "copy.jpg"), str(folder / "img_002.jpg")]
    assert library.status().documents == 6


def test_identical_copies_in_one_run_are_one_document(library, counting_bundle, tmp_path):
    d = tmp_path / "dups"
    make_photos(d, 1)
    for i in range(3):
        shutil.copy(d / "img_000.jpg", d / f"dup{i}.jpg")
    library.add_folder(d)
    report = library.index()
    assert (report.indexed, report.reused) == (1, 3)
    assert library.status().documents == 1
    assert len(library.info(d / "dup1.jpg").paths) == 4


def test_changed_content_replaces_the_document(library, folder):
    library.add_folder(folder)
    library.index()
    old = library.info(folder / "img_004.jpg").id
    save(gradient(320, 240, seed=999), folder / "img_004.jpg", "JPEG")
    report = library.index()
    assert report.indexed == 1
    assert library.info(folder / "img_004.jpg").id != old
    assert library.info(old) is None
    assert not library.thumbs.exists(old)


def test_deleted_photo_leaves_the_index(library, folder):
    library.add_folder(folder)
    library.index()
    gone = library.info(folder / "img_005.jpg").id
    os.remove(folder / "img_005.jpg")
    report = library.index()
    assert report.removed == 1 and library.info(gone) is None
    assert all(h.id != gone for h in library.all_photos(limit=100))


def test_bad_files_are_recorded_and_cleared_when_fixed(library, folder):
    truncated_jpeg(folder / "cut.jpg")
    (folder / "text.jpg").write_text("not really a jpeg")
    png_bomb(folder / "bomb.png")
    (folder / "readme.txt").write_text("skipped quietly: not an image")
    library.add_folder(folder)
    report = library.index()
    assert report.errors == 3 and report.indexed == 6
    reasons = {os.path.basename(e.path): e.reason for e in library.errors()}
    assert reasons == {"cut.jpg": "truncated", "text.jpg": "not-an-image", "bomb.png": "too-large"}

    # An unchanged bad file is not retried; a fixed one is indexed and its error cleared.
    assert library.index().errors == 0
    save(gradient(200, 100, seed=5), folder / "cut.jpg", "JPEG")
    fixed = library.index()
    assert fixed.indexed == 1
    assert sorted(os.path.basename(e.path) for e in library.errors()) == ["bomb.png", "text.jpg"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read chmod 000 files")
def test_unreadable_file_is_recorded(library, folder):
    os.chmod(folder / "img_000.jpg", 0)
    try:
        library.add_folder(folder)
        library.index()
        assert [e.reason for e in library.errors()] == ["unreadable"]
    finally:
        os.chmod(folder / "img_000.jpg", 0o644)


def test_non_utf8_file_name_is_indexed(library, tmp_path):
    d = tmp_path / "odd"
    make_photos(d, 1)
    raw = os.path.join(os.fsencode(d), b"f\xe9te-\xff.jpg")
    with open(raw, "wb") as f:
        gradient(300, 200, seed=77).save(f, "JPEG")
    library.add_folder(d)
    report = library.index()
    weird = os.fsdecode(raw)
    assert library.info(d / "img_000.jpg") is not None  # the rest of the folder is indexed
    assert report.errors == 0 and report.indexed == 2
    assert os.fsencode(library.info(weird).path) == raw
    assert [os.fsencode(h.path) for h in library.search("fte")] in ([], [raw])  # FTS never chokes
    assert library.index().errors == 0  # not retried while unchanged


def test_remove_folder_purges_rows_vectors_thumbnails_but_keeps_other_paths(library, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    make_photos(a, 3)
    make_photos(b, 1, start=50)
    shutil.copy(a / "img_000.jpg", b / "shared.jpg")  # same picture in both folders
    library.add_folder(a)
    library.add_folder(b)
    library.index()
    only_a = library.info(a / "img_001.jpg").id
    shared = library.info(a / "img_000.jpg").id

    purge = library.remove_folder(a)
    assert (purge.files_removed, purge.documents_deleted, purge.documents_kept) == (3, 2, 1)
    assert purge.thumbnails_deleted == 2
    assert library.folders() == [str(b)]
    assert library.info(only_a) is None and not library.thumbs.exists(only_a)
    assert only_a not in {d.id for d in library.backend.iter_documents()}
    assert library.info(shared).paths == [str(b / "shared.jpg")]
    assert indexed_paths(library) == sorted([str(b / "img_050.jpg"), str(b / "shared.jpg")])
    with pytest.raises(LibraryError):
        library.remove_folder(a)


def test_add_folder_rejects_non_folders(library, tmp_path):
    with pytest.raises(LibraryError):
        library.add_folder(tmp_path / "nope")
    with pytest.raises(LibraryError):
        library.index([tmp_path])  # not added


def test_photo_folder_is_never_written(library, folder):
    before = snapshot(folder)
    library.add_folder(folder)
    library.index()
    for h in library.all_photos():
        library.thumbnail_path(h.id)
    assert snapshot(folder) == before


def test_thumbnail_regenerated_on_demand(library, folder):
    library.add_folder(folder)
    library.index()
    doc = library.info(folder / "img_000.jpg")
    p = library.thumbnail_path(doc.id)
    p.unlink()
    again = library.thumbnail_path(doc.id)
    assert again == p and again.is_file()
    with Image.open(again) as t:
        assert max(t.size) == library.settings.thumbnail_size or max(t.size) == 320
    assert library.thumbnail_path("0" * 32) is None


def test_similar_by_path_id_outside_file_and_image(library, counting_bundle, folder, tmp_path):
    library.add_folder(folder)
    library.index()
    doc = library.info(folder / "img_000.jpg")
    by_path = library.similar(folder / "img_000.jpg", limit=10)
    assert doc.id not in [h.id for h in by_path] and len(by_path) == 5
    assert [h.id for h in library.similar(doc.id, limit=10)] == [h.id for h in by_path]
    assert all(-1.0 <= h.score <= 1.0 for h in by_path)
    assert by_path == sorted(by_path, key=lambda h: -h.score)

    outside = tmp_path / "outside.jpg"
    shutil.copy(folder / "img_000.jpg", outside)
    hits = library.similar(outside, limit=3)
    assert hits[0].id == doc.id and hits[0].score > 0.99  # the same picture, found by looks
    hits = library.similar(Image.open(outside), limit=3)
    assert hits[0].id == doc.id
    assert library.status().documents == 6  # nothing was added
    with pytest.raises(LibraryError):
        library.similar(tmp_path / "missing.jpg")


def test_search_and_browse(library, folder):
    library.add_folder(folder)
    library.index()
    tag = library.tag_counts(limit=1, min_confidence=0, everyday=False)[0][0]  # synthetic photos: faint tags
    hits = library.search(f'tag:"{tag}"')
    assert hits and all(isinstance(h.score, float) for h in hits)
    assert len(library.all_photos(sort="name", limit=4)) == 4
    assert [h.path for h in library.all_photos(sort="name")] == sorted(
        str(p) for p in folder.glob("*.jpg"))
    with pytest.raises(QueryError):
        library.search("after:not-a-date")


def test_pause_resume_and_cancel(library, tmp_path):
    d = tmp_path / "many"
    make_photos(d, 16)
    library.add_folder(d)
    control = JobControl()
    events = []
    resumed = threading.Event()

    def progress(e):
        events.append(e)
        if e.phase == "index" and e.done == 1 and not resumed.is_set():
            control.pause()
            # Resume from another thread, as a GUI button would.
            threading.Timer(0.3, lambda: (resumed.set(), control.resume())).start()
        if e.phase == "index" and e.done == 8:
            control.cancel()

    report = library.index(progress=progress, control=control)
    assert resumed.is_set() and report.cancelled
    done_before_cancel = library.status().files
    assert 8 <= done_before_cancel < 16  # finished work was committed, the rest was not
    assert events[-1].phase == "done"
    assert all(e.total == 16 for e in events if e.phase == "index")

    rest = library.index()
    assert not rest.cancelled and rest.indexed == 16 - done_before_cancel
    assert library.status().files == 16


def test_lost_index_is_rebuilt_not_silently_empty(settings, counting_bundle, folder):
    from photoapp.core.library import Library

    lib = Library.open(settings, bundle=counting_bundle)
    lib.add_folder(folder)
    lib.index()
    lib.close()
    shutil.rmtree(settings.data_dir / "index")  # the user deleted the index (or it was lost)
    lib = Library.open(settings, bundle=counting_bundle)
    try:
        assert any("indexed again" in w for w in lib.status().warnings)
        assert lib.folders() == [str(folder)]
        report = lib.index()
        assert report.indexed == 6 and lib.backend.stats().documents == 6
    finally:
        lib.close()


def test_progress_events(library, folder):
    library.add_folder(folder)
    events = []
    library.index(progress=events.append)
    work = [e for e in events if e.phase == "index"]
    assert [e.done for e in work] == list(range(1, 7))
    assert all(e.total == 6 for e in work)
    assert all(e.current_path.startswith(str(folder)) for e in work)
    assert any(e.rate > 0 and e.eta_s is not None for e in work[1:])
    assert events[-1].phase == "done" and events[-1].done == 6


def test_missing_models_stop_the_run_instead_of_marking_photos_bad(data_dir, tmp_path, folder):
    from photoapp.core.errors import ModelError
    from photoapp.core.library import Library
    from photoapp.core.settings import Settings

    settings = Settings(data_dir=data_dir, models_dir=tmp_path / "no-models")
    lib = Library.open(settings)  # opens without models: status, folders, errors still work
    try:
        lib.add_folder(folder)
        assert lib.status().models == "not loaded"
        with pytest.raises(ModelError):
            lib.index()
        assert lib.errors() == [] and lib.status().files == 0
    finally:
        lib.close()


def test_identical_bad_copies_are_all_recorded(library, tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    truncated_jpeg(d / "a.jpg")
    shutil.copy(d / "a.jpg", d / "b.jpg")
    shutil.copy(d / "a.jpg", d / "c.jpg")
    library.add_folder(d)
    report = library.index()
    assert report.errors == 3 and report.indexed == 0
    assert [e.reason for e in library.errors()] == ["truncated"] * 3
