"""Connection settings, secrets and typed connection errors.

noida-db has no authentication and no TLS, so credentials, TLS and version checks run against tiny
real HTTP(S) servers started here that answer like Elasticsearch does (same status codes, error
bodies and headers). Every request they receive is recorded, so the tests see exactly what the
client sent.
"""
from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from photoapp.core.errors import (BackendAuthError, BackendTLSError, BackendUnavailable, BackendVersionError,
                                  ConfigError)
from photoapp.core.index.elastic import connection as conn
from photoapp.core.settings import Settings

from es_server import free_port

SECRET = "s3cr3t-VALUE-9f8e7d"


def info_body(number: str) -> dict:
    return {"name": "fake", "cluster_name": "c", "cluster_uuid": "u", "tagline": "You Know, for Search",
            "version": {"number": number, "build_flavor": "default", "lucene_version": "9.11.1",
                        "minimum_wire_compatibility_version": "7.17.0",
                        "minimum_index_compatibility_version": "7.0.0"}}


AUTH_ERROR = {"error": {"root_cause": [{"type": "security_exception",
                                        "reason": "unable to authenticate user [elastic] for REST request [/]"}],
                        "type": "security_exception",
                        "reason": "unable to authenticate user [elastic] for REST request [/]"},
              "status": 401}


class FakeES:
    """A real HTTP(S) server on 127.0.0.1 answering ``GET /`` like Elasticsearch."""

    def __init__(self, *, version: str = "8.15.3", require_auth: str | None = None, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _reply(self, status: int, body: dict, product: bool = True, extra: dict | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if product:
                    self.send_header("X-Elastic-Product", "Elasticsearch")
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                fake.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}})
                if require_auth and self.headers.get("Authorization") != require_auth:
                    return self._reply(401, AUTH_ERROR, product=False,
                                       extra={"WWW-Authenticate": 'Basic realm="security" charset="UTF-8"'})
                if self.path == "/":
                    return self._reply(200, info_body(version))
                return self._reply(200, {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}})

            do_POST = do_GET
            do_HEAD = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def settings_for(tmp_path, url: str, **es) -> Settings:
    s = Settings(data_dir=tmp_path / "data", backend=url)
    for k, v in es.items():
        setattr(s.elasticsearch, k, v)
    return s


@pytest.fixture(autouse=True)
def no_secret_env(monkeypatch):
    monkeypatch.delenv(conn.API_KEY_ENV, raising=False)
    monkeypatch.delenv(conn.PASSWORD_ENV, raising=False)


# --- errors --------------------------------------------------------------------------------
def test_unreachable_is_backend_unavailable(tmp_path):
    s = settings_for(tmp_path, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(BackendUnavailable, match="unreachable"):
        conn.connect(s, max_retries=0)
    ok, message = conn.test_connection(s)
    assert not ok and "unreachable" in message


def test_bad_credentials_is_backend_auth_error(tmp_path, monkeypatch):
    monkeypatch.setenv(conn.PASSWORD_ENV, "wrong")
    with FakeES(require_auth="Basic ZWxhc3RpYzpyaWdodA==") as fake:  # elastic:right
        s = settings_for(tmp_path, fake.url, username="elastic")
        with pytest.raises(BackendAuthError, match="401"):
            conn.connect(s)
        ok, message = conn.test_connection(s)
        assert not ok and "credentials" in message
        monkeypatch.setenv(conn.PASSWORD_ENV, "right")
        assert conn.test_connection(s)[0]


def test_old_server_is_backend_version_error(tmp_path):
    with FakeES(version="7.17.9") as fake:
        with pytest.raises(BackendVersionError, match="7.17.9"):
            conn.connect(settings_for(tmp_path, fake.url))


def test_8x_server_is_asked_for_compatible_with_8(tmp_path):
    with FakeES(version="8.15.3") as fake:
        client, info = conn.connect(settings_for(tmp_path, fake.url))
        client.search(index="x", query={"match_all": {}})
        client.close()
    assert info.version == (8, 15, 3)
    accepts = [r["headers"].get("accept", "") for r in fake.requests]
    assert accepts and all("compatible-with=8" in a for a in accepts), accepts


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "ca.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx, cert_path


def test_untrusted_certificate_is_backend_tls_error_and_ca_cert_fixes_it(tmp_path):
    pytest.importorskip("cryptography")
    ctx, ca = _self_signed(tmp_path)
    with FakeES(tls=ctx) as fake:
        with pytest.raises(BackendTLSError, match="TLS"):
            conn.connect(settings_for(tmp_path, fake.url), max_retries=0)
        ok, message = conn.test_connection(settings_for(tmp_path, fake.url, ca_cert=str(ca)))
        assert ok, message
        # verify_tls off also connects (the user's explicit choice; a warning is logged)
        assert conn.test_connection(settings_for(tmp_path, fake.url, verify_tls=False))[0]


def test_missing_ca_file_and_password_in_url_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="CA certificate"):
        conn.build_client(settings_for(tmp_path, "https://127.0.0.1:9", ca_cert=str(tmp_path / "nope.pem")))
    with pytest.raises(ConfigError, match="password"):
        conn.build_client(settings_for(tmp_path, "https://elastic:hunter2@127.0.0.1:9200"))


# --- secrets ------------------------------------------------------------------------------
def test_api_key_from_env_is_sent_but_never_saved_or_logged(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(conn.API_KEY_ENV, SECRET)
    caplog.set_level(logging.DEBUG)
    with FakeES(require_auth=f"ApiKey {SECRET}") as fake:
        s = settings_for(tmp_path, fake.url)
        ok, message = conn.test_connection(s)
        assert ok, message
        s.save()
    assert fake.requests[0]["headers"]["authorization"] == f"ApiKey {SECRET}"
    assert SECRET not in s.config_path.read_text()
    assert SECRET not in caplog.text
    assert SECRET not in repr(conn.read_credentials(s))


class MemoryKeyring:
    """A real keyring backend object kept in memory (this machine has no OS keyring)."""

    def __new__(cls):
        from keyring.backend import KeyringBackend

        class _Memory(KeyringBackend):
            priority = 1

            def __init__(self):
                super().__init__()
                self.store: dict[tuple[str, str], str] = {}

            def get_password(self, service, username):
                return self.store.get((service, username))

            def set_password(self, service, username, password):
                self.store[(service, username)] = password

            def delete_password(self, service, username):
                self.store.pop((service, username), None)

        return _Memory()


@pytest.fixture
def memory_keyring():
    import keyring

    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_password_from_keyring(tmp_path, memory_keyring, caplog):
    caplog.set_level(logging.DEBUG)
    basic = base64.b64encode(f"elastic:{SECRET}".encode()).decode()
    with FakeES(require_auth=f"Basic {basic}") as fake:
        s = settings_for(tmp_path, fake.url, username="elastic")
        with pytest.raises(ConfigError, match="no password"):
            conn.build_client(s)
        conn.store_secret(s, password=SECRET)
        assert memory_keyring.store[("photoapp", conn._keyring_account(s, "password"))] == SECRET
        ok, message = conn.test_connection(s)
        assert ok, message
        s.save()
    saved = s.config_path.read_text()
    assert SECRET not in saved and basic not in saved
    assert SECRET not in caplog.text and basic not in caplog.text


def test_env_wins_over_keyring(tmp_path, memory_keyring, monkeypatch):
    s = settings_for(tmp_path, "https://es.example:9200")
    conn.store_secret(s, api_key="from-keyring")
    assert conn.read_credentials(s).api_key == "from-keyring"
    monkeypatch.setenv(conn.API_KEY_ENV, "from-env")
    assert conn.read_credentials(s).api_key == "from-env"


def test_no_keyring_means_a_clear_error_when_storing(tmp_path):
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        s = settings_for(tmp_path, "https://es.example:9200")
        assert conn.read_credentials(s).api_key is None  # reading just finds nothing
        with pytest.raises(ConfigError, match=conn.API_KEY_ENV):
            conn.store_secret(s, api_key="x")
    finally:
        keyring.set_keyring(previous)


def test_cluster_key_and_urls(tmp_path):
    s = settings_for(tmp_path, "https://elastic@es.example:9200/")
    assert conn.cluster_urls(s) == ["https://elastic@es.example:9200"]
    assert conn.cluster_key(s) == "https://es.example:9200"
    s2 = Settings(data_dir=tmp_path, backend="embedded")
    s2.elasticsearch.urls = ["http://a:9200", "http://b:9200"]
    assert conn.cluster_urls(s2) == ["http://a:9200", "http://b:9200"]
