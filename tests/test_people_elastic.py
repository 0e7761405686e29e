"""People with the Elasticsearch backend (a real server speaking its API, started by the es_url
fixture): grouping mirrors person ids and names into the cluster, person: queries and a person's
listing run there, names follow a rename; and an embedded library exported to a cluster carries
its people."""
from __future__ import annotations

from es_server import drop_indices, es_settings, es_url  # noqa: F401  (fixtures)
from people_support import LEFT, RIGHT, Lib, face
from photoapp.core.export import export_library
from photoapp.core.index import open_backend
from photoapp.core.query import parse_query
from photoapp.core.query.listing import Person


def _search(backend, text, names):
    return {h.id for h in backend.search(parse_query(text, people=names), limit=50)}


def test_people_on_elasticsearch_and_exported_to_it(es_settings, tmp_path):
    es = open_backend(es_settings)
    lib = Lib(tmp_path / "es-lib", index=es)
    try:
        a1 = lib.add("a1", [face("anna", seed=1)])
        a2 = lib.add("a2", [face("anna", LEFT, seed=2), face("bob", RIGHT, seed=3)])
        lib.index.flush()
        lib.people.refresh()
        anna = next(p for p in lib.people.list() if p.size == 2)
        lib.people.name(anna.id, "Anna")
        assert _search(es, "anna", {"anna"}) == {a1, a2}
        assert {h.id for h in es.list_photos(Person(anna.id))} == {a1, a2}
        assert [(r.id, r.name) for r in es.get(a1).people] == [(anna.id, "Anna")]
        lib.people.name(anna.id, "Annie")
        assert _search(es, "person:anna", set()) == set()
        assert _search(es, "person:annie a2", {"annie"}) == {a2}
    finally:
        lib.close()
        drop_indices(es_settings)

    # An embedded library with named people, exported: the cluster answers person: at once.
    local = Lib(tmp_path / "local")
    try:
        b1 = local.add("b1", [face("bob", seed=4)])
        local.people.refresh()
        (bob,) = local.people.list()
        local.people.name(bob.id, "Bob")
        target = open_backend(es_settings)
        try:
            assert export_library(local.index, target) == 1
            assert _search(target, "bob", {"bob"}) == {b1}
            assert [r.name for r in target.get(b1).people] == ["Bob"]
        finally:
            target.close()
            drop_indices(es_settings)
    finally:
        local.close()
