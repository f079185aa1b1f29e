"""Request bodies: bounded in size and time, JSON checked before GraphQL sees it, and every
refusal answered as JSON with `extensions.code` (never text/plain, never a 500).

- A JSON body is at most `max_body` bytes (1 MB): read whole here (a GraphQL request is
  small), checked to be an object with no lone surrogate in any string (they cannot be
  encoded for the database later), then handed on. Too big → 413 `REQUEST_TOO_LARGE`;
  not JSON, not an object, an array (batching is off) → 400 `BAD_REQUEST`.
- A multipart upload streams through, counted against `max_upload` (200 MB).
- A body that stalls longer than `read_timeout` between chunks → 408 `REQUEST_TIMEOUT`
  (one byte every ten seconds used to hold a connection forever).
- Errors the GraphQL layer answers as text/plain (no query, a GET mutation …) are
  rewritten as JSON errors with a code; anything that would be a 500 is masked with the
  request id, as the GraphQL error policy does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import request_id

log = logging.getLogger("orgcover.http")
#: Longest message quoted back from a refusal.
MAX_MESSAGE = 200
#: The content types a POST may have (Strawberry parses any type *containing* JSON).
ACCEPTED = frozenset({b"application/json", b"multipart/form-data"})
#: Slowest average rate an upload may arrive at, bytes per second.
MIN_UPLOAD_RATE = 64 * 1024


class RequestRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class BodyMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int,
                 read_timeout: float) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/graphql"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        started = False

        async def send_json_errors(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            declared = _content_length(headers)
            if scope["method"] in ("POST", "PUT", "PATCH"):
                if content_type not in ACCEPTED:
                    raise RequestRefused(415, "BAD_REQUEST",
                                         "send application/json (or multipart/form-data "
                                         "for uploads)")
                if content_type == b"multipart/form-data":
                    if declared is not None and declared > self.max_upload:
                        raise _too_large(self.max_upload, "ORGCOVER_MAX_UPLOAD_BYTES")
                    receive = self._counted(receive, self.max_upload)
                else:
                    if declared is not None and declared > self.max_body:
                        raise _too_large(self.max_body, "ORGCOVER_MAX_BODY_BYTES")
                    body = await self._read_all(receive)
                    if content_type == b"application/json":
                        _check_json(body)
                    receive = _replay(body, receive)
            await self.app(scope, receive, _TextErrorsAsJson(send_json_errors))
        except RequestRefused as refused:
            if started:
                raise
            await _answer(send, refused.status, refused.code, refused.message)

    async def _read_all(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        # a whole JSON body within three pauses' worth: a byte every few seconds must not
        # hold a connection for days
        deadline = asyncio.get_running_loop().time() + 3 * self.read_timeout
        while True:
            message = await self._next(receive, deadline)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _too_large(self.max_body, "ORGCOVER_MAX_BODY_BYTES")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _counted(self, receive: Receive, limit: int) -> Receive:
        size = 0
        # an upload may take long, but not for ever: at least 64 KB/s on average
        started = asyncio.get_running_loop().time()

        async def counted() -> Message:
            nonlocal size
            deadline = started + 3 * self.read_timeout + size / MIN_UPLOAD_RATE
            message = await self._next(receive, max(deadline, asyncio.get_running_loop()
                                                    .time() + 1))
            size += len(message.get("body", b""))
            if size > limit:
                raise _too_large(limit, "ORGCOVER_MAX_UPLOAD_BYTES")
            return message

        return counted

    async def _next(self, receive: Receive, deadline: float | None = None) -> Message:
        loop = asyncio.get_running_loop()
        limit = loop.time() + self.read_timeout
        if deadline is not None:
            limit = min(limit, deadline)
        try:
            async with asyncio.timeout_at(limit):
                message = await receive()
        except TimeoutError:
            raise RequestRefused(408, "REQUEST_TIMEOUT",
                                 f"the request body stalled for {self.read_timeout:g} s "
                                 "(setting: ORGCOVER_BODY_READ_TIMEOUT)") from None
        if message["type"] == "http.disconnect":
            raise RequestRefused(400, "BAD_REQUEST", "the client went away mid-body")
        return message


class _TextErrorsAsJson:
    """`send` that turns a text/plain error response into the GraphQL error shape."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.held: Message | None = None
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", ()))
            kind = headers.get(b"content-type", b"")
            if message["status"] >= 400 and not kind.startswith(b"application/json"):
                self.held = message
                return
            await self.send(message)
            return
        if self.held is None:
            await self.send(message)
            return
        self.body += message.get("body", b"")
        if message.get("more_body", False):
            return
        status = int(self.held["status"])
        if status >= 500:
            log.error("HTTP %d from the GraphQL layer: %s", status, self.body[:200])
            await _answer(self.send, 500, "INTERNAL", "Internal server error",
                          {"requestId": request_id.get()})
        else:
            text = self.body.decode("utf-8", "replace")[:MAX_MESSAGE]
            code = "BAD_REQUEST" if status != 405 else "METHOD_NOT_ALLOWED"
            await _answer(self.send, status, code, text)


def _content_length(headers: dict[bytes, bytes]) -> int | None:
    raw = headers.get(b"content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise RequestRefused(400, "BAD_REQUEST", "Content-Length is not a number") from None


def _too_large(limit: int, setting: str) -> RequestRefused:
    return RequestRefused(413, "REQUEST_TOO_LARGE",
                          f"the request body is larger than {limit:,} bytes (setting: {setting})")


def _check_json(body: bytes) -> None:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise RequestRefused(400, "BAD_REQUEST", "the body is not valid JSON (or nests too "
                                                 "deep)") from None
    if isinstance(document, list):
        raise RequestRefused(400, "BAD_REQUEST",
                             "batched requests are not supported: send one operation")
    if not isinstance(document, dict):
        raise RequestRefused(400, "BAD_REQUEST",
                             'the body must be a JSON object: {"query": "…", "variables": {}}')
    if _has_surrogate(document):
        raise RequestRefused(400, "BAD_REQUEST",
                             "the body holds a lone UTF-16 surrogate (\\ud800-\\udfff), which "
                             "is not text: fix the client's encoding")


def _has_surrogate(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if depth > 64:
        return False
    if isinstance(value, dict):
        return any(_has_surrogate(k, depth + 1) or _has_surrogate(v, depth + 1)
                   for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v, depth + 1) for v in value)
    return False


def _replay(body: bytes, then: Receive) -> Receive:
    """The body read here, once; after it, the connection's own messages (a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()

    return receive


async def _answer(send: Send, status: int, code: str, message: str,
                  extra: dict[str, Any] | None = None) -> None:
    body = json.dumps({"errors": [{"message": message,
                                   "extensions": {"code": code, **(extra or {})}}]},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
