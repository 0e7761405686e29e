"""Settings -> Elasticsearch client, with secrets and typed errors.

Secrets (an API key or a password) never live in ``Settings``: they come from the environment
(``PHOTOAPP_ES_API_KEY`` / ``PHOTOAPP_ES_PASSWORD``) or the OS keyring (service "photoapp"),
so ``settings.save()`` cannot write them and nothing here logs them.

``connect(settings)`` makes one ``GET /`` and turns every way that can fail into one of the typed
errors in ``photoapp.core.errors``; ``test_connection(settings)`` is the GUI button.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ...errors import (BackendAuthError, BackendError, BackendTLSError, BackendUnavailable,
                      BackendVersionError, ConfigError)
from ...settings import Settings

log = logging.getLogger(__name__)

KEYRING_SERVICE = "photoapp"
API_KEY_ENV = "PHOTOAPP_ES_API_KEY"
PASSWORD_ENV = "PHOTOAPP_ES_PASSWORD"
MIN_SERVER_MAJOR = 8

_COMPAT_RE = re.compile(r"compatible-with=\d+")


@dataclass(frozen=True)
class ServerInfo:
    version: tuple[int, int, int]
    distribution: str  # "elasticsearch" (what GET / calls itself)
    name: str

    @property
    def major(self) -> int:
        return self.version[0]

    def at_least(self, major: int, minor: int = 0) -> bool:
        return self.version[:2] >= (major, minor)


@dataclass(frozen=True)
class Credentials:
    api_key: str | None = None
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never print a secret, even by accident in a traceback
        return (f"Credentials(api_key={'***' if self.api_key else None}, username={self.username!r}, "
                f"password={'***' if self.password else None})")


# --- where to connect ---------------------------------------------------------------------
def is_elasticsearch_url(backend: str) -> bool:
    return backend.lower().startswith(("http://", "https://"))


def cluster_urls(settings: Settings) -> list[str]:
    """The URLs to use: ``settings.backend`` when it is a URL, else ``elasticsearch.urls``.

    A username in a URL (https://elastic@host:9200) is accepted; a password is refused, because a
    URL is persisted in settings.json and secrets must not be.
    """
    urls = [settings.backend] if is_elasticsearch_url(settings.backend) else list(settings.elasticsearch.urls)
    clean = []
    for url in urls:
        parts = urlsplit(url)
        if parts.password:
            raise ConfigError("the Elasticsearch URL contains a password; remove it and put it in "
                              f"the {PASSWORD_ENV} environment variable or the OS keyring instead")
        clean.append(url.rstrip("/"))
    return clean


def cluster_key(settings: Settings) -> str:
    """A stable name for the cluster (keyring account and outbox file name); no credentials."""
    es = settings.elasticsearch
    if es.cloud_id:
        return "cloud:" + es.cloud_id.split(":", 1)[0]
    urls = cluster_urls(settings)
    if not urls:
        raise ConfigError("no Elasticsearch URL or cloud id configured "
                          "(set backend to https://host:9200 or elasticsearch.urls)")
    first = urlsplit(urls[0])
    host = first.hostname or ""
    netloc = host + (f":{first.port}" if first.port else "")
    return urlunsplit((first.scheme, netloc, first.path, "", ""))


def _username(settings: Settings) -> str | None:
    if settings.elasticsearch.username:
        return settings.elasticsearch.username
    for url in cluster_urls(settings):
        if urlsplit(url).username:
            return urlsplit(url).username
    return None


def _strip_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if not parts.username:
        return url
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


# --- secrets --------------------------------------------------------------------------------
def _keyring_account(settings: Settings, kind: str) -> str:
    user = _username(settings) or ""
    return f"elasticsearch-{kind}:{user + '@' if kind == 'password' else ''}{cluster_key(settings)}"


def _keyring_get(account: str) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - keyring is a declared dependency
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, account)
    except KeyringError as exc:  # no usable OS keyring (headless Linux): fall back to env only
        log.debug("OS keyring unavailable: %s", type(exc).__name__)
        return None
    except Exception as exc:  # some backends raise plain errors (D-Bus); never fail a connect on it
        log.debug("OS keyring lookup failed: %s", type(exc).__name__)
        return None


def read_credentials(settings: Settings) -> Credentials:
    """Environment first (explicit wins), then the OS keyring."""
    api_key = os.environ.get(API_KEY_ENV) or _keyring_get(_keyring_account(settings, "api-key"))
    username = _username(settings)
    password = None
    if username:
        password = os.environ.get(PASSWORD_ENV) or _keyring_get(_keyring_account(settings, "password"))
    return Credentials(api_key=api_key or None, username=username, password=password or None)


def store_secret(settings: Settings, *, api_key: str | None = None, password: str | None = None) -> None:
    """Save a secret in the OS keyring (the GUI's settings dialog calls this). Raises
    ``ConfigError`` when there is no usable keyring, naming the environment variable instead."""
    import keyring
    from keyring.errors import KeyringError

    try:
        if api_key is not None:
            keyring.set_password(KEYRING_SERVICE, _keyring_account(settings, "api-key"), api_key)
        if password is not None:
            if not _username(settings):
                raise ConfigError("set elasticsearch.username before storing a password")
            keyring.set_password(KEYRING_SERVICE, _keyring_account(settings, "password"), password)
    except KeyringError as exc:
        raise ConfigError(f"no usable OS keyring ({type(exc).__name__}); set {API_KEY_ENV} or "
                          f"{PASSWORD_ENV} in the environment instead") from None


# --- client ---------------------------------------------------------------------------------
def _compat_transport_class():
    """A Transport that rewrites ``compatible-with=N`` in Accept/Content-Type.

    The 9.x Python client asks for ``compatible-with=9``, which an 8.x server refuses (HTTP 400);
    every 8.x and 9.x server accepts ``compatible-with=8``. We start with 8 and, once ``GET /``
    has told us the server's major version, ask for min(server, client).
    """
    from elastic_transport import Transport

    class CompatTransport(Transport):
        compat_major: int = MIN_SERVER_MAJOR

        def perform_request(self, method, target, *, headers=None, **kwargs):  # type: ignore[override]
            if headers:
                for name in ("accept", "content-type"):
                    value = headers.get(name)
                    if value and "compatible-with=" in value:
                        headers[name] = _COMPAT_RE.sub(f"compatible-with={self.compat_major}", value)
            return super().perform_request(method, target, headers=headers, **kwargs)

    return CompatTransport


def build_client(settings: Settings, *, request_timeout: float = 30.0, max_retries: int = 2):
    """An ``Elasticsearch`` client for these settings; makes no request."""
    from elasticsearch import Elasticsearch

    es = settings.elasticsearch
    creds = read_credentials(settings)
    kwargs: dict = {
        "request_timeout": request_timeout,
        "max_retries": max_retries,
        "retry_on_timeout": True,
        "transport_class": _compat_transport_class(),
    }
    if es.cloud_id:
        kwargs["cloud_id"] = es.cloud_id
    else:
        urls = [_strip_userinfo(u) for u in cluster_urls(settings)]
        if not urls:
            raise ConfigError("no Elasticsearch URL or cloud id configured")
        kwargs["hosts"] = urls
    if creds.api_key:
        kwargs["api_key"] = creds.api_key
    elif creds.username:
        if creds.password is None:
            raise ConfigError(f"Elasticsearch user {creds.username!r} has no password: set "
                              f"{PASSWORD_ENV} or store it in the OS keyring")
        kwargs["basic_auth"] = (creds.username, creds.password)
    uses_tls = bool(es.cloud_id) or any(u.lower().startswith("https") for u in kwargs.get("hosts", []))
    if uses_tls:
        kwargs["verify_certs"] = es.verify_tls
        if es.ca_cert:
            if not os.path.isfile(es.ca_cert):
                raise ConfigError(f"CA certificate file not found: {es.ca_cert}")
            kwargs["ca_certs"] = es.ca_cert
        if not es.verify_tls:
            kwargs["ssl_show_warn"] = False
            log.warning("TLS certificate verification is OFF for %s", cluster_key(settings))
    return Elasticsearch(**kwargs)


def set_compat_major(client, server: ServerInfo) -> None:
    from elasticsearch import __versionstr__

    client_major = int(__versionstr__.split(".")[0])
    client.transport.compat_major = min(server.major, client_major)


def translate_error(exc: Exception, where: str = "") -> BackendError:
    """One typed error for anything the client raises."""
    import elastic_transport
    from elasticsearch import (ApiError, AuthenticationException, AuthorizationException,
                               UnsupportedProductError)

    prefix = f"{where}: " if where else ""
    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, elastic_transport.TlsError):
        return BackendTLSError(f"{prefix}TLS failure talking to Elasticsearch "
                               f"(certificate or protocol): {_short(exc)}")
    if isinstance(exc, (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout)):
        return BackendUnavailable(f"{prefix}Elasticsearch is unreachable: {_short(exc)}")
    if isinstance(exc, AuthenticationException):
        return BackendAuthError(f"{prefix}Elasticsearch rejected the credentials (HTTP 401)")
    if isinstance(exc, AuthorizationException):
        return BackendAuthError(f"{prefix}the Elasticsearch user lacks a privilege (HTTP 403): "
                                f"{_reason(exc)}")
    if isinstance(exc, UnsupportedProductError):
        return BackendVersionError(f"{prefix}the server is not Elasticsearch: {exc.message}")
    if isinstance(exc, ApiError):
        if exc.meta.status in (502, 503, 504):
            return BackendUnavailable(f"{prefix}Elasticsearch is not ready (HTTP {exc.meta.status}): "
                                      f"{_reason(exc)}")
        return BackendError(f"{prefix}Elasticsearch error (HTTP {exc.meta.status}): {_reason(exc)}")
    return BackendError(f"{prefix}{type(exc).__name__}: {_short(exc)}")


def _reason(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return f"{err.get('type', '')}: {err.get('reason', '')}".strip(": ")
    return str(getattr(exc, "message", exc))[:300]


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__


def server_info(client) -> ServerInfo:
    """``GET /`` -> ServerInfo; raises the typed errors (version check included)."""
    try:
        info = client.info().body
    except Exception as exc:
        raise translate_error(exc, "connect") from None
    number = str(info.get("version", {}).get("number", "0.0.0"))
    distribution = info.get("version", {}).get("distribution", "elasticsearch")
    if distribution != "elasticsearch":  # OpenSearch answers GET / too, with another distribution
        raise BackendVersionError(f"the server is {distribution} {number}, not Elasticsearch")
    parts = [int(p) for p in re.findall(r"\d+", number)[:3]] + [0, 0, 0]
    version = (parts[0], parts[1], parts[2])
    if version[0] < MIN_SERVER_MAJOR:
        raise BackendVersionError(f"Elasticsearch {number} is too old: photoapp needs 8.0 or newer "
                                  "(dense_vector kNN search)")
    return ServerInfo(version=version, distribution=distribution, name=str(info.get("name", "")))


def connect(settings: Settings, **client_kwargs):
    """(client, ServerInfo) after one successful ``GET /``."""
    client = build_client(settings, **client_kwargs)
    info = server_info(client)
    set_compat_major(client, info)
    return client, info


def test_connection(settings: Settings) -> tuple[bool, str]:
    """For the GUI's "Test connection" button: never raises, the message says what is wrong."""
    client = None
    try:
        client, info = connect(settings, request_timeout=10.0, max_retries=0)
        v = ".".join(map(str, info.version))
        return True, f"Connected to Elasticsearch {v} at {cluster_key(settings)}"
    except (BackendError, ConfigError) as exc:
        return False, str(exc)
    except Exception as exc:  # the button must always get an answer
        return False, str(translate_error(exc))
    finally:
        if client is not None:
            client.close()
