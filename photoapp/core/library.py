"""The facade both front ends (CLI, GUI) use. Everything here is Qt-free and thread-safe enough
for one GUI thread plus worker threads: long calls take a ``progress`` callback and a
``JobControl`` (pause / resume / cancel) and never print.

API (the CLI and the GUI are written against exactly this):

    lib = Library.open(settings)                       # opens catalog + backend + (lazily) models
    lib.folders() -> list[str]
    lib.add_folder(path) -> None                       # records the root; caller then calls index()
    lib.remove_folder(path) -> PurgeReport             # purges rows, vectors, thumbnails under it
    lib.index(paths=None, progress=cb, control=ctl) -> IndexReport   # None = all roots
    lib.watch(paths=None, progress=cb, control=ctl) -> LibraryWatcher (start()/stop(), polling fallback)
    lib.search(text, limit=50, offset=0) -> list[SearchHit]           # raises QueryError
    lib.similar(target, limit=50, filter_text="") -> list[SearchHit]  # target: library path, doc id,
                                                                        # outside file path, or PIL.Image
    lib.clusters(k=None, seed=0, recompute=False) -> list[ClusterInfo]
    lib.duplicates(threshold=None) -> list[DuplicateGroup]
    lib.info(path_or_id) -> PhotoDocument | None
    lib.errors() -> list[FileErrorRecord]              # path, reason, detail, when
    lib.status() -> LibraryStatus                       # counts, folders, backend, models, pending
    lib.thumbnail_path(doc_id, size=256) -> Path | None # on-disk JPEG thumbnail cache (core, no Qt)
    lib.tag_counts(limit, prefix) -> list[(tag, count)]
    lib.all_photos(sort="date"|"name", limit, offset) -> list[SearchHit]
    lib.close()

Progress events are ``ProgressEvent(done, total, rate, eta_s, current_path, phase)``.
"""
