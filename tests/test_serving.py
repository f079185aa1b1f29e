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
from graph.backends.falkordb import FalkorStore
from tests.auth import settings


class QuickGuard(SlowHeaderGuard):
    header_timeout = 0.3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(tiny_store: FalkorStore, tmp_path: Path) -> AsyncIterator[int]:
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
