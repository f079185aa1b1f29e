"""ASGI middleware of the app."""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import request_id

#: A caller's X-Request-Id longer than this is cut (it ends up in every log line).
MAX_REQUEST_ID = 64


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
        rid = given.decode("latin-1")[:MAX_REQUEST_ID] or uuid.uuid4().hex[:16]
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
