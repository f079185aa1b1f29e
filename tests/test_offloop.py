"""Costly queries complete on the worker loop (app/offloop.py): same answers, same round
trips, the request's context variables with them, cancelled by the deadline; cheap queries
and loads stay on the serving loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from graphql import parse
from strawberry.extensions import SchemaExtension

from app.graphql import build_schema
from app.limits import estimate
from app.offloop import OFF_LOOP_COST, OffLoop, StoreBridge
from graph.queries.admin import PING
from graph.store import GraphStore
from resolvers.access import OPERATOR
from resolvers.context import Context

COSTLY = """{ compounds(first: 60) { totalCount nodes { code name
    buildings(first: 12) { nodes { code buildingChiefs { code name } } }
    coveringPartyOrgs { code secretary { code name } } } } }"""
CHEAP = "{ compounds(first: 5) { nodes { code name } } }"


def _threads_of(schema: Any) -> list[str]:
    """Record the thread each resolver runs in (an observer, not a stand-in)."""
    seen: list[str] = []

    class Where(SchemaExtension):
        def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any,
                    **kwargs: Any) -> Any:
            seen.append(threading.current_thread().name)
            return _next(root, info, *args, **kwargs)

    schema.extensions = (*schema.extensions, Where)
    return seen


@pytest.fixture
async def off_loop() -> AsyncIterator[OffLoop]:
    worker = OffLoop()
    yield worker
    await worker.close()


def test_the_queries_are_on_either_side_of_the_threshold() -> None:
    schema = build_schema()._schema
    assert estimate(schema, parse(COSTLY), None, {}) >= OFF_LOOP_COST
    assert estimate(schema, parse(CHEAP), None, {}) < OFF_LOOP_COST


async def test_a_costly_query_completes_off_the_loop_with_the_same_answer(
        tiny_store: GraphStore, off_loop: OffLoop) -> None:
    entries: list[dict[str, Any]] = []
    on = build_schema(entries.append)
    off = build_schema(entries.append, off_loop=off_loop)
    where = _threads_of(off)

    tiny_store.round_trips = 0
    expected = await on.execute(COSTLY, context_value=Context(tiny_store, caller=OPERATOR))
    on_trips, tiny_store.round_trips = tiny_store.round_trips, 0
    result = await off.execute(COSTLY, context_value=Context(tiny_store, caller=OPERATOR))

    assert expected.errors is None, expected.errors
    assert result.errors is None, result.errors
    assert result.data == expected.data
    assert expected.data["compounds"]["nodes"]  # the tiny district has compounds
    # each level still one batch, counted on the store itself: the bridge adds none
    assert tiny_store.round_trips == on_trips
    assert where
    assert set(where) == {"orgcover-costly"}
    # the access log's people seen travelled with the query (a context variable)
    assert entries[1]["persons"] == entries[0]["persons"] > 0


async def test_cheap_queries_stay_on_the_serving_loop(tiny_store: GraphStore,
                                                      off_loop: OffLoop) -> None:
    schema = build_schema(off_loop=off_loop)
    where = _threads_of(schema)
    result = await schema.execute(CHEAP, context_value=Context(tiny_store, caller=OPERATOR))
    assert result.errors is None
    assert set(where) == {threading.current_thread().name}
    assert "orgcover-costly" not in {t.name for t in threading.enumerate()}


async def test_the_deadline_cancels_a_costly_query_on_the_worker_loop(
        tiny_store: GraphStore, off_loop: OffLoop) -> None:
    schema = build_schema(off_loop=off_loop, request_timeout=0.001)
    result = await schema.execute(COSTLY, context_value=Context(tiny_store, caller=OPERATOR))
    assert result.errors is not None
    assert [e.extensions["code"] for e in result.errors] == ["TIMEOUT"]  # type: ignore[index]
    # nothing of it runs on there afterwards (its task was cancelled, not left behind)
    for _ in range(100):
        left = await off_loop.run(_others())
        if not left:
            break
        await asyncio.sleep(0.02)
    assert left == 0


async def _others() -> int:
    return len(asyncio.all_tasks()) - 1


async def test_the_bridge_reads_on_the_store_loop_and_close_ends_the_thread(
        tiny_store: GraphStore) -> None:
    worker = OffLoop()
    bridge = StoreBridge(tiny_store, asyncio.get_running_loop())
    tiny_store.round_trips = 0

    async def ping_there() -> tuple[str, list[dict[str, Any]]]:
        return threading.current_thread().name, await bridge.read(PING)

    name, rows = await worker.run(ping_there())
    assert name == "orgcover-costly"
    assert rows
    assert tiny_store.round_trips == 1
    await worker.close()
    assert "orgcover-costly" not in {t.name for t in threading.enumerate()}
    await worker.close()  # twice is harmless


async def test_the_worker_loop_reads_the_embedded_store_with_connections_of_its_own(
        tiny_store: GraphStore) -> None:
    """No hand-back on FalkorDB: the worker loop opens its own connections (its large
    replies are decoded there), and closes them when it ends; the serving loop's stay."""
    if not tiny_store.any_loop:
        pytest.skip("a store bound to one loop is read through the bridge (test above)")
    worker = OffLoop()
    here = asyncio.get_running_loop()

    async def ping_there() -> asyncio.AbstractEventLoop:
        await tiny_store.read(PING)
        return asyncio.get_running_loop()

    await tiny_store.read(PING)
    there = await worker.run(ping_there())
    pool = tiny_store._wire  # type: ignore[attr-defined]
    assert there is not here
    assert {here, there} <= set(pool._loops)
    await worker.close(last=tiny_store.release_loop)
    assert there not in pool._loops
    assert here in pool._loops
    assert await tiny_store.read(PING)  # the serving loop's connections still work
