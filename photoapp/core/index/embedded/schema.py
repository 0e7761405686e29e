"""SQLite schema of the embedded index: a version number and ordered migrations.

Adding a change = appending one (version, statements) pair to ``MIGRATIONS``; ``migrate`` applies
every newer one in order, each in its own transaction, and records ``schema_version`` in ``meta``.

Where each ``PhotoDocument`` field lives (what a query compiler joins):
    photos            one row per document (pk, id = content hash); scalar fields as columns,
                      including ``rating`` (INTEGER, 0 = unrated, 1..5) and ``favorite`` (0/1)
    paths             path (storable text, see core/pathtext.py) -> photo_pk, folder
    tags              (photo_pk, ord) -> label, confidence, source;    index (label, confidence, photo_pk)
    objects           (photo_pk, ord) -> label, score, box;            index (label, score, photo_pk)
    colors            (photo_pk, ord) -> name, share (fraction 0..1);  index (name, share, photo_pk)
    faces             (photo_pk, ord) -> box x0..y1, landmarks, score, quality, embedding (blobs)
    text_lines        (photo_pk, ord) -> text, score, box x0..y1, words (JSON); photo_text_fts
                      (rowid = photos.pk): the lines as folded full text, kept by triggers
    people            (photo_pk, ord) -> person_id, name, name_key (mirror of the people store)
    labels/label_fts  the label dictionary (tag and object labels, synonyms, photos per tag)
    places            (photo_pk, ord 0) -> city, region, country, country_code (one row at most)
    text_fts          rowid = photos.pk: file names, folder names, camera, place names
    clusters          cluster id -> name
    (taken_at_source is a column of photos: which source gave taken_at, see capture_date.py)
The embedding lives in the vector store (vectors.py); ``photos.vec_slot`` is its row there.
"""
from __future__ import annotations

import sqlite3

from ...errors import BackendError

MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, [
        # One row per distinct picture (content hash). taken_at is the wall-clock time as a
        # sortable ISO string; taken_utcoffset keeps the zone when the camera recorded one.
        """CREATE TABLE photos (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            width INTEGER NOT NULL DEFAULT 0,
            height INTEGER NOT NULL DEFAULT 0,
            size_bytes INTEGER NOT NULL DEFAULT 0,
            format TEXT NOT NULL DEFAULT '',
            taken_at TEXT,
            taken_utcoffset REAL,
            camera_make TEXT,
            camera_model TEXT,
            lens TEXT,
            gps_lat REAL,
            gps_lon REAL,
            orientation INTEGER,
            phash TEXT,
            cluster_id INTEGER,
            indexed_at TEXT,
            model_version TEXT NOT NULL DEFAULT '',
            vec_slot INTEGER
        )""",
        "CREATE INDEX photos_by_date ON photos(taken_at, pk)",
        "CREATE INDEX photos_by_cluster ON photos(cluster_id)",
        "CREATE UNIQUE INDEX photos_by_slot ON photos(vec_slot) WHERE vec_slot IS NOT NULL",
        # A path belongs to exactly one document; a document may have several (copies).
        """CREATE TABLE paths (
            path TEXT PRIMARY KEY,
            photo_pk INTEGER NOT NULL REFERENCES photos(pk) ON DELETE CASCADE,
            folder TEXT NOT NULL
        )""",
        "CREATE INDEX paths_by_photo ON paths(photo_pk)",
        # ord keeps the tag order of the document; (label, confidence) serves keyword search.
        """CREATE TABLE tags (
            photo_pk INTEGER NOT NULL REFERENCES photos(pk) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            label TEXT NOT NULL,
            confidence REAL NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (photo_pk, ord)
        ) WITHOUT ROWID""",
        "CREATE INDEX tags_by_label ON tags(label, confidence, photo_pk)",
        """CREATE TABLE objects (
            photo_pk INTEGER NOT NULL REFERENCES photos(pk) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            label TEXT NOT NULL,
            score REAL NOT NULL,
            x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
            PRIMARY KEY (photo_pk, ord)
        ) WITHOUT ROWID""",
        "CREATE INDEX objects_by_label ON objects(label, score, photo_pk)",
        # The label dictionary: every tag/object label once, with its synonyms (from the
        # vocabulary) and how many photos carry it as a tag. Words are matched against this small
        # table, not against millions of per-photo rows.
        """CREATE TABLE labels (
            rowid INTEGER PRIMARY KEY,
            label TEXT NOT NULL UNIQUE,
            synonyms TEXT NOT NULL DEFAULT '',
            photos INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX labels_by_count ON labels(photos)",
        """CREATE VIRTUAL TABLE label_fts USING fts5(
            label, synonyms, content='labels', content_rowid='rowid', tokenize='porter unicode61')""",
        """CREATE TRIGGER labels_ai AFTER INSERT ON labels BEGIN
            INSERT INTO label_fts(rowid, label, synonyms) VALUES (new.rowid, new.label, new.synonyms);
        END""",
        """CREATE TRIGGER labels_au AFTER UPDATE OF label, synonyms ON labels BEGIN
            INSERT INTO label_fts(label_fts, rowid, label, synonyms) VALUES ('delete', old.rowid, old.label, old.synonyms);
            INSERT INTO label_fts(rowid, label, synonyms) VALUES (new.rowid, new.label, new.synonyms);
        END""",
        # Per-photo free text other than tags: file names, folder names, camera. rowid = photos.pk.
        """CREATE VIRTUAL TABLE text_fts USING fts5(names, folders, camera, tokenize='porter unicode61')""",
        "CREATE TABLE clusters (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '')",
    ]),
    (2, [
        # Dominant colours (colour analyzer): one row per colour of the palette present in the
        # photo, ``share`` = fraction of the picture in [0, 1]; ord keeps the document's order
        # (largest first). ``color:red`` compiles to "a row with name = 'red' and share >= t",
        # which (name, share, photo_pk) answers from the index alone.
        """CREATE TABLE colors (
            photo_pk INTEGER NOT NULL REFERENCES photos(pk) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            name TEXT NOT NULL,
            share REAL NOT NULL,
            PRIMARY KEY (photo_pk, ord)
        ) WITHOUT ROWID""",
        "CREATE INDEX colors_by_name ON colors(name, share, photo_pk)",
        # User data mirrored from the catalog so queries can filter on it: ``rating`` 0 = unrated,
        # 1..5 stars (``rating>=4`` -> photos.rating >= 4); ``favorite`` 0/1 (``favorite`` ->
        # photos.favorite = 1).
        "ALTER TABLE photos ADD COLUMN rating INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE photos ADD COLUMN favorite INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX photos_by_rating ON photos(rating, pk)",
        "CREATE INDEX photos_by_favorite ON photos(favorite, pk)",
    ]),
    (3, [
        # Faces (faces analyzer, a later stage): one row per detected face in detection order.
        # Box in [0, 1] of the oriented image; ``landmarks`` = 5 (x, y) points as 10 float64;
        # ``quality`` in [0, 1] (size and sharpness); ``embedding`` = the L2-normalised face
        # descriptor as float32 bytes (NULL when not computed). ``faces>=3`` / ``faces:0`` count
        # the rows of a photo through the primary key.
        """CREATE TABLE faces (
            photo_pk INTEGER NOT NULL REFERENCES photos(pk) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
            landmarks BLOB NOT NULL,
            score REAL NOT NULL,
            quality REAL NOT NULL,
            embedding BLOB,
            PRIMARY KEY (photo_pk, ord)
        ) WITHOUT ROWID""",
    ]),
    (4, [
        # Text read in the photo (text analyzer, a later stage): one row per line in reading
        # order, box in [0, 1] of the oriented image, ``words`` = JSON [[word, x0, x1, score], ...]
        # (the line's y0..y1). ``photo_text_fts`` (rowid = photos.pk) holds the photo's lines
        # joined by newlines, folded for search (case and accents: remove_diacritics 2; no
        # stemming: a sign's words are matched as written); triggers keep it in step, so every
        # write path of text_lines (upsert, update_fields, clear_fields, delete) maintains it.
        """CREATE TABLE text_lines (
            photo_pk INTEGER NOT NULL REFERENCES photos(pk) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            text TEXT NOT NULL,
            score REAL NOT NULL,
            x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
            words TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (photo_pk, ord)
        ) WITHOUT ROWID""",
        "CREATE VIRTUAL TABLE photo_text_fts USING fts5(text, tokenize='unicode61 remove_diacritics 2')",
        # A photo's lines are always written all together (rows deleted, then inserted), so an
        # insert rebuilds the photo's row and a delete drops it.
        """CREATE TRIGGER text_lines_ai AFTER INSERT ON text_lines BEGIN
            DELETE FROM photo_text_fts WHERE rowid = new.photo_pk;
            INSERT INTO photo_text_fts(rowid, text) SELECT new.photo_pk, group_concat(text, char(10))
                FROM (SELECT text FROM text_lines WHERE photo_pk = new.photo_pk ORDER BY ord);
        END""",
        """CREATE TRIGGER text_lines_ad AFTER DELETE ON text_lines BEGIN
            DELETE FROM photo_text_fts WHERE rowid = old.photo_pk;
        END""",
    ]),
    (5, [
        # Place names (places analyzer): at most one row per photo, the nearest populated place of
        # its GPS position (core/places/geocoder.py). ``country:france`` = a row whose country or
        # country code equals the value (case-folded, both stored as written by GeoNames).
        """CREATE TABLE places (
            photo_pk INTEGER NOT NULL REFERENCES photos(pk) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            city TEXT NOT NULL,
            region TEXT NOT NULL,
            country TEXT NOT NULL,
            country_code TEXT NOT NULL,
            PRIMARY KEY (photo_pk, ord)
        ) WITHOUT ROWID""",
        "CREATE INDEX places_by_country ON places(country COLLATE NOCASE, photo_pk)",
        "CREATE INDEX places_by_city ON places(city, region, country)",
        # Place words are searchable like file names (plain words and ``place:paris``): text_fts
        # gets a fourth column. FTS5 cannot add a column, so the table is rebuilt, rows kept.
        """CREATE VIRTUAL TABLE text_fts_v5 USING fts5(names, folders, camera, places,
            tokenize='porter unicode61')""",
        "INSERT INTO text_fts_v5(rowid, names, folders, camera, places) "
        "SELECT rowid, names, folders, camera, '' FROM text_fts",
        "DROP TABLE text_fts",
        "ALTER TABLE text_fts_v5 RENAME TO text_fts",
        # The places column follows the places rows, whichever way they change (a full upsert
        # writes it with the row; update_fields / clear_fields go through these triggers).
        """CREATE TRIGGER places_ai AFTER INSERT ON places BEGIN
            UPDATE text_fts SET places = new.city || ' ' || new.region || ' ' || new.country
            WHERE rowid = new.photo_pk;
        END""",
        """CREATE TRIGGER places_ad AFTER DELETE ON places BEGIN
            UPDATE text_fts SET places = '' WHERE rowid = old.photo_pk AND places != '';
        END""",
        # near: and the map's bounding boxes read positions by latitude range.
        "CREATE INDEX photos_by_gps ON photos(gps_lat, gps_lon) WHERE gps_lat IS NOT NULL",
    ]),
    (6, [
        # Where taken_at came from (core/capture_date.py): 'exif', 'exif+offset', 'filename',
        # 'filetime'; NULL for documents written before.
        "ALTER TABLE photos ADD COLUMN taken_at_source TEXT",
    ]),
    (7, [
        # People in each photo, mirrored from the people store (core/people/store.py owns who is
        # who and the names): ``person:anna`` = a row with name_key 'anna' (the casefolded
        # name), a person's page = the rows with its person_id.
        """CREATE TABLE people (
            photo_pk INTEGER NOT NULL REFERENCES photos(pk) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            person_id INTEGER NOT NULL,
            name TEXT,
            name_key TEXT,
            PRIMARY KEY (photo_pk, ord)
        ) WITHOUT ROWID""",
        "CREATE INDEX people_by_person ON people(person_id, photo_pk)",
        "CREATE INDEX people_by_name ON people(name_key, photo_pk)",
    ]),
    (8, [
        # Photos per month of taken_at ('YYYY-MM'), kept by triggers, for the timeline: its counts
        # are one read of a table of a few hundred rows at any library size (a GROUP BY over the
        # date index took 0.4 s at 100k photos on a busy machine, seconds at 1M).
        "CREATE TABLE photo_months (month TEXT PRIMARY KEY, photos INTEGER NOT NULL) WITHOUT ROWID",
        # An early migration 6 indexed the month of taken_at for ``month:march``: SQLite then sorted
        # every photo of that month (130 ms at 1M photos) instead of walking the date index (45 ms).
        "DROP INDEX IF EXISTS photos_by_month",
        "INSERT INTO photo_months(month, photos) SELECT substr(taken_at, 1, 7), count(*) FROM photos "
        "WHERE taken_at IS NOT NULL GROUP BY 1",
        """CREATE TRIGGER photo_months_ai AFTER INSERT ON photos WHEN new.taken_at IS NOT NULL BEGIN
            INSERT INTO photo_months(month, photos) VALUES (substr(new.taken_at, 1, 7), 1)
                ON CONFLICT(month) DO UPDATE SET photos = photos + 1;
        END""",
        """CREATE TRIGGER photo_months_ad AFTER DELETE ON photos WHEN old.taken_at IS NOT NULL BEGIN
            UPDATE photo_months SET photos = photos - 1 WHERE month = substr(old.taken_at, 1, 7);
        END""",
        """CREATE TRIGGER photo_months_au AFTER UPDATE OF taken_at ON photos BEGIN
            UPDATE photo_months SET photos = photos - 1
                WHERE old.taken_at IS NOT NULL AND month = substr(old.taken_at, 1, 7);
            INSERT INTO photo_months(month, photos) SELECT substr(new.taken_at, 1, 7), 1
                WHERE new.taken_at IS NOT NULL ON CONFLICT(month) DO UPDATE SET photos = photos + 1;
        END""",
    ]),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to ``SCHEMA_VERSION``; returns the version found before.

    ``conn`` must be in autocommit mode (``isolation_level=None``)."""
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    found = int(row[0]) if row else 0
    if found > SCHEMA_VERSION:
        raise BackendError(f"index schema version {found} is newer than this photoapp understands "
                           f"({SCHEMA_VERSION}); upgrade photoapp")
    for version, statements in MIGRATIONS:
        if version <= found:
            continue
        # One transaction per migration: all or nothing (the connection is in autocommit mode,
        # so DDL is inside the transaction too).
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(version),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return found
