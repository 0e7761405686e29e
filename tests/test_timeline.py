"""The timeline end to end: a real library of generated JPEGs dated by EXIF, file names and file
times, indexed with the real models, read through the CLI and through both backends."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from dated_photos import EXPECTED, MONTHS, make_dated_photos
from es_server import es_url, make_es_settings, drop_indices  # noqa: F401 (es_url is a fixture)
from library_support import MODELS_DIR, run_cli
from photoapp.core.query import parse_query
from photoapp.core.timeline import Timeline, MonthCount, on_this_day, timeline


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    root = tmp_path_factory.mktemp("timeline")
    photos = make_dated_photos(root / "photos")
    data = root / "data"
    code, _, err = run_cli("--data-dir", str(data), "index", str(photos))
    assert code == 0, err
    return {"photos": photos, "data": data}


def cli(dated, *args):
    return run_cli("--data-dir", str(dated["data"]), *args)


def test_each_photo_says_where_its_date_came_from(dated):
    for name, (when, source) in EXPECTED.items():
        code, out, err = cli(dated, "info", str(dated["photos"] / name), "--json")
        assert code == 0, err
        doc = json.loads(out)[0]
        taken = datetime.fromisoformat(doc["taken_at"])
        assert (taken.replace(tzinfo=None), doc["taken_at_source"]) == (when, source), name
    code, out, _ = cli(dated, "info", str(dated["photos"] / "exif_offset.jpg"), "--json")
    assert json.loads(out)[0]["taken_at"].endswith("+01:00")  # the camera's zone is kept
    code, out, _ = cli(dated, "info", str(dated["photos"] / "holiday.jpg"))
    assert "(from the file's modification time)" in out


def test_timeline_json_counts_months(dated):
    code, out, err = cli(dated, "timeline", "--json")
    assert code == 0, err
    assert [(r["year"], r["month"], r["count"]) for r in json.loads(out)] == MONTHS
    code, out, _ = cli(dated, "timeline", "--json", "--years")
    assert json.loads(out) == [{"year": 2017, "count": 1}, {"year": 2018, "count": 1}, {"year": 2019, "count": 1},
                               {"year": 2020, "count": 1}, {"year": 2021, "count": 2}]
    code, out, _ = cli(dated, "timeline")
    assert "2021  July" in out and out.count("\n") == len(MONTHS)


def test_on_this_day_groups_earlier_years(dated):
    code, out, err = cli(dated, "on-this-day", "--date", "2022-03-14", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["year"], r["years_ago"], r["path"].rsplit("/", 1)[-1]) for r in rows] == [
        (2021, 1, "exif_offset.jpg"), (2020, 2, "IMG_20200314_101112.jpg"), (2019, 3, "exif_plain.jpg"),
        (2018, 4, "holiday.jpg"), (2017, 5, "IMG-20170314-WA0001.jpg")]
    code, out, _ = cli(dated, "on-this-day", "--date", "2022-03-14")
    assert out.startswith("1 year ago (2021): 1 photo\n") and "5 years ago (2017)" in out
    code, out, _ = cli(dated, "on-this-day", "--date", "2022-01-01")
    assert code == 0 and "no photos from 01 January" in out
    code, _, err = cli(dated, "on-this-day", "--date", "2022-02-30")
    assert code == 1 and err.count("\n") == 1 and "is not a day" in err


@pytest.mark.parametrize("query,names", [
    ("year:2021", {"exif_offset.jpg", "PXL_20210705_090000123.jpg"}),
    ("month:march", {"exif_offset.jpg", "exif_plain.jpg", "IMG_20200314_101112.jpg", "holiday.jpg",
                     "IMG-20170314-WA0001.jpg"}),
    ("month:7", {"PXL_20210705_090000123.jpg"}),
    ("month:2021-03", {"exif_offset.jpg"}),
    ("on:2020-03-14", {"IMG_20200314_101112.jpg"}),
    ("year:2021 month:mar", {"exif_offset.jpg"}),
    ("month:july month:march after:2021", {"exif_offset.jpg", "PXL_20210705_090000123.jpg"}),
])
def test_date_filters_on_the_indexed_library(dated, query, names):
    code, out, err = cli(dated, "search", query, "--json", "--limit", "50")
    assert code == 0, err
    assert {r["path"].rsplit("/", 1)[-1] for r in json.loads(out)} == names


@pytest.mark.parametrize("query,message", [
    ("year:abc", "year:abc is not a year"),
    ("on:2021-02-30", "on:2021-02-30 is not a day: February 2021 has 28 days"),
    ("month:smarch", "month:smarch is not a month"),
    ("on:tomorrowish", "on:tomorrowish is not a day"),
])
def test_bad_dates_are_one_line_errors(dated, query, message):
    code, out, err = cli(dated, "search", query)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and message in err


def test_both_backends_give_the_same_timeline(dated, es_url, tmp_path):  # noqa: F811
    from photoapp.core.export import export_library
    from photoapp.core.index import open_backend
    from photoapp.core.settings import Settings

    embedded = open_backend(Settings(data_dir=dated["data"], models_dir=MODELS_DIR))
    es_settings = make_es_settings(es_url, tmp_path / "es")
    elastic = open_backend(es_settings)
    try:
        export_library(embedded, elastic)
        elastic.flush()
        assert timeline(elastic).months == timeline(embedded).months == [MonthCount(*m) for m in MONTHS]
        day = date(2023, 3, 14)
        groups = [[(g.year, g.years_ago, [h.id for h in g.hits]) for g in on_this_day(b, day)]
                  for b in (embedded, elastic)]
        assert groups[0] == groups[1] and [g[0] for g in groups[0]] == [2021, 2020, 2019, 2018, 2017]
        for text in ("month:march", "year:2021", "on:2017-03-14", "month:2021-07"):
            query = parse_query(text)
            assert {h.id for h in elastic.search(query, limit=50)} == {h.id for h in embedded.search(query, limit=50)}
        for doc in embedded.iter_documents():
            assert elastic.get(doc.id).taken_at_source == doc.taken_at_source is not None
    finally:
        embedded.close()
        elastic.close()
        drop_indices(es_settings)


def test_positions_in_the_newest_first_listing():
    tl = Timeline([MonthCount(2019, 3, 4), MonthCount(2020, 1, 2), MonthCount(2020, 8, 5), MonthCount(2021, 2, 1)])
    assert tl.position(2021, 2) == 0
    assert tl.position(2020, 8) == 1 and tl.position(2020) == 1
    assert tl.position(2020, 1) == 6 and tl.position(2020, 5) == 6  # an empty month: the next older photo
    assert tl.position(2019, 3) == 8 and tl.position(2018) == 12
    assert [tl.month_at(r).label for r in (0, 1, 5, 6, 8, 11)] == [
        "February 2021", "August 2020", "August 2020", "January 2020", "March 2019", "March 2019"]
    assert tl.month_at(12) is None
    assert [(y.year, y.count) for y in tl.years()] == [(2021, 1), (2020, 7), (2019, 4)]


def test_an_index_from_before_the_month_counts_gets_them(tmp_path):
    """Schema migration 8 fills photo_months from the photos already indexed."""
    import sqlite3

    from photoapp.core.index.embedded import EmbeddedIndex
    from photoapp.core.records import PhotoDocument

    folder = tmp_path / "index"
    index = EmbeddedIndex(folder)
    index.upsert([PhotoDocument(id=f"{i:040x}", paths=[f"/p/{i}.jpg"], taken_at=datetime(2020, 1 + i % 3, 5))
                  for i in range(7)] + [PhotoDocument(id="f" * 40, paths=["/p/undated.jpg"])])
    index.flush()
    index.close()
    conn = sqlite3.connect(folder / "index.sqlite3")
    with conn:  # back to how schema 7 left it
        for trigger in ("photo_months_ai", "photo_months_ad", "photo_months_au"):
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("DROP TABLE photo_months")
        conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    conn.close()
    index = EmbeddedIndex(folder)
    try:
        assert index.date_counts() == [(2020, 1, 3), (2020, 2, 2), (2020, 3, 2)]
    finally:
        index.close()


def test_photos_indexed_before_file_dates_get_one_on_the_next_index(dated):
    """A library from before file-name and file-time dates: its undated photos are dated by the
    next `photoapp index`, without the files being read again."""
    import sqlite3

    db = dated["data"] / "index" / "index.sqlite3"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE photos SET taken_at = NULL, taken_utcoffset = NULL, taken_at_source = NULL "
                     "WHERE taken_at_source IN ('filename', 'filetime')")
    conn.close()
    code, out, _ = cli(dated, "timeline", "--json")
    assert sum(r["count"] for r in json.loads(out)) == 2  # only the EXIF dates are left
    code, _, err = cli(dated, "index", str(dated["photos"]))
    assert code == 0, err
    code, out, _ = cli(dated, "timeline", "--json")
    assert [(r["year"], r["month"], r["count"]) for r in json.loads(out)] == MONTHS
    for name, (when, source) in EXPECTED.items():
        doc = json.loads(cli(dated, "info", str(dated["photos"] / name), "--json")[1])[0]
        assert (datetime.fromisoformat(doc["taken_at"]).replace(tzinfo=None), doc["taken_at_source"]) == (when, source)
