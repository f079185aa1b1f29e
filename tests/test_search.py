"""Search through the full-text index: terms (pure), substring semantics on the hand-built
rosters, code prefixes, the scan fallback, back-filling terms, and the Neo4j dialect."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest

from app.graphql import build_schema
from graph.domain import Label
from graph.queries import search as q
from graph.repo import search as repo
from graph.statements import Statement
from graph.store import GraphStore
from graph.text import query_terms, search_text
from resolvers.access import OPERATOR
from resolvers.context import Context
from tests.edges import TODAY

SCHEMA = build_schema()
SEARCH = """query($t: String!, $type: SearchType, $s: String) {
    search(text: $t, type: $type, scope: $s, first: 100) { totalCount nodes { code } } }"""


async def found(store: GraphStore, text: str, **args: Any) -> list[str]:
    result = await SCHEMA.execute(SEARCH, variable_values={"t": text, **args},
                                  context_value=Context(store, caller=OPERATOR,
                                                        today=dt.date.fromisoformat(TODAY)))
    assert result.errors is None, result.errors
    page = result.data["search"]
    codes = [n["code"] for n in page["nodes"]]
    assert page["totalCount"] == len(codes)
    return codes


def test_terms_are_characters_and_pairs_of_letter_and_digit_runs() -> None:
    assert search_text("阳光花园") == "光 光花 园 花 花园 阳 阳光"
    assert search_text("Ａ-1号") == "1 1号 a 号"  # NFKC, lower case, '-' separates
    assert search_text("") is None
    assert query_terms("阳光花园") == ["阳光", "光花", "花园"]
    assert query_terms("秦") == ["秦"]
    assert query_terms("（）-") == []
    assert repo.prefix_end("X1") == "X2"


@pytest.mark.parametrize(("text", "codes"), [
    ("光花", ["PX1", "X1", "YX1"]),  # across the word boundary a segmenter would draw
    ("花园小区", ["X1"]),
    ("小区", ["X1", "X2", "X3", "X4"]),
    ("家园", ["X2", "ZX2"]),
    ("人员M3", ["M30", "M31", "M32", "M3B0", "M3B1", "M3B2"]),
])
async def test_names_match_any_substring(edge_store: GraphStore, text: str,
                                         codes: list[str]) -> None:
    assert await found(edge_store, text) == codes


async def test_codes_match_by_prefix_and_types_filter(edge_store: GraphStore) -> None:
    assert await found(edge_store, "PX") == ["PX1", "PX3"]
    assert await found(edge_store, "X", type="PLACE") == ["X1", "X2", "X3", "X4"]
    assert await found(edge_store, "小区", type="PERSON") == []
    assert await found(edge_store, "小区", s="C2") == ["X2"]


async def test_text_without_letters_or_digits_is_scanned(edge_store: GraphStore) -> None:
    assert await found(edge_store, "（") == []


async def test_nodes_without_terms_get_them_back(edge_store: GraphStore) -> None:
    async with edge_store.bulk():  # Neo4j: its full-text index has taken the write after
        await edge_store.write(q.set_search_text(label=Label.PLACE),
                               {"rows": [{"code": "X1", "search": None}]})
    assert await found(edge_store, "光花") == ["PX1", "YX1"]
    assert await repo.backfill_search_text(edge_store) == 1
    assert await found(edge_store, "光花") == ["PX1", "X1", "YX1"]
    assert await repo.backfill_search_text(edge_store) == 0


async def test_neo4j_queries_its_one_index_with_and() -> None:
    store = mock.Mock(backend="neo4j")
    seen: list[tuple[Statement, dict[str, Any]]] = []

    async def read(stmt: Statement, params: dict[str, Any]) -> list[dict[str, Any]]:
        seen.append((stmt, params))
        return [{"total": 0, "items": []}]

    store.read = read
    page = await repo.search(store, text="阳光花园", label=Label.PLACE, scope=None, after=None,
                             first=10)
    assert page.total == 0
    stmt, params = seen[0]
    assert stmt.name.startswith("neo4j.search.indexed")
    assert "db.index.fulltext.queryNodes('orgcover_search', $terms)" in stmt.text
    assert params["terms"] == "阳光 AND 光花 AND 花园"
