"""ASGI middleware of the app: request ids, and the guard every request passes."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.sessions import Sessions, cookie_of
from app.logs import request_id
from app.web import ASSET_PREFIX, DASHBOARD_PREFIX
from graph.errors import OrgcoverError, Unauthenticated
from resolvers.access import Caller

log = logging.getLogger("orgcover.http")
#: A caller's X-Request-Id longer than this is cut (it ends up in every log line).
MAX_REQUEST_ID = 64
_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]+")


class RequestIdMiddleware:
    """Every HTTP request gets an id, the caller's `X-Request-Id` or a new one: set for the
    logs while the request runs, and sent back in the response's header.

    Plain ASGI on purpose: Starlette's `BaseHTTPMiddleware` (`@app.middleware("http")`)
    runs the endpoint in a task of its own behind memory streams, which took about a third
    of a small GraphQL request's CPU on the 2-core VM (bench/RESULTS.md).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == b"x-request-id"),
                     b"")
        # letters, digits, - and _ only: an id goes into every log line (no dots: a
        # token's signed parts cannot ride in on it)
        rid = given.decode("latin-1")[:MAX_REQUEST_ID]
        if not rid or not _REQUEST_ID.fullmatch(rid):
            rid = uuid.uuid4().hex[:16]
        header = (b"x-request-id", rid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _with_header(message, header)
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


def _with_header(message: MutableMapping[str, Any], header: tuple[bytes, bytes]) -> Message:
    return {**message, "headers": [*message.get("headers", ()), header]}


#: Paths that answer without a token (probes; they name no data).
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
#: Sign-in and sign-out: they check what they are given themselves; a POST to them needs
#: a preflight header whatever its content type (no cross-site sign-in or sign-out). The
#: OIDC sign-in is GETs only: the provider sends the browser back cross-site, and the
#: state bound to the browser's cookie is that callback's CSRF check (app/auth/oidc.py).
SESSION_PATHS = frozenset({"/login", "/logout", "/login/oidc", "/login/oidc/callback"})
#: Content types a browser may send cross-site without a preflight (CSRF).
SIMPLE_TYPES = frozenset({"multipart/form-data", "text/plain",
                          "application/x-www-form-urlencoded", ""})
#: Any of these headers forces a browser to preflight, which CORS then refuses cross-site
#: (Apollo Server's convention, so Apollo upload clients keep working).
PREFLIGHT_HEADERS = (b"apollo-require-preflight", b"x-apollo-operation-name",
                     b"x-orgcover-csrf")

Verify = Callable[[str | None], Awaitable[Caller]]
Reject = Callable[[Scope, str, str], None]


class GuardMiddleware:
    """Every request but the probes passes here: Host allow-list (DNS rebinding), CSRF
    preflight rule, then the bearer token → a verified caller in `scope["state"]`.

    A request without an Authorization header may instead carry the dashboard's session
    cookie (app/auth/sessions.py); it then needs a preflight header whatever its method
    and content type: a browser attaches cookies by itself, so the header is what shows
    the request came from our own page's script.

    Refusals answer in the GraphQL error shape with `extensions.code`, so clients read
    them like any other error. `on_reject` is told of each refusal (the access log).
    """

    def __init__(self, app: ASGIApp, *, verify: Verify, hosts: tuple[str, ...] | None,
                 graphiql: bool, on_reject: Reject | None = None,
                 sessions: Sessions | None = None) -> None:
        self.app = app
        self.sessions = sessions
        self.verify = verify
        self.hosts = hosts
        self.graphiql = graphiql
        self.on_reject = on_reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # no subscriptions are served: nothing to guard
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self.hosts is not None:
            host = _host_name(headers.get(b"host", b""))
            if host not in self.hosts:
                await self._refuse(scope, send, 400, "HOST_NOT_ALLOWED",
                                   f"Host {host[:64]!r} is not served here "
                                   "(setting: ORGCOVER_ALLOWED_HOSTS)")
                return
        method = scope["method"]
        query = scope.get("query_string", b"")
        preflighted = any(headers.get(name) for name in PREFLIGHT_HEADERS)
        if scope["path"] in SESSION_PATHS:
            if method == "POST" and not preflighted:
                await self._refuse_csrf(scope, send)
                return
            await self.app(scope, receive, send)
            return
        if method in ("GET", "HEAD") and self._static_page(scope["path"], query, headers):
            await self.app(scope, receive, send)  # static pages and files: no data
            return
        if _needs_preflight(method, headers, query) and not preflighted:
            await self._refuse_csrf(scope, send)
            return
        authorization = headers.get(b"authorization")
        sid = cookie_of(headers) if authorization is None and self.sessions else None
        if sid is not None and self.sessions is not None:
            if not preflighted:
                await self._refuse_csrf(scope, send)
                return
            session_caller = self.sessions.caller(sid)
            if session_caller is None:
                await self._refuse(scope, send, 401, "UNAUTHENTICATED",
                                   "session ended or unknown: sign in again at /login")
                return
            scope.setdefault("state", {})["caller"] = session_caller
            await self.app(scope, receive, send)
            return
        try:
            caller = await self.verify(authorization.decode("latin-1")
                                       if authorization else None)
        except Unauthenticated as exc:
            await self._refuse(scope, send, 401, exc.code, exc.message, {
                b"www-authenticate": b'Bearer error="invalid_token"'})
            return
        except OrgcoverError as exc:  # the store could not say whether the place exists
            log.warning("token not verified: %s", exc)
            await self._refuse(scope, send, 503, "STORE_UNAVAILABLE",
                               "the token cannot be verified now; try again later")
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)

    async def _refuse_csrf(self, scope: Scope, send: Send) -> None:
        await self._refuse(scope, send, 400, "CSRF_PREFLIGHT_REQUIRED",
                           "this request could be forged cross-site: send it with one of "
                           "the headers apollo-require-preflight, x-apollo-operation-name "
                           "or x-orgcover-csrf (any non-empty value)")

    def _static_page(self, path: str, query: bytes, headers: dict[bytes, bytes]) -> bool:
        """`/` (the dashboard's page or the sign-in page) and the dashboard's files, and
        with GraphiQL on its page and files: they name no data (the dashboard's figures
        come from /graphql), and a browser loads files without the Authorization header."""
        if path in ("/", "/favicon.ico") or path.startswith(DASHBOARD_PREFIX):
            return True
        if not self.graphiql:
            return False
        if path == "/graphql":
            return not query and b"text/html" in headers.get(b"accept", b"")
        return path.startswith(ASSET_PREFIX)

    async def _refuse(self, scope: Scope, send: Send, status: int, code: str, message: str,
                      extra: dict[bytes, bytes] | None = None) -> None:
        if self.on_reject is not None:
            self.on_reject(scope, code, message)
        body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]},
                          ensure_ascii=False).encode()
        # close: the body was not read, and a client must not keep the connection by
        # dripping it (uvicorn would discard the bytes with no timer)
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                   *(extra or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _host_name(raw: bytes) -> str:
    host = raw.decode("latin-1").strip().lower()
    if host.startswith("["):
        return host[:host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _needs_preflight(method: str, headers: dict[bytes, bytes], query: bytes) -> bool:
    if method in ("GET", "HEAD"):
        return bool(query)
    if method != "POST":
        return False
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    return content_type.split(";", 1)[0].strip().lower() in SIMPLE_TYPES
