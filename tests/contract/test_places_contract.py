"""Contract: places (reverse-geocoded from GPS with the real GeoNames data) are stored and given
back by every backend, and place:, country:, near:, within: and plain place words select and rank
the same photos everywhere."""
from __future__ import annotations

import dataclasses

import pytest

from photo_corpus import names_found, stored_by_name
from photoapp.core.places.geocoder import shared_geocoder
from photoapp.core.query import parse_query
from photoapp.core.records import PhotoDocument, Tag

# Real positions (the first two are the EXIF of sample photos; the rest landmarks).
AREZZO = (43.4674483, 11.8851267)
FLORENCE = (43.7855944, 11.2346194)
LOUVRE = (48.8606, 2.3376)
EIFFEL = (48.8584, 2.2945)
SYDNEY = (-33.8568, 151.2153)
FIJI_WEST = (-17.75, 179.99)  # just west of the 180th meridian
FIJI_EAST = (-16.8, -179.95)  # just east of it


def _doc(n: int, name: str, gps=None, tags=()) -> PhotoDocument:
    place = shared_geocoder().lookup(*gps) if gps else None
    return PhotoDocument(id=f"{n:040x}", paths=[f"/photos/trip/{name}"], format="JPEG", gps=gps, place=place,
                         tags=list(tags))


def _library() -> list[PhotoDocument]:
    docs = [
        _doc(1, "dscn0010.jpg", AREZZO),
        _doc(2, "duomo.jpg", FLORENCE, [Tag("church", 0.8)]),
        _doc(3, "louvre.jpg", LOUVRE, [Tag("dog", 0.9)]),
        _doc(4, "tower.jpg", EIFFEL),
        _doc(5, "opera.jpg", SYDNEY),
        _doc(6, "paris_souvenir.jpg"),  # named after Paris, no GPS: a name, not a place
        _doc(7, "nowhere.jpg"),  # no GPS at all
        _doc(8, "fiji_w.jpg", FIJI_WEST),
        _doc(9, "fiji_e.jpg", FIJI_EAST),
        _doc(10, "dog_home.jpg", None, [Tag("dog", 0.95)]),
    ]
    return docs


@pytest.fixture
def library(backend):
    return stored_by_name(backend, _library())


def test_place_round_trip(backend, library):
    stored = backend.get(library["dscn0010.jpg"].id)
    assert stored.place == library["dscn0010.jpg"].place
    assert (stored.place.city, stored.place.region, stored.place.country, stored.place.country_code) == \
        ("Arezzo", "Tuscany", "Italy", "IT")
    assert backend.get(library["nowhere.jpg"].id).place is None
    # Backfilled by update_fields (the places stage on an old library), purged by clear_fields.
    backend.update_fields(library["nowhere.jpg"].id, {"place": library["opera.jpg"].place})
    backend.flush()
    assert backend.get(library["nowhere.jpg"].id).place.city == "Sydney"
    assert "nowhere.jpg" in names_found(backend, "place:sydney")
    backend.clear_fields(["place"])
    backend.flush()
    assert backend.get(library["dscn0010.jpg"].id).place is None
    assert names_found(backend, "place:arezzo") == []


def test_place_and_country_filters(backend, library):
    assert names_found(backend, "place:arezzo") == ["dscn0010.jpg"]
    assert sorted(names_found(backend, "place:tuscany")) == ["dscn0010.jpg", "duomo.jpg"]
    assert sorted(names_found(backend, "country:italy")) == ["dscn0010.jpg", "duomo.jpg"]
    assert sorted(names_found(backend, "country:IT")) == ["dscn0010.jpg", "duomo.jpg"]
    assert sorted(names_found(backend, "country:france")) == ["louvre.jpg", "tower.jpg"]
    assert names_found(backend, 'place:"new south wales"') == ["opera.jpg"]
    assert names_found(backend, "country:atlantis") == []
    assert names_found(backend, "church place:florence") == ["duomo.jpg"]


def test_plain_place_words_match_and_rank_above_a_file_name(backend, library):
    # Taken in Paris (place 0.30) ranks above merely named after it (file name 0.25).
    assert names_found(backend, "paris") == ["louvre.jpg", "tower.jpg", "paris_souvenir.jpg"] or \
        names_found(backend, "paris") == ["tower.jpg", "louvre.jpg", "paris_souvenir.jpg"]
    hits = backend.search(parse_query("paris"), limit=10)
    assert [round(h.score, 2) for h in hits] == [0.3, 0.3, 0.25]
    assert ("place", "Paris, Île-de-France, France", 1.0) in hits[0].explanation
    # A confident tag outranks a place: "dog" photos, the one in Paris first only by its tag.
    assert names_found(backend, "dog")[:2] == ["dog_home.jpg", "louvre.jpg"]
    assert names_found(backend, "dog paris") == ["louvre.jpg"]


def test_near(backend, library):
    # The Louvre and the Eiffel Tower are 3.17 km apart.
    assert names_found(backend, "near:48.8606,2.3376,1km") == ["louvre.jpg"]
    assert sorted(names_found(backend, "near:48.8606,2.3376,4km")) == ["louvre.jpg", "tower.jpg"]
    assert sorted(names_found(backend, "near:48.8606,2.3376,3500m")) == ["louvre.jpg", "tower.jpg"]
    assert names_found(backend, "near:48.8606,2.3376,1mi") == ["louvre.jpg"]  # 1.6 km
    # Florence-Arezzo is about 60 km; photos without GPS never match.
    assert sorted(names_found(backend, "near:43.7856,11.2346,70km")) == ["dscn0010.jpg", "duomo.jpg"]
    assert names_found(backend, "near:43.7856,11.2346,50km") == ["duomo.jpg"]
    # Across the 180th meridian: the two Fiji photos are ~110 km apart.
    assert sorted(names_found(backend, "near:-17.2,-179.99,150km")) == ["fiji_e.jpg", "fiji_w.jpg"]
    assert names_found(backend, "near:0,0,10km") == []


def test_within_box(backend, library):
    assert sorted(names_found(backend, "within:48.8,2.2,48.9,2.4")) == ["louvre.jpg", "tower.jpg"]
    assert names_found(backend, "within:48.8,2.3,48.9,2.4") == ["louvre.jpg"]
    assert sorted(names_found(backend, "within:-18,179,-16,-179")) == ["fiji_e.jpg", "fiji_w.jpg"]  # crosses 180
    assert names_found(backend, "within:43,11,44,12 church") == ["duomo.jpg"]


def test_place_survives_a_rename(backend, library):
    doc = library["dscn0010.jpg"]
    backend.set_paths(doc.id, ["/photos/renamed/x.jpg"])
    backend.flush()
    assert names_found(backend, "arezzo") == ["x.jpg"]
    backend.upsert([dataclasses.replace(doc, paths=["/photos/renamed/y.jpg"])])
    backend.flush()
    assert names_found(backend, "place:arezzo") == ["y.jpg"]


def test_map_and_places_reads(backend, library):
    from photoapp.core.places.index_reads import place_counts, positions, without_location

    pos = positions(backend)
    assert sorted(pos.ids) == sorted(d.id for d in library.values() if d.gps)
    i = pos.ids.index(library["opera.jpg"].id)
    assert (pos.lat[i], pos.lon[i]) == pytest.approx(SYDNEY, abs=1e-6)
    assert without_location(backend) == 3
    counts = place_counts(backend)
    assert counts[0].place == "Paris, Île-de-France, France" and counts[0].count == 2
    assert (counts[0].city, counts[0].region, counts[0].country) == ("Paris", "Île-de-France", "France")
    assert sum(c.count for c in counts) == 5  # the two Fiji positions are open sea: no place
