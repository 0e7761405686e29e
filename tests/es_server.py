"""Test helper: a real local server speaking the Elasticsearch REST API (noida-db).

``NoidaServer`` runs the ``noida-db`` binary with only its Elasticsearch listener, on 127.0.0.1,
a free port and a data folder of our choosing, and can stop (SIGTERM or SIGKILL) and restart it
on the same folder: the fault tests need a real process to die.

The ``es_url`` fixture gives the URL of a cluster for the whole session: ``PHOTOAPP_TEST_ES_URL``
when set (a real Elasticsearch), else a noida-db started here. Tests isolate themselves with a
unique ``index_prefix`` (``es_settings``), so one server serves them all.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from importlib.resources import files
from pathlib import Path

import pytest

REAL_ES_ENV = "PHOTOAPP_TEST_ES_URL"


def noida_binary() -> Path | None:
    try:
        path = Path(str(files("noida_db").joinpath("noida-db")))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoidaServer:
    def __init__(self, data_dir: Path, port: int | None = None):
        binary = noida_binary()
        if binary is None:
            pytest.skip("noida-db is not installed (pip install noida-db)")
        if not os.access(binary, os.X_OK):
            binary.chmod(0o755)
        self.binary = binary
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir.parent / f"noida-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "NoidaServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(self.binary), "start", "--data-dir", str(self.data_dir), "--host", "127.0.0.1",
             "--only", "elasticsearch", "--elasticsearch-port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"noida-db exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1) as r:
                    if json.load(r).get("version", {}).get("number"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"noida-db did not answer on {self.url} within {timeout} s")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = None
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def es_url(tmp_path_factory):
    """URL of an Elasticsearch-speaking server for the whole session."""
    real = os.environ.get(REAL_ES_ENV)
    if real:
        yield real
        return
    server = NoidaServer(tmp_path_factory.mktemp("noida") / "data").start()
    try:
        yield server.url
    finally:
        server.stop()


def make_es_settings(url: str, data_dir: Path, prefix: str | None = None):
    from photoapp.core.settings import Settings

    s = Settings(data_dir=Path(data_dir), backend=url)
    s.elasticsearch.index_prefix = prefix or f"t{uuid.uuid4().hex[:10]}"
    if url == os.environ.get(REAL_ES_ENV):
        # a real cluster: its user and CA from the environment (secrets stay in PHOTOAPP_ES_*)
        s.elasticsearch.username = os.environ.get("PHOTOAPP_TEST_ES_USER") or None
        s.elasticsearch.ca_cert = os.environ.get("PHOTOAPP_TEST_ES_CA") or None
    return s


@pytest.fixture
def es_settings(es_url, tmp_path):
    """Settings pointing at the session server, with an index prefix of this test's own."""
    return make_es_settings(es_url, tmp_path / "data")


def open_contract_backend(request, storage: Path, vocabulary=None):
    """The contract suite's factory body: an ElasticIndex whose index name comes from
    ``storage``, so reopening with the same folder reopens the same index."""
    import hashlib

    from photoapp.core.index.elastic.backend import ElasticIndex

    url = request.getfixturevalue("es_url")
    prefix = "c" + hashlib.sha1(str(storage).encode()).hexdigest()[:12]
    settings = make_es_settings(url, Path(storage) / "es-data", prefix)
    if not getattr(request.node, "_es_cleanup", False):
        request.node._es_cleanup = True
        request.addfinalizer(lambda: drop_indices(settings))
    return ElasticIndex(settings, vocabulary=vocabulary)


def drop_indices(settings) -> None:
    """Delete a test's indices and template (a real cluster keeps them otherwise)."""
    from photoapp.core.index.elastic import mapping as es_mapping
    from photoapp.core.index.elastic.connection import connect

    prefix = settings.elasticsearch.index_prefix
    try:
        es = connect(settings)[0]
    except Exception:
        return  # the server is gone (a fault test stopped it): nothing to clean
    try:
        # Deleting by wildcard is refused by default (action.destructive_requires_name): list first.
        for name in es.indices.get(index=f"{prefix}-photos*", expand_wildcards="all").body:
            es.options(ignore_status=404).indices.delete(index=name)
        es.options(ignore_status=404).indices.delete_index_template(name=es_mapping.template_name(prefix))
    finally:
        es.close()
