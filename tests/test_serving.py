"""A real uvicorn as `serve` configures it: slow headers cut off, normal requests served."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from app.main import create_app
from app.serving import SlowHeaderGuard, uvicorn_options
from graph.store import GraphStore
from tests.auth import settings


class QuickGuard(SlowHeaderGuard):
    header_timeout = 0.3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(tiny_store: GraphStore, tmp_path: Path) -> AsyncIterator[int]:
    config_settings = settings(tmp_path)
    port = _free_port()
    options = {**uvicorn_options(config_settings), "http": QuickGuard}
    server = uvicorn.Server(uvicorn.Config(
        create_app(config_settings, store=tiny_store), host="127.0.0.1", port=port,
        log_config=None, lifespan="on", **options))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield port
    server.should_exit = True
    await task


async def test_slow_headers_are_cut_off(served: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    writer.write(b"GET /healthz HTTP/1.1\r\nHo")  # and then nothing more
    await writer.drain()
    closed = await asyncio.wait_for(reader.read(), timeout=3)
    assert closed == b""  # the server hung up, answering nothing
    writer.close()


async def test_prompt_requests_are_served(served: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    for _ in range(2):  # keep-alive: the second request's headers are timed afresh
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=3)
        assert head.startswith(b"HTTP/1.1 200")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        await reader.readexactly(length)
        await asyncio.sleep(0.5)  # longer than the header timeout, idle between requests
    writer.close()


async def test_healthz_stays_prompt_while_costly_queries_run(served: int) -> None:
    """Four of the most costly queries the limit allows, again and again, while /healthz
    is probed from the first request on: every probe within 200 ms (the database works,
    the queries complete on the worker loop — their cold start too: parsing, validation
    and the first plans — and the serving loop is free)."""
    import gc
    import time

    import httpx
    from graphql import parse

    from app.graphql import build_schema
    from app.limits import MAX_COST, estimate
    from tests.auth import bearer

    heavy = """{ overview { metric rate }
      compounds(first: 60) { nodes { code buildings(first: 12) { nodes { code
        buildingChiefs { code } memberHouseholds { code } hasPartyGroup } } } }
      search(text: "社区", first: 100) { totalCount } }"""
    assert MAX_COST / 4 < estimate(build_schema()._schema, parse(heavy), None, {}) <= MAX_COST
    stop = asyncio.Event()
    base = f"http://127.0.0.1:{served}"

    async def hammer(c: httpx.AsyncClient) -> int:
        done = 0
        while not stop.is_set():
            response = await c.post("/graphql", json={"query": heavy}, headers=bearer())
            assert response.status_code == 200
            assert "errors" not in response.json()
            done += 1
        return done

    # The clients share the server's event loop here: each one's set-up (an SSL context,
    # tens of ms) would be counted against the server, so they are made first.
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(5)]
    # The server shares this process with the whole suite's heap: a full collection of it
    # is a pause no served process has (`orgcover serve` freezes its start-up heap too).
    gc.collect()
    gc.freeze()
    workers = [asyncio.create_task(hammer(c)) for c in clients[1:]]
    probes: list[float] = []
    try:
        for _ in range(40):
            started = time.perf_counter()
            assert (await clients[0].get("/healthz")).status_code == 200
            probes.append(time.perf_counter() - started)
            await asyncio.sleep(0.04)
    finally:
        stop.set()
        gc.unfreeze()
    done = sum(await asyncio.gather(*workers))
    for c in clients:
        await c.aclose()
    assert done >= 4
    assert max(probes) < 0.2, sorted(probes)[-3:]


async def test_slow_headers_of_a_second_request_are_cut_off(served: int) -> None:
    """On a keep-alive connection the first request's finished cycle must not shield the
    second request's dripping headers (found in review)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=3)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    await reader.readexactly(length)
    writer.write(b"GET /healthz HTTP/1.1\r\nHo")  # the second request stalls
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), timeout=3) == b""
    writer.close()
