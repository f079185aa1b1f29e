"""Where the tests' graphs live.

By default on the session's embedded FalkorDB: every fixture gets a graph of its own, as
many at once as a test wants. With `ORGCOVER_TEST_NEO4J_URI` set (`make test-neo4j`), on
that Neo4j server: Community has one user database, so a graph is the database emptied,
a module's shared graph (the tiny district, the edge rosters) is loaded again when a test
in between emptied it, and a test that needs two graphs at once is skipped with that
reason. The FalkorDB-only tests (the embedded server, its wire protocol, its files) skip
because `falkor_server` does.
"""

from __future__ import annotations

import abc
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from graph.backends.embedded import EmbeddedFalkorServer
from graph.backends.falkordb import FalkorStore
from graph.backends.neo4j import Neo4jStore
from graph.statements import Backend, Mode, compose
from graph.store import GraphStore

NEO4J_URI = os.environ.get("ORGCOVER_TEST_NEO4J_URI", "")
NEO4J_USER = os.environ.get("ORGCOVER_TEST_NEO4J_USER", "neo4j")
NEO4J_PASSWORD = os.environ.get("ORGCOVER_TEST_NEO4J_PASSWORD", "")
FALKORDB_ONLY = "FalkorDB only (ORGCOVER_TEST_NEO4J_URI is set: the suite runs on Neo4j)"
TWO_GRAPHS = "needs two graphs at once; Neo4j Community has one database"

Fill = Callable[[GraphStore], Awaitable[object]]

# The test suite's own mark on a Neo4j database it may empty (test-only statements).
MARK_NAME = "orgcover_test_suite_mark"
MARKED = compose("test.neo4j_marked", "SHOW INDEXES YIELD name "
                 f"RETURN count(CASE WHEN name = '{MARK_NAME}' THEN 1 END) > 0 AS marked")
ANY_NODE = compose("test.neo4j_any_node", "MATCH (n) RETURN 1 AS one LIMIT 1")
MARK = compose("test.neo4j_mark", f"CREATE INDEX {MARK_NAME} IF NOT EXISTS "
               "FOR (n:OrgcoverTestSuiteMark) ON (n.mark)", mode=Mode.WRITE)


def on_neo4j() -> bool:
    return bool(NEO4J_URI)


class Graphs(abc.ABC):
    """Opens empty graphs for fixtures and disposes of them."""

    backend: Backend

    @abc.abstractmethod
    async def open(self, *, schema: bool = True) -> GraphStore:
        """An empty graph, with this backend's constraints and indexes unless `schema` is
        False (DDL tests create them)."""

    @abc.abstractmethod
    async def dispose(self, store: GraphStore) -> None: ...

    @asynccontextmanager
    async def shared(self, name: str, fill: Fill) -> AsyncIterator[GraphStore]:
        """A graph filled once for a module's tests to read (`name`: the fixture's)."""
        store = await self.open()
        try:
            await fill(store)
            yield store
        finally:
            await self.dispose(store)

    async def before_test(self, fixtures: list[str]) -> None:
        """Make the shared graphs this test reads hold their content again (FalkorDB:
        every graph is its own, nothing to do)."""
        return

    def fresh_graph_wanted(self, fixtures: list[str]) -> None:
        """A test asks for an empty graph of its own (skips where that is impossible)."""
        return


class FalkorGraphs(Graphs):
    backend: Backend = "falkordb"

    def __init__(self, server: EmbeddedFalkorServer) -> None:
        self.server = server

    async def open(self, *, schema: bool = True) -> GraphStore:
        store = FalkorStore(graph_name=f"t_{uuid.uuid4().hex[:12]}",
                            unix_socket=self.server.socket_path, password=self.server.password)
        if schema:
            await store.ensure_schema()
        return store

    async def dispose(self, store: GraphStore) -> None:
        assert isinstance(store, FalkorStore)
        await store.delete_graph()
        await store.close()


class Neo4jGraphs(Graphs):
    """One database: whoever opens a graph empties it; shared graphs refill on demand."""

    backend: Backend = "neo4j"

    def __init__(self) -> None:
        self._fills: dict[str, tuple[GraphStore, Fill]] = {}
        self._holding: str | None = None  # whose content the database holds now
        self._fresh: set[int] = set()  # graphs of the running test (ids)
        self._claimed = False

    async def _claim(self, store: Neo4jStore) -> None:
        """Empty only a database that is empty or that this suite marked as its own (an
        index nothing uses, which survives the suite's wipes): never a real one by a
        mistyped URI."""
        if self._claimed:
            return
        marked = await store.read(MARKED)
        if not marked[0]["marked"] and (await store.read(ANY_NODE)):
            pytest.exit(f"{NEO4J_URI} holds data and no mark of this test suite: refusing "
                        "to empty it (point ORGCOVER_TEST_NEO4J_URI at a database you may "
                        "empty, or empty it yourself)", returncode=2)
        await store.write(MARK)
        self._claimed = True

    async def open(self, *, schema: bool = True) -> GraphStore:
        if self._fresh:
            pytest.skip(TWO_GRAPHS)
        store = Neo4jStore(uri=NEO4J_URI, user=NEO4J_USER, password=NEO4J_PASSWORD,
                           strict_notifications=True)
        await store.connect()
        await self._claim(store)
        await store.delete_graph(schema=not schema)
        if schema:
            await store.ensure_schema()
        self._holding = None
        self._fresh.add(id(store))
        return store

    async def dispose(self, store: GraphStore) -> None:
        self._fresh.discard(id(store))
        await store.close()

    @asynccontextmanager
    async def shared(self, name: str, fill: Fill) -> AsyncIterator[GraphStore]:
        async with super().shared(name, fill) as store:
            self._fresh.discard(id(store))
            self._fills[name] = (store, fill)
            self._holding = name
            try:
                yield store
            finally:
                del self._fills[name]

    def _shared_used(self, fixtures: list[str]) -> list[str]:
        return [name for name in fixtures if name in self._fills]

    async def before_test(self, fixtures: list[str]) -> None:
        used = self._shared_used(fixtures)
        if len(used) > 1:
            pytest.skip(TWO_GRAPHS)
        if used and self._holding != used[0]:
            store, fill = self._fills[used[0]]
            assert isinstance(store, Neo4jStore)
            await store.delete_graph()
            await fill(store)
            self._holding = used[0]

    def fresh_graph_wanted(self, fixtures: list[str]) -> None:
        if self._shared_used(fixtures):
            pytest.skip(TWO_GRAPHS)
