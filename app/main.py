"""FastAPI app factory: the lifespan owns the store; one way in for the caller.

Request → guard middleware (Host, CSRF, bearer token or the dashboard's session cookie →
verified `Caller`) → context getter (`Context(store, caller=…)`) → resolvers through
`info.context`. Only /healthz and /readyz
answer without a token; the access log records every GraphQL request and every refusal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Scope

from app.access_log import AccessLog
from app.auth.oidc import OidcClient, OidcConfig
from app.auth.sessions import Sessions
from app.auth.tokens import AuthConfig, ClaimPaths, PlaceCheck, TokenVerifier
from app.body import BodyMiddleware
from app.dashboard import mount_dashboard
from app.graphql import build_schema
from app.logs import request_id
from app.loop import tuned_for_serving
from app.middleware import PREFLIGHT_HEADERS, GuardMiddleware, RequestIdMiddleware
from app.offloop import OffLoop
from app.settings import Settings
from app.web import LocalGraphiQLRouter, mount
from graph.deadline import within
from graph.errors import OrgcoverError
from graph.factory import open_store
from graph.queries.admin import PING
from graph.repo.audits import place_by_code
from graph.store import GraphStore
from loaders.pii import IdProtector
from resolvers.access import NOBODY, Caller
from resolvers.bounds import ReadBounds
from resolvers.context import Context

log = logging.getLogger("orgcover.app")
#: Seconds /readyz waits for the database's answer.
READY_TIMEOUT = 1.0


async def get_context(request: Request) -> Context:
    # the guard verified the caller of every request but the static GraphiQL page
    caller: Caller = getattr(request.state, "caller", NOBODY)
    store: GraphStore = request.app.state.store
    settings: Settings = request.app.state.settings
    bounds: ReadBounds = request.app.state.bounds
    return Context(store, caller=caller, request_id=request_id.get() or "-",
                   protector=IdProtector(settings.pii_secret_value), bounds=bounds,
                   whole_store=await bounds.whole_store(caller.jurisdiction))


def auth_config(settings: Settings) -> AuthConfig:
    return AuthConfig(
        secret=settings.auth_secret_value, public_key=settings.auth_public_key,
        jwks_url=settings.auth_jwks_url, issuer=settings.auth_issuer,
        audience=settings.auth_audience, leeway=settings.auth_leeway,
        claims=ClaimPaths(sub=settings.auth_sub_claim, name=settings.auth_name_claim,
                          roles=settings.auth_roles_claim,
                          jurisdiction=settings.auth_jurisdiction_claim),
        role_map=settings.auth_role_map,
        max_lifetime=settings.auth_max_lifetime_days * 86400)


def oidc_client(settings: Settings, *, place_exists: PlaceCheck) -> OidcClient | None:
    """The identity provider's sign-in, when configured; claims are mapped as bearer
    tokens' are (the same claim paths and role map)."""
    url, client_id, secret = (settings.oidc_discovery_url, settings.oidc_client_id,
                              settings.oidc_client_secret)
    if url is None or client_id is None or secret is None:  # the settings: all or none
        return None
    config = auth_config(settings)
    return OidcClient(OidcConfig(
        discovery_url=url, client_id=client_id, client_secret=secret.get_secret_value(),
        scopes=settings.oidc_scopes, redirect_url=settings.oidc_redirect_url,
        leeway=config.leeway, claims=config.claims, role_map=config.role_map,
        max_lifetime=config.max_lifetime), place_exists=place_exists)


def create_app(settings: Settings | None = None, *, store: GraphStore | None = None) -> FastAPI:
    """Build the app. With `store`, the caller owns it (CLI `serve`, tests); otherwise the
    lifespan opens the configured store and closes it on shutdown. Refuses to build
    without a way to verify tokens, or with an OIDC redirect URL taken from an untrusted
    Host (ConfigError naming the settings)."""
    settings = (settings or Settings()).with_demo_secrets()
    settings.require_auth()
    settings.require_oidc_redirect()
    access_log = AccessLog(settings.access_log_path(),
                           retention_days=settings.access_log_retention_days)
    off_loop = OffLoop()  # costly queries complete there (app/offloop.py)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None:
            app.state.store = store
            app.state.bounds = ReadBounds(store)
            try:
                with tuned_for_serving():
                    yield
            finally:
                await off_loop.close(last=store.release_loop)
            return
        opened = await open_store(settings.store_config())
        app.state.store = opened
        if settings.neo4j_plan_ahead:
            opened.plan_ahead()
        app.state.bounds = ReadBounds(opened)
        try:
            with tuned_for_serving():
                yield
        finally:
            await off_loop.close(last=opened.release_loop)
            await opened.close()

    app = FastAPI(title="orgcover", version="0.1.0", lifespan=lifespan,
                  description="GraphQL knowledge graph for organizational coverage",
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.access_log = access_log

    async def place_exists(code: str) -> bool:
        return await place_by_code(app.state.store, code=code) is not None

    verifier = TokenVerifier(auth_config(settings), place_exists=place_exists)
    sessions = Sessions()
    app.state.sessions = sessions  # `serve --demo` adds its one-time login ticket

    def refused(scope: Scope, code: str, message: str) -> None:
        if scope["path"].startswith("/graphql"):
            client = scope.get("client")
            app.state.access_log.append({
                "request_id": request_id.get(), "sub": None, "roles": [],
                "jurisdiction": None, "operation": None, "fields": [], "persons": 0,
                "errors": [code], "duration_ms": 0.0,
                "client": client[0] if client else None})

    # added innermost first: RequestId → CORS → Guard → Body → routes
    app.add_middleware(BodyMiddleware, max_body=settings.max_body_bytes,
                       max_upload=settings.max_upload_bytes,
                       read_timeout=settings.body_read_timeout)
    app.add_middleware(GuardMiddleware, verify=verifier.verify_header,
                       hosts=settings.host_allow_list(), graphiql=settings.graphiql,
                       on_reject=refused, sessions=sessions)
    origins = settings.cors_origin_list()
    if origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "x-request-id",
                           *(h.decode() for h in PREFLIGHT_HEADERS)],
            expose_headers=["x-request-id"], max_age=600)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> Response:
        """The database answers a trivial query within a second (503 otherwise: a store
        busy with someone's long statement is not ready for more). Names no paths."""
        current: GraphStore | None = getattr(request.app.state, "store", None)
        if current is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        try:
            with within(READY_TIMEOUT):
                async with asyncio.timeout(READY_TIMEOUT):
                    await current.read(PING)
        except (OrgcoverError, TimeoutError) as exc:
            log.warning("not ready: %s", exc)
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready", "backend": current.backend})

    router = LocalGraphiQLRouter(
        build_schema(lambda entry: app.state.access_log.append(entry),
                     suggestions=settings.demo, max_cost=settings.max_query_cost,
                     request_timeout=settings.request_timeout, off_loop=off_loop),
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphiql else None,
        multipart_uploads_enabled=True,  # loadRosters; CSRF is the guard's preflight rule
        subscription_protocols=(),  # none served (websockets are closed by the guard)
    )
    app.include_router(router, prefix="/graphql")
    mount(app, router, graphiql=settings.graphiql, node_modules=settings.node_modules_dir())
    mount_dashboard(app, sessions=sessions, verifier=verifier,
                    node_modules=settings.node_modules_dir(),
                    oidc=oidc_client(settings, place_exists=place_exists))
    return app
