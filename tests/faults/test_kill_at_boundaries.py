"""A writer killed (SIGKILL) at every named write boundary leaves no orphans either way once the
library is opened again: no index document the catalog does not know (a "ghost" that search
would return for good once its file is deleted), no catalog row the index lacks, no path the two
disagree on. A re-run then finishes the work.

The boundaries are the ones pipeline.py lists under "Write order"; the child is the real CLI
with PHOTOAPP_FAULT naming one of them (core/faults.py)."""
from __future__ import annotations

import signal
import shutil

import pytest

from fault_helpers import SAMPLE_PHOTOS, child_env, cli, copy_photos
from photoapp.core.catalog import Catalog
from photoapp.core.faults import BOUNDARIES
from photoapp.core.index import open_backend
from photoapp.core.library import Library
from photoapp.core.settings import Settings

COMMIT_BOUNDARIES = ["after-journal", "after-backend-write", "after-backend-flush",
                     "after-catalog-commit"]
FIRST = ["astronaut.jpg", "brick.jpg", "camera.jpg", "chelsea.jpg"]


def run_killed(data, fault, *args):
    assert fault in BOUNDARIES
    r = cli(data, *args, env=child_env(PHOTOAPP_FAULT=fault))
    assert r.returncode == -signal.SIGKILL, (fault, r.returncode, r.stderr.decode())


def disagreement(catalog, backend) -> dict:
    docs = {d.id: sorted(d.paths) for d in backend.iter_documents()}
    known = catalog.known_hashes()
    return {"ghosts": set(docs) - known, "missing": known - set(docs),
            "paths": {h for h in set(docs) & known if docs[h] != sorted(catalog.paths_of(h))}}


def raw_disagreement(data) -> dict:
    """As found on disk after the kill, before any photoapp heals it."""
    settings = Settings(data_dir=data)
    catalog, backend = Catalog(data / "catalog.sqlite3"), open_backend(settings)
    try:
        return disagreement(catalog, backend)
    finally:
        backend.close()
        catalog.close()


def agreed(lib) -> bool:
    return disagreement(lib.catalog, lib.backend) == {"ghosts": set(), "missing": set(),
                                                      "paths": set()}


def on_disk(*folders) -> set[str]:
    return {str(p) for f in folders for p in f.rglob("*.jpg")}


@pytest.mark.parametrize("fault", COMMIT_BOUNDARIES)
def test_kill_while_indexing_new_photos(fault, tmp_path, model_bundle):
    photos = copy_photos(tmp_path / "photos", FIRST)
    data = tmp_path / "data"
    run_killed(data, fault, "index", str(photos))
    if fault == "after-backend-flush":  # the window the issue found: the index is ahead
        assert raw_disagreement(data)["ghosts"]
    for name in FIRST[:2]:  # deleted before anyone looks again: ghosts would stay for good
        (photos / name).unlink()
    with Library.open(Settings(data_dir=data), bundle=model_bundle) as lib:
        assert agreed(lib)
        lib.index()
        assert agreed(lib)
        for tag, _ in lib.tag_counts(limit=20):  # what search shows exists on disk
            assert all(h.path in on_disk(photos) for h in lib.search(f'tag:"{tag}"'))
        assert {f.path for f in lib.catalog.files_under(str(photos)).values()} == on_disk(photos)
        assert lib.status().documents == 2


@pytest.mark.parametrize("fault", COMMIT_BOUNDARIES)
def test_kill_while_recording_deletes_moves_and_copies(fault, tmp_path, model_bundle):
    photos = copy_photos(tmp_path / "photos", FIRST)
    data = tmp_path / "data"
    with Library.open(Settings(data_dir=data), bundle=model_bundle) as lib:
        lib.add_folder(photos)
        lib.index()
    (photos / "astronaut.jpg").unlink()  # a document loses its only path
    (photos / "brick.jpg").rename(photos / "brick-renamed.jpg")  # paths change
    shutil.copy2(photos / "camera.jpg", photos / "camera-copy.jpg")  # a second path
    shutil.copy2(SAMPLE_PHOTOS / "coffee.jpg", photos / "coffee.jpg")  # a new document
    run_killed(data, fault, "index", str(photos))
    with Library.open(Settings(data_dir=data), bundle=model_bundle) as lib:
        assert agreed(lib)
        lib.index()
        assert agreed(lib)
        assert {f.path for f in lib.catalog.files_under(str(photos)).values()} == on_disk(photos)
        assert lib.status().documents == 4


def test_kill_between_forgetting_a_folder_and_purging_it(tmp_path, model_bundle):
    keep = copy_photos(tmp_path / "keep", ["coffee.jpg"])
    gone = copy_photos(tmp_path / "gone", ["rocket.jpg", "coins.jpg"])
    data = tmp_path / "data"
    with Library.open(Settings(data_dir=data), bundle=model_bundle) as lib:
        for f in (keep, gone):
            lib.add_folder(f)
        lib.index()
    run_killed(data, "after-remove-root", "remove", str(gone))
    with Library.open(Settings(data_dir=data), bundle=model_bundle) as lib:
        assert lib.folders() == [str(keep)]
        assert agreed(lib)
        assert not lib.catalog.files_under(str(gone))
        assert lib.status().documents == 1


def test_kill_after_a_backfill_flush(tmp_path, model_bundle):
    photos = copy_photos(tmp_path / "photos", FIRST)
    data = tmp_path / "data"
    assert cli(data, "index", "--quick", str(photos)).returncode == 0
    run_killed(data, "after-backfill-flush", "index", str(photos))
    with Library.open(Settings(data_dir=data), bundle=model_bundle) as lib:
        assert agreed(lib)
        lib.index()
        assert agreed(lib)
        assert lib.status().documents == len(FIRST)
