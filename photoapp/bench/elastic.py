"""Elasticsearch backend vs the embedded index, same synthetic library, one run.

Measures bulk indexing rate (upsert + flush, through the durable outbox and ``streaming_bulk``)
and query latency (keyword queries, kNN similar search with and without filters) for
``ElasticIndex`` against a local noida-db (started here on a temporary folder unless ``--es-url``
names a cluster) and for ``EmbeddedIndex``. Reports the bulk request sizes used.

    python -m photoapp.bench.elastic --docs 5000 --queries 100
    python -m photoapp.bench.elastic --es-url http://127.0.0.1:9200   # a real cluster

Writes photoapp/bench/results/elastic.md (``--out``). Nothing else is kept.
"""
from __future__ import annotations

import argparse
import json
import platform
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from importlib.resources import files
from pathlib import Path

import numpy as np

from ..core.query import parse_query
from ..core.settings import Settings
from .synthetic_library import SyntheticLibrary, label_list

KEYWORD_QUERIES = ["class 0001", "tag:class 0002", "class 0003>=0.5", "class 0001 -class 0004",
                   "camera:canon", "folder:beach", "after:2015 before:2018", "img"]
UPSERT_BATCH = 256  # what the ingestion pipeline hands the backend per call (order of magnitude)


def start_noida(data_dir: Path) -> tuple[subprocess.Popen, str]:
    binary = Path(str(files("noida_db").joinpath("noida-db")))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(binary), "start", "--data-dir", str(data_dir), "--only", "elasticsearch",
                             "--elasticsearch-port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            urllib.request.urlopen(url + "/", timeout=1).close()
            return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("noida-db did not start")


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    a = np.asarray(samples_ms)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95)), float(a.mean())


def bench_backend(name: str, backend, lib: SyntheticLibrary, n: int, queries: int) -> dict:
    t0 = time.perf_counter()
    for start in range(0, n, UPSERT_BATCH):
        backend.upsert(list(lib.documents(start, min(n, start + UPSERT_BATCH))))
    backend.flush()
    index_s = time.perf_counter() - t0
    assert backend.stats().documents == n, f"{name}: {backend.stats().documents} documents, expected {n}"

    rng = np.random.default_rng(7)
    parsed = [parse_query(q) for q in KEYWORD_QUERIES]
    for q in parsed:  # warm-up: first-query costs (caches, connections) are not latency
        backend.search(q, limit=50)
    keyword_ms = []
    for i in range(queries):
        q = parsed[i % len(parsed)]
        t = time.perf_counter()
        backend.search(q, limit=50)
        keyword_ms.append((time.perf_counter() - t) * 1000)
    probes = lib.embeddings(0, n)[rng.integers(0, n, queries)]
    backend.similar(probes[0], limit=50)
    knn_ms, knn_filtered_ms = [], []
    flt = parse_query("camera:canon")
    for vec in probes:
        t = time.perf_counter()
        backend.similar(vec, limit=50)
        knn_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        backend.similar(vec, limit=50, query=flt)
        knn_filtered_ms.append((time.perf_counter() - t) * 1000)
    return {"name": name, "docs": n, "index_s": index_s, "rate": n / index_s,
            "keyword": percentiles(keyword_ms), "knn": percentiles(knn_ms),
            "knn_filtered": percentiles(knn_filtered_ms)}


def client_side_rate(lib: SyntheticLibrary, n: int, folder: Path) -> float:
    """Docs/s of the client-side work alone: serialising documents and appending them to the
    outbox (what ElasticIndex.upsert does before any request), to separate it from the server."""
    from ..core.index.elastic.mapping import to_json
    from ..core.index.elastic.outbox import Outbox

    outbox = Outbox(folder / "outbox.sqlite3")
    docs = [list(lib.documents(s, min(n, s + UPSERT_BATCH))) for s in range(0, n, UPSERT_BATCH)]
    t = time.perf_counter()
    for batch in docs:
        outbox.append([("index", d.id, to_json(d), d.paths) for d in batch])
    elapsed = time.perf_counter() - t
    outbox.close()
    return n / elapsed


def bulk_request_size(lib: SyntheticLibrary, chunk_docs: int, chunk_bytes: int) -> tuple[int, int]:
    """(docs, bytes) of a full bulk request: the NDJSON the helper sends for one chunk."""
    from ..core.index.elastic.mapping import to_json

    docs = list(lib.documents(0, min(200, lib.size)))
    per_doc = np.mean([len(json.dumps({"index": {"_index": "photoapp-photos", "_id": d.id}})) + 2
                       + len(to_json(d).encode()) for d in docs])
    fits = min(chunk_docs, int(chunk_bytes // per_doc))
    return fits, int(fits * per_doc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--dim", type=int, default=1280)
    ap.add_argument("--chunk-docs", type=int, default=500)
    ap.add_argument("--chunk-bytes", type=int, default=8 * 1024 * 1024)
    ap.add_argument("--es-url", default=None, help="a real cluster (default: start a local noida-db)")
    ap.add_argument("--labels-from", type=Path, default=None,
                    help="imagenet-sample folder for real class names (else made-up names)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "elastic.md")
    args = ap.parse_args(argv)

    from ..core.index.elastic import ElasticIndex
    from ..core.index.embedded import EmbeddedIndex

    lib = SyntheticLibrary(args.docs, label_list(args.labels_from), dim=args.dim)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-elastic-") as tmp:
        tmp = Path(tmp)
        proc, url = (None, args.es_url) if args.es_url else start_noida(tmp / "noida")
        try:
            settings = Settings(data_dir=tmp / "app", backend=url)
            settings.elasticsearch.index_prefix = f"bench{int(time.time())}"
            es = ElasticIndex(settings, chunk_docs=args.chunk_docs, chunk_bytes=args.chunk_bytes)
            server = ".".join(map(str, es.server.version)) if es.server else "?"
            results.append(bench_backend(f"ElasticIndex ({'noida-db' if proc else 'cluster'} {server})",
                                         es, lib, args.docs, args.queries))
            if args.es_url:  # leave a real cluster as we found it
                from ..core.index.elastic.connection import connect

                client = connect(settings)[0]
                for name in client.indices.get(index=f"{settings.elasticsearch.index_prefix}-photos*").body:
                    client.indices.delete(index=name)
                client.indices.delete_index_template(name=f"{settings.elasticsearch.index_prefix}-photos")
            es.close()
        finally:
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(10)
        emb = EmbeddedIndex(tmp / "embedded")
        results.append(bench_backend("EmbeddedIndex", emb, lib, args.docs, args.queries))
        emb.close()

        client_rate = client_side_rate(lib, args.docs, tmp)
    req_docs, req_bytes = bulk_request_size(lib, args.chunk_docs, args.chunk_bytes)
    cmd = "python -m photoapp.bench.elastic " + " ".join(argv if argv is not None else __import__("sys").argv[1:])
    lines = [
        "# Elasticsearch backend vs embedded index",
        "",
        f"Command: `{cmd.strip()}`  ",
        f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"shared CPU (other engineers' jobs were running); {time.strftime('%Y-%m-%d %H:%M')}  ",
        f"Library: {args.docs} synthetic documents (photoapp.bench.synthetic_library), {args.dim}-d embeddings, "
        f"upserted {UPSERT_BATCH} per call, then one flush.  ",
        f"Bulk requests: chunk_size={args.chunk_docs} docs, max_chunk_bytes={args.chunk_bytes} B -> "
        f"a full request carries {req_docs} docs, about {req_bytes / 1e6:.1f} MB of NDJSON "
        f"({req_bytes / max(1, req_docs) / 1e3:.1f} kB per document, mostly the vector as JSON floats).  ",
        f"Latency over {args.queries} queries each, limit 50, after one warm-up; keyword queries cycle "
        f"through: {', '.join('`' + q + '`' for q in KEYWORD_QUERIES)}; filtered kNN = `camera:canon`.",
        "",
        "| backend | index rate (docs/s) | index time (s) | keyword p50 / p95 (ms) | kNN p50 / p95 (ms) | filtered kNN p50 / p95 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['name']} | {r['rate']:.0f} | {r['index_s']:.1f} | "
                     f"{r['keyword'][0]:.1f} / {r['keyword'][1]:.1f} | {r['knn'][0]:.1f} / {r['knn'][1]:.1f} | "
                     f"{r['knn_filtered'][0]:.1f} / {r['knn_filtered'][1]:.1f} |")
    lines += ["", f"Client-side work alone (serialise + durable outbox append, no server): "
              f"{client_rate:.0f} docs/s; the rest of the ElasticIndex indexing time is the server.", "",
              "noida-db is a local test server, not Elasticsearch: its numbers say nothing about a real "
              "cluster's speed (it keeps everything in memory; its search and kNN are its own, not "
              "Lucene's). They show that the whole path (outbox, bulk helper, HTTP, queries) works end "
              "to end and what the client side costs. Run with `--es-url` against a real cluster for "
              "real numbers.", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
