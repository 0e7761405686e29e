"""`photoapp` command line: a thin front end over photoapp.core.library.Library.

Exit codes: 0 success, 1 a failure (one-line reason on stderr), 2 bad usage, 130 interrupted.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys
import threading
from dataclasses import replace
from pathlib import Path

from photoapp.core.errors import PhotoAppError
from photoapp.core.settings import Settings, default_data_dir
from photoapp.core.sqlite_files import storage_problem

from .output import (configure_streams, document_to_json, hit_to_json, print_document, print_hits,
                     print_json, purge_summary, quiet_broken_pipe)
from .progress import TerminalProgress
from . import duplicates as duplicates_cli
from . import people as people_cli
from . import places as places_cli
from . import timeline as timeline_cli

log = logging.getLogger("photoapp.cli")


class CliError(Exception):
    """A failure the CLI reports as one line and exit code 1."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="photoapp", description="Local-first photo search: index, search, similar photos, clusters, duplicates.")
    p.add_argument("--data-dir", type=Path, help="where photoapp keeps its data (default: platform data folder, or $PHOTOAPP_DATA_DIR)")
    p.add_argument("--backend", help="'embedded' (default) or an Elasticsearch URL such as https://host:9200")
    p.add_argument("--es-user", help="Elasticsearch user name (password from $PHOTOAPP_ES_PASSWORD or the OS keyring)")
    p.add_argument("--es-ca-cert", help="CA certificate file for the Elasticsearch server")
    p.add_argument("--no-verify-tls", action="store_true", help="do not verify the Elasticsearch TLS certificate")
    p.add_argument("--compute", choices=["auto", "cpu", "gpu"], help="where models run")
    p.add_argument("--threads", type=int, help="inference threads (0 = automatic)")
    p.add_argument("-v", "--verbose", action="count", default=0)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name, help_, json_=False):
        sp = sub.add_parser(name, help=help_, description=help_)
        if json_:
            sp.add_argument("--json", action="store_true", help="print a JSON array")
        return sp

    sp = cmd("index", "add folders to the library and index them (returns when every analysis has run)")
    sp.add_argument("paths", nargs="+", type=Path)
    sp.add_argument("--quick", action="store_true", help="return once photos are browsable and searchable "
                    "(stage 1); objects and other later stages continue on the next index, watch or in the app")
    sp = cmd("watch", "index folders, then keep the index up to date as files change (Ctrl+C stops)")
    sp.add_argument("paths", nargs="*", type=Path, help="folders (default: every library folder)")
    sp = cmd("search", "keyword search, e.g. 'dog', 'pizza>=0.9', 'tag:cat camera:canon after:2020'", json_=True)
    sp.add_argument("query", nargs="+")
    sp.add_argument("--limit", type=int, default=20)
    sp = cmd("similar", "photos similar to an image (in the library or not)", json_=True)
    sp.add_argument("image", type=Path)
    sp.add_argument("--limit", type=int, default=20)
    sp.add_argument("--filter", default="", help="restrict with a search query, e.g. 'after:2020 -cat'")
    sp.add_argument("--min-score", type=float, default=None, metavar="S",
                    help="leave out results scoring below S (the score after re-ranking: ~1 the same "
                    "picture, ~0 no closer than the neighbourhood's average; default: the app's cutoff, "
                    "photoapp.core.similar_rerank.DEFAULT_MIN_SCORE; -1 keeps everything)")
    sp = cmd("clusters", "group photos by visual similarity", json_=True)
    sp.add_argument("--k", type=int, help="number of clusters (default: chosen by silhouette)")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--recompute", action="store_true", help="recompute from scratch")
    sp = cmd("duplicates", "duplicate groups by tier: exact copies, same photo, same scene", json_=True)
    duplicates_cli.add_arguments(sp)  # --threshold, --tier, --trash [PATH...], --yes
    sp = cmd("info", "tags, objects and metadata of one photo", json_=True)
    sp.add_argument("path", type=Path)
    cmd("errors", "files that could not be indexed, with the reason", json_=True)
    cmd("status", "library folders, counts, backend and models", json_=True)
    cmd("folders", "list library folders", json_=True)
    sp = cmd("remove", "remove a folder from the library (purges what photoapp stored about it; photos are untouched)")
    sp.add_argument("path", type=Path)
    sp = cmd("tags", "most common tags", json_=True)
    sp.add_argument("--prefix", default="")
    sp.add_argument("--limit", type=int, default=50)
    sp = cmd("export", "copy the embedded library into an Elasticsearch cluster (no model work)")
    sp.add_argument("--to", required=True, help="Elasticsearch URL")
    sp = cmd("rate", "give photos 0-5 stars in the library (0 clears; the files are not touched)")
    sp.add_argument("rate_args", nargs="+", metavar="PATH... N")
    sp = cmd("favorite", "mark photos as favourites in the library (the files are not touched)")
    sp.add_argument("paths", nargs="+", type=Path)
    sp.add_argument("--off", action="store_true", help="remove the favourite mark")
    cmd("undo", "undo the last rating, favourite or keeper change")
    cmd("gui", "start the desktop app")
    sp = cmd("screenshot", "render the app's main views to PNG files, headless")
    sp.add_argument("--out", type=Path, required=True)
    sp.add_argument("--library", type=Path, help="index this folder first")
    timeline_cli.add_commands(cmd)  # timeline, on-this-day
    places_cli.add_commands(cmd)  # places
    people_cli.add_commands(cmd)  # people [show|faces|name|merge|remove|not-a-face]
    return p


def settings_from_args(args) -> Settings:
    s = Settings.load(args.data_dir)
    if args.backend:
        point_at_backend(s, args.backend)
    if args.es_user:
        s.elasticsearch.username = args.es_user
    if args.es_ca_cert:
        s.elasticsearch.ca_cert = args.es_ca_cert
    if args.no_verify_tls:
        s.elasticsearch.verify_tls = False
    if args.compute:
        s.compute = args.compute
    if args.threads is not None:
        s.threads = args.threads
    return s


def point_at_backend(settings: Settings, backend: str) -> None:
    """``embedded``, or one or more comma-separated Elasticsearch URLs."""
    settings.backend = backend
    if backend.startswith(("http://", "https://")):
        settings.elasticsearch.urls = [u.strip() for u in backend.split(",") if u.strip()]


def _open_library(settings):
    from photoapp.core.library import Library
    lib = Library.open(settings)
    lib.writer.on_wait = _say_waiting  # core/writer_lock.py: another process is writing
    return lib


def _say_waiting(pid: int | None) -> None:
    who = f"pid {pid}" if pid else "another process"
    print(f"waiting for another photoapp ({who}) that is indexing this library…",
          file=sys.stderr, flush=True)


def _existing(path: Path, what: str = "path") -> Path:
    if not path.exists():
        raise CliError(f"{what} not found: {path}")
    return path.resolve()


def _library_path(path) -> str:
    """A photo path as the library stores it (absolute, resolved), or a document id unchanged."""
    path = Path(path)
    return str(path.resolve()) if path.exists() else str(path)


def _path_of(lib, doc_id: str) -> str:
    doc = lib.backend.get(doc_id)
    return doc.path if doc else doc_id


def run_index(lib, paths, progress, quick=False):
    for p in paths:
        p = _existing(p, "folder")
        if not p.is_dir():
            raise CliError(f"not a folder: {p}")
        lib.add_folder(p)
    report = lib.index([_existing(p) for p in paths], progress=progress, quick=quick)
    progress.close()
    print(index_summary(report))
    if quick:
        left = [s for s in lib.stage_progress() if not s.complete]
        if left:
            print(f"{lib.status().summary}: continues on the next `photoapp index`, "
                  "`photoapp watch` or in the app")
    return 1 if report.cancelled else 0


def index_summary(report) -> str:
    parts = [f"{report.scanned} files scanned", f"{report.indexed} indexed",
             f"{report.reused} reused (moved or copied)", f"{report.unchanged} unchanged",
             f"{report.removed} removed", f"{report.errors} errors"]
    if getattr(report, "analysed", 0):
        parts.append(f"{report.analysed} analysed further")
    line = ", ".join(parts) + f" in {report.elapsed_s:.1f} s"
    if report.errors:
        line += " (see `photoapp errors`)"
    for root in report.missing_roots:
        line += f"\nwarning: folder not found (kept in the library): {root}"
    return line


def run_watch(lib, paths, progress):
    for p in paths:
        p = _existing(p, "folder")
        lib.add_folder(p)
    targets = [p.resolve() for p in paths] or None
    # Stage 1 first (browsable and searchable); the watcher backfills objects whenever no
    # change is waiting, so new photos never queue behind the backfill.
    print(index_summary(lib.index(targets, progress=progress, quick=True)), file=sys.stderr)
    progress.close()
    stop = threading.Event()
    watcher = lib.watch(targets)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    watcher.start()
    print(f"watching {', '.join(map(str, targets or lib.folders()))} (Ctrl+C to stop)", file=sys.stderr)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
    return 0


def dispatch(args, settings) -> int:
    c = args.command
    if c == "gui":
        from photoapp.gui.app import main as gui_main
        return gui_main([], settings=settings) or 0
    if c == "screenshot":
        from photoapp.gui.screenshot import run as shoot
        files = shoot(settings, args.out, args.library)
        for f in files:
            print(f)
        return 0

    lib = _open_library(settings)
    try:
        as_json = getattr(args, "json", False)
        progress = TerminalProgress()
        if c in ("search", "similar", "clusters", "duplicates") and lib.status().documents == 0:
            # Not "no results" or "silhouette nan" with exit 0: there is nothing to query yet.
            raise CliError("the library is empty: add a folder with photoapp index PATH")
        if c == "index":
            return run_index(lib, args.paths, progress, quick=args.quick)
        if c == "watch":
            return run_watch(lib, args.paths, progress)
        if c == "search":
            hits = lib.search(" ".join(args.query), limit=args.limit)
            notes = getattr(hits, "notes", [])  # fields still being filled, e.g. objects 81%
            for note in notes:
                print(f"note: {note}", file=sys.stderr)
            if not hits and (better := lib.suggest(" ".join(args.query))):
                print(f"did you mean: {better}", file=sys.stderr)
            rows = [dict(hit_to_json(h), **({"notes": notes} if notes else {})) for h in hits]
            print_json(rows) if as_json else print_hits(hits)
            return 0
        if c == "similar":
            image = _existing(args.image, "image")
            from photoapp.core.similar_rerank import DEFAULT_MIN_SCORE

            min_score = DEFAULT_MIN_SCORE if args.min_score is None else args.min_score
            hits = lib.similar(image, limit=args.limit, filter_text=args.filter, min_score=min_score)
            print_json([hit_to_json(h) for h in hits]) if as_json else print_hits(hits)
            return 0
        if c == "clusters":
            clusters = lib.clusters(k=args.k, seed=args.seed, recompute=args.recompute)
            quality = lib.last_clustering
            scores = {"silhouette": round(float(quality.silhouette), 4),
                      "davies_bouldin": round(float(quality.davies_bouldin), 4),
                      "k": quality.k, "method": quality.method} if quality else {}
            rows = []
            for cl in clusters:
                paths = [_path_of(lib, i) for i in cl.member_ids]
                rows.append({"id": cl.id, "name": cl.name, "size": cl.size, **scores,
                             "representative": _path_of(lib, cl.representative_id),
                             "top_tags": [{"label": t, "weight": round(w, 4)} for t, w in cl.top_tags],
                             "paths": paths})
            if as_json:
                print_json(rows)
            else:
                if scores:
                    print(f"{scores['k']} clusters, silhouette {scores['silhouette']:.3f}, "
                          f"Davies-Bouldin {scores['davies_bouldin']:.3f}")
                for r in rows:
                    print(f"[{r['id']:>3}] {r['name']}  ({r['size']} photos)  e.g. {r['representative']}")
            return 0
        if c == "duplicates":
            return duplicates_cli.run(lib, args, as_json, CliError)
        if c == "info":
            doc = lib.info(args.path.resolve() if args.path.exists() else str(args.path))
            if doc is None:
                raise CliError(f"not in the library: {args.path}")
            print_json([document_to_json(doc)]) if as_json else print_document(doc)
            return 0
        if c == "errors":
            errs = lib.errors()
            rows = [{"path": e.path, "reason": e.reason, "detail": e.detail,
                     "when": getattr(e, "when", None)} for e in errs]
            if as_json:
                print_json(rows)
            elif not rows:
                print("no errors")
            else:
                for r in rows:
                    print(f"{r['reason']:<13} {r['path']}" + (f"  ({r['detail']})" if r["detail"] else ""))
            return 0
        if c == "status":
            st = lib.status()
            data = st.as_dict() if hasattr(st, "as_dict") else vars(st)
            if as_json:
                print_json([dict(data, summary=st.summary)])
            else:
                print(st.summary)  # "12,400 photos · objects 81%"
                for k, v in data.items():
                    if k == "stages":
                        for sp in v:
                            print(f"{'stage ' + str(sp.stage) + ' ' + sp.name:>16}: {sp.percent}% "
                                  f"({sp.done:,} / {sp.total:,})")
                    elif k != "warnings":
                        print(f"{k:>16}: {v}")
                for w in data.get("warnings", []):
                    print(f"warning: {w}")
            return 0
        if c == "folders":
            folders = lib.folders()
            print_json([{"path": f} for f in folders]) if as_json else print("\n".join(folders) or "no folders")
            return 0
        if c == "remove":
            report = lib.remove_folder(args.path.resolve())
            print(purge_summary(report))
            return 0
        if c == "tags":
            rows = lib.tag_counts(limit=args.limit, prefix=args.prefix)
            if as_json:
                print_json([{"tag": t, "count": n} for t, n in rows])
            else:
                for t, n in rows:
                    print(f"{n:7d}  {t}")
            return 0
        if c in ("rate", "favorite"):
            if c == "rate":
                if len(args.rate_args) < 2:
                    raise CliError("usage: photoapp rate PATH... N (N from 0 to 5)")
                *paths, stars = args.rate_args
                change = lib.set_rating([_library_path(p) for p in paths], stars)
            else:
                change = lib.set_favorite([_library_path(p) for p in args.paths], not args.off)
            print(change.description)
            return 0
        if c == "undo":
            print(lib.undo().description)
            return 0
        if c == "export":
            from photoapp.core.export import export_library
            from photoapp.core.index import open_backend
            from photoapp.core.jobs import ProgressEvent
            # A copy: the source library's settings stay as they are.
            target_settings = replace(settings, elasticsearch=replace(settings.elasticsearch))
            point_at_backend(target_settings, args.to)
            target = open_backend(target_settings)
            try:
                n = export_library(lib.backend, target, progress=lambda done, total: progress(
                    ProgressEvent(done=done, total=total, rate=0.0, eta_s=None, current_path="", phase="export")))
            finally:
                progress.close()
                target.close()
            print(f"exported {n} photos to {args.to}")
            return 0
        if c in people_cli.COMMANDS:
            return people_cli.run(c, args, lib, as_json)
        if c in places_cli.COMMANDS:
            return places_cli.run(c, args, lib, as_json)
        if c in timeline_cli.COMMANDS:
            return timeline_cli.run(c, args, lib, as_json)
        raise CliError(f"unknown command {c}")
    finally:
        lib.close()


def main(argv: list[str] | None = None) -> int:
    configure_streams()
    parser = build_parser()
    # `photoapp search dog -cat`: an exclusion looks like an option to argparse, so unknown
    # dash-words after `search` are query terms (quote the query, or use `--`, to be safe).
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if args.command == "search" and all(u.startswith("-") for u in unknown):
            args.query.extend(unknown)
        else:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not args.command:
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2),
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        # The ES transport logs a traceback per failed try; our one-line error says it all.
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)
    try:
        settings = settings_from_args(args)
        code = dispatch(args, settings)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler below
        return code
    except BrokenPipeError:  # `photoapp search dog | head`: the reader has all it wanted
        return quiet_broken_pipe()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (CliError, PhotoAppError, OSError, sqlite3.Error) as e:
        if args.verbose:
            log.exception("failed")
        # A full or read-only disk: say which folder and what to do (core/sqlite_files.py).
        problem = storage_problem(e, args.data_dir or default_data_dir())
        print(f"photoapp: error: {problem or e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
