"""Places: the reverse geocoder on real GeoNames data, the near:/within: grammar, and the places
analyzer end to end (JPEGs with GPS EXIF made here -> index -> search, CLI, map reads)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from photo_factory import exif_bytes, gradient, save
from photoapp.core.errors import QueryError
from photoapp.core.places.geo import GeoBox, Near, distance_km, parse_near
from photoapp.core.places.geocoder import shared_geocoder
from photoapp.core.places.index_reads import place_counts, positions, without_location
from photoapp.core.query import parse_query

# (lat, lon) read from the EXIF of ../shared/datasets/exif-samples photos, each checked by hand
# on a map (photoapp/bench/results/places.md); the test keeps the numbers, not the files.
SAMPLES = [
    ((43.4674483, 11.8851267), "Arezzo", "Tuscany", "IT"),  # gps/DSCN0010.jpg: old town of Arezzo
    ((43.464455, 11.8814783), "Arezzo", "Tuscany", "IT"),  # gps/DSCN0042.jpg
    ((43.7855944, 11.2346194), "Florence", "Tuscany", "IT"),  # tests/87_OSError.jpg: north Florence
    ((51.025, 7.5919444), "Gummersbach", "North Rhine-Westphalia", "DE"),  # tests/67-0_length_string.jpg
    ((-0.3713, 36.0564167), "Nakuru", "Nakuru County", "KE"),  # Kodak_CX7530.jpg: near Nakuru, Kenya
    ((60.1467056, 24.9067722), "Helsinki", "Uusimaa", "FI"),  # mobile/HMD_Nokia_8.3_5G.jpg: west harbour
    ((40.4469722, -3.7247528), "Madrid", "Madrid", "ES"),  # hdr/iphone_hdr_YES.jpg: Ciudad Universitaria
]


@pytest.mark.parametrize("gps,city,region,code", SAMPLES)
def test_geocoder_names_the_sample_photos(gps, city, region, code):
    place = shared_geocoder().lookup(*gps)
    assert (place.city, place.region, place.country_code) == (city, region, code)


def test_geocoder_invents_nothing_far_from_places_or_for_bad_input():
    geo = shared_geocoder()
    assert geo.lookup(30.0, -40.0) is None  # mid-Atlantic
    assert geo.lookup(-85.0, 0.0) is None  # Antarctic plateau
    assert geo.lookup_many([(float("nan"), 1.0), (91.0, 0.0), (48.8606, 2.3376)])[:2] == [None, None]
    assert geo.lookup(48.8606, 2.3376).label == "Paris, Île-de-France, France"
    assert geo.lookup(40.7347, -74.1644).city == "Newark"  # never across a region line to New York


def test_near_grammar_and_errors():
    assert parse_near("48.85,2.35,5km") == Near(48.85, 2.35, 5.0)
    assert parse_near("48.85, 2.35, 800m").km == pytest.approx(0.8)
    assert parse_near("-33.8,151.2").km == 5.0
    assert parse_query("near:1,2,1mi").near.km == pytest.approx(1.609344)
    for bad, says in [("near:48.85", "latitude,longitude"), ("near:95,2", "between -90 and 90"),
                      ("near:1,200", "between -180 and 180"), ("near:1,2,far", "not a distance"),
                      ("near:1,2,0km", "more than 0"), ("near:x,2", "not a number"),
                      ("near:1,2 near:3,4", "only one"), ("-near:1,2", "no '-'"),
                      ("within:1,2,3", "south,west,north,east"), ("within:5,0,1,1", "south first")]:
        with pytest.raises(QueryError, match=says) as e:
            parse_query(bad)
        assert "\n" not in str(e.value)


def test_near_box_holds_the_circle():
    rng = __import__("numpy").random.default_rng(0)
    for lat, lon, km in [(48.85, 2.35, 5), (-17.2, -179.99, 150), (89.5, 10, 100), (0, 179.9, 30)]:
        box = Near(lat, lon, km).box()
        for _ in range(500):  # points on the circle's rim are inside the box
            bearing = rng.uniform(0, 6.283)
            d = km / 6371.0088
            import math
            la1, lo1 = math.radians(lat), math.radians(lon)
            la2 = math.asin(math.sin(la1) * math.cos(d) + math.cos(la1) * math.sin(d) * math.cos(bearing))
            lo2 = lo1 + math.atan2(math.sin(bearing) * math.sin(d) * math.cos(la1),
                                   math.cos(d) - math.sin(la1) * math.sin(la2))
            p = (math.degrees(la2), (math.degrees(lo2) + 180) % 360 - 180)
            assert distance_km(lat, lon, *p) == pytest.approx(km, rel=1e-6)
            assert box.contains(*p), (lat, lon, km, p, box)
    assert GeoBox(-18, 179, -16, -179).contains(-17, -179.5)
    assert not GeoBox(-18, 179, -16, -179).contains(-17, 0)


@pytest.fixture(scope="module")
def gps_library(tmp_path_factory, model_bundle):
    """One indexed library for the module (indexing with the real models takes seconds)."""
    from photoapp.core.library import Library
    from photoapp.core.settings import Settings

    root = tmp_path_factory.mktemp("places")
    folder = root / "trip"
    for name, gps in [("a.jpg", (43.4674483, 11.8851267)), ("b.jpg", (43.7855944, 11.2346194)),
                      ("c.jpg", (48.8606, 2.3376))]:
        save(gradient(96, 64, seed=len(name) + ord(name[0])), folder / name, "JPEG", exif=exif_bytes(gps=gps))
    save(gradient(96, 64, seed=9), folder / "no_gps.jpg", "JPEG")
    lib = Library.open(Settings(data_dir=root / "data"), bundle=model_bundle)
    lib.add_folder(folder)
    lib.index()
    lib.data_dir = root / "data"
    yield lib, folder
    lib.close()


def test_places_analyzer_end_to_end(gps_library):
    lib, folder = gps_library
    assert lib.info(str(folder / "a.jpg")).place.label == "Arezzo, Tuscany, Italy"
    assert lib.info(str(folder / "no_gps.jpg")).place is None
    names = lambda q: sorted(h.path.rsplit("/", 1)[1] for h in lib.backend.search(parse_query(q)))  # noqa: E731
    assert names("place:tuscany") == ["a.jpg", "b.jpg"]
    assert names("country:fr") == ["c.jpg"]
    assert names("paris") == ["c.jpg"]
    assert names("near:43.47,11.88,2km") == ["a.jpg"]
    pos = positions(lib.backend)
    assert len(pos) == 3 and without_location(lib.backend) == 1
    counts = {p.place: p.count for p in place_counts(lib.backend)}
    assert counts == {"Arezzo, Tuscany, Italy": 1, "Florence, Tuscany, Italy": 1, "Paris, Île-de-France, France": 1}


def test_places_cli_json(gps_library):
    lib, folder = gps_library
    data_dir = lib.data_dir
    out = subprocess.run([sys.executable, "-m", "photoapp.cli.main", "--data-dir", str(data_dir), "places", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {(r["place"], r["count"]) for r in rows} == {
        ("Arezzo, Tuscany, Italy", 1), ("Florence, Tuscany, Italy", 1), ("Paris, Île-de-France, France", 1)}
    info = subprocess.run([sys.executable, "-m", "photoapp.cli.main", "--data-dir", str(data_dir), "info",
                           str(folder / "b.jpg"), "--json"], capture_output=True, text=True, timeout=120)
    shown = json.loads(info.stdout)
    shown = shown[0] if isinstance(shown, list) else shown
    assert shown["place"]["label"] == "Florence, Tuscany, Italy", info.stderr
    bad = subprocess.run([sys.executable, "-m", "photoapp.cli.main", "--data-dir", str(data_dir), "search",
                          "near:91,2"], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "between -90 and 90" in bad.stderr and "Traceback" not in bad.stderr


def test_a_places_backfill_reads_no_photo(gps_library, monkeypatch):
    """Places reads the stored GPS: an old library backfilling places alone decodes nothing
    (it used to decode every photo again)."""
    import photoapp.core.pipeline as pipeline
    from library_support import count_decodes

    lib, folder = gps_library
    lib.catalog.forget_analyzer("places")  # as after a new place-data release
    decoded = count_decodes(monkeypatch)
    monkeypatch.setattr(pipeline, "read_file", lambda path: pytest.fail(f"read {path}"))
    report = lib.backfill()
    assert report.analysed == 4 and decoded == []
    assert lib.info(str(folder / "b.jpg")).place.label == "Florence, Tuscany, Italy"
    assert lib.info(str(folder / "no_gps.jpg")).place is None
