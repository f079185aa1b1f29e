"""FastAPI app factory: lifespan owns the store; context getter hands it to resolvers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

from app.graphql import build_schema
from app.logs import request_id
from app.middleware import RequestIdMiddleware
from app.settings import Settings
from graph.errors import OrgcoverError
from graph.factory import open_store
from graph.store import GraphStore
from loaders.pii import IdProtector
from resolvers.context import Context

log = logging.getLogger("orgcover.app")


async def get_context(request: Request) -> Context:
    store: GraphStore = request.app.state.store
    settings: Settings = request.app.state.settings
    return Context(store, request_id=request_id.get() or "-",
                   protector=IdProtector(settings.pii_secret_value))


def create_app(settings: Settings | None = None, *, store: GraphStore | None = None) -> FastAPI:
    """Build the app. With `store`, the caller owns it (CLI `serve`, tests); otherwise the
    lifespan opens the configured store and closes it on shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None:
            app.state.store = store
            yield
            return
        opened = await open_store(settings.store_config())
        app.state.store = opened
        try:
            yield
        finally:
            await opened.close()

    app = FastAPI(title="orgcover", version="0.1.0", lifespan=lifespan,
                  description="GraphQL knowledge graph for organizational coverage")
    app.state.settings = settings

    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> Response:
        """The database answers (503 otherwise)."""
        current: GraphStore | None = getattr(request.app.state, "store", None)
        if current is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        try:
            await current.ping()
        except OrgcoverError as exc:
            return JSONResponse({"status": "unavailable", "detail": exc.message},
                                status_code=503)
        return JSONResponse({"status": "ready", "backend": current.backend})

    router: GraphQLRouter[Context, None] = GraphQLRouter(
        build_schema(), context_getter=get_context,
        graphql_ide="graphiql" if settings.graphiql else None,
        multipart_uploads_enabled=True,  # loadRosters takes files (no cookie auth to forge)
    )
    app.include_router(router, prefix="/graphql")
    return app
