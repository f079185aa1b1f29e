"""What a browser gets without a token: GraphiQL served from local files.

GraphiQL is the page Strawberry ships, but its six files (React, ReactDOM, GraphiQL and
its explorer plugin, two style sheets) come from `node_modules` — installed from the npm
registry at the versions pinned in package.json / package-lock.json — instead of a public
CDN: a government intranet reaches no CDN, and the page then never left "Loading…". The
integrity hashes are the ones Strawberry's page pins for the CDN copies, so a different
version installed by mistake is refused by the browser (and by the tests) rather than
served. Strawberry's js-cookie file is dropped: it only read Django's CSRF cookie.

The page and its files name no data, so the guard lets them through without a token
(Host allow-list still applies); queries from the page carry the caller's bearer token,
typed into GraphiQL's Headers pane, like any client. Everything is `'self'` under a
Content-Security-Policy with no inline script.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.requests import Request
from strawberry.fastapi import GraphQLRouter

log = logging.getLogger("orgcover.web")

#: Where the browser files are fetched from (the guard lets GET/HEAD under it through).
ASSET_PREFIX = "/graphiql/"
#: The dashboard's files (app/dashboard.py), likewise.
DASHBOARD_PREFIX = "/dashboard/"


@dataclass(frozen=True)
class Asset:
    name: str  # served as ASSET_PREFIX + name
    path: str  # inside node_modules (or the bundled page script beside this module)
    media_type: str
    integrity: str | None  # sha384 Strawberry's page pins for the same version


JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"

#: In load order. Versions: package.json (react 18.2.0, graphiql 3.8.3, plugin 1.0.2).
GRAPHIQL_ASSETS: tuple[Asset, ...] = (
    Asset("graphiql.min.css", "graphiql/graphiql.min.css", CSS,
          "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"),
    Asset("plugin-explorer.css", "@graphiql/plugin-explorer/dist/style.css", CSS,
          "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi"),
    Asset("react.production.min.js", "react/umd/react.production.min.js", JS,
          "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"),
    Asset("react-dom.production.min.js", "react-dom/umd/react-dom.production.min.js", JS,
          "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh"),
    Asset("graphiql.min.js", "graphiql/graphiql.min.js", JS,
          "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"),
    Asset("plugin-explorer.umd.js", "@graphiql/plugin-explorer/dist/index.umd.js", JS,
          "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9"),
)
#: Our own start-up script (inline scripts would need 'unsafe-inline' in the CSP).
PAGE_SCRIPT = Asset("orgcover-graphiql.js", "static/graphiql.js", JS, None)

#: Everything from this host; GraphiQL's editor sets inline styles and its CSS embeds
#: fonts as data: URLs.
GRAPHIQL_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
#: Asset names are fixed, their bytes change only with package.json: cache for an hour.
ASSET_CACHE = "public, max-age=3600"
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


def asset_file(asset: Asset, node_modules: Path) -> Path:
    """Our own files live in app/static/; the rest come from the npm packages."""
    if asset.path.startswith("static/"):
        return Path(__file__).resolve().parent / asset.path
    return node_modules / asset.path


def asset_response(found: Asset | None, node_modules: Path, cache: str) -> Response:
    """One named file with its type and the security headers, or a plain 404."""
    path = asset_file(found, node_modules) if found else None
    if found is None or path is None or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type=found.media_type,
                        headers={"cache-control": cache, **SECURITY_HEADERS})


def missing_assets(node_modules: Path) -> list[str]:
    return [a.path for a in GRAPHIQL_ASSETS if not asset_file(a, node_modules).is_file()]


def graphiql_page(missing: list[str]) -> str:
    """The GraphiQL page: local files only; or, when `npm ci` was not run, a page saying
    so (rather than one stuck on "Loading…")."""
    if missing:
        return _PAGE.format(head="", body=(
            "<p>GraphiQL's files are not installed on this server (missing: "
            f"{html.escape(', '.join(missing))}). Run <code>npm ci</code> in the project "
            "directory (<code>make install</code> does), or set ORGCOVER_NODE_MODULES to "
            "where they are.</p><p>GraphQL itself answers POST requests at /graphql.</p>"))
    head = "\n".join(
        f'    <link rel="stylesheet" href="{ASSET_PREFIX}{a.name}" '
        f'integrity="{a.integrity}">' for a in GRAPHIQL_ASSETS if a.media_type == CSS)
    scripts = [*(a for a in GRAPHIQL_ASSETS if a.media_type == JS), PAGE_SCRIPT]
    body = '<div id="graphiql">Loading…</div>\n' + "\n".join(
        f'    <script src="{ASSET_PREFIX}{a.name}"'
        + (f' integrity="{a.integrity}"' if a.integrity else "") + "></script>"
        for a in scripts)
    return _PAGE.format(head=head, body=body)


_PAGE = """<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8">
    <title>orgcover GraphiQL</title>
    <link rel="icon" href="data:,">
{head}
    <style>
      body {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }}
      #graphiql {{ height: 100vh; display: flex; }}
      .graphiql-explorer-actions select {{ margin-left: 4px; }}
    </style>
  </head>
  <body>
    {body}
  </body>
</html>
"""


class LocalGraphiQLRouter(GraphQLRouter[Any, None]):
    """Strawberry's router, answering the IDE request with the local-files page."""

    page_html: str = ""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self.page_html, headers={
            "content-security-policy": GRAPHIQL_CSP, "cache-control": "no-cache",
            **SECURITY_HEADERS})


def mount(app: FastAPI, router: LocalGraphiQLRouter, *, graphiql: bool,
          node_modules: Path) -> None:
    """GraphiQL's page and files when it is on (`/` is the dashboard's: app/dashboard.py)."""
    if not graphiql:
        return
    missing = missing_assets(node_modules)
    if missing:
        log.warning("GraphiQL files missing under %s (%s): run `npm ci`", node_modules,
                    ", ".join(missing))
    router.page_html = graphiql_page(missing)
    files = {a.name: a for a in (*GRAPHIQL_ASSETS, PAGE_SCRIPT)}

    @app.api_route(ASSET_PREFIX + "{name}", methods=["GET", "HEAD"], include_in_schema=False)
    async def asset(name: str) -> Response:
        return asset_response(files.get(name), node_modules, ASSET_CACHE)
