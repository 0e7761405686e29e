"""Contract: the people mirror (person ids and names per photo, written by core/people) is stored,
given back, filtered on by ``person:`` queries combined with everything else, listed per person,
renamed through update_fields and purged by clear_fields, the same on every backend."""
from __future__ import annotations

import dataclasses

from photo_corpus import corpus
from photoapp.core.query import parse_query
from photoapp.core.query.listing import Person
from photoapp.core.records import PersonRef

ANNA, BOB, STRANGER = PersonRef(1, "Anna"), PersonRef(2, "Bob Smith"), PersonRef(3, None)


def _library(backend):
    docs = corpus()
    docs["dog_high"] = dataclasses.replace(docs["dog_high"], people=[ANNA, BOB])  # 2019, dog
    backend.upsert(docs.values())
    backend.update_fields(docs["cat"].id, {"people": [ANNA]})  # 2020, cat: the mirror is backfilled
    backend.update_fields(docs["pizza"].id, {"people": [STRANGER]})
    backend.flush()
    return docs


def _ids(backend, text, names=("anna", "bob smith")):
    return {h.id for h in backend.search(parse_query(text, people=set(names)), limit=50)}


def test_people_round_trip(backend):
    docs = _library(backend)
    assert backend.get(docs["dog_high"].id).people == [ANNA, BOB]
    assert backend.get(docs["pizza"].id).people == [STRANGER]
    assert backend.get(docs["sign"].id).people == []
    by_id = {d.id: d for d in backend.iter_documents()}
    assert by_id[docs["cat"].id].people == [ANNA]


def test_person_queries_combine_with_everything_else(backend):
    docs = _library(backend)
    dog, cat = docs["dog_high"].id, docs["cat"].id
    assert _ids(backend, "person:anna") == {dog, cat}
    assert _ids(backend, "person:ANNA") == {dog, cat}  # names compare casefolded
    assert _ids(backend, "anna") == {dog, cat}  # a plain word that is a person's name
    assert _ids(backend, "person:anna person:\"bob smith\"") == {dog}
    assert _ids(backend, "anna bob smith") == {dog}
    assert _ids(backend, "person:anna dog") == {dog}
    assert _ids(backend, "person:anna after:2020") == {cat}
    assert _ids(backend, "person:anna -dog") == {cat}
    assert _ids(backend, "person:nobody") == set()
    assert _ids(backend, "person:anna", names=()) == {dog, cat}  # person: needs no name list


def test_person_listing_rename_and_purge(backend):
    docs = _library(backend)
    dog, cat, pizza = docs["dog_high"].id, docs["cat"].id, docs["pizza"].id
    assert {h.id for h in backend.list_photos(Person(1))} == {dog, cat}
    assert [h.id for h in backend.list_photos(Person(3))] == [pizza]  # unnamed people list too
    assert backend.list_photos(Person(99)) == []
    renamed = PersonRef(1, "Annie")
    backend.update_fields(dog, {"people": [renamed, BOB]})
    backend.update_fields(cat, {"people": [renamed]})
    backend.flush()
    assert _ids(backend, "person:anna") == set()
    assert _ids(backend, "person:annie") == {dog, cat}
    backend.clear_fields(["people"])
    backend.flush()
    assert _ids(backend, "person:annie") == set()
    assert backend.list_photos(Person(1)) == []
    assert backend.get(dog).people == []
