"""A run killed with SIGKILL mid-way resumes with no duplicated and no lost rows."""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from photo_factory import make_photos
from photoapp.core.library import Library

REPO = Path(__file__).resolve().parents[1]
TOTAL = 24

CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from photoapp.core.library import Library
    from photoapp.core.settings import Settings

    data, photos, models = map(Path, sys.argv[1:4])
    settings = Settings(data_dir=data, models_dir=models, batch_size=4, decode_workers=2)
    lib = Library.open(settings)
    lib.pipeline.commit_interval_s = 0.0  # commit after every batch: many points to die at
    lib.add_folder(photos)

    def progress(e):
        print(e.phase, e.done, flush=True)
        time.sleep(0.05)  # pace the run so the parent can kill it in the middle

    lib.index(progress=progress)
    print("finished", flush=True)
""")


def catalog_files(data: Path) -> int:
    db = data / "catalog.sqlite3"
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute("SELECT COUNT(*) FROM files WHERE status = 'indexed'").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    finally:
        conn.close()



def kill_once(child: subprocess.Popen, ready) -> None:
    """SIGKILL ``child`` as soon as ``ready()`` holds (it must still be running then)."""
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and child.poll() is None:
            if ready():
                break
            time.sleep(0.05)
        assert child.poll() is None, child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

def test_sigkill_mid_run_then_resume(tmp_path, settings, counting_bundle):
    photos = tmp_path / "photos"
    make_photos(photos, TOTAL)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(settings.data_dir), str(photos),
                              str(settings.models_dir)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, text=True)
    kill_once(child, lambda: catalog_files(settings.data_dir) >= 4)
    assert child.returncode == -signal.SIGKILL
    survived = catalog_files(settings.data_dir)
    assert 4 <= survived < TOTAL, "the kill must land mid-run"

    lib = Library.open(settings, bundle=counting_bundle)
    try:
        lib.add_folder(photos)
        report = lib.index()
        assert report.unchanged == survived
        assert report.indexed == TOTAL - survived and report.errors == 0
        st = lib.status()
        assert (st.files, st.documents, st.errors) == (TOTAL, TOTAL, 0)
        assert lib.backend.stats().documents == TOTAL
        paths = [p for doc in lib.backend.iter_documents() for p in doc.paths]
        assert sorted(paths) == sorted(str(p) for p in photos.glob("*.jpg"))  # each exactly once
        assert len({d.id for d in lib.backend.iter_documents() if d.embedding is not None}) == TOTAL
        assert lib.index().unchanged == TOTAL
    finally:
        lib.close()


BACKFILL_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from photoapp.core.library import Library
    from photoapp.core.settings import Settings

    data, photos, models = map(Path, sys.argv[1:4])
    settings = Settings(data_dir=data, models_dir=models, batch_size=4, decode_workers=2)
    lib = Library.open(settings)
    lib.pipeline.commit_interval_s = 0.0  # commit after every batch

    def progress(e):
        print(e.phase, e.done, flush=True)
        time.sleep(0.05)

    lib.index(progress=progress)  # stage 1 is done: this is the objects backfill
    print("finished", flush=True)
""")


def catalog_analyses(data: Path, analyzer: str) -> int:
    conn = sqlite3.connect(data / "catalog.sqlite3", timeout=10)
    try:
        return conn.execute("SELECT COUNT(*) FROM analyses WHERE analyzer = ?",
                            (analyzer,)).fetchone()[0]
    finally:
        conn.close()


def test_sigkill_during_backfill_then_resume(tmp_path, settings, counting_bundle):
    photos = tmp_path / "photos"
    make_photos(photos, TOTAL)
    with Library.open(settings, bundle=counting_bundle) as lib:
        lib.add_folder(photos)
        assert lib.index(quick=True).indexed == TOTAL
    assert catalog_analyses(settings.data_dir, "objects") == 0

    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-c", BACKFILL_CHILD, str(settings.data_dir),
                              str(photos), str(settings.models_dir)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, text=True)
    kill_once(child, lambda: catalog_analyses(settings.data_dir, "objects") >= 4)
    survived = catalog_analyses(settings.data_dir, "objects")
    assert 4 <= survived < TOTAL, "the kill must land mid-backfill"

    with Library.open(settings, bundle=counting_bundle) as lib:
        tagger_calls = counting_bundle.tagger.calls
        report = lib.index()
        assert (report.unchanged, report.indexed) == (TOTAL, 0)
        assert report.analysed == TOTAL - survived  # only what the kill left undone
        assert counting_bundle.tagger.calls == tagger_calls
        st = lib.status()
        assert (st.documents, st.files) == (TOTAL, TOTAL)
        done = {s.name: s.done for s in st.stages}
        assert {"tags", "colors", "objects"} <= set(done)  # and the later analyzers, all finished
        assert all(count == TOTAL for count in done.values()), done
        assert all(d.tags and d.embedding is not None for d in lib.backend.iter_documents())
        assert lib.index().analysed == 0
