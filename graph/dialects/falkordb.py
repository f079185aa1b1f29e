"""FalkorDB DDL: a range index on `code` per label, then a unique constraint over it.

FalkorDB creates uniqueness constraints with the `GRAPH.CONSTRAINT` command (not Cypher),
and only over an existing index, so the index statement comes first. Both steps skip what
already exists, which makes start-up idempotent.
"""

from __future__ import annotations

from graph.domain import BASE_LABELS, EXTRA_INDEXES, Label
from graph.statements import Mode, Statement, builder, compose, statement

LIST_INDEXES = statement(
    "falkordb.list_indexes",
    "CALL db.indexes() YIELD label, properties RETURN label, properties",
    backends=frozenset({"falkordb"}),
)

LIST_CONSTRAINTS = statement(
    "falkordb.list_constraints",
    "CALL db.constraints() YIELD label, properties, status RETURN label, properties, status",
    backends=frozenset({"falkordb"}),
)


@builder(*({"label": label} for label in Label))
def create_code_index(*, label: Label) -> Statement:
    """Range index on `code` for one label (label from the domain enum, never user input)."""
    return compose(
        f"falkordb.create_code_index.{label}",
        f"CREATE INDEX FOR (n:{label.value}) ON (n.code)",
        mode=Mode.WRITE,
        backends=frozenset({"falkordb"}),
    )


@builder(*({"label": label, "prop": prop} for label, prop in EXTRA_INDEXES))
def create_property_index(*, label: Label, prop: str) -> Statement:
    return compose(
        f"falkordb.create_index.{label}.{prop}",
        f"CREATE INDEX FOR (n:{label.value}) ON (n.{prop})",
        mode=Mode.WRITE,
        backends=frozenset({"falkordb"}),
    )


def unique_constraint_command(graph_name: str, label: Label) -> tuple[str, ...]:
    """The GRAPH.CONSTRAINT command that makes `code` unique for a label."""
    return ("GRAPH.CONSTRAINT", "CREATE", graph_name, "UNIQUE", "NODE", label.value,
            "PROPERTIES", "1", "code")


#: Labels whose `search` terms (graph/text.py) get a full-text index, one index per label.
SEARCH_LABELS: tuple[Label, ...] = BASE_LABELS


@builder(*({"label": label} for label in SEARCH_LABELS))
def create_search_index(*, label: Label) -> Statement:
    """Full-text index on `search` with no stop words; `english` leaves the space-separated
    Chinese terms whole (the `chinese` segmenter would split the character pairs again)."""
    return compose(
        f"falkordb.create_search_index.{label}",
        f"CALL db.idx.fulltext.createNodeIndex({{label: '{label.value}', stopwords: [], "
        f"language: 'english'}}, 'search')",
        mode=Mode.WRITE,
        backends=frozenset({"falkordb"}),
    )
