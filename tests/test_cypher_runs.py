"""Every statement that runs on the session's backend does run there: reads on the loaded
tiny district, writes on a graph of their own, each with the example parameters of its
registration (FalkorDB by default; Neo4j under `make test-neo4j`). And both backends refuse
a statement that returns a graph entity instead of plain values, the same way."""

from __future__ import annotations

import pytest

from graph.errors import QueryFailed
from graph.statements import Mode, Statement, all_statements, compose
from graph.store import GraphStore
from tests.graphs import on_neo4j

BACKEND = "neo4j" if on_neo4j() else "falkordb"
HERE = [s for s in all_statements() if BACKEND in s.backends]
READS = [s for s in HERE if s.mode is Mode.READ]
WRITES = [s for s in HERE if s.mode is Mode.WRITE]
NEO4J_ONLY = [s for s in all_statements() if "falkordb" not in s.backends]
FALKORDB_ONLY = [s for s in all_statements() if "neo4j" not in s.backends]


def test_only_a_dialect_is_one_backends_own() -> None:
    """Backend-specific statements say so in their name (the dialect modules, and the
    statements built per backend)."""
    assert NEO4J_ONLY, "the Neo4j DDL dialect is registered"
    assert all(s.name.startswith("neo4j.") for s in NEO4J_ONLY)
    neo4j_names = {n.name for n in NEO4J_ONLY}
    assert all(s.name.startswith("falkordb.") or f"neo4j.{s.name}" in neo4j_names
               for s in FALKORDB_ONLY)


@pytest.mark.parametrize("stmt", READS, ids=lambda s: s.name)
async def test_read_runs_on_the_backend(stmt: Statement, tiny_store: GraphStore) -> None:
    rows = await tiny_store.read(stmt, stmt.params)
    assert isinstance(rows, list)


@pytest.mark.parametrize("stmt", WRITES, ids=lambda s: s.name)
async def test_write_runs_on_the_backend(stmt: Statement, bare_store: GraphStore) -> None:
    result = await bare_store.write(stmt, stmt.params)
    assert result.counters.nodes_deleted >= 0


@pytest.mark.parametrize(("what", "text"), [
    ("a node", "MATCH (n:Probe) RETURN n LIMIT 1"),
    ("a relationship", "MATCH (:Probe)-[r:IN]->() RETURN r"),
    ("a path", "MATCH p = (:Probe)-[:IN]->() RETURN p"),
    ("a node", "MATCH (n:Probe) RETURN {first: collect(n)} AS m"),
])
async def test_a_statement_returning_an_entity_fails_with_its_name(
        what: str, text: str, store: GraphStore) -> None:
    made = compose("test.raw_write", "CREATE (:Probe)-[:IN]->(:Probe) WITH 1 AS one "
                   "MATCH (n:Probe) RETURN n", mode=Mode.WRITE)
    with pytest.raises(QueryFailed, match=r"test\.raw_write.*a node"):
        await store.write(made)
    if store.backend == "neo4j":  # a failed transaction leaves nothing behind
        count = compose("test.probes", "MATCH (n:Probe) RETURN count(n) AS n")
        assert (await store.read(count))[0]["n"] == 0
        await store.write(compose("test.probe", "CREATE (:Probe)-[:IN]->(:Probe)",
                                  mode=Mode.WRITE))
    with pytest.raises(QueryFailed, match=rf"test\.raw_read.*{what}"):
        await store.read(compose("test.raw_read", text))


async def test_a_batched_write_returning_an_entity_fails_too(store: GraphStore) -> None:
    """`write_many` keeps no rows, yet checks them: a node is refused as by `write`."""
    made = compose("test.batched_write", "CREATE (n:Probe) RETURN n", mode=Mode.WRITE)
    with pytest.raises(QueryFailed, match=r"test\.batched_write"):
        await store.write_many([(made, {})])
