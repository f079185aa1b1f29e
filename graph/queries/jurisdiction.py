"""Cypher for loads bound to a jurisdiction: which of some codes lie inside the place `$scope`.

"Inside" is the load rule of `PATTERNS` below (what a jurisdiction owns), stricter than
the read rule of graph/queries/scope.py (what it may see).

The rule is asked one pattern at a time, each a MATCH, for the codes no earlier pattern
placed — not as the WHERE predicate: a pattern predicate is a sub-plan FalkorDB runs per
row, and all of them. On the demo district, 5,000 people took 0.87 s through the predicate,
0.24 s as a UNION of the MATCHes, 0.1 s one MATCH after another (most people are placed by
the first). Codes travel a batch at a time and the scope place is bound after the lookup
by code (bound before the UNWIND, the same statement took minutes).
"""

from __future__ import annotations

from graph.domain import BASE_LABELS, Label
from graph.queries.scope import MAX_DEPTH, SCOPE_VAR, bind_scope
from graph.statements import Statement, builder, compose, statement

_IN = f"[:IN*0..{MAX_DEPTH}]->({SCOPE_VAR})"
_NO_HOME = "WITH DISTINCT n WHERE NOT (n)-[:LIVES_IN]->()"
#: ... and nothing it covers lies elsewhere (each covered thing counted inside or not).
_NOTHING_ELSEWHERE = f"""WITH DISTINCT n, {SCOPE_VAR}
    MATCH (n)-[:COVERS]->(x)
    OPTIONAL MATCH (x)-[:LOCATED_IN*0..1]->(y)-{_IN}
    WITH n, x, count(y) AS here
    WITH n, min(here) AS least WHERE least > 0"""
#: A covered place, or a covered unit where it sits, inside the scope.
_COVERED_IN = f"-[:COVERS]->()-[:LOCATED_IN*0..1]->()-{_IN}"

#: Where a node lies for a load (design/security.md: places by IN, organizations by where
#: they sit or serve, party orgs by what they cover, people by residence): per label, the
#: (pattern, then) pairs any match of which puts node `n` inside the scope place — `then`
#: clauses keep only some of the matched `n`.
#: Stricter than the read rule (scope.py), which also shows what is linked to a place —
#: a load may change only what the jurisdiction owns (attack run, 2026-11-30: a
#: community's loader rewrote a person of another street through the company employing
#: him, and a property company through a compound it manages):
#: - organizations: located there, or (committees) serving a compound there — not managing;
#: - party orgs: covering something there and nothing elsewhere;
#: - people: living there; someone living nowhere recorded, by a membership, post or
#:   registration there.
PATTERNS: dict[Label, tuple[tuple[str, str], ...]] = {
    Label.PLACE: ((f"(n)-{_IN}", ""),),
    Label.ORGANIZATION: ((f"(n)-[:LOCATED_IN|SERVES]->(:Place)-{_IN}", ""),),
    Label.PARTY_ORG: ((f"(n){_COVERED_IN}", _NOTHING_ELSEWHERE),),
    Label.PERSON: (
        (f"(n)-[:LIVES_IN]->(:Place)-{_IN}", ""),
        (f"(n)-[:MEMBER_OF|HOLDS_POST]->(:PartyOrg){_COVERED_IN}", _NO_HOME),
        (f"(n)-[:REPORTS_TO|HOLDS_POST]->(:Place)-{_IN}", _NO_HOME),
        (f"(n)-[:HOLDS_POST]->(:Organization)-[:LOCATED_IN|SERVES]->(:Place)-{_IN}",
         _NO_HOME),
    ),
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
            MATCH {PATTERNS[label][pattern][0]}
            {PATTERNS[label][pattern][1]}
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
