"""Faults with a real server process: stopped mid-indexing, down at start-up, overloaded (429).

Each test runs its own noida-db on its own data folder, so it can stop and restart it. The server
is stopped with SIGTERM: noida-db writes its data to disk about once a second rather than before
acknowledging a write, so after a SIGKILL it can lose writes it already acknowledged, which real
Elasticsearch (translog fsync per request) does not (docs/elasticsearch.md).
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from es_server import NoidaServer, make_es_settings
from photoapp.core.errors import BackendUnavailable
from photoapp.core.index.elastic.backend import ElasticIndex
from photoapp.core.records import PhotoDocument, Tag

DIM = 16


def photo(i: int, folder: str = "/lib") -> PhotoDocument:
    v = np.random.default_rng(i).normal(size=DIM).astype(np.float32)
    return PhotoDocument(id=f"{i:040x}", paths=[f"{folder}/p{i:05d}.jpg"], tags=[Tag("dog", 0.5 + (i % 50) / 100)],
                         embedding=v / np.linalg.norm(v))


def fast_index(settings, **kw) -> ElasticIndex:
    """Short timeouts and backoff, so the tests do not wait on a dead server for long."""
    return ElasticIndex(settings, request_timeout=5.0, backoff_base=0.05, max_backoff=0.5, **kw)


@pytest.fixture
def server(tmp_path):
    srv = NoidaServer(tmp_path / "noida").start()
    yield srv
    srv.stop()


def assert_exactly_once(ix: ElasticIndex, expected: list[PhotoDocument]) -> None:
    docs = list(ix.iter_documents())
    ids = [d.id for d in docs]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(d.id for d in expected)
    assert ix.stats().documents == len(expected)
    paths = [p for d in docs for p in d.paths]
    assert len(paths) == len(set(paths))  # every path shows exactly one document


def test_server_stopped_mid_indexing_and_restarted(server, tmp_path):
    settings = make_es_settings(server.url, tmp_path / "app")
    ix = fast_index(settings, chunk_docs=40, connect_attempts=2)
    expected = [photo(i) for i in range(1200)]
    stopped = threading.Event()
    stopping_at: list[float] = []
    acked_at: list[tuple[float, list[str]]] = []  # what the server said it stored, and when
    outbox_ack = ix.outbox.ack
    seq_to_id: dict[int, str] = {}
    outbox_peek = ix.outbox.peek_batch

    def peek_and_remember(max_ops):
        batch = outbox_peek(max_ops)
        seq_to_id.update((op.seq, op.doc_id) for op in batch)
        return batch

    def ack_and_remember(seqs, settled=()):
        acked_at.append((time.monotonic(), [seq_to_id[s] for s in seqs]))
        outbox_ack(seqs, settled)

    ix.outbox.peek_batch = peek_and_remember
    ix.outbox.ack = ack_and_remember

    def stop_soon():
        time.sleep(0.3)
        stopping_at.append(time.monotonic())
        server.stop()  # a real process stop while bulk requests are flowing
        stopped.set()

    killer = threading.Thread(target=stop_soon)
    killer.start()
    for i in range(0, len(expected), 20):
        ix.upsert(expected[i:i + 20])  # never raises: while down, changes queue in the outbox
        if i == 600:
            stopped.wait(10)
    killer.join()
    assert ix.pending_changes() > 0, "the server went down after everything was sent; stop it sooner"
    with pytest.raises(BackendUnavailable):
        ix.stats()  # reads say the cluster is down
    with pytest.raises(BackendUnavailable):
        ix.flush()  # and flush says what is still queued
    server.start()  # same port, same data folder
    time.sleep(0.6)  # let the circuit breaker's wait pass
    ix.flush()
    assert ix.pending_changes() == 0
    # noida-db persists about once a second, so a stop can lose writes it acknowledged in its last
    # moments (real Elasticsearch fsyncs its translog before acknowledging). Those are the server's
    # loss; anything else missing would be ours: an op that left the outbox unacknowledged.
    present = {d.id for d in ix.iter_documents()}
    lost = {d.id for d in expected} - present
    server_lost_window = {i for at, ids in acked_at if at >= stopping_at[0] - 1.5 for i in ids}
    assert lost <= server_lost_window, f"lost without the server acknowledging them: {sorted(lost - server_lost_window)}"
    if lost:  # what the server dropped is re-sent, the rest must be there exactly once
        ix.upsert([d for d in expected if d.id in lost])
        ix.flush()
    assert_exactly_once(ix, expected)
    ix.close()


def test_down_at_start_then_back_nothing_lost(tmp_path):
    srv = NoidaServer(tmp_path / "noida")  # not started yet
    settings = make_es_settings(srv.url, tmp_path / "app")
    ix = fast_index(settings)  # opening while down is allowed
    docs = [photo(i) for i in range(30)]
    ix.upsert(docs)
    ix.set_paths(docs[0].id, ["/lib/renamed.jpg"])
    ix.delete([docs[1].id])
    # docs[2]'s file changed content: the catalog sends the new document, then the old one's
    # remaining paths (none: deleted); docs[3]'s file was removed.
    ix.upsert([PhotoDocument(id="f" * 40, paths=[docs[2].path])])
    ix.set_paths(docs[2].id, [])
    ix.set_paths(docs[3].id, [])
    with pytest.raises(BackendUnavailable):
        ix.search(ix_query("dog"))
    # Queued and not deleted by a later queued op: these count as indexed already.
    assert ix.pending_ids() == {d.id for d in docs} - {docs[1].id, docs[2].id, docs[3].id} | {"f" * 40}
    # 30 upserts, rename (update), delete, new content (index), two path removals (deletes)
    assert ix.pending_changes() == 30 + 1 + 1 + 1 + 2
    ix.close()  # the app quits while the cluster is still down

    srv.start()
    try:
        again = fast_index(settings)  # a new session sends what the last one queued, in order
        again.flush()
        assert again.pending_changes() == 0
        assert again.get(docs[0].id).paths == ["/lib/renamed.jpg"]
        assert again.get(docs[1].id) is None
        assert again.get(docs[2].id) is None  # lost its only path to the new content
        assert again.get_by_path(docs[2].path).id == "f" * 40
        assert again.get(docs[3].id) is None
        assert again.stats().documents == 30 - 3 + 1
        again.close()
    finally:
        srv.stop()


def ix_query(text):
    from photoapp.core.query import parse_query

    return parse_query(text)


class Overloaded:
    """A real HTTP proxy in front of noida-db answering the first ``rejections`` bulk requests
    with Elasticsearch's 429 (es_rejected_execution_exception), like a busy cluster."""

    def __init__(self, upstream: str, rejections: int):
        self.upstream, self.left, self.rejected = upstream, rejections, 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.split("?")[0].endswith("/_bulk") and proxy.left > 0:
                    proxy.left -= 1
                    proxy.rejected += 1
                    data = json.dumps({"error": {"type": "es_rejected_execution_exception",
                                                 "reason": "rejected execution (queue capacity 200)"},
                                       "status": 429}).encode()
                    return self._send(429, {"Content-Type": "application/json",
                                            "X-Elastic-Product": "Elasticsearch"}, data)
                req = urllib.request.Request(proxy.upstream + self.path, data=body or None, method=self.command,
                                             headers={k: v for k, v in self.headers.items()
                                                      if k.lower() not in ("host", "content-length")})
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        self._send(r.status, dict(r.headers.items()), r.read())
                except urllib.error.HTTPError as e:
                    self._send(e.code, dict(e.headers.items()), e.read())

            def _send(self, status, headers, data):
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() in ("content-type", "x-elastic-product"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_429_is_retried_with_backoff(server, tmp_path):
    proxy = Overloaded(server.url, rejections=3)
    try:
        ix = fast_index(make_es_settings(proxy.url, tmp_path / "app"), chunk_docs=25)
        docs = [photo(i) for i in range(100)]
        ix.upsert(docs)
        ix.flush()
        assert proxy.rejected == 3
        assert ix.pending_changes() == 0
        assert_exactly_once(ix, docs)
        ix.close()
    finally:
        proxy.close()


def test_photos_queued_while_the_cluster_is_down_are_not_analysed_again(tmp_path, photo_dir, counting_bundle):
    """Issue 12: the outbox holds the documents, so the catalog records them and the next run
    does not run the models on them again; they reach the cluster once it is back."""
    from photoapp.core.library import Library
    from photoapp.core.settings import default_models_dir

    srv = NoidaServer(tmp_path / "noida")  # down from the start
    settings = make_es_settings(srv.url, tmp_path / "app")
    settings.models_dir = default_models_dir()  # as tests/conftest.py's settings
    lib = Library.open(settings, backend=fast_index(settings), bundle=counting_bundle)
    try:
        lib.add_folder(photo_dir)
        first = lib.index([photo_dir])
        analysed = counting_bundle.calls
        assert first.indexed > 0 and analysed > 0
        assert len(lib.backend.pending_ids()) == first.indexed  # queued, not sent
        status = lib.status()
        assert not status.backend_ok
        assert any(f"{first.indexed} photo(s) queued" in w for w in status.warnings)
    finally:
        lib.close()
    srv.start()
    try:
        lib = Library.open(settings, backend=fast_index(settings), bundle=counting_bundle)
        try:
            second = lib.index([photo_dir])
            assert counting_bundle.calls == analysed  # no photo analysed twice
            assert second.indexed == 0
            lib.backend.flush()
            assert lib.backend.pending_ids() == set()
            assert lib.backend.stats().documents == first.indexed
        finally:
            lib.close()
    finally:
        srv.stop()


def test_refused_changes_are_listed_by_library_errors_and_status(tmp_path, server):
    from photoapp.core.library import Library

    settings = make_es_settings(server.url, tmp_path / "app")
    lib = Library.open(settings, backend=fast_index(settings))
    try:
        lib.backend.upsert([photo(1)])
        lib.backend.flush()
        bad = photo(2)
        bad.embedding = np.ones(DIM + 1, dtype=np.float32)  # the index holds DIM dimensions
        lib.backend.upsert([bad])
        lib.backend.flush()
        (record,) = [e for e in lib.errors() if e.reason == "rejected-by-index"]
        assert record.path == bad.id  # the catalog does not know this test document's files
        assert "HTTP 400" in record.detail
        status = lib.status()
        assert status.errors >= 1 and any("refused 1 change" in w for w in status.warnings)
    finally:
        lib.close()


def test_one_sender_per_outbox_across_processes(tmp_path, server):
    """The GUI and the CLI share one outbox file: while another process sends from it (holding
    its send lock), a flush here waits instead of sending the same ops concurrently."""
    settings = make_es_settings(server.url, tmp_path / "app")
    ix = fast_index(settings)
    try:
        ix.upsert([photo(i) for i in range(5)])
        lock_path = ix.outbox.path.with_name(ix.outbox.path.name + ".send-lock")
        holder = subprocess.Popen([sys.executable, "-c", (
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(lock_path)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(1.5)\n")],
            stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        ix.flush()
        waited = time.monotonic() - started
        holder.wait(10)
        assert waited >= 1.0, f"flush did not wait for the other sender ({waited:.2f} s)"
        assert ix.pending_changes() == 0 and ix.stats().documents == 5
    finally:
        ix.close()
