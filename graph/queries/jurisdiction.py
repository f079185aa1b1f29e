"""Cypher for loads bound to a jurisdiction: which of some codes lie inside the place `$scope`.

A loader may touch what its own queries can reach, so "inside" is the scope rule every
query uses (graph/queries/scope.py): places by `IN*` (the place itself included),
organizations by where they sit or what they manage or serve, party orgs by what they
cover, people by residence, registration, employer, membership or post (a membership or
post counts where its party org is, covered units included — without that, the secretary
and members of a joint branch covering enterprises lay inside no place at all).

The rule is asked one pattern at a time, each a MATCH, for the codes no earlier pattern
placed — not as the WHERE predicate: a pattern predicate is a sub-plan FalkorDB runs per
row, and all of them. On the demo district, 5,000 people took 0.87 s through the predicate,
0.24 s as a UNION of the MATCHes, 0.1 s one MATCH after another (most people are placed by
the first). Codes travel a batch at a time and the scope place is bound after the lookup
by code (bound before the UNWIND, the same statement took minutes).
"""

from __future__ import annotations

from graph.domain import BASE_LABELS, Label
from graph.queries.scope import MAX_DEPTH, SCOPE_VAR, bind_scope, in_scope
from graph.statements import Statement, builder, compose, statement

_IN = f"[:IN*0..{MAX_DEPTH}]->({SCOPE_VAR})"
#: scope.py's person predicate, one pattern each (tests/test_loader_jurisdiction.py checks
#: that their OR is that predicate, word for word).
PERSON_SCOPE: tuple[str, ...] = (
    f"(n)-[:LIVES_IN|REPORTS_TO|HOLDS_POST]->(:Place)-{_IN}",
    f"(n)-[:EMPLOYED_BY|HOLDS_POST]->(:Organization)-[:LOCATED_IN|MANAGES|SERVES]->()-{_IN}",
    f"(n)-[:MEMBER_OF|HOLDS_POST]->(:PartyOrg)-[:COVERS]->()-[:LOCATED_IN*0..1]->()-{_IN}",
)
#: Per label, the patterns any match of which puts node `n` inside the scope place, in the
#: order they are asked (people: membership first, as most on a roster are members; the
#: other labels' scope predicates are single patterns already).
PATTERNS: dict[Label, tuple[str, ...]] = {
    Label.PLACE: (in_scope("n", Label.PLACE),),
    Label.ORGANIZATION: (in_scope("n", Label.ORGANIZATION),),
    Label.PARTY_ORG: (in_scope("n", Label.PARTY_ORG),),
    Label.PERSON: (PERSON_SCOPE[2], PERSON_SCOPE[0], PERSON_SCOPE[1]),
}


@builder(*({"label": label, "pattern": i}
           for label in BASE_LABELS for i in range(len(PATTERNS[label]))))
def codes_inside(*, label: Label, pattern: int) -> Statement:
    """Of `$codes`, those naming a node of `label` placed inside `$scope` by one pattern."""
    return compose(
        f"jurisdiction.inside.{label.value}.{pattern}",
        f"""UNWIND $codes AS c
            MATCH (n:{label.value} {{code: c}})
            WITH * {bind_scope(True)}
            MATCH {PATTERNS[label][pattern]}
            RETURN DISTINCT n.code AS code""",
        params={"codes": ["X"], "scope": "S"},
    )


@builder(*({"label": label} for label in BASE_LABELS))
def codes_existing(*, label: Label) -> Statement:
    """Of `$codes`, those naming a node of `label`."""
    return compose(
        f"jurisdiction.existing.{label.value}",
        f"""UNWIND $codes AS c
            MATCH (n:{label.value} {{code: c}})
            RETURN n.code AS code""",
        params={"codes": ["X"]},
    )


#: The jurisdiction place and its parent (a load may not move the jurisdiction itself).
PLACE_PARENT = statement(
    "jurisdiction.place_parent",
    """MATCH (p:Place {code: $code})
       OPTIONAL MATCH (p)-[:IN]->(up:Place)
       RETURN p.code AS code, up.code AS parent""",
    params={"code": "X"},
)
