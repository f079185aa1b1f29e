"""What every browser test shares: Debian's chromium (by its path, no browser download)
driven by Playwright, a real uvicorn serving the app on the demo district's history (tiny
scale), pages watched for every request and console error, screenshots under tests/out/.

tests/conftest.py makes the fixtures here available to every test module; a browser test
module calls `skip_without_chromium()` first, so the rest of the suite runs where no
chromium is installed.
"""

from __future__ import annotations

import asyncio
import importlib
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.main import create_app
from app.serving import uvicorn_options
from graph.store import GraphStore
from resolvers.access import Caller
from tests.auth import DISTRICT, bearer, settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = Path(__file__).resolve().parent / "out"
STREET = "371327001"  # 十字路街道, the demo's first street


def skip_without_chromium() -> None:
    """Skip the calling test module, in one line, where the browser tests cannot run."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"browser tests: no chromium at {CHROMIUM} (apt-get install chromium)",
                    allow_module_level=True)
    pytest.importorskip("playwright.async_api", reason="browser tests: pip install playwright")
    OUT.mkdir(exist_ok=True)


@pytest.fixture(scope="module")
async def history_store(graphs: Any, tmp_path_factory: pytest.TempPathFactory
                        ) -> AsyncIterator[GraphStore]:
    """The tiny demo district with its months of history, as `serve --demo` loads it."""
    from app.cli import _load_demo_if_empty
    from tests.conftest import PII_SECRET

    folder = tmp_path_factory.mktemp("browser-demo")

    async def fill(store: GraphStore) -> None:
        await _load_demo_if_empty(store, settings(folder, demo_months=4, pii_secret=PII_SECRET),
                                  "tiny")

    async with graphs.shared("history_store", fill) as store:
        yield store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def server(history_store: GraphStore, tmp_path: Path) -> AsyncIterator[tuple[Any, str]]:
    """A real uvicorn serving the app: (the app, its base URL)."""
    config = settings(tmp_path, graphiql=True)
    app = create_app(config, store=history_store)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="on", **uvicorn_options(config)))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    api: Any = importlib.import_module("playwright.async_api")
    async with api.async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        await launched.close()


class Watched:
    """A page with every request it made and every console error it logged."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: m.type == "error" and self.errors.append(
            f"{m.text} {m.location.get('url', '')}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


async def watched(browser: Any) -> Watched:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    return Watched(await context.new_page())


async def signed_in(browser: Any, app: Any, base: str, *, roles: tuple[str, ...] = ("admin",),
                    jurisdiction: str = DISTRICT, name: str = "莒南县管理员") -> Watched:
    """A page signed in with a one-time login link (as `make run` prints), on the
    dashboard with its first page drawn."""
    caller = Caller.of_roles(sub=f"demo-{'-'.join(roles)}", name=name, roles=roles,
                             jurisdiction=jurisdiction)
    w = await watched(browser)
    await w.page.goto(f"{base}/login?token={app.state.sessions.ticket(caller)}")
    await w.page.wait_for_selector("body[data-ready]")
    return w


async def gql(base: str, query: str, variables: dict[str, Any] | None = None, *,
              headers: dict[str, str] | None = None) -> dict[str, Any]:
    """What the API answers (an admin of the district unless `headers` say otherwise),
    to compare the page with."""
    async with httpx.AsyncClient(base_url=base) as c:
        response = await c.post("/graphql", headers=headers or bearer("admin"),
                                json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def only_own_host(w: Watched, base: str) -> None:
    """Every request went to the app's host, and the page logged no error (no CSP
    violation, no script error)."""
    assert w.requests
    strangers = [u for u in w.requests if not u.startswith(base + "/")]
    assert strangers == []
    assert w.errors == []
