"""Every statement that runs on FalkorDB does run there: reads on the loaded tiny district,
writes on a graph of their own, each with the example parameters of its registration."""

from __future__ import annotations

import pytest

from graph.backends.falkordb import FalkorStore
from graph.statements import Mode, Statement, all_statements

FALKOR = [s for s in all_statements() if "falkordb" in s.backends]
READS = [s for s in FALKOR if s.mode is Mode.READ]
WRITES = [s for s in FALKOR if s.mode is Mode.WRITE]
NEO4J_ONLY = [s for s in all_statements() if "falkordb" not in s.backends]


def test_only_neo4j_dialect_is_neo4j_only() -> None:
    assert NEO4J_ONLY, "the Neo4j DDL dialect is registered"
    assert all(s.name.startswith("neo4j.") for s in NEO4J_ONLY)


@pytest.mark.parametrize("stmt", READS, ids=lambda s: s.name)
async def test_read_runs_on_falkordb(stmt: Statement, tiny_store: FalkorStore) -> None:
    rows = await tiny_store.read(stmt, stmt.params)
    assert isinstance(rows, list)


@pytest.mark.parametrize("stmt", WRITES, ids=lambda s: s.name)
async def test_write_runs_on_falkordb(stmt: Statement, bare_store: FalkorStore) -> None:
    result = await bare_store.write(stmt, stmt.params)
    assert result.counters.nodes_deleted >= 0
