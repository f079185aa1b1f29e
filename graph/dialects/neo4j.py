"""Neo4j 5 DDL: a named uniqueness constraint on `code` per label (which also indexes it)."""

from __future__ import annotations

from graph.domain import EXTRA_INDEXES, UNIQUE_CODE_LABELS, Label
from graph.statements import Mode, Statement, builder, compose, statement


def _constraint_name(label: Label) -> str:
    return f"{label.value.lower()}_code_unique"


def _index_name(label: Label, prop: str) -> str:
    return f"{label.value.lower()}_{prop}"


@builder(*({"label": label} for label in Label))
def create_code_constraint(*, label: Label) -> Statement:
    """`IF NOT EXISTS` keeps start-up idempotent; label from the domain enum only."""
    return compose(
        f"neo4j.create_code_constraint.{label}",
        f"CREATE CONSTRAINT {_constraint_name(label)} IF NOT EXISTS "
        f"FOR (n:{label.value}) REQUIRE n.code IS UNIQUE",
        mode=Mode.WRITE,
        backends=frozenset({"neo4j"}),
    )


@builder(*({"label": label, "prop": prop} for label, prop in EXTRA_INDEXES))
def create_property_index(*, label: Label, prop: str) -> Statement:
    return compose(
        f"neo4j.create_index.{label}.{prop}",
        f"CREATE INDEX {_index_name(label, prop)} IF NOT EXISTS "
        f"FOR (n:{label.value}) ON (n.{prop})",
        mode=Mode.WRITE,
        backends=frozenset({"neo4j"}),
    )


#: One full-text index over every searchable label (graph/text.py terms, whitespace-split).
SEARCH_INDEX = "orgcover_search"

#: Eventually consistent: Lucene takes a commit's documents in a background thread instead
#: of inside the commit. A district load's people spent 40 % of each batch there (5,000
#: people committed in 235 ms, 130 without the `search` property); a load waits for the
#: index before it returns (`AWAIT_SEARCH_INDEX`), so searches after it find what it wrote.
SEARCH_INDEX_CONFIG = {"fulltext.analyzer": "whitespace", "fulltext.eventually_consistent": True}


@builder({})
def create_search_index() -> Statement:
    config = ", ".join(f"`{k}`: {str(v).lower() if isinstance(v, bool) else repr(v)}"
                       for k, v in SEARCH_INDEX_CONFIG.items())
    return compose(
        "neo4j.create_search_index",
        f"CREATE FULLTEXT INDEX {SEARCH_INDEX} IF NOT EXISTS "
        "FOR (n:Place|PartyOrg|Organization|Person) ON EACH [n.search] "
        f"OPTIONS {{indexConfig: {{{config}}}}}",
        mode=Mode.WRITE,
        backends=frozenset({"neo4j"}),
    )


SEARCH_INDEX_CONFIG_NOW = statement(
    "neo4j.search_index_config",
    """SHOW FULLTEXT INDEXES YIELD name, options WHERE name = $name
       RETURN options.indexConfig AS config""",
    params={"name": SEARCH_INDEX},
    backends=frozenset({"neo4j"}),
)

AWAIT_SEARCH_INDEX = statement(
    "neo4j.await_search_index",
    "CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()",
    mode=Mode.WRITE,  # sent where the writes went (a cluster's leader), not to a reader
    backends=frozenset({"neo4j"}),
)

AWAIT_INDEX = statement(
    "neo4j.await_index",
    "CALL db.awaitIndex($name, $seconds)",
    params={"name": SEARCH_INDEX, "seconds": 300},
    backends=frozenset({"neo4j"}),
)


def schema_names() -> list[tuple[str, str]]:
    """(kind, name) of every constraint and index `ensure_schema` creates, to drop them;
    the names are those the `create_*` builders give."""
    names = [("CONSTRAINT", _constraint_name(label)) for label in UNIQUE_CODE_LABELS]
    names += [("INDEX", _index_name(label, prop)) for label, prop in EXTRA_INDEXES]
    names.append(("INDEX", SEARCH_INDEX))
    return names


@builder(*({"kind": kind, "name": name} for kind, name in schema_names()))
def drop_schema_object(*, kind: str, name: str) -> Statement:
    """Names come from `schema_names` (the domain), never from input."""
    if (kind, name) not in schema_names():
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
