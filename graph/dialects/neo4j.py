"""Neo4j 5 DDL: a named uniqueness constraint on `code` per label (which also indexes it)."""

from __future__ import annotations

from graph.domain import Label
from graph.statements import Mode, Statement, builder, compose, statement


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


def schema_names() -> list[tuple[str, str]]:
    """(kind, name) of every constraint and index `ensure_schema` creates, to drop them."""
    names = [("CONSTRAINT", f"{label.value.lower()}_code_unique") for label in Label]
    names += [("INDEX", f"{Label.REGION.value.lower()}_level"), ("INDEX", SEARCH_INDEX)]
    return names


@builder({"kind": "CONSTRAINT", "name": "place_code_unique"},
         {"kind": "INDEX", "name": SEARCH_INDEX})
def drop_schema_object(*, kind: str, name: str) -> Statement:
    """Names come from `schema_names` (the domain), never from input."""
    if kind not in ("CONSTRAINT", "INDEX") or not name.replace("_", "").isalnum():
        raise ValueError(f"not a schema object of ours: {kind} {name}")
    return compose(f"neo4j.drop_{kind.lower()}.{name}", f"DROP {kind} {name} IF EXISTS",
                   mode=Mode.WRITE, backends=frozenset({"neo4j"}))


DELETE_SOME = statement(
    "neo4j.delete_some",
    "MATCH (n) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted",
    mode=Mode.WRITE,
    params={"limit": 10_000},
    backends=frozenset({"neo4j"}),
)
"""One batch of a whole-database wipe (Community has one user database: tests and tooling
empty it rather than drop it; batches keep each transaction's memory bounded)."""
