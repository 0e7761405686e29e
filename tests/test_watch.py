"""The watcher with real inotify (and the polling fallback), real models, real index."""
import errno
import os
import shutil
import time

import pytest
from watchdog.observers import Observer

from photoapp.core.hashing import hash_file
from photo_factory import gradient, make_photos, save, snapshot

QUIET = 0.5


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def paths_of(lib):
    return sorted(p for doc in lib.backend.iter_documents() for p in doc.paths)


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "photos"
    make_photos(d, 3)
    return d


def start_watch(library, folder, **kw):
    from photoapp.core.watch import LibraryWatcher

    w = LibraryWatcher(library, [str(folder)], quiet_s=QUIET, tick_s=0.1, **kw)
    return w.start()


def test_created_modified_moved_deleted_reach_the_index(library, counting_bundle, folder):
    library.add_folder(folder)
    library.index()
    w = start_watch(library, folder)
    try:
        assert w.mode == "native"
        save(gradient(320, 240, seed=100), folder / "new.jpg", "JPEG")
        assert wait_for(lambda: library.info(folder / "new.jpg") is not None)

        old_id = library.info(folder / "img_000.jpg").id
        save(gradient(320, 240, seed=101), folder / "img_000.jpg", "JPEG")
        assert wait_for(lambda: (d := library.info(folder / "img_000.jpg")) and d.id != old_id)

        # New content gets stage 1 at once and the later stages (objects) in the background.
        assert w.wait_idle(backfill=True)
        calls = counting_bundle.calls
        (folder / "sub").mkdir()
        os.rename(folder / "img_001.jpg", folder / "sub" / "moved.jpg")
        # inotify may report a move into a brand-new folder as delete + create, in two batches.
        assert wait_for(lambda: library.info(folder / "sub" / "moved.jpg") is not None
                        and library.info(folder / "img_001.jpg") is None)

        os.rename(folder / "sub", folder / "renamed_dir")
        assert wait_for(lambda: library.info(folder / "renamed_dir" / "moved.jpg") is not None)
        assert counting_bundle.calls == calls  # moves never reach the models

        os.remove(folder / "img_002.jpg")
        assert wait_for(lambda: library.info(folder / "img_002.jpg") is None)
        assert w.wait_idle()
        assert paths_of(library) == sorted(str(folder / p) for p in
                                           ("img_000.jpg", "new.jpg", "renamed_dir/moved.jpg"))
        assert library.status().watching
    finally:
        w.stop()
    assert not library.status().watching


def test_editor_temp_file_then_rename(library, folder):
    library.add_folder(folder)
    library.index()
    w = start_watch(library, folder)
    try:
        tmp = folder / "img_000.jpg.tmp~"  # many editors write here, then rename over the file
        save(gradient(320, 240, seed=200), tmp, "JPEG")
        os.replace(tmp, folder / "img_000.jpg")
        expected = hash_file(folder / "img_000.jpg")
        assert wait_for(lambda: getattr(library.info(folder / "img_000.jpg"), "id", None)
                        == expected)
        assert w.wait_idle()
        assert library.errors() == [] and library.status().files == 3
        assert str(tmp) not in paths_of(library)
    finally:
        w.stop()


def test_slow_copy_is_indexed_once_complete(library, folder, tmp_path):
    src = tmp_path / "big.jpg"
    save(gradient(1200, 900, seed=300), src, "JPEG", quality=95)
    data = src.read_bytes()
    library.add_folder(folder)
    library.index()
    w = start_watch(library, folder)
    try:
        with open(folder / "slow.jpg", "wb") as f:  # a camera card copying slowly
            for i in range(0, len(data), len(data) // 6 + 1):
                f.write(data[i:i + len(data) // 6 + 1])
                f.flush()
                time.sleep(QUIET * 0.6)
        assert wait_for(lambda: library.info(folder / "slow.jpg") is not None)
        assert w.wait_idle()
        assert library.errors() == []
        assert library.info(folder / "slow.jpg").width == 1200
    finally:
        w.stop()


class _LimitedObserver(Observer):
    """The native observer as it behaves once fs.inotify.max_user_watches is used up.

    Raising the real limit would need changing a system-wide sysctl on a shared machine, so the
    error is produced here, exactly as watchdog raises it (inotify_c.py: ENOSPC)."""

    def start(self):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_falls_back_to_polling_when_the_watch_limit_is_hit(library, folder, caplog):
    library.add_folder(folder)
    library.index()
    w = start_watch(library, folder, observer_factory=_LimitedObserver, polling_interval_s=0.5)
    try:
        assert w.mode == "polling"
        st = library.status()
        assert st.watch_mode == "polling" and any("polling" in m for m in st.warnings)
        assert any("limit" in r.getMessage() for r in caplog.records)
        save(gradient(320, 240, seed=400), folder / "polled.jpg", "JPEG")
        assert wait_for(lambda: library.info(folder / "polled.jpg") is not None)
    finally:
        w.stop()


def test_paused_watcher_catches_up_on_resume(library, folder):
    from photoapp.core.jobs import JobControl

    library.add_folder(folder)
    library.index()
    control = JobControl()
    w = start_watch(library, folder, control=control)
    try:
        assert w.wait_idle()
        control.pause()
        shutil.copy(folder / "img_000.jpg", folder / "while_paused.jpg")
        time.sleep(QUIET * 3)
        assert library.info(folder / "while_paused.jpg") is None and w.pending > 0
        control.resume()
        assert wait_for(lambda: library.info(folder / "while_paused.jpg") is not None)
    finally:
        w.stop()


def test_folder_is_byte_identical_after_index_and_watch(library, folder):
    before = snapshot(folder)
    library.add_folder(folder)
    library.index()
    w = library.watch()
    try:
        assert w.wait_idle()
        time.sleep(1.5)
        for h in library.all_photos():
            library.thumbnail_path(h.id)
    finally:
        w.stop()
    assert snapshot(folder) == before


def test_removed_folder_is_no_longer_watched(library, folder):
    library.add_folder(folder)
    library.index()
    w = library.watch()
    try:
        assert w.wait_idle()
        library.remove_folder(folder)
        save(gradient(320, 240, seed=500), folder / "after_removal.jpg", "JPEG")
        time.sleep(2.5)  # well past the debounce: the event arrived and was ignored
        assert w.wait_idle()
        assert library.status().files == 0
        assert library.info(folder / "after_removal.jpg") is None
    finally:
        w.stop()


def test_native_watch_dying_later_switches_to_polling(library, folder):
    library.add_folder(folder)
    library.index()
    w = start_watch(library, folder, polling_interval_s=0.5)
    try:
        assert w.mode == "native" and w.wait_idle()
        # What happens when inotify cannot watch a new sub-folder: its emitter thread ends.
        for emitter in list(w._observer.emitters):
            emitter.stop()
            emitter.join(5)
        assert wait_for(lambda: w.mode == "polling")
        assert any("polling" in m for m in library.status().warnings)
        save(gradient(320, 240, seed=600), folder / "seen_by_polling.jpg", "JPEG")
        assert wait_for(lambda: library.info(folder / "seen_by_polling.jpg") is not None)
    finally:
        w.stop()
