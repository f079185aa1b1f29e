"""uvicorn as `orgcover serve` runs it: limits for slow and many clients.

uvicorn times out idle keep-alive connections but not a request whose headers arrive one
byte at a time: such a client holds its connection for ever (an attacker held them with
a byte every ten seconds). `SlowHeaderGuard` closes a connection whose request line and
headers are not complete within `HEADER_TIMEOUT` seconds of its first byte (or of the
connection); bodies are timed by app/body.py. Concurrency is capped
(`ORGCOVER_LIMIT_CONCURRENCY`: uvicorn answers 503 beyond it) and idle connections are
closed after `ORGCOVER_KEEP_ALIVE_TIMEOUT` seconds. In production a reverse proxy should
do the same in front (README has an nginx snippet).
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from graph.errors import ConfigError

#: Seconds a request's line and headers may take to arrive.
HEADER_TIMEOUT = 10.0


class SlowHeaderGuard(HttpToolsProtocol):
    header_timeout = HEADER_TIMEOUT

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._in_headers = True  # until the first request's headers are complete
        self._header_timer: asyncio.TimerHandle | None = self.loop.call_later(
            self.header_timeout, self._headers_too_slow)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._restart()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._stop()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def _restart(self) -> None:
        self._stop()
        self._header_timer = self.loop.call_later(self.header_timeout,
                                                  self._headers_too_slow)

    def _stop(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        """Close while a request's headers are still arriving (on a keep-alive connection
        the previous request's finished cycle is still there: it says nothing)."""
        self._header_timer = None
        if self._in_headers:
            self.transport.close()


def uvicorn_options(settings: Any) -> dict[str, Any]:
    """The uvicorn settings `serve` passes (also for `uvicorn app.main:create_app`)."""
    return {"http": SlowHeaderGuard, "limit_concurrency": settings.limit_concurrency,
            "timeout_keep_alive": settings.keep_alive_timeout,
            "h11_max_incomplete_event_size": 64 * 1024, "timeout_graceful_shutdown": 10}


def bind_listener(host: str, port: int) -> socket.socket:
    """The listening socket `serve` hands uvicorn, bound before anything else starts.

    Bound first so that a busy port is one line naming it and its setting, before the
    store starts, the demo loads or anything claims to be serving (uvicorn binding late
    printed "serving … at …" and then exited 3).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is already in use: stop what listens there, or "
                "choose another port with --port", setting="ORGCOVER_PORT") from None
        if exc.errno == errno.EACCES:
            raise ConfigError(
                f"not allowed to listen on port {port} (below 1024 needs privileges): "
                "choose another port with --port", setting="ORGCOVER_PORT") from None
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}): check --host",
                          setting="ORGCOVER_HOST") from None
    sock.set_inheritable(True)
    return sock
