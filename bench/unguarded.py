"""The API without its guard, for `bench.http`'s "auth off" figure only.

The same app as `app.main:create_app`, except that the guard middleware (Host, CSRF,
token verification) is replaced by one that makes every request the operator (no
jurisdiction), and the access log writes nothing: what the mix costs with no notion of
who is asking, as before the security issue. Never served outside the benchmark.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app import main
from app.middleware import GuardMiddleware
from resolvers.access import OPERATOR


class _AsOperator:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["caller"] = OPERATOR
        await self.app(scope, receive, send)


class _NoLog:
    def append(self, entry: Any) -> None:
        pass


def create_app() -> FastAPI:
    app = main.create_app()
    app.user_middleware = [Middleware(_AsOperator) if _is_guard(m) else m
                           for m in app.user_middleware]
    app.state.access_log = _NoLog()
    return app


def _is_guard(middleware: Middleware) -> bool:
    return getattr(middleware, "cls", None) is GuardMiddleware
