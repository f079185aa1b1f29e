"""Limits before execution: the cost estimate, argument lengths, bounded caches."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from graphql import parse

from app import limits
from app.graphql import build_schema
from graph.store import GraphStore
from graph.text import query_terms
from resolvers.access import OPERATOR
from resolvers.context import Context

SCHEMA = build_schema()
QUERIES = sorted((Path(__file__).parent / "queries").glob("*.graphql"))
NESTED = """{ person(code: "R00000001") { partyOrg { members(first: 30) { nodes {
  partyOrg { members(first: 30) { nodes { partyOrg { members(first: 30) { nodes {
  partyOrg { members(first: 30) { nodes { code } } } } } } } } } } } } } }"""


async def run(store: GraphStore, query: str, **variables: Any) -> Any:
    return await SCHEMA.execute(query, variable_values=variables,
                                context_value=Context(store, caller=OPERATOR))


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_frontend_queries_cost_well_under_the_limit(path: Path) -> None:
    cost = limits.estimate(SCHEMA._schema, parse(path.read_text(encoding="utf-8")), None, {})
    assert 0 < cost <= limits.MAX_COST / 2, cost


def test_the_estimate_multiplies_nested_pages() -> None:
    def cost(text: str, **variables: Any) -> int:
        return limits.estimate(SCHEMA._schema, parse(text), None, variables)

    one = cost('{ compounds(first: 10) { nodes { code } } }')
    assert one == 1 + 10  # the connection, ten compounds
    assert cost('{ compounds { nodes { code } } }') == 1 + limits.PAGE_DEFAULT
    assert cost('query($n: Int) { compounds(first: $n) { nodes { code } } }', n=500) == 501
    nested = cost('{ compounds(first: 10) { nodes { buildings(first: 20) { nodes { code }'
                  ' } } } }')
    assert nested == 1 + 10 * (1 + 1 + 20)
    assert cost(NESTED) > 800_000  # 30⁴ people


async def test_a_costly_query_is_refused_before_it_runs(tiny_store: GraphStore) -> None:
    result = await run(tiny_store, NESTED)
    assert result.data is None
    error = result.errors[0]
    assert error.extensions["code"] == "QUERY_TOO_COSTLY"
    assert error.extensions["cost"] > limits.MAX_COST
    assert error.extensions["limit"] == limits.MAX_COST
    cheap = await run(tiny_store, '{ person(code: "R00000001") { partyOrg { members(first: 5)'
                                  ' { nodes { code } } } } }')
    assert cheap.errors is None


@pytest.mark.parametrize("argument", ["code", "text", "scope", "after"])
async def test_long_arguments_are_bad_input(tiny_store: GraphStore, argument: str) -> None:
    query = {
        "code": 'query($v: String!) { compound(code: $v) { code } }',
        "text": 'query($v: String!) { search(text: $v) { totalCount } }',
        "scope": 'query($v: String) { compounds(scope: $v) { totalCount } }',
        "after": 'query($v: String) { compounds(after: $v) { totalCount } }',
    }[argument]
    result = await run(tiny_store, query, v="阳" * 300)
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": argument}
    assert len(result.errors[0].message) < 200  # the value is not echoed


def test_search_terms_are_linear_in_the_text() -> None:
    import time

    started = time.perf_counter()
    terms = query_terms("阳光花园" * 20_000)
    assert time.perf_counter() - started < 1.0
    assert terms == ["阳光", "光花", "花园", "园阳"]


async def test_huge_queries_are_not_kept_in_the_caches(tiny_store: GraphStore) -> None:
    limits._parse_cached.cache_clear()  # other tests fill it (256 entries at most)
    before = limits._parse_cached.cache_info().currsize
    padding = " " * (limits.MAX_CACHED_QUERY + 1)
    for i in range(3):
        result = await run(tiny_store, f'{{ region(code: "37132{i}") {{ name }} }}{padding}')
        assert result.errors is None
    assert limits._parse_cached.cache_info().currsize == before
    await run(tiny_store, '{ region(code: "371327") { name } }')
    assert limits._parse_cached.cache_info().currsize == before + 1


# -- time limits ----------------------------------------------------------------------------

async def test_a_query_past_its_deadline_answers_timeout(tiny_store: GraphStore) -> None:
    slow = build_schema(request_timeout=0.000_001)
    result = await slow.execute('{ overview { metric rate } }',
                                context_value=Context(tiny_store, caller=OPERATOR))
    assert result.data is None
    assert result.errors[0].extensions == {"code": "TIMEOUT"}
    # whichever comes first: the request's timer, or a statement finding no time left
    assert re.search("longer than|ran out of time", result.errors[0].message)


async def test_the_database_stops_a_statement_at_the_deadline(
        tiny_store: GraphStore) -> None:
    """The time left travels with the statement (FalkorDB's TIMEOUT): the server stops
    work the client gave up on, rather than holding a query thread."""
    import time

    from graph.deadline import within
    from graph.errors import Timeout
    from graph.statements import Statement

    heavy = Statement("test.heavy", "UNWIND range(1, 6000) AS a UNWIND range(1, 6000) AS b "
                                    "RETURN count(*) AS n")
    started = time.perf_counter()
    with within(0.05), pytest.raises(Timeout, match="ran out of time"):
        await tiny_store.read(heavy)
    assert time.perf_counter() - started < 3.0
    with within(0.0), pytest.raises(Timeout):  # nothing left: not even sent
        await tiny_store.read(heavy)


def _fragment_bomb(levels: int) -> str:
    parts = [f"fragment F{i} on Region {{ name ...F{i + 1} ...F{i + 1} }}"
             for i in range(levels)]
    parts.append(f"fragment F{levels} on Region {{ code }}")
    return '{ region(code: "371327") { ...F0 } } ' + " ".join(parts)


async def test_nested_fragments_are_refused_before_validation(tiny_store: GraphStore) -> None:
    """Each fragment spreading the next twice doubles the work per level (found in review:
    25 levels froze a worker for minutes in ~300 tokens)."""
    import time

    started = time.perf_counter()
    result = await run(tiny_store, _fragment_bomb(30))
    assert time.perf_counter() - started < 1.0
    assert result.errors[0].extensions == {"code": "QUERY_TOO_COSTLY",
                                           "limit": limits.MAX_EXPANDED}
    assert (await run(tiny_store, _fragment_bomb(3))).errors is None  # 2³ copies are fine


async def test_variable_defaults_count_like_values(tiny_store: GraphStore) -> None:
    nested = """query($n: Int = 500) { partyOrgs(first: $n) { nodes { members(first: $n) {
      nodes { partyOrg { members(first: $n) { nodes { name } } } } } } } }"""
    costly = await run(tiny_store, nested)
    assert costly.errors[0].extensions["code"] == "QUERY_TOO_COSTLY"
    long_default = 'query($t: String! = "%s") { search(text: $t) { totalCount } }' % ("阳" * 300)
    assert (await run(tiny_store, long_default)).errors[0].extensions == {
        "code": "BAD_USER_INPUT", "argument": "text"}


async def test_introspection_has_a_price(tiny_store: GraphStore) -> None:
    one = await run(tiny_store, "{ __schema { types { name fields { name } } } }")
    assert one.errors is None
    many = "{ " + " ".join(f"a{i}: __schema {{ types {{ name }} }}" for i in range(25)) + " }"
    assert (await run(tiny_store, many)).errors[0].extensions["code"] == "QUERY_TOO_COSTLY"
