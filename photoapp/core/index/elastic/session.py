"""The live connection to the cluster: one client, the server's capabilities, a circuit breaker.

``connection.py`` turns settings into a client and exceptions into typed errors; a ``Session``
holds that client for one backend and decides *when* to talk: after a failure it waits
(exponential backoff, ``max_backoff`` at most) before trying again, so a dead cluster costs one
timeout, not one per call. Every request goes through ``call`` (typed errors out, breaker tripped
when the cluster is unreachable).
"""
from __future__ import annotations

import time
from collections.abc import Callable

from ...errors import BackendUnavailable
from ...settings import Settings
from .connection import ServerInfo, build_client, cluster_key, server_info, set_compat_major, translate_error


class Session:
    def __init__(self, settings: Settings, *, request_timeout: float = 30.0, backoff_base: float = 0.5,
                 max_backoff: float = 30.0):
        self.settings = settings
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self.client = build_client(settings, request_timeout=request_timeout, max_retries=1)
        self.server: ServerInfo | None = None
        # Run after each fresh connection (the layout checks the index is still ours).
        self.on_connect: Callable[[], None] | None = None
        self._retry_at = 0.0  # no connection attempt before this time
        self._failures = 0

    @property
    def where(self) -> str:
        return cluster_key(self.settings)

    @property
    def backing_off(self) -> bool:
        return time.monotonic() < self._retry_at

    def retry_now(self) -> None:
        """The next call tries at once, whatever the breaker says (an explicit flush)."""
        self._retry_at = 0.0

    def connect(self) -> None:
        if self.server is not None:
            return
        if self.backing_off:
            raise BackendUnavailable(f"Elasticsearch at {self.where} is unreachable "
                                     f"(next try in {self._retry_at - time.monotonic():.0f} s)")
        try:
            info = server_info(self.client)
        except BackendUnavailable:
            self.trip()
            raise
        set_compat_major(self.client, info)
        self.server = info
        self._failures = 0
        if self.on_connect is not None:
            self.on_connect()

    def reconnect(self) -> None:
        """Forget the connection: the next ``connect`` asks the server (and re-checks) again."""
        self.server = None

    def trip(self) -> None:
        """Remember a failure: later calls do not wait on a dead cluster every time."""
        self._failures += 1
        self.server = None
        delay = min(self.max_backoff, self.backoff_base * 2 ** (self._failures - 1))
        self._retry_at = time.monotonic() + delay

    def backoff(self, failures: int) -> float:
        return min(self.max_backoff, self.backoff_base * 2 ** (failures - 1))

    def call(self, what: str, fn):
        """Run one request; typed errors out, breaker tripped when unreachable."""
        self.connect()
        try:
            return fn()
        except Exception as exc:
            raise self.error(exc, what) from None

    def error(self, exc: Exception, what: str):
        """The typed error for ``exc``; trips the breaker when the cluster is unreachable."""
        err = translate_error(exc, what)
        if isinstance(err, BackendUnavailable):
            self.trip()
        return err

    def close(self) -> None:
        self.client.close()
