"""HTTP: health, readiness, GraphQL over POST, GraphiQL, request ids and masked errors."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from graph.backends.embedded import EmbeddedFalkorServer
from graph.backends.falkordb import FalkorStore
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from resolvers import nodes
from tests.auth import bearer, settings
from tests.rosters import write_rosters

UPLOAD_SECRET = "upload-pii-secret-0123456789-abcdefghij"


@pytest.fixture
async def client(tiny_store: GraphStore, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(tmp_path, graphiql=True), store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
            headers=bearer()) as c:
        yield c


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["backend"] in ("falkordb", "neo4j")


async def test_graphql_post_and_request_id(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": '{ region(code: "371327") { name } }'},
                                 headers={"x-request-id": "abc123"})
    assert response.status_code == 200
    assert response.json() == {"data": {"region": {"name": "莒南县"}}}
    assert response.headers["x-request-id"] == "abc123"


async def test_malformed_query_has_a_code(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ region(code: "})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_graphiql_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_unexpected_errors_are_masked_and_logged_with_request_id(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret detail from the database")

    monkeypatch.setattr(nodes, "lookup", broken)
    with caplog.at_level(logging.ERROR, logger="orgcover.graphql"):
        response = await client.post("/graphql", json={"query": '{ region(code: "x") { name } }'},
                                     headers={"x-request-id": "rid-42"})
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "rid-42"}
    assert "secret detail" not in response.text
    assert any("secret detail" in r.getMessage() or r.exc_info for r in caplog.records)


async def test_lifespan_opens_and_closes_the_embedded_store(tmp_path: Path) -> None:
    app: FastAPI = create_app(settings(tmp_path))
    async with app.router.lifespan_context(app):
        server = app.state.store.server
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as c:
            assert (await c.get("/readyz")).status_code == 200
    assert server.pid is None  # stopped with the app


async def test_readyz_is_503_when_the_database_is_gone(tmp_path: Path) -> None:
    server = EmbeddedFalkorServer(tmp_path)
    await server.start()
    store = FalkorStore(graph_name="g", unix_socket=server.socket_path, password=server.password)
    app = create_app(settings(tmp_path), store=store)
    await server.stop()
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}  # no paths, no detail
    await store.close()


MUTATION = """mutation($files: [Upload!]!, $dry: Boolean!, $lang: ReportLanguage!) {
  loadRosters(files: $files, dryRun: $dry, lang: $lang) {
    __typename
    ... on LoadResult { loadId dryRun counts { template rows created unchanged } }
    ... on ValidationFailed { message errors { file row column value code message } }
  } }"""


async def _upload(client: httpx.AsyncClient, files: dict[str, bytes], *, dry: bool = False,
                  lang: str = "ZH") -> dict[str, Any]:
    names = list(files)
    operations = {"query": MUTATION,
                  "variables": {"files": [None] * len(names), "dry": dry, "lang": lang}}
    mapping = {str(i): [f"variables.files.{i}"] for i in range(len(names))}
    response = await client.post("/graphql", data={
        "operations": json.dumps(operations), "map": json.dumps(mapping)},
        files={str(i): (name, files[name], "text/csv") for i, name in enumerate(names)},
        headers={"apollo-require-preflight": "true"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


REGIONS_CSV = "编码,名称,层级,上级编码\n371327,莒南县,区县,\n371327001,十字路街道,街道,371327\n"


@pytest.fixture
async def empty_client(store: GraphStore, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A graph holding only the district (a token's jurisdiction must be a place: the
    operator's CLI makes the first one), and an admin of it."""
    await load_rosters(store, [write_rosters(tmp_path / "seed", {"regions": [
        ["371327", "莒南县", "区县", "", ""]]})],
        protector=IdProtector(None))
    app = create_app(settings(tmp_path, pii_secret=UPLOAD_SECRET), store=store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
            headers=bearer()) as c:
        yield c


async def test_upload_mutation_loads_rosters(empty_client: httpx.AsyncClient) -> None:
    body = await _upload(empty_client, {"行政区划.csv": REGIONS_CSV.encode("gbk")})
    result = body["data"]["loadRosters"]
    assert result["__typename"] == "LoadResult"
    assert result["counts"] == [{"template": "regions", "rows": 2, "created": 1,
                                 "unchanged": 1}]
    again = await _upload(empty_client, {"行政区划.csv": REGIONS_CSV.encode("utf-8")})
    assert again["data"]["loadRosters"]["counts"][0]["unchanged"] == 2


async def test_upload_mutation_reports_validation_failure(
        empty_client: httpx.AsyncClient) -> None:
    bad = "网格编码,网格名称,所属社区编码\nG1,网格,C404\n".encode()
    body = await _upload(empty_client, {"网格.csv": bad}, lang="EN")
    result = body["data"]["loadRosters"]
    assert result["__typename"] == "ValidationFailed"
    assert result["message"] == "1 error(s); nothing was written."
    assert result["errors"] == [{"file": "网格.csv", "row": 2, "column": "所属社区编码",
                                 "value": "C404", "code": "ref_missing",
                                 "message": "no community with code C404 in this load or "
                                            "the graph"}]


async def test_upload_with_a_bad_name_is_bad_input(empty_client: httpx.AsyncClient) -> None:
    body = await _upload(empty_client, {"../evil.sh": b"x"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_uploaded_rosters_have_no_name_on_disk(
        empty_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploads hold ID numbers in clear: while the loader reads them, the folder it is given
    holds only links to anonymous files, so a killed worker leaves no roster behind."""
    from resolvers import rosters

    seen: dict[str, tuple[bool, bytes]] = {}
    real_load = rosters.load_rosters

    async def spying_load(store: Any, paths: list[Path], **kwargs: Any) -> Any:
        for entry in _entries(paths[0]):
            seen[entry.name] = (entry.is_symlink(), entry.read_bytes())
        return await real_load(store, paths, **kwargs)

    monkeypatch.setattr(rosters, "load_rosters", spying_load)
    data = REGIONS_CSV.encode("gbk")
    body = await _upload(empty_client, {"行政区划.csv": data})
    assert body["data"]["loadRosters"]["__typename"] == "LoadResult"
    assert seen == {"行政区划.csv": (rosters.ANONYMOUS, data)}
    assert rosters.ANONYMOUS  # the CI machines are Linux


def _entries(folder: Path) -> list[Path]:
    return list(folder.iterdir())


JOURNAL = """query($after: String) { loads(first: 1, after: $after) {
  nodes { loadId status who jurisdiction files counts { template created } }
  pageInfo { hasNextPage endCursor } } }"""


async def test_the_load_journal_names_the_token_and_follows_the_jurisdiction(
        empty_client: httpx.AsyncClient) -> None:
    """Loads are journaled under the token's sub and jurisdiction; the journal needs the
    `records` right and shows a caller only the loads under their jurisdiction (and the
    operator's, at the top)."""
    await _upload(empty_client, {"行政区划.csv": REGIONS_CSV.encode()})
    first = (await empty_client.post("/graphql", json={"query": JOURNAL})).json()
    newest = first["data"]["loads"]["nodes"][0]
    assert newest["who"] == "tester"
    assert newest["jurisdiction"] == "371327"
    assert newest["status"] == "committed"
    assert newest["files"] == ["行政区划.csv"]
    assert first["data"]["loads"]["pageInfo"]["hasNextPage"]  # the operator's seed load
    after = first["data"]["loads"]["pageInfo"]["endCursor"]
    older = (await empty_client.post("/graphql", json={"query": JOURNAL,
                                                       "variables": {"after": after}})).json()
    assert older["data"]["loads"]["nodes"][0]["who"] == "cli"
    street = (await empty_client.post("/graphql", json={"query": JOURNAL}, headers=bearer(
        "admin", "371327001"))).json()
    assert street["data"]["loads"]["nodes"] == []
    auditor = (await empty_client.post("/graphql", json={"query": JOURNAL},
                                       headers=bearer("auditor"))).json()
    assert auditor["errors"][0]["extensions"] == {"code": "FORBIDDEN", "right": "records"}
