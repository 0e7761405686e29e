"""Analysis in stages, end to end with the real models and the real embedded index: quick
indexing then backfill, analyzer versions in the catalog, model changes, turning an analyzer
off, progress in status and search, and the colour analyzer."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from library_support import MODELS_DIR, SAMPLE_PHOTOS, CountingBundle
from es_server import es_settings, es_url  # noqa: F401  (fixtures)
from photoapp.core.library import Library
from photoapp.core.settings import Settings


@pytest.fixture
def photos(tmp_path) -> Path:
    """Real photos (people, a motorcycle, a rocket...) so the detector finds objects."""
    if not SAMPLE_PHOTOS.is_dir():
        pytest.skip("tests/data/photos is missing")
    d = tmp_path / "photos"
    d.mkdir()
    for p in sorted(SAMPLE_PHOTOS.glob("*.jpg")):
        shutil.copy(p, d / p.name)
    return d


def by_id(lib) -> dict:
    return {d.id: d for d in lib.backend.iter_documents()}


# The analyzers these tests are about; later ones (faces, text, places) have their own tests and
# run here too, so comparisons look at these three only.
COVERED = ("tags", "colors", "objects")


def covered(progress: dict) -> dict:
    return {name: value for name, value in progress.items() if name in COVERED}


def stages(lib) -> dict[str, tuple[int, int]]:
    return covered({s.name: (s.done, s.total) for s in lib.status().stages})


def detector_tags(doc) -> set[str]:
    return {t.label for t in doc.tags if t.source == "detector"}


def test_quick_index_runs_stage_1_then_full_index_backfills_objects(library, counting_bundle,
                                                                    photos):
    n = len(list(photos.glob("*.jpg")))
    library.add_folder(photos)
    report = library.index(quick=True)
    assert report.indexed == n and report.analysed == 0
    assert counting_bundle.tagger.calls > 0 and counting_bundle.detector.calls == 0
    docs = by_id(library)
    assert all(d.tags and d.embedding is not None and d.colors for d in docs.values())
    assert not any(d.objects or detector_tags(d) for d in docs.values())
    assert stages(library) == {"tags": (n, n), "colors": (n, n), "objects": (0, n)}
    assert library.status().summary.startswith(f"{n} photos · objects 0%")
    hits = library.search("person")  # plain words also read text in photos, a later stage too
    assert "objects: 0% of photos analysed so far" in hits.notes
    assert library.search("after:2000").notes == []  # reads no analyzer's fields

    tagger_calls = counting_bundle.tagger.calls
    report = library.index()
    assert (report.indexed, report.unchanged, report.analysed) == (0, n, n)
    assert counting_bundle.tagger.calls == tagger_calls  # stage 1 is not redone
    assert counting_bundle.detector.calls > 0
    assert stages(library)["objects"] == (n, n)
    assert library.status().summary == f"{n} photos"
    assert library.search("person").notes == []
    astronaut = library.info(photos / "astronaut.jpg")
    assert "person" in {o.label for o in astronaut.objects}
    assert "person" in detector_tags(astronaut)  # detector labels became tags too

    detector_calls = counting_bundle.detector.calls
    assert library.index().analysed == 0 and counting_bundle.detector.calls == detector_calls


def test_quick_plus_backfill_gives_the_same_documents_as_one_full_run(settings, model_bundle,
                                                                     photos, tmp_path):
    full_settings = Settings(data_dir=tmp_path / "full", models_dir=MODELS_DIR,
                             decode_workers=2, batch_size=4)
    with Library.open(full_settings, bundle=model_bundle) as full, \
            Library.open(settings, bundle=model_bundle) as staged:
        for lib in (full, staged):
            lib.add_folder(photos)
        full.index()
        staged.index(quick=True)
        staged.index()
        a, b = by_id(full), by_id(staged)
        assert a.keys() == b.keys()
        for h in a:
            assert [o.label for o in a[h].objects] == [o.label for o in b[h].objects]
            assert [(t.label, t.source) for t in a[h].tags] == [(t.label, t.source) for t in b[h].tags]
            assert [t.confidence for t in a[h].tags] == pytest.approx([t.confidence for t in b[h].tags], abs=1e-4)
            assert a[h].colors == b[h].colors


def models_with_detector_version(tmp_path: Path, release: str) -> Path:
    """A models folder like the shipped one whose detector manifest has another version
    (same ONNX file, linked, not copied)."""
    out = tmp_path / "models"
    out.mkdir()
    layout = json.loads((MODELS_DIR / "bundle.json").read_text())
    for entry in MODELS_DIR.iterdir():
        if entry.name != layout["detector"]:
            (out / entry.name).symlink_to(entry)
    det = out / layout["detector"]
    det.mkdir()
    for f in (MODELS_DIR / layout["detector"]).iterdir():
        if f.name != "manifest.json":
            (det / f.name).symlink_to(f)
    manifest = json.loads((MODELS_DIR / layout["detector"] / "manifest.json").read_text())
    manifest["version"] = release
    (det / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_a_new_detector_version_reruns_only_the_detector(library, counting_bundle, settings,
                                                         photos, tmp_path):
    from photoapp.core.models import build_bundle

    library.add_folder(photos)
    library.index()
    before = by_id(library)
    library.close()

    models = models_with_detector_version(tmp_path, "2-test")
    new_bundle = CountingBundle(build_bundle(models))
    settings.models_dir = models
    with Library.open(settings, bundle=new_bundle) as lib:
        assert stages(lib)["objects"] == (0, len(before))  # the change is noticed
        report = lib.index()
        assert report.analysed == len(before) and report.indexed == 0
        assert new_bundle.detector.calls > 0
        assert new_bundle.tagger.calls == 0  # the tagger did not change: not re-run
        after = by_id(lib)
        for h, doc in before.items():
            assert after[h].embedding.tolist() == doc.embedding.tolist()
            assert [o.label for o in after[h].objects] == [o.label for o in doc.objects]
        assert lib.index().analysed == 0


def test_turning_objects_off_purges_them_and_on_again_reruns(library, counting_bundle, settings,
                                                            photos):
    library.add_folder(photos)
    library.index()
    assert any(d.objects for d in by_id(library).values())

    library.set_analyzer_enabled("objects", False)
    docs = by_id(library)
    assert not any(d.objects or detector_tags(d) for d in docs.values())
    assert all(d.tags and d.embedding is not None for d in docs.values())  # the rest stays
    assert "objects" not in stages(library)
    assert not library.catalog.has_analyses_of("objects")
    assert Settings.load(settings.data_dir).analyzers == {"objects": False}  # saved
    calls = counting_bundle.detector.calls
    assert library.index().analysed == 0 and counting_bundle.detector.calls == calls

    with pytest.raises(Exception, match="cannot be turned off"):
        library.set_analyzer_enabled("tags", False)

    library.set_analyzer_enabled("objects", True)
    assert library.index().analysed == len(docs)
    assert counting_bundle.detector.calls > calls
    assert "person" in detector_tags(library.info(photos / "astronaut.jpg"))


def test_a_setting_edited_by_hand_purges_at_the_next_index(settings, counting_bundle, photos):
    with Library.open(settings, bundle=counting_bundle) as lib:
        lib.add_folder(photos)
        lib.index()
    settings.analyzers = {"colors": False}
    settings.save()
    with Library.open(Settings.load(settings.data_dir, models_dir=MODELS_DIR),
                      bundle=counting_bundle) as lib:
        assert lib.catalog.has_analyses_of("colors")
        lib.index()
        assert not lib.catalog.has_analyses_of("colors")
        assert not any(d.colors for d in by_id(lib).values())
        assert any(d.objects for d in by_id(lib).values())


def test_backfill_yields_to_stage_1_work(library, counting_bundle, photos):
    library.add_folder(photos)
    library.index(quick=True)
    report = library.backfill(should_yield=lambda: True)
    assert report.yielded and report.analysed == 0 and report.remaining > 0
    assert library.backfill().analysed == report.remaining


def test_colour_analyzer_names_the_palette():
    from photoapp.core.analyzers.colors import dominant_colors

    assert dominant_colors(Image.new("RGB", (200, 100), (220, 30, 30))) == [("red", 1.0)]
    half = Image.new("RGB", (200, 100), (255, 255, 255))
    half.paste(Image.new("RGB", (100, 100), (30, 80, 200)), (0, 0))
    assert dict(dominant_colors(half)) == {"blue": 0.5, "white": 0.5}
    speck = Image.new("RGB", (100, 100), (40, 160, 60))
    speck.paste(Image.new("RGB", (20, 20), (240, 200, 20)), (0, 0))  # 4%: too small to count
    [(name, share)] = dominant_colors(speck)  # shares stay shares of the whole picture
    assert name == "green" and share == pytest.approx(0.96, abs=0.01)
    assert dominant_colors(Image.new("RGB", (50, 50), (120, 80, 40)))[0][0] == "brown"
    assert dominant_colors(Image.new("RGB", (50, 50), (10, 10, 12)))[0][0] == "black"
    assert dominant_colors(Image.new("RGB", (50, 50), (128, 128, 128)))[0][0] == "gray"


def test_indexed_photos_carry_their_colours(library, tmp_path):
    d = tmp_path / "flat"
    d.mkdir()
    Image.new("RGB", (320, 240), (30, 80, 200)).save(d / "blue.jpg", quality=95)
    Image.new("RGB", (320, 240), (240, 200, 20)).save(d / "yellow.jpg", quality=95)
    library.add_folder(d)
    library.index(quick=True)
    assert library.info(d / "blue.jpg").colors[0][0] == "blue"
    assert library.info(d / "yellow.jpg").colors[0][0] == "yellow"


def test_cli_quick_index_status_and_search_note(photos, data_dir, monkeypatch):
    from test_cli import run_cli

    monkeypatch.setenv("PHOTOAPP_MODELS_DIR", str(MODELS_DIR))
    n = len(list(photos.glob("*.jpg")))
    code, out, err = run_cli("--data-dir", str(data_dir), "index", "--quick", str(photos))
    assert code == 0, err
    assert "objects 0%" in out
    code, out, _ = run_cli("--data-dir", str(data_dir), "status")
    # Later stages in registry order (faces, then the others added since).
    assert out.splitlines()[0].startswith(f"{n} photos · objects 0% · faces 0%")
    code, out, err = run_cli("--data-dir", str(data_dir), "search", "person", "--json")
    assert "note: objects: 0% of photos analysed so far" in err
    assert all("objects: 0% of photos analysed so far" in h["notes"] for h in json.loads(out))
    code, out, err = run_cli("--data-dir", str(data_dir), "index", str(photos))
    assert code == 0 and f"{n} analysed further" in out
    code, out, _ = run_cli("--data-dir", str(data_dir), "status", "--json")
    status = json.loads(out)[0]
    assert status["summary"] == f"{n} photos"
    assert covered({s["name"]: s["done"] for s in status["stages"]}) == {"tags": n, "colors": n, "objects": n}


def test_the_watcher_gives_new_photos_stage_1_then_backfills_objects(library, counting_bundle,
                                                                     photos):
    from photoapp.core.watch import LibraryWatcher

    library.add_folder(photos)
    n = len(list(photos.glob("*.jpg")))
    w = LibraryWatcher(library, [str(photos)], quiet_s=0.3, tick_s=0.1).start()
    try:
        assert w.wait_idle(timeout=120, backfill=True)
    finally:
        w.stop()
    assert w.batches >= 1 and sum(r.analysed for r in w.backfill_reports) == n
    assert stages(library) == {"tags": (n, n), "colors": (n, n), "objects": (n, n)}
    assert "person" in detector_tags(library.info(photos / "astronaut.jpg"))


def make_legacy(settings, bundle, photos) -> int:
    """Index, then turn the catalog into what photoapp before analyses left behind: schema v2,
    no analyses table, documents naming the models as ``model_version``."""
    import sqlite3

    from photoapp.core.stages import legacy_model_version

    with Library.open(settings, bundle=bundle) as lib:
        lib.add_folder(photos)
        lib.index()
        n = lib.status().documents
    conn = sqlite3.connect(settings.data_dir / "catalog.sqlite3")
    with conn:
        conn.execute("DROP TABLE analyses")
        legacy = legacy_model_version(bundle) or "efficientnet-lite2-imagenet@1+ssd-mobilenet-v2-coco@1"
        conn.execute("UPDATE documents SET model_version = ?", (legacy,))
        conn.execute("PRAGMA user_version = 2")
    conn.close()
    return n


def test_a_library_from_before_analyses_keeps_its_models_work(settings, photos):
    """Documents whose models are still the ones running (fp32, the only precision before)
    count as analysed after the migration; only the new colour analyzer runs."""
    from photoapp.core.models import build_bundle

    fp32 = CountingBundle(build_bundle(MODELS_DIR, precision={"tagger": "fp32", "detector": "fp32"}))
    n = make_legacy(settings, fp32, photos)
    calls = fp32.calls
    with Library.open(settings, bundle=fp32) as lib:
        assert lib.catalog.schema_version == 3
        report = lib.index()
        assert report.analysed == n  # colours, from one decode each
        assert fp32.calls == calls  # no model ran again
        assert covered({s.name: s.done for s in lib.status().stages}) == {"tags": n, "colors": n, "objects": n}


def test_a_library_from_before_analyses_reruns_models_that_changed(settings, counting_bundle,
                                                                   photos):
    """With another model file running now (e.g. int8 instead of the old fp32), the old
    documents' tags and objects are redone, each photo decoded once for all three analyzers."""
    from photoapp.core.stages import legacy_model_version

    if legacy_model_version(counting_bundle) is not None:
        pytest.skip("the default bundle runs the legacy fp32 models")
    n = make_legacy(settings, counting_bundle, photos)
    with Library.open(settings, bundle=counting_bundle) as lib:
        tagger, detector = counting_bundle.tagger.calls, counting_bundle.detector.calls
        assert lib.index().analysed == n
        assert counting_bundle.tagger.calls > tagger and counting_bundle.detector.calls > detector
        assert covered({s.name: s.done for s in lib.status().stages}) == {"tags": n, "colors": n, "objects": n}


def test_a_backfill_decodes_each_photo_once_for_all_its_pending_analyzers(library, photos,
                                                                          monkeypatch):
    from library_support import count_decodes

    library.add_folder(photos)
    library.index(quick=True)
    n = library.status().documents
    library.catalog.forget_analyzer("colors")  # colours pending too, as after a palette change
    decoded = count_decodes(monkeypatch)
    report = library.backfill()
    assert report.analysed == n
    assert len(decoded) == n == len(set(decoded))  # one decode per photo for colours + objects
    assert covered({s.name: s.done for s in library.status().stages}) == {"tags": n, "colors": n, "objects": n}


def test_stages_on_elasticsearch(es_settings, counting_bundle, photos):
    """The same staging through the Elasticsearch backend (noida-db): quick, backfill through
    update_fields, purge through clear_fields."""
    es_settings.models_dir = MODELS_DIR
    with Library.open(es_settings, bundle=counting_bundle) as lib:
        lib.add_folder(photos)
        n = lib.index(quick=True).indexed
        assert stages(lib)["objects"] == (0, n)
        assert "objects: 0% of photos analysed so far" in lib.search("person").notes
        assert lib.index().analysed == n
        astronaut = lib.info(photos / "astronaut.jpg")
        assert "person" in {o.label for o in astronaut.objects} and astronaut.colors
        lib.set_analyzer_enabled("objects", False)
        assert not lib.info(photos / "astronaut.jpg").objects
        assert "person" not in detector_tags(lib.info(photos / "astronaut.jpg"))
