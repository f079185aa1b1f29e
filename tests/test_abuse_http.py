"""Client mistakes are the client's: every malformed request answered as JSON with a code,
never INTERNAL or a 500 — the cases an attacker found, then whatever a fuzzer finds."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.main import create_app
from graph.store import GraphStore
from tests.auth import bearer
from tests.auth import settings as app_settings

ADMIN = bearer("admin")


@pytest.fixture(scope="module")
async def app_and_client(tiny_store: GraphStore, tmp_path_factory: pytest.TempPathFactory
                         ) -> AsyncIterator[tuple[Any, httpx.AsyncClient, Any]]:
    app = create_app(app_settings(tmp_path_factory.mktemp("abuse"), max_upload_bytes=64_000,
                                  body_read_timeout=0.3), store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://127.0.0.1", headers=ADMIN) as c:
        yield app, c, asyncio.get_running_loop()


@pytest.fixture
def client(app_and_client: tuple[Any, httpx.AsyncClient, Any]) -> httpx.AsyncClient:
    return app_and_client[1]


def _codes(response: httpx.Response) -> set[str]:
    assert response.status_code != 500, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    codes = {e["extensions"]["code"] for e in body.get("errors") or ()}
    assert "INTERNAL" not in codes, body
    return codes


RAW = {"content-type": "application/json"}
QUERY_C = "query($c: String!) { compound(code: $c) { code } }"
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("a variable of the wrong type", {"json": {"query": QUERY_C, "variables": {"c": 5}}},
     "BAD_USER_INPUT"),
    ("a missing variable", {"json": {"query": QUERY_C}}, "BAD_USER_INPUT"),
    ("an enum variable that is not one", {"json": {
        "query": "query($m: AuditMetric!) { audit(metric: $m) { rate } }",
        "variables": {"m": "NOPE"}}}, "BAD_USER_INPUT"),
    ("a lone surrogate in the query", {"content": b'{"query": "{ search(text: \\"\\ud800\\")'
                                                  b' { totalCount } }"}', "headers": RAW},
     "BAD_REQUEST"),
    ("a lone surrogate in a variable", {"content": b'{"query": "query($t: String!) { search('
                                                   b'text: $t) { totalCount } }", "variables"'
                                                   b': {"t": "\\ud800x"}}', "headers": RAW},
     "BAD_REQUEST"),
    ("a NUL in a cursor", {"json": {"query": "query($a: String) { compounds(after: $a) "
                                             "{ totalCount } }", "variables": {"a": "\0x"}}},
     "BAD_USER_INPUT"),
    ("a NUL in a code", {"json": {"query": QUERY_C, "variables": {"c": "a\0b"}}},
     "BAD_USER_INPUT"),
    ("a JSON array (batching)", {"json": [{"query": "{ regions { totalCount } }"}]},
     "BAD_REQUEST"),
    ("a JSON string", {"json": "hello"}, "BAD_REQUEST"),
    ("a JSON number", {"content": b"5", "headers": RAW}, "BAD_REQUEST"),
    ("not JSON", {"content": b'{"query": ', "headers": RAW}, "BAD_REQUEST"),
    ("no query", {"json": {"variables": {}}}, "BAD_REQUEST"),
    ("variables not an object", {"json": {"query": "{ regions { totalCount } }",
                                          "variables": [1]}}, "BAD_REQUEST"),
    ("an unknown operation name", {"json": {"query": "query A { regions { totalCount } }",
                                            "operationName": "Z"}}, "BAD_REQUEST"),
    ("an unsupported content type", {"content": b"x",
                                     "headers": {"content-type": "application/xml"}},
     "BAD_REQUEST"),
    ("80,000 characters of search text", {"json": {
        "query": "query($t: String!) { search(text: $t) { totalCount } }",
        "variables": {"t": "阳" * 80_000}}}, "BAD_USER_INPUT"),
    ("a first beyond 32 bits", {"json": {"query": "{ compounds(first: 99999999999) "
                                                  "{ totalCount } }"}},
     "GRAPHQL_VALIDATION_FAILED"),
]


@pytest.mark.parametrize(("case", "request_kwargs", "code"), CASES, ids=[c[0] for c in CASES])
async def test_client_mistakes_are_the_clients(client: httpx.AsyncClient, case: str,
                                               request_kwargs: dict[str, Any],
                                               code: str) -> None:
    kwargs = dict(request_kwargs)
    headers = kwargs.pop("headers", {})
    started = time.perf_counter()
    response = await client.post("/graphql", headers=headers, **kwargs)
    assert _codes(response) == {code}, response.text
    assert time.perf_counter() - started < 1.0
    assert len(response.text) < 2000  # inputs are not echoed back whole


async def test_a_mutation_over_get_is_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={
        "query": "mutation { loadRosters(files: []) { __typename } }"},
        headers={"x-orgcover-csrf": "1"})
    assert response.status_code == 400
    assert _codes(response) == {"BAD_REQUEST"}


async def test_a_body_over_a_megabyte_is_refused_unread(client: httpx.AsyncClient) -> None:
    big = json.dumps({"query": "{ regions { totalCount } }", "x": "a" * (1 << 20)})
    started = time.perf_counter()
    response = await client.post("/graphql", content=big, headers=RAW)
    assert response.status_code == 413
    assert _codes(response) == {"REQUEST_TOO_LARGE"}
    assert "ORGCOVER_MAX_BODY_BYTES" in response.json()["errors"][0]["message"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(200):
            yield b" " * 10_000

    streamed = await client.post("/graphql", content=chunks(), headers=RAW)
    assert streamed.status_code == 413
    assert time.perf_counter() - started < 2.0


async def test_an_upload_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    operations = {"query": "mutation($f: [Upload!]!) { loadRosters(files: $f, dryRun: true) "
                           "{ __typename } }", "variables": {"f": [None]}}
    response = await client.post(
        "/graphql", data={"operations": json.dumps(operations),
                          "map": json.dumps({"0": ["variables.f.0"]})},
        files={"0": ("小区.csv", b"x" * 100_000, "text/csv")},
        headers={"apollo-require-preflight": "1"})
    assert response.status_code == 413
    assert _codes(response) == {"REQUEST_TOO_LARGE"}


async def test_a_stalled_body_is_cut_off(app_and_client: tuple[Any, httpx.AsyncClient]
                                         ) -> None:
    """One byte and then nothing (a slow client holding the connection): 408 after the
    body read timeout, driven straight through ASGI to control the pauses."""
    app = app_and_client[0]
    sent: list[dict[str, Any]] = []
    first = True

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b"{", "more_body": True}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
               *[(k.encode(), v.encode()) for k, v in ADMIN.items()]]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
             "query_string": b"", "headers": headers, "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80), "root_path": "", "state": {}}
    started = time.perf_counter()
    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    assert time.perf_counter() - started < 2.0
    assert sent[0]["status"] == 408
    assert json.loads(sent[1]["body"])["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"


# -- the fuzzer -----------------------------------------------------------------------------

FIELDS = ["region", "compound", "person", "search", "compounds", "audit", "overview",
          "neighbourhood", "connectionPaths", "loads", "__typename", "partyOrg"]
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                   st.floats(allow_nan=False, allow_infinity=False), text)
json_value = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)), max_leaves=12)


@st.composite
def queries(draw: st.DrawFn) -> str:
    field = draw(st.sampled_from(FIELDS))
    args = draw(st.lists(st.tuples(st.sampled_from(["code", "scope", "text", "first", "after",
                                                    "metric", "from", "to", "hops", "x"]),
                                   st.one_of(st.integers(-5, 10**6),
                                             text.map(json.dumps),
                                             st.sampled_from(["$v", "null", "DUAL_ROLE",
                                                              "[1]", "{a: 1}"]))),
                         max_size=3))
    rendered = ", ".join(f"{k}: {v}" for k, v in args)
    inner = draw(st.sampled_from(["", "{ code }", "{ totalCount }", "{ rate }",
                                  "{ nodes { code name } }", "{ __typename }"]))
    head = draw(st.sampled_from(["", "query($v: String) ", "query($v: Int!) ",
                                 "mutation ", "query Q "]))
    junk = draw(st.sampled_from(["", "}", "{", "#", draw(text)]))
    return f"{head}{{ {field}{f'({rendered})' if rendered else ''} {inner} }}{junk}"


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=queries(), variables=st.one_of(st.none(), st.dictionaries(
    st.sampled_from(["v", "c", "x"]), json_value, max_size=3), json_value),
       extra=st.dictionaries(st.sampled_from(["operationName", "extensions", "foo"]),
                             json_value, max_size=2))
def test_fuzzed_bodies_never_fail_inside(
        app_and_client: tuple[Any, httpx.AsyncClient, Any], query: str, variables: Any,
        extra: dict[str, Any]) -> None:
    """Hypothesis drives a sync test: each example runs on the session's loop (idle while a
    sync test runs; the store's connections belong to it), through a client of its own."""
    app, _, loop = app_and_client
    body = {"query": query, "variables": variables, **extra}

    async def ask() -> httpx.Response:
        async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                base_url="http://127.0.0.1", headers=ADMIN) as c:
            return await c.post("/graphql", json=body)

    _codes(loop.run_until_complete(ask()))


@pytest.mark.parametrize(("content_type", "body", "status"), [
    ("application/json-seq", b'"abc"', 415), ("application/jsonx", b"123", 415),
    ("application/json", b"[" * 100_000, 400)])
async def test_odd_content_types_and_deep_json_are_refused(
        client: httpx.AsyncClient, content_type: str, body: bytes, status: int) -> None:
    response = await client.post("/graphql", content=body,
                                 headers={"content-type": content_type})
    assert response.status_code == status
    assert _codes(response) == {"BAD_REQUEST"}


async def test_a_surrogate_in_get_variables_is_bad_input(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={
        "query": "query($c: String!) { compound(code: $c) { code } }",
        "variables": '{"c": "\\ud800"}'}, headers={"x-orgcover-csrf": "1"})
    assert _codes(response) == {"BAD_USER_INPUT"}
