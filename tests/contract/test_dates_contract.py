"""Contract: dates on every backend — month counts, year:/month:/on:, the date's source."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from photoapp.core.query import parse_query
from photoapp.core.records import PhotoDocument
from photoapp.core.timeline import on_this_day

PLUS_TWO = timezone(timedelta(hours=2))
# id letter -> (wall-clock taken_at, source); "u" is undated (a document written before dates
# had sources, or a file system without times).
DATED = {
    "a": (datetime(2019, 3, 14, 23, 59, 59), "exif"),
    "b": (datetime(2019, 3, 1, 0, 0, 0), "filename"),
    "c": (datetime(2020, 3, 14, 0, 0, 0, tzinfo=PLUS_TWO), "exif+offset"),  # 13 March 22:00 UTC
    "d": (datetime(2020, 12, 31, 23, 30), "filetime"),
    "e": (datetime(2021, 1, 1, 0, 30), "exif"),
    "f": (datetime(2021, 3, 15, 0, 0, 0), "exif"),
    "u": (None, None),
}


def _load(backend):
    docs = [PhotoDocument(id=k * 40, paths=[f"/p/{k}.jpg"], format="JPEG", taken_at=when, taken_at_source=src)
            for k, (when, src) in DATED.items()]
    backend.upsert(docs)
    backend.flush()


def _ids(backend, text):
    return {h.id[0] for h in backend.search(parse_query(text), limit=100)}


def test_date_counts_are_wall_clock_months(backend):
    _load(backend)
    # "c" counts in March 2020 where its camera was (its UTC moment is 13 March, still March;
    # "d" at 23:30 on New Year's Eve stays in December whatever the zone of the server).
    assert backend.date_counts() == [(2019, 3, 2), (2020, 3, 1), (2020, 12, 1), (2021, 1, 1), (2021, 3, 1)]


def test_empty_index_has_no_months(backend):
    assert backend.date_counts() == []


FILTERS = [
    ("year:2020", {"c", "d"}),
    ("year:2021", {"e", "f"}),
    ("month:march", {"a", "b", "c", "f"}),
    ("month:3", {"a", "b", "c", "f"}),
    ("month:dec month:jan", {"d", "e"}),
    ("month:2019-03", {"a", "b"}),
    ("on:2019-03-14", {"a"}),
    ("on:2020-03-14", {"c"}),
    ("on:2020-12-31", {"d"}),
    ("year:2021 month:march", {"f"}),
    ("month:march before:2020", {"a", "b"}),
    ("year:2019 on:2019-03-01", {"b"}),
    ("month:february", set()),
]


def test_year_month_on_filters(backend):
    _load(backend)  # once: every case reads the same documents
    for text, expected in FILTERS:
        assert _ids(backend, text) == expected, text


def test_month_filter_keeps_newest_first(backend):
    _load(backend)
    assert [h.id[0] for h in backend.search(parse_query("month:march"), limit=10)] == ["f", "c", "a", "b"]


def test_the_source_of_the_date_round_trips(backend):
    _load(backend)
    for k, (when, source) in DATED.items():
        doc = backend.get(k * 40)
        assert doc.taken_at_source == source
        assert doc.taken_at == when
    backend.update_fields("a" * 40, {"taken_at_source": "filename"})
    backend.flush()
    assert backend.get("a" * 40).taken_at_source == "filename"


def test_on_this_day_uses_the_month_counts(backend):
    _load(backend)
    groups = on_this_day(backend, date(2022, 3, 14))
    assert [(g.year, g.years_ago, [h.id[0] for h in g.hits]) for g in groups] == [(2020, 2, ["c"]), (2019, 3, ["a"])]
    assert on_this_day(backend, date(2021, 3, 14)) == on_this_day(backend, date(2021, 3, 14))
    assert [g.year for g in on_this_day(backend, date(2021, 3, 14))] == [2020, 2019]  # not this year's


def test_date_counts_follow_every_change(backend):
    _load(backend)
    moved = PhotoDocument(id="a" * 40, paths=["/p/a.jpg"], format="JPEG", taken_at=datetime(2018, 1, 1, 12, 0),
                          taken_at_source="filename")
    backend.upsert([moved])  # re-dated
    backend.delete(["b" * 40])
    backend.set_paths("c" * 40, [])  # its last path gone: the document goes
    backend.upsert([PhotoDocument(id="u" * 40, paths=["/p/u.jpg"], taken_at=datetime(2021, 3, 1))])  # now dated
    backend.flush()
    assert backend.date_counts() == [(2018, 1, 1), (2020, 12, 1), (2021, 1, 1), (2021, 3, 2)]
