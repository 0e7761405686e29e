import os
import sqlite3

import pytest

from photoapp.core.catalog import (SCHEMA_VERSION, Catalog, CatalogError, DocumentRow,
                                   unique_roots)


def test_fresh_catalog_has_current_schema_and_wal(data_dir):
    cat = Catalog.open(data_dir)
    assert cat.schema_version == SCHEMA_VERSION
    mode = sqlite3.connect(cat.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    cat.close()


def test_reopen_keeps_data(data_dir):
    cat = Catalog.open(data_dir)
    cat.add_root("/photos")
    with cat.write() as w:
        w.put_indexed("/photos/a.jpg", 10, 123, "h1")
    cat.close()
    cat = Catalog.open(data_dir)
    assert cat.roots() == ["/photos"]
    assert cat.file("/photos/a.jpg").content_hash == "h1"
    cat.close()


def test_newer_schema_is_refused(data_dir):
    Catalog.open(data_dir).close()
    conn = sqlite3.connect(data_dir / "catalog.sqlite3")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(CatalogError):
        Catalog.open(data_dir)


def test_files_under_is_a_folder_range_not_a_string_prefix(data_dir):
    cat = Catalog.open(data_dir)
    with cat.write() as w:
        for p in ("/p/a/x.jpg", "/p/a/sub/y.jpg", "/p/ab/z.jpg", "/p/a.jpg"):
            w.put_indexed(p, 1, 1, "h")
    assert sorted(cat.files_under("/p/a")) == ["/p/a/sub/y.jpg", "/p/a/x.jpg"]
    cat.close()


def test_non_utf8_path_roundtrips(data_dir):
    cat = Catalog.open(data_dir)
    weird = os.fsdecode(b"/p/caf\xe9.jpg")
    with cat.write() as w:
        w.put_error(weird, 5, 6, "truncated", "cut short")
    assert cat.file(weird).error_reason == "truncated"
    assert cat.errors()[0].path == weird
    assert list(cat.files_under("/p")) == [weird]
    cat.close()


def test_documents_paths_and_counts(data_dir):
    cat = Catalog.open(data_dir)
    with cat.write() as w:
        w.put_document(DocumentRow("h1", "2020-01-01T00:00:00"))
        w.put_document(DocumentRow("h2", "2021-01-01T00:00:00"))
        w.put_indexed("/p/b.jpg", 1, 1, "h1")
        w.put_indexed("/p/a.jpg", 1, 1, "h1")
        w.put_indexed("/p/c.jpg", 1, 1, "h2")
        w.put_error("/p/bad.jpg", 1, 1, "not-an-image", "")
    assert cat.paths_of("h1") == ["/p/a.jpg", "/p/b.jpg"]
    assert cat.known_hashes() == {"h1", "h2"}
    assert cat.counts() == {"documents": 2, "files": 3, "errors": 1, "roots": 0}
    assert [h for h, _ in cat.list_documents("date")] == ["h2", "h1"]  # newest first
    assert [h for h, _ in cat.list_documents("name")] == ["h1", "h2"]
    assert [h for h, _ in cat.list_documents("name", limit=1, offset=1)] == ["h2"]
    cat.close()


def test_failed_transaction_rolls_back(data_dir):
    cat = Catalog.open(data_dir)
    with pytest.raises(RuntimeError):
        with cat.write() as w:
            w.put_indexed("/p/a.jpg", 1, 1, "h")
            raise RuntimeError("boom")
    assert cat.file("/p/a.jpg") is None
    cat.close()


def test_unique_roots_drops_nested():
    assert unique_roots(["/a/b", "/a", "/ab", "/a/b/c"]) == ["/a", "/ab"]


def test_migrates_an_old_catalog_keeping_its_rows(data_dir):
    from photoapp.core.catalog import MIGRATIONS, encode_path

    conn = sqlite3.connect(data_dir / "catalog.sqlite3")
    conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    conn.execute("INSERT INTO roots(path, added_at) VALUES (?, 0)", (encode_path("/old"),))
    conn.commit()
    conn.close()
    cat = Catalog.open(data_dir)
    assert cat.schema_version == SCHEMA_VERSION > 1
    assert cat.roots() == ["/old"]
    cat.set_meta("backend", "embedded")  # a table added by a later migration
    assert cat.get_meta("backend") == "embedded"
    cat.close()
