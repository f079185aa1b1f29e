"""Neo4j reads as one record (graph/dialects/collected.py): the columns read from a
statement's text, the wrapped form, and — on a live Neo4j (`make test-neo4j`) — that every
registered read's wrapped form plans there with the columns Neo4j itself reports."""

from __future__ import annotations

import re

import pytest

from graph.backends.neo4j import Neo4jStore
from graph.dialects.collected import ROWS, collected, return_columns, sent_text
from graph.statements import Mode, Statement, all_statements
from graph.store import GraphStore

NEO4J_ONLY = "Neo4j only: set ORGCOVER_TEST_NEO4J_URI (make test-neo4j)"


def _reads() -> list[Statement]:
    return [s for s in all_statements() if s.mode is Mode.READ and "neo4j" in s.backends]


@pytest.mark.parametrize(("text", "columns"), [
    ("MATCH (n) RETURN n.code AS code, n.name AS name", ("code", "name")),
    ("MATCH (n) RETURN DISTINCT n.code AS code ORDER BY code LIMIT $limit", ("code",)),
    ("UNWIND $codes AS c RETURN c", ("c",)),
    ("MATCH (n) RETURN count(n) AS `total`", ("total",)),
    # only the last RETURN counts, and only outside brackets and strings
    ("CALL () { MATCH (n) RETURN n AS inner } RETURN size(collect(inner)) AS total",
     ("total",)),
    ("MATCH (n) RETURN {a: 1, b: 'x, RETURN y AS z'} AS m, [x IN [1, 2] | x] AS xs",
     ("m", "xs")),
    ("MATCH (a) RETURN a.code AS code UNION ALL MATCH (b) RETURN b.code AS code", ("code",)),
    ("MATCH (n) WHERE n.return_code = 1 RETURN n.asset AS asset", ("asset",)),
    # comments are not text: an apostrophe in one opens no string
    ("MATCH (n)\nRETURN n.a AS a, // the person's code\n n.b AS b,\n n.c AS c",
     ("a", "b", "c")),
    ("MATCH (n) RETURN n.a AS a, /* n.b AS b, */ n.c AS c", ("a", "c")),
    ("MATCH (n) RETURN n.a AS a, n.b AS `it's, b` // RETURN x AS y", ("a", "it's, b")),
    ("MATCH (n) RETURN 'a \\' RETURN x AS y' AS s, n.b AS b", ("s", "b")),
])
def test_the_columns_of_a_statement_are_read_from_its_final_return(
        text: str, columns: tuple[str, ...]) -> None:
    assert return_columns(text) == columns


@pytest.mark.parametrize("text", [
    "MATCH (n) RETURN *",
    "MATCH (n) RETURN n.code",  # an unaliased expression: its column name is its text
    "MATCH (n) RETURN n.code AS x, n.name AS x",  # the same name twice
    "SHOW FULLTEXT INDEXES YIELD name RETURN name",
    "CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()",
    "MATCH (n) SET n.x = 1",
    "CYPHER runtime=slotted MATCH (n) RETURN n.a AS a",
])
def test_a_statement_whose_columns_cannot_be_told_is_sent_as_it_is(text: str) -> None:
    assert return_columns(text) is None
    assert collected(text) is None
    assert sent_text(text) == text


def test_the_wrapped_form_collects_the_rows_as_lists_in_column_order() -> None:
    text = "MATCH (n) RETURN n.code AS code, n.name AS name ORDER BY code"
    assert collected(text) == (
        f"CALL () {{ {text}\n}} RETURN collect([`code`, `name`]) AS {ROWS}", ("code", "name"))
    # a comment at the end cannot swallow the closing brace
    assert collected("RETURN 1 AS one // the end")[0].startswith(  # type: ignore[index]
        "CALL () { RETURN 1 AS one // the end\n}")
    assert sent_text(text) == collected(text)[0]  # type: ignore[index]


def test_nearly_every_registered_read_is_wrapped() -> None:
    reads = _reads()
    unwrapped = sorted(s.name for s in reads if return_columns(s.text) is None)
    assert len(reads) > 500
    # a procedure call returning nothing and a SHOW: sent as they are
    assert unwrapped == ["neo4j.await_index", "neo4j.search_index_config"]


async def test_neo4j_plans_every_wrapped_read_with_the_columns_it_reports(
        store: GraphStore) -> None:
    if not isinstance(store, Neo4jStore):
        pytest.skip(NEO4J_ONLY)
    wrong = []
    async with store._driver.session(database=store.database) as session:
        for stmt in _reads():
            wrapped = collected(stmt.text)
            if wrapped is None:
                continue
            plain = await session.run(f"EXPLAIN {stmt.text}", dict(stmt.params))
            # a UNION's columns come back as "  name@12" from EXPLAIN
            reported: list[str] = plain.keys()  # a result's column names, not a dict's
            keys = tuple(re.sub(r"^ +(.*)@\d+$", r"\1", k) for k in reported)
            await plain.consume()
            await (await session.run(f"EXPLAIN {wrapped[0]}", dict(stmt.params))).consume()
            if keys != wrapped[1]:
                wrong.append((stmt.name, keys, wrapped[1]))
    assert wrong == []
