"""The store's only top place bounds nothing; a second top place makes it bound again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from tests.auth import bearer, settings
from tests.rosters import write_rosters

QUERY = """{ regions(first: 500) { totalCount } search(text: "无地址", type: PERSON) {
  nodes { code } } }"""


@pytest.fixture
async def client(store: GraphStore, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    await load_rosters(store, [write_rosters(tmp_path / "one", {
        "regions": [["371327", "莒南县", "区县", "", ""],
                    ["371327001", "十字路街道", "街道", "371327", ""]],
        "people": [["R1", "无地址人员", "", "", "", "群众", "", "", "", ""]],
    })], protector=IdProtector(None))
    app = create_app(settings(tmp_path), store=store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


async def _ask(client: httpx.AsyncClient, jurisdiction: str) -> dict[str, object]:
    response = await client.post("/graphql", json={"query": QUERY},
                                 headers=bearer("viewer", jurisdiction))
    data: dict[str, object] = response.json()["data"]
    return data


async def test_the_only_district_reads_the_whole_store(client: httpx.AsyncClient,
                                                       store: GraphStore,
                                                       tmp_path: Path) -> None:
    whole = await _ask(client, "371327")
    assert whole == {"regions": {"totalCount": 2}, "search": {"nodes": [{"code": "R1"}]}}
    street = await _ask(client, "371327001")
    assert street == {"regions": {"totalCount": 1}, "search": {"nodes": []}}
    # the operator loads a second district into the same store
    await load_rosters(store, [write_rosters(tmp_path / "two", {
        "regions": [["371328", "另一县", "区县", "", ""]]})], protector=IdProtector(None))
    client.app.state.bounds.forget()  # type: ignore[attr-defined]  # (or `ttl` seconds)
    bound = await _ask(client, "371327")
    assert bound == {"regions": {"totalCount": 2}, "search": {"nodes": []}}
    other = await _ask(client, "371328")
    assert other == {"regions": {"totalCount": 1}, "search": {"nodes": []}}


async def test_a_stale_answer_lasts_at_most_the_ttl(client: httpx.AsyncClient,
                                                   store: GraphStore, tmp_path: Path) -> None:
    bounds = client.app.state.bounds  # type: ignore[attr-defined]
    assert await bounds.whole_store("371327")
    await load_rosters(store, [write_rosters(tmp_path / "two", {
        "regions": [["371328", "另一县", "区县", "", ""]]})], protector=IdProtector(None))
    bounds.ttl = 0.0
    assert not await bounds.whole_store("371327")
    assert not await bounds.whole_store(None)


async def test_a_store_that_cannot_answer_leaves_reads_bounded(store: GraphStore) -> None:
    from graph.errors import StoreUnavailable
    from resolvers.bounds import ReadBounds

    class Broken:
        async def read(self, *args: object, **kwargs: object) -> list[object]:
            raise StoreUnavailable("down")

    bounds = ReadBounds(Broken())  # type: ignore[arg-type]
    assert not await bounds.whole_store("371327")
