"""What a browser loads: GraphiQL from this host only (no CDN), and the page at `/`."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from app.main import create_app
from app.web import GRAPHIQL_ASSETS
from graph.store import GraphStore
from tests.auth import bearer, settings

BASE = "http://127.0.0.1"
HTML = {"accept": "text/html"}
ROOT = Path(__file__).resolve().parent.parent


class _References(HTMLParser):
    """Every URL a page makes the browser fetch (scripts, styles, icons, images …), and
    whether any script is inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str | None]] = []  # (tag, url, integrity)
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href", "data", "poster", "action"):
            if a.get(name):
                self.urls.append((tag, a[name] or "", a.get("integrity")))
        self._in_script = tag == "script" and not a.get("src")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


def _references(page: str) -> _References:
    parser = _References()
    parser.feed(page)
    return parser


@pytest.fixture
async def client(tiny_store: GraphStore, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A browser: no Authorization header (pages and their files load without one)."""
    app = create_app(settings(tmp_path, graphiql=True), store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


async def test_graphiql_loads_every_file_from_this_host(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    refs = _references(page.text)
    assert refs.inline_scripts == 0  # the CSP below allows none
    fetched = dict.fromkeys(("script", "link"), 0)
    for tag, url, integrity in refs.urls:
        if url.startswith("data:"):
            continue  # the favicon: nothing fetched
        absolute = urljoin(BASE + "/graphql", url)
        assert urlsplit(absolute).netloc == urlsplit(BASE).netloc, url  # relative or same host
        response = await client.get(absolute)
        assert response.status_code == 200, url
        expected = "text/javascript" if tag == "script" else "text/css"
        assert response.headers["content-type"].split(";")[0] == expected, url
        assert response.headers["x-content-type-options"] == "nosniff"
        if integrity is not None:  # the bytes Strawberry's page pins on the CDN
            digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
            assert integrity == f"sha384-{digest}", url
        fetched[tag] += 1
    assert fetched == {"script": 5, "link": 2}  # React, ReactDOM, GraphiQL, explorer, ours
    # the policy lets the browser reach nothing but this host
    csp = dict(part.strip().split(" ", 1) for part in
               page.headers["content-security-policy"].split(";"))
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["connect-src"] == "'self'"
    assert "http" not in page.headers["content-security-policy"]


async def test_graphiql_page_script_queries_this_host_with_the_callers_headers(
        client: httpx.AsyncClient) -> None:
    """Our start-up script posts to this origin's /graphql with the Headers pane's
    headers (the caller's token): a query sent as it sends one is answered."""
    script = (await client.get("/graphiql/orgcover-graphiql.js")).text
    assert 'url: window.location.origin + "/graphql"' in script
    assert "isHeadersEditorEnabled: true" in script
    assert "http" not in script.replace("window.location", "")
    # what GraphiQL's fetcher sends: JSON POST with the headers typed in the pane
    response = await client.post("/graphql", json={"query": "{ overview { metric rate } }"},
                                 headers={"content-type": "application/json", **bearer()})
    assert response.status_code == 200
    assert len(response.json()["data"]["overview"]) >= 15
    anonymous = await client.post("/graphql", json={"query": "{ overview { metric } }"})
    assert anonymous.status_code == 401  # the page is open; the data is not


async def test_pinned_versions_are_what_npm_installed() -> None:
    """package.json pins the versions whose files the page's integrity hashes name."""
    pins = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert pins["graphiql"] == "3.8.3"
    assert pins["@graphiql/plugin-explorer"] == "1.0.2"
    assert pins["react"] == pins["react-dom"] == "18.2.0"
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for name in ("graphiql", "@graphiql/plugin-explorer", "react", "react-dom"):
        assert lock[f"node_modules/{name}"]["version"] == pins[name]
        assert lock[f"node_modules/{name}"]["integrity"].startswith("sha512-")


async def test_graphiql_files_keep_the_host_allow_list_and_only_exist_with_graphiql(
        tiny_store: GraphStore, client: httpx.AsyncClient, tmp_path: Path) -> None:
    name = GRAPHIQL_ASSETS[0].name
    evil = await client.get(f"/graphiql/{name}", headers={"host": "evil.example"})
    assert evil.status_code == 400
    assert evil.json()["errors"][0]["extensions"]["code"] == "HOST_NOT_ALLOWED"
    assert (await client.get("/graphiql/..%2Fpackage.json")).status_code == 404
    assert (await client.get("/graphiql/secrets")).status_code == 404
    off = create_app(settings(tmp_path), store=tiny_store)
    async with off.router.lifespan_context(off), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=off), base_url=BASE) as c:
        assert (await c.get(f"/graphiql/{name}")).status_code == 401
        assert (await c.get(f"/graphiql/{name}", headers=bearer())).status_code == 404
        assert (await c.get("/graphql", headers=HTML)).status_code == 401


async def test_graphiql_without_installed_files_says_how_to_install_them(
        tiny_store: GraphStore, tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, graphiql=True, node_modules=tmp_path / "none"),
                     store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        page = await c.get("/graphql", headers=HTML)
        assert page.status_code == 200
        assert "npm ci" in page.text
        assert "<script" not in page.text
        assert (await c.get(f"/graphiql/{GRAPHIQL_ASSETS[0].name}")).status_code == 404


async def test_root_without_a_session_is_the_sign_in_page(tiny_store: GraphStore,
                                                         tmp_path: Path) -> None:
    """`/` answers without a token (the page names no data): the sign-in page, whose
    script is this host's (tests/test_sessions.py signs in)."""
    app = create_app(settings(tmp_path), store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        page = await c.get("/")
        head = await c.head("/")
    assert page.status_code == head.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="login"' in page.text
    assert "/graphql" in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert [url for _, url, _ in _references(page.text).urls] == [
        "data:,", "/dashboard/dashboard.css", "/dashboard/i18n.js", "/dashboard/login.js"]
