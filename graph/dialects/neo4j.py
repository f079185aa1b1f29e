"""Neo4j 5 DDL: a named uniqueness constraint on `code` per label (which also indexes it)."""

from __future__ import annotations

from graph.domain import Label
from graph.statements import Mode, Statement, builder, compose


@builder(*({"label": label} for label in Label))
def create_code_constraint(*, label: Label) -> Statement:
    """`IF NOT EXISTS` keeps start-up idempotent; label from the domain enum only."""
    return compose(
        f"neo4j.create_code_constraint.{label}",
        f"CREATE CONSTRAINT {label.value.lower()}_code_unique IF NOT EXISTS "
        f"FOR (n:{label.value}) REQUIRE n.code IS UNIQUE",
        mode=Mode.WRITE,
        backends=frozenset({"neo4j"}),
    )


@builder({"label": Label.REGION, "prop": "level"})
def create_property_index(*, label: Label, prop: str) -> Statement:
    return compose(
        f"neo4j.create_index.{label}.{prop}",
        f"CREATE INDEX {label.value.lower()}_{prop} IF NOT EXISTS "
        f"FOR (n:{label.value}) ON (n.{prop})",
        mode=Mode.WRITE,
        backends=frozenset({"neo4j"}),
    )


#: One full-text index over every searchable label (graph/text.py terms, whitespace-split).
SEARCH_INDEX = "orgcover_search"


@builder({})
def create_search_index() -> Statement:
    return compose(
        "neo4j.create_search_index",
        f"CREATE FULLTEXT INDEX {SEARCH_INDEX} IF NOT EXISTS "
        "FOR (n:Place|PartyOrg|Organization|Person) ON EACH [n.search] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}",
        mode=Mode.WRITE,
        backends=frozenset({"neo4j"}),
    )
