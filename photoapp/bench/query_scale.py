"""Keyword and similar-photo query latency of the embedded index at 10k / 100k / 1M photos.

    python -m photoapp.bench.query_scale --sizes 10000,100000,1000000 --workdir /tmp/photoapp-qs

For each size: builds a synthetic library (see synthetic_library.py) with EmbeddedIndex's bulk
writer (``--keyword-only``: without embeddings, minutes instead of most of an hour at 1M), then,
in a *fresh process* that only opens the index, runs keyword and
similar-photo queries and reports p50/p99 latency, recall@10 of the vector search against exact
search, and the process's memory (VmRSS = anonymous + file-backed resident pages, VmHWM = peak).
Writes the table to photoapp/bench/results/query_scale.md. ``--reuse`` keeps built indexes.

Keyword query mix (seeded): 40% one tag drawn by how many photos carry it (popular subjects and
broad ancestors such as "animal"), 20% one tag drawn uniformly from the tags in use (long tail),
15% two tags, 15% ``tag>=0.5``, 10% tag + ``camera:canon after:2015``. Limit 50, explanations on.
Similar: the vector of a random library photo, limit 10, that photo excluded; also with a filter.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .synthetic_library import SyntheticLibrary, label_list

RESULTS = Path(__file__).parent / "results" / "query_scale.md"
DEFAULT_LABELS = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "imagenet-sample"
DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "models"


def load_vocabulary(models_dir: Path):
    from ..core.models.bundle import read_layout
    from ..core.models.vocabulary import WordNetVocabulary

    try:
        path = models_dir / read_layout(models_dir)["vocabulary"]
        return WordNetVocabulary.from_file(path) if path.exists() else None
    except Exception:  # noqa: BLE001 - the benchmark runs without ancestors then, and says so
        return None


def build(folder: Path, size: int, labels, vocabulary, batch: int = 10_000, keyword_only: bool = False) -> dict:
    """Writes ``size`` synthetic photos with the index's own bulk writer (``_insert_fresh``, what
    ``upsert`` uses for new documents, minus its per-batch conflict checks, which synthetic ids
    never need), in big transactions, with the per-label indexes of the tag/object/colour
    tables built once at the end instead of updated by millions of random inserts.
    ``keyword_only``: no embeddings (no vector file, no ANN); similar-photo columns are empty."""
    from ..core.index.embedded import EmbeddedIndex

    if folder.exists():
        shutil.rmtree(folder)
    lib = SyntheticLibrary(size, labels, vocabulary)
    index = EmbeddedIndex(folder, vocabulary=vocabulary)
    conn = index._conn()
    conn.execute("PRAGMA cache_size=-262144")  # 256 MB for the load
    deferred = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                            "AND tbl_name IN ('tags', 'objects', 'colors')").fetchall()
    for name, _ in deferred:
        conn.execute(f"DROP INDEX {name}")
    t0 = time.perf_counter()
    for start in range(0, size, batch):
        docs = list(lib.documents(start, min(size, start + batch), embeddings=not keyword_only))
        with index._write() as c:
            index._insert_fresh(c, docs)
        if start and start % (batch * 10) == 0:
            rate = start / (time.perf_counter() - t0)
            print(f"  {start:>9,} rows  {rate:,.0f}/s", file=sys.stderr, flush=True)
    for _, sql in deferred:
        conn.execute(sql)
    insert_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    index.flush()  # fits the PCA and builds the HNSW graph when the library is big enough
    ann_s = time.perf_counter() - t1
    stats = index.stats()
    index.close()
    info = {"size": size, "insert_s": insert_s, "ann_s": ann_s, "disk_bytes": stats.size_bytes,
            "vocabulary": vocabulary is not None, "keyword_only": keyword_only}
    (folder / "bench-build.json").write_text(json.dumps(info))
    return info


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _keyword_queries(index, rng, count: int) -> list[str]:
    counts = index.tag_counts(limit=100_000)
    labels = [l for l, _ in counts]
    weights = np.array([n for _, n in counts], dtype=float)
    weights /= weights.sum()

    def popular() -> str:
        return labels[rng.choice(len(labels), p=weights)]

    def any_label() -> str:
        return labels[rng.integers(len(labels))]

    def term(label: str) -> str:
        return f'"{label}"' if " " in label else label

    queries = []
    for _ in range(count):
        r = rng.random()
        if r < 0.40:
            queries.append(term(popular()))
        elif r < 0.60:
            queries.append(term(any_label()))
        elif r < 0.75:
            queries.append(f"{term(popular())} {term(any_label())}")
        elif r < 0.90:
            queries.append(f'tag:"{popular()}">=0.5')
        else:
            queries.append(f"{term(popular())} camera:canon after:2015")
    return queries


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def measure(folder: Path, queries: int, vocabulary) -> dict:
    """Runs in a fresh process: open, query, read memory, then compute recall."""
    from photoapp.core.index.embedded.ann import MetricKind
    from photoapp.core.index.embedded.ann import exact_search

    from ..core.index.embedded import EmbeddedIndex
    from ..core.query import parse_query

    rss_start = _status_kb("VmRSS")
    t0 = time.perf_counter()
    index = EmbeddedIndex(folder, vocabulary=vocabulary)
    open_s = time.perf_counter() - t0
    rng = np.random.default_rng(7)

    texts = _keyword_queries(index, rng, queries)
    for text in texts[:10]:  # warm-up: first touches of the database pages
        index.search(parse_query(text, vocabulary))
    keyword, keyword_cpu, hits_per_query = [], [], []
    for text in texts:
        t, c = time.perf_counter(), time.thread_time()
        hits = index.search(parse_query(text, vocabulary), limit=50)
        keyword.append(time.perf_counter() - t)
        keyword_cpu.append(time.thread_time() - c)
        hits_per_query.append(len(hits))

    stats = index.stats()
    n_docs = stats.documents
    kp50, kp99 = _percentiles(keyword)
    keyword_row = {"documents": n_docs, "open_s": open_s, "load_average": os.getloadavg()[0],
                   "keyword_cpu_p50_ms": _percentiles(keyword_cpu)[0],
                   "keyword_cpu_p99_ms": _percentiles(keyword_cpu)[1], "keyword_p50_ms": kp50,
                   "keyword_p99_ms": kp99, "keyword_mean_hits": float(np.mean(hits_per_query)),
                   "slowest": sorted(zip(keyword, texts), reverse=True)[:5]}
    if stats.with_embedding == 0:  # a keyword-only build
        nan = float("nan")
        index.close()
        return {**keyword_row, "similar_cpu_p50_ms": nan, "similar_p50_ms": nan, "similar_p99_ms": nan,
                "filtered_similar_p50_ms": nan, "filtered_similar_p99_ms": nan, "recall_at_10": nan,
                "approximate": False, "rss_mb": _status_kb("VmRSS") / 1024,
                "rss_anon_mb": _status_kb("RssAnon") / 1024, "rss_file_mb": _status_kb("RssFile") / 1024,
                "peak_rss_mb": _status_kb("VmHWM") / 1024, "rss_before_open_mb": rss_start / 1024}
    picks = rng.choice(n_docs, queries, replace=False)
    ids = [f"{int(i):040x}" for i in picks]
    vectors = [index.get(doc_id).embedding for doc_id in ids]
    for vec, doc_id in list(zip(vectors, ids))[:10]:
        index.similar(vec, limit=10, exclude_ids=[doc_id])
    similar, similar_cpu, results = [], [], []
    for vec, doc_id in zip(vectors, ids):
        t, c = time.perf_counter(), time.thread_time()
        hits = index.similar(vec, limit=10, exclude_ids=[doc_id])
        similar.append(time.perf_counter() - t)
        similar_cpu.append(time.thread_time() - c)
        results.append([h.id for h in hits])
    filtered = []
    filter_query = parse_query("camera:canon", vocabulary)
    for vec, doc_id in zip(vectors[: queries // 2], ids):
        t = time.perf_counter()
        index.similar(vec, limit=10, query=filter_query, exclude_ids=[doc_id])
        filtered.append(time.perf_counter() - t)
    # What Library.similar runs: the backend's CANDIDATES nearest, their stored vectors, the
    # core's re-ranking (core/similar_rerank.py), the first 10 kept.
    from ..core.similar_rerank import CANDIDATES, rerank_hits

    reranked, reranked_cpu = [], []
    for vec, doc_id in zip(vectors, ids):
        t, c = time.perf_counter(), time.thread_time()
        rerank_hits(vec, index.similar(vec, limit=CANDIDATES, exclude_ids=[doc_id]), index.embeddings, 10)
        reranked.append(time.perf_counter() - t)
        reranked_cpu.append(time.thread_time() - c)
    rp50, rp99 = _percentiles(reranked)

    memory = {"rss_mb": _status_kb("VmRSS") / 1024, "rss_anon_mb": _status_kb("RssAnon") / 1024,
              "rss_file_mb": _status_kb("RssFile") / 1024, "peak_rss_mb": _status_kb("VmHWM") / 1024,
              "rss_before_open_mb": rss_start / 1024}

    # Recall@10 against exact cosine search over the same stored vectors (after the memory read:
    # the brute force below maps the whole vector file).
    conn = index._conn()
    store = index.vectors
    rows = store._rows
    queries_f16 = np.stack(vectors).astype(np.float16)
    exact = exact_search(rows, queries_f16, 11, MetricKind.Cos, exact=True, threads=os.cpu_count() or 1)
    recalls = []
    for qi, doc_id in enumerate(ids):
        self_slot = conn.execute("SELECT vec_slot FROM photos WHERE id = ?", (doc_id,)).fetchone()[0]
        truth = [int(k) for k in exact.keys[qi] if int(k) != self_slot][:10]
        got = [r[0] for r in conn.execute(
            f"SELECT vec_slot FROM photos WHERE id IN ({','.join('?' * len(results[qi]))})", results[qi])]
        recalls.append(len(set(truth) & set(got)) / 10)
    approximate = store.has_ann
    index.close()
    sp50, sp99 = _percentiles(similar)
    fp50, fp99 = _percentiles(filtered)
    return {**keyword_row, "reranked_similar_p50_ms": rp50, "reranked_similar_p99_ms": rp99,
            "reranked_similar_cpu_p50_ms": _percentiles(reranked_cpu)[0],
            "similar_cpu_p50_ms": _percentiles(similar_cpu)[0], "similar_p50_ms": sp50,
            "similar_p99_ms": sp99, "filtered_similar_p50_ms": fp50, "filtered_similar_p99_ms": fp99,
            "recall_at_10": float(np.mean(recalls)), "approximate": approximate, **memory}


def _table(rows: list[dict], machine: str) -> str:
    head = ("| photos | build (insert + ANN) | keyword p50 / p99 (CPU p50 / p99) | similar p50 / p99 (CPU p50), k=10 | "
            "similar as the app ranks it (100 candidates re-ranked) p50 / p99 (CPU p50) | filtered similar p50 / p99 | recall@10 | vector search | RSS after queries (anon + file) | peak RSS | "
            "disk | load avg |")
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        out.append(
            f"| {r['size']:,} | {r['insert_s']:.0f} s + {r['ann_s']:.0f} s | "
            f"{r['keyword_p50_ms']:.1f} / {r['keyword_p99_ms']:.1f} ms ({r['keyword_cpu_p50_ms']:.1f} / "
            f"{r.get('keyword_cpu_p99_ms', float('nan')):.1f}) | "
            f"{r['similar_p50_ms']:.1f} / {r['similar_p99_ms']:.1f} ms ({r['similar_cpu_p50_ms']:.1f}) | "
            f"{r.get('reranked_similar_p50_ms', float('nan')):.1f} / {r.get('reranked_similar_p99_ms', float('nan')):.1f} ms "
            f"({r.get('reranked_similar_cpu_p50_ms', float('nan')):.1f}) | "
            f"{r['filtered_similar_p50_ms']:.1f} / {r['filtered_similar_p99_ms']:.1f} ms | "
            f"{r['recall_at_10']:.3f} | {'PCA-128 HNSW + exact re-rank' if r['approximate'] else 'exact'} | "
            f"{r['rss_mb']:.0f} MB ({r['rss_anon_mb']:.0f} + {r['rss_file_mb']:.0f}) | {r['peak_rss_mb']:.0f} MB | "
            f"{r['disk_bytes'] / 2**30:.2f} GiB | {r['load_average']:.1f} |")
    out.append("")
    out.append("Latency is wall-clock per query in one fresh process; CPU p50 is that thread's CPU time, "
               "which a busy shared machine (load avg column: 1-minute load when measured) does not inflate. "
               "RSS is VmRSS from /proc/self/status after all queries (anonymous + file-backed pages); "
               "peak is VmHWM.")
    out.append("")
    out.append(f"Machine: {machine}. Targets: keyword p50 <= 10 ms at 100k; similar p50 <= 20 ms at 1M with "
               "recall@10 >= 0.95; RSS <= 1 GB with 1M indexed.")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/photoapp-query-scale"))
    ap.add_argument("--labels-from", type=Path, default=DEFAULT_LABELS,
                    help="folder of nXXXX_label.JPEG files to take class names from")
    ap.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS, help="for the WordNet vocabulary")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--reuse", action="store_true", help="keep an index already built for a size")
    ap.add_argument("--keyword-only", action="store_true",
                    help="build without embeddings (much faster); similar-photo columns stay empty")
    ap.add_argument("--output", type=Path, default=RESULTS)
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the fresh process
    args = ap.parse_args(argv)

    vocabulary = load_vocabulary(args.models_dir)
    if args.measure:
        print(json.dumps(measure(args.measure, args.queries, vocabulary)))
        return 0

    labels = label_list(args.labels_from)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        folder = args.workdir / f"index-{size}"
        info_path = folder / "bench-build.json"
        if args.reuse and info_path.exists():
            info = json.loads(info_path.read_text())
        else:
            print(f"building {size:,} photos in {folder}", file=sys.stderr, flush=True)
            info = build(folder, size, labels, vocabulary, keyword_only=args.keyword_only)
        print(f"  built: {info}", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, "-m", "photoapp.bench.query_scale", "--measure", str(folder),
                               "--queries", str(args.queries), "--models-dir", str(args.models_dir)],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        row = {**info, **json.loads(proc.stdout.strip().splitlines()[-1])}
        print(f"  measured: {row}", file=sys.stderr, flush=True)
        rows.append(row)

    machine = f"{os.cpu_count()} CPUs ({os.uname().machine}), Python {sys.version.split()[0]}"
    table = _table(rows, machine)
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("# Embedded index query scale\n\nCommand: `python -m photoapp.bench.query_scale "
                           + " ".join(argv if argv is not None else sys.argv[1:]) + "`\n\n" + table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
